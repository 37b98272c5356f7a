package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reask/reask"
)

// A target takes the client's request from the call's Tag, not from a
// context value: called with a context that carries nothing, it forwards
// the client's body and keeps the answer in the exchange; called without
// an exchange, it refuses.
func TestTargetTakesItsRequestFromTheTag(t *testing.T) {
	var sent []byte
	const answer = `{"id":"chatcmpl-1","choices":[{"message":{"content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	g, err := New(Config{Upstreams: []Upstream{{Name: "up", BaseURL: srv.URL + "/v1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":7}`
	cr, err := parseChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	target := g.route("m").primary
	ex := &exchange{req: cr, passthrough: true}
	resp, err := target.Complete(context.Background(), &reask.Request{Tag: ex})
	if err != nil {
		t.Fatal(err)
	}
	if string(sent) != body {
		t.Errorf("sent %s, want the client's body %s", sent, body)
	}
	if string(ex.passBody) != answer || ex.passTarget != "up" || resp.Usage.TotalTokens != 3 {
		t.Errorf("exchange kept %q from %q, usage %+v", ex.passBody, ex.passTarget, resp.Usage)
	}
	for _, tag := range []any{nil, "a request", (*exchange)(nil)} {
		if _, err := target.Complete(context.Background(), &reask.Request{Tag: tag}); !errors.Is(err, errNoExchange) {
			t.Errorf("Tag %#v: error %v, want errNoExchange", tag, err)
		}
	}
}
