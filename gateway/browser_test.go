package gateway_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
}

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
// calls, and an upstream whose breaker opens.
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
	up := httptest.NewServer(s)
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
		c.ClientKeys = nil
		c.Clock = clk
		c.Options = append(c.Options, reaskMaxRetries(1), reaskBreaker(3))
	})
	for sec := range 40 {
		clk.Advance(time.Second)
		for i := range 1 + sec%4 {
			call(t, gw, schemaRequest(""))
			if (sec+i)%3 == 0 {
				call(t, gw, plainRequest(""))
			}
		}
		if sec%7 == 0 {
			call(t, gw, strings.Replace(plainRequest(""), model, "gpt-4o", 1))
		}
	}
	return gw
}

func TestDashboardRendersChartsInChromium(t *testing.T) {
	bin := chromium(t)
	gw := busyGateway(t)
	dir := t.TempDir()
	shot := filepath.Join(dir, "dashboard.png")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1280,900", "--virtual-time-budget=5000", gw.URL+"/dashboard/")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
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
