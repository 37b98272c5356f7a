package anthropic_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/sim"
)

var personSchema = json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`)

var people = []struct{ id, name string }{
	{"ann", "Ann Lee"}, {"bob", "Bob Stone"}, {"cid", "Cid Moss"}, {"dee", "Dee Park"}, {"eve", "Eve Hart"}, {"fay", "Fay Holt"},
}

func personLines() []batchapi.Line {
	var lines []batchapi.Line
	for i, p := range people {
		lines = append(lines, batchapi.Line{CustomID: p.id, Request: &reask.Request{
			Messages: []reask.Message{{Role: reask.RoleUser, Content: fmt.Sprintf("Extract the person.\nText: %s, age %d", p.name, 30+i)}},
			Mode:     reask.ModeJSONSchema, Schema: personSchema, SchemaName: "person"}})
	}
	return lines
}

const testKey = "sk-ant-test-key-0123456789"

type batchEnv struct {
	url    string // the simulator
	clk    *clock.Fake
	client *anthropic.BatchClient
	poller batchapi.Poller
}

// newBatchEnv is the simulator on a fake clock, a batch client to it and a
// poller on the same clock: each wait of the poller moves the batch on.
func newBatchEnv(t *testing.T, prof string, cfg anthropic.BatchConfig, wrap func(http.Handler) http.Handler) *batchEnv {
	t.Helper()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var p sim.Profile
	if prof != "" {
		var err error
		if p, err = sim.ParseProfile([]byte(prof)); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := sim.New(sim.Config{Seed: 3, Profile: p, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	prov := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: testKey, Model: "claude-sonnet-4-5", Clock: clk})
	return &batchEnv{url: ts.URL, clk: clk, client: anthropic.NewBatchClient(prov, cfg), poller: batchapi.Poller{Clock: clk, Initial: time.Second}}
}

func (e *batchEnv) run(t *testing.T, lines []batchapi.Line) (map[string]batchapi.Result, []batchapi.State, []string) {
	t.Helper()
	ids, err := e.client.Submit(t.Context(), lines)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]batchapi.Result{}
	var states []batchapi.State
	var order []string
	for _, id := range ids {
		st, err := e.poller.Wait(t.Context(), e.client, id)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.State)
		res, err := e.client.Results(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if _, dup := got[r.CustomID]; dup {
				t.Errorf("custom_id %q answered twice", r.CustomID)
			}
			got[r.CustomID] = r
			order = append(order, r.CustomID)
		}
	}
	return got, states, order
}

func TestBatchEndToEnd(t *testing.T) {
	e := newBatchEnv(t, "", anthropic.BatchConfig{}, nil)
	got, states, order := e.run(t, personLines())
	if !slices.Equal(states, []batchapi.State{batchapi.StateCompleted}) {
		t.Errorf("states %v, want one completed batch", states)
	}
	if len(got) != len(people) {
		t.Fatalf("%d results, want %d", len(got), len(people))
	}
	for i, p := range people {
		r := got[p.id]
		if r.Err != nil || r.Response == nil {
			t.Fatalf("%s: %v", p.id, r.Err)
		}
		if len(r.Response.ToolCalls) != 1 {
			t.Fatalf("%s: %+v, want one tool call", p.id, r.Response)
		}
		var v struct {
			Name string
			Age  int
		}
		if err := json.Unmarshal([]byte(r.Response.ToolCalls[0].Arguments), &v); err != nil || v.Name != p.name || v.Age != 30+i {
			t.Errorf("%s: answer %q (%v), want %s, %d", p.id, r.Response.ToolCalls[0].Arguments, err, p.name, 30+i)
		}
		if r.Response.Usage.TotalTokens == 0 || r.Response.RequestID == "" {
			t.Errorf("%s: usage %+v, id %q", p.id, r.Response.Usage, r.Response.RequestID)
		}
	}
	var in []string
	for _, p := range people {
		in = append(in, p.id)
	}
	if slices.Equal(order, in) {
		t.Errorf("results in input order %v: the test means to match a shuffled order by custom_id", order)
	}
}

func TestBatchFailedLines(t *testing.T) {
	tests := []struct {
		name      string
		profile   string
		cancel    bool
		wantState batchapi.State
		check     func(t *testing.T, r batchapi.Result)
		wantAll   bool
	}{
		{name: "failed inside the batch", profile: `{"batch":{"failed_lines":1}}`, wantState: batchapi.StateCompleted, wantAll: true,
			check: func(t *testing.T, r batchapi.Result) {
				var pe *reask.ProviderError
				if !errors.As(r.Err, &pe) || pe.Type != "api_error" || pe.Kind != reask.KindServer {
					t.Errorf("%s: %v, want an api_error server error", r.CustomID, r.Err)
				}
			}},
		{name: "expired", profile: `{"batch":{"expire":1}}`, wantState: batchapi.StateExpired,
			check: func(t *testing.T, r batchapi.Result) {
				if !errors.Is(r.Err, batchapi.ErrLineExpired) {
					t.Errorf("%s: %v, want ErrLineExpired", r.CustomID, r.Err)
				}
			}},
		{name: "cancelled", cancel: true, wantState: batchapi.StateCancelled, wantAll: true,
			check: func(t *testing.T, r batchapi.Result) {
				if !errors.Is(r.Err, batchapi.ErrLineCancelled) {
					t.Errorf("%s: %v, want ErrLineCancelled", r.CustomID, r.Err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBatchEnv(t, tt.profile, anthropic.BatchConfig{}, nil)
			ids, err := e.client.Submit(t.Context(), personLines())
			if err != nil {
				t.Fatal(err)
			}
			if tt.cancel {
				if err := e.client.Cancel(t.Context(), ids[0]); err != nil {
					t.Fatal(err)
				}
			}
			st, err := e.poller.Wait(t.Context(), e.client, ids[0])
			if tt.cancel != errors.Is(err, batchapi.ErrBatchCancelled) || !tt.cancel && err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if st.State != tt.wantState {
				t.Errorf("state %v, want %v", st.State, tt.wantState)
			}
			res, err := e.client.Results(t.Context(), ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(people) {
				t.Fatalf("%d results, want %d", len(res), len(people))
			}
			failed := 0
			for _, r := range res {
				if r.Err == nil {
					continue
				}
				failed++
				tt.check(t, r)
			}
			if tt.wantAll && failed != len(res) || failed == 0 {
				t.Errorf("%d of %d lines failed", failed, len(res))
			}
		})
	}
}

func TestBatchSplit(t *testing.T) {
	tests := []struct {
		name      string
		cfg       anthropic.BatchConfig
		wantBatch int
	}{
		{"one batch", anthropic.BatchConfig{}, 1},
		{"two requests a batch", anthropic.BatchConfig{MaxRequests: 2}, 3},
		{"bytes for two requests", anthropic.BatchConfig{MaxBytes: 1000}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBatchEnv(t, "", tt.cfg, nil)
			got, states, _ := e.run(t, personLines())
			if len(states) != tt.wantBatch {
				t.Errorf("%d batches, want %d", len(states), tt.wantBatch)
			}
			for _, p := range people {
				if r, ok := got[p.id]; !ok || r.Err != nil || len(r.Response.ToolCalls) != 1 || !strings.Contains(r.Response.ToolCalls[0].Arguments, p.name) {
					t.Errorf("%s: %+v", p.id, r)
				}
			}
		})
	}
}

func TestBatchUnsupported(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"type":"error","error":{"type":"not_found_error","message":"no route for %s (key %s)"}}`, r.URL.Path, testKey)
	}))
	defer ts.Close()
	c := anthropic.NewBatchClient(anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: testKey, Model: "m"}), anthropic.BatchConfig{})
	_, err := c.Submit(t.Context(), personLines())
	if !errors.Is(err, batchapi.ErrUnsupported) || !strings.Contains(err.Error(), "direct mode") {
		t.Errorf("got %v, want ErrUnsupported suggesting the direct mode", err)
	}
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("the key reached the error: %v", err)
	}
}

func TestBatchBadCustomID(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer ts.Close()
	c := anthropic.NewBatchClient(anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, Model: "m"}), anthropic.BatchConfig{})
	req := &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}}
	for _, id := range []string{"has space", "a/b", strings.Repeat("x", 65)} {
		if _, err := c.Submit(t.Context(), []batchapi.Line{{CustomID: id, Request: req}}); err == nil || !strings.Contains(err.Error(), "custom_id") {
			t.Errorf("%q: %v, want an error about the custom_id", id, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent for bad lines", hits.Load())
	}
}

// A 429 on a poll waits what its retry-after says before polling again.
func TestBatchPoll429(t *testing.T) {
	var polls atomic.Int32
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/results") && strings.HasPrefix(r.URL.Path, "/v1/messages/batches/") && polls.Add(1) == 1 {
				w.Header().Set("retry-after", "9")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newBatchEnv(t, "", anthropic.BatchConfig{}, wrap)
	e.poller = batchapi.Poller{Clock: e.clk, Initial: time.Second, Factor: 2, Max: 4 * time.Second}
	ids, err := e.client.Submit(t.Context(), personLines())
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.poller.Wait(t.Context(), e.client, ids[0])
	if err != nil || st.State != batchapi.StateCompleted {
		t.Fatalf("Wait: %v, %v", st.State, err)
	}
	// the 429 waits 9s, by when the batch (about 3s) has ended
	if got := e.clk.Sleeps(); !slices.Equal(got, []time.Duration{9 * time.Second}) {
		t.Errorf("sleeps %v, want [9s]", got)
	}
}

// Errored results are classified as the direct provider classifies its
// errors, with a key a server echoes scrubbed; a results_url on another
// host is refused, and the key is not sent there.
func TestBatchResultsClassified(t *testing.T) {
	results := strings.Join([]string{
		`{"custom_id":"ctx","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}}}`,
		`{"custom_id":"over","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}`,
		`{"custom_id":"auth","result":{"type":"errored","error":{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + testKey + `"}}}}`,
		`{"custom_id":"gone","result":{"type":"expired"}}`,
		`{"custom_id":"stop","result":{"type":"canceled"}}`,
	}, "\n") + "\n"
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/messages/batches/b1":
			fmt.Fprintf(w, `{"id":"b1","processing_status":"ended","results_url":"http://%s/v1/messages/batches/b1/results","request_counts":{"errored":3,"expired":1,"canceled":1}}`, r.Host)
		case "/v1/messages/batches/b2":
			fmt.Fprintf(w, `{"id":"b2","processing_status":"ended","results_url":"%s/results","request_counts":{"succeeded":1}}`, other.URL)
		case "/v1/messages/batches/b1/results":
			fmt.Fprint(w, results)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	c := anthropic.NewBatchClient(anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: testKey, Model: "m"}), anthropic.BatchConfig{})
	st, err := c.Status(t.Context(), "b1")
	if err != nil || st.State != batchapi.StateExpired || st.Total != 5 || st.Failed != 5 {
		t.Errorf("status %+v, %v; want expired, 5 lines failed", st, err)
	}
	res, err := c.Results(t.Context(), "b1")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("%d results, want 5", len(res))
	}
	want := map[string]reask.Kind{"ctx": reask.KindContextLength, "over": reask.KindServer, "auth": reask.KindAuth}
	for _, r := range res {
		if strings.Contains(r.Err.Error(), testKey) {
			t.Errorf("%s: the key reached the error: %v", r.CustomID, r.Err)
		}
		switch r.CustomID {
		case "gone":
			if !errors.Is(r.Err, batchapi.ErrLineExpired) {
				t.Errorf("gone: %v, want ErrLineExpired", r.Err)
			}
		case "stop":
			if !errors.Is(r.Err, batchapi.ErrLineCancelled) {
				t.Errorf("stop: %v, want ErrLineCancelled", r.Err)
			}
		default:
			var pe *reask.ProviderError
			if !errors.As(r.Err, &pe) || pe.Kind != want[r.CustomID] {
				t.Errorf("%s: %v, want kind %v", r.CustomID, r.Err, want[r.CustomID])
			}
		}
	}
	if _, err := c.Results(t.Context(), "b2"); err == nil || !strings.Contains(err.Error(), "not on the API's host") {
		t.Errorf("a results_url elsewhere: %v, want it refused", err)
	}
	if elsewhere.Load() != 0 {
		t.Error("the results were fetched from another host")
	}
}

// Each request's params are what the direct provider sends.
func TestBatchParamsAreDirectBody(t *testing.T) {
	var direct, created []byte
	capture := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var dst *[]byte
			switch {
			case r.URL.Path == "/v1/messages":
				dst = &direct
			case r.URL.Path == "/v1/messages/batches" && r.Method == http.MethodPost:
				dst = &created
			}
			if dst != nil {
				*dst, _ = io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(*dst))
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newBatchEnv(t, "", anthropic.BatchConfig{}, capture)
	lines := personLines()[:1]
	if _, err := e.client.Submit(t.Context(), lines); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Params   json.RawMessage `json:"params"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(created, &body); err != nil || len(body.Requests) != 1 {
		t.Fatalf("the batch body %q: %v", created, err)
	}
	// the direct provider, on the same server
	p := anthropic.NewProvider(anthropic.Config{BaseURL: e.url, APIKey: testKey, Model: "claude-sonnet-4-5"})
	if _, err := p.Complete(t.Context(), lines[0].Request); err != nil {
		t.Fatal(err)
	}
	if r := body.Requests[0]; r.CustomID != "ann" || !bytes.Equal(r.Params, direct) {
		t.Errorf("request %s params\n%s\nwant the direct body\n%s", r.CustomID, r.Params, direct)
	}
}
