package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/reask/reask/fleet"
	"github.com/reask/reask/sim/dataset"
	"github.com/reask/reask/stats"
)

var update = flag.Bool("update", false, "rewrite golden files")

// binary is the reask command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	fleet.RouteRedisLogs(nil) // as main does

	dir, err := os.MkdirTemp("", "reask-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "reask")
	if out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building reask: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// reask runs the built binary with a clean environment (no API keys).
// The race detector's default second of sleep at exit, for late reports,
// is off: a race found still exits 66.
func runBinary(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GORACE=atexit_sleep_ms=0"}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeDataset(t *testing.T, n int, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := dataset.Write(dir, n, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

func goldOf(t *testing.T, dir string) map[string]json.RawMessage {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "gold.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gold := map[string]json.RawMessage{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var g struct {
			ID   string          `json:"id"`
			Gold json.RawMessage `json:"gold"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		gold[g.ID] = g.Gold
	}
	return gold
}

func records(t *testing.T, path string) []stats.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []stats.Record
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var r stats.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad output line %q: %v", line, err)
		}
		if seen[r.ID] {
			t.Errorf("id %s written twice", r.ID)
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return out
}

func TestBatchOnFlakyProfileMatchesGold(t *testing.T) {
	dir := writeDataset(t, 80, 3)
	out := filepath.Join(dir, "out.jsonl")
	stdout, stderr, code := runBinary(t, "", "batch", "--schema-dir", filepath.Join(dir, "schemas"),
		"--in", filepath.Join(dir, "items.jsonl"), "--out", out, "--mode", "json_object",
		"--sim-profile", "flaky", "--sim-seed", "3", "--concurrency", "8", "--stats", filepath.Join(dir, "stats.json"))
	if code != 0 && code != codeFailed {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "using the built-in simulator") {
		t.Errorf("the simulator default is not announced: %s", stderr)
	}
	gold := goldOf(t, dir)
	recs := records(t, out)
	ok, exact := 0, 0
	for _, r := range recs {
		if !r.OK {
			continue
		}
		ok++
		if sameJSON(r.Data, gold[r.ID]) {
			exact++
		} else {
			t.Errorf("wrong but accepted: %s: %s, gold %s", r.ID, r.Data, gold[r.ID])
		}
	}
	if len(recs) != 80 || ok < 76 {
		t.Errorf("%d records, %d ok; want 80 records and a success rate of at least 95%%", len(recs), ok)
	}
	if wantCode := map[bool]int{true: 0, false: codeFailed}[ok == len(recs)]; code != wantCode {
		t.Errorf("exit %d with %d of %d items ok, want %d", code, ok, len(recs), wantCode)
	}
	for _, want := range []string{"success rate", "Attempts histogram", "Tokens", "latency p50/p95/p99"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	var sum stats.Summary
	b, _ := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.Items != 80 || sum.OK != ok {
		t.Errorf("stats file: %v %+v", err, sum)
	}
}

// The output of a batch killed with SIGKILL mid-run, resumed, holds every
// id exactly once.
func TestResumeAfterKill(t *testing.T) {
	dir := writeDataset(t, 60, 5)
	profile := filepath.Join(dir, "slow.json")
	os.WriteFile(profile, []byte(`{"name":"slow","latency":{"median":"30ms"}}`), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", filepath.Join(dir, "items.jsonl"),
		"--out", out, "--sim-profile", profile, "--concurrency", "4"}
	cmd := exec.Command(binary, append(args, "--progress-interval", "0")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	progress, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read the progress lines (one per item written) until ten items are
	// in, then kill without warning.
	sc := bufio.NewScanner(progress)
	for sc.Scan() {
		var done int
		if _, err := fmt.Sscanf(sc.Text(), "progress: %d done", &done); err == nil && done >= 10 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	before := len(records(t, out))
	if before >= 60 {
		t.Skip("the batch finished before it could be killed")
	}
	// Simulate the worst case: a line cut short by the kill.
	f, _ := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"id":"order-000`)
	f.Close()

	_, stderr, code := runBinary(t, "", append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if recs := records(t, out); len(recs) != 60 {
		t.Errorf("%d records after resume, want 60 (had %d before)", len(recs), before)
	}

	// Without --resume, the existing output is not overwritten.
	_, stderr, code = runBinary(t, "", args...)
	if code != 1 || !strings.Contains(stderr, "exists and is not empty") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestBatchMalformedLines(t *testing.T) {
	dir := writeDataset(t, 2, 1)
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte("{\"id\":\"ok1\",\"text\":\"Contact John Doe, age 30, at john@email.com\"}\n{broken\n{\"id\":\"x\"}\n\n{\"text\":\"Sarah, age 25, sarah@mail.com\"}\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	_, stderr, code := runBinary(t, "", "batch", "--schema", filepath.Join(dir, "schemas", "contact.json"), "--in", in, "--out", out, "--sim-profile", "clean")
	if code != codeFailed || !strings.Contains(stderr, "2 of 4 items") {
		t.Fatalf("exit %d, want 3 (two lines failed): %s", code, stderr)
	}
	byID := map[string]stats.Record{}
	for _, r := range records(t, out) {
		byID[r.ID] = r
	}
	if len(byID) != 4 || byID["2"].OK || !strings.Contains(byID["2"].Error, "in.jsonl:2: not a JSON object") ||
		byID["x"].OK || !strings.Contains(byID["x"].Error, `no "text" field`) || !byID["ok1"].OK {
		t.Errorf("records %+v", byID)
	}
}

func TestStatsGolden(t *testing.T) {
	stdout, stderr, code := runBinary(t, "", "stats", filepath.Join("..", "..", "stats", "testdata", "run.jsonl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "line 6") {
		t.Errorf("the truncated line is not reported: %s", stderr)
	}
	golden := filepath.Join("testdata", "stats.golden")
	if *update {
		os.WriteFile(golden, []byte(stdout), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("stats output differs from %s:\n%s", golden, stdout)
	}
	if _, stderr, code := runBinary(t, "", "stats", "/nonexistent.jsonl"); code != 1 || !strings.Contains(stderr, "nonexistent.jsonl") {
		t.Errorf("missing file: exit %d %s", code, stderr)
	}
}

func TestExtractAndRepairCommands(t *testing.T) {
	dir := t.TempDir()
	person := filepath.Join(dir, "person.json")
	os.WriteFile(person, []byte(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}`), 0o644)
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		stdout   string // exact, when not empty
		inStderr string
	}{
		{"extract", "", []string{"extract", "--schema", person, "--sim-profile", "clean", "Mike (45)"}, 0, "{\n  \"name\": \"Mike\",\n  \"age\": 45\n}\n", "built-in simulator"},
		{"extract from stdin", "Sarah, age 25", []string{"extract", "--schema", person, "-"}, 0, "{\n  \"name\": \"Sarah\",\n  \"age\": 25\n}\n", ""},
		{"extract empty text", "  ", []string{"extract", "--schema", person, "-"}, 1, "", "empty"},
		{"missing key for OpenAI", "", []string{"extract", "--provider", "openai", "x"}, 1, "", "no API key for https://api.openai.com/v1: set OPENAI_API_KEY"},
		{"bad schema file", "", []string{"extract", "--schema", filepath.Join(dir, "nope.json"), "x"}, 1, "", "--schema"},
		{"bad mode", "", []string{"extract", "--mode", "yaml", "x"}, 1, "", "--mode"},
		{"repair", "Sure! ```json\n{name: 'John', age: '30',}\n```", []string{"repair", "-v", "--schema", person}, 0, "{\"name\":\"John\",\"age\":30}\n", "string_to_integer"},
		{"repair invalid", "{\"name\": \"Jo", []string{"repair"}, 1, "", "truncat"},
		{"repair schema-invalid", "{\"name\": 5}", []string{"repair", "--schema", person}, 1, "", "/age: missing required field"},
		{"version", "", []string{"version"}, 0, "", ""},
		{"unknown command", "", []string{"frobnicate"}, 1, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" && stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.inStderr)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, c := range [][]string{{}, {"extract"}, {"batch"}, {"stats"}, {"repair"}, {"sim"}, {"sim", "dataset"}, {"demo"}, {"serve"}, {"version"}, {"worker"}, {"jobs"}, {"schema"}, {"schema", "check"}} {
		stdout, _, code := runBinary(t, "", append(c, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:") {
			t.Errorf("reask %s --help: exit %d\n%s", strings.Join(c, " "), code, stdout)
		}
	}
}

func TestFlagsBeatEnvironment(t *testing.T) {
	f := providerFlags{simProfile: "clean", simSeed: 1}
	env := func(k string) string {
		return map[string]string{"REASK_MODEL": "env-model", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}[k]
	}
	p, err := f.open(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "openai/env-model" {
		t.Errorf("name %s", p.Name())
	}
	f.model = "flag-model"
	p, _ = f.open(context.Background(), env)
	if p.Name() != "openai/flag-model" {
		t.Errorf("name %s", p.Name())
	}
}

// Ctrl-C stops starting items, lets those in flight finish and exits 130;
// --resume then completes the output.
func TestInterruptExits130(t *testing.T) {
	dir := writeDataset(t, 40, 6)
	profile := filepath.Join(dir, "slow.json")
	os.WriteFile(profile, []byte(`{"name":"slow","latency":{"median":"30ms"}}`), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", filepath.Join(dir, "items.jsonl"),
		"--out", out, "--sim-profile", profile, "--concurrency", "2"}
	cmd := exec.Command(binary, append(args, "--progress-interval", "0")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	progress, _ := cmd.StderrPipe()
	var stderr bytes.Buffer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(progress)
	for sc.Scan() {
		var done int
		if _, err := fmt.Sscanf(sc.Text(), "progress: %d done", &done); err == nil && done >= 3 {
			cmd.Process.Signal(os.Interrupt)
			break
		}
	}
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "--resume") {
		t.Fatalf("exit %v, stderr:\n%s", err, stderr.String())
	}
	for _, r := range records(t, out) {
		if !r.OK {
			t.Errorf("item %s failed on interrupt: %s", r.ID, r.Error)
		}
	}
	if _, stderr, code := runBinary(t, "", append(args, "--resume")...); code != 0 {
		t.Fatalf("resume: %d %s", code, stderr)
	}
	if n := len(records(t, out)); n != 40 {
		t.Errorf("%d records after resume, want 40", n)
	}
}

// TestRepairHostileFiles: hostile input given as a FILE argument gets an
// answer or a clear error naming the file, never a crash.
func TestRepairHostileFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		content  string
		code     int
		stdout   string
		inStderr string
	}{
		{"100,000 nested brackets", strings.Repeat("[", 100_000), 1, "", "more than 512 levels"},
		{"5 MB unterminated string", `{"a": "` + strings.Repeat("x", 5<<20), 1, "", "truncated JSON"},
		{"invalid UTF-8", "{\"a\": \"\xff ok\"}", 0, "{\"a\":\"\ufffd ok\"}\n", "invalid_utf8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runBinary(t, "", "repair", "-v", path)
			if code != tt.code || stdout != tt.stdout {
				t.Fatalf("exit %d, stdout %q; want %d, %q (stderr %s)", code, stdout, tt.code, tt.stdout, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) || (code != 0 && !strings.Contains(stderr, path)) {
				t.Errorf("stderr %q lacks %q or the file name", stderr, tt.inStderr)
			}
		})
	}
}
