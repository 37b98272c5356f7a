package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// keyLabel is the label of an unnamed client key.
func keyLabel(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "key-" + hex.EncodeToString(sum[:4])
}

// downUpstream answers every request 503.
func downUpstream(t *testing.T) string {
	t.Helper()
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"message":"down","type":"server_error"}}`))
	})
	return up.URL
}

func dashboardData(t *testing.T, gw *httptest.Server, query string) gateway.DashboardData {
	t.Helper()
	status, _, b := do(t, gw, "GET", "/dashboard/data"+query, clientKey, "")
	if status != 200 {
		t.Fatalf("dashboard data: %d %s", status, b)
	}
	return decode[gateway.DashboardData](t, b)
}

// TestRefusedRequestsAreRefusals: requests the open breaker refused are
// counted as refusals, in the metrics and on the dashboard — not as
// attempts, calls or failed extractions — and not listed as failures.
func TestRefusedRequestsAreRefusals(t *testing.T) {
	gw, _ := newGateway(t, downUpstream(t), func(c *gateway.Config) {
		reaskMaxRetries(&c.Reask, 0)
		reaskBreaker(&c.Reask, 3)
	})
	for i := range 8 {
		status, _, b := call(t, gw, schemaRequest(""))
		want := 503
		if status != want || (i >= 3) != strings.Contains(string(b), "circuit_open") {
			t.Fatalf("request %d: %d %s", i, status, b)
		}
	}
	_, _, b := do(t, gw, "GET", "/metrics", clientKey, "")
	got := parseMetrics(t, string(b))
	client := keyLabel(clientKey)
	for series, v := range map[string]float64{
		`reask_results_total{operation="extract",outcome="server"}`:                      3,
		`reask_results_total{operation="extract",outcome="circuit_open"}`:                0,
		`reask_refused_total{client="` + client + `",model="*",operation="extract"}`:     5,
		`reask_breaker_refusals_total{provider="sim"}`:                                   5,
		`reask_calls_total{outcome="circuit_open",provider="sim"}`:                       0,
		`reask_attempts_count{operation="extract"}`:                                      3,
		`reask_requests_total{client="` + client + `",model="*",outcome="server"}`:       3,
		`reask_requests_total{client="` + client + `",model="*",outcome="circuit_open"}`: 0,
	} {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	d := dashboardData(t, gw, "?window=60")
	w := d.Metrics.Window
	if w.Seconds != 60 || w.Extractions.Total != 3 || w.Extractions.Failed != 3 || w.Extractions.Refused != 5 || w.ErrorKinds["circuit_open"] != 0 {
		t.Errorf("window %+v", w.Figures)
	}
	if len(w.Models) != 1 || w.Models[0].Name != "*" || w.Models[0].Requests != 3 || w.Models[0].Refused != 5 || w.Models[0].Attempts != 3 {
		t.Errorf("models %+v", w.Models)
	}
	if len(d.Failures) != 3 || d.Failures[0].Outcome != "server" || d.Failures[0].Status != 503 || d.Failures[0].Client != client {
		t.Errorf("failures %+v", d.Failures)
	}
}

// TestPerClientView: each client key's requests are counted under its
// label — its name, or a digest of the key — and no key is shown.
func TestPerClientView(t *testing.T) {
	up, _ := newSim(t, clean)
	const other = "client-key-other-xyz"
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams[0].Models = []string{model}
		c.ClientKeys = []reask.Secret{"team-a-secret-key", clientKey, other}
		c.ClientKeyNames = []string{"team-a"}
	})
	for _, key := range []string{"team-a-secret-key", "team-a-secret-key", clientKey} {
		if status, _, b := do(t, gw, "POST", "/v1/chat/completions", key, schemaRequest("")); status != 200 {
			t.Fatalf("%d %s", status, b)
		}
	}
	status, _, body := do(t, gw, "GET", "/dashboard/data", clientKey, "")
	d := decode[gateway.DashboardData](t, body)
	cl := d.Metrics.Window.Clients
	if status != 200 || len(cl) != 2 || cl[0].Name != keyLabel(clientKey) || cl[0].Requests != 1 || cl[1].Name != "team-a" || cl[1].Requests != 2 || cl[1].OK != 2 {
		t.Errorf("clients %+v", cl)
	}
	want := []string{keyLabel(clientKey), keyLabel(other), "team-a"}
	slices.Sort(want)
	if strings.Join(d.Gateway.Clients, ",") != strings.Join(want, ",") {
		t.Errorf("configured clients %v, want %v", d.Gateway.Clients, want)
	}
	if m := d.Metrics.Window.Models; len(m) != 1 || m[0].Name != model || m[0].Requests != 3 || m[0].Latency.Count != 3 {
		t.Errorf("models %+v", m)
	}
	_, _, prom := do(t, gw, "GET", "/metrics", clientKey, "")
	if !strings.Contains(string(prom), `reask_requests_total{client="team-a",model="`+model+`",outcome="ok"} 2`) {
		t.Errorf("no per-client series in\n%s", grep(string(prom), "reask_requests_total"))
	}
	for _, secret := range []string{"team-a-secret-key", clientKey, other, upstreamKey} {
		if strings.Contains(string(body), secret) || strings.Contains(string(prom), secret) {
			t.Errorf("a key shows: %s", secret)
		}
	}
}

func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRecentFailuresShowProblemsNotContent: a failed request is listed
// with its problems; the values the model gave, its answer and the
// message only when the operator opted in.
func TestRecentFailuresShowProblemsNotContent(t *testing.T) {
	words := sim.Profile{Faults: map[fault.Kind]float64{fault.NumberAsWords: 1}}
	for _, content := range []bool{false, true} {
		up, _ := newSim(t, words)
		gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
			c.Upstreams[0].Models = []string{model}
			c.DashboardContent = content
		})
		status, _, answer := call(t, gw, schemaRequest(""))
		if status != 422 {
			t.Fatalf("status %d %s", status, answer)
		}
		e := decode[errorBody](t, answer)
		got := e.Error.Violations[0].Got
		_, _, body := do(t, gw, "GET", "/dashboard/data", clientKey, "")
		d := decode[gateway.DashboardData](t, body)
		if len(d.Failures) != 1 {
			t.Fatalf("failures %+v", d.Failures)
		}
		f := d.Failures[0]
		if f.Model != model || f.Client != keyLabel(clientKey) || f.Operation != "extract" || f.Outcome != "schema" ||
			f.Status != 422 || f.Code != "reask_exhausted" || f.Attempts != 4 || f.Upstream != "sim/"+model || d.Gateway.Content != content {
			t.Errorf("content %v: failure %+v", content, f)
		}
		if len(f.Problems) == 0 || f.Problems[0].Path != e.Error.Violations[0].Path || f.Problems[0].Problem == "" || f.Problems[0].Expected != "integer" {
			t.Errorf("content %v: problems %+v, the 422 listed %+v", content, f.Problems, e.Error.Violations)
		}
		shown := f.Problems[0].Got != "" || f.Message != "" || f.LastOutput != "" || strings.Contains(string(body), got)
		if shown != content {
			t.Errorf("content %v: shown %v: %+v", content, shown, f)
		}
		if content && (f.Problems[0].Got != got || !strings.Contains(f.LastOutput, "John")) {
			t.Errorf("content: got %q (the 422 said %q), last output %q", f.Problems[0].Got, got, f.LastOutput)
		}
		if strings.Contains(string(body), upstreamKey) || strings.Contains(string(body), clientKey) {
			t.Errorf("a key shows: %s", body)
		}
	}
}

func TestRecentFailuresAreBounded(t *testing.T) {
	gw, _ := newGateway(t, downUpstream(t), func(c *gateway.Config) {
		reaskMaxRetries(&c.Reask, 0)
		c.RecentFailures = 2
	})
	for range 4 {
		call(t, gw, plainRequest(""))
	}
	if f := dashboardData(t, gw, "").Failures; len(f) != 2 || f[0].Operation != "call" || f[0].Status != 503 {
		t.Errorf("failures %+v", f)
	}
	gw, _ = newGateway(t, downUpstream(t), func(c *gateway.Config) { c.RecentFailures = -1 })
	call(t, gw, plainRequest(""))
	if f := dashboardData(t, gw, "").Failures; f == nil || len(f) != 0 {
		t.Errorf("failures %+v", f)
	}
}

func TestDashboardWindowParameter(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	for _, tc := range []struct {
		query   string
		status  int
		seconds int64
	}{{"", 200, 300}, {"?window=60", 200, 60}, {"?window=86400", 200, 300}, {"?window=0", 400, 0}, {"?window=x", 400, 0}, {"?window=86401", 400, 0}} {
		status, _, b := do(t, gw, "GET", "/dashboard/data"+tc.query, clientKey, "")
		if status != tc.status {
			t.Errorf("%s: %d %s", tc.query, status, b)
			continue
		}
		if status == 200 {
			if s := decode[gateway.DashboardData](t, b).Metrics.Window.Seconds; s != tc.seconds {
				t.Errorf("%s: window of %ds, want %d", tc.query, s, tc.seconds)
			}
		} else if !strings.Contains(string(b), "invalid_window") {
			t.Errorf("%s: %s", tc.query, b)
		}
	}
}

// flaky is an upstream that drops connections while down is set.
type flaky struct {
	down   atomic.Bool
	models atomic.Int32
	next   http.Handler
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		f.models.Add(1)
	}
	if f.down.Load() {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	f.next.ServeHTTP(w, r)
}

// TestReadyz: ready while upstreams answer; 503 naming the upstream whose
// calls cannot connect, re-checked by a probe at most every interval; 503
// naming an open breaker. Never authenticated, never host-checked, and it
// shows no address.
func TestReadyz(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 7, APIKey: upstreamKey})
	if err != nil {
		t.Fatal(err)
	}
	fl := &flaky{next: s}
	up, _ := newUpstream(t, fl.ServeHTTP)
	clk := clock.NewFake(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Clock = clk
		reaskMaxRetries(&c.Reask, 0)
		reaskBreaker(&c.Reask, 3)
		c.Upstreams = append(c.Upstreams, gateway.Upstream{Name: "backup", BaseURL: downUpstream(t) + "/v1", Models: []string{"gpt-4o"}})
	})
	readyz := func() (int, gateway.ReadyStatus, string) {
		t.Helper()
		status, h, b := do(t, gw, "GET", "/readyz", "", "") // no key
		if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", h)
		}
		if strings.Contains(string(b), "127.0.0.1") || strings.Contains(string(b), upstreamKey) {
			t.Errorf("readyz shows an address or key: %s", b)
		}
		return status, decode[gateway.ReadyStatus](t, b), string(b)
	}
	if status, st, b := readyz(); status != 200 || st.Status != "ready" || len(st.Upstreams) != 2 || !st.Upstreams[0].Ready {
		t.Fatalf("fresh gateway: %d %s", status, b)
	}

	fl.down.Store(true)
	if status, _, b := call(t, gw, plainRequest("")); status != 502 {
		t.Fatalf("dropped connection: %d %s", status, b)
	}
	status, st, b := readyz()
	if status != 503 || st.Status != "not_ready" || st.Upstreams[0].Name != "sim" || st.Upstreams[0].Reachable || st.Upstreams[0].UnreachableSince == nil ||
		!st.Upstreams[1].Ready || len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "upstream sim is unreachable") {
		t.Errorf("unreachable: %d %s", status, b)
	}
	if n := fl.models.Load(); n != 1 {
		t.Errorf("%d probes, want 1", n)
	}
	fl.down.Store(false)
	if status, _, b := readyz(); status != 503 || fl.models.Load() != 1 {
		t.Errorf("within the probe interval, the last probe's answer stands: %d %s (%d probes)", status, b, fl.models.Load())
	}
	clk.Advance(gateway.DefaultReadyProbeInterval)
	if status, _, b := readyz(); status != 200 || fl.models.Load() != 2 {
		t.Errorf("after the interval, a probe finds it back: %d %s (%d probes)", status, b, fl.models.Load())
	}

	for range 10 { // the backup's breaker opens
		call(t, gw, strings.Replace(plainRequest(""), model, "gpt-4o", 1))
	}
	status, st, b = readyz()
	if status != 503 || st.Upstreams[1].Name != "backup" || st.Upstreams[1].Ready || !st.Upstreams[1].Reachable ||
		len(st.Upstreams[1].OpenBreakers) != 1 || st.Upstreams[1].OpenBreakers[0].Target != "backup/gpt-4o" ||
		st.Upstreams[1].OpenBreakers[0].RetryAfterSeconds != 60 || !st.Upstreams[0].Ready ||
		len(st.Reasons) != 1 || st.Reasons[0] != "the circuit breaker of backup/gpt-4o is open for 60s more" {
		t.Errorf("open breaker: %d %s", status, b)
	}

	// Without client keys, a probe from a pod address (not loopback) is
	// answered too.
	gw2, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.ClientKeys = nil })
	req, _ := http.NewRequestWithContext(t.Context(), "GET", gw2.URL+"/readyz", nil)
	req.Host = "10.1.2.3:8080"
	resp, err := gw2.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz with a pod's Host: %d", resp.StatusCode)
	}
	if status, _, _ := do(t, gw, "POST", "/readyz", "", ""); status != 405 {
		t.Errorf("POST /readyz: %d", status)
	}
}

// syncBuffer is a bytes.Buffer safe for the gateway's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogFloodIsSummarised: under a breaker trip the WARN line of each
// failed request is written a few times per interval, then summarised.
func TestLogFloodIsSummarised(t *testing.T) {
	var buf syncBuffer
	clk := clock.NewFake(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	gw, g := newGateway(t, downUpstream(t), func(c *gateway.Config) {
		c.Clock = clk
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c.LogBurst = 2
		reaskMaxRetries(&c.Reask, 0)
		reaskBreaker(&c.Reask, 3)
	})
	for range 50 {
		call(t, gw, schemaRequest(""))
	}
	warn := regexp.MustCompile(`msg="reask: extraction failed[^"]*"`)
	if n := len(warn.FindAllString(buf.String(), -1)); n != 4 { // 2 server, 2 circuit_open
		t.Errorf("%d WARN lines for 50 failed requests, want 4:\n%s", n, buf.String())
	}
	clk.Advance(gateway.DefaultLogInterval)
	call(t, gw, schemaRequest(""))
	if !strings.Contains(buf.String(), `msg="reask: extraction failed (45 more like this in the last 10s)" outcome=circuit_open provider=sim suppressed=45`) ||
		!strings.Contains(buf.String(), `msg="reask: extraction failed (1 more like this in the last 10s)" outcome=server provider=sim suppressed=1`) {
		t.Errorf("no summaries:\n%s", buf.String())
	}
	for range 5 {
		call(t, gw, schemaRequest(""))
	}
	g.Close() // flushes what is pending
	if !strings.Contains(buf.String(), `(4 more like this in the last 0s)`) {
		t.Errorf("Close wrote no summary:\n%s", buf.String())
	}
}
