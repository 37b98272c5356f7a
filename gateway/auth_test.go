package gateway_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

func TestClientsMustPresentAKey(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.ClientKeys = []reask.Secret{"first-key", clientKey}
	})
	for _, tc := range []struct {
		name, method, path, auth string
		status                   int
	}{
		{"no key", "POST", "/v1/chat/completions", "", 401},
		{"wrong key", "POST", "/v1/chat/completions", "Bearer nope", 401},
		{"prefix of a key", "POST", "/v1/chat/completions", "Bearer client-key", 401},
		{"key not bearer", "POST", "/v1/chat/completions", clientKey, 401},
		{"basic on the API", "POST", "/v1/chat/completions", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+clientKey)), 401},
		{"second key", "POST", "/v1/chat/completions", "Bearer " + clientKey, 200},
		{"first key, lower-case scheme", "POST", "/v1/chat/completions", "bearer first-key", 200},
		{"models without key", "GET", "/v1/models", "", 401},
		{"models", "GET", "/v1/models", "Bearer first-key", 200},
		{"metrics without key", "GET", "/metrics", "", 401},
		{"metrics with basic", "GET", "/metrics", "Basic " + base64.StdEncoding.EncodeToString([]byte("anyone:"+clientKey)), 200},
		{"dashboard data with bearer", "GET", "/dashboard/data", "Bearer " + clientKey, 200},
		{"dashboard without key", "GET", "/dashboard/", "", 401},
		{"health needs no key", "GET", "/healthz", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.method == "POST" {
				body = strings.NewReader(plainRequest(""))
			} else {
				body = strings.NewReader("")
			}
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, gw.URL+tc.path, body)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := gw.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	status, _, b := do(t, gw, "POST", "/v1/chat/completions", "wrong", plainRequest(""))
	e := decode[errorBody](t, b)
	if status != 401 || code(e) != "invalid_api_key" || e.Error.Type != "invalid_request_error" || e.Error.Message == "" {
		t.Errorf("401 body %s", b)
	}
	for _, r := range rec.requests() {
		if strings.HasPrefix(r.path, "/v1/chat") && r.header.Get("Authorization") != "Bearer "+upstreamKey {
			t.Errorf("upstream got Authorization %q", r.header.Get("Authorization"))
		}
	}
}

func TestOpenOpsServesMetricsWithoutAKey(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.OpenOps = true })
	for _, p := range []string{"/metrics", "/dashboard/data", "/dashboard/"} {
		if status, _, _ := do(t, gw, "GET", p, "", ""); status != 200 {
			t.Errorf("%s: %d", p, status)
		}
	}
	if status, _, _ := do(t, gw, "POST", "/v1/chat/completions", "", plainRequest("")); status != 401 {
		t.Errorf("the API must still want a key: %d", status)
	}
}

func TestBodyLimit(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxBodyBytes = 1000 })
	big := plainRequest(`,"user":"` + strings.Repeat("x", 2000) + `"`)
	status, _, b := call(t, gw, big)
	e := decode[errorBody](t, b)
	if status != http.StatusRequestEntityTooLarge || code(e) != "request_too_large" || !strings.Contains(e.Error.Message, "1000 bytes") {
		t.Errorf("declared length: status %d: %s", status, b)
	}
	// A chunked body declares no length: it is cut at the limit.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", gw.URL+"/v1/chat/completions", struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Errorf("chunked: status %d (content length %d)", resp.StatusCode, req.ContentLength)
	}
	if status, _, b := call(t, gw, plainRequest("")); status != 200 {
		t.Errorf("a small body: %d %s", status, b)
	}
	if len(rec.requests()) != 1 {
		t.Errorf("upstream calls %d", len(rec.requests()))
	}
}

func TestUpstreamKeyNeverLeaks(t *testing.T) {
	// An upstream that refuses the key and quotes it back, as some do.
	refuse, refuseRec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, r.Header.Get("Authorization"))
	})
	good, goodRec := newSim(t, reasked)
	gw, g := newGateway(t, good.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{
			{Name: "good", BaseURL: good.URL + "/v1", APIKey: upstreamKey, Models: []string{model}},
			{Name: "refusing", BaseURL: refuse.URL + "/v1", APIKey: upstreamKey, Models: []string{"gpt-4o"}},
		}
	})
	var bodies []string
	collect := func(status int, h http.Header, b []byte) int {
		bodies = append(bodies, fmt.Sprint(h), string(b))
		return status
	}
	collect(call(t, gw, schemaRequest("")))
	collect(call(t, gw, plainRequest(`,"stream":true`)))
	refusal := strings.Replace(plainRequest(""), model, "gpt-4o", 1)
	if status := collect(call(t, gw, refusal)); status != 401 {
		t.Errorf("refused upstream: status %d", status)
	}
	if status := collect(call(t, gw, strings.Replace(schemaRequest(""), model, "gpt-4o", 1))); status != 401 {
		t.Errorf("refused upstream, schema: status %d", status)
	}
	collect(do(t, gw, "GET", "/v1/models", clientKey, ""))
	collect(do(t, gw, "GET", "/metrics", clientKey, ""))
	collect(do(t, gw, "GET", "/dashboard/data", clientKey, ""))
	collect(do(t, gw, "GET", "/dashboard/", clientKey, ""))
	bodies = append(bodies, fmt.Sprintf("%v %+v %#v", g.Data(), g.Data(), g.Status(g.Data().Metrics.Time)))
	for _, b := range bodies {
		if strings.Contains(b, upstreamKey) || strings.Contains(b, "VERY-SECRET") {
			t.Fatalf("the upstream key leaked: %s", b)
		}
	}
	if !strings.Contains(strings.Join(bodies, ""), "The upstream refused the gateway's credentials") {
		t.Error("the refusal is not explained")
	}
	// The client's key never goes upstream; the gateway's does.
	for _, r := range append(goodRec.requests(), refuseRec.requests()...) {
		if got := r.header.Get("Authorization"); got != "Bearer "+upstreamKey {
			t.Errorf("upstream %s got Authorization %q", r.path, got)
		}
		if strings.Contains(fmt.Sprint(r.header), clientKey) || strings.Contains(string(r.body), clientKey) {
			t.Errorf("the client key went upstream: %v", r.header)
		}
	}
}
