package anthropic_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
)

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
	reqs    []map[string]any
	bodies  [][]byte
	headers []http.Header
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &req)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.bodies = append(s.bodies, b)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	if r.URL.Path != "/v1/messages" {
		http.Error(w, "wrong path "+r.URL.Path, 404)
		return
	}
	a := s.answers[n]
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("request-id", "req_test")
	if a.status == 0 {
		a.status = 200
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func toolUse(id, input string) string {
	return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","stop_reason":"tool_use",
	"content":[{"type":"tool_use","id":"` + id + `","name":"person","input":` + input + `}],
	"usage":{"input_tokens":50,"output_tokens":10}}`
}

func TestReaskAnswersEveryToolUse(t *testing.T) {
	s := &server{answers: []answer{
		{status: 529, body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		{body: toolUse("toolu_1", `{"name":"Mike"}`)},
		{body: toolUse("toolu_2", `{"name":"Mike","age":45}`), header: map[string]string{
			"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
			"anthropic-ratelimit-requests-reset": "2026-01-02T03:04:06Z"}},
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, APIKey: "sk-ant-secret", Model: "claude-test", Clock: clk})
	c := reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0.5 }})
	got, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
	if err != nil {
		t.Fatal(err)
	}
	if got != (Person{"Mike", 45}) {
		t.Errorf("got %+v", got)
	}
	if rep.Calls != 3 || rep.Attempts != 2 || rep.Records[0].Calls[0].Outcome != reask.KindServer {
		t.Errorf("calls %d attempts %d first call %s", rep.Calls, rep.Attempts, rep.Records[0].Calls[0].Outcome)
	}
	if sl := clk.Sleeps(); len(sl) != 1 {
		t.Errorf("sleeps %v, want one backoff after the 529", sl)
	}
	first := s.reqs[0]
	if first["system"] == "" || first["max_tokens"] != 4096.0 || first["model"] != "claude-test" {
		t.Errorf("first request %v", first)
	}
	if tc := first["tool_choice"].(map[string]any); tc["type"] != "tool" || tc["name"] != "person" {
		t.Errorf("tool_choice %v", tc)
	}
	if h := s.headers[0]; h.Get("x-api-key") != "sk-ant-secret" || h.Get("anthropic-version") != "2023-06-01" {
		t.Errorf("headers %v", h)
	}
	msgs := s.reqs[2]["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("re-ask has %d messages, want user, assistant, user", len(msgs))
	}
	asst := msgs[1].(map[string]any)["content"].([]any)[0].(map[string]any)
	if asst["type"] != "tool_use" || asst["id"] != "toolu_1" {
		t.Errorf("assistant turn %v", asst)
	}
	res := msgs[2].(map[string]any)["content"].([]any)[0].(map[string]any)
	if res["type"] != "tool_result" || res["tool_use_id"] != "toolu_1" || res["is_error"] != true ||
		!strings.Contains(res["content"].(string), "/age: missing required field") {
		t.Errorf("tool_result %v", res)
	}
}

// toolUses is an answer with one tool_use block per input, ids toolu_1, toolu_2, ….
func toolUses(inputs ...string) string {
	var blocks []string
	for i, in := range inputs {
		blocks = append(blocks, `{"type":"tool_use","id":"toolu_`+strconv.Itoa(i+1)+`","name":"person","input":`+in+`}`)
	}
	return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","stop_reason":"tool_use",
	"content":[` + strings.Join(blocks, ",") + `],"usage":{"input_tokens":50,"output_tokens":10}}`
}

// TestReaskAnswersToolUsesInOrder checks the whole re-ask body after an
// answer with several tool_use blocks: the first request unchanged, then
// the failed answer as it came, then one is_error tool_result per tool_use
// in the same order, the feedback in the first (which answers the call
// that was checked) and a pointer to it in the others.
func TestReaskAnswersToolUsesInOrder(t *testing.T) {
	tests := []struct {
		name   string
		inputs []string
	}{
		{"two tool_use blocks", []string{`{"name":"Mike"}`, `{"name":"Ann","age":30}`}},
		{"three tool_use blocks", []string{`{"name":"Mike"}`, `{"name":"Ann","age":30}`, `{"age":7}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &server{answers: []answer{
				{body: toolUses(tt.inputs...)},
				{body: toolUse("toolu_9", `{"name":"Mike","age":45}`)},
			}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, Model: "claude-test", Clock: clk})
			c := reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0.5 }})
			got, rep, err := reask.Extract[Person](t.Context(), c, "Mike (45)")
			if err != nil {
				t.Fatal(err)
			}
			if got != (Person{"Mike", 45}) || rep.Attempts != 2 || len(s.bodies) != 2 {
				t.Fatalf("got %+v after %d attempts and %d requests", got, rep.Attempts, len(s.bodies))
			}

			var body map[string]any
			if err := json.Unmarshal(s.bodies[1], &body); err != nil {
				t.Fatal(err)
			}
			msgs, _ := body["messages"].([]any)
			if len(msgs) != 3 {
				t.Fatalf("re-ask has %d messages, want user, assistant, user: %s", len(msgs), s.bodies[1])
			}
			// The feedback text is reask's; here it only has to name the
			// violation of the checked (first) call.
			results, _ := msgs[2].(map[string]any)["content"].([]any)
			first, _ := results[0].(map[string]any)
			feedback, _ := first["content"].(string)
			if !strings.Contains(feedback, "/age: missing required field") {
				t.Errorf("first tool_result %v lacks the feedback", first)
			}

			var uses, want []string
			for i, in := range tt.inputs {
				id := "toolu_" + strconv.Itoa(i+1)
				uses = append(uses, `{"type":"tool_use","id":"`+id+`","name":"person","input":`+in+`}`)
				content := "See the feedback on the first call."
				if i == 0 {
					content = feedback
				}
				c, _ := json.Marshal(content)
				want = append(want, `{"type":"tool_result","tool_use_id":"`+id+`","content":`+string(c)+`,"is_error":true}`)
			}
			var expected map[string]any
			if err := json.Unmarshal(s.bodies[0], &expected); err != nil {
				t.Fatal(err)
			}
			var turns []any
			if err := json.Unmarshal([]byte(`[{"role":"assistant","content":[`+strings.Join(uses, ",")+`]},
				{"role":"user","content":[`+strings.Join(want, ",")+`]}]`), &turns); err != nil {
				t.Fatal(err)
			}
			expected["messages"] = append(expected["messages"].([]any), turns...)
			if !reflect.DeepEqual(body, expected) {
				g, _ := json.MarshalIndent(body, "", "  ")
				w, _ := json.MarshalIndent(expected, "", "  ")
				t.Errorf("re-ask body\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestToolResultsKeepTheirOrder encodes tool messages followed by a user
// message: the tool_results stay in their order, ahead of the text.
func TestToolResultsKeepTheirOrder(t *testing.T) {
	s := &server{answers: []answer{{body: toolUse("toolu_x", `{}`)}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, Model: "m", MaxTokens: 10})
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{
		{Role: reask.RoleUser, Content: "hi"},
		{Role: reask.RoleAssistant, ToolCalls: []reask.ToolCall{{ID: "a", Name: "f", Arguments: `{}`}, {ID: "b", Name: "f", Arguments: `{}`}, {ID: "c", Name: "f", Arguments: `{}`}}},
		{Role: reask.RoleTool, ToolCallID: "a", Content: "first", IsError: true},
		{Role: reask.RoleTool, ToolCallID: "b", Content: "second"},
		{Role: reask.RoleUser, Content: "and then"},
		{Role: reask.RoleTool, ToolCallID: "c", Content: "third"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","max_tokens":10,"messages":[` +
		`{"role":"user","content":[{"type":"text","text":"hi"}]},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{}},{"type":"tool_use","id":"b","name":"f","input":{}},{"type":"tool_use","id":"c","name":"f","input":{}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"first","is_error":true},` +
		`{"type":"tool_result","tool_use_id":"b","content":"second"},` +
		`{"type":"tool_result","tool_use_id":"c","content":"third"},` +
		`{"type":"text","text":"and then"}]}]}`
	if got := string(s.bodies[0]); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

// TestErrors: the provider reads each error answer of Anthropic's errors
// page into its type, status, wait and the kind reask acts on (issue 14):
// reask itself knows no type or message. Bodies are the API's, ids and
// numbers aside.
func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		a      answer
		typ    string
		status int
		retry  time.Duration
		want   reask.Kind
	}{
		{"429 rate_limit_error with retry-after", answer{status: 429, header: map[string]string{"retry-after": "3"},
			body: `{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."},"request_id":"req_011"}`},
			"rate_limit_error", 429, 3 * time.Second, reask.KindRateLimit},
		{"529 overloaded_error", answer{status: 529, body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}`},
			"overloaded_error", 529, 0, reask.KindServer},
		{"500 api_error", answer{status: 500, body: `{"type":"error","error":{"type":"api_error","message":"Internal server error"},"request_id":"req_011"}`},
			"api_error", 500, 0, reask.KindServer},
		{"400 prompt is too long", answer{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"},"request_id":"req_011"}`},
			"invalid_request_error", 400, 0, reask.KindContextLength},
		{"400 input and max_tokens exceed the context", answer{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"input length and ` + "`max_tokens`" + ` exceed context limit: 197626 + 8192 > 200000, decrease input length or ` + "`max_tokens`" + ` and try again"},"request_id":"req_011"}`},
			"invalid_request_error", 400, 0, reask.KindContextLength},
		{"400 credit balance", answer{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."},"request_id":"req_011"}`},
			"invalid_request_error", 400, 0, reask.KindQuota},
		{"billing_error", answer{status: 402, body: `{"type":"error","error":{"type":"billing_error","message":"There is an issue with your billing or payment information."},"request_id":"req_011"}`},
			"billing_error", 402, 0, reask.KindQuota},
		{"400 invalid_request_error", answer{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"tools.0.input_schema: JSON schema is invalid"},"request_id":"req_011"}`},
			"invalid_request_error", 400, 0, reask.KindBadRequest},
		{"401 authentication_error", answer{status: 401, body: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011"}`},
			"authentication_error", 401, 0, reask.KindAuth},
		{"403 permission_error", answer{status: 403, body: `{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."},"request_id":"req_011"}`},
			"permission_error", 403, 0, reask.KindAuth},
		{"404 not_found_error", answer{status: 404, body: `{"type":"error","error":{"type":"not_found_error","message":"model: claude-typo"},"request_id":"req_011"}`},
			"not_found_error", 404, 0, reask.KindBadRequest},
		{"413 request_too_large", answer{status: 413, body: `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`},
			"request_too_large", 413, 0, reask.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &server{answers: []answer{tt.a}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL + "/v1", APIKey: "sk-ant-secret", Model: "m"})
			_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			pe, ok := err.(*reask.ProviderError)
			if !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if pe.Type != tt.typ || pe.StatusCode != tt.status || pe.RetryAfter != tt.retry || pe.RequestID != "req_test" {
				t.Errorf("got %+v", pe)
			}
			if pe.Kind != tt.want {
				t.Errorf("kind %q, want %q (%v)", pe.Kind, tt.want, pe)
			}
			if got := anthropic.Classify(pe); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
			if strings.Contains(pe.Error(), "sk-ant-secret") {
				t.Errorf("key leaked: %v", pe)
			}
		})
	}
}

func TestStopReasons(t *testing.T) {
	s := &server{answers: []answer{{body: `{"content":[{"type":"text","text":"{\"name\":"}],"stop_reason":"max_tokens","usage":{"input_tokens":5,"output_tokens":7}}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, Model: "m"})
	resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "length" || resp.Content != `{"name":` || resp.Usage.TotalTokens != 12 {
		t.Errorf("got %+v", resp)
	}
}

// TestEchoedKeyIsScrubbed: a key the server (or a proxy before it)
// echoes — whole or masked, in an error, the request id or the content —
// reaches neither the error nor the response (issue 12, item 5).
func TestEchoedKeyIsScrubbed(t *testing.T) {
	const key = "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90-wxyzAA"
	masked := key[:10] + "..." + key[len(key)-4:]
	for _, tc := range []struct {
		name string
		a    answer
	}{
		{"masked in a 401", answer{status: 401, header: map[string]string{"request-id": "req " + key},
			body: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + masked + `"}}`}},
		{"whole in a 400 that is not JSON", answer{status: 400, body: "bad key " + key}},
		{"in the content", answer{header: map[string]string{"request-id": key},
			body: `{"content":[{"type":"text","text":"the key is ` + key + ` or ` + masked + `"}],"stop_reason":"end_turn"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&server{answers: []answer{tc.a}})
			defer srv.Close()
			p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, APIKey: key, Model: "m"})
			resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			text := fmt.Sprintf("%v %+v", err, resp)
			for _, secret := range []string{key, masked} {
				if strings.Contains(text, secret) {
					t.Fatalf("%q reached the caller: %s", secret, text)
				}
			}
			if !strings.Contains(text, "[redacted]") {
				t.Errorf("nothing redacted: %s", text)
			}
		})
	}
}

// Anthropic's input_tokens leaves out the prompt tokens read from and
// written to the prompt cache: reask's prompt tokens count them all, the
// cached ones apart, so that they are priced at the cached-input price.
func TestCachedPromptTokens(t *testing.T) {
	s := &server{answers: []answer{{body: `{"content":[{"type":"text","text":"{}"}],"stop_reason":"end_turn",
		"usage":{"input_tokens":20,"cache_read_input_tokens":1000,"cache_creation_input_tokens":30,"output_tokens":7}}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, Model: "m"})
	resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := reask.Usage{PromptTokens: 1050, CachedPromptTokens: 1000, CompletionTokens: 7, TotalTokens: 1057}
	if resp.Usage != want {
		t.Errorf("usage %+v, want %+v", resp.Usage, want)
	}
}
