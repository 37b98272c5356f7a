package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/sim"
)

// runCLI runs the command line in process with the given environment (and
// nothing else of the process's) and returns what it wrote and its exit code.
func runCLI(t *testing.T, environ map[string]string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWithEnv(t.Context(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return environ[k] })
	return out.String(), errb.String(), code
}

// seenRequest is what a loopback provider received.
type seenRequest struct {
	Path          string
	Authorization string
	APIKey        string // the x-api-key header
	Body          string
}

// loopbackProvider is a loopback HTTP server that records every request and
// hands it to a handler (a simulator, or a canned failure).
type loopbackProvider struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newLoopbackProvider(t *testing.T, h http.Handler) *loopbackProvider {
	t.Helper()
	lp := &loopbackProvider{}
	lp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lp.mu.Lock()
		lp.seen = append(lp.seen, seenRequest{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
			APIKey: r.Header.Get("x-api-key"), Body: string(b)})
		lp.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(lp.Close)
	return lp
}

// newLoopbackSim serves a simulator with cfg on loopback, recording requests.
func newLoopbackSim(t *testing.T, cfg sim.Config) *loopbackProvider {
	t.Helper()
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return newLoopbackProvider(t, srv)
}

// requests returns a copy of the requests received so far.
func (lp *loopbackProvider) requests() []seenRequest {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	return append([]seenRequest(nil), lp.seen...)
}

// stubbornProfile is a simulator that always leaves out a required field
// and never fixes it, whatever the feedback says.
const stubbornProfile = `{"name":"stubborn","ignore_strict":true,"faults":{"missing_field":1},"feedback":{"fix_specific":0,"fix_generic":0,"new_fault_scale":0}}`

func stubbornSimProfile(t *testing.T) sim.Profile {
	t.Helper()
	p, err := sim.ParseProfile([]byte(stubbornProfile))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}`

// writeFile writes content to name in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// oneParagraph reports whether s is a single non-empty line ending in a newline.
func oneParagraph(s string) bool {
	return strings.HasSuffix(s, "\n") && strings.Count(s, "\n") == 1 && strings.TrimSpace(s) != ""
}

// decodeJSONFile reads path and decodes it into v.
func decodeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
}
