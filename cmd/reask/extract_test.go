package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/reask/reask/sim"
)

// Flags beat the environment for the base URL and the API key, and the
// environment is the fallback: the request reaches the server and carries
// the key the precedence picks.
func TestExtractBaseURLAndKeyPrecedence(t *testing.T) {
	schemaFile := writeFile(t, "person.json", personSchema)
	const flagURL, envURL = "FLAG", "ENV" // replaced by the servers' URLs
	tests := []struct {
		name    string
		env     map[string]string
		flags   []string
		wantSrv string // flagURL or envURL
		wantKey string
	}{
		{"environment only", map[string]string{"OPENAI_BASE_URL": envURL, "OPENAI_API_KEY": "sk-env"}, nil, envURL, "Bearer sk-env"},
		{"--base-url over OPENAI_BASE_URL", map[string]string{"OPENAI_BASE_URL": envURL, "OPENAI_API_KEY": "sk-env"},
			[]string{"--base-url", flagURL}, flagURL, "Bearer sk-env"},
		{"--api-key over OPENAI_API_KEY", map[string]string{"OPENAI_BASE_URL": envURL, "OPENAI_API_KEY": "sk-env"},
			[]string{"--api-key", "sk-flag"}, envURL, "Bearer sk-flag"},
		{"both flags", map[string]string{"OPENAI_BASE_URL": envURL, "OPENAI_API_KEY": "sk-env"},
			[]string{"--base-url", flagURL, "--api-key", "sk-flag"}, flagURL, "Bearer sk-flag"},
		{"no key for a local server", nil, []string{"--base-url", flagURL}, flagURL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := map[string]*loopbackProvider{flagURL: newLoopbackSim(t, sim.Config{Seed: 1}), envURL: newLoopbackSim(t, sim.Config{Seed: 1})}
			url := func(s string) string {
				if p, ok := srv[s]; ok {
					return p.URL + "/v1"
				}
				return s
			}
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = url(v)
			}
			args := []string{"extract", "--schema", schemaFile, "--model", "gpt-4o-mini"}
			for _, f := range tt.flags {
				args = append(args, url(f))
			}
			stdout, stderr, code := runCLI(t, env, "", append(args, "Mike (45)")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stdout != "{\n  \"name\": \"Mike\",\n  \"age\": 45\n}\n" {
				t.Errorf("stdout %q", stdout)
			}
			for name, p := range srv {
				got := p.requests()
				if name != tt.wantSrv {
					if len(got) != 0 {
						t.Errorf("the %s server got %d requests, want none", name, len(got))
					}
					continue
				}
				if len(got) != 1 {
					t.Fatalf("the %s server got %d requests, want 1", name, len(got))
				}
				if got[0].Authorization != tt.wantKey {
					t.Errorf("Authorization %q, want %q", got[0].Authorization, tt.wantKey)
				}
			}
			if strings.Contains(stderr, "simulator") {
				t.Errorf("a configured provider fell back to the simulator: %s", stderr)
			}
		})
	}
}

// --report writes the extraction report, which never holds the API key, and
// --max-attempts bounds the content attempts: a model that never fixes a
// missing field is asked N times, or four when it insists before (the
// same answer after the sharper feedback twice), then the command fails with one
// paragraph on stderr.
func TestExtractReportAndMaxAttempts(t *testing.T) {
	schemaFile := writeFile(t, "person.json", personSchema)
	const key = "sk-test-0123456789abcdef"
	tests := []struct {
		name        string
		profile     sim.Profile
		maxAttempts string
		code        int
		attempts    int
		inStderr    string
	}{
		{"clean, one attempt", sim.Profile{}, "1", 0, 1, ""},
		{"stubborn, one attempt", stubbornSimProfile(t), "1", 3, 1, "no valid answer after 1 attempt(s) and 1 call(s)"},
		{"stubborn, three attempts", stubbornSimProfile(t), "3", 3, 3, "no valid answer after 3 attempt(s) and 3 call(s)"},
		{"stubborn, five attempts: it insists", stubbornSimProfile(t), "5", 3, 4, "the model insists: it gave the same invalid answer again after sharper feedback twice, so reask stopped after 4 attempt(s) and 4 call(s), 1 attempt(s) unspent; the last answer failed (schema): /name: missing required field"},
		{"stubborn, five attempts, --stop-on-repeat=false", stubbornSimProfile(t), "5 --stop-on-repeat=false", 3, 5, "no valid answer after 5 attempt(s) and 5 call(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newLoopbackSim(t, sim.Config{Seed: 1, Profile: tt.profile, APIKey: key})
			report := writeFile(t, "report.json", "stale")
			args := append([]string{"extract", "--schema", schemaFile, "--base-url", srv.URL + "/v1", "--max-attempts"}, strings.Fields(tt.maxAttempts)...)
			stdout, stderr, code := runCLI(t, map[string]string{"OPENAI_API_KEY": key}, "", append(args, "--report", report, "Mike (45)")...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			if n := len(srv.requests()); n != tt.attempts {
				t.Errorf("%d requests, want %d", n, tt.attempts)
			}
			var rep struct {
				Attempts int `json:"attempts"`
				Calls    int `json:"calls"`
			}
			decodeJSONFile(t, report, &rep)
			if rep.Attempts != tt.attempts || rep.Calls != tt.attempts {
				t.Errorf("report: %+v, want %d attempts and calls", rep, tt.attempts)
			}
			b, _ := os.ReadFile(report)
			if !strings.Contains(string(b), `"duration_ms"`) || strings.Contains(string(b), `_ns"`) {
				t.Errorf("report durations not in milliseconds (*_ms), as batch records have them:\n%s", b)
			}
			for name, s := range map[string]string{"report": string(b), "stdout": stdout, "stderr": stderr} {
				if strings.Contains(s, key) || strings.Contains(s, key[3:]) {
					t.Errorf("the %s holds the API key:\n%s", name, s)
				}
			}
			if tt.code == 0 {
				if stderr != "" {
					t.Errorf("stderr %q", stderr)
				}
				return
			}
			if stdout != "" || !oneParagraph(stderr) || !strings.HasPrefix(stderr, "reask: ") || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("want one paragraph on stderr mentioning %q and nothing on stdout\nstdout %q\nstderr %q", tt.inStderr, stdout, stderr)
			}
		})
	}
}

// A provider error, a deadline and a schema that does not compile each give
// one clear paragraph on stderr and the "reask:" prefix once; the schema
// exits 1 (nothing was asked), the failed extractions 3.
func TestExtractFailures(t *testing.T) {
	schemaFile := writeFile(t, "person.json", personSchema)
	tests := []struct {
		name     string
		handler  http.Handler
		schema   string // file content; personSchema when empty
		flags    []string
		calls    int // requests the server must get; -1 for any
		code     int
		inStderr []string
	}{
		{"wrong API key", mustSim(t, sim.Config{APIKey: "sk-right"}), "", []string{"--api-key", "sk-wrong"}, 1, 3,
			[]string{"the provider refused the request", "HTTP 401"}},
		{"401 from a server", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`))
		}), "", nil, 1, 3, []string{"the provider refused the request", "HTTP 401", "invalid_api_key", "Incorrect API key provided."}},
		{"deadline", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), "",
			[]string{"--timeout", "50ms"}, -1, 3, []string{"deadline exceeded"}},
		{"schema not JSON", nil, `{"type": "object",`, nil, 0, 1, []string{"--schema", "not JSON"}},
		{"schema not an object", nil, `["type", "object"]`, nil, 0, 1, []string{"--schema"}},
		{"schema with an unknown type", nil, `{"type": "strnig"}`, nil, 0, 1, []string{"--schema"}},
		{"empty schema file", nil, " \n", nil, 0, 1, []string{"--schema", "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = mustSim(t, sim.Config{})
			}
			srv := newLoopbackProvider(t, h)
			file := schemaFile
			if tt.schema != "" {
				file = writeFile(t, "schema.json", tt.schema)
			}
			args := append([]string{"extract", "--schema", file, "--base-url", srv.URL + "/v1"}, tt.flags...)
			stdout, stderr, code := runCLI(t, nil, "", append(args, "Mike (45)")...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			if stdout != "" || !oneParagraph(stderr) || !strings.HasPrefix(stderr, "reask: ") || strings.Count(stderr, "reask:") != 1 {
				t.Errorf("want one paragraph with one \"reask:\" prefix on stderr, nothing on stdout\nstdout %q\nstderr %q", stdout, stderr)
			}
			for _, want := range tt.inStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
			if n := len(srv.requests()); tt.calls >= 0 && n != tt.calls {
				t.Errorf("%d requests, want %d", n, tt.calls)
			}
		})
	}
}

func mustSim(t *testing.T, cfg sim.Config) *sim.Server {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
