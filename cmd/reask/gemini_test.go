package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

// geminiSeen records the path and x-goog-api-key of each request to a
// simulator, and whether any other header carried the key.
type geminiSeen struct {
	mu           sync.Mutex
	paths, keys  []string
	leakedHeader bool
}

func (g *geminiSeen) wrap(h http.Handler, key string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.paths = append(g.paths, r.URL.Path)
		g.keys = append(g.keys, r.Header.Get("x-goog-api-key"))
		if strings.Contains(r.Header.Get("Authorization")+r.Header.Get("x-api-key")+r.URL.RawQuery, key) {
			g.leakedHeader = true
		}
		g.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// --provider gemini (or GEMINI_API_KEY alone) reaches a Gemini endpoint
// at --base-url (or GEMINI_BASE_URL), the API root with its version: the
// simulator's, which wants the key in x-goog-api-key and lacks a field in
// every first answer, so that each extraction is re-asked and recovers.
func TestExtractGemini(t *testing.T) {
	const key = "AIza-cli-test-key-0123"
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	schemaFile := writeFile(t, "person.json", personSchema)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		flags []string
		path  string
	}{
		{"--provider gemini --base-url", nil, []string{"--provider", "gemini", "--base-url", "URL/v1beta", "--api-key", key}, "/v1beta/models/gemini-2.5-flash:generateContent"},
		{"GEMINI_API_KEY and GEMINI_BASE_URL", map[string]string{"GEMINI_API_KEY": key, "GEMINI_BASE_URL": "URL/v1beta"}, nil, "/v1beta/models/gemini-2.5-flash:generateContent"},
		{"tools, a model, the legacy schema, v1", map[string]string{"GEMINI_API_KEY": key},
			[]string{"--provider", "gemini", "--base-url", "URL/v1", "--model", "gemini-2.5-pro", "--mode", "tools", "--gemini-legacy-schema"}, "/v1/models/gemini-2.5-pro:generateContent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := sim.New(sim.Config{Seed: 2, Profile: prof, APIKey: key})
			if err != nil {
				t.Fatal(err)
			}
			seen := &geminiSeen{}
			lp := newLoopbackProvider(t, seen.wrap(srv, key))
			fill := func(s string) string { return strings.Replace(s, "URL", lp.URL, 1) }
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = fill(v)
			}
			report := filepath.Join(t.TempDir(), "report.json")
			args := []string{"extract", "--schema", schemaFile, "--report", report}
			for _, f := range tc.flags {
				args = append(args, fill(f))
			}
			stdout, stderr, code := runCLI(t, env, "", append(args, "Mike (45)")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			rep, _ := os.ReadFile(report)
			if stdout != "{\n  \"name\": \"Mike\",\n  \"age\": 45\n}\n" || strings.Contains(stdout+stderr+string(rep), key) {
				t.Errorf("stdout %q stderr %q", stdout, stderr)
			}
			if !strings.Contains(string(rep), `"provider": "gemini/`) {
				t.Errorf("the report names no gemini provider: %s", rep)
			}
			seen.mu.Lock()
			defer seen.mu.Unlock()
			if len(seen.paths) < 2 {
				t.Errorf("%d requests: the first answer lacks a field, so a re-ask follows", len(seen.paths))
			}
			for i, p := range seen.paths {
				if p != tc.path || seen.keys[i] != key {
					t.Errorf("request %d to %s with x-goog-api-key %q", i, p, seen.keys[i])
				}
			}
			if seen.leakedHeader {
				t.Error("the key went in another header or the URL")
			}
		})
	}
}

// A missing key for Google's API, or a base URL that is not one, is
// reported before any call.
func TestGeminiFlagErrors(t *testing.T) {
	schemaFile := writeFile(t, "person.json", personSchema)
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--provider", "gemini"}, "no API key for https://generativelanguage.googleapis.com/v1beta: set GEMINI_API_KEY or --api-key"},
		{[]string{"--provider", "gemini", "--base-url", "localhost:8080"}, "want an http or https URL, the API root with its version"},
		{[]string{"--provider", "vertex"}, "want openai, anthropic, gemini or sim"},
	} {
		stdout, stderr, code := runCLI(t, nil, "", append(append([]string{"extract", "--schema", schemaFile}, tc.flags...), "Mike (45)")...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.flags, code, stdout, stderr, tc.want)
		}
	}
}

// reask serve --upstream-api gemini: the upstream is Google's Gemini API,
// its key read from REASK_UPSTREAM_API_KEY or, when that is unset,
// GEMINI_API_KEY.
func TestServeGeminiUpstream(t *testing.T) {
	o := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		upstream: "https://generativelanguage.googleapis.com/v1beta", upstreamAPI: "gemini", models: []string{"gemini-2.5-flash"}}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GEMINI_API_KEY": "AIza-g"}, "AIza-g"},
		{map[string]string{"GEMINI_API_KEY": "AIza-g", "REASK_UPSTREAM_API_KEY": "AIza-r"}, "AIza-r"},
	} {
		cfg, err := serveConfig(o, func(k string) string { return tc.env[k] })
		if err != nil || cfg.Upstreams[0].API != gateway.APIGemini || cfg.Upstreams[0].APIKey.Reveal() != tc.want {
			t.Errorf("%v: %+v, %v", tc.env, cfg.Upstreams, err)
		}
	}
}
