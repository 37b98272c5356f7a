package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// liveCall posts a streamed request with X-Reask-Stream: live and returns
// the status, headers, trailers and body.
func liveCall(t *testing.T, gw *httptest.Server, body string) (int, http.Header, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gateway.StreamHeader, gateway.StreamLive)
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, resp.Trailer, b
}

// liveEvent is a chunk of a live stream as a client reads it, with the
// restart extension and an error event's error.
type liveEvent struct {
	completion
	Reask *struct {
		Restart bool   `json:"restart"`
		Attempt int    `json:"attempt"`
		Reason  string `json:"reason"`
	} `json:"reask"`
	Error *struct {
		Message string  `json:"message"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// liveRead reads a live stream as a client that honours restarts does: the
// answers it saw (each restart starts a new one), the restarts, the finish
// reason, whether usage and [DONE] came, and an error event's message.
type liveRead struct {
	answers  []string
	restarts []string
	finish   string
	usage    bool
	done     bool
	errorMsg string
}

func readLive(t *testing.T, b []byte) liveRead {
	t.Helper()
	r := liveRead{answers: []string{""}}
	for _, ev := range strings.Split(string(b), "\n\n") {
		data, ok := strings.CutPrefix(strings.TrimSpace(ev), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			r.done = true
			continue
		}
		var e liveEvent
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		switch {
		case e.Error != nil:
			r.errorMsg = e.Error.Message
			continue
		case e.Reask != nil && e.Reask.Restart:
			r.restarts = append(r.restarts, e.Reask.Reason)
			r.answers = append(r.answers, "")
			continue
		case e.Usage != nil:
			r.usage = true
			continue
		}
		d := e.Choices[0].Delta
		last := &r.answers[len(r.answers)-1]
		if d.Content != nil {
			*last += *d.Content
		}
		for _, tc := range d.ToolCalls {
			*last += tc.Function.Arguments
		}
		if f := e.Choices[0].FinishReason; f != nil {
			r.finish = *f
		}
	}
	return r
}

// A live stream forwards the first answer as it comes; when it fails its
// check the stream goes on: a restart chunk naming the violation, then the
// re-asked answer, which validates. The X-Reask headers come as trailers.
func TestLiveStreamReasks(t *testing.T) {
	for _, tc := range []struct {
		name, body, finish string
		usage              bool
	}{
		{"response format", schemaRequest(`,"stream":true,"stream_options":{"include_usage":true}`), "stop", true},
		{"forced tool", toolRequest(`,"stream":true`), "tool_calls", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, trailer, b := liveCall(t, gw, tc.body)
			if status != http.StatusOK || h.Get(gateway.StreamHeader) != gateway.StreamLive {
				t.Fatalf("status %d, headers %v: %s", status, h, b)
			}
			r := readLive(t, b)
			if len(r.restarts) != 1 || !strings.Contains(r.restarts[0], "required") || len(r.answers) != 2 {
				t.Fatalf("restarts %q, answers %q; want one restart for the missing field", r.restarts, r.answers)
			}
			if json.Valid([]byte(r.answers[0])) && strings.Count(r.answers[0], `":`) == 3 {
				t.Errorf("the first answer %q was whole; the profile drops a field", r.answers[0])
			}
			validPerson(t, r.answers[1])
			if r.finish != tc.finish || r.usage != tc.usage || !r.done || r.errorMsg != "" {
				t.Errorf("finish %q, usage %v, done %v, error %q", r.finish, r.usage, r.done, r.errorMsg)
			}
			if trailer.Get("X-Reask-Attempts") != "2" || trailer.Get("X-Reask-Calls") != "2" {
				t.Errorf("trailers %v", trailer)
			}
			for _, req := range rec.requests() {
				if !strings.Contains(string(req.body), `"stream":true`) || !strings.Contains(string(req.body), `"include_usage":true`) {
					t.Errorf("upstream request does not stream: %s", req.body)
				}
			}
		})
	}
}

// An answer valid at once streams without a restart: what the client
// gathered is the document, in compact JSON.
func TestLiveStreamValidAtOnce(t *testing.T) {
	up, _ := newSim(t, fenced)
	gw, _ := newGateway(t, up.URL, nil)
	status, _, _, b := liveCall(t, gw, schemaRequest(`,"stream":true`))
	r := readLive(t, b)
	if status != http.StatusOK || len(r.restarts) != 0 || len(r.answers) != 1 || !r.done {
		t.Fatalf("status %d, restarts %q, answers %q", status, r.restarts, r.answers)
	}
	validPerson(t, r.answers[0])
}

// When local repair changes a valid answer ("30" for an integer), the
// stream restarts with the repaired document.
func TestLiveStreamRepairedLocally(t *testing.T) {
	up, _ := newSim(t, sim.Profile{Faults: map[fault.Kind]float64{fault.NumberAsString: 1}})
	gw, _ := newGateway(t, up.URL, nil)
	_, _, trailer, b := liveCall(t, gw, schemaRequest(`,"stream":true`))
	r := readLive(t, b)
	if len(r.restarts) != 1 || r.restarts[0] != "the answer was repaired locally" || !strings.Contains(r.answers[0], `"30"`) {
		t.Fatalf("restarts %q, answers %q", r.restarts, r.answers)
	}
	if p := validPerson(t, r.answers[1]); p.Age != 30 || trailer.Get("X-Reask-Attempts") != "1" {
		t.Errorf("repaired answer %+v, trailers %v", p, trailer)
	}
}

// Once bytes went out, a failure is an error event that ends the stream
// without [DONE]; before, it is the usual error answer.
func TestLiveStreamFailures(t *testing.T) {
	up, _ := newSim(t, hopeless)
	gw, _ := newGateway(t, up.URL, nil)
	status, _, _, b := liveCall(t, gw, schemaRequest(`,"stream":true`))
	r := readLive(t, b)
	if status != http.StatusOK || r.done || !strings.Contains(r.errorMsg, "/name") || len(r.restarts) != 3 {
		t.Fatalf("status %d, read %+v; want an error event after 4 answers (the default attempts)", status, r)
	}

	down, _ := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}`, http.StatusUnauthorized)
	})
	gw, _ = newGateway(t, down.URL, nil)
	status, h, _, b := liveCall(t, gw, schemaRequest(`,"stream":true`))
	if status == http.StatusOK || strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") || !strings.Contains(string(b), `"error"`) {
		t.Fatalf("status %d %s: %s; want the error answer", status, h.Get("Content-Type"), b)
	}
}

func TestLiveStreamHeaderValue(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(schemaRequest(`,"stream":true`)))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set(gateway.StreamHeader, "sometimes")
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), gateway.StreamHeader) {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}
