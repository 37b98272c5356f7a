package otelreask_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/otelreask"
	"github.com/reask/reask/sim"
)

// BenchmarkGatewayTracing measures what tracing adds to the gateway's
// added latency (the gateway's p50 less the simulator's, straight): each
// iteration sends one schema request straight to the simulator, one
// through an untraced gateway and one through a traced gateway, in turn,
// so that all three see the same machine load. The traced gateway exports
// its spans with the SDK's batch processor, over OTLP/HTTP to an
// in-process receiver ("otlp"), or to the SDK's in-memory exporter
// ("memory"). It reports the p50s and added-p50-ratio, traced over
// untraced: the target is at most 1.05.
func BenchmarkGatewayTracing(b *testing.B) {
	for _, exp := range []string{"otlp", "memory"} {
		b.Run(exp, func(b *testing.B) {
			s, err := sim.New(sim.Config{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			direct := httptest.NewServer(s)
			b.Cleanup(direct.Close)
			var e sdktrace.SpanExporter
			if exp == "otlp" {
				rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					w.Header().Set("Content-Type", "application/x-protobuf")
				}))
				b.Cleanup(rcv.Close)
				if e, err = otlptracehttp.New(b.Context(), otlptracehttp.WithEndpointURL(rcv.URL+"/v1/traces")); err != nil {
					b.Fatal(err)
				}
			} else {
				e = tracetest.NewInMemoryExporter()
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(e))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			o, err := otelreask.NewObserver(otelreask.Config{TracerProvider: tp})
			if err != nil {
				b.Fatal(err)
			}
			gw := func(traced bool) *httptest.Server {
				cfg := gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: direct.URL + "/v1"}}}
				if traced {
					cfg.Observer = o.Observe
				}
				g, err := gateway.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				var h http.Handler = g
				if traced {
					h = otelreask.Handler(g)
				}
				srv := httptest.NewServer(h)
				b.Cleanup(func() { srv.Close(); g.Close() })
				return srv
			}
			targets := []*httptest.Server{direct, gw(false), gw(true)}
			const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			lat := make([][]time.Duration, len(targets))
			for _, srv := range targets {
				benchSchemaPost(b, srv, traceparent) // warm the connection
			}
			for b.Loop() {
				for i, srv := range targets {
					t0 := time.Now()
					benchSchemaPost(b, srv, traceparent)
					lat[i] = append(lat[i], time.Since(t0))
				}
			}
			p50 := make([]float64, len(targets))
			for i := range lat {
				slices.Sort(lat[i])
				p50[i] = float64(lat[i][len(lat[i])/2].Nanoseconds())
			}
			b.ReportMetric(p50[0], "direct-p50-ns")
			b.ReportMetric(p50[1], "off-p50-ns")
			b.ReportMetric(p50[2], "on-p50-ns")
			if off := p50[1] - p50[0]; off > 0 {
				b.ReportMetric((p50[2]-p50[0])/off, "added-p50-ratio")
			}
		})
	}
}

func benchSchemaPost(b *testing.B, srv *httptest.Server, traceparent string) {
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(personRequest))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", traceparent)
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkObserve is the Observer's own work for one extraction re-asked
// once (three calls): the spans and metrics, written to an SDK tracer
// provider whose batch processor drops to an in-memory exporter.
func BenchmarkObserve(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	o, err := otelreask.NewObserver(otelreask.Config{TracerProvider: tp})
	if err != nil {
		b.Fatal(err)
	}
	cost := 0.0001
	rep := &reask.Report{Provider: "openai/gpt-4o-mini", Attempts: 2, Calls: 3, Outcome: reask.KindOK, CostUSD: &cost, WastedCostUSD: &cost,
		Duration: 3 * time.Millisecond, Records: []reask.Attempt{
			{Number: 1, Provider: "openai/gpt-4o-mini", Outcome: "schema", Model: "gpt-4o-mini", FinishReason: "stop", CostUSD: &cost,
				Calls: []reask.Call{{Outcome: "server", Status: 503, Duration: time.Millisecond}, {Outcome: reask.KindOK, Duration: time.Millisecond}}},
			{Number: 2, Provider: "openai/gpt-4o-mini", Outcome: reask.KindOK, Model: "gpt-4o-mini", FinishReason: "stop", CostUSD: &cost,
				Calls: []reask.Call{{Outcome: reask.KindOK, Duration: time.Millisecond}}}}}
	e := reask.Event{Kind: reask.EventResult, Report: rep}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		o.Observe(ctx, e)
	}
}
