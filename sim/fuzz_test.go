package sim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reask/reask/clock"
)

// FuzzChatRequest: any body gets an answer — 200 or an API error — and
// never a panic, on every endpoint.
func FuzzChatRequest(f *testing.F) {
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Extract as JSON: {\"properties\":{\"a\":{\"type\":\"string\"}}} Text: hi"}],"response_format":{"type":"json_object"}}`)
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"n":2}`)
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]},{"role":"tool","tool_call_id":"a","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}}]}`)
	f.Add(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	f.Add(`{"model":"gpt-4o-mini","input":"Text: hi","text":{"format":{"type":"json_schema","name":"a","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}`)
	f.Add(`{"model":"gpt-4o-mini","input":[{"role":"user","content":[{"type":"input_text","text":"Extract as JSON: {\"properties\":{\"a\":{\"type\":\"string\"}}} Text: hi"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{"},{"type":"function_call_output","call_id":"c","output":"x"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}],"stream":true,"max_output_tokens":16}`)
	srv, err := New(Config{Clock: clock.NewFake(t0), Profile: Profile{Faults: map[faultKind]float64{"fence": 0.5, "truncated": 0.5, "missing_field": 0.5}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/chat/completions", "/v1/messages", "/v1/responses"} {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
			req.Header.Set("anthropic-version", "2023-06-01")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != 200 && (w.Code < 400 || w.Code > 404) {
				t.Fatalf("%s: status %d for %q: %s", path, w.Code, body, w.Body)
			}
		}
	})
}
