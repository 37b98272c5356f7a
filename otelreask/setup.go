package otelreask

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/reask/reask"
)

// FlushTimeout bounds how long Telemetry.Shutdown waits for the last
// spans and metrics to be exported when its context has no earlier
// deadline, so that a process never hangs at exit on an unreachable
// collector.
const FlushTimeout = 5 * time.Second

// Telemetry is the OpenTelemetry SDK as Setup configured it from the
// environment: a tracer provider and a meter provider exporting over OTLP
// (or as OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER say), which its
// Observers feed. A nil *Telemetry is tracing off: its methods
// do nothing.
//
// Export failures — an unreachable or refusing collector — never fail an
// extraction: each is logged and counted (ExportErrors), and the spans of
// a failed export are dropped.
type Telemetry struct {
	cfg      Config // the providers and the content opt-in
	tp       *sdktrace.TracerProvider
	mp       *sdkmetric.MeterProvider
	log      *slog.Logger
	failures atomic.Int64
}

// Enabled reports whether getenv configures any telemetry: an OTLP
// endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, or its _TRACES_ / _METRICS_
// form) or an exporter named in OTEL_TRACES_EXPORTER or
// OTEL_METRICS_EXPORTER other than "none"; and OTEL_SDK_DISABLED is not
// "true". Telemetry is off unless configured.
func Enabled(getenv func(string) string) bool {
	traces, metrics := signals(getenv)
	return traces || metrics
}

// signals says which of traces and metrics getenv turns on.
func signals(getenv func(string) string) (traces, metrics bool) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, false
	}
	endpoint := getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	on := func(exporterVar, endpointVar string) bool {
		switch e := strings.TrimSpace(getenv(exporterVar)); {
		case e == "none":
			return false
		case e != "":
			return true
		}
		return endpoint || getenv(endpointVar) != ""
	}
	return on("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
		on("OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
}

// Setup configures OpenTelemetry from the standard OTEL_* environment
// variables (read by getenv to decide whether it is on, and by the SDK's
// exporters themselves: endpoint, protocol, headers, timeout, resource)
// and installs its providers and the W3C trace-context propagator as the
// global ones. It returns nil, and no error, when Enabled(getenv) is
// false. The service is named "reask" unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise. Export failures are logged to
// log (nil: discarded) and counted. The caller must Shutdown the result
// before it exits, to flush the last spans.
func Setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Telemetry, error) {
	traces, metrics := signals(getenv)
	if !traces && !metrics {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "reask")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("otel: resource: %w", err)
	}
	t := &Telemetry{log: log}
	cfg := Config{CaptureContent: ContentFromEnv(getenv)}
	if traces {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("otel: traces exporter: %w", err)
		}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(res),
			sdktrace.WithBatcher(&countingExporter{SpanExporter: exp, t: t}))
		cfg.TracerProvider = t.tp
	}
	if metrics {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			t.shutdownNow()
			return nil, fmt.Errorf("otel: metrics exporter: %w", err)
		}
		t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(r))
		cfg.MeterProvider = t.mp
	}
	t.cfg = cfg
	otel.SetErrorHandler(otel.ErrorHandlerFunc(t.degrade))
	if t.tp != nil {
		otel.SetTracerProvider(t.tp)
	}
	if t.mp != nil {
		otel.SetMeterProvider(t.mp)
	}
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return t, nil
}

// Observer returns a reask.Config.Observer that writes each extraction's
// spans and metrics to t's providers (Observer.Observe), with secrets
// scrubbed from captured content; nil when t is nil.
func (t *Telemetry) Observer(secrets ...reask.Secret) func(context.Context, reask.Event) {
	if t == nil {
		return nil
	}
	cfg := t.cfg
	cfg.Secrets = secrets
	o, err := NewObserver(cfg)
	if err != nil {
		t.degrade(err)
		return nil
	}
	return o.Observe
}

// ExportErrors counts the exports that failed (and other errors the SDK
// reported) since Setup.
func (t *Telemetry) ExportErrors() int64 {
	if t == nil {
		return 0
	}
	return t.failures.Load()
}

// Shutdown flushes the spans and metrics not yet exported and stops the
// providers, waiting at most until ctx's deadline or FlushTimeout. A
// failure is logged and counted, not returned: telemetry never fails the
// work it observes.
func (t *Telemetry) Shutdown(ctx context.Context) {
	if t == nil {
		return
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, FlushTimeout)
		defer cancel()
	}
	if t.tp != nil {
		if err := t.tp.Shutdown(ctx); err != nil {
			t.degrade(fmt.Errorf("flushing spans: %w", err))
		}
	}
	if t.mp != nil {
		if err := t.mp.Shutdown(ctx); err != nil {
			t.degrade(fmt.Errorf("flushing metrics: %w", err))
		}
	}
}

// shutdownNow stops what Setup started before it failed.
func (t *Telemetry) shutdownNow() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if t.tp != nil {
		_ = t.tp.Shutdown(ctx)
	}
}

// degrade logs and counts an export failure.
func (t *Telemetry) degrade(err error) {
	n := t.failures.Add(1)
	t.log.LogAttrs(context.Background(), slog.LevelWarn, "otel: telemetry export failed; the extractions go on",
		slog.Int64("failures", n), slog.String("error", err.Error()))
}

// countingExporter logs and counts each failed export and drops its spans,
// so that an unreachable collector is one counted degradation per batch.
type countingExporter struct {
	sdktrace.SpanExporter
	t *Telemetry
}

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.SpanExporter.ExportSpans(ctx, spans); err != nil {
		e.t.degrade(fmt.Errorf("exporting %d spans: %w", len(spans), err))
	}
	return nil
}
