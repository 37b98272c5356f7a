package gateway_test

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/gateway"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// scripted is an upstream answering with fixed chat completions in turn,
// so that what the gateway answers is byte for byte the same every run.
func scripted(t *testing.T, answers ...string) string {
	t.Helper()
	var mu sync.Mutex
	n := 0
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := answers[n%len(answers)]
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", fmt.Sprintf("req_%d", n))
		w.Write([]byte(a))
	})
	return up.URL
}

func answer(id, content string, tool bool) string {
	msg := fmt.Sprintf(`{"role":"assistant","content":%q}`, content)
	finish := "stop"
	if tool {
		msg = fmt.Sprintf(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_%s","type":"function","function":{"name":"record_person","arguments":%q}}]}`, id, content)
		finish = "tool_calls"
	}
	return fmt.Sprintf(`{"id":"chatcmpl-%s","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_1",`+
		`"choices":[{"index":0,"message":%s,"finish_reason":%q}],"usage":{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60}}`, id, msg, finish)
}

// TestGoldenAnswers records what clients see for the main cases: a
// re-asked answer, a forced tool, a validated stream, an exhausted
// request, and the gateway's own errors.
func TestGoldenAnswers(t *testing.T) {
	missingAge := `{"name":"John Doe","email":"john@email.com"}`
	fenced := "```json\n{\"name\": \"John Doe\", \"age\": \"30\", \"email\": \"john@email.com\"}\n```"
	good := `{"name":"John Doe","age":30,"email":"john@email.com"}`
	for _, tc := range []struct {
		name, body string
		answers    []string
		key        string
		mod        func(*gateway.Config)
	}{
		{"reasked", schemaRequest(""), []string{answer("a1", missingAge, false), answer("a2", fenced, false)}, clientKey, nil},
		{"tool", toolRequest(""), []string{answer("t1", good, true)}, clientKey, nil},
		{"stream", schemaRequest(`,"stream":true,"stream_options":{"include_usage":true}`), []string{answer("s1", good, false)}, clientKey, nil},
		{"exhausted", schemaRequest(""), []string{answer("e1", missingAge, false)}, clientKey, func(c *gateway.Config) { c.MaxAttempts = 2 }},
		{"unauthorized", schemaRequest(""), []string{answer("u1", good, false)}, "wrong", nil},
		{"too_large", schemaRequest(""), []string{answer("l1", good, false)}, clientKey, func(c *gateway.Config) { c.MaxBodyBytes = 100 }},
		{"unknown_model", strings.Replace(schemaRequest(""), model, "nope", 1), []string{answer("m1", good, false)}, clientKey,
			func(c *gateway.Config) { c.Upstreams[0].Models = []string{model} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw, _ := newGateway(t, scripted(t, tc.answers...), tc.mod)
			status, h, b := do(t, gw, "POST", "/v1/chat/completions", tc.key, tc.body)
			checkGolden(t, tc.name, status, h, b)
		})
	}
}

// checkGolden compares an answer — status, the headers a client reads,
// body — with testdata/golden/NAME.txt (rewritten with -update).
func checkGolden(t *testing.T, name string, status int, h http.Header, b []byte) {
	t.Helper()
	var out strings.Builder
	fmt.Fprintf(&out, "HTTP %d\n", status)
	var keys []string
	for k := range h {
		if k == "Content-Type" || k == "Retry-After" || k == "Www-Authenticate" || strings.HasPrefix(k, "X-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&out, "%s: %s\n", k, h.Get(k))
	}
	out.WriteString("\n")
	out.Write(b)
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out.String() != string(want) {
		t.Errorf("answer differs from %s (run with -update if intended):\n--- got\n%s\n--- want\n%s", path, out.String(), want)
	}
}
