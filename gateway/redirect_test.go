package gateway_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/gateway"
)

// TestUpstreamRedirectsAreNotFollowed: an upstream's redirect — to another
// host:port or to another path of its own — answers 502 upstream_redirect
// and sends nothing where it points: not the prompt, not the configured
// headers (issue 12, item 8).
func TestUpstreamRedirectsAreNotFollowed(t *testing.T) {
	other, otherRec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[]}`))
	})
	var mu sync.Mutex
	var location string
	var status int
	up, upRec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		loc, st := location, status
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			http.Redirect(w, r, loc, st)
		}
	})
	given := &http.Client{}
	for _, tc := range []struct {
		name, method, path, body, location string
		status                             int
		client                             *http.Client
	}{
		{"pass-through, 307 to another host", "POST", "/v1/chat/completions", plainRequest(""), other.URL + "/v1/chat/completions", 307, nil},
		{"pass-through, 308 to another host", "POST", "/v1/chat/completions", plainRequest(""), other.URL + "/v1/chat/completions", 308, nil},
		{"schema, 307 to another host", "POST", "/v1/chat/completions", schemaRequest(""), other.URL + "/v1/chat/completions", 307, nil},
		{"pass-through, 302 to another host", "POST", "/v1/chat/completions", plainRequest(""), other.URL + "/v1/chat/completions", 302, nil},
		{"pass-through, 307 to the same host", "POST", "/v1/chat/completions", plainRequest(""), up.URL + "/v2/chat/completions", 307, nil},
		{"models, 302 to another host", "GET", "/v1/models", "", other.URL + "/v1/models", 302, nil},
		{"a given client", "POST", "/v1/chat/completions", plainRequest(""), other.URL + "/v1/chat/completions", 307, given},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			location, status = tc.location, tc.status
			mu.Unlock()
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
				c.Upstreams[0].Headers = map[string]string{"X-Tenant": "acme"}
				c.HTTPClient = tc.client
			})
			before, otherBefore := len(upRec.requests()), len(otherRec.requests())
			st, _, b := do(t, gw, tc.method, tc.path, clientKey, tc.body)
			e := decode[errorBody](t, b)
			if st != http.StatusBadGateway || code(e) != "upstream_redirect" {
				t.Fatalf("status %d, want 502 upstream_redirect: %s", st, b)
			}
			if strings.Contains(string(b), strings.TrimPrefix(other.URL, "http://")) || strings.Contains(string(b), strings.TrimPrefix(up.URL, "http://")) {
				t.Errorf("the answer names an upstream's address: %s", b)
			}
			if n := len(upRec.requests()) - before; n != 1 {
				t.Errorf("%d calls to the upstream, want 1 (a redirect is neither followed nor retried)", n)
			}
			if n := len(otherRec.requests()) - otherBefore; n != 0 {
				t.Errorf("%d requests where the redirect pointed, want none", n)
			}
		})
	}
	if given.CheckRedirect != nil {
		t.Error("the given HTTP client was changed")
	}
}
