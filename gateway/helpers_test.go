package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

const (
	upstreamKey = "sk-upstream-VERY-SECRET-0123456789"
	clientKey   = "client-key-abc"
	model       = "gpt-4o-mini"
)

// personSchema is the schema the tests ask for; strict is off so that the
// simulator's content faults apply.
const personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}`

// personMessages is a conversation the simulator extracts a person from.
const personMessages = `[{"role":"system","content":"Extract the person's details."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`

func schemaRequest(extra string) string {
	return `{"model":"` + model + `","messages":` + personMessages +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":false,"schema":` + personSchema + `}}` + extra + `}`
}

func toolRequest(extra string) string {
	return `{"model":"` + model + `","messages":` + personMessages +
		`,"tools":[{"type":"function","function":{"name":"record_person","description":"Record a person.","parameters":` + personSchema + `}}]` +
		`,"tool_choice":{"type":"function","function":{"name":"record_person"}}` + extra + `}`
}

func plainRequest(extra string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"Say hello"}]` + extra + `}`
}

// profiles for the simulator.
var (
	clean    = sim.Profile{}
	reasked  = sim.Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}, Feedback: sim.Feedback{FixSpecific: 1}}
	fenced   = sim.Profile{Faults: map[fault.Kind]float64{fault.Fence: 1}}
	hopeless = sim.Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}}
)

// recorder is an upstream that records every request before handing it to
// next.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{method: req.Method, path: req.URL.Path, header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// newSim starts a simulator with profile p that wants upstreamKey.
func newSim(t *testing.T, p sim.Profile) (*httptest.Server, *recorder) {
	t.Helper()
	s, err := sim.New(sim.Config{Seed: 7, Profile: p, APIKey: upstreamKey})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: s}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv, rec
}

// newUpstream starts a fake upstream answering with h.
func newUpstream(t *testing.T, h http.HandlerFunc) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{next: h}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv, rec
}

// quick is a reask configuration that keeps transport retries instant.
var quick = reask.Config{Backoff: backoff.Policy{Base: time.Millisecond, Max: time.Millisecond}, Random: func() float64 { return 0 }}

// reaskMaxRetries sets the transport retries of each attempt to n (0: none).
func reaskMaxRetries(r *reask.Config, n int) {
	r.MaxTransportRetries = n
	if n == 0 {
		r.MaxTransportRetries = -1
	}
}

// reaskBreaker opens the circuit after minCalls failures in a row.
func reaskBreaker(r *reask.Config, minCalls int) {
	r.Breaker = breaker.Settings{MinCalls: minCalls, Threshold: 0.5, CoolDown: time.Minute}
}

// newGateway starts a gateway in front of the upstream at baseURL.
func newGateway(t *testing.T, baseURL string, mod func(*gateway.Config)) (*httptest.Server, *gateway.Gateway) {
	t.Helper()
	cfg := gateway.Config{
		Upstreams:  []gateway.Upstream{{Name: "sim", BaseURL: baseURL + "/v1", APIKey: upstreamKey}},
		ClientKeys: []reask.Secret{clientKey},
		Reask:      quick,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(func() { srv.Close(); g.Close() })
	return srv, g
}

// call posts body to the gateway's chat completions with the client key
// and returns the status, headers and body.
func call(t *testing.T, gw *httptest.Server, body string) (int, http.Header, []byte) {
	t.Helper()
	return do(t, gw, http.MethodPost, "/v1/chat/completions", clientKey, body)
}

func do(t *testing.T, gw *httptest.Server, method, path, key, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, gw.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// completion is what the tests read of a chat.completion.
type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		Delta struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *reask.Usage `json:"usage"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// errorBody is an OpenAI-style error.
type errorBody struct {
	Error struct {
		Message    string  `json:"message"`
		Type       string  `json:"type"`
		Code       *string `json:"code"`
		Param      *string `json:"param"`
		Attempts   int     `json:"attempts"`
		LastKind   string  `json:"last_kind"`
		LastOutput string  `json:"last_output"`
		Violations []struct {
			Path, Problem, Expected, Got string
		} `json:"violations"`
	} `json:"error"`
}

func code(e errorBody) string {
	if e.Error.Code == nil {
		return ""
	}
	return *e.Error.Code
}

// events parses a server-sent event stream into its data payloads, and
// reports whether it ended with [DONE].
func events(t *testing.T, b []byte) ([]completion, bool) {
	t.Helper()
	var out []completion
	done := false
	for _, ev := range strings.Split(string(b), "\n\n") {
		ev = strings.TrimSpace(ev)
		if ev == "" {
			continue
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			t.Fatalf("not a data event: %q", ev)
		}
		if done {
			t.Fatalf("event after [DONE]: %q", ev)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		out = append(out, decode[completion](t, []byte(data)))
	}
	return out, done
}

// person is the schema's Go shape; validPerson checks a document.
type person struct {
	Name  string `json:"name"`
	Age   int    `json:"age"`
	Email string `json:"email"`
}

func validPerson(t *testing.T, doc string) person {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var p person
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("answer %q is not a person: %v", doc, err)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(doc), &m)
	for _, f := range []string{"name", "age", "email"} {
		if _, ok := m[f]; !ok {
			t.Fatalf("answer %q lacks %s", doc, f)
		}
	}
	return p
}

func header(h http.Header, k string) int {
	n, _ := strconv.Atoi(h.Get(k))
	return n
}
