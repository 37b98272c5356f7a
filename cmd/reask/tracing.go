package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/otelreask"
)

// tracing is the process's OpenTelemetry, set up from the OTEL_*
// environment the first time a command builds a client (extract, batch,
// serve, worker) and flushed when the command ends.
type tracing struct {
	once sync.Once
	tel  *otelreask.Telemetry // nil: off
}

// telemetry returns the process's telemetry, nil when the environment
// configures none. A configuration the SDK refuses is said on stderr and
// leaves tracing off: telemetry never fails a command.
func (a *app) telemetry(ctx context.Context) *otelreask.Telemetry {
	a.tracing.once.Do(func() {
		log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		t, err := otelreask.Setup(context.WithoutCancel(ctx), a.getenv, log)
		if err != nil {
			fmt.Fprintf(a.stderr, "reask: tracing off: %v\n", err)
		}
		a.tracing.tel = t
	})
	return a.tracing.tel
}

// traced adds the tracing observer to cfg's when tracing is on; secrets
// are scrubbed from the content it may capture, with the API keys of the
// environment.
func (a *app) traced(ctx context.Context, cfg *reask.Config, secrets ...reask.Secret) {
	t := a.telemetry(ctx)
	if t == nil {
		return
	}
	cfg.Observer = otelreask.Chain(cfg.Observer, t.Observer(append(secrets, a.envSecrets()...)...))
}

// envSecrets are the API keys the environment holds.
func (a *app) envSecrets() []reask.Secret {
	var out []reask.Secret
	for _, k := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "REASK_UPSTREAM_API_KEY"} {
		if v := a.getenv(k); v != "" {
			out = append(out, reask.Secret(v))
		}
	}
	return out
}

// flushTracing exports the spans not yet sent, within
// otelreask.FlushTimeout; a failure is logged and counted, never the
// command's.
func (a *app) flushTracing() {
	a.tracing.tel.Shutdown(context.Background())
}

// traceGateway sets the gateway's tracing observer when tracing is on,
// scrubbing its upstream and client keys from captured content, and
// returns what wraps the gateway's handler to continue incoming
// traceparents (as it is when tracing is off).
func (a *app) traceGateway(ctx context.Context, cfg *gateway.Config) func(http.Handler) http.Handler {
	t := a.telemetry(ctx)
	if t == nil {
		return func(h http.Handler) http.Handler { return h }
	}
	secrets := append([]reask.Secret(nil), cfg.ClientKeys...)
	for _, u := range cfg.Upstreams {
		secrets = append(secrets, u.APIKey)
	}
	cfg.Observer = otelreask.Chain(cfg.Observer, t.Observer(append(secrets, a.envSecrets()...)...))
	return otelreask.Handler
}
