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
	"sync"
	"sync/atomic"
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

	// names caches, per reask provider name and answering model, the
	// attributes and span names that depend on them only: built once,
	// not per extraction.
	names  sync.Map // nameKey → *spanNames
	cached atomic.Int64
}

// maxCachedNames bounds Observer.names: the answering model comes from
// the provider's answer, so its values are not the observer's to bound;
// past this many pairs, names are built per span.
const maxCachedNames = 1024

// nameKey is the key of Observer.names.
type nameKey struct{ provider, answered string }

// spanNames is what a provider and model give every span: the names of
// the extraction and chat spans, and the attributes both start with.
type spanNames struct {
	provider, model   string
	extract, chat     string // span names
	extractAttrs      [4]attribute.KeyValue
	chatAttrs         [4]attribute.KeyValue
	metricAttrs       [3]attribute.KeyValue
	responseModelAttr attribute.KeyValue // of the answering model; empty Key when none
}

// Attributes every span of one operation has, built once.
var (
	attrOpExtract  = attribute.String("gen_ai.operation.name", OperationExtract)
	attrOpChat     = attribute.String("gen_ai.operation.name", "chat")
	attrOutputJSON = attribute.String("gen_ai.output.type", "json")
)

// spanNames returns the cached spanNames of provider p and the model that
// answered.
func (o *Observer) spanNames(p, answered string) *spanNames {
	k := nameKey{p, answered}
	if v, ok := o.names.Load(k); ok {
		return v.(*spanNames)
	}
	provider, model := names(p, answered)
	n := &spanNames{provider: provider, model: model, extract: OperationExtract + " " + model, chat: "chat " + model}
	prov, req := attribute.String("gen_ai.provider.name", provider), attribute.String("gen_ai.request.model", model)
	n.extractAttrs = [4]attribute.KeyValue{attrOpExtract, prov, req, attrOutputJSON}
	n.chatAttrs = [4]attribute.KeyValue{attrOpChat, prov, req, attrOutputJSON}
	n.metricAttrs = [3]attribute.KeyValue{attrOpChat, prov, req}
	if answered != "" {
		n.responseModelAttr = attribute.String("gen_ai.response.model", answered)
	}
	if o.cached.Load() >= maxCachedNames {
		return n
	}
	v, loaded := o.names.LoadOrStore(k, n)
	if !loaded {
		o.cached.Add(1)
	}
	return v.(*spanNames)
}

// attrBuf is a reusable attribute list: the SDK copies the attributes it
// is given, so one list serves every span of an extraction.
type attrBuf struct{ kv []attribute.KeyValue }

var attrBufs = sync.Pool{New: func() any { return &attrBuf{kv: make([]attribute.KeyValue, 0, 24)} }}

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
// each after its wait (Call.Waited) and lasting Call.Duration. Each span
// is started without attributes and given them, in one list, only when it
// records (a sampler may drop it).
func (o *Observer) record(ctx context.Context, rep *reask.Report, err error) {
	end := o.now()
	start := end.Add(-rep.Duration)
	parent := ctx
	buf := attrBufs.Get().(*attrBuf)
	defer attrBufs.Put(buf)
	var root trace.Span
	if !rep.Plain {
		answered := ""
		if n := len(rep.Records); n > 0 {
			answered = rep.Records[n-1].Model
		}
		sn := o.spanNames(rep.Provider, answered)
		parent, root = o.tracer.Start(ctx, sn.extract, trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindInternal))
		if root.IsRecording() {
			repairs := 0
			for i := range rep.Records {
				repairs += len(rep.Records[i].Repairs)
			}
			attrs := append(buf.kv[:0], sn.extractAttrs[:]...)
			attrs = append(attrs,
				attribute.Int("gen_ai.usage.input_tokens", rep.Usage.PromptTokens),
				attribute.Int("gen_ai.usage.output_tokens", rep.Usage.CompletionTokens),
				attribute.Int(keyAttempts, rep.Attempts),
				attribute.Int(keyCalls, rep.Calls),
				attribute.String(keyOutcome, string(rep.Outcome)),
				attribute.Int(keyRepairs, repairs),
				attribute.Int(keyWastedTokens, rep.WastedTokens),
				attribute.String(keyMode, string(rep.Mode)))
			if answered != "" {
				attrs = append(attrs, sn.responseModelAttr)
			}
			if rep.CostUSD != nil {
				attrs = append(attrs, attribute.Float64(keyCost, *rep.CostUSD))
			}
			if rep.WastedCostUSD != nil {
				attrs = append(attrs, attribute.Float64(keyWastedCost, *rep.WastedCostUSD))
			}
			if err != nil {
				attrs = append(attrs, attribute.String("error.type", string(rep.Outcome)))
				root.SetStatus(codes.Error, string(rep.Outcome))
			}
			root.SetAttributes(attrs...)
			buf.kv = attrs[:0]
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
			o.call(parent, buf, rec, c, k == len(rec.Calls)-1, used, at)
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

// call writes the span of one provider call of rec, started at start, its
// attributes listed in buf; last says it is the attempt's last call (the
// one that brought the answer, if any), used that the extraction used its
// answer.
func (o *Observer) call(ctx context.Context, buf *attrBuf, rec *reask.Attempt, c *reask.Call, last, used bool, start time.Time) {
	sn := o.spanNames(rec.Provider, rec.Model)
	answered := last && c.Outcome == reask.KindOK
	_, span := o.tracer.Start(ctx, sn.chat, trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		attrs := append(buf.kv[:0], sn.chatAttrs[:]...)
		attrs = append(attrs,
			attribute.Int(keyAttempt, rec.Number),
			attribute.String(keyMode, string(rec.Mode)))
		if c.Waited > 0 {
			attrs = append(attrs, attribute.Float64(keyWaited, float64(c.Waited)/float64(time.Millisecond)))
		}
		if c.Status != 0 {
			attrs = append(attrs, attribute.Int("http.response.status_code", c.Status))
		}
		if answered {
			attrs = append(attrs,
				attribute.Int("gen_ai.usage.input_tokens", rec.Usage.PromptTokens),
				attribute.Int("gen_ai.usage.output_tokens", rec.Usage.CompletionTokens),
				attribute.String(keyOutcome, string(rec.Outcome)),
				attribute.Int(keyRepairs, len(rec.Repairs)),
				attribute.Int(keyViolations, len(rec.Violations)))
			if rec.Model != "" {
				attrs = append(attrs, sn.responseModelAttr)
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
		if c.Outcome != reask.KindOK {
			attrs = append(attrs, attribute.String("error.type", string(c.Outcome)))
			span.SetStatus(codes.Error, o.scrub.String(c.Message))
		}
		span.SetAttributes(attrs...)
		buf.kv = attrs[:0]
	}
	span.End(trace.WithTimestamp(start.Add(c.Duration)))
	o.metrics(ctx, sn, rec, c, answered)
}

// metrics records the GenAI histograms of one call: its duration, and the
// tokens of the call that answered.
func (o *Observer) metrics(ctx context.Context, sn *spanNames, rec *reask.Attempt, c *reask.Call, answered bool) {
	if !o.duration.Enabled(ctx) && !o.tokens.Enabled(ctx) {
		return // no meter provider: spare building the attribute sets
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, sn.metricAttrs[:]...)
	if answered && rec.Model != "" {
		attrs = append(attrs, sn.responseModelAttr)
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
