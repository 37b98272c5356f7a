package gemini_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/gemini"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type Person struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

type answer struct {
	status int
	header map[string]string
	body   string
}

// server answers with the given answers in order and records the requests.
type server struct {
	mu      sync.Mutex
	answers []answer
	paths   []string
	bodies  [][]byte
	headers []http.Header
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.bodies)
	s.paths = append(s.paths, r.URL.Path)
	s.bodies = append(s.bodies, b)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	if n >= len(s.answers) {
		http.Error(w, "no more answers", 500)
		return
	}
	a := s.answers[n]
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	if a.status == 0 {
		a.status = 200
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (s *server) request(t *testing.T, i int) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.bodies[i], &m); err != nil {
		t.Fatalf("request %d: %v: %s", i, err, s.bodies[i])
	}
	return m
}

// textAnswer is a candidate whose one part is text.
func textAnswer(text, finish string) string {
	b, _ := json.Marshal(text)
	return `{"candidates":[{"content":{"role":"model","parts":[{"text":` + string(b) + `}]},"finishReason":"` + finish + `","index":0}],` +
		`"usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":9,"totalTokenCount":49},"modelVersion":"gemini-test-001","responseId":"resp-1"}`
}

// callAnswer is a candidate that calls function person with args.
func callAnswer(args, signature string) string {
	sig := ""
	if signature != "" {
		sig = `,"thoughtSignature":"` + signature + `"`
	}
	return `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"person","args":` + args + `}` + sig + `}]},"finishReason":"STOP","index":0}],` +
		`"usageMetadata":{"promptTokenCount":60,"candidatesTokenCount":12,"thoughtsTokenCount":30,"totalTokenCount":102},"modelVersion":"gemini-test-001"}`
}

// golden compares got, indented, with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: %v: %s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file:\n got %s\nwant %s", name, buf.Bytes(), want)
	}
}

var personSchema = json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
	`"properties":{"name":{"type":"string"},"age":{"type":["integer","null"],"minimum":0},"email":{"type":"string","format":"email"}},` +
	`"required":["name","age"],"additionalProperties":false}`)

// TestRequestGolden: the body of each mode's request, byte for byte, and
// where it goes: the model in the path, the key in x-goog-api-key.
func TestRequestGolden(t *testing.T) {
	temp := 0.0
	conversation := []reask.Message{
		{Role: reask.RoleSystem, Content: "Extract the person."},
		{Role: reask.RoleUser, Content: "Mike (45)"},
	}
	toolReask := []reask.Message{
		conversation[0], conversation[1],
		{Role: reask.RoleAssistant, ToolCalls: []reask.ToolCall{
			{ID: "gemini-call-0~c2lnLTE=", Name: "person", Arguments: `{"name":"Mike"}`},
			{ID: "call-7", Name: "person", Arguments: `not json`},
		}},
		{Role: reask.RoleTool, ToolCallID: "gemini-call-0~c2lnLTE=", Content: "/age: missing required field", IsError: true},
		{Role: reask.RoleTool, ToolCallID: "call-7", Content: "See the feedback on the first call.", IsError: true},
	}
	textReask := []reask.Message{
		conversation[0], conversation[1],
		{Role: reask.RoleAssistant, Content: `{"name":"Mike"}`},
		{Role: reask.RoleUser, Content: "/age: missing required field"},
	}
	for _, tc := range []struct {
		name   string
		legacy bool
		req    reask.Request
	}{
		{"json_schema", false, reaskRequest(conversation, "json_schema", &temp, 256)},
		{"json_schema_legacy", true, reaskRequest(conversation, "json_schema", nil, 0)},
		{"json_schema_reask", false, reaskRequest(textReask, "json_schema", nil, 0)},
		{"json_object", false, reaskRequest(conversation, "json_object", nil, 0)},
		{"tools", false, reaskRequest(conversation, "tools", nil, 0)},
		{"tools_reask", false, reaskRequest(toolReask, "tools", nil, 0)},
		{"tools_legacy", true, reaskRequest(conversation, "tools", nil, 0)},
		{"text", false, reaskRequest(conversation, "text", nil, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{answers: []answer{{body: textAnswer(`{"name":"Mike","age":45}`, "STOP")}}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL + "/v1beta/", APIKey: "AIza-test-key-0123", Model: "gemini-test", LegacySchema: tc.legacy})
			if _, err := p.Complete(t.Context(), &tc.req); err != nil {
				t.Fatal(err)
			}
			if s.paths[0] != "/v1beta/models/gemini-test:generateContent" {
				t.Errorf("path %s", s.paths[0])
			}
			if h := s.headers[0]; h.Get("x-goog-api-key") != "AIza-test-key-0123" || h.Get("Authorization") != "" {
				t.Errorf("headers %v", h)
			}
			golden(t, "request_"+tc.name+".json", s.bodies[0])
		})
	}
}

func reaskRequest(msgs []reask.Message, mode string, temp *float64, maxTokens int) reask.Request {
	return reask.Request{Messages: msgs, Mode: reask.Mode(mode), Schema: personSchema, SchemaName: "person",
		Temperature: temp, MaxTokens: maxTokens}
}

// TestModelOverride: a request's model goes into the path, escaped, with
// "models/" in front accepted.
func TestModelOverride(t *testing.T) {
	s := &server{answers: []answer{{body: textAnswer("hi", "STOP")}, {body: textAnswer("hi", "STOP")}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL + "/v1beta", Model: "models/gemini-a"})
	if p.Name() != "gemini/gemini-a" {
		t.Errorf("name %q", p.Name())
	}
	for _, m := range []string{"", "models/gemini-b"} {
		if _, err := p.Complete(t.Context(), &reask.Request{Model: m, Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if s.paths[0] != "/v1beta/models/gemini-a:generateContent" || s.paths[1] != "/v1beta/models/gemini-b:generateContent" {
		t.Errorf("paths %v", s.paths)
	}
	if _, err := gemini.NewProvider(gemini.Config{BaseURL: srv.URL}).Complete(t.Context(), &reask.Request{}); err == nil || !strings.Contains(err.Error(), "no model") {
		t.Errorf("no model: %v", err)
	}
}

// TestDecode: what a GenerateContentResponse becomes — content without
// the thought parts, tool calls with ids that carry their signatures,
// finish reasons in OpenAI's words, and usage with thinking counted as
// output.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want reask.Response
	}{
		{"text, thoughts left out",
			`{"candidates":[{"content":{"role":"model","parts":[{"text":"thinking…","thought":true},{"text":"{\"a\":"},{"text":"1}","thoughtSignature":"abc"}]},"finishReason":"STOP"}],` +
				`"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":7,"cachedContentTokenCount":4,"totalTokenCount":22},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`,
			reask.Response{Content: `{"a":1}`, FinishReason: "stop", Model: "gemini-2.5-flash", RequestID: "r1",
				Usage: reask.Usage{PromptTokens: 10, CompletionTokens: 12, TotalTokens: 22, CachedPromptTokens: 4}}},
		{"MAX_TOKENS is length",
			`{"candidates":[{"content":{"parts":[{"text":"{\"a\":"}]},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}}`,
			reask.Response{Content: `{"a":`, FinishReason: "length", Usage: reask.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}},
		{"SAFETY is a refusal",
			`{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}]}`,
			reask.Response{FinishReason: "content_filter", Refusal: "Gemini stopped the answer (finishReason SAFETY)"}},
		{"RECITATION is a refusal",
			`{"candidates":[{"finishReason":"RECITATION","finishMessage":"quoted a source"}]}`,
			reask.Response{FinishReason: "content_filter", Refusal: "Gemini stopped the answer (finishReason RECITATION): quoted a source"}},
		{"function calls, with and without id",
			`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"person","args":{"name":"Mike"}},"thoughtSignature":"c2ln"},{"functionCall":{"id":"fc-9","name":"person"}}]},"finishReason":"STOP"}]}`,
			reask.Response{FinishReason: "tool_calls", ToolCalls: []reask.ToolCall{
				{ID: "gemini-call-0~c2ln", Name: "person", Arguments: `{"name":"Mike"}`},
				{ID: "fc-9", Name: "person", Arguments: `{}`}}}},
		{"MALFORMED_FUNCTION_CALL passed on",
			`{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]}`,
			reask.Response{FinishReason: "malformed_function_call"}},
		{"no candidate, no block", `{"usageMetadata":{"promptTokenCount":3}}`,
			reask.Response{Usage: reask.Usage{PromptTokens: 3, TotalTokens: 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&server{answers: []answer{{body: tc.body}}})
			defer srv.Close()
			p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m"})
			got, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want.Model == "" {
				want.Model = "m"
			}
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

// TestBlockedPrompt: a prompt blocked before any candidate is a request
// that cannot succeed as sent — one call, no re-ask, no retry — whose
// error names the block reason.
func TestBlockedPrompt(t *testing.T) {
	s := &server{answers: []answer{{body: `{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":8}}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m"})
	c := reasktest.NewClient(t, p, reask.Config{Clock: clock.NewFake(time.Unix(0, 0))})
	_, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
	var pe *reask.ProviderError
	if !errors.As(err, &pe) || pe.Kind != reask.KindBadRequest || pe.Code != "SAFETY" || !strings.Contains(pe.Error(), "blockReason SAFETY") {
		t.Fatalf("error %v, want a bad request naming blockReason SAFETY", err)
	}
	if len(s.bodies) != 1 || rep.Calls != 1 {
		t.Errorf("%d requests, %d calls; want one", len(s.bodies), rep.Calls)
	}
}

// TestReaskTools: in tools mode a failed call is answered with a
// functionResponse named after it, in the user turn after the model turn
// that replays the call with its thoughtSignature; the id the API did not
// give is not sent.
func TestReaskTools(t *testing.T) {
	s := &server{answers: []answer{
		{body: callAnswer(`{"name":"Mike"}`, "c2lnLTE=")},
		{body: callAnswer(`{"name":"Mike","age":45}`, "")},
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, APIKey: "AIza-test-key-0123", Model: "gemini-test"})
	c := reasktest.NewClient(t, p, reask.Config{Mode: reask.ModeTools})
	got, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
	if err != nil {
		t.Fatal(err)
	}
	if got != (Person{"Mike", 45}) || rep.Attempts != 2 {
		t.Errorf("got %+v after %d attempts", got, rep.Attempts)
	}
	if rep.Usage.CompletionTokens != 84 {
		t.Errorf("completion tokens %d, want 2×(12+30): thinking is output", rep.Usage.CompletionTokens)
	}
	second := s.request(t, 1)
	contents := second["contents"].([]any)
	if len(contents) != 3 {
		t.Fatalf("re-ask has %d contents, want user, model, user: %s", len(contents), s.bodies[1])
	}
	model := contents[1].(map[string]any)
	part := model["parts"].([]any)[0].(map[string]any)
	fc := part["functionCall"].(map[string]any)
	if model["role"] != "model" || part["thoughtSignature"] != "c2lnLTE=" || fc["id"] != nil || fc["name"] != "person" {
		t.Errorf("model turn %v", model)
	}
	user := contents[2].(map[string]any)
	fr := user["parts"].([]any)[0].(map[string]any)["functionResponse"].(map[string]any)
	msg, _ := fr["response"].(map[string]any)["error"].(string)
	if user["role"] != "user" || fr["name"] != "person" || fr["id"] != nil || !strings.Contains(msg, "/age") {
		t.Errorf("function response %v", fr)
	}
	if tc := second["toolConfig"].(map[string]any)["functionCallingConfig"].(map[string]any); tc["mode"] != "ANY" {
		t.Errorf("toolConfig %v", tc)
	}
}

// TestRetryInfoPaces: a per-minute RESOURCE_EXHAUSTED waits what its
// RetryInfo says, then succeeds; a daily quota stops at once.
func TestRetryInfoPaces(t *testing.T) {
	perMinute := `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"}]},` +
		`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`
	perDay := strings.Replace(strings.Replace(perMinute, "PerMinute", "PerDay", 1), `"10"`, `"250"`, 1)
	t.Run("per minute", func(t *testing.T) {
		s := &server{answers: []answer{{status: 429, body: perMinute}, {body: textAnswer(`{"name":"Mike","age":45}`, "STOP")}}}
		srv := httptest.NewServer(s)
		defer srv.Close()
		clk := clock.NewFake(time.Unix(1700000000, 0))
		p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m", Clock: clk})
		c := reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0.5 }})
		got, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
		if err != nil || got.Age != 45 {
			t.Fatalf("%+v %v", got, err)
		}
		if rep.Calls != 2 || rep.Records[0].Calls[0].Outcome != reask.KindRateLimit {
			t.Errorf("calls %d, first %s", rep.Calls, rep.Records[0].Calls[0].Outcome)
		}
		if sl := clk.Sleeps(); len(sl) != 1 || sl[0] != 7*time.Second {
			t.Errorf("sleeps %v, want the 7s RetryInfo asked for", sl)
		}
	})
	t.Run("per day", func(t *testing.T) {
		s := &server{answers: []answer{{status: 429, body: perDay}}}
		srv := httptest.NewServer(s)
		defer srv.Close()
		clk := clock.NewFake(time.Unix(1700000000, 0))
		p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m", Clock: clk})
		c := reasktest.NewClient(t, p, reask.Config{Clock: clk})
		_, _, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
		var pe *reask.ProviderError
		if !errors.As(err, &pe) || pe.Kind != reask.KindQuota || pe.RetryAfter != 0 {
			t.Fatalf("error %v, want KindQuota", err)
		}
		if len(s.bodies) != 1 || len(clk.Sleeps()) != 0 {
			t.Errorf("%d requests, sleeps %v: a spent daily quota is not retried", len(s.bodies), clk.Sleeps())
		}
	})
}

// TestFilteredAndTruncatedAreReasked: an answer stopped by SAFETY and one
// cut at MAX_TOKENS are content failures, re-asked.
func TestFilteredAndTruncatedAreReasked(t *testing.T) {
	s := &server{answers: []answer{
		{body: `{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}]}`},
		{body: textAnswer(`{"name":"Mi`, "MAX_TOKENS")},
		{body: textAnswer(`{"name":"Mike","age":45}`, "STOP")},
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m"})
	c := reasktest.NewClient(t, p, reask.Config{})
	got, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
	if err != nil || got.Age != 45 {
		t.Fatalf("%+v %v", got, err)
	}
	if rep.Attempts != 3 || rep.Records[0].Outcome != reask.KindRefusal || rep.Records[1].Outcome != reask.KindTruncated {
		t.Errorf("attempts %d: %s, %s", rep.Attempts, rep.Records[0].Outcome, rep.Records[1].Outcome)
	}
}

// TestEchoedKeyIsScrubbed: a key the server echoes, in an error or the
// content, reaches neither the error nor the response.
func TestEchoedKeyIsScrubbed(t *testing.T) {
	const key = "AIzaSyA-1234567890abcdefghijklmnopqrstu"
	for _, a := range []answer{
		{status: 400, body: `{"error":{"code":400,"message":"API key not valid: ` + key + `","status":"INVALID_ARGUMENT"}}`},
		{status: 502, body: "bad gateway for " + key},
		{body: textAnswer("the key is "+key, "STOP")},
	} {
		srv := httptest.NewServer(&server{answers: []answer{a}})
		p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, APIKey: key, Model: "m"})
		resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
		srv.Close()
		text := fmt.Sprintf("%v %+v", err, resp)
		if strings.Contains(text, key) || !strings.Contains(text, "[redacted]") {
			t.Errorf("key not scrubbed: %s", text)
		}
	}
}

// TestRedirectsAreNotFollowed: a redirect is an error, and the request
// (with its key) is not sent where it points.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, APIKey: "AIza-test-key-0123", Model: "m"})
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
	var pe *reask.ProviderError
	if !errors.As(err, &pe) || pe.StatusCode != 307 || !strings.Contains(pe.Message, "redirects are not followed") || elsewhere != 0 {
		t.Errorf("error %v, %d requests where it pointed", err, elsewhere)
	}
}

// TestBadRequests: a conversation the API cannot take is refused before
// anything is sent.
func TestBadRequests(t *testing.T) {
	s := &server{}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, Model: "m"})
	for _, tc := range []struct {
		name string
		req  reask.Request
		want string
	}{
		{"a tool message for no call", reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}, {Role: reask.RoleTool, ToolCallID: "x", Content: "?"}}}, `answers call "x"`},
		{"an unknown role", reask.Request{Messages: []reask.Message{{Role: "robot", Content: "hi"}}}, `unknown role "robot"`},
		{"an unknown mode", reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}, Mode: "xml", Schema: personSchema}, `unknown mode "xml"`},
		{"a schema that is not an object", reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}, Schema: json.RawMessage(`[1]`)}, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Complete(t.Context(), &tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if len(s.bodies) != 0 {
		t.Errorf("%d requests sent", len(s.bodies))
	}
}
