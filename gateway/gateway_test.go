package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

func TestSchemaRequestIsReaskedIntoValidJSON(t *testing.T) {
	up, rec := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, nil)
	body := schemaRequest(`,"temperature":0.2,"seed":42,"max_tokens":300,"user":"u-1","top_p":0.9`)
	status, h, b := call(t, gw, body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	c := decode[completion](t, b)
	if c.Object != "chat.completion" || c.ID == "" || c.Created == 0 || c.Model != model || len(c.Choices) != 1 {
		t.Fatalf("completion %s", b)
	}
	ch := c.Choices[0]
	if ch.Message.Role != "assistant" || ch.Message.Content == nil || *ch.FinishReason != "stop" {
		t.Fatalf("choice %s", b)
	}
	if p := validPerson(t, *ch.Message.Content); p.Name != "John Doe" || p.Age != 30 || p.Email != "john@email.com" {
		t.Errorf("person %+v", p)
	}
	reqs := rec.requests()
	if len(reqs) != 2 || header(h, "X-Reask-Attempts") != 2 || header(h, "X-Reask-Calls") != 2 {
		t.Fatalf("upstream calls %d, headers %v", len(reqs), h)
	}
	if header(h, "X-Reask-Wasted-Tokens") <= 0 || h.Get("X-Reask-Repairs") != "0" || h.Get("X-Reask-Upstream") != "sim" {
		t.Errorf("headers %v", h)
	}
	// usage sums both attempts: more than the wasted first one.
	if c.Usage == nil || c.Usage.TotalTokens <= header(h, "X-Reask-Wasted-Tokens") || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
		t.Errorf("usage %+v, wasted %s", c.Usage, h.Get("X-Reask-Wasted-Tokens"))
	}

	// The first upstream request is the client's: same messages (byte for
	// byte), same sampling fields, the schema as a response format, no
	// stream; the second appends the failed answer and the feedback.
	var client, first, second map[string]json.RawMessage
	_ = json.Unmarshal([]byte(body), &client)
	_ = json.Unmarshal(reqs[0].body, &first)
	_ = json.Unmarshal(reqs[1].body, &second)
	if !bytes.Equal(compact(t, first["messages"]), compact(t, client["messages"])) {
		t.Errorf("first request's messages %s, want the client's %s", first["messages"], client["messages"])
	}
	for _, f := range []string{"temperature", "seed", "max_tokens", "user", "top_p", "model"} {
		if !bytes.Equal(first[f], client[f]) || !bytes.Equal(second[f], client[f]) {
			t.Errorf("field %s: upstream got %s and %s, client sent %s", f, first[f], second[f], client[f])
		}
	}
	var msgs []map[string]any
	_ = json.Unmarshal(second["messages"], &msgs)
	if len(msgs) != 4 || msgs[2]["role"] != "assistant" || msgs[3]["role"] != "user" ||
		!strings.Contains(msgs[3]["content"].(string), "does not match the schema") {
		t.Errorf("re-ask messages %s", second["messages"])
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		} `json:"json_schema"`
	}
	_ = json.Unmarshal(first["response_format"], &rf)
	if rf.Type != "json_schema" || rf.JSONSchema.Name != "person" || rf.JSONSchema.Strict {
		t.Errorf("response format %s", first["response_format"])
	}
	if _, ok := first["stream"]; ok {
		t.Error("the upstream request must not stream")
	}
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBrokenJSONIsRepairedWithoutReask(t *testing.T) {
	up, rec := newSim(t, fenced)
	gw, _ := newGateway(t, up.URL, nil)
	status, h, b := call(t, gw, schemaRequest(""))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	c := decode[completion](t, b)
	validPerson(t, *c.Choices[0].Message.Content)
	if len(rec.requests()) != 1 || h.Get("X-Reask-Attempts") != "1" || header(h, "X-Reask-Repairs") < 1 || h.Get("X-Reask-Wasted-Tokens") != "0" {
		t.Errorf("calls %d, headers %v", len(rec.requests()), h)
	}
}

func TestForcedToolGetsAToolCallAnswer(t *testing.T) {
	up, rec := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, nil)
	status, h, b := call(t, gw, toolRequest(""))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	c := decode[completion](t, b)
	ch := c.Choices[0]
	if *ch.FinishReason != "tool_calls" || ch.Message.Content != nil || len(ch.Message.ToolCalls) != 1 {
		t.Fatalf("choice %s", b)
	}
	tc := ch.Message.ToolCalls[0]
	if tc.Type != "function" || tc.Function.Name != "record_person" || tc.ID == "" {
		t.Errorf("tool call %+v", tc)
	}
	validPerson(t, tc.Function.Arguments)
	if h.Get("X-Reask-Attempts") != "2" {
		t.Errorf("attempts %s", h.Get("X-Reask-Attempts"))
	}
	// Upstream: the forced tool, then the re-ask answering the tool call.
	reqs := rec.requests()
	var first, second map[string]json.RawMessage
	_ = json.Unmarshal(reqs[0].body, &first)
	_ = json.Unmarshal(reqs[1].body, &second)
	if !strings.Contains(string(first["tool_choice"]), `"record_person"`) || !strings.Contains(string(first["tools"]), `"Record a person."`) {
		t.Errorf("tools %s, choice %s", first["tools"], first["tool_choice"])
	}
	var msgs []map[string]any
	_ = json.Unmarshal(second["messages"], &msgs)
	if len(msgs) != 4 || msgs[3]["role"] != "tool" || msgs[3]["tool_call_id"] == "" {
		t.Errorf("re-ask %s", second["messages"])
	}
}

func TestExhaustedIs422WithTheProblems(t *testing.T) {
	up, rec := newSim(t, hopeless)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxAttempts = 2 })
	status, h, b := call(t, gw, schemaRequest(""))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", status, b)
	}
	e := decode[errorBody](t, b)
	if code(e) != "reask_exhausted" || e.Error.Type != "invalid_response_error" || e.Error.Param != nil || e.Error.Attempts != 2 || e.Error.LastKind != "schema" {
		t.Errorf("error %s", b)
	}
	if len(e.Error.Violations) == 0 || e.Error.Violations[0].Path == "" || e.Error.Violations[0].Problem == "" {
		t.Errorf("violations %s", b)
	}
	if !strings.Contains(e.Error.Message, e.Error.Violations[0].Path) || e.Error.LastOutput == "" {
		t.Errorf("message %q, last output %q", e.Error.Message, e.Error.LastOutput)
	}
	if len(rec.requests()) != 2 || h.Get("X-Reask-Attempts") != "2" || header(h, "X-Reask-Wasted-Tokens") <= 0 {
		t.Errorf("calls %d headers %v", len(rec.requests()), h)
	}
}

func TestPassThroughForwardsTheBodyAsIs(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	body := plainRequest(`,"temperature":0.7,"seed":3,"logprobs":false`)
	status, h, b := call(t, gw, body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || string(reqs[0].body) != body {
		t.Fatalf("upstream got %q, want the client's body as is", reqs[0].body)
	}
	c := decode[completion](t, b)
	if c.Choices[0].Message.Content == nil || *c.Choices[0].Message.Content == "" || h.Get("X-Request-Id") == "" || h.Get("X-Reask-Attempts") != "1" {
		t.Errorf("answer %s headers %v", b, h)
	}
}

func TestPassThroughRetriesTransportFailures(t *testing.T) {
	n := 0
	up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"message":"overloaded","type":"server_error"}}`))
			return
		}
		w.Write([]byte(`{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	})
	gw, _ := newGateway(t, up.URL, nil)
	status, h, b := call(t, gw, plainRequest(""))
	if status != http.StatusOK || len(rec.requests()) != 2 || h.Get("X-Reask-Calls") != "2" {
		t.Fatalf("status %d, upstream calls %d, headers %v: %s", status, len(rec.requests()), h, b)
	}
	if !strings.Contains(string(b), `"content":"hi"`) {
		t.Errorf("body %s", b)
	}
}

func TestStreamWithSchemaIsValidatedThenStreamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		tool bool
	}{
		{"response format", schemaRequest(`,"stream":true,"stream_options":{"include_usage":true}`), false},
		{"forced tool", toolRequest(`,"stream":true`), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, b := call(t, gw, tc.body)
			if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d, content type %q: %s", status, h.Get("Content-Type"), b)
			}
			chunks, done := events(t, b)
			if !done || len(chunks) < 3 {
				t.Fatalf("stream %s", b)
			}
			var text strings.Builder
			var finish string
			var usage bool
			for i, c := range chunks {
				if c.Object != "chat.completion.chunk" || c.ID != chunks[0].ID {
					t.Errorf("chunk %d: %+v", i, c)
				}
				if c.Usage != nil {
					usage = true
					continue
				}
				d := c.Choices[0].Delta
				if i == 0 && d.Role != "assistant" {
					t.Errorf("first chunk has no role: %+v", d)
				}
				if d.Content != nil {
					text.WriteString(*d.Content)
				}
				for _, tc := range d.ToolCalls {
					text.WriteString(tc.Function.Arguments)
				}
				if c.Choices[0].FinishReason != nil {
					finish = *c.Choices[0].FinishReason
				}
			}
			validPerson(t, text.String())
			want := "stop"
			if tc.tool {
				want = "tool_calls"
				if chunks[0].Choices[0].Delta.ToolCalls[0].Function.Name != "record_person" {
					t.Errorf("first chunk %+v", chunks[0])
				}
			}
			if finish != want || usage != !tc.tool {
				t.Errorf("finish %q usage %v", finish, usage)
			}
			if len(rec.requests()) != 2 || h.Get("X-Reask-Attempts") != "2" {
				t.Errorf("upstream calls %d, attempts %s", len(rec.requests()), h.Get("X-Reask-Attempts"))
			}
			for _, r := range rec.requests() {
				if strings.Contains(string(r.body), `"stream"`) {
					t.Errorf("upstream request streams: %s", r.body)
				}
			}
		})
	}
}

func TestStreamWithoutSchemaIsCopiedThrough(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	body := plainRequest(`,"stream":true,"stream_options":{"include_usage":true}`)
	status, h, b := call(t, gw, body)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q: %s", status, h.Get("Content-Type"), b)
	}
	if reqs := rec.requests(); len(reqs) != 1 || string(reqs[0].body) != body {
		t.Fatalf("upstream got %v", reqs)
	}
	chunks, done := events(t, b)
	if !done {
		t.Fatalf("no [DONE]: %s", b)
	}
	var text strings.Builder
	var usage bool
	for _, c := range chunks {
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
		usage = usage || c.Usage != nil
	}
	if text.Len() == 0 || !usage {
		t.Errorf("text %q usage %v", text.String(), usage)
	}
}

func TestUpstreamErrorsKeepTheirStatusAndShape(t *testing.T) {
	for _, tc := range []struct {
		name             string
		status           int
		body             string
		wantStatus       int
		wantCode, wantTy string
		wantCalls        int
	}{
		{"bad request", 400, `{"error":{"message":"Invalid 'messages[0]'.","type":"invalid_request_error","param":"messages","code":"invalid_value"}}`,
			400, "invalid_value", "invalid_request_error", 1},
		{"quota", 429, `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			429, "insufficient_quota", "insufficient_quota", 1},
		{"context length", 400, `{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			400, "context_length_exceeded", "invalid_request_error", 1},
		{"server error after retries", 500, `{"error":{"message":"boom","type":"server_error"}}`,
			500, "", "server_error", 3},
		{"html 502", 502, `<html>bad gateway</html>`, 502, "", "server_error", 3},
	} {
		for _, schema := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/schema=%v", tc.name, schema), func(t *testing.T) {
				up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tc.status)
					w.Write([]byte(tc.body))
				})
				gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
					reaskMaxRetries(&c.Reask, 2)
				})
				body := plainRequest("")
				if schema {
					body = schemaRequest("")
				}
				status, _, b := call(t, gw, body)
				e := decode[errorBody](t, b)
				if status != tc.wantStatus || code(e) != tc.wantCode || e.Error.Type != tc.wantTy || e.Error.Message == "" {
					t.Errorf("schema %v: status %d body %s", schema, status, b)
				}
				if tc.name == "bad request" && (e.Error.Param == nil || *e.Error.Param != "messages") {
					t.Errorf("param lost: %s", b)
				}
				if n := len(rec.requests()); n != tc.wantCalls {
					t.Errorf("schema %v: upstream calls %d, want %d", schema, n, tc.wantCalls)
				}
			})
		}
	}
}

func TestFallbackUpstreamAnswersWhenThePrimaryFails(t *testing.T) {
	down, downRec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"message":"down","type":"server_error"}}`))
	})
	backup, backupRec := newSim(t, clean)
	gw, _ := newGateway(t, down.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{
			{Name: "primary", BaseURL: down.URL + "/v1", Models: []string{model}},
			{Name: "backup", BaseURL: backup.URL + "/v1", APIKey: upstreamKey, Models: []string{"gpt-4o"}},
		}
		c.Fallbacks = map[string][]string{model: {"backup/gpt-4o"}}
		reaskMaxRetries(&c.Reask, 0)
	})
	for _, body := range []string{schemaRequest(""), plainRequest("")} {
		status, h, b := call(t, gw, body)
		if status != http.StatusOK || h.Get("X-Reask-Upstream") != "backup/gpt-4o" {
			t.Fatalf("status %d upstream %q: %s", status, h.Get("X-Reask-Upstream"), b)
		}
	}
	if len(downRec.requests()) != 2 || len(backupRec.requests()) != 2 {
		t.Errorf("primary saw %d, backup %d", len(downRec.requests()), len(backupRec.requests()))
	}
	for _, r := range backupRec.requests() {
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		if m["model"] != "gpt-4o" {
			t.Errorf("the fallback must be asked for its own model, got %v", m["model"])
		}
	}
}

func TestOpenCircuitFailsFastWith503(t *testing.T) {
	up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"message":"down","type":"server_error"}}`))
	})
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		reaskMaxRetries(&c.Reask, 0)
		reaskBreaker(&c.Reask, 2)
	})
	for range 2 {
		if status, _, b := call(t, gw, plainRequest("")); status != 503 {
			t.Fatalf("status %d: %s", status, b)
		}
	}
	status, h, b := call(t, gw, schemaRequest(""))
	e := decode[errorBody](t, b)
	if status != 503 || code(e) != "circuit_open" || h.Get("Retry-After") == "" {
		t.Errorf("status %d retry-after %q: %s", status, h.Get("Retry-After"), b)
	}
	if len(rec.requests()) != 2 {
		t.Errorf("upstream calls %d: the open circuit must send none", len(rec.requests()))
	}
}

func TestRequestErrors(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams[0].Models = []string{model}
	})
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `{"model":`, 400, "invalid_json"},
		{"no messages", `{"model":"gpt-4o-mini"}`, 400, "missing_required_parameter"},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "missing_required_parameter"},
		{"unknown model", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404, "model_not_found"},
		{"bad schema", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"nonsense"}}}}`, 400, "invalid_json_schema"},
		{"schema without schema", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, 400, "missing_required_parameter"},
		{"n with schema", schemaRequest(`,"n":2`), 400, "invalid_value"},
		{"unknown forced tool", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":[],"tool_choice":{"type":"function","function":{"name":"f"}}}`, 400, "invalid_value"},
		{"bad message with a schema", strings.Replace(schemaRequest(""), personMessages, `[{"content":"no role"}]`, 1), 400, "invalid_value"},
		{"messages not an array", `{"model":"gpt-4o-mini","messages":{"role":"user"}}`, 400, "invalid_value"},
		{"trailing garbage", schemaRequest("") + `x`, 400, "invalid_json"},
		{"role not a string", strings.Replace(schemaRequest(""), personMessages, `[{"role":1,"content":"hi"}]`, 1), 400, "invalid_value"},
		{"content not text", strings.Replace(schemaRequest(""), personMessages, `[{"role":"user","content":5}]`, 1), 400, "invalid_value"},
		{"message not an object", strings.Replace(schemaRequest(""), personMessages, `["hi"]`, 1), 400, "invalid_value"},
		{"no messages with a schema", strings.Replace(schemaRequest(""), personMessages, `[]`, 1), 400, "invalid_value"},
		{"response_format type not a string", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"response_format":{"type":1}}`, 400, "invalid_value"},
		{"strict not a boolean", strings.Replace(schemaRequest(""), `"strict":false`, `"strict":"no"`, 1), 400, "invalid_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, b := call(t, gw, tc.body)
			e := decode[errorBody](t, b)
			if status != tc.status || code(e) != tc.code || e.Error.Type != "invalid_request_error" {
				t.Errorf("status %d: %s", status, b)
			}
		})
	}
	if len(rec.requests()) != 0 {
		t.Errorf("bad requests reached the upstream: %d", len(rec.requests()))
	}
}

func TestJSONObjectModeWritesTheSchemaInATurnOfItsOwn(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.Mode = "json_object" })
	status, _, b := call(t, gw, schemaRequest(""))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	validPerson(t, *decode[completion](t, b).Choices[0].Message.Content)
	var first struct {
		Messages       []map[string]any `json:"messages"`
		ResponseFormat map[string]any   `json:"response_format"`
	}
	_ = json.Unmarshal(rec.requests()[0].body, &first)
	if len(first.Messages) != 3 || first.ResponseFormat["type"] != "json_object" ||
		!strings.Contains(first.Messages[2]["content"].(string), `"additionalProperties":false`) {
		t.Errorf("upstream request %s", rec.requests()[0].body)
	}
}

func TestDefaultModelAndCatchAll(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.DefaultModel = "gpt-4o" })
	status, _, b := call(t, gw, `{"messages":[{"role":"user","content":"hi"}]}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	var m map[string]any
	_ = json.Unmarshal(rec.requests()[0].body, &m)
	if m["model"] != "gpt-4o" {
		t.Errorf("upstream model %v", m["model"])
	}
}

func TestBrokenUpstreamStreamIsNotRetried(t *testing.T) {
	up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops midway
	})
	gw, _ := newGateway(t, up.URL, nil)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", gw.URL+"/v1/chat/completions", strings.NewReader(plainRequest(`,"stream":true`)))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body) // ends early: the gateway passes the cut on
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"Hel"`) || strings.Contains(string(b), "[DONE]") {
		t.Errorf("status %d: %q", resp.StatusCode, b)
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("upstream calls %d: a stream already sent must not be retried", n)
	}
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.UpstreamTimeout = 20 * time.Millisecond
		reaskMaxRetries(&c.Reask, 1)
		c.Reask.NoRetryBudget = true
	})
	for _, body := range []string{schemaRequest(""), plainRequest(""), plainRequest(`,"stream":true`)} {
		status, h, b := call(t, gw, body)
		e := decode[errorBody](t, b)
		if status != http.StatusGatewayTimeout || code(e) != "upstream_timeout" || !strings.Contains(e.Error.Message, "upstream timeout of 20ms") {
			t.Errorf("status %d: %s", status, b)
		}
		if h.Get("X-Reask-Calls") != "2" {
			t.Errorf("calls %s, want 2 (a timeout is retried once): %.60s → %s", h.Get("X-Reask-Calls"), body, b)
		}
	}
}
