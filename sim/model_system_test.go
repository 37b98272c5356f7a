package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A prompt that puts the whole task in a system message (as BAML does by
// default) is read like a user message.
func TestTaskInSystemMessage(t *testing.T) {
	srv, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Extract from this text:\nSarah, age 25\n\nAnswer in JSON using this schema:\n{\n  name: string,\n  age: int,\n}"}]}`
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out.Choices[0].Message.Content), &got); err != nil || got["name"] != "Sarah" || got["age"] != 25.0 {
		t.Errorf("answer %q (%v)", out.Choices[0].Message.Content, err)
	}
}
