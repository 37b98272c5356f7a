package otelreask_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/reask/reask"
	"github.com/reask/reask/otelreask"
)

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{"metrics endpoint", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:4318/v1/metrics"}, true},
		{"console exporter", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true},
		{"exporters none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}, false},
		{"sdk disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := otelreask.Enabled(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCaptureContentOnlyOnOptIn checks that an answer reaches a span only
// when content capture is on, and then without the API key it echoed.
func TestCaptureContentOnlyOnOptIn(t *testing.T) {
	if otelreask.ContentFromEnv(func(string) string { return "" }) ||
		!otelreask.ContentFromEnv(func(k string) string {
			if k == otelreask.CaptureContentEnv {
				return "True"
			}
			return ""
		}) {
		t.Fatal("ContentFromEnv does not read " + otelreask.CaptureContentEnv)
	}
	rep := &reask.Report{Provider: "openai/gpt-4o-mini", Attempts: 1, Calls: 1, Outcome: reask.KindOK,
		Records: []reask.Attempt{{Number: 1, Provider: "openai/gpt-4o-mini", Outcome: reask.KindOK, Model: "gpt-4o-mini",
			FinishReason: "stop", Raw: `{"name":"key ` + apiKey + `"}`, Calls: []reask.Call{{Outcome: reask.KindOK}}}}}
	for _, capture := range []bool{false, true} {
		sr := tracetest.NewSpanRecorder()
		o, err := otelreask.NewObserver(otelreask.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)),
			CaptureContent: capture, Secrets: []reask.Secret{apiKey}})
		if err != nil {
			t.Fatal(err)
		}
		o.Observe(t.Context(), reask.Event{Kind: reask.EventResult, Report: rep})
		spans := sr.Ended()
		if len(spans) != 2 {
			t.Fatalf("%d spans, want 2", len(spans))
		}
		got := attrMap(spans[0].Attributes())["gen_ai.output.messages"]
		if !capture {
			if got != nil {
				t.Errorf("content captured without the opt-in: %v", got)
			}
			continue
		}
		s, _ := got.(string)
		var msgs []struct {
			Role  string
			Parts []struct{ Type, Content string }
		}
		if err := json.Unmarshal([]byte(s), &msgs); err != nil || len(msgs) != 1 || msgs[0].Role != "assistant" ||
			len(msgs[0].Parts) != 1 || !strings.Contains(msgs[0].Parts[0].Content, `"name"`) {
			t.Fatalf("gen_ai.output.messages = %q (%v)", s, err)
		}
		if strings.Contains(s, apiKey) || !strings.Contains(s, "[redacted]") {
			t.Errorf("captured content not scrubbed of the key: %s", s)
		}
	}
}

// syncBuffer is a log destination safe for the exporter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnreachableCollectorDegrades checks that spans sent to an OTLP
// endpoint where nothing listens fail no extraction: the export failure
// is logged and counted when the spans are flushed.
func TestUnreachableCollectorDegrades(t *testing.T) {
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_METRICS_EXPORTER": "none"}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "200") // ms, for the test's speed
	var logs syncBuffer
	tel, err := otelreask.Setup(t.Context(), func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || tel == nil {
		t.Fatalf("Setup: %v, %v", tel, err)
	}
	c := simClient(t, tel.Observer())
	if _, _, err := reask.Extract[person](t.Context(), c, "John Smith is 42 years old."); err != nil {
		t.Fatalf("Extract with an unreachable collector: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	tel.Shutdown(ctx)
	if tel.ExportErrors() == 0 {
		t.Errorf("no export error counted")
	}
	if !strings.Contains(logs.String(), "otel: telemetry export failed") {
		t.Errorf("export failure not logged: %q", logs.String())
	}
}
