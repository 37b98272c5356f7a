package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP traces endpoint that keeps the names of
// the spans it receives.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					rcv.spans = append(rcv.spans, s.Name)
				}
			}
		}
		rcv.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

func (r *otlpReceiver) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// With an OTLP endpoint in the environment, extract exports the
// extraction's spans before it exits; without one it exports nothing.
func TestExtractFlushesSpansBeforeExit(t *testing.T) {
	rcv := newOTLPReceiver(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_METRICS_EXPORTER": "none"}
	for k, v := range env {
		t.Setenv(k, v) // the SDK's exporters read the process's environment
	}
	if _, stderr, code := runCLI(t, nil, "", "extract", "--provider", "sim", "Ann, age 30"); code != 0 {
		t.Fatalf("extract without tracing: exit %d: %s", code, stderr)
	}
	if got := rcv.names(); len(got) != 0 {
		t.Fatalf("spans exported with tracing off (the CLI's environment names no endpoint): %v", got)
	}
	if _, stderr, code := runCLI(t, env, "", "extract", "--provider", "sim", "Ann, age 30"); code != 0 {
		t.Fatalf("extract: exit %d: %s", code, stderr)
	}
	got := rcv.names()
	if len(got) != 2 || got[0] != "chat gpt-4o-mini" || got[1] != "extract gpt-4o-mini" {
		t.Errorf("exported spans %v, want [chat gpt-4o-mini extract gpt-4o-mini]", got)
	}
}
