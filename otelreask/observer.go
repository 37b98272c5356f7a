// Package otelreask turns reask's events into OpenTelemetry traces and
// metrics that follow the GenAI semantic conventions: one span per
// extraction and, under it, one CLIENT span per provider call, with the
// gen_ai.* attributes and reask's own (reask.attempt, reask.outcome,
// reask.repairs, reask.cost_usd, reask.wasted_tokens); and the
// gen_ai.client.token.usage and gen_ai.client.operation.duration
// histograms.
//
// The library (package reask) depends on no part of OpenTelemetry: an
// Observer reads the report of each extraction from its result event
// (reask.Config.Observer) and writes the whole span tree then, each span
// with its own start and end times, under the span in the extraction's
// context — the caller's, or the one an incoming traceparent names
// (Handler). Setup configures the SDK from the standard OTEL_*
// environment variables, for the CLI and the gateway.
package otelreask

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
)

// ScopeName is the instrumentation scope of reask's spans and metrics.
const ScopeName = "github.com/reask/reask/otelreask"

// CaptureContentEnv is the environment variable that opts in to message
// content on spans, as the GenAI conventions name it.
const CaptureContentEnv = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// Config configures an Observer. The zero Config uses the global tracer and
// meter providers (otel.GetTracerProvider, otel.GetMeterProvider) and
// captures no content.
type Config struct {
	// TracerProvider makes the tracer. Default: the global one.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the GenAI histograms. Default: the global one.
	MeterProvider metric.MeterProvider
	// CaptureContent puts each answer, as received and shortened for the
	// report (reask.Attempt.Raw), on its call span as
	// gen_ai.output.messages. Off by default, as the conventions ask;
	// ContentFromEnv reads the opt-in. The prompt is not in a report and
	// is never captured.
	CaptureContent bool
	// Secrets are scrubbed from captured content (each key whole and the
	// masked forms providers quote), so that a key a client pasted into a
	// prompt and the model echoed never reaches a trace.
	Secrets []reask.Secret
	// Now reads the time an extraction ended. Default: time.Now.
	Now func() time.Time
}

// ContentFromEnv reports whether getenv opts in to message content
// (CaptureContentEnv is "true", in any case).
func ContentFromEnv(getenv func(string) string) bool {
	return strings.EqualFold(strings.TrimSpace(getenv(CaptureContentEnv)), "true")
}

// Observer writes spans and metrics for the extractions it observes. It is
// safe for concurrent use; its Observe method is a reask.Config.Observer.
type Observer struct {
	tracer   trace.Tracer
	tokens   metric.Int64Histogram
	duration metric.Float64Histogram
	capture  bool
	scrub    *httpapi.Scrubber
	now      func() time.Time
}

// NewObserver returns an Observer configured by cfg. It fails only when
// the meter provider refuses the histograms.
func NewObserver(cfg Config) (*Observer, error) {
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	tokens, err := m.Int64Histogram("gen_ai.client.token.usage", metric.WithUnit("{token}"),
		metric.WithDescription("Number of input and output tokens used."),
		metric.WithExplicitBucketBoundaries(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864))
	if err != nil {
		return nil, err
	}
	duration, err := m.Float64Histogram("gen_ai.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("GenAI operation duration."),
		metric.WithExplicitBucketBoundaries(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92))
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Observer{tracer: tp.Tracer(ScopeName), tokens: tokens, duration: duration,
		capture: cfg.CaptureContent, scrub: httpapi.NewScrubber(cfg.Secrets...), now: now}, nil
}

// Chain returns an observer that calls each of fns that is not nil, in
// order; nil when none is.
func Chain(fns ...func(context.Context, reask.Event)) func(context.Context, reask.Event) {
	var set []func(context.Context, reask.Event)
	for _, f := range fns {
		if f != nil {
			set = append(set, f)
		}
	}
	switch len(set) {
	case 0:
		return nil
	case 1:
		return set[0]
	}
	return func(ctx context.Context, e reask.Event) {
		for _, f := range set {
			f(ctx, e)
		}
	}
}

// Observe is a reask.Config.Observer: on an extraction's result event it
// writes the extraction's span tree and records its metrics; other events
// it ignores, since the report holds them all.
func (o *Observer) Observe(ctx context.Context, e reask.Event) {
	if e.Kind != reask.EventResult || e.Report == nil {
		return
	}
	o.record(ctx, e.Report, e.Err)
}

// Attribute keys of reask's own, beside the GenAI conventions' gen_ai.*.
const (
	keyAttempt      = "reask.attempt"
	keyAttempts     = "reask.attempts"
	keyCalls        = "reask.calls"
	keyOutcome      = "reask.outcome"
	keyRepairs      = "reask.repairs"
	keyCost         = "reask.cost_usd"
	keyWastedCost   = "reask.wasted_cost_usd"
	keyWastedTokens = "reask.wasted_tokens"
	keyMode         = "reask.mode"
	keyViolations   = "reask.violations"
	keyWaited       = "reask.waited_ms"
)

// OperationExtract is the gen_ai.operation.name of an extraction's span:
// reask's own operation (answers re-asked until one is valid), around the
// "chat" spans of its provider calls.
const OperationExtract = "extract"

// record writes one extraction's spans, laid out back to back from its
// start (the end less Report.Duration): each attempt's calls in order,
// each after its wait (Call.Waited) and lasting Call.Duration.
func (o *Observer) record(ctx context.Context, rep *reask.Report, err error) {
	end := o.now()
	start := end.Add(-rep.Duration)
	parent := ctx
	var root trace.Span
	if !rep.Plain {
		answered := ""
		if n := len(rep.Records); n > 0 {
			answered = rep.Records[n-1].Model
		}
		provider, model := names(rep.Provider, answered)
		attrs := []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", OperationExtract),
			attribute.String("gen_ai.provider.name", provider),
			attribute.String("gen_ai.request.model", model),
			attribute.String("gen_ai.output.type", "json"),
			attribute.Int("gen_ai.usage.input_tokens", rep.Usage.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", rep.Usage.CompletionTokens),
			attribute.Int(keyAttempts, rep.Attempts),
			attribute.Int(keyCalls, rep.Calls),
			attribute.String(keyOutcome, string(rep.Outcome)),
			attribute.Int(keyRepairs, len(rep.Repairs())),
			attribute.Int(keyWastedTokens, rep.WastedTokens),
			attribute.String(keyMode, string(rep.Mode)),
		}
		if answered != "" {
			attrs = append(attrs, attribute.String("gen_ai.response.model", answered))
		}
		if rep.CostUSD != nil {
			attrs = append(attrs, attribute.Float64(keyCost, *rep.CostUSD))
		}
		if rep.WastedCostUSD != nil {
			attrs = append(attrs, attribute.Float64(keyWastedCost, *rep.WastedCostUSD))
		}
		parent, root = o.tracer.Start(ctx, OperationExtract+" "+model, trace.WithTimestamp(start),
			trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		if err != nil {
			root.SetAttributes(attribute.String("error.type", string(rep.Outcome)))
			root.SetStatus(codes.Error, string(rep.Outcome))
		}
	}
	at := start
	for i := range rep.Records {
		rec := &rep.Records[i]
		used := err == nil && i == len(rep.Records)-1
		attemptStart := at
		for k := range rec.Calls {
			c := &rec.Calls[k]
			at = at.Add(c.Waited)
			o.call(parent, rec, c, k == len(rec.Calls)-1, used, at)
			at = at.Add(c.Duration)
		}
		// Time spent checking the answer (parsing, repair, validation).
		if d := attemptStart.Add(rec.Duration); d.After(at) {
			at = d
		}
	}
	if root != nil {
		root.End(trace.WithTimestamp(end))
	}
}

// call writes the span of one provider call of rec, started at start; last
// says it is the attempt's last call (the one that brought the answer, if
// any), used that the extraction used its answer.
func (o *Observer) call(ctx context.Context, rec *reask.Attempt, c *reask.Call, last, used bool, start time.Time) {
	provider, model := names(rec.Provider, rec.Model)
	attrs := make([]attribute.KeyValue, 0, 20)
	attrs = append(attrs,
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", provider),
		attribute.String("gen_ai.request.model", model),
		attribute.String("gen_ai.output.type", "json"),
		attribute.Int(keyAttempt, rec.Number),
		attribute.String(keyMode, string(rec.Mode)))
	if c.Waited > 0 {
		attrs = append(attrs, attribute.Float64(keyWaited, float64(c.Waited)/float64(time.Millisecond)))
	}
	if c.Status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", c.Status))
	}
	answered := last && c.Outcome == reask.KindOK
	if answered {
		attrs = append(attrs,
			attribute.Int("gen_ai.usage.input_tokens", rec.Usage.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", rec.Usage.CompletionTokens),
			attribute.String(keyOutcome, string(rec.Outcome)),
			attribute.Int(keyRepairs, len(rec.Repairs)),
			attribute.Int(keyViolations, len(rec.Violations)))
		if rec.Model != "" {
			attrs = append(attrs, attribute.String("gen_ai.response.model", rec.Model))
		}
		if rec.FinishReason != "" {
			attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", []string{rec.FinishReason}))
		}
		if rec.CostUSD != nil {
			attrs = append(attrs, attribute.Float64(keyCost, *rec.CostUSD))
		}
		wasted := 0
		if !used {
			wasted = rec.Usage.TotalTokens
			if wasted == 0 {
				wasted = rec.Usage.PromptTokens + rec.Usage.CompletionTokens
			}
		}
		attrs = append(attrs, attribute.Int(keyWastedTokens, wasted))
		if o.capture && rec.Raw != "" {
			attrs = append(attrs, attribute.String("gen_ai.output.messages", o.output(rec)))
		}
	} else {
		attrs = append(attrs, attribute.String(keyOutcome, string(c.Outcome)))
	}
	_, span := o.tracer.Start(ctx, "chat "+model, trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if c.Outcome != reask.KindOK {
		span.SetAttributes(attribute.String("error.type", string(c.Outcome)))
		span.SetStatus(codes.Error, o.scrub.String(c.Message))
	}
	end := start.Add(c.Duration)
	span.End(trace.WithTimestamp(end))
	o.metrics(ctx, provider, model, rec, c, answered)
}

// metrics records the GenAI histograms of one call: its duration, and the
// tokens of the call that answered.
func (o *Observer) metrics(ctx context.Context, provider, model string, rec *reask.Attempt, c *reask.Call, answered bool) {
	if !o.duration.Enabled(ctx) && !o.tokens.Enabled(ctx) {
		return // no meter provider: spare building the attribute sets
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs,
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", provider),
		attribute.String("gen_ai.request.model", model))
	if answered && rec.Model != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", rec.Model))
	}
	if c.Outcome != reask.KindOK {
		d := append(attrs, attribute.String("error.type", string(c.Outcome)))
		o.duration.Record(ctx, c.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(d...)))
	} else {
		o.duration.Record(ctx, c.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
	if !answered {
		return
	}
	n := len(attrs)
	o.tokens.Record(ctx, int64(rec.Usage.PromptTokens), metric.WithAttributeSet(attribute.NewSet(append(attrs[:n], attribute.String("gen_ai.token.type", "input"))...)))
	o.tokens.Record(ctx, int64(rec.Usage.CompletionTokens), metric.WithAttributeSet(attribute.NewSet(append(attrs[:n], attribute.String("gen_ai.token.type", "output"))...)))
}

// output is the gen_ai.output.messages of an attempt: its answer, scrubbed
// of the configured secrets, in the conventions' message form.
func (o *Observer) output(rec *reask.Attempt) string {
	type part struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	}
	type message struct {
		Role         string `json:"role"`
		Parts        []part `json:"parts"`
		FinishReason string `json:"finish_reason,omitempty"`
	}
	b, _ := json.Marshal([]message{{Role: "assistant", Parts: []part{{Type: "text", Content: o.scrub.String(rec.Raw)}},
		FinishReason: rec.FinishReason}})
	return string(b)
}

// names splits a reask provider name ("openai/gpt-4o-mini") into the
// GenAI provider name and the requested model. A name without a slash (a
// gateway upstream's, "sim") is the provider's, and the model is the one
// that answered, else the name again.
func names(p, answered string) (provider, model string) {
	if i := strings.IndexByte(p, '/'); i > 0 {
		return p[:i], p[i+1:]
	}
	if answered != "" {
		return p, answered
	}
	return p, p
}
