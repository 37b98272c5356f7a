package reask_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// step is one scripted answer of the fake provider.
type step struct {
	status  int               // default 200
	header  map[string]string // response headers
	body    string            // raw body; default built from content
	content string            // assistant content for a 200 answer
	finish  string            // finish_reason; default "stop"
	tool    bool              // answer content as a tool call's arguments
	drop    bool              // close the connection without answering
}

// script is an httptest OpenAI-compatible server answering with steps in
// order and recording every request body.
type script struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	steps []step
	reqs  []map[string]any
}

func newScript(t *testing.T, steps ...step) *script {
	t.Helper()
	s := &script{t: t, steps: steps}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) serve(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(data, &req); err != nil {
		s.t.Errorf("request body is not JSON: %v", err)
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	if n >= len(s.steps) {
		s.mu.Unlock()
		s.t.Errorf("unexpected call %d (script has %d steps)", n+1, len(s.steps))
		http.Error(w, `{"error":{"message":"script exhausted","type":"server_error"}}`, 500)
		return
	}
	st := s.steps[n]
	s.mu.Unlock()
	if st.drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			s.t.Fatal("cannot hijack")
		}
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	status := st.status
	if status == 0 {
		status = 200
	}
	body := st.body
	if body == "" && status == 200 {
		body = completion(st.content, st.finish, st.tool)
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// calls returns the number of requests received.
func (s *script) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// request returns the i-th request body (from 0).
func (s *script) request(i int) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[i]
}

// messages returns the i-th request's messages.
func (s *script) messages(i int) []map[string]any {
	var out []map[string]any
	for _, m := range s.request(i)["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

func completion(content, finish string, tool bool) string {
	if finish == "" {
		finish = "stop"
	}
	msg := map[string]any{"role": "assistant", "content": content}
	if tool {
		if finish == "stop" {
			finish = "tool_calls"
		}
		msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_1", "type": "function",
			"function": map[string]any{"name": "person", "arguments": content}}}}
	}
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	})
	return string(b)
}

func apiError(typ, code, msg string) string {
	return fmt.Sprintf(`{"error":{"message":%q,"type":%q,"code":%q,"param":null}}`, msg, typ, code)
}
