package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/reask/reask/sim"
	"github.com/reask/reask/stats"
)

// fastBatches is the flaky profile's content faults and failed lines with
// batches that end at once, so that a run of rounds takes milliseconds.
// noFailedLines is it without failed lines: then a line sent twice is a
// line paid for twice (a failed line is sent again as it was, unpaid).
const fastBatches = `{"base":"flaky","ignore_strict":true,
  "transport":{"rate_limited":0,"server_error":0,"bad_gateway":0,"unavailable":0,"drop":0},
  "batch":{"validating":"1ms","in_progress":"1ms","finalizing":"1ms","failed_lines":0.05,"expire":0}}`

var noFailedLines = strings.Replace(fastBatches, `"failed_lines":0.05`, `"failed_lines":0`, 1)

func fastBatchSim(t *testing.T, prof string) sim.Config {
	t.Helper()
	p, err := sim.ParseProfile([]byte(prof))
	if err != nil {
		t.Fatal(err)
	}
	return sim.Config{Seed: 4, Profile: p}
}

// batchLines is every batch line the loopback simulator was sent, as
// custom_id and request body: OpenAI's uploaded input files and
// Anthropic's message batches.
func batchLines(t *testing.T, lp *loopbackProvider) []string {
	t.Helper()
	var out []string
	for _, r := range lp.requests() {
		switch r.Path {
		case "/v1/files":
			// A multipart body starts with "--BOUNDARY".
			boundary, _, _ := strings.Cut(strings.TrimPrefix(r.Body, "--"), "\r\n")
			mr := multipart.NewReader(strings.NewReader(r.Body), boundary)
			for {
				part, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if part.FormName() != "file" {
					continue
				}
				sc := bufio.NewScanner(part)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var l struct {
						CustomID string          `json:"custom_id"`
						Body     json.RawMessage `json:"body"`
					}
					if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
						t.Fatal(err)
					}
					out = append(out, l.CustomID+" "+string(l.Body))
				}
			}
		case "/v1/messages/batches":
			var b struct {
				Requests []struct {
					CustomID string          `json:"custom_id"`
					Params   json.RawMessage `json:"params"`
				} `json:"requests"`
			}
			if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
				t.Fatal(err)
			}
			for _, q := range b.Requests {
				out = append(out, q.CustomID+" "+string(q.Params))
			}
		}
	}
	return out
}

// paidOnce fails the test for every batch line sent more than once.
func paidOnce(t *testing.T, lines []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("a batch line was sent twice: %.120s…", l)
		}
		seen[l] = true
	}
}

// reask batch --provider-batch runs every item through OpenAI's and
// Anthropic's batch APIs (and the built-in simulator's), in rounds: each
// record says so, the dashboard shows the rounds and the cost at the batch
// discount, and the state file is gone once every item is written.
func TestProviderBatch(t *testing.T) {
	dir := writeDataset(t, 24, 2)
	profile := filepath.Join(dir, "fast.json")
	os.WriteFile(profile, []byte(fastBatches), 0o644)
	for _, provider := range []string{"openai", "anthropic", "sim"} {
		t.Run(provider, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", filepath.Join(dir, "items.jsonl"), "--out", out,
				"--provider-batch", "--poll-interval", "2ms", "--max-attempts", "4", "--progress-interval", "1h"}
			var lp *loopbackProvider
			switch provider {
			case "openai":
				lp = newLoopbackSim(t, fastBatchSim(t, fastBatches))
				args = append(args, "--provider", "openai", "--base-url", lp.URL+"/v1")
			case "anthropic":
				lp = newLoopbackSim(t, fastBatchSim(t, fastBatches))
				args = append(args, "--provider", "anthropic", "--base-url", lp.URL, "--api-key", "test-key-0123456789", "--strict", "off") // strict tools would keep every field: no re-ask round
			default:
				args = append(args, "--provider", "sim", "--sim-profile", profile, "--sim-seed", "4")
			}
			stdout, stderr, code := runCLI(t, nil, "", args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			recs := records(t, out)
			if len(recs) != 24 {
				t.Fatalf("%d records, want 24", len(recs))
			}
			rounds := 0
			for _, r := range recs {
				if !r.OK || !r.Batch || r.BatchCalls < 1 || r.Round < 1 || r.BatchUsage == nil || r.BatchUsage.TotalTokens != r.Usage.TotalTokens {
					t.Errorf("record %+v: want ok, batch, its calls and tokens in batches, its round", r)
				}
				rounds = max(rounds, r.Round)
			}
			if rounds < 2 {
				t.Errorf("every item finished in round 1: the test checks no re-ask round")
			}
			if lp != nil {
				if n := len(batchLines(t, lp)); n != sumCalls(recs) {
					t.Errorf("%d batch lines sent, records count %d batch calls", n, sumCalls(recs))
				}
			}
			if !strings.Contains(stderr, "round 2: ") || !strings.Contains(stdout, "Provider batch API (24 items, batch price 50.0% of direct)") ||
				!strings.Contains(stdout, "cost vs direct         50.0%") {
				t.Errorf("stdout\n%s\nstderr\n%s", stdout, stderr)
			}
			if _, err := os.Stat(out + stateSuffix); !os.IsNotExist(err) {
				t.Errorf("state file after a finished run: %v", err)
			}
			// reask stats reads the batch section back.
			js, stderr, code := runCLI(t, nil, "", "stats", "--json", out)
			var sum stats.Summary
			if code != 0 || json.Unmarshal([]byte(js), &sum) != nil || sum.Batch == nil || sum.Batch.Rounds != rounds ||
				sum.Batch.Items != 24 || sum.Batch.CostShare != 0.5 {
				t.Errorf("stats --json (exit %d): %s %s", code, js, stderr)
			}
		})
	}
}

func sumCalls(recs []stats.Record) int {
	n := 0
	for _, r := range recs {
		n += r.BatchCalls
	}
	return n
}

// A run interrupted while it awaits round 2 keeps its batches in the state
// file; without --resume the next run refuses to pay for them again, and
// with it re-attaches: no batch line is sent twice, every id is written
// once, and the state file is gone at the end.
func TestProviderBatchResume(t *testing.T) {
	dir := writeDataset(t, 30, 3)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	srv, err := sim.New(fastBatchSim(t, noFailedLines))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	created := 0
	lp := newLoopbackProvider(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		if r.Method == http.MethodPost && r.URL.Path == "/v1/batches" {
			mu.Lock()
			created++
			if created == 2 {
				cancel() // Ctrl-C as round 2's batch is created
			}
			mu.Unlock()
		}
	}))
	args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", filepath.Join(dir, "items.jsonl"), "--out", out,
		"--provider-batch", "--poll-interval", "2ms", "--max-attempts", "4", "--progress-interval", "1h",
		"--provider", "openai", "--base-url", lp.URL + "/v1", "--dead-letter", filepath.Join(t.TempDir(), "dead.jsonl"), "--allow-failures"}
	var stdout, stderr bytes.Buffer
	code := runWithEnv(ctx, args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	if code != codeInterrupted || !strings.Contains(stderr.String(), "--resume to re-attach") {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	before := len(records(t, out))
	if before == 0 || before == 30 {
		t.Fatalf("%d records before the resume: the test checks nothing", before)
	}
	if _, err := os.Stat(out + stateSuffix); err != nil {
		t.Fatalf("no state file after the interruption: %v", err)
	}

	_, errText, code := runCLI(t, nil, "", args...)
	if code != 1 || !strings.Contains(errText, "add --resume to re-attach") {
		t.Errorf("without --resume: exit %d: %s", code, errText)
	}

	_, errText, code = runCLI(t, nil, "", append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, errText)
	}
	if recs := records(t, out); len(recs) != 30 {
		t.Errorf("%d records after resume, want 30 (%d before)", len(recs), before)
	}
	paidOnce(t, batchLines(t, lp))
	if _, err := os.Stat(out + stateSuffix); !os.IsNotExist(err) {
		t.Errorf("state file after the finished run: %v", err)
	}
}

// A reask batch --provider-batch killed with SIGKILL while a round runs,
// resumed, sends no batch line twice and writes every id once.
func TestProviderBatchResumeAfterKill(t *testing.T) {
	dir := writeDataset(t, 30, 5)
	// Batches that take a while, so that the kill comes mid-round.
	lp := newLoopbackSim(t, fastBatchSim(t, strings.Replace(noFailedLines, `"in_progress":"1ms"`, `"in_progress":"400ms"`, 1)))
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", filepath.Join(dir, "items.jsonl"), "--out", out,
		"--provider-batch", "--poll-interval", "5ms", "--max-attempts", "4", "--progress-interval", "1h", "--allow-failures",
		"--provider", "openai", "--base-url", lp.URL + "/v1"}
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	progress, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill as soon as round 2 is sent (its batch ids saved), before its
	// results come.
	sc := bufio.NewScanner(progress)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "round 2: ") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if n := len(records(t, out)); n == 30 {
		t.Skip("the run finished before it could be killed")
	}
	if _, err := os.Stat(out + stateSuffix); err != nil {
		t.Fatalf("no state file after the kill: %v", err)
	}
	_, stderr, code := runBinary(t, "", append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if recs := records(t, out); len(recs) != 30 {
		t.Errorf("%d records after resume, want 30", len(recs))
	}
	paidOnce(t, batchLines(t, lp))
}

// Bad uses are clear errors: a server without a batch API (suggesting the
// direct mode, writing no record), --redis, --max-rounds 0, a state of
// another model.
func TestProviderBatchErrors(t *testing.T) {
	in, schemaFile, out := batchFiles(t, threeItems)
	base := []string{"batch", "--schema", schemaFile, "--in", in, "--out", out, "--provider-batch", "--poll-interval", "2ms"}
	lp := newLoopbackProvider(t, http.NotFoundHandler())
	_, stderr, code := runCLI(t, nil, "", append(base, "--base-url", lp.URL+"/v1")...)
	if code != 1 || !strings.Contains(stderr, "no batch API") || !strings.Contains(stderr, "drop --provider-batch") {
		t.Errorf("unsupported: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); len(b) != 0 {
		t.Errorf("records written for a server without a batch API:\n%s", b)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--redis", "redis://127.0.0.1:1"}, "drop --redis"},
		{[]string{"--max-rounds", "0"}, "--max-rounds is 0"},
		{[]string{"--poll-interval", "0s"}, "--poll-interval is 0s"},
	} {
		_, stderr, code := runCLI(t, nil, "", append(append(base, "--provider", "sim"), tt.args...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d: %s", tt.args, code, stderr)
		}
	}
	os.WriteFile(out+stateSuffix, []byte(`{"version":1,"base_url":"http://elsewhere/v1","model":"gpt-4o","rounds":[{"batches":["batch_1"]}]}`), 0o644)
	_, stderr, code = runCLI(t, nil, "", append(base, "--base-url", lp.URL+"/v1", "--resume")...)
	if code != 1 || !strings.Contains(stderr, "holds batches of model gpt-4o at http://elsewhere/v1") {
		t.Errorf("another account's state: exit %d: %s", code, stderr)
	}
}
