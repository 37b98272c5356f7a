package gateway_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// chartColors are the dashboard's chart colours (app.js COLORS).
var chartColors = map[string]color.RGBA{
	"ok":       {0x16, 0xa3, 0x4a, 0xff},
	"failed":   {0xdc, 0x26, 0x26, 0xff},
	"tokens":   {0x25, 0x63, 0xeb, 0xff},
	"wasted":   {0xf5, 0x9e, 0x0b, 0xff},
	"attempts": {0x7c, 0x3a, 0xed, 0xff},
	"errors":   {0xea, 0x58, 0x0c, 0xff},
	"repairs":  {0x0d, 0x94, 0x88, 0xff},
	"refused":  {0xa8, 0xa2, 0x9e, 0xff},
	"spend":    {0x4f, 0x46, 0xe5, 0xff},
	"waste":    {0xdb, 0x27, 0x77, 0xff},
}

// teamBKey is the busy gateway's second, unnamed client key.
const teamBKey = "client-key-team-b-0123"

// chromium finds Debian's chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	path, skip, err := findChromium(os.Getenv, exec.LookPath)
	switch {
	case err != nil:
		t.Fatal(err)
	case skip != "":
		t.Skip(skip)
	}
	return path
}

// busyGateway is a gateway with a minute of varied traffic behind it, on a
// fake clock: schema requests repaired, re-asked and exhausted, pass-through
// calls, an upstream whose breaker opens and refuses requests, from two
// client keys (one named "team-a").
func busyGateway(t *testing.T) *httptest.Server {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC))
	s, err := sim.New(sim.Config{Seed: 3, APIKey: upstreamKey, Profile: sim.Profile{
		Faults: map[fault.Kind]float64{fault.MissingField: 0.35, fault.Fence: 0.25, fault.NumberAsString: 0.2,
			fault.TrailingComma: 0.15, fault.SingleQuotes: 0.1, fault.NumberAsWords: 0.1},
		Feedback: sim.Feedback{FixSpecific: 0.6, FixGeneric: 0.1, NewFaultScale: 0.3},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Each upstream call takes 10 to 60 ms of the fake clock, so that the
	// latency percentiles have something to show.
	var calls atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clk.Advance(time.Duration(10+calls.Add(1)*37%51) * time.Millisecond)
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"message":"down","type":"server_error"}}`))
	}))
	t.Cleanup(down.Close)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{
			{Name: "sim", BaseURL: up.URL + "/v1", APIKey: upstreamKey, Models: []string{model}},
			{Name: "backup", BaseURL: down.URL + "/v1", Models: []string{"gpt-4o"}},
		}
		c.ClientKeys = []reask.Secret{clientKey, teamBKey}
		c.ClientKeyNames = []string{"team-a"}
		c.OpenOps = true
		c.Clock = clk
		reaskMaxRetries(&c.Reask, 1)
		reaskBreaker(&c.Reask, 3)
	})
	t0 := clk.Now()
	for sec := range 40 {
		if d := t0.Add(time.Duration(sec+1) * time.Second).Sub(clk.Now()); d > 0 {
			clk.Advance(d) // to the next second, less what the calls took
		}
		for i := range 1 + sec%4 {
			key := clientKey
			if i%2 == 1 {
				key = teamBKey
			}
			do(t, gw, "POST", "/v1/chat/completions", key, schemaRequest(""))
			if (sec+i)%3 == 0 {
				call(t, gw, plainRequest(""))
			}
		}
		if sec%3 == 0 {
			call(t, gw, strings.Replace(plainRequest(""), model, "gpt-4o", 1))
		}
	}
	return gw
}

// headless runs chromium on the dashboard with the extra arguments and
// returns its standard output.
func headless(t *testing.T, bin, dir, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, "profile"),
		"--window-size=1280,1700", "--virtual-time-budget=5000"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func TestDashboardRendersChartsInChromium(t *testing.T) {
	bin := chromium(t)
	gw := busyGateway(t)
	dir := t.TempDir()
	shot := filepath.Join(dir, "dashboard.png")
	headless(t, bin, dir, gw.URL+"/dashboard/", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("REASK_DASHBOARD_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		if err := os.WriteFile(keep, data, 0o644); err != nil {
			t.Error(err)
		}
	}
	counts := countColors(img)
	// Legend swatches are 10×10: a chart with data paints far more.
	for name, n := range counts {
		if n < 400 {
			t.Errorf("chart colour %s (%v) covers %d pixels: the chart did not render with data", name, chartColors[name], n)
		}
	}
	t.Logf("chart pixels: %v", counts)
}

// TestDashboardShowsWindowedFiguresInChromium reads the page as the
// browser built it: every tile says what window it covers, refusals have
// their tile, and the latency, per-model, per-client and failure views are
// filled — with no key shown.
func TestDashboardShowsWindowedFiguresInChromium(t *testing.T) {
	bin := chromium(t)
	gw := busyGateway(t)
	dom := string(headless(t, bin, t.TempDir(), gw.URL+"/dashboard/", "--dump-dom"))
	text := func(id string) string {
		t.Helper()
		m := regexp.MustCompile(`id="` + id + `"[^>]*>([^<]*)<`).FindStringSubmatch(dom)
		if m == nil {
			t.Errorf("no element #%s in the page", id)
			return ""
		}
		return m[1]
	}
	table := func(id string) string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<table id="` + id + `".*?</table>`).FindString(dom)
		if m == "" {
			t.Errorf("no table #%s", id)
		}
		return m
	}
	if v := text("t-spend"); !strings.HasPrefix(v, "$0.") {
		t.Errorf("spend tile %q, want what the priced requests cost", v)
	}
	if v := text("t-wasted-spend-sub"); !strings.Contains(v, "% of the spend") {
		t.Errorf("wasted spend tile %q", v)
	}
	if m := table("models"); !strings.Contains(m, "<th>Spend</th>") || !strings.Contains(m, ">$0.") {
		t.Errorf("models table has no spend: %s", m)
	}
	if n := strings.Count(dom, `class="scope">last 1 min<`); n < 10 {
		t.Errorf("%d figures say they cover the last minute, want every tile", n)
	}
	if v := text("t-refused"); v == "0" || v == "–" || v == "" {
		t.Errorf("refused tile %q, want the requests the open breaker refused", v)
	}
	if v := text("t-latency-sub"); !strings.Contains(v, "p90") || !strings.Contains(v, "p99") {
		t.Errorf("latency tile %q", v)
	}
	if m := table("models"); !strings.Contains(m, ">gpt-4o-mini<") || !strings.Contains(m, ">gpt-4o<") {
		t.Errorf("models table %s", m)
	}
	if c := table("clients"); !strings.Contains(c, ">team-a<") || !strings.Contains(c, ">"+keyLabel(teamBKey)+"<") {
		t.Errorf("clients table %s", c)
	}
	if f := table("failures"); !strings.Contains(f, "missing required field") || !strings.Contains(f, "reask_exhausted") {
		t.Errorf("failures table %s", f)
	}
	if !strings.Contains(text("trips"), "since start") {
		t.Errorf("breaker trips %q do not say they count since the start", text("trips"))
	}
	for _, secret := range []string{clientKey, teamBKey, upstreamKey} {
		if strings.Contains(dom, secret) {
			t.Errorf("the page shows a key: %s", secret)
		}
	}
}

// countColors counts the pixels of each chart colour (within a small
// tolerance for the PNG's colour handling).
func countColors(img image.Image) map[string]int {
	counts := map[string]int{}
	for name := range chartColors {
		counts[name] = 0
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range chartColors {
				if near(r>>8, c.R) && near(g>>8, c.G) && near(bl>>8, c.B) {
					counts[name]++
				}
			}
		}
	}
	return counts
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d >= -3 && d <= 3
}

// TestBusyGatewayData checks the traffic the screenshot shows, without a
// browser.
func TestBusyGatewayData(t *testing.T) {
	gw := busyGateway(t)
	_, _, b := do(t, gw, "GET", "/dashboard/data", "", "")
	d := decode[gateway.DashboardData](t, b)
	m := d.Metrics
	if m.Extractions.OK == 0 || m.Extractions.Failed == 0 || m.Calls.Total == 0 || len(m.Repairs) == 0 || len(m.Attempts) < 2 || m.Tokens.Wasted == 0 {
		t.Errorf("not varied enough for the dashboard: %+v", m)
	}
	if w := m.Window; w.Calls.Refused == 0 || len(w.Models) != 2 || len(w.Clients) != 2 || w.Latency.Count == 0 || len(d.Failures) == 0 {
		t.Errorf("window not varied enough: refused %d, models %+v, clients %+v, failures %d", w.Calls.Refused, w.Models, w.Clients, len(d.Failures))
	}
	states := map[string]string{}
	for _, p := range m.Providers {
		states[p.Name] = p.State
	}
	if states["sim/"+model] != "closed" || states["backup/gpt-4o"] != "open" {
		t.Errorf("breaker states %v", states)
	}
	busy := 0
	for _, p := range m.Timeline {
		if p.Results > 0 {
			busy++
		}
	}
	if busy < 40 {
		t.Errorf("%d busy seconds in the timeline, want 40", busy)
	}
}
