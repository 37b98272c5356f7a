package gateway_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

// browserRequest is a request as a web page could make a browser send it.
type browserRequest struct {
	method, path string
	host         string // "" for the gateway's own 127.0.0.1:PORT; PORT is replaced
	contentType  string
	origin       string // PORT is replaced
	fetchSite    string // Sec-Fetch-Site
	key          string
}

func (br browserRequest) send(t *testing.T, gw *httptest.Server) (int, string) {
	t.Helper()
	port := gw.URL[strings.LastIndex(gw.URL, ":")+1:]
	var body io.Reader
	if br.method == http.MethodPost {
		body = strings.NewReader(plainRequest(""))
	}
	req, err := http.NewRequestWithContext(t.Context(), br.method, gw.URL+br.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if br.host != "" {
		req.Host = strings.ReplaceAll(br.host, "PORT", port)
	}
	if br.contentType != "" {
		req.Header.Set("Content-Type", br.contentType)
	}
	if br.origin != "" {
		req.Header.Set("Origin", strings.ReplaceAll(br.origin, "PORT", port))
	}
	if br.fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", br.fetchSite)
	}
	if br.key != "" {
		req.Header.Set("Authorization", "Bearer "+br.key)
	}
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e errorBody
	if resp.StatusCode >= 400 {
		e = decode[errorBody](t, b)
	}
	return resp.StatusCode, code(e)
}

// TestBrowsersCannotSpendTheKey: without client keys (the README's first
// example) a web page the operator visits can neither POST cross-site (a
// text/plain "simple" request, or any cross-origin one) nor reach the
// gateway by DNS rebinding (its own name in Host); local clients, the
// dashboard and allowed names keep working (issue 12, item 4).
func TestBrowsersCannotSpendTheKey(t *testing.T) {
	const json = "application/json"
	up, rec := newSim(t, clean)
	keyless, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.ClientKeys = nil
		c.AllowedHosts = []string{"gw.internal"}
		c.AllowedOrigins = []string{"https://app.example"}
	})
	keyed, _ := newGateway(t, up.URL, nil)
	for _, tc := range []struct {
		name   string
		gw     *httptest.Server
		req    browserRequest
		status int
		code   string
	}{
		// The reported requests.
		{"cross-site text/plain POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "evil.example:PORT",
			contentType: "text/plain", origin: "http://evil.example"}, 403, "host_not_allowed"},
		{"cross-site dashboard data", keyless, browserRequest{method: "GET", path: "/dashboard/data", host: "evil.example:PORT",
			origin: "http://evil.example"}, 403, "host_not_allowed"},
		// DNS rebinding: the page's own name, same-origin for the browser.
		{"rebound POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "evil.example:PORT",
			contentType: json, origin: "http://evil.example:PORT", fetchSite: "same-origin"}, 403, "host_not_allowed"},
		{"rebound models", keyless, browserRequest{method: "GET", path: "/v1/models", host: "evil.example:PORT"}, 403, "host_not_allowed"},
		{"rebound dashboard", keyless, browserRequest{method: "GET", path: "/dashboard/", host: "evil.example:PORT"}, 403, "host_not_allowed"},
		{"rebound metrics", keyless, browserRequest{method: "GET", path: "/metrics", host: "evil.example:PORT"}, 403, "host_not_allowed"},
		// Cross-site to a loopback name.
		{"cross-origin JSON POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions",
			contentType: json, origin: "http://evil.example"}, 403, "cross_origin_request"},
		{"cross-site POST, Sec-Fetch-Site only", keyless, browserRequest{method: "POST", path: "/v1/chat/completions",
			contentType: json, fetchSite: "cross-site"}, 403, "cross_origin_request"},
		{"null origin POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions",
			contentType: json, origin: "null"}, 403, "cross_origin_request"},
		{"text/plain POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: "text/plain"}, 415, "unsupported_media_type"},
		{"form POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"POST without Content-Type", keyless, browserRequest{method: "POST", path: "/v1/chat/completions"}, 415, "unsupported_media_type"},
		// What keeps working.
		{"local JSON POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: json}, 200, ""},
		{"JSON with charset", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: "application/json; charset=utf-8"}, 200, ""},
		{"localhost", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "localhost:PORT", contentType: json}, 200, ""},
		{"LOCALHOST without port", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "LOCALHOST", contentType: json}, 200, ""},
		{"127.0.0.2", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "127.0.0.2:PORT", contentType: json}, 200, ""},
		{"::1", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "[::1]:PORT", contentType: json}, 200, ""},
		{"same-origin POST", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: json,
			origin: "http://127.0.0.1:PORT"}, 200, ""},
		{"same-origin POST, Sec-Fetch-Site", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: json,
			origin: "http://localhost:PORT", host: "localhost:PORT", fetchSite: "same-origin"}, 200, ""},
		{"dashboard page", keyless, browserRequest{method: "GET", path: "/dashboard/", fetchSite: "none"}, 200, ""},
		{"dashboard data, same origin", keyless, browserRequest{method: "GET", path: "/dashboard/data", fetchSite: "same-origin"}, 200, ""},
		{"an allowed host", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", host: "GW.internal:443", contentType: json}, 200, ""},
		{"an allowed origin", keyless, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: json,
			origin: "https://app.example", fetchSite: "cross-site"}, 200, ""},
		{"health, any host", keyless, browserRequest{method: "GET", path: "/healthz", host: "evil.example:PORT"}, 200, ""},
		// With client keys: any Host (clients reach it by any name), but
		// JSON only and no cross-origin POST.
		{"keys: another host", keyed, browserRequest{method: "POST", path: "/v1/chat/completions", host: "gateway.example:PORT",
			contentType: json, key: clientKey}, 200, ""},
		{"keys: cross-origin POST", keyed, browserRequest{method: "POST", path: "/v1/chat/completions", host: "gateway.example",
			contentType: json, origin: "http://evil.example", key: clientKey}, 403, "cross_origin_request"},
		{"keys: text/plain POST", keyed, browserRequest{method: "POST", path: "/v1/chat/completions", contentType: "text/plain", key: clientKey}, 415, "unsupported_media_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.requests())
			status, code := tc.req.send(t, tc.gw)
			if status != tc.status || code != tc.code {
				t.Fatalf("status %d code %q, want %d %q", status, code, tc.status, tc.code)
			}
			if n := len(rec.requests()) - before; tc.status != 200 && n != 0 {
				t.Errorf("a refused request made %d upstream calls", n)
			}
		})
	}
}

func TestAllowedHostsAndOriginsAreValidated(t *testing.T) {
	base := gateway.Config{Upstreams: []gateway.Upstream{{Name: "u", BaseURL: "http://127.0.0.1:1/v1"}}}
	for _, tc := range []struct {
		name    string
		hosts   []string
		origins []string
		field   string
	}{
		{"host with a port", []string{"gw.example:8080"}, nil, "allowed_hosts[0]"},
		{"host with a scheme", []string{"ok.example", "https://gw.example"}, nil, "allowed_hosts[1]"},
		{"empty host", []string{""}, nil, "allowed_hosts[0]"},
		{"origin with a path", nil, []string{"https://app.example/"}, "allowed_origins[0]"},
		{"origin without a scheme", nil, []string{"app.example"}, "allowed_origins[0]"},
		{"origin with another scheme", nil, []string{"ftp://app.example"}, "allowed_origins[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.AllowedHosts, c.AllowedOrigins = tc.hosts, tc.origins
			_, err := gateway.New(c)
			var ce *gateway.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	c := base
	c.AllowedHosts, c.AllowedOrigins = []string{"gw.example", "10.0.0.7", "[fd00::1]", "fd00::2"}, []string{"https://app.example:8443", "http://localhost:3000"}
	c.ClientKeys = []reask.Secret{clientKey}
	if _, err := gateway.New(c); err != nil {
		t.Fatal(err)
	}
}
