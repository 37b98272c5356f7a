// Command fleet benchmarks fleet mode with separate OS processes: N
// "reask batch" processes, each on its share of the items, against one
// "reask sim" at a fixed limit, with and without one Redis between them
// (--redis), and prints Markdown tables for BENCHMARKS.md.
//
//	go run ./bench/fleet                                  # every experiment
//	go run ./bench/fleet -bench scale -procs 1,2,4,8 -n 600 -rpm 1200
//	go run ./bench/fleet -bench outage,kill
//	go run ./bench/fleet -bench scale -procs 4,8 -redis yes -redis-timeout 250ms
//	go run ./bench/fleet -bench serve,overhead
//
// Experiments:
//
//   - scale: the items split over each number of -procs, each process at
//     -concurrency, with and without Redis. The simulator's bucket holds a
//     minute of its limit, so that a run would otherwise fit in its burst:
//     it is drained before each run, and the fleet meets the steady state
//     (the limit's rate, -rpm/60 a second), as a busy organisation's
//     processes do. The best possible wall time is then items ÷ rate.
//   - outage: 4 processes, the simulator answering 503 for -outage from
//     its start, then healthy: the requests the provider saw during the
//     outage, and per item over the run, with and without Redis (the
//     shared breaker and retry budget).
//   - kill: 4 processes with Redis, Redis killed (SIGKILL) -kill-after
//     into the run and started again -kill-for later: the run finishes,
//     every item exactly once, and the shared-state errors are counted.
//   - serve: -replicas "reask serve" gateways in front of the simulator (at
//     -rpm, drained), and a round-robin client in this process sending the
//     -n requests (schema-enforced chat completions) from -clients
//     concurrent clients, each request to the next replica, with and
//     without Redis. Round trips are read from each replica's /metrics.
//   - overhead: one "reask batch" at concurrency 1 against the simulator
//     without a limit and without latency, -overhead-n items, with and
//     without Redis: the per-call p50 the shared state adds on loopback,
//     and its round trips per call.
//
// Every run starts a fresh simulator with the same seed, and a counting
// proxy in front of it (in this process) counts requests and their
// statuses. Redis is a redis-server on a free loopback port, flushed
// before each run; "Redis round trips per call" is the round trips the
// fleet made over the run, as each batch process reports them when it
// ends (heartbeats and start-up checks included), per provider call.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	which := flag.String("bench", "scale,outage,kill,serve,overhead", "experiments: scale, outage, kill, serve, overhead (comma-separated)")
	n := flag.Int("n", 600, "items")
	seed := flag.Int64("seed", 1, "seed of the data set and the simulator")
	rpm := flag.Int("rpm", 1200, "the simulator's requests per minute (scale, kill)")
	latency := flag.Duration("latency", 20*time.Millisecond, "the simulator's latency per answer")
	conc := flag.Int("concurrency", 32, "items in flight per process")
	procs := flag.String("procs", "1,2,4,8", "numbers of processes for scale")
	outage := flag.Duration("outage", 10*time.Second, "how long the outage lasts, from the simulator's start")
	killAfter := flag.Duration("kill-after", 8*time.Second, "when Redis is killed in the kill run")
	killFor := flag.Duration("kill-for", 3*time.Second, "how long Redis stays down in the kill run")
	redisBin := flag.String("redis-server", "redis-server", "the redis-server binary")
	redisTimeout := flag.Duration("redis-timeout", 0, "the processes' --redis-timeout (default: reask's, 50ms)")
	modes := flag.String("redis", "no,yes", "scale, serve and overhead: without Redis (no), with it (yes), or both")
	replicas := flag.Int("replicas", 3, "serve: gateway replicas")
	clients := flag.Int("clients", 64, "serve: concurrent clients, round-robin over the replicas")
	overheadN := flag.Int("overhead-n", 600, "overhead: items, one at a time (at most -n)")
	verbose := flag.Bool("v", false, "print each batch process's standard error")
	flag.Parse()
	c := benchConfig{n: *n, seed: *seed, rpm: *rpm, latency: *latency, conc: *conc,
		outage: *outage, killAfter: *killAfter, killFor: *killFor, redisBin: *redisBin, redisTimeout: *redisTimeout,
		replicas: *replicas, clients: *clients, overheadN: *overheadN, verbose: *verbose}
	for _, m := range strings.Split(*modes, ",") {
		switch strings.TrimSpace(m) {
		case "no":
			c.modes = append(c.modes, false)
		case "yes":
			c.modes = append(c.modes, true)
		default:
			fmt.Fprintf(os.Stderr, "fleet: -redis %q: want no, yes or no,yes\n", *modes)
			os.Exit(2)
		}
	}
	if err := run(*which, c, *procs); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

type benchConfig struct {
	n, rpm, conc        int
	seed                int64
	latency             time.Duration
	outage              time.Duration
	killAfter, killFor  time.Duration
	redisBin            string
	redisTimeout        time.Duration
	modes               []bool // scale, serve, overhead: without Redis, with it
	replicas, clients   int    // serve
	overheadN           int
	verbose             bool
	dir, reask, profile string // set by run
}

func run(which string, c benchConfig, procList string) error {
	dir, err := os.MkdirTemp("", "reask-fleet-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir, c.reask = dir, filepath.Join(dir, "reask")
	fmt.Fprintln(os.Stderr, "fleet: building reask")
	if out, err := exec.Command("go", "build", "-o", c.reask, "github.com/reask/reask/cmd/reask").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(c.reask, "sim", "dataset", "--n", strconv.Itoa(c.n), "--seed", strconv.FormatInt(c.seed, 10),
		"--out", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		return fmt.Errorf("reask sim dataset: %v\n%s", err, out)
	}
	rds, err := startRedis(c.redisBin, dir)
	if err != nil {
		return err
	}
	defer rds.kill()
	for _, w := range strings.Split(which, ",") {
		switch strings.TrimSpace(w) {
		case "scale":
			var ps []int
			for _, f := range strings.Split(procList, ",") {
				p, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || p < 1 {
					return fmt.Errorf("-procs %q: want positive numbers", procList)
				}
				ps = append(ps, p)
			}
			if err := scale(c, rds, ps); err != nil {
				return err
			}
		case "outage":
			if err := outageBench(c, rds); err != nil {
				return err
			}
		case "kill":
			if err := killBench(c, rds); err != nil {
				return err
			}
		case "serve":
			if err := serveBench(c, rds); err != nil {
				return err
			}
		case "overhead":
			if err := overheadBench(c, rds); err != nil {
				return err
			}
		default:
			return fmt.Errorf("-bench %q: want scale, outage, kill, serve or overhead", w)
		}
	}
	return nil
}

// result is one run of a fleet.
type result struct {
	wall             time.Duration
	items, ok, dups  int
	lost             int
	requests         int64   // requests the provider saw
	limited          int64   // answered 429
	unavailable      int64   // answered 503
	p50, p99         float64 // item latency, ms
	redisCmds        int64
	sharedErrors     int
	unavailableEarly int64 // 503s in the outage window (outage runs)
}

// scale runs the items over each number of processes, with and without
// Redis, and prints the table.
func scale(c benchConfig, rds *redisServer, procs []int) error {
	rate := float64(c.rpm) / 60
	best := time.Duration(float64(c.n) / rate * float64(time.Second))
	timeout := timeoutShown(c)
	fmt.Printf("\n### Fleet: %d items over N `reask batch` processes, concurrency %d each, simulator at %d rpm (steady state), %s latency, --redis-timeout %s\n\n", c.n, c.conc, c.rpm, c.latency, timeout)
	fmt.Printf("Best possible wall time: %d items ÷ %.0f/s = %s.\n\n", c.n, rate, best.Round(10*time.Millisecond))
	fmt.Println("| processes | Redis | share of best throughput | 429s (share of requests) | wall time | item p99 | Redis round trips per call | items done once |")
	fmt.Println("|---:|:---|---:|---:|---:|---:|---:|---:|")
	for _, p := range procs {
		for _, shared := range c.modes {
			r, err := fleetRun(c, rds, p, shared, runOptions{drain: true})
			if err != nil {
				return err
			}
			share := best.Seconds() / r.wall.Seconds()
			redis, trips := "no", "—"
			if shared {
				redis = "yes"
				trips = fmt.Sprintf("%.2f", float64(r.redisCmds)/float64(max(r.requests, 1)))
			}
			fmt.Printf("| %d | %s | %.1f%% | %d (%.1f%%) | %s | %.0f ms | %s | %d/%d |\n", p, redis, 100*share, r.limited,
				100*float64(r.limited)/float64(max(r.requests, 1)), r.wall.Round(10*time.Millisecond), r.p99, trips, r.items-r.dups, c.n)
		}
	}
	return nil
}

// outageBench runs 4 processes through an outage, with and without Redis.
func outageBench(c benchConfig, rds *redisServer) error {
	prof := filepath.Join(c.dir, "outage.json")
	doc := fmt.Sprintf(`{"base":"clean","outages":[{"start":"0s","duration":%q}]}`, c.outage.String())
	if err := os.WriteFile(prof, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Printf("\n### Fleet in a total outage: 4 processes, %d items, the simulator answering 503 for its first %s, concurrency %d each\n\n", c.n, c.outage, c.conc)
	fmt.Println("| Redis | requests in the outage | requests per item (whole run) | wall time | items ok |")
	fmt.Println("|:---|---:|---:|---:|---:|")
	for _, shared := range c.modes {
		oc := c
		oc.profile, oc.rpm = prof, 0
		r, err := fleetRun(oc, rds, 4, shared, runOptions{outage: c.outage})
		if err != nil {
			return err
		}
		redis := map[bool]string{false: "no", true: "yes"}[shared]
		fmt.Printf("| %s | %d | %.2f | %s | %d/%d |\n", redis, r.unavailableEarly, float64(r.requests)/float64(c.n), r.wall.Round(10*time.Millisecond), r.ok, c.n)
	}
	return nil
}

// killBench runs 4 processes with Redis and kills it in the middle.
func killBench(c benchConfig, rds *redisServer) error {
	fmt.Printf("\n### Fleet with Redis killed mid-run: 4 processes, %d items, %d rpm (steady state), Redis killed at %s for %s\n\n", c.n, c.rpm, c.killAfter, c.killFor)
	fmt.Println("| run | wall time | items done once | items lost | 429s | shared-state errors | item p99 |")
	fmt.Println("|:---|---:|---:|---:|---:|---:|---:|")
	for _, kill := range []bool{false, true} {
		opt := runOptions{drain: true}
		if kill {
			opt.kill = func() {
				time.Sleep(c.killAfter)
				rds.kill()
				time.Sleep(c.killFor)
				if err := rds.start(); err != nil {
					fmt.Fprintln(os.Stderr, "fleet: restarting Redis:", err)
				}
			}
		}
		r, err := fleetRun(c, rds, 4, true, opt)
		if err != nil {
			return err
		}
		name := map[bool]string{false: "Redis up", true: "Redis killed"}[kill]
		fmt.Printf("| %s | %s | %d/%d | %d | %d | %d | %.0f ms |\n", name, r.wall.Round(10*time.Millisecond), r.items-r.dups, c.n, r.lost, r.limited, r.sharedErrors, r.p99)
	}
	return nil
}

type runOptions struct {
	items  string        // the items file (default: the data set's)
	drain  bool          // drain the simulator's bucket first
	outage time.Duration // count the 503s of this first window
	kill   func()        // run alongside the fleet
}

// fleetRun runs procs batch processes on the items, split evenly, against
// a fresh simulator behind a counting proxy.
func fleetRun(c benchConfig, rds *redisServer, procs int, shared bool, opt runOptions) (result, error) {
	var r result
	simURL, stopSim, err := startSim(c)
	if err != nil {
		return r, err
	}
	defer stopSim()
	if opt.drain {
		if err := drain(simURL); err != nil {
			return r, err
		}
	}
	px, err := newProxy(simURL)
	if err != nil {
		return r, err
	}
	defer px.close()
	if shared {
		if err := rds.flush(); err != nil {
			return r, err
		}
	}
	itemsFile := opt.items
	if itemsFile == "" {
		itemsFile = filepath.Join(c.dir, "data", "items.jsonl")
	}
	items, err := os.ReadFile(itemsFile)
	if err != nil {
		return r, err
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(items)), "\n")
	runDir, err := os.MkdirTemp(c.dir, "run")
	if err != nil {
		return r, err
	}
	var cmds []*exec.Cmd
	var outs []string
	var errs []*bytes.Buffer
	for i := range procs {
		part := lines[i*len(lines)/procs : (i+1)*len(lines)/procs]
		in, out := filepath.Join(runDir, fmt.Sprintf("in-%d.jsonl", i)), filepath.Join(runDir, fmt.Sprintf("out-%d.jsonl", i))
		if err := os.WriteFile(in, []byte(strings.Join(part, "")+"\n"), 0o644); err != nil {
			return r, err
		}
		args := []string{"batch", "--no-cache", "--schema-dir", filepath.Join(c.dir, "data", "schemas"), "--in", in, "--out", out,
			"--base-url", px.url, "--model", "gpt-4o-mini", "--concurrency", strconv.Itoa(c.conc), "--allow-failures", "--progress-interval", "1h"}
		if shared {
			args = append(args, "--redis", rds.url())
			if c.redisTimeout > 0 {
				args = append(args, "--redis-timeout", c.redisTimeout.String())
			}
		}
		cmd := exec.Command(c.reask, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + runDir}
		var eb bytes.Buffer
		cmd.Stderr, cmd.Stdout = &eb, io.Discard
		cmds, outs, errs = append(cmds, cmd), append(outs, out), append(errs, &eb)
	}
	px.start = time.Now()
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			return r, err
		}
	}
	var killed sync.WaitGroup
	if opt.kill != nil {
		killed.Go(opt.kill)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			return r, fmt.Errorf("batch %d: %v\n%s", i, err, errs[i])
		}
	}
	r.wall = time.Since(px.start)
	killed.Wait()
	for _, eb := range errs {
		if c.verbose {
			fmt.Fprint(os.Stderr, eb.String())
		}
		r.redisCmds += roundTrips(eb.String())
	}
	r.requests, r.limited, r.unavailable = px.requests.Load(), px.limited.Load(), px.unavailable.Load()
	if c.verbose && r.limited > 0 {
		fmt.Fprintf(os.Stderr, "fleet: 429s per second of the run (second:count): %s\n", px.limitedPerSecond())
	}
	r.unavailableEarly = px.unavailableIn(opt.outage)
	seen := map[string]int{}
	failures := map[string]int{} // -v: the failed items' errors, by their first words
	var lat []float64
	for _, out := range outs {
		recs, err := readRecords(out)
		if err != nil {
			return r, err
		}
		for _, rec := range recs {
			seen[rec.ID]++
			r.items++
			if rec.OK {
				r.ok++
			} else {
				failures[strings.Join(strings.Fields(rec.Error)[:min(6, len(strings.Fields(rec.Error)))], " ")]++
			}
			r.sharedErrors += rec.SharedStateErrors
			lat = append(lat, rec.DurationMS)
		}
	}
	for _, n := range seen {
		r.dups += n - 1
	}
	r.lost = len(lines) - len(seen)
	if c.verbose {
		for e, n := range failures {
			fmt.Fprintf(os.Stderr, "fleet: %d items failed: %s…\n", n, e)
		}
	}
	r.p50, r.p99 = quantile(lat, 0.5), quantile(lat, 0.99)
	fmt.Fprintf(os.Stderr, "fleet: %d process(es), redis %v: %s, %d requests, %d 429s, %d 503s, %d/%d items ok, %d shared-state errors\n",
		procs, shared, r.wall.Round(time.Millisecond), r.requests, r.limited, r.unavailable, r.ok, c.n, r.sharedErrors)
	return r, nil
}

// quantile returns the q-quantile of xs (nearest rank; 0 for none); it
// sorts xs.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[max(0, min(len(xs)-1, int(math.Ceil(q*float64(len(xs))))-1))]
}

// roundTrips reads the Redis round trips a batch process reports on
// stderr when it ends ("reask: fleet mode: N Redis round trips, …").
func roundTrips(stderr string) int64 {
	const prefix = "reask: fleet mode: "
	for line := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	return 0
}

// record is what the benchmark reads of a batch record.
type record struct {
	ID                string  `json:"id"`
	OK                bool    `json:"ok"`
	DurationMS        float64 `json:"duration_ms"`
	SharedStateErrors int     `json:"shared_state_errors"`
	Error             string  `json:"error"`
}

func readRecords(path string) ([]record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// startSim runs "reask sim" on a free port and returns its base URL.
func startSim(c benchConfig) (string, func(), error) {
	prof := c.profile
	if prof == "" {
		prof = "clean"
	}
	args := []string{"sim", "--addr", "127.0.0.1:0", "--profile", prof, "--seed", strconv.FormatInt(c.seed, 10),
		"--latency", c.latency.String(), "--tpm", "1000000000"}
	if c.rpm > 0 {
		args = append(args, "--rpm", strconv.Itoa(c.rpm))
	} else {
		args = append(args, "--rpm", "1000000")
	}
	cmd := exec.Command(c.reask, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		stop()
		return "", nil, errors.New("reask sim printed no start line")
	}
	_, base, ok := strings.Cut(sc.Text(), " on ")
	if !ok {
		stop()
		return "", nil, fmt.Errorf("reask sim: start line %q", sc.Text())
	}
	go io.Copy(io.Discard, stderr)
	return base, stop, nil
}

// drain spends the simulator's bucket (a minute of its limit) until it
// answers 429, so that the run meets the limit's steady rate.
func drain(base string) error {
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":1}`
	var empty atomic.Bool
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 64 {
		wg.Go(func() {
			for !empty.Load() {
				resp, err := client.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					empty.Store(true)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					empty.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// proxy is a reverse proxy in front of the simulator that counts the
// requests and their statuses.
type proxy struct {
	url                            string
	srv                            *http.Server
	start                          time.Time
	requests, limited, unavailable atomic.Int64
	mu                             sync.Mutex
	unavailableAt                  []time.Duration
	limitedAt                      []time.Duration // -v: when the 429s came
}

func newProxy(target string) (*proxy, error) {
	u, err := url.Parse(strings.TrimSuffix(target, "/v1"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{url: "http://" + ln.Addr().String() + "/v1"}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}
	rp.ModifyResponse = func(resp *http.Response) error {
		p.requests.Add(1)
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			p.limited.Add(1)
			p.mu.Lock()
			p.limitedAt = append(p.limitedAt, time.Since(p.start))
			p.mu.Unlock()
		case http.StatusServiceUnavailable:
			p.unavailable.Add(1)
			p.mu.Lock()
			p.unavailableAt = append(p.unavailableAt, time.Since(p.start))
			p.mu.Unlock()
		}
		return nil
	}
	p.srv = &http.Server{Handler: rp}
	go p.srv.Serve(ln)
	return p, nil
}

// limitedPerSecond returns "second:count" for each second of the run that
// had 429s, for -v.
func (p *proxy) limitedPerSecond() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	per := map[int]int{}
	for _, at := range p.limitedAt {
		per[int(at/time.Second)]++
	}
	var out []string
	for _, sec := range slices.Sorted(maps.Keys(per)) {
		out = append(out, fmt.Sprintf("%d:%d", sec, per[sec]))
	}
	return strings.Join(out, " ")
}

// unavailableIn counts the 503s of the run's first window.
func (p *proxy) unavailableIn(window time.Duration) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, at := range p.unavailableAt {
		if at <= window {
			n++
		}
	}
	return n
}

func (p *proxy) close() { p.srv.Close() }

// redisServer is the benchmark's redis-server.
type redisServer struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
}

func startRedis(bin, dir string) (*redisServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &redisServer{bin: bin, dir: dir, port: port}
	return r, r.start()
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() error {
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no", "--logfile", "")
	r.cmd.Stdout, r.cmd.Stderr = io.Discard, io.Discard
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w (install redis-server)", r.bin, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := r.do("PING"); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("redis-server did not answer PING")
}

func (r *redisServer) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) flush() error {
	_, err := r.do("FLUSHALL")
	return err
}

// do sends one command in RESP and returns the reply: a status line, or a
// bulk string's content.
func (r *redisServer) do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return "", err
	}
	rd := bufio.NewReader(c)
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	switch line[0] {
	case '+':
		return strings.TrimSpace(line[1:]), nil
	case '-':
		return "", errors.New(strings.TrimSpace(line[1:]))
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return strings.TrimSpace(line), nil
}
