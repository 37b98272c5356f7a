package gateway_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
)

// parseMetrics reads the Prometheus text format into series → value.
func parseMetrics(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsAfterTraffic(t *testing.T) {
	up, _ := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, nil)
	for _, body := range []string{schemaRequest(""), toolRequest(`,"stream":true`), plainRequest(""), plainRequest(`,"stream":true`)} {
		if status, _, b := call(t, gw, body); status != 200 {
			t.Fatalf("status %d: %s", status, b)
		}
	}
	do(t, gw, "POST", "/v1/chat/completions", "wrong", plainRequest(""))
	status, h, b := do(t, gw, "GET", "/metrics", clientKey, "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d type %q", status, h.Get("Content-Type"))
	}
	got := parseMetrics(t, string(b))
	want := map[string]float64{
		`reask_results_total{operation="extract",outcome="ok"}`:                                   2,
		`reask_results_total{operation="call",outcome="ok"}`:                                      2,
		`reask_attempts_count{operation="extract"}`:                                               2,
		`reask_attempts_sum{operation="extract"}`:                                                 4,
		`reask_attempt_outcomes_total{outcome="schema",provider="sim"}`:                           2,
		`reask_calls_total{outcome="ok",provider="sim"}`:                                          6,
		`reask_breaker_state{provider="sim"}`:                                                     0,
		`reask_http_requests_total{code="200",kind="schema",route="/v1/chat/completions"}`:        1,
		`reask_http_requests_total{code="200",kind="schema_stream",route="/v1/chat/completions"}`: 1,
		`reask_http_requests_total{code="200",kind="passthrough",route="/v1/chat/completions"}`:   1,
		`reask_http_requests_total{code="200",kind="stream",route="/v1/chat/completions"}`:        1,
		`reask_http_requests_total{code="401",kind="rejected",route="/v1/chat/completions"}`:      1,
		`reask_http_request_duration_seconds_count{kind="schema",route="/v1/chat/completions"}`:   1,
		`reask_http_in_flight`: 1, // the scrape itself
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
	for _, prefix := range []string{"reask_tokens_total{type=\"prompt\"}", "reask_wasted_tokens_total", "reask_call_wait_seconds_count", "reask_result_duration_seconds_count", "reask_call_duration_seconds_count", "reask_ratelimit_requests_per_minute", "reask_retry_budget_tokens"} {
		found := false
		for series, v := range got {
			if strings.HasPrefix(series, prefix) && v > 0 || strings.HasPrefix(series, prefix) && strings.HasPrefix(prefix, "reask_ratelimit") {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s series with data", prefix)
		}
	}
	for series := range got {
		if !strings.HasPrefix(series, "reask_") {
			t.Errorf("series %s lacks the reask_ prefix", series)
		}
	}
}

func TestDashboardData(t *testing.T) {
	up, _ := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.Upstreams[0].Models = []string{model} })
	call(t, gw, schemaRequest(""))
	call(t, gw, plainRequest(""))
	status, h, b := do(t, gw, "GET", "/dashboard/data", clientKey, "")
	if status != 200 || h.Get("Cache-Control") != "no-store" || h.Get("Content-Security-Policy") == "" {
		t.Fatalf("status %d headers %v", status, h)
	}
	var d gateway.DashboardData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics
	if m.Extractions.Total != 1 || m.Extractions.OK != 1 || m.SuccessRate != 1 || m.Calls.Total != 1 || m.Attempts[2] != 1 {
		t.Errorf("metrics %s", b)
	}
	if m.ErrorKinds["schema"] != 1 || m.Tokens.Total == 0 || m.Tokens.Wasted == 0 || len(m.Timeline) != 300 {
		t.Errorf("error kinds %v tokens %+v timeline %d", m.ErrorKinds, m.Tokens, len(m.Timeline))
	}
	if len(m.Providers) != 1 || m.Providers[0].Name != "sim/"+model || m.Providers[0].State != "closed" {
		t.Errorf("providers %+v", m.Providers)
	}
	if len(d.Gateway.Upstreams) != 1 || d.Gateway.Upstreams[0].Name != "sim" || !d.Gateway.ClientAuth || d.Gateway.MaxAttempts != 4 {
		t.Errorf("gateway %+v", d.Gateway)
	}
	if strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("the dashboard shows upstream URLs: %s", b)
	}
}

func TestDashboardPageAndAssets(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.OpenOps = true })
	for _, tc := range []struct {
		path, ctype, contains string
		status                int
	}{
		{"/dashboard/", "text/html", "<canvas", 200},
		{"/dashboard/static/app.js", "text/javascript", "COLORS", 200},
		{"/dashboard/static/style.css", "text/css", "--ok", 200},
		{"/dashboard/static/../gateway.go", "application/json", "Unknown", 404},
		{"/dashboard/nope", "application/json", "Unknown dashboard URL", 404},
	} {
		status, h, b := do(t, gw, "GET", tc.path, "", "")
		if status != tc.status || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.contains) {
			t.Errorf("%s: status %d type %q body %.80s", tc.path, status, h.Get("Content-Type"), b)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", gw.URL+"/dashboard", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/dashboard/" {
		t.Errorf("redirect %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// No external resources: every src and href is relative.
	_, _, page := do(t, gw, "GET", "/dashboard/", "", "")
	_, _, js := do(t, gw, "GET", "/dashboard/static/app.js", "", "")
	_, _, css := do(t, gw, "GET", "/dashboard/static/style.css", "", "")
	for _, b := range [][]byte{page, js, css} {
		if s := string(b); strings.Contains(s, "http://") || strings.Contains(s, "https://") || strings.Contains(s, "//cdn") || strings.Contains(s, "@import") {
			t.Errorf("external resource in %.60s", s)
		}
	}
}

func TestModels(t *testing.T) {
	up, rec := newSim(t, clean)
	t.Run("single catch-all is passed through", func(t *testing.T) {
		gw, _ := newGateway(t, up.URL, nil)
		status, h, b := do(t, gw, "GET", "/v1/models", clientKey, "")
		if status != 200 || !strings.Contains(string(b), `"gpt-4o-mini"`) || h.Get("Content-Type") != "application/json" {
			t.Errorf("status %d %s", status, b)
		}
		last := rec.requests()[len(rec.requests())-1]
		if last.path != "/v1/models" || last.header.Get("Authorization") != "Bearer "+upstreamKey {
			t.Errorf("upstream request %+v", last)
		}
	})
	t.Run("listed and catch-all are merged", func(t *testing.T) {
		gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
			c.Upstreams = []gateway.Upstream{
				{Name: "listed", BaseURL: up.URL + "/v1", Models: []string{"house-model", model}},
				{Name: "any", BaseURL: up.URL + "/v1", APIKey: upstreamKey},
			}
		})
		status, _, b := do(t, gw, "GET", "/v1/models", clientKey, "")
		var list struct {
			Object string `json:"object"`
			Data   []struct {
				ID      string `json:"id"`
				OwnedBy string `json:"owned_by"`
			} `json:"data"`
		}
		_ = json.Unmarshal(b, &list)
		ids := map[string]string{}
		for _, m := range list.Data {
			if _, dup := ids[m.ID]; dup {
				t.Errorf("%s listed twice", m.ID)
			}
			ids[m.ID] = m.OwnedBy
		}
		if status != 200 || list.Object != "list" || ids["house-model"] != "listed" || ids[model] != "listed" || ids["gpt-4o"] != "sim" {
			t.Errorf("status %d models %v", status, ids)
		}
	})
}

func TestUnknownPathsAndMethods(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/chat/completions", 405},
		{"POST", "/v1/models", 405},
		{"GET", "/v1/embeddings", 404},
		{"POST", "/healthz", 405},
	} {
		status, h, b := do(t, gw, tc.method, tc.path, clientKey, "")
		if status != tc.status || h.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"error"`) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, status, b)
		}
	}
	status, _, b := do(t, gw, "GET", "/healthz", "", "")
	if status != 200 || strings.TrimSpace(string(b)) != `{"status":"ok"}` {
		t.Errorf("healthz %d %s", status, b)
	}
}
