package openai_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/sim"
)

var personSchema = json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`)

// people are the lines of the batch tests, by custom_id.
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

// batchEnv is the simulator on a fake clock, a batch client to it and a
// poller on the same clock: each wait of the poller moves the batch on.
type batchEnv struct {
	clk    *clock.Fake
	ts     *httptest.Server
	client *openai.BatchClient
	poller batchapi.Poller
}

func newBatchEnv(t *testing.T, prof string, cfg openai.BatchConfig, wrap func(http.Handler) http.Handler) *batchEnv {
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
	prov := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: "sk-test-key-0123456789", Model: "gpt-4o-mini", Clock: clk})
	return &batchEnv{clk: clk, ts: ts, client: openai.NewBatchClient(prov, cfg), poller: batchapi.Poller{Clock: clk, Initial: time.Second}}
}

// run submits lines, waits for every batch and returns the results by
// custom_id, the batches' last states and the custom_ids in the order
// the results came.
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
		if err != nil && !errors.Is(err, batchapi.ErrBatchCancelled) {
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
	e := newBatchEnv(t, "", openai.BatchConfig{}, nil)
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
		var v struct {
			Name string
			Age  int
		}
		if err := json.Unmarshal([]byte(r.Response.Content), &v); err != nil || v.Name != p.name || v.Age != 30+i {
			t.Errorf("%s: answer %q (%v), want %s, %d", p.id, r.Response.Content, err, p.name, 30+i)
		}
		if r.Response.Usage.TotalTokens == 0 || r.Response.RequestID == "" {
			t.Errorf("%s: usage %+v, request id %q", p.id, r.Response.Usage, r.Response.RequestID)
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

// Lines the provider failed inside the batch, or never ran, come back as
// errors a runner can tell apart: a server error to send again, an
// expired or cancelled line.
func TestBatchFailedLines(t *testing.T) {
	tests := []struct {
		name      string
		profile   string
		cancel    bool
		wantState batchapi.State
		check     func(t *testing.T, r batchapi.Result)
		wantAll   bool // every line has the error; else at least one
	}{
		{name: "failed inside the batch", profile: `{"batch":{"failed_lines":1}}`, wantState: batchapi.StateCompleted, wantAll: true,
			check: func(t *testing.T, r batchapi.Result) {
				var pe *reask.ProviderError
				if !errors.As(r.Err, &pe) || pe.StatusCode != 500 || pe.Kind != reask.KindServer {
					t.Errorf("%s: %v, want a 500 server error", r.CustomID, r.Err)
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
			e := newBatchEnv(t, tt.profile, openai.BatchConfig{}, nil)
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

// More lines than a batch takes, or more bytes, make several batches,
// whose results together answer every line once.
func TestBatchSplit(t *testing.T) {
	tests := []struct {
		name      string
		cfg       openai.BatchConfig
		wantBatch int
	}{
		{"one batch", openai.BatchConfig{}, 1},
		{"two lines a batch", openai.BatchConfig{MaxLines: 2}, 3},
		{"bytes for two lines", openai.BatchConfig{MaxBytes: 1100}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBatchEnv(t, "", tt.cfg, nil)
			got, states, _ := e.run(t, personLines())
			if len(states) != tt.wantBatch {
				t.Errorf("%d batches, want %d", len(states), tt.wantBatch)
			}
			for _, p := range people {
				if r, ok := got[p.id]; !ok || r.Err != nil || !strings.Contains(r.Response.Content, p.name) {
					t.Errorf("%s: %+v", p.id, r)
				}
			}
		})
	}
	e := newBatchEnv(t, "", openai.BatchConfig{MaxBytes: 100}, nil)
	if _, err := e.client.Submit(t.Context(), personLines()); err == nil || !strings.Contains(err.Error(), "line 0") {
		t.Errorf("a line over the byte limit: %v, want an error naming it", err)
	}
}

// A server without the Batch API is a clear error that points to the
// direct mode, and the key it echoes does not reach the error.
func TestBatchUnsupported(t *testing.T) {
	const key = "sk-test-key-0123456789"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"no route for %s (key %s)","type":"invalid_request_error"}}`, r.URL.Path, key)
	}))
	defer ts.Close()
	c := openai.NewBatchClient(openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: key, Model: "m"}), openai.BatchConfig{})
	_, err := c.Submit(t.Context(), personLines())
	if !errors.Is(err, batchapi.ErrUnsupported) || !strings.Contains(err.Error(), "direct mode") {
		t.Errorf("got %v, want ErrUnsupported suggesting the direct mode", err)
	}
	if err != nil && strings.Contains(err.Error(), key) {
		t.Errorf("the key reached the error: %v", err)
	}
}

// Bad lines are refused before anything is sent.
func TestBatchBadLines(t *testing.T) {
	req := &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}}
	tests := []struct {
		name  string
		lines []batchapi.Line
		want  string
	}{
		{"none", nil, "no lines"},
		{"empty id", []batchapi.Line{{Request: req}}, "empty custom_id"},
		{"duplicate", []batchapi.Line{{CustomID: "a", Request: req}, {CustomID: "a", Request: req}}, "line 0's too"},
		{"no request", []batchapi.Line{{CustomID: "a"}}, "no request"},
	}
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer ts.Close()
	c := openai.NewBatchClient(openai.NewProvider(openai.Config{BaseURL: ts.URL, Model: "m"}), openai.BatchConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Submit(t.Context(), tt.lines); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent for bad lines", hits.Load())
	}
}

// Polls back off, growing to the maximum, and a 429 on a poll waits what
// its Retry-After says before polling again.
func TestBatchPollBackoff429(t *testing.T) {
	var polls atomic.Int32
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/batches/") && polls.Add(1) == 2 {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	// a batch that runs for 30s, polled from 1s growing 2x up to 4s
	e := newBatchEnv(t, `{"batch":{"in_progress":"30s"}}`, openai.BatchConfig{}, wrap)
	e.poller = batchapi.Poller{Clock: e.clk, Initial: time.Second, Factor: 2, Max: 4 * time.Second}
	ids, err := e.client.Submit(t.Context(), personLines())
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.poller.Wait(t.Context(), e.client, ids[0])
	if err != nil || st.State != batchapi.StateCompleted {
		t.Fatalf("Wait: %v, %v", st.State, err)
	}
	sleeps := e.clk.Sleeps()
	want := []time.Duration{time.Second, 7 * time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	if len(sleeps) < len(want) || !slices.Equal(sleeps[:len(want)], want) {
		t.Errorf("sleeps %v, want them to start %v", sleeps, want)
	}
	for _, d := range sleeps[len(want):] {
		if d != 4*time.Second {
			t.Errorf("sleeps %v: past the maximum", sleeps)
		}
	}
}

// Error lines are classified as the direct provider classifies its
// errors, and a key a server echoes in them is scrubbed.
func TestBatchErrorLinesClassified(t *testing.T) {
	const key = "sk-test-key-0123456789"
	errFile := strings.Join([]string{
		`{"custom_id":"ctx","response":{"status_code":400,"request_id":"req_1","body":{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}}}`,
		`{"custom_id":"quota","response":{"status_code":429,"request_id":"req_2","body":{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}}}`,
		`{"custom_id":"auth","response":{"status_code":401,"request_id":"req_3","body":{"error":{"message":"Incorrect API key provided: ` + key + `","type":"invalid_request_error","code":"invalid_api_key"}}}}`,
		`{"custom_id":"srv","response":{"status_code":503,"request_id":"req_4","body":{"error":{"message":"The engine is currently overloaded","type":"server_error"}}}}`,
		`{"custom_id":"exp","error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}`,
	}, "\n") + "\n"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/batches/b1":
			fmt.Fprint(w, `{"id":"b1","status":"completed","output_file_id":null,"error_file_id":"f1","request_counts":{"total":5,"completed":0,"failed":5}}`)
		case "/v1/files/f1/content":
			fmt.Fprint(w, errFile)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	c := openai.NewBatchClient(openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: key, Model: "m"}), openai.BatchConfig{})
	res, err := c.Results(t.Context(), "b1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reask.Kind{"ctx": reask.KindContextLength, "quota": reask.KindQuota, "auth": reask.KindAuth, "srv": reask.KindServer}
	if len(res) != 5 {
		t.Fatalf("%d results, want 5", len(res))
	}
	for _, r := range res {
		if strings.Contains(r.Err.Error(), key) {
			t.Errorf("%s: the key reached the error: %v", r.CustomID, r.Err)
		}
		if r.CustomID == "exp" {
			if !errors.Is(r.Err, batchapi.ErrLineExpired) {
				t.Errorf("exp: %v, want ErrLineExpired", r.Err)
			}
			continue
		}
		var pe *reask.ProviderError
		if !errors.As(r.Err, &pe) || pe.Kind != want[r.CustomID] || pe.RequestID == "" {
			t.Errorf("%s: %v (kind %v), want kind %v", r.CustomID, r.Err, pe.Kind, want[r.CustomID])
		}
	}
}

// Each line's body is the one the direct provider sends for the request.
func TestBatchLineBodyIsDirectBody(t *testing.T) {
	var direct, uploaded []byte
	capture := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/v1/chat/completions":
				direct, _ = io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(direct))
			case "/v1/files":
				if err := r.ParseMultipartForm(1 << 20); err == nil {
					if f, _, err := r.FormFile("file"); err == nil {
						uploaded, _ = io.ReadAll(f)
						f.Close()
					}
				}
				body := &bytes.Buffer{}
				mw := multipart.NewWriter(body)
				_ = mw.WriteField("purpose", r.FormValue("purpose"))
				fw, _ := mw.CreateFormFile("file", "in.jsonl")
				_, _ = fw.Write(uploaded)
				_ = mw.Close()
				r.Body = io.NopCloser(body)
				r.Header.Set("Content-Type", mw.FormDataContentType())
				r.MultipartForm = nil
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newBatchEnv(t, "", openai.BatchConfig{}, capture)
	lines := personLines()[:1]
	prov := openai.NewProvider(openai.Config{BaseURL: e.ts.URL + "/v1", APIKey: "sk-test-key-0123456789", Model: "gpt-4o-mini"})
	if _, err := prov.Complete(t.Context(), lines[0].Request); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Submit(t.Context(), lines); err != nil {
		t.Fatal(err)
	}
	var line struct {
		CustomID string `json:"custom_id"`
		Method   string
		URL      string
		Body     json.RawMessage
	}
	if err := json.Unmarshal(uploaded, &line); err != nil {
		t.Fatalf("the uploaded line %q: %v", uploaded, err)
	}
	if line.CustomID != "ann" || line.Method != "POST" || line.URL != "/v1/chat/completions" || !bytes.Equal(line.Body, direct) {
		t.Errorf("line %s %s %s body\n%s\nwant the direct body\n%s", line.CustomID, line.Method, line.URL, line.Body, direct)
	}
}

// When a later batch of a split fails to submit, the ids already
// submitted come back with the error.
func TestBatchSubmitPartial(t *testing.T) {
	var creates atomic.Int32
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/batches" && r.Method == http.MethodPost && creates.Add(1) == 2 {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"error":{"message":"The server had an error","type":"server_error"}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newBatchEnv(t, "", openai.BatchConfig{MaxLines: 2}, wrap)
	ids, err := e.client.Submit(t.Context(), personLines())
	var pe *reask.ProviderError
	if len(ids) != 1 || !errors.As(err, &pe) || pe.Kind != reask.KindServer || errors.Is(err, batchapi.ErrUnsupported) {
		t.Errorf("got %v, %v; want the first batch's id and the server error", ids, err)
	}
}
