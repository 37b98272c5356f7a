package openai_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
)

// TestRedirectsAreNotFollowed: a redirect — to another host:port or to
// another path of the same one — is an error, and nothing is sent where it
// points (issue 12, item 8: a 307 re-POSTed the prompt and the custom
// headers to the new host).
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `{"choices":[{"message":{"content":"{}"},"finish_reason":"stop"}]}`)
	}))
	defer other.Close()
	var target atomic.Value // the Location
	var calls atomic.Int32
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			elsewhere.Add(1)
			return
		}
		calls.Add(1)
		http.Redirect(w, r, target.Load().(string), int(status.Load()))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name     string
		status   int
		location string
		client   *http.Client
	}{
		{"307 to another host", http.StatusTemporaryRedirect, other.URL + "/v1/chat/completions", nil},
		{"308 to another host", http.StatusPermanentRedirect, other.URL + "/v1/chat/completions", nil},
		{"302 to another host", http.StatusFound, other.URL + "/v1/chat/completions", nil},
		{"307 to the same host", http.StatusTemporaryRedirect, srv.URL + "/v2/chat/completions", nil},
		{"a given client without a policy", http.StatusTemporaryRedirect, other.URL + "/v1/chat/completions", &http.Client{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			elsewhere.Store(0)
			calls.Store(0)
			target.Store(tc.location)
			status.Store(int32(tc.status))
			p := openai.NewProvider(openai.Config{BaseURL: srv.URL + "/v1", APIKey: "sk-secret", Model: "m",
				Headers: map[string]string{"X-Tenant": "t"}, HTTPClient: tc.client})
			_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "the prompt"}}})
			var pe *reask.ProviderError
			if !errors.As(err, &pe) || pe.StatusCode != tc.status || !strings.Contains(pe.Message, "redirects are not followed") {
				t.Fatalf("error %v, want a ProviderError %d saying the redirect was not followed", err, tc.status)
			}
			if calls.Load() != 1 || elsewhere.Load() != 0 {
				t.Errorf("%d calls to the API, %d where the redirect pointed; want 1 and 0", calls.Load(), elsewhere.Load())
			}
			if tc.client != nil && tc.client.CheckRedirect != nil {
				t.Error("the given client was changed")
			}
		})
	}
	// A client with a policy of its own keeps it.
	elsewhere.Store(0)
	target.Store(other.URL + "/v1/chat/completions")
	status.Store(http.StatusTemporaryRedirect)
	follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL + "/v1", Model: "m", HTTPClient: follow})
	if _, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}}); err != nil || elsewhere.Load() != 1 {
		t.Errorf("a client whose CheckRedirect follows: err %v, %d calls where it pointed", err, elsewhere.Load())
	}
}
