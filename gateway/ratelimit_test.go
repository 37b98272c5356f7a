package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

// TestOversizedRequestsDoNotLockOthersOut is issue 12, gateway item 1:
// once the gateway has learnt the upstream's token limit, a request whose
// estimate exceeds it (a huge max_tokens, a 4 MB pass-through body) used
// to be debited in full from the token bucket, so that every later
// request failed at once with a 504 for hours. While it is in flight it
// must cost the others at most one bucket, and once the upstream refuses
// it, it must be given back.
func TestOversizedRequestsDoNotLockOthersOut(t *testing.T) {
	const tpm = 100_000
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := sim.New(sim.Config{Seed: 7, APIKey: upstreamKey, Clock: clk, RPM: 10_000, TPM: tpm})
	if err != nil {
		t.Fatal(err)
	}
	// The upstream holds the first call of each oversized request until
	// the test has sent an ordinary one alongside it.
	var (
		mu      sync.Mutex
		held    bool
		arrived = make(chan struct{}, 1)
		release = make(chan struct{})
	)
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		hold := !held && (len(body) > 1<<20 || bytes.Contains(body, []byte(`"max_tokens":`)))
		held = held || hold
		rel := release
		mu.Unlock()
		if hold {
			arrived <- struct{}{}
			<-rel
		}
		s.ServeHTTP(w, r)
	})
	let := func() { // lets the held call go, once
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-release:
		default:
			close(release)
		}
	}
	gw, g := newGateway(t, up.URL, func(c *gateway.Config) { c.Clock = clk })
	t.Cleanup(let) // before the servers close, which wait for it

	tokens := func() float64 { return g.Status(clk.Now())[0].Limiters["sim"].Tokens }
	ordinary := func(step string) {
		t.Helper()
		before := len(clk.Sleeps())
		status, _, b := call(t, gw, plainRequest(""))
		if status != http.StatusOK {
			t.Fatalf("%s: an ordinary request got %d: %s", step, status, b)
		}
		// It waited for its own few tokens at most, not for a debt.
		var slept time.Duration
		for _, d := range clk.Sleeps()[before:] {
			slept += d
		}
		if slept > time.Second {
			t.Errorf("%s: an ordinary request waited %v", step, slept)
		}
	}

	ordinary("first request") // learns the limit from the headers
	if st := g.Status(clk.Now())[0].Limiters["sim"]; st.TokenCapacity != tpm {
		t.Fatalf("token capacity %v, want the upstream's %d", st.TokenCapacity, tpm)
	}

	huge := `{"model":"` + model + `","messages":[{"role":"user","content":"` + strings.Repeat("a", 4<<20-200) + `"}]}`
	for _, tt := range []struct{ name, body string }{
		{"max_tokens 100000000", plainRequest(`,"max_tokens":100000000`)},
		{"max_tokens 500000", plainRequest(`,"max_tokens":500000`)},
		{"a 4 MB pass-through body", huge},
	} {
		mu.Lock()
		held, release = false, make(chan struct{})
		mu.Unlock()
		type answer struct {
			status int
			body   []byte
			err    error
		}
		done := make(chan answer, 1)
		go func() {
			status, b, err := post(gw, tt.body)
			done <- answer{status, b, err}
		}()
		var a answer
		select {
		case <-arrived:
			ordinary("while " + tt.name + " is in flight")
			let()
			a = <-done
		case a = <-done: // it never reached the upstream
		}
		if a.err != nil {
			t.Fatalf("%s: %v", tt.name, a.err)
		}
		status, b := a.status, a.body
		// The upstream refuses it (429 request too large); what matters is
		// that the gateway asked, instead of refusing for the limiter.
		var e errorBody
		_ = json.Unmarshal(b, &e)
		if status == http.StatusGatewayTimeout || strings.Contains(e.Error.Message, "ratelimit") {
			t.Errorf("%s: %d %s", tt.name, status, e.Error.Message)
		}
		// Refused, it is given back: the bucket is as good as full.
		if lv := tokens(); lv < tpm*0.99 {
			t.Errorf("%s: the token bucket holds %.0f after the refusal, want about %d", tt.name, lv, tpm)
		}
		ordinary("after " + tt.name)
	}
}

// post is call for another goroutine than the test's: it returns the error.
func post(gw *httptest.Server, body string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
