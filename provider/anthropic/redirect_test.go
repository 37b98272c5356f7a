package anthropic_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/anthropic"
)

// TestRedirectsAreNotFollowed: a redirect to another host:port, or to
// another path of the same host, is an error and nothing goes where it
// points (issue 12, item 8); a given client is not changed.
func TestRedirectsAreNotFollowed(t *testing.T) {
	other := &server{answers: []answer{{body: `{"content":[{"type":"text","text":"{}"}],"stop_reason":"end_turn"}`}}}
	elsewhere := httptest.NewServer(other)
	defer elsewhere.Close()
	for _, tc := range []struct {
		name     string
		location func(self string) string
		client   *http.Client
	}{
		{"to another host", func(string) string { return elsewhere.URL + "/v1/messages" }, nil},
		{"to the same host", func(self string) string { return self + "/v2/messages" }, nil},
		{"with a given client", func(string) string { return elsewhere.URL + "/v1/messages" }, &http.Client{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls, strays atomic.Int32
			var self string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/messages" {
					strays.Add(1)
					return
				}
				calls.Add(1)
				http.Redirect(w, r, tc.location(self), http.StatusTemporaryRedirect)
			}))
			defer srv.Close()
			self = srv.URL
			p := anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, APIKey: "sk-ant-secret", Model: "m",
				Headers: map[string]string{"anthropic-beta": "x"}, HTTPClient: tc.client})
			_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "the prompt"}}})
			var pe *reask.ProviderError
			if !errors.As(err, &pe) || pe.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(pe.Message, "redirects are not followed") {
				t.Fatalf("error %v, want a ProviderError 307 saying the redirect was not followed", err)
			}
			other.mu.Lock()
			followed := len(other.reqs)
			other.mu.Unlock()
			if calls.Load() != 1 || strays.Load() != 0 || followed != 0 {
				t.Errorf("%d calls, %d to another path, %d to another host; want 1, 0, 0", calls.Load(), strays.Load(), followed)
			}
			if tc.client != nil && tc.client.CheckRedirect != nil {
				t.Error("the given client was changed")
			}
		})
	}
}
