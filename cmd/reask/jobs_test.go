package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/stats"
)

// The tests of distributed jobs run the real binary: a collector (reask
// batch --job) and worker processes on one redis-server. They wait on what
// the processes show (lines in the output, lines on stderr, the job's
// counts), never for a time; each bounds its wait with waitDeadline, past
// which it fails.

// poll is the --poll-interval of the tests' workers and collectors: short,
// so that a worker finds a new job at once.
const poll = "50ms"

// waitDeadline bounds every wait of these tests: far longer than any of
// them takes, so that only a hang reaches it.
const waitDeadline = 60 * time.Second

// lockedBuffer is a bytes.Buffer safe for a process's output copier and
// the test's reads at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a reask process of a test, killed when the test ends.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when it has exited
}

// startProc runs the binary with args, and env added to a clean
// environment.
func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	// The race detector waits a second at exit by default, for late
	// reports; these tests stop processes often. A race found still makes
	// the exit code 66.
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GORACE=atexit_sleep_ms=0"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
		}
	})
	return p
}

// startWorker runs "reask worker" on redisURL.
func startWorker(t *testing.T, redisURL, name string, env []string, args ...string) *proc {
	t.Helper()
	return startProc(t, name, env, append([]string{"worker", "--redis", redisURL, "--name", name, "--poll-interval", poll}, args...)...)
}

// exited reports whether p has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for p to exit and returns its exit code (-1 when killed).
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitDeadline):
		t.Fatalf("%s did not exit within %s; stderr:\n%s", p.name, waitDeadline, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill9 kills p at once, as a crash would.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	p.wait(t)
}

// term sends SIGTERM and returns the exit code.
func (p *proc) term(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t)
}

// waitStderr waits until p's stderr holds s.
func (p *proc) waitStderr(t *testing.T, s string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to say %q", p.name, s), func() bool { return strings.Contains(p.stderr.String(), s) })
}

// itemsDone returns the items a worker's last line says it did.
func (p *proc) itemsDone(t *testing.T) int {
	t.Helper()
	var name string
	var n int
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if strings.HasPrefix(line, "reask: worker ") && strings.Contains(line, " stopped: ") {
			if _, err := fmt.Sscanf(line, "reask: worker %s stopped: %d items", &name, &n); err == nil {
				return n
			}
		}
	}
	t.Fatalf("%s: no line saying how many items it did:\n%s", p.name, p.stderr.String())
	return 0
}

// waitFor waits until cond holds, looking every few milliseconds, and
// fails the test past waitDeadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", waitDeadline, what)
		}
		<-tick.C
	}
}

// linesIn returns the complete lines in the file at path.
func linesIn(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// waitLines waits until the file at path holds at least n complete lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d lines in %s", n, filepath.Base(path)), func() bool { return linesIn(path) >= n })
}

// jobInput writes n items (ids "p1"…) for personSchema, and the schema,
// into dir; poison, when set, is the text of one more item, id "poison".
func jobInput(t *testing.T, dir string, n int, poison string) (in, schemaPath string, ids []string) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		id := "p" + strconv.Itoa(i)
		fmt.Fprintf(&b, `{"id":%q,"text":"Person %d is called Mike, age %d"}`+"\n", id, i, 20+i%50)
		ids = append(ids, id)
		if poison != "" && i == n/2 {
			fmt.Fprintf(&b, `{"id":"poison","text":%q}`+"\n", poison)
			ids = append(ids, "poison")
		}
	}
	in, schemaPath = filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "person.json")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(schemaPath, []byte(personSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	return in, schemaPath, ids
}

// slowProfile writes a simulator profile of a fixed latency, so that
// items are in flight when a process is killed.
func slowProfile(t *testing.T, dir, latency string) string {
	t.Helper()
	p := filepath.Join(dir, "slow.json")
	prof := fmt.Sprintf(`{"name":"slow","latency":{"median":%q,"p99":%q}}`, latency, latency)
	if err := os.WriteFile(p, []byte(prof), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// exactlyOnce checks that the output at path holds one valid record per
// id of want and nothing else, and returns them by id.
func exactlyOnce(t *testing.T, path string, want []string) map[string]stats.Record {
	t.Helper()
	got := map[string]stats.Record{}
	for _, r := range records(t, path) { // fails on a broken line or an id twice
		got[r.ID] = r
	}
	for _, id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("%s: id %s missing", filepath.Base(path), id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d records; want %d", filepath.Base(path), len(got), len(want))
	}
	return got
}

// jobStatus returns the job's counts as "reask jobs --json NAME" prints
// them.
func jobStatus(t *testing.T, redisURL, name string) jobView {
	t.Helper()
	stdout, stderr, code := runCLI(t, nil, "", "jobs", "--redis", redisURL, "--json", name)
	if code != 0 {
		t.Fatalf("reask jobs: exit %d: %s", code, stderr)
	}
	var v []jobView
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || len(v) != 1 {
		t.Fatalf("reask jobs --json: %v\n%s", err, stdout)
	}
	return v[0]
}

// A job runs on one worker and on three, and its output is that of a
// single-process batch: the same records (timings aside), broken lines
// and duplicate ids failed as batch fails them, the same dead letter.
// Without a failure each item runs once: the workers' counts add up.
// reask jobs then shows the finished job.
func TestJobOneAndThreeWorkers(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	in, schemaPath, _ := jobInput(t, dir, 24, "")
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{broken\n{\"id\":\"p3\",\"text\":\"Sarah, age 25\"}\n")
	f.Close()
	single, singleDead := filepath.Join(dir, "single.jsonl"), filepath.Join(dir, "single-dead.jsonl")
	if _, stderr, code := runCLI(t, nil, "", "batch", "--schema", schemaPath, "--in", in, "--out", single, "--dead-letter", singleDead); code != codeFailed {
		t.Fatalf("single-process batch: exit %d: %s", code, stderr)
	}
	want := records(t, single)
	for _, workers := range []int{1, 3} {
		name := fmt.Sprintf("w%d", workers)
		var ws []*proc
		for i := range workers {
			ws = append(ws, startWorker(t, srv.URL(), fmt.Sprintf("%s-%d", name, i), nil))
		}
		out, dead := filepath.Join(dir, name+".jsonl"), filepath.Join(dir, name+"-dead.jsonl")
		stdout, stderr, code := runBinary(t, "", "batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", name, "--schema", schemaPath,
			"--in", in, "--out", out, "--dead-letter", dead)
		if code != codeFailed || !strings.Contains(stderr, "2 of 26 items") || !strings.Contains(stdout, "items                  26 (ok 24, failed 2)") {
			t.Fatalf("%d workers: exit %d, want 3 (two broken lines):\n%s\n%s", workers, code, stdout, stderr)
		}
		got := map[string]stats.Record{}
		for _, r := range records(t, out) {
			got[r.ID] = r
		}
		if len(got) != len(want) {
			t.Errorf("%d workers: %d records; want %d", workers, len(got), len(want))
		}
		for _, w := range want {
			g := got[w.ID]
			// Timings aside, and the shared policies' Redis calls that
			// missed their 50 ms on a busy machine.
			g.DurationMS, g.BackoffMS, g.SharedStateErrors, w.DurationMS, w.BackoffMS = 0, 0, 0, 0, 0
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if !bytes.Equal(gb, wb) {
				t.Errorf("%d workers: record %s:\n%s\nwant (reask batch):\n%s", workers, w.ID, gb, wb)
			}
		}
		if d, s := readLines(t, dead), readLines(t, singleDead); !slices.Equal(d, s) {
			t.Errorf("%d workers: dead letter\n%q\nwant (reask batch)\n%q", workers, d, s)
		}
		st := jobStatus(t, srv.URL(), name)
		if st.State != "finished" || st.Done != 26 || st.OK != 24 || st.Failed != 2 || st.Written != 26 || st.Queued+st.InFlight != 0 {
			t.Errorf("%d workers: reask jobs: %+v", workers, st)
		}
		sum := 0
		for _, w := range ws {
			if code := w.term(t); code != 0 {
				t.Errorf("%s: exit %d on SIGTERM; want 0:\n%s", w.name, code, w.stderr.String())
			}
			sum += w.itemsDone(t)
		}
		if sum != 24 {
			t.Errorf("%d workers did %d items in all; want 24, each once", workers, sum)
		}
	}
	table, stderr, code := runCLI(t, nil, "", "jobs", "--redis", srv.URL())
	if code != 0 || !strings.Contains(table, "JOB") || !strings.Contains(table, "IN FLIGHT") ||
		!strings.Contains(table, "w1 ") || !strings.Contains(table, "w3 ") || !strings.Contains(table, "26/26") {
		t.Errorf("reask jobs: exit %d:\n%s%s", code, table, stderr)
	}
}

// readLines returns the lines of the file at path, sorted.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}

// Workers killed with SIGKILL mid-run, one after another, and replaced by
// new ones: the items they held are taken by the others after the
// visibility timeout, and the output holds every id exactly once. A
// worker that joins mid-run takes work.
func TestJobWorkersKilled(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	const n = 60
	in, schemaPath, ids := jobInput(t, dir, n, "")
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"--concurrency", "2", "--visibility-timeout", "400ms"}
	live := []*proc{startWorker(t, srv.URL(), "a", nil, args...), startWorker(t, srv.URL(), "b", nil, args...)}
	collector := startProc(t, "collector", nil, "batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", "kills", "--schema", schemaPath,
		"--in", in, "--out", out, "--sim-profile", slowProfile(t, dir, "40ms"))
	var joined *proc // the first worker started mid-run that is not killed
	for i, at := range []int{10, 25, 40} {
		waitLines(t, out, at)
		if collector.exited() {
			t.Fatalf("the job finished before kill %d", i+1)
		}
		live[0].kill9(t)
		r := startWorker(t, srv.URL(), fmt.Sprintf("r%d", i), nil, args...)
		live = append(live[1:], r)
		if i == 1 {
			joined = r
		}
	}
	if code := collector.wait(t); code != 0 {
		t.Fatalf("collector: exit %d:\n%s", code, collector.stderr.String())
	}
	for id, r := range exactlyOnce(t, out, ids) {
		if !r.OK {
			t.Errorf("item %s failed: %s", id, r.Error)
		}
	}
	for _, w := range live {
		if code := w.term(t); code != 0 {
			t.Errorf("%s: exit %d on SIGTERM", w.name, code)
		}
	}
	if joined.itemsDone(t) == 0 {
		t.Errorf("worker %s, started mid-run, did no item:\n%s", joined.name, joined.stderr.String())
	}
}

// A collector killed with SIGKILL mid-run and started again with --resume
// re-attaches to its job: the workers went on meanwhile, nothing is
// queued or written twice, and the output is whole. Ctrl-C on a collector
// exits 130, and --resume finishes the job.
func TestJobCollectorKilledResumes(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	const n = 60
	in, schemaPath, ids := jobInput(t, dir, n, "")
	out := filepath.Join(dir, "out.jsonl")
	startWorker(t, srv.URL(), "w", nil, "--concurrency", "2")
	args := []string{"batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", "resume", "--schema", schemaPath, "--in", in, "--out", out,
		"--sim-profile", slowProfile(t, dir, "20ms"), "--max-pending", "20"}
	collector := startProc(t, "collector", nil, args...)
	waitLines(t, out, 15)
	collector.kill9(t)
	written := linesIn(out)
	if written >= n {
		t.Fatal("the job finished before the collector was killed")
	}
	// The worker goes on without a collector, with what is queued.
	waitFor(t, "the worker to run what is queued", func() bool {
		st := jobStatus(t, srv.URL(), "resume")
		return st.Queued+st.InFlight == 0 && st.Done > written
	})
	// Resumed, then interrupted (Ctrl-C): exit 130, saying to resume.
	resumed := startProc(t, "resumed", nil, append(args, "--resume")...)
	waitLines(t, out, 45)
	resumed.cmd.Process.Signal(os.Interrupt)
	if code := resumed.wait(t); code != codeInterrupted || !strings.Contains(resumed.stderr.String(), "--resume") {
		t.Fatalf("interrupted: exit %d; want 130 and a word on --resume:\n%s", code, resumed.stderr.String())
	}
	_, stderr, code := runBinary(t, "", append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d:\n%s", code, stderr)
	}
	exactlyOnce(t, out, ids)
	// Without --resume, the existing output is not overwritten.
	if _, stderr, code := runBinary(t, "", args...); code != codeError || !strings.Contains(stderr, "exists and is not empty") {
		t.Errorf("again without --resume: exit %d: %s", code, stderr)
	}
}

// An item that kills every worker that takes it is handed out
// --max-deliveries times, then written as a failed record of outcome
// "dead" and to the dead letter; the other items are done.
func TestJobPoisonedItemDeadLetters(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	in, schemaPath, ids := jobInput(t, dir, 8, "POISON: whoever reads this dies")
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	simSrv, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var current *proc // the one worker running
	provider := newLoopbackProvider(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if bytes.Contains(b, []byte("POISON")) {
			mu.Lock()
			current.cmd.Process.Kill()
			mu.Unlock()
			http.Error(w, "poisoned", http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		simSrv.ServeHTTP(w, r)
	}))
	start := func(i int) *proc {
		mu.Lock()
		defer mu.Unlock()
		// One item at a time: a worker killed holds the poisoned item
		// only, so that only it is delivered too often.
		current = startWorker(t, srv.URL(), fmt.Sprintf("w%d", i), nil, "--base-url", provider.URL+"/v1",
			"--concurrency", "1", "--visibility-timeout", "300ms", "--max-deliveries", "2")
		return current
	}
	collector := startProc(t, "collector", nil, "batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", "poison", "--provider", "openai",
		"--schema", schemaPath, "--in", in, "--out", out, "--dead-letter", dead)
	w := start(0)
	started := 1
	for !collector.exited() {
		select {
		case <-w.done:
			if started == 3 {
				t.Fatal("3 workers killed; want 2 (--max-deliveries 2)")
			}
			w = start(started)
			started++
		case <-collector.done:
		}
	}
	if code := collector.wait(t); code != codeFailed {
		t.Fatalf("collector: exit %d; want 3 (an item failed):\n%s", code, collector.stderr.String())
	}
	recs := exactlyOnce(t, out, ids)
	for id, r := range recs {
		if id != "poison" && !r.OK {
			t.Errorf("item %s failed: %s", id, r.Error)
		}
	}
	p := recs["poison"]
	if p.OK || p.Outcome != string(jobs.KindDead) || !strings.Contains(p.Error, "2 times") {
		t.Errorf("the poisoned item's record: %+v; want outcome dead after 2 deliveries", p)
	}
	if started != 3 {
		t.Errorf("%d workers started; want 3 (2 killed by the item, the third gives it up)", started)
	}
	if d := readLines(t, dead); len(d) != 1 || !strings.Contains(d[0], "POISON") || !strings.Contains(d[0], "dead") {
		t.Errorf("dead letter: %q", d)
	}
}

// A worker without credentials for a job's provider refuses the job with
// a clear line and leaves its items to others; the job's spec in Redis
// names the provider and model but holds no API key.
func TestJobWorkerWithoutCredentials(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	in, schemaPath, ids := jobInput(t, dir, 10, "")
	out := filepath.Join(dir, "out.jsonl")
	const secret = "sk-collector-secret-1234"
	nokey := startWorker(t, srv.URL(), "nokey", nil)
	collector := startProc(t, "collector", []string{"OPENAI_API_KEY=" + secret}, "batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", "creds",
		"--schema", schemaPath, "--in", in, "--out", out, "--model", "gpt-4o-mini")
	nokey.waitStderr(t, "cannot serve the job")
	for _, want := range []string{"job=creds", "provider openai", "no API key for https://api.openai.com/v1"} {
		if !strings.Contains(nokey.stderr.String(), want) {
			t.Errorf("the refusal lacks %q:\n%s", want, nokey.stderr.String())
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	defer rdb.Close()
	spec, err := rdb.Get(t.Context(), "reask:job:creds:spec").Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(spec, secret) || !strings.Contains(spec, `"provider":"openai"`) || !strings.Contains(spec, `"model":"gpt-4o-mini"`) {
		t.Errorf("the job's spec: %s", spec)
	}
	// The items the worker took go back to the queue, for others.
	waitFor(t, "the refused items back in the queue", func() bool {
		st := jobStatus(t, srv.URL(), "creds")
		if st.Done != 0 {
			t.Fatalf("items done by a worker that cannot serve the job: %+v", st)
		}
		return st.Queued == 10
	})
	startWorker(t, srv.URL(), "haskey", nil, "--base-url", newLoopbackSim(t, sim.Config{}).URL+"/v1")
	if code := collector.wait(t); code != 0 {
		t.Fatalf("collector: exit %d:\n%s", code, collector.stderr.String())
	}
	exactlyOnce(t, out, ids)
	if code := nokey.term(t); code != 0 || nokey.itemsDone(t) != 0 {
		t.Errorf("the refusing worker: exit %d, %d items; want 0 and 0", code, nokey.itemsDone(t))
	}
}

// Redis restarted mid-run: with persistence (AOF) the job goes on; without,
// the collector fails with a clear error, the output intact, and --resume
// finishes it. Either way no line is lost or written twice.
func TestJobRedisRestarted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"aof", []string{"--appendonly", "yes", "--appendfsync", "always"}, 0},
		{"no persistence", nil, codeError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t, tt.args...)
			dir := t.TempDir()
			const n = 30
			in, schemaPath, ids := jobInput(t, dir, n, "")
			out := filepath.Join(dir, "out.jsonl")
			startWorker(t, srv.URL(), "w", nil, "--concurrency", "1")
			args := []string{"batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", "restart", "--schema", schemaPath, "--in", in, "--out", out,
				"--sim-profile", slowProfile(t, dir, "20ms")}
			collector := startProc(t, "collector", nil, args...)
			waitLines(t, out, 8)
			srv.Restart()
			code := collector.wait(t)
			if code != tt.code {
				t.Fatalf("collector: exit %d; want %d:\n%s", code, tt.code, collector.stderr.String())
			}
			if code != 0 {
				if msg := collector.stderr.String(); !strings.Contains(msg, "gone from Redis") || !strings.Contains(msg, "--resume") {
					t.Errorf("the collector's error does not say what happened and what to do:\n%s", msg)
				}
				records(t, out) // whole lines only, each id once
				_, stderr, code := runBinary(t, "", append(args, "--resume")...)
				if code != 0 {
					t.Fatalf("resume: exit %d:\n%s", code, stderr)
				}
			}
			exactlyOnce(t, out, ids)
		})
	}
}

// Flags that cannot make a job are refused before anything reaches Redis:
// a schema that does not compile among them.
func TestBatchJobFlagErrors(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	in, schemaPath, _ := jobInput(t, dir, 2, "")
	bad := writeFile(t, "bad.json", `{"type":"object","properties":{"a":{"type":"strnig"}}}`)
	out := filepath.Join(dir, "out.jsonl")
	base := []string{"batch", "--in", in, "--out", out}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no redis", []string{"--job", "j", "--schema", schemaPath}, "--job needs --redis URL"},
		{"bad name", []string{"--job", "a b", "--schema", schemaPath, "--redis", srv.URL()}, `--job "a b"`},
		{"schema dir", []string{"--job", "j", "--schema-dir", dir, "--redis", srv.URL()}, "a job carries one schema"},
		{"concurrency", []string{"--job", "j", "--schema", schemaPath, "--redis", srv.URL(), "--concurrency", "4"}, "reask worker --concurrency"},
		{"base url", []string{"--job", "j", "--schema", schemaPath, "--redis", srv.URL(), "--base-url", "http://127.0.0.1:9/v1"}, "each worker's own --base-url"},
		{"max pending", []string{"--job", "j", "--schema", schemaPath, "--redis", srv.URL(), "--max-pending", "0"}, "--max-pending is 0"},
		{"bad schema", []string{"--job", "j", "--schema", bad, "--redis", srv.URL()}, "nothing was queued"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "", append(base, tt.args...)...)
			if code != codeError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d; want 1 and %q:\n%s", code, tt.want, stderr)
			}
		})
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	defer rdb.Close()
	if keys, err := rdb.Keys(t.Context(), "*").Result(); err != nil || len(keys) != 0 {
		t.Errorf("Redis holds %q (%v); want nothing queued", keys, err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

// reask worker refuses the flags that are a job's, and needs --redis;
// reask jobs says when there is no such job.
func TestWorkerAndJobsFlagErrors(t *testing.T) {
	srv := redistest.Start(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no redis", []string{"worker"}, "missing --redis URL"},
		{"mode is the job's", []string{"worker", "--redis", srv.URL(), "--mode", "tools"}, "--mode is the job's"},
		{"model is the job's", []string{"worker", "--redis", srv.URL(), "--model", "x"}, "--model is the job's"},
		{"concurrency", []string{"worker", "--redis", srv.URL(), "--concurrency", "0"}, "--concurrency is 0"},
		{"max deliveries", []string{"worker", "--redis", srv.URL(), "--max-deliveries", "0"}, "--max-deliveries is 0"},
		{"bad job name", []string{"worker", "--redis", srv.URL(), "--jobs", "ok,a/b"}, `--jobs "a/b"`},
		{"bad provider", []string{"worker", "--redis", srv.URL(), "--provider", "acme"}, `--provider "acme"`},
		{"jobs without redis", []string{"jobs"}, "missing --redis URL"},
		{"no such job", []string{"jobs", "--redis", srv.URL(), "nope"}, `no job "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "", tt.args...)
			if code != codeError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d; want 1 and %q:\n%s", code, tt.want, stderr)
			}
		})
	}
	if stdout, stderr, code := runCLI(t, nil, "", "jobs", "--redis", srv.URL()); code != 0 || stdout != "no jobs\n" {
		t.Errorf("reask jobs on an empty Redis: exit %d: %q %s", code, stdout, stderr)
	}
}

// The collector says when a job has had no worker alive for a while, and
// when one comes.
func TestWorkerNote(t *testing.T) {
	var errb bytes.Buffer
	a := &app{stderr: &errb}
	now := time.Unix(0, 0)
	note := a.workerNote("j", func() time.Time { return now })
	step := func(d time.Duration, s jobs.Status) string {
		now = now.Add(d)
		errb.Reset()
		note(s)
		return errb.String()
	}
	waiting := jobs.Status{Queued: 3}
	if got := step(0, waiting); got != "" {
		t.Errorf("at once: %q", got)
	}
	if got := step(noWorkerNote-time.Millisecond, waiting); got != "" {
		t.Errorf("before %s: %q", noWorkerNote, got)
	}
	if got := step(time.Millisecond, waiting); !strings.Contains(got, "no worker alive") || !strings.Contains(got, "3 items wait") {
		t.Errorf("after %s: %q", noWorkerNote, got)
	}
	if got := step(time.Minute, waiting); got != "" {
		t.Errorf("said twice: %q", got)
	}
	if got := step(time.Second, jobs.Status{Queued: 3, Workers: 2}); !strings.Contains(got, "2 workers alive") {
		t.Errorf("a worker came: %q", got)
	}
	if got := step(time.Second, jobs.Status{Queued: 1, Workers: 2}); got != "" {
		t.Errorf("workers alive: %q", got)
	}
}
