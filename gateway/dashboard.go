package gateway

import (
	"embed"
	"io/fs"
	"net/http"
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
// routing (names only: no URLs, no keys) and the metrics snapshot.
type DashboardData struct {
	Gateway DashboardInfo    `json:"gateway"`
	Metrics metrics.Snapshot `json:"metrics"`
}

// DashboardInfo describes the gateway on its dashboard.
type DashboardInfo struct {
	Started       time.Time           `json:"started"`
	UptimeSeconds float64             `json:"uptime_seconds"`
	Upstreams     []DashboardUpstream `json:"upstreams"`
	ClientAuth    bool                `json:"client_auth"`
	MaxAttempts   int                 `json:"max_attempts"`
}

// DashboardUpstream is an upstream's name and the models it serves.
type DashboardUpstream struct {
	Name     string   `json:"name"`
	Models   []string `json:"models"`
	CatchAll bool     `json:"catch_all"`
}

// Data returns the dashboard's data now.
func (g *Gateway) Data() DashboardData {
	now := g.cfg.Clock.Now()
	d := DashboardData{
		Gateway: DashboardInfo{Started: g.started, UptimeSeconds: now.Sub(g.started).Seconds(),
			ClientAuth: len(g.keyHashes) > 0, MaxAttempts: g.cfg.MaxAttempts},
		Metrics: g.metrics.Snapshot(),
	}
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
		writeJSON(w, http.StatusOK, g.Data())
	case strings.HasPrefix(p, routeDashboard+"/static/") && fs.ValidPath(strings.TrimPrefix(p, routeDashboard+"/static/")):
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, dashboardSub, strings.TrimPrefix(p, routeDashboard+"/static/"))
	default:
		writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: ptr("unknown_url"),
			Message: "Unknown dashboard URL: " + p})
	}
}
