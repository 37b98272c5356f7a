package otelreask_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/otelreask"
	"github.com/reask/reask/sim"
)

const personRequest = `{"model": "gpt-4o-mini",
  "messages": [{"role": "user", "content": "Contact John Doe, age 30, at john@email.com"}],
  "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true,
    "schema": {"type": "object", "additionalProperties": false, "required": ["name", "age", "email"],
      "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}}}}}}`

// tracedGateway starts a gateway in front of the simulator whose
// extractions are traced to sr, behind otelreask.Handler.
func tracedGateway(t testing.TB, sr sdktrace.SpanProcessor) *httptest.Server {
	t.Helper()
	s, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(s)
	t.Cleanup(upstream.Close)
	cfg := gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: upstream.URL + "/v1"}}}
	var h http.Handler
	if sr != nil {
		o, err := otelreask.NewObserver(otelreask.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Observer = o.Observe
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	h = g
	if sr != nil {
		h = otelreask.Handler(g)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, url, traceparent string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(personRequest))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gateway answered %s", resp.Status)
	}
}

// TestGatewayContinuesTraceparent checks that the extraction span of a
// gateway request is a child of the span its traceparent header names,
// and that a request without one, or with a malformed one, starts a new
// trace.
func TestGatewayContinuesTraceparent(t *testing.T) {
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tests := []struct {
		name, traceparent string
		continued         bool
	}{
		{"continued", "00-" + traceID + "-" + spanID + "-01", true},
		{"none", "", false},
		{"malformed", "00-" + traceID + "-nothex-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr := tracetest.NewSpanRecorder()
			srv := tracedGateway(t, sr)
			post(t, srv.URL, tt.traceparent)
			spans := sr.Ended()
			if len(spans) != 2 || spans[0].Name() != "chat gpt-4o-mini" || spans[1].Name() != "extract gpt-4o-mini" {
				t.Fatalf("spans %v, want a chat span and its extraction span", names(spans))
			}
			root := spans[1]
			if spans[0].Parent().SpanID() != root.SpanContext().SpanID() {
				t.Errorf("the chat span is not the extraction span's child")
			}
			gotTrace, gotParent := root.SpanContext().TraceID().String(), root.Parent().SpanID().String()
			if tt.continued {
				if gotTrace != traceID || gotParent != spanID || !root.Parent().IsRemote() {
					t.Errorf("extraction span in trace %s under %s, want trace %s under the remote span %s", gotTrace, gotParent, traceID, spanID)
				}
				return
			}
			if gotTrace == traceID || root.Parent().IsValid() {
				t.Errorf("extraction span in trace %s under %v: want a new trace", gotTrace, root.Parent().SpanID())
			}
			if root.SpanKind() != trace.SpanKindInternal {
				t.Errorf("extraction span kind %v", root.SpanKind())
			}
		})
	}
}
