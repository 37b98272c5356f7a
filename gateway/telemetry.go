package gateway

import (
	"context"
	"log/slog"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/internal/logthrottle"
	"github.com/reask/reask/metrics"
)

// telemetry is what the gateway keeps to tell the truth about itself
// beyond the metrics: the client keys' labels, the latest failures, the
// upstreams' reachability and the throttle on its log.
type telemetry struct {
	labels   clientLabels
	failures *failureLog
	ready    *readiness
	throttle *logthrottle.Handler // nil when Config.LogBurst is -1
}

// newTelemetry builds the gateway's telemetry from cfg (with defaults) and
// the throttled logger the gateway and its reask clients log to.
func newTelemetry(cfg Config, scrubKeys []reask.Secret) (*telemetry, *slog.Logger, error) {
	t := &telemetry{
		labels: newClientLabels(cfg.ClientKeys, cfg.ClientKeyNames),
		// The failure list is scrubbed of the client keys too: a client
		// may paste one into its prompt.
		failures: newFailureLog(cfg.RecentFailures, cfg.DashboardContent,
			httpapi.NewScrubber(append(append([]reask.Secret(nil), scrubKeys...), cfg.ClientKeys...)...)),
		ready: newReadiness(cfg),
	}
	log := cfg.Logger
	if cfg.LogBurst > 0 {
		h, err := logthrottle.New(cfg.Logger.Handler(), logthrottle.Config{Burst: cfg.LogBurst,
			Interval: cfg.LogInterval, Clock: cfg.Clock})
		if err != nil {
			return nil, nil, err
		}
		t.throttle = h
		log = slog.New(h)
	}
	return t, log, nil
}

// observer feeds the events of the route's client to the metrics, with
// the route and the label of the client whose request (the event's Tag,
// see exchange) they belong to, to the failure list and to the upstreams'
// reachability.
func (g *Gateway) observer(route string) func(context.Context, reask.Event) {
	return func(ctx context.Context, e reask.Event) {
		l := metrics.Labels{Model: route}
		if ex, ok := e.Tag.(*exchange); ok {
			l.Client = ex.client
		}
		g.metrics.ObserveLabeled(ctx, l, e)
		switch {
		case e.Kind == reask.EventCall && e.Call != nil:
			g.tele.ready.observe(e.Provider, e.Call)
		case e.Kind == reask.EventResult && e.Err != nil:
			g.tele.failures.observe(g.cfg.Clock.Now(), l, e.Report, e.Err)
		}
		if e.Kind == reask.EventResult {
			g.spend.add(ctx, l.Client, e.Report, g.log)
		}
		if g.cfg.Observer != nil {
			g.cfg.Observer(ctx, e)
		}
	}
}

// flush writes the log summaries still pending.
func (t *telemetry) flush() {
	if t.throttle != nil {
		_ = t.throttle.Flush(context.Background())
	}
}
