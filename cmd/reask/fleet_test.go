package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// oldRedis is a loopback server that speaks just enough of the Redis
// protocol to say it is Redis 5.0.7 — older than fleet mode needs, and not
// a version a test can install. It answers PING and INFO, and refuses
// everything else (HELLO included, as Redis 5 does).
func oldRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveOldRedis(c)
		}
	}()
	return "redis://" + ln.Addr().String() + "/0"
}

func serveOldRedis(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
		var args []string
		for range n {
			if _, err := r.ReadString('\n'); err != nil { // $len
				return
			}
			arg, err := r.ReadString('\n')
			if err != nil {
				return
			}
			args = append(args, strings.TrimSpace(arg))
		}
		if len(args) == 0 {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			fmt.Fprint(c, "+PONG\r\n")
		case "INFO":
			info := "# Server\r\nredis_version:5.0.7\r\n"
			fmt.Fprintf(c, "$%d\r\n%s\r\n", len(info), info)
		default:
			fmt.Fprintf(c, "-ERR unknown command '%s'\r\n", args[0])
		}
	}
}

// freeLoopbackAddr returns a loopback address nothing listens on.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Every way --redis can be wrong is a clear error at start, naming the
// flag (or the variable), never showing the password, before any call.
func TestRedisFlagErrors(t *testing.T) {
	const password = "s3cret-redis-pass"
	locked := redistest.Start(t, "--requirepass", password)
	old := oldRedis(t)
	nobody := "redis://" + freeLoopbackAddr(t) + "/0"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"not a Redis URL", nil, []string{"--redis", "http://127.0.0.1:6379"}, []string{"--redis", "redis:// or rediss://"}},
		{"unparsable", nil, []string{"--redis", "redis://[::1"}, []string{"--redis does not parse"}},
		{"nothing listening", nil, []string{"--redis", nobody}, []string{"Redis unreachable", "--redis"}},
		{"a password needed", nil, []string{"--redis", locked.URL()}, []string{"--redis", "needs a password (NOAUTH)"}},
		{"a wrong password", nil, []string{"--redis", "redis://:wrong-" + password + "@" + locked.Addr + "/0"}, []string{"--redis", "WRONGPASS"}},
		{"too old", nil, []string{"--redis", old}, []string{"--redis", "5.0.7 is older than 6.0.0"}},
		{"bad fail mode", nil, []string{"--redis", nobody, "--redis-fail", "maybe"}, []string{"--redis-fail", "want open or closed"}},
		{"timeout too long", nil, []string{"--redis", nobody, "--redis-timeout", "5s"}, []string{"--redis-timeout is 5s"}},
		{"from the environment", map[string]string{"REASK_REDIS_URL": "redis://:" + password + "@" + freeLoopbackAddr(t) + "/0"}, nil, []string{"REASK_REDIS_URL", "Redis unreachable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cmd := range [][]string{
				{"extract", "--provider", "sim", "Mike (45)"},
				{"serve", "--addr", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/v1"},
			} {
				_, stderr, code := runCLI(t, tt.env, "", append(cmd, tt.args...)...)
				if code != codeError {
					t.Errorf("%s: exit %d; want %d\n%s", cmd[0], code, codeError, stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", cmd[0], w, stderr)
					}
				}
				if strings.Contains(stderr, password) {
					t.Errorf("%s: the password shows:\n%s", cmd[0], stderr)
				}
			}
		})
	}
}

// With --redis, extract joins the fleet: it registers in Redis, under a
// namespace that holds no API key, and its report counts no shared-state
// error; a process that closes leaves the registry.
func TestExtractWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	report := t.TempDir() + "/report.json"
	_, stderr, code := runCLI(t, map[string]string{"OPENAI_API_KEY": "sk-fleet-test-key"}, "",
		"extract", "--provider", "sim", "--redis", srv.URL(), "--report", report, "Mike (45)")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		SharedStateErrors int `json:"shared_state_errors"`
		Calls             int `json:"calls"`
	}
	decodeJSONFile(t, report, &rep)
	if rep.Calls == 0 || rep.SharedStateErrors != 0 {
		t.Errorf("report: %+v; want calls and no shared-state errors", rep)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	defer rdb.Close()
	keys, err := rdb.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var limiter, breaker bool
	for _, k := range keys {
		if !strings.HasPrefix(k, "reask:") || strings.Contains(k, "sk-") {
			t.Errorf("key %q: want reask:<hash>:<policy>", k)
		}
		limiter = limiter || strings.HasSuffix(k, ":limiter")
		breaker = breaker || strings.HasSuffix(k, ":breaker")
		if strings.HasSuffix(k, ":alive") {
			if n, _ := rdb.ZCard(t.Context(), k).Result(); n != 0 {
				t.Errorf("the registry holds %d processes after extract ended; want 0 (it leaves)", n)
			}
		}
	}
	if !limiter || !breaker {
		t.Errorf("keys %q: want the shared limiter and breaker", keys)
	}
}

// reask stats shows the shared-state errors of a run.
func TestStatsShowsSharedStateErrors(t *testing.T) {
	var lines []string
	for i, n := range []int{2, 0, 3} {
		b := fmt.Sprintf(`{"id":"%d","ok":true,"data":{},"attempts":1,"calls":1,"usage":{},"repairs":[],"errors":[],"duration_ms":1,"backoff_ms":0,"outcome":"ok","shared_state_errors":%d}`, i, n)
		lines = append(lines, b)
	}
	path := writeFile(t, "out.jsonl", strings.Join(lines, "\n")+"\n")
	stdout, stderr, code := runCLI(t, nil, "", "stats", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "shared-state errors") || !strings.Contains(stdout, "5 (policy calls Redis could not serve)") {
		t.Errorf("stats lacks the shared-state errors:\n%s", stdout)
	}
}

// fleetRun runs two "reask batch" processes at once, each on half of the
// items, against the simulator at base; with redisURL they share one
// Redis. It returns the records of both and the 429s they got.
func fleetRun(t *testing.T, dir, base, redisURL string) (recs []stats.Record, rateLimited int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(b)), "\n")
	half := len(lines) / 2
	tag := "local"
	if redisURL != "" {
		tag = "redis"
	}
	var cmds []*exec.Cmd
	var outs []string
	var errs []*bytes.Buffer
	for i, part := range [][]string{lines[:half], lines[half:]} {
		in := filepath.Join(dir, fmt.Sprintf("%s-in-%d.jsonl", tag, i))
		out := filepath.Join(dir, fmt.Sprintf("%s-out-%d.jsonl", tag, i))
		if err := os.WriteFile(in, []byte(strings.Join(part, "")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"batch", "--schema-dir", filepath.Join(dir, "schemas"), "--in", in, "--out", out,
			"--base-url", base, "--model", "gpt-4o-mini", "--concurrency", strconv.Itoa(fleetConcurrency), "--allow-failures",
			"--timeout", fleetItemTimeout.String()}
		if redisURL != "" {
			// The longest timeout: this test is about sharing, and on a
			// machine busy with the rest of the suite a 50 ms answer is
			// missed often enough to run calls locally (shared-state
			// errors), which is another test's subject.
			args = append(args, "--redis", redisURL, "--redis-timeout", "1s")
		}
		cmd := exec.CommandContext(t.Context(), binary, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		cmds, outs, errs = append(cmds, cmd), append(outs, out), append(errs, &errb)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("batch %d (%s): %v\n%s", i, tag, err, errs[i])
		}
	}
	for _, out := range outs {
		for _, r := range records(t, out) {
			recs = append(recs, r)
			for _, e := range r.Errors {
				if e.Kind == string(reask.KindRateLimit) {
					rateLimited++
				}
			}
		}
	}
	return recs, rateLimited
}

// The fleet run of TestTwoBatchProcessesShareOneLimit: two processes of
// fleetConcurrency items each, all in flight at once, against a
// simulator whose bucket holds fleetLimit requests and refills fleetLimit
// a minute (one every 5 s), behind a proxy that holds every answer —
// 429s included, which the simulator sends at once — for fleetLatency;
// each item is given fleetItemTimeout.
const (
	fleetConcurrency = 16
	fleetLimit       = 12
	fleetLatency     = 1500 * time.Millisecond
	fleetItemTimeout = 6 * time.Second
)

// slowAnswers returns the URL of a proxy to the simulator at base that
// holds every answer for d before passing it on: a provider whose
// refusals are as slow as its answers, so that nothing is learnt from
// the first requests before all of them are sent.
func slowAnswers(t *testing.T, base string, d time.Duration) string {
	t.Helper()
	u, err := url.Parse(strings.TrimSuffix(base, "/v1"))
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-resp.Request.Context().Done():
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// Two batch processes on halves of a file, against one simulator whose
// bucket holds 12 requests and refills one every 5 s, every answer taking
// 1.5 s, with 16 items each, all in flight at once, and 6 s per item.
// Alone, each process sends its 16 requests in the 1.5 s before its first
// answer tells it the limit — 32 against a bucket of 12: at least
// 32 − 12 − 2 = 18 are answered 429 (the 2: what the bucket refills in
// the 10 s by which the processes' starts may differ on a loaded
// machine). Through one Redis the fleet sends one probe first, learns the
// limit from its answer, sends the 11 requests left and no more: the
// items that would wait past their 6 s for the refill fail at once without
// a call (the limiter's deadline), so the run meets no 429 (at most 2 are
// allowed, for a Redis call missed under load and its local fallback).
// Either way every item is done exactly once. The bounds are arithmetic,
// not timing: a slower machine only makes more items time out.
func TestTwoBatchProcessesShareOneLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the multi-process fleet run")
	}
	srv := redistest.Start(t)
	dir := writeDataset(t, 2*fleetConcurrency, 5)
	ids := map[string]bool{}
	for _, g := range goldOfIDs(t, dir) {
		ids[g] = true
	}
	var got [2]int
	for i, redisURL := range []string{"", srv.URL()} {
		// A fresh simulator each run: its bucket full, as the fleet's
		// state in Redis is empty.
		_, base, stop := startSimBinary(t, "--profile", "clean", "--rpm", strconv.Itoa(fleetLimit), "--latency", "0s", "--seed", "5")
		t0 := time.Now()
		recs, limited := fleetRun(t, dir, slowAnswers(t, base, fleetLatency), redisURL)
		stop()
		got[i] = limited
		seen := map[string]int{}
		sharedErrs, ok := 0, 0
		for _, r := range recs {
			sharedErrs += r.SharedStateErrors
			seen[r.ID]++
			if r.OK {
				ok++
			}
		}
		for id := range ids {
			if seen[id] != 1 {
				t.Errorf("run %d: item %s done %d times; want once", i, id, seen[id])
			}
		}
		if len(seen) != len(ids) {
			t.Errorf("run %d: %d items done; want %d", i, len(seen), len(ids))
		}
		t.Logf("run %d: %d 429s, %d items ok, %d shared-state errors, %s", i, limited, ok, sharedErrs, time.Since(t0))
	}
	if least := 2*fleetConcurrency - fleetLimit - 2; got[0] < least {
		t.Errorf("without Redis: %d 429s; want at least %d (32 requests sent blind against a bucket of %d)", got[0], least, fleetLimit)
	}
	if got[1] > 2 {
		t.Errorf("with Redis: %d 429s; want at most 2 (one probe, then paced to the limit learnt)", got[1])
	}
}

// goldOfIDs returns the ids of the data set in dir.
func goldOfIDs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for id := range goldOf(t, dir) {
		out = append(out, id)
	}
	return out
}
