package gateway

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask/metrics"
)

// dashboardFiles are the live page's files: HTML, CSS and JavaScript that
// draws its own charts, with no CDN, web fonts or build step.
//
//go:embed dashboard
var dashboardFiles embed.FS

var dashboardSub = func() fs.FS {
	sub, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		panic(err) // the embedded directory exists at compile time
	}
	return sub
}()

// dashboardPolicy keeps the page to its own files and its data endpoint.
const dashboardPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// DashboardData is what GET /dashboard/data returns: the gateway's
// routing (names only: no URLs, no keys), the metrics snapshot — its
// Window over the span the page asked for with ?window=SECONDS — and the
// latest failures.
type DashboardData struct {
	Gateway DashboardInfo    `json:"gateway"`
	Metrics metrics.Snapshot `json:"metrics"`
	// Failures are the latest failed requests, the latest first (at most
	// Config.RecentFailures; refusals by an open breaker are counted, not
	// listed).
	Failures []DashboardFailure `json:"failures"`
	// Fleet is the fleet view, in fleet mode (Config.Redis) only.
	Fleet *DashboardFleet `json:"fleet,omitempty"`
}

// DashboardInfo describes the gateway on its dashboard.
type DashboardInfo struct {
	Started       time.Time           `json:"started"`
	UptimeSeconds float64             `json:"uptime_seconds"`
	Upstreams     []DashboardUpstream `json:"upstreams"`
	ClientAuth    bool                `json:"client_auth"`
	MaxAttempts   int                 `json:"max_attempts"`
	// Clients are the labels of the configured client keys (names, or
	// "key-" and 8 hex digits of the key's SHA-256), in name order.
	Clients []string `json:"clients"`
	// Content tells whether the failure list shows content
	// (Config.DashboardContent).
	Content bool `json:"content"`
}

// DashboardUpstream is an upstream's name and the models it serves.
type DashboardUpstream struct {
	Name     string   `json:"name"`
	Models   []string `json:"models"`
	CatchAll bool     `json:"catch_all"`
}

// Data returns the dashboard's data now, its window being the metrics'
// whole window.
func (g *Gateway) Data() DashboardData { return g.DataFor(0) }

// DataFor returns the dashboard's data now, with the windowed figures over
// the last window (0: the metrics' whole window).
func (g *Gateway) DataFor(window time.Duration) DashboardData {
	now := g.cfg.Clock.Now()
	d := DashboardData{
		Gateway: DashboardInfo{Started: g.started, UptimeSeconds: now.Sub(g.started).Seconds(),
			ClientAuth: len(g.keyHashes) > 0, MaxAttempts: g.cfg.MaxAttempts, Clients: []string{},
			Content: g.cfg.DashboardContent},
		Metrics:  g.metrics.SnapshotFor(window),
		Failures: g.tele.failures.list(),
		Fleet:    g.fleetView(now),
	}
	for _, label := range g.tele.labels {
		d.Gateway.Clients = append(d.Gateway.Clients, label)
	}
	slices.Sort(d.Gateway.Clients)
	for _, u := range g.upstreams {
		d.Gateway.Upstreams = append(d.Gateway.Upstreams, DashboardUpstream{Name: u.name,
			Models: append([]string{}, u.models...), CatchAll: len(u.models) == 0})
	}
	return d
}

func (g *Gateway) dashboard(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", dashboardPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch p := r.URL.Path; {
	case p == routeDashboard:
		http.Redirect(w, r, routeDashboard+"/", http.StatusFound)
	case p == routeDashboard+"/":
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, dashboardSub, "index.html")
	case p == routeDashboard+"/data":
		h.Set("Cache-Control", "no-store")
		window, err := dashboardWindow(r.URL.Query().Get("window"))
		if err != nil {
			writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: ptr("window"),
				Code: ptr("invalid_window"), Message: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, g.DataFor(window))
	case strings.HasPrefix(p, routeDashboard+"/static/") && fs.ValidPath(strings.TrimPrefix(p, routeDashboard+"/static/")):
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, dashboardSub, strings.TrimPrefix(p, routeDashboard+"/static/"))
	default:
		writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: ptr("unknown_url"),
			Message: "Unknown dashboard URL: " + p})
	}
}

// dashboardWindow reads the data's ?window=SECONDS (empty: the metrics'
// whole window).
func dashboardWindow(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > int(metrics.MaxWindow/time.Second) {
		return 0, fmt.Errorf("window %q: want a number of seconds from 1 to %d", v, int(metrics.MaxWindow/time.Second))
	}
	return time.Duration(n) * time.Second, nil
}
