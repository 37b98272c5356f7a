package otelreask_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/otelreask"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

type person struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

const apiKey = "sk-otel-test-0123456789abcdef"

// simClient returns a client for the simulator, whose first answer always
// leaves a required field out and whose second, after feedback naming it,
// is fixed; its first request is answered 503, so that the first attempt
// takes a transport retry.
func simClient(t *testing.T, observer func(context.Context, reask.Event)) *reask.Client {
	t.Helper()
	srv, err := sim.New(sim.Config{Seed: 1, Profile: sim.Profile{
		Faults:   map[fault.Kind]float64{fault.MissingField: 1},
		Feedback: sim.Feedback{FixSpecific: 1}, IgnoreStrict: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusServiceUnavailable)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	p := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: apiKey, Model: "gpt-4o-mini"})
	c, err := reask.New(p, reask.Config{Observer: observer,
		Backoff: backoff.Policy{Base: time.Microsecond, Max: time.Microsecond, Jitter: backoff.NoJitter}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type wantSpan struct {
	name   string
	kind   trace.SpanKind
	status codes.Code
	attrs  map[string]any
}

// TestReaskedExtractionSpanTree checks the exact span tree of an
// extraction re-asked once, whose first attempt also took a transport
// retry: one extraction span under the caller's, three chat spans under
// it, and their GenAI and reask attributes.
func TestReaskedExtractionSpanTree(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	o, err := otelreask.NewObserver(otelreask.Config{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	c := simClient(t, o.Observe)
	ctx, parent := tp.Tracer("test").Start(t.Context(), "request")
	_, rep, err := reask.Extract[person](ctx, c, "John Smith is 42 years old.")
	parent.End()
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	spans := sr.Ended()
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5 (3 calls, the extraction, the request): %v", len(spans), names(spans))
	}
	calls, root, req := spans[:3], spans[3], spans[4]
	if root.Parent().SpanID() != req.SpanContext().SpanID() || root.SpanContext().TraceID() != req.SpanContext().TraceID() {
		t.Errorf("extraction span's parent is %v, want the caller's span %v", root.Parent().SpanID(), req.SpanContext().SpanID())
	}
	for i, s := range calls {
		if s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("call span %d's parent is not the extraction span", i)
		}
		if s.StartTime().Before(root.StartTime()) || s.EndTime().After(root.EndTime()) {
			t.Errorf("call span %d [%v, %v] outside the extraction's [%v, %v]", i, s.StartTime(), s.EndTime(), root.StartTime(), root.EndTime())
		}
		if i > 0 && s.StartTime().Before(calls[i-1].EndTime()) {
			t.Errorf("call span %d starts before call %d ends", i, i-1)
		}
	}
	a1, a2 := rep.Records[0], rep.Records[1]
	chat := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o-mini", "gen_ai.output.type": "json", "reask.mode": "json_schema"}
	with := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range chat {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	want := []wantSpan{
		{"chat gpt-4o-mini", trace.SpanKindClient, codes.Error, with(map[string]any{
			"reask.attempt": int64(1), "reask.outcome": "server", "error.type": "server",
			"http.response.status_code": int64(503)})},
		{"chat gpt-4o-mini", trace.SpanKindClient, codes.Unset, with(map[string]any{
			"reask.attempt": int64(1), "reask.outcome": string(a1.Outcome), "reask.repairs": int64(len(a1.Repairs)),
			"reask.violations":      int64(len(a1.Violations)),
			"gen_ai.response.model": a1.Model, "gen_ai.response.finish_reasons": []string{"stop"},
			"gen_ai.usage.input_tokens": int64(a1.Usage.PromptTokens), "gen_ai.usage.output_tokens": int64(a1.Usage.CompletionTokens),
			"reask.cost_usd": *a1.CostUSD, "reask.wasted_tokens": int64(a1.Usage.PromptTokens + a1.Usage.CompletionTokens)})},
		{"chat gpt-4o-mini", trace.SpanKindClient, codes.Unset, with(map[string]any{
			"reask.attempt": int64(2), "reask.outcome": "ok", "reask.repairs": int64(len(a2.Repairs)), "reask.violations": int64(0),
			"gen_ai.response.model": a2.Model, "gen_ai.response.finish_reasons": []string{"stop"},
			"gen_ai.usage.input_tokens": int64(a2.Usage.PromptTokens), "gen_ai.usage.output_tokens": int64(a2.Usage.CompletionTokens),
			"reask.cost_usd": *a2.CostUSD, "reask.wasted_tokens": int64(0)})},
		{"extract gpt-4o-mini", trace.SpanKindInternal, codes.Unset, map[string]any{
			"gen_ai.operation.name": "extract", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
			"gen_ai.response.model": a2.Model, "gen_ai.output.type": "json", "reask.mode": "json_schema",
			"gen_ai.usage.input_tokens": int64(rep.Usage.PromptTokens), "gen_ai.usage.output_tokens": int64(rep.Usage.CompletionTokens),
			"reask.attempts": int64(2), "reask.calls": int64(3), "reask.outcome": "ok", "reask.repairs": int64(len(rep.Repairs())),
			"reask.wasted_tokens": int64(rep.WastedTokens), "reask.cost_usd": *rep.CostUSD, "reask.wasted_cost_usd": *rep.WastedCostUSD}},
	}
	for i, c := range []reask.Call{a1.Calls[0], a1.Calls[1], a2.Calls[0]} {
		if c.Waited > 0 {
			want[i].attrs["reask.waited_ms"] = float64(c.Waited) / float64(time.Millisecond)
		}
	}
	if a1.Outcome == reask.KindOK || rep.WastedTokens == 0 {
		t.Fatalf("the first attempt was not re-asked: %+v", rep)
	}
	for i, w := range want {
		s := spans[i]
		if s.Name() != w.name || s.SpanKind() != w.kind || s.Status().Code != w.status {
			t.Errorf("span %d: %q %v %v, want %q %v %v", i, s.Name(), s.SpanKind(), s.Status().Code, w.name, w.kind, w.status)
		}
		got := attrMap(s.Attributes())
		for k, v := range w.attrs {
			if !equal(got[k], v) {
				t.Errorf("span %d (%s): %s = %#v, want %#v", i, s.Name(), k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := w.attrs[k]; !ok {
				t.Errorf("span %d (%s): unexpected attribute %s = %#v", i, s.Name(), k, got[k])
			}
		}
		for _, kv := range s.Attributes() {
			if kv.Value.Type() == attribute.STRING && containsKey(kv.Value.AsString()) {
				t.Errorf("span %d: attribute %s holds the API key", i, kv.Key)
			}
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	var tokens int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += p.Count
					tokens += p.Sum
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += p.Count
				}
			}
		}
	}
	if counts["gen_ai.client.operation.duration"] != 3 || counts["gen_ai.client.token.usage"] != 4 ||
		tokens != int64(rep.Usage.PromptTokens+rep.Usage.CompletionTokens) {
		t.Errorf("metrics: %v, %d tokens; want 3 durations, 4 token records, %d tokens", counts, tokens,
			rep.Usage.PromptTokens+rep.Usage.CompletionTokens)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func equal(a, b any) bool {
	as, ok1 := a.([]string)
	bs, ok2 := b.([]string)
	if ok1 || ok2 {
		return ok1 && ok2 && slices.Equal(as, bs)
	}
	return a == b
}

func containsKey(s string) bool { return strings.Contains(s, apiKey) }
