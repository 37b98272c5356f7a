package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reask/reask/sim"
	"github.com/reask/reask/stats"
)

// threeItems is a batch input of three texts the simulator answers.
const threeItems = `{"id":"a","text":"Contact John Doe, age 30, at john@email.com"}
{"id":"b","text":"Sarah, age 25"}
{"id":"c","text":"Mike (45)"}
`

func TestStatsJSON(t *testing.T) {
	run := filepath.Join("..", "..", "stats", "testdata", "run.jsonl")
	stdout, stderr, code := runCLI(t, nil, "", "stats", "--json", run)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "line 6") {
		t.Errorf("the unreadable line is not reported: %q", stderr)
	}
	// Every figure of the dashboard is there, by its JSON name.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &fields); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	for _, name := range []string{"items", "ok", "failed", "success_rate", "attempts_histogram", "mean_attempts", "calls", "mean_calls",
		"errors", "repairs", "failure_outcomes", "tokens", "wasted_share", "latency_ms", "backoff_ms", "rate_limited_calls",
		"breaker_refusals", "breaker_trips", "switches"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("the JSON lacks %q:\n%s", name, stdout)
		}
	}
	// And the figures are those the table shows.
	f, err := os.Open(run)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, _, err := stats.Read(f, 5)
	if err != nil {
		t.Fatal(err)
	}
	var got stats.Summary
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats --json\n%+v\nwant\n%+v", got, want)
	}
	if got.Items != 5 || got.OK != 3 || got.Failed != 2 {
		t.Errorf("items %d ok %d failed %d, want 5, 3, 2", got.Items, got.OK, got.Failed)
	}
}

// batchFiles writes the input and the schema of a batch into a fresh
// directory and returns the paths of the input, the schema and the output.
func batchFiles(t *testing.T, input string) (in, schemaFile, out string) {
	t.Helper()
	dir := t.TempDir()
	in, schemaFile, out = filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "person.json"), filepath.Join(dir, "out.jsonl")
	os.WriteFile(in, []byte(input), 0o644)
	os.WriteFile(schemaFile, []byte(personSchema), 0o644)
	return in, schemaFile, out
}

// The --prompt text, or the content of the --prompt file, reaches the model.
func TestBatchPrompt(t *testing.T) {
	const instructions = "You extract people for the staff directory. Names in full."
	promptFile := writeFile(t, "prompt.txt", instructions)
	for _, tc := range []struct{ name, prompt string }{{"text", instructions}, {"file", promptFile}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLoopbackSim(t, sim.Config{Seed: 1})
			in, schemaFile, out := batchFiles(t, threeItems)
			_, stderr, code := runCLI(t, nil, "", "batch", "--schema", schemaFile, "--in", in, "--out", out,
				"--base-url", srv.URL+"/v1", "--prompt", tc.prompt)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			reqs := srv.requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			for _, r := range reqs {
				var body struct {
					Messages []struct {
						Role    string `json:"role"`
						Content string `json:"content"`
					} `json:"messages"`
				}
				if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
					t.Fatal(err)
				}
				if len(body.Messages) == 0 || body.Messages[0].Role != "system" || !strings.Contains(body.Messages[0].Content, instructions) {
					t.Errorf("the instructions are not the system message: %s", r.Body)
				}
				if strings.Contains(r.Body, promptFile) {
					t.Errorf("the prompt file's name reached the model: %s", r.Body)
				}
			}
		})
	}
	in, schemaFile, out := batchFiles(t, threeItems)
	if _, stderr, code := runCLI(t, nil, "", "batch", "--schema", schemaFile, "--in", in, "--out", out, "--prompt", t.TempDir()); code != 1 ||
		!strings.Contains(stderr, "--prompt") {
		t.Errorf("a directory as --prompt: exit %d, stderr %q", code, stderr)
	}
}

// deadLetters reads a dead-letter file: the ids in order, each with its line.
func deadLetters(t *testing.T, path string) (ids []string, byID map[string]map[string]json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byID = map[string]map[string]json.RawMessage{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("dead letter %q: %v", l, err)
		}
		var id string
		json.Unmarshal(m["id"], &id)
		ids = append(ids, id)
		byID[id] = m
	}
	slices.Sort(ids)
	return ids, byID
}

// --max-attempts bounds every item's attempts, and --dead-letter receives
// every failed item once, with its input and reason; a resumed run adds
// nothing.
func TestBatchMaxAttemptsAndDeadLetter(t *testing.T) {
	tests := []struct {
		name        string
		profile     sim.Profile
		input       string
		maxAttempts int
		requests    int
		failed      []string
		reason      map[string]string // id → part of the dead letter's error
	}{
		{"stubborn model, 2 attempts", stubbornSimProfile(t), threeItems, 2, 6, []string{"a", "b", "c"},
			map[string]string{"a": "no valid answer after 2 attempt(s)"}},
		{"stubborn model, 1 attempt", stubbornSimProfile(t), threeItems, 1, 3, []string{"a", "b", "c"},
			map[string]string{"c": "no valid answer after 1 attempt(s)"}},
		{"bad lines, clean model", sim.Profile{}, threeItems + "{broken\n{\"id\":\"notext\"}\n", 3, 3, []string{"4", "notext"},
			map[string]string{"4": "not a JSON object", "notext": `no "text" field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newLoopbackSim(t, sim.Config{Seed: 1, Profile: tt.profile})
			in, schemaFile, out := batchFiles(t, tt.input)
			dead := filepath.Join(t.TempDir(), "dead.jsonl")
			args := []string{"batch", "--schema", schemaFile, "--in", in, "--out", out, "--base-url", srv.URL + "/v1",
				"--max-attempts", strconv.Itoa(tt.maxAttempts), "--dead-letter", dead}
			_, stderr, code := runCLI(t, nil, "", args...)
			if code != codeFailed {
				t.Fatalf("exit %d, want 3 (items failed): %s", code, stderr)
			}
			if n := len(srv.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			var failed []string
			for _, r := range records(t, out) {
				if r.Attempts > tt.maxAttempts {
					t.Errorf("%s: %d attempts, more than --max-attempts %d", r.ID, r.Attempts, tt.maxAttempts)
				}
				if !r.OK {
					failed = append(failed, r.ID)
					if r.Outcome == "schema" && r.Attempts != tt.maxAttempts {
						t.Errorf("%s failed after %d attempts, want %d", r.ID, r.Attempts, tt.maxAttempts)
					}
				}
			}
			slices.Sort(failed)
			ids, byID := deadLetters(t, dead)
			if !slices.Equal(failed, tt.failed) || !slices.Equal(ids, tt.failed) {
				t.Errorf("failed %v, dead letters %v; want %v in both, once each", failed, ids, tt.failed)
			}
			for id, want := range tt.reason {
				var reason string
				json.Unmarshal(byID[id]["error"], &reason)
				if !strings.Contains(reason, want) {
					t.Errorf("dead letter of %s: %s; want the reason %q", id, byID[id]["error"], want)
				}
			}
			for id, m := range byID {
				if id != "4" && len(m["input"]) == 0 {
					t.Errorf("dead letter of %s lacks its input", id)
				}
			}

			// Resuming skips every item written: no call, no new dead letter.
			before := len(srv.requests())
			if _, stderr, code := runCLI(t, nil, "", append(args, "--resume")...); code != codeFailed {
				t.Fatalf("resume: exit %d, want 3: %s", code, stderr)
			}
			if again, _ := deadLetters(t, dead); !slices.Equal(again, ids) || len(srv.requests()) != before {
				t.Errorf("after --resume: dead letters %v, %d new requests", again, len(srv.requests())-before)
			}
		})
	}
}

// --provider anthropic, or ANTHROPIC_API_KEY alone, talks to Anthropic's
// Messages API with the key in x-api-key; the simulator, which wants that
// key, answers every item.
func TestBatchAnthropic(t *testing.T) {
	const key = "sk-ant-test-key"
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
	}{
		{"--provider anthropic", nil, []string{"--provider", "anthropic", "--api-key", key}},
		{"--provider anthropic, key from the environment", map[string]string{"ANTHROPIC_API_KEY": key}, []string{"--provider", "anthropic"}},
		{"ANTHROPIC_API_KEY selects anthropic", map[string]string{"ANTHROPIC_API_KEY": key}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newLoopbackSim(t, sim.Config{Seed: 1, APIKey: key})
			env := map[string]string{"ANTHROPIC_BASE_URL": srv.URL}
			for k, v := range tt.env {
				env[k] = v
			}
			in, schemaFile, out := batchFiles(t, threeItems)
			stdout, stderr, code := runCLI(t, env, "", append([]string{"batch", "--schema", schemaFile, "--in", in, "--out", out}, tt.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stderr, "simulator") || strings.Contains(stdout+stderr, key) {
				t.Errorf("stderr %q", stderr)
			}
			reqs := srv.requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			for _, r := range reqs {
				if r.Path != "/v1/messages" || r.APIKey != key || r.Authorization != "" {
					t.Errorf("request to %s with x-api-key %q, Authorization %q", r.Path, r.APIKey, r.Authorization)
				}
			}
			for _, r := range records(t, out) {
				if !r.OK || !strings.HasPrefix(r.Provider, "anthropic/") {
					t.Errorf("%s: ok %v, provider %q: %s", r.ID, r.OK, r.Provider, r.Error)
				}
			}
		})
	}
}

// A missing API key for a real provider is reported before any work
// starts: exit 1, no output file.
func TestBatchMissingAPIKey(t *testing.T) {
	for _, tc := range []struct {
		provider, want string
	}{
		{"openai", "no API key for https://api.openai.com/v1: set OPENAI_API_KEY or --api-key"},
		{"anthropic", "no API key for https://api.anthropic.com: set ANTHROPIC_API_KEY or --api-key"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			in, schemaFile, out := batchFiles(t, threeItems)
			dead := filepath.Join(filepath.Dir(out), "dead.jsonl")
			stdout, stderr, code := runCLI(t, nil, "", "batch", "--provider", tc.provider, "--schema", schemaFile, "--in", in, "--out", out, "--dead-letter", dead)
			if code != 1 || stdout != "" || !oneParagraph(stderr) || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d\nstdout %q\nstderr %q; want exit 1 and %q", code, stdout, stderr, tc.want)
			}
			for _, p := range []string{out, dead} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s exists after a configuration error (%v)", filepath.Base(p), err)
				}
			}
		})
	}
}
