package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
)

func TestSimOptionsConfig(t *testing.T) {
	builtin := func(name string) sim.Profile {
		p, err := sim.BuiltinProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	dir := t.TempDir()
	custom := filepath.Join(dir, "custom.json")
	os.WriteFile(custom, []byte(`{"name":"custom","faults":{"fence":0.5},"rpm":30}`), 0o644)
	customProfile, err := sim.LoadProfile(custom)
	if err != nil {
		t.Fatal(err)
	}
	badRate := filepath.Join(dir, "bad-rate.json")
	os.WriteFile(badRate, []byte(`{"faults":{"fence":1.5}}`), 0o644)
	notJSON := filepath.Join(dir, "not-json.json")
	os.WriteFile(notJSON, []byte(`{"faults":`), 0o644)

	tests := []struct {
		name string
		o    simOptions
		want sim.Config
	}{
		{"clean", simOptions{profile: "clean", seed: 7}, sim.Config{Seed: 7, Profile: builtin("clean")}},
		{"flaky", simOptions{profile: "flaky", seed: 1}, sim.Config{Seed: 1, Profile: builtin("flaky")}},
		{"hostile with limits", simOptions{profile: "hostile", seed: -3, rpm: 600, tpm: 90000},
			sim.Config{Seed: -3, Profile: builtin("hostile"), RPM: 600, TPM: 90000}},
		{"latency", simOptions{profile: "clean", latency: 50 * time.Millisecond},
			sim.Config{Profile: builtin("clean"), Latency: &sim.Latency{Median: sim.Duration(50 * time.Millisecond)}}},
		{"profile file", simOptions{profile: custom, seed: 2}, sim.Config{Seed: 2, Profile: customProfile}},
		{"models", simOptions{profile: "clean", models: []string{"gpt-4o-mini", " llama3"}},
			sim.Config{Profile: builtin("clean"), Models: []string{"gpt-4o-mini", "llama3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.config(io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config\n%+v\nwant\n%+v", got, tt.want)
			}
			if _, err := sim.New(got); err != nil {
				t.Errorf("the simulator refuses the config: %v", err)
			}
		})
	}

	var log strings.Builder
	cfg, err := simOptions{profile: "clean", verbose: true}.config(&log)
	if err != nil || cfg.Logger == nil {
		t.Fatalf("--verbose: %v, logger %v", err, cfg.Logger)
	}
	cfg.Logger.Debug("hello")
	if !strings.Contains(log.String(), "hello") {
		t.Errorf("--verbose does not log to the writer: %q", log.String())
	}

	for _, tc := range []struct {
		name string
		o    simOptions
		want []string
	}{
		{"unknown profile", simOptions{profile: "grumpy"}, []string{"--profile", "grumpy"}},
		{"missing file", simOptions{profile: filepath.Join(dir, "none.json")}, []string{"--profile", "none.json"}},
		{"file not JSON", simOptions{profile: notJSON}, []string{"--profile"}},
		{"rate out of range", simOptions{profile: badRate}, []string{"--profile", "fence"}},
		{"negative rpm", simOptions{profile: "clean", rpm: -1}, []string{"--rpm"}},
		{"negative tpm", simOptions{profile: "clean", tpm: -1}, []string{"--tpm"}},
		{"negative latency", simOptions{profile: "clean", latency: -time.Second}, []string{"--latency"}},
		{"empty model name", simOptions{profile: "clean", models: []string{"a", ""}}, []string{"--models"}},
	} {
		_, err := tc.o.config(io.Discard)
		for _, want := range tc.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want it to mention %q", tc.name, err, want)
			}
		}
	}
}

// chatRequest is a small extraction request any simulator answers.
const chatRequest = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Contact John Doe, age 30"}]}`

// postChat sends chatRequest to base and returns the status, the answer's
// id and the headers.
func postChat(t *testing.T, base string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(chatRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		ID string `json:"id"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &body)
	return resp.StatusCode, body.ID, resp.Header
}

// startSimBinary runs the built "reask sim" with args on 127.0.0.1:0 and
// returns its start line, its base URL and a function that stops it with
// SIGINT and returns how it ended.
func startSimBinary(t *testing.T, args ...string) (banner, base string, stop func() error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() error {
		cmd.Process.Signal(os.Interrupt)
		rest, _ := io.ReadAll(stderr)
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("%w: %s", err, rest)
		}
		return nil
	}
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		stop()
		t.Fatal("no start line")
	}
	banner = sc.Text()
	_, base, _ = strings.Cut(banner, " on ")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") || strings.HasSuffix(base, ":0/v1") {
		stop()
		t.Fatalf("start line %q", banner)
	}
	return banner, base, stop
}

// "reask sim" on port 0 prints where it listens, serves the simulator its
// flags configure and stops cleanly on SIGINT.
func TestSimCommandServes(t *testing.T) {
	profile := writeFile(t, "quiet.json", `{"name":"quiet","rpm":2}`)
	tests := []struct {
		name   string
		args   []string
		banner string
		// status and a rate-limit header of two requests in a row
		status [2]int
		header [2]string
		value  [2]string
	}{
		{"--seed and --rpm", []string{"--profile", "clean", "--seed", "7", "--rpm", "1"}, "serving profile clean (seed 7)",
			[2]int{200, 429}, [2]string{"x-ratelimit-remaining-requests", "x-ratelimit-limit-requests"}, [2]string{"0", "1"}},
		{"--tpm", []string{"--profile", "clean", "--tpm", "10"}, "serving profile clean (seed 1)",
			[2]int{429, 429}, [2]string{"x-ratelimit-limit-tokens", "x-ratelimit-limit-tokens"}, [2]string{"10", "10"}},
		{"profile file", []string{"--profile", profile, "--seed", "4"}, "serving profile " + profile + " (seed 4)",
			[2]int{200, 200}, [2]string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests"}, [2]string{"2", "0"}},
		{"--rpm over the profile file's", []string{"--profile", profile, "--rpm", "5"}, "serving profile " + profile + " (seed 1)",
			[2]int{200, 200}, [2]string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests"}, [2]string{"5", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			banner, base, stop := startSimBinary(t, tt.args...)
			if !strings.HasPrefix(banner, "reask sim: "+tt.banner+" on ") {
				t.Errorf("start line %q, want %q", banner, tt.banner)
			}
			for i := range 2 {
				code, _, h := postChat(t, base)
				if code != tt.status[i] || h.Get(tt.header[i]) != tt.value[i] {
					t.Errorf("request %d: status %d, %s %q; want %d and %q", i+1, code, tt.header[i], h.Get(tt.header[i]), tt.status[i], tt.value[i])
				}
			}
			if err := stop(); err != nil {
				t.Errorf("after SIGINT: %v", err)
			}
		})
	}

	// The same request to an in-process simulator with the same seed gets
	// the same answer id; another seed, another id.
	_, base, stop := startSimBinary(t, "--profile", "clean", "--seed", "7")
	defer stop()
	same := httptest.NewServer(mustSim(t, sim.Config{Seed: 7}))
	defer same.Close()
	other := httptest.NewServer(mustSim(t, sim.Config{Seed: 8}))
	defer other.Close()
	code, id, _ := postChat(t, base)
	_, sameID, _ := postChat(t, same.URL+"/v1")
	_, otherID, _ := postChat(t, other.URL+"/v1")
	if code != http.StatusOK || id == "" || id != sameID || id == otherID {
		t.Errorf("status %d, id %q; seed 7 gives %q, seed 8 %q", code, id, sameID, otherID)
	}
}

func TestSimCommandRejectsBadFlags(t *testing.T) {
	bad := writeFile(t, "bad.json", `{"faults":{"fence":2}}`)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"missing profile file", []string{"--profile", "/nonexistent/profile.json"}, []string{"--profile", "/nonexistent/profile.json"}},
		{"invalid profile file", []string{"--profile", bad}, []string{"--profile", "faults.fence"}},
		{"unknown profile", []string{"--profile", "grumpy"}, []string{"--profile", "grumpy"}},
		{"negative rpm", []string{"--rpm", "-5"}, []string{"--rpm"}},
		{"bad address", []string{"--addr", "127.0.0.1:99999"}, []string{"--addr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "", append([]string{"sim"}, tt.args...)...)
			if code != 1 || !oneParagraph(stderr) {
				t.Errorf("exit %d, stderr %q; want 1 and one paragraph", code, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
		})
	}
}

func TestSimDataset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, stderr, code := runCLI(t, nil, "", "sim", "dataset", "--n", "7", "--seed", "3", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "wrote 7 items") {
		t.Errorf("stderr %q", stderr)
	}
	lines := func(name string) []map[string]json.RawMessage {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]json.RawMessage
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: %q: %v", name, l, err)
			}
			out = append(out, m)
		}
		return out
	}
	items, gold := lines("items.jsonl"), lines("gold.jsonl")
	if len(items) != 7 || len(gold) != 7 {
		t.Fatalf("%d items and %d gold answers, want 7 each", len(items), len(gold))
	}
	schemas := map[string]*schema.Schema{}
	entries, err := os.ReadDir(filepath.Join(dir, "schemas"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("schemas: %v, %d files", err, len(entries))
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, "schemas", e.Name()))
		s, err := schema.Compile(b)
		if err != nil {
			t.Errorf("schemas/%s: %v", e.Name(), err)
		}
		schemas[strings.TrimSuffix(e.Name(), ".json")] = s
	}
	for i, it := range items {
		var id, g, name, text string
		json.Unmarshal(it["id"], &id)
		json.Unmarshal(gold[i]["id"], &g)
		json.Unmarshal(it["schema"], &name)
		json.Unmarshal(it["text"], &text)
		if id == "" || id != g || text == "" {
			t.Errorf("item %d: id %q, gold id %q, text %q", i, id, g, text)
		}
		s := schemas[name]
		if s == nil {
			t.Errorf("item %s names schema %q, which is not written", id, name)
			continue
		}
		var v any
		if err := json.Unmarshal(gold[i]["gold"], &v); err != nil {
			t.Errorf("gold answer of %s: %v", id, err)
		}
		if vs := s.Validate(v); len(vs) != 0 {
			t.Errorf("gold answer of %s is not valid against %s: %v", id, name, vs)
		}
	}

	// The same seed writes the same files.
	again := filepath.Join(t.TempDir(), "again")
	if _, stderr, code := runCLI(t, nil, "", "sim", "dataset", "--n", "7", "--seed", "3", "--out", again); code != 0 {
		t.Fatalf("second run: %d %s", code, stderr)
	}
	for _, name := range []string{"items.jsonl", "gold.jsonl"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if string(a) != string(b) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--n", "0", "--out", dir}, "--n"},
		{[]string{"--n", "3"}, "--out"},
	} {
		if _, stderr, code := runCLI(t, nil, "", append([]string{"sim", "dataset"}, tc.args...)...); code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

func TestDemo(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "", "demo", "--n", "4", "--profile", "clean", "--concurrency", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"reask demo: 4 items", "profile clean", "4 of 4 answers equal the gold answer", "success rate", "Attempts histogram"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, " exact "); n != 4 {
		t.Errorf("%d items shown as exact, want 4:\n%s", n, stdout)
	}
	if _, stderr, code := runCLI(t, nil, "", "demo", "--profile", "/nonexistent.json"); code != 1 || !strings.Contains(stderr, "--profile") {
		t.Errorf("bad profile: exit %d, stderr %q", code, stderr)
	}
}
