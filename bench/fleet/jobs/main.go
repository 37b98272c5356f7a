// Command jobs benchmarks distributed batch jobs (reask batch --job, reask
// worker) with separate OS processes on one redis-server, against one
// "reask sim" at a fixed limit, and prints Markdown tables for
// BENCHMARKS.md.
//
//	go run ./bench/fleet/jobs                        # the sizes: 5,000 items, ~15 min
//	go run ./bench/fleet/jobs -n 1200                # the same at a quarter of the items
//	go run ./bench/fleet/jobs -bench kill -kill-every 10s
//	go run ./bench/fleet/jobs -smoke                 # every experiment at tiny sizes, seconds
//
// Experiments:
//
//   - scale: the job run by each number of -workers worker processes, each
//     at -concurrency, against the simulator at -rpm with -latency per
//     answer; its bucket (a minute of the limit) is drained first, so that
//     the run meets the limit's steady rate. Throughput is shown as a share
//     of the limit (best wall time: items ÷ rpm/60), with the 429s the
//     provider answered, and a single-process `reask batch` at the same
//     concurrency on the same limit for comparison.
//   - kill: -kill-workers workers, one of them killed (SIGKILL) every
//     -kill-every and started again at once under its name (as a supervisor
//     does), against the same run without kills.
//   - overhead: the queue's cost per item — the job on one worker against a
//     single-process `reask batch`, both at -concurrency on an unlimited
//     simulator without latency, so that nothing but the work itself and
//     the queue takes time — as ms per item and Redis round trips per item.
//
// Every run starts a fresh simulator with the same seed behind a counting
// proxy (in this process) and flushes Redis. The round trips are those the
// processes report when they end: the queue's (the collector's and the
// workers'), and the shared policies' (limiter, breaker, budget).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// config is one invocation's settings.
type config struct {
	n, rpm, conc  int
	latency       time.Duration
	workers       []int
	killWorkers   int
	killEvery     time.Duration
	visibility    time.Duration
	drain         bool
	dir, reask    string
	in, schema    string
	redisURL      string
	rdb           *redis.Client
	seed          int64
	poll          time.Duration
	experimentSet map[string]bool
}

func main() {
	var c config
	which := flag.String("bench", "scale,kill,overhead", "experiments: scale, kill, overhead (comma-separated)")
	flag.IntVar(&c.n, "n", 5000, "items")
	flag.IntVar(&c.rpm, "rpm", 2400, "the simulator's requests per minute (scale, kill)")
	flag.DurationVar(&c.latency, "latency", 200*time.Millisecond, "the simulator's latency per answer (scale, kill)")
	flag.IntVar(&c.conc, "concurrency", 16, "items in flight per worker (and in the single-process batch)")
	workers := flag.String("workers", "1,2,4,8", "numbers of worker processes for scale")
	flag.IntVar(&c.killWorkers, "kill-workers", 4, "workers in the kill run")
	flag.DurationVar(&c.killEvery, "kill-every", 10*time.Second, "how often a worker is killed in the kill run")
	flag.DurationVar(&c.visibility, "visibility-timeout", 10*time.Second, "the workers' --visibility-timeout")
	flag.DurationVar(&c.poll, "poll-interval", time.Second, "the processes' --poll-interval")
	flag.Int64Var(&c.seed, "seed", 1, "the simulator's seed")
	redisBin := flag.String("redis-server", "redis-server", "the redis-server binary")
	smoke := flag.Bool("smoke", false, "tiny sizes: 60 items at 6,000 rpm and 20 ms, workers 1,2, a kill every 300 ms, no drain")
	flag.Parse()
	c.drain = true
	if *smoke {
		c.n, c.rpm, c.latency, c.conc, *workers, c.killWorkers, c.killEvery, c.visibility, c.poll, c.drain =
			60, 6000, 20*time.Millisecond, 4, "1,2", 2, 300*time.Millisecond, time.Second, 50*time.Millisecond, false
	}
	for _, f := range strings.Split(*workers, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 1 {
			fmt.Fprintf(os.Stderr, "jobs: -workers %q: want positive numbers\n", *workers)
			os.Exit(2)
		}
		c.workers = append(c.workers, w)
	}
	c.experimentSet = map[string]bool{}
	for _, e := range strings.Split(*which, ",") {
		e = strings.TrimSpace(e)
		if e != "scale" && e != "kill" && e != "overhead" {
			fmt.Fprintf(os.Stderr, "jobs: -bench %q: want scale, kill or overhead\n", e)
			os.Exit(2)
		}
		c.experimentSet[e] = true
	}
	if err := run(&c, *redisBin); err != nil {
		fmt.Fprintln(os.Stderr, "jobs:", err)
		os.Exit(1)
	}
}

const personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}`

func run(c *config, redisBin string) error {
	dir, err := os.MkdirTemp("", "reask-jobs-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir, c.reask = dir, filepath.Join(dir, "reask")
	fmt.Fprintln(os.Stderr, "jobs: building reask")
	if out, err := exec.Command("go", "build", "-o", c.reask, "github.com/reask/reask/cmd/reask").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	var items bytes.Buffer
	for i := 1; i <= c.n; i++ {
		fmt.Fprintf(&items, `{"id":"p%d","text":"Person %d is called Mike, age %d"}`+"\n", i, i, 20+i%50)
	}
	c.in, c.schema = filepath.Join(dir, "items.jsonl"), filepath.Join(dir, "person.json")
	if err := os.WriteFile(c.in, items.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c.schema, []byte(personSchema), 0o644); err != nil {
		return err
	}
	stop, err := startRedis(c, redisBin)
	if err != nil {
		return err
	}
	defer stop()
	if c.experimentSet["scale"] {
		if err := scale(c); err != nil {
			return err
		}
	}
	if c.experimentSet["kill"] {
		if err := kill(c); err != nil {
			return err
		}
	}
	if c.experimentSet["overhead"] {
		if err := overhead(c); err != nil {
			return err
		}
	}
	return nil
}

// result is one run.
type result struct {
	wall              time.Duration
	requests, limited int64
	once, dups, lost  int
	queueTrips        int64 // the collector's and the workers'
	policyTrips       int64 // the shared policies', over every process
	kills             int
	memPeak           int64         // Redis's used_memory, most seen during the run, less before it
	cpu               time.Duration // the reask processes' CPU time (killed workers' not counted) and Redis's
}

func (r result) share(c *config) float64 {
	best := float64(c.n) / (float64(c.rpm) / 60)
	return best / r.wall.Seconds()
}

func scale(c *config) error {
	fmt.Printf("\n### Distributed job: %d items, N `reask worker` processes at concurrency %d each, simulator at %d rpm (steady state), %s latency\n\n",
		c.n, c.conc, c.rpm, c.latency)
	fmt.Printf("Best possible wall time: %d items ÷ %d/s = %s. One process at concurrency %d and %s could send %.0f requests a minute.\n\n",
		c.n, c.rpm/60, (time.Duration(float64(c.n)/(float64(c.rpm)/60)) * time.Second).Round(time.Second), c.conc, c.latency, float64(c.conc)*60/c.latency.Seconds())
	fmt.Println("| processes | share of the limit | 429s (share of requests) | wall time | items done once | queue round trips per item | policy round trips per call | Redis memory, peak |")
	fmt.Println("|:---|---:|---:|---:|---:|---:|---:|---:|")
	r, err := single(c, c.rpm, c.latency)
	if err != nil {
		return err
	}
	row(c, "`reask batch`, 1 process", r)
	for _, w := range c.workers {
		r, err := jobRun(c, w, c.rpm, c.latency, 0)
		if err != nil {
			return err
		}
		row(c, fmt.Sprintf("%d worker(s)", w), r)
	}
	return nil
}

func row(c *config, what string, r result) {
	trips, mem := "—", "—"
	if r.queueTrips > 0 {
		trips = fmt.Sprintf("%.2f", float64(r.queueTrips)/float64(c.n))
		mem = fmt.Sprintf("%.1f MB", float64(r.memPeak)/1e6)
	}
	fmt.Printf("| %s | %.1f%% | %d (%.2f%%) | %s | %d/%d | %s | %.2f | %s |\n", what, 100*r.share(c), r.limited,
		100*float64(r.limited)/float64(max(r.requests, 1)), r.wall.Round(10*time.Millisecond), r.once, c.n,
		trips, float64(r.policyTrips)/float64(max(r.requests, 1)), mem)
}

func kill(c *config) error {
	fmt.Printf("\n### Distributed job with a worker killed every %s: %d workers, %d items, %d rpm (steady state), %s latency, --visibility-timeout %s\n\n",
		c.killEvery, c.killWorkers, c.n, c.rpm, c.latency, c.visibility)
	fmt.Println("| run | share of the limit | wall time | workers killed | items done once | lost | written twice | 429s |")
	fmt.Println("|:---|---:|---:|---:|---:|---:|---:|---:|")
	var base float64
	for _, every := range []time.Duration{0, c.killEvery} {
		r, err := jobRun(c, c.killWorkers, c.rpm, c.latency, every)
		if err != nil {
			return err
		}
		what := "no kills"
		if every > 0 {
			what = fmt.Sprintf("one killed every %s (cost: %.1f%% of throughput)", every, 100*(1-r.share(c)/base))
		} else {
			base = r.share(c)
		}
		fmt.Printf("| %s | %.1f%% | %s | %d | %d/%d | %d | %d | %d |\n", what, 100*r.share(c), r.wall.Round(10*time.Millisecond), r.kills,
			r.once, c.n, r.lost, r.dups, r.limited)
	}
	return nil
}

func overhead(c *config) error {
	fmt.Printf("\n### The queue's overhead: %d items at concurrency %d, unlimited simulator, no latency\n\n", c.n, c.conc)
	fmt.Println("| run | wall time | ms per item | CPU ms per item (reask processes and Redis) | queue round trips per item |")
	fmt.Println("|:---|---:|---:|---:|---:|")
	s, err := single(c, 0, 0)
	if err != nil {
		return err
	}
	j, err := jobRun(c, 1, 0, 0, 0)
	if err != nil {
		return err
	}
	perItem := func(r result) float64 { return float64(r.wall.Microseconds()) / 1000 / float64(c.n) }
	cpuPerItem := func(r result) float64 { return float64(r.cpu.Microseconds()) / 1000 / float64(c.n) }
	fmt.Printf("| `reask batch`, 1 process | %s | %.3f | %.3f | — |\n", s.wall.Round(time.Millisecond), perItem(s), cpuPerItem(s))
	fmt.Printf("| job, 1 worker | %s | %.3f | %.3f | %.2f |\n", j.wall.Round(time.Millisecond), perItem(j), cpuPerItem(j), float64(j.queueTrips)/float64(c.n))
	fmt.Printf("\nQueue overhead: %.3f ms of wall time and %.3f ms of CPU per item (the job's less the single process's; the job's wall time includes its start: a worker finds a new job within --poll-interval, %s here).\n",
		perItem(j)-perItem(s), cpuPerItem(j)-cpuPerItem(s), c.poll)
	return nil
}

// single runs a single-process "reask batch" on the items.
func single(c *config, rpm int, latency time.Duration) (result, error) {
	var r result
	px, stop, err := startSim(c, rpm, latency)
	if err != nil {
		return r, err
	}
	defer stop()
	out := filepath.Join(c.dir, fmt.Sprintf("single-%d.jsonl", time.Now().UnixNano()))
	cmd := exec.Command(c.reask, "batch", "--no-cache", "--schema", c.schema, "--in", c.in, "--out", out, "--base-url", px.url, "--model", "gpt-4o-mini",
		"--concurrency", strconv.Itoa(c.conc), "--allow-failures", "--progress-interval", "1h", "--redis", c.redisURL)
	var errb bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = env(c), io.Discard, &errb
	redisCPU, err := cpuOfRedis(c.rdb)
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("reask batch: %v\n%s", err, errb.String())
	}
	r.wall = time.Since(start)
	after, err := cpuOfRedis(c.rdb)
	if err != nil {
		return r, err
	}
	r.cpu = cpuOf(cmd) + after - redisCPU
	r.policyTrips = policyTrips(errb.String())
	r.requests, r.limited = px.requests.Load(), px.limited.Load()
	r.once, r.dups, r.lost, err = count(out, c.n)
	logRun(c, "single", r)
	return r, err
}

// jobRun runs the job on workers worker processes; with killEvery, one of
// them is killed that often and started again under its name.
func jobRun(c *config, workers, rpm int, latency, killEvery time.Duration) (result, error) {
	var r result
	px, stopSim, err := startSim(c, rpm, latency)
	if err != nil {
		return r, err
	}
	defer stopSim()
	if err := c.rdb.FlushAll(context.Background()).Err(); err != nil {
		return r, err
	}
	ws := make([]*worker, workers)
	for i := range ws {
		if ws[i], err = startWorker(c, px.url, fmt.Sprintf("w%d", i)); err != nil {
			return r, err
		}
	}
	defer func() {
		for _, w := range ws {
			w.cmd.Process.Kill()
		}
	}()
	base, err := usedMemory(c.rdb)
	if err != nil {
		return r, err
	}
	var peak atomic.Int64
	sampling := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := usedMemory(c.rdb); err == nil && m-base > peak.Load() {
				peak.Store(m - base)
			}
			select {
			case <-sampling:
				return
			case <-t.C:
			}
		}
	})
	defer func() {
		close(sampling)
		sampled.Wait()
	}()
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	out := filepath.Join(c.dir, name+".jsonl")
	cmd := exec.Command(c.reask, "batch", "--job", name, "--redis", c.redisURL, "--job-poll-interval", c.poll.String(),
		"--provider", "openai", "--model", "gpt-4o-mini", "--schema", c.schema, "--in", c.in, "--out", out,
		"--allow-failures", "--progress-interval", "1h")
	var errb bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = env(c), io.Discard, &errb
	redisCPU, err := cpuOfRedis(c.rdb)
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var tick <-chan time.Time
	if killEvery > 0 {
		t := time.NewTicker(killEvery)
		defer t.Stop()
		tick = t.C
	}
	for waiting := true; waiting; {
		select {
		case err := <-done:
			if err != nil {
				return r, fmt.Errorf("reask batch --job: %v\n%s", err, errb.String())
			}
			waiting = false
		case <-tick:
			i := r.kills % workers
			ws[i].cmd.Process.Kill()
			ws[i].cmd.Wait()
			if ws[i], err = startWorker(c, px.url, ws[i].name); err != nil {
				return r, err
			}
			r.kills++
		}
	}
	r.wall = time.Since(start)
	r.memPeak = peak.Load()
	r.queueTrips = queueTrips(errb.String())
	r.cpu = cpuOf(cmd)
	for _, w := range ws {
		w.cmd.Process.Signal(syscall.SIGTERM)
		w.cmd.Wait()
		r.cpu += cpuOf(w.cmd)
		r.queueTrips += queueTrips(w.stderr.String())
		r.policyTrips += policyTrips(w.stderr.String())
	}
	after, err := cpuOfRedis(c.rdb)
	if err != nil {
		return r, err
	}
	r.cpu += after - redisCPU
	// A killed worker prints nothing: its round trips are not counted.
	r.requests, r.limited = px.requests.Load(), px.limited.Load()
	r.once, r.dups, r.lost, err = count(out, c.n)
	logRun(c, fmt.Sprintf("%d workers", workers), r)
	return r, err
}

func logRun(c *config, what string, r result) {
	fmt.Fprintf(os.Stderr, "jobs: %s: %s, %d requests, %d 429s, %d/%d items once, %d lost, %d twice, %d kills\n",
		what, r.wall.Round(time.Millisecond), r.requests, r.limited, r.once, c.n, r.lost, r.dups, r.kills)
}

func env(c *config) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir}
}

// worker is a "reask worker" process.
type worker struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWorker starts a worker and waits for its start line.
func startWorker(c *config, baseURL, name string) (*worker, error) {
	w := &worker{name: name, stderr: &syncBuffer{}}
	w.cmd = exec.Command(c.reask, "worker", "--redis", c.redisURL, "--name", name, "--base-url", baseURL,
		"--concurrency", strconv.Itoa(c.conc), "--visibility-timeout", c.visibility.String(), "--poll-interval", c.poll.String())
	w.cmd.Env, w.cmd.Stderr = env(c), w.stderr
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.stderr.String(), " serving "); {
		if time.Now().After(deadline) {
			w.cmd.Process.Kill()
			return nil, fmt.Errorf("worker %s did not start:\n%s", name, w.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return w, nil
}

var (
	queueRe  = regexp.MustCompile(`(\d+) queue round trips to Redis`)
	policyRe = regexp.MustCompile(`fleet mode: (\d+) Redis round trips`)
)

func queueTrips(stderr string) int64  { return sumMatches(queueRe, stderr) }
func policyTrips(stderr string) int64 { return sumMatches(policyRe, stderr) }

func sumMatches(re *regexp.Regexp, s string) int64 {
	var n int64
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseInt(m[1], 10, 64)
		n += v
	}
	return n
}

// count reads an output: ids once, ids twice or more, ids missing.
var idRe = regexp.MustCompile(`^\{"id":"([^"]*)"`)

func count(path string, n int) (once, dups, lost int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		m := idRe.FindSubmatch(sc.Bytes())
		if m == nil {
			return 0, 0, 0, fmt.Errorf("%s: a line that is not a record: %.80s", path, sc.Text())
		}
		seen[string(m[1])]++
	}
	for _, k := range seen {
		if k == 1 {
			once++
		} else {
			dups += k - 1
		}
	}
	return once, dups, n - len(seen), sc.Err()
}

// proxy counts the requests to the simulator and its 429s.
type proxy struct {
	url               string
	requests, limited atomic.Int64
}

// startSim runs "reask sim" at rpm (0: unlimited) and latency behind a
// counting proxy, its bucket drained when c.drain and rpm is set.
func startSim(c *config, rpm int, latency time.Duration) (*proxy, func(), error) {
	if rpm == 0 {
		rpm = 100_000_000
	}
	cmd := exec.Command(c.reask, "sim", "--addr", "127.0.0.1:0", "--profile", "clean", "--seed", strconv.FormatInt(c.seed, 10),
		"--rpm", strconv.Itoa(rpm), "--tpm", "1000000000", "--latency", latency.String())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		cmd.Process.Kill()
		return nil, nil, errors.New("reask sim printed no start line")
	}
	_, base, _ := strings.Cut(sc.Text(), " on ")
	go io.Copy(io.Discard, stderr)
	target, err := url.Parse(base)
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, fmt.Errorf("reask sim: start line %q", sc.Text())
	}
	px := &proxy{}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.Out.URL.Path = pr.In.URL.Path },
		Transport: &http.Transport{MaxIdleConnsPerHost: 1024},
		// A killed worker's requests end with it: nothing to report.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
		ModifyResponse: func(resp *http.Response) error {
			px.requests.Add(1)
			if resp.StatusCode == http.StatusTooManyRequests {
				px.limited.Add(1)
			}
			return nil
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, err
	}
	hs := &http.Server{Handler: rp}
	go hs.Serve(ln)
	px.url = "http://" + ln.Addr().String() + "/v1"
	stop := func() {
		hs.Close()
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	if c.drain && rpm < 100_000_000 {
		if err := drain(base); err != nil {
			stop()
			return nil, nil, err
		}
	}
	return px, stop, nil
}

// drain spends the simulator's bucket (a minute of its limit) until it
// answers 429, so that the run meets the limit's steady rate.
func drain(base string) error {
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":1}`
	var empty atomic.Bool
	var failed atomic.Value
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 64 {
		wg.Go(func() {
			for !empty.Load() {
				resp, err := client.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Store(err)
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
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("draining the simulator: %w", err)
	}
	return nil
}

// startRedis runs a redis-server on a free loopback port, without
// persistence, and connects to it.
func startRedis(c *config, bin string) (func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", c.dir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w (install redis-server, or name it with -redis-server)", bin, err)
	}
	c.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	c.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), DisableIdentity: true})
	stop := func() {
		c.rdb.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}
	for deadline := time.Now().Add(10 * time.Second); c.rdb.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("redis-server did not answer within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stop, nil
}

// usedMemory returns Redis's used_memory, in bytes.
func usedMemory(rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// cpuOf is the CPU time of an exited process.
func cpuOf(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// cpuOfRedis returns the CPU time Redis has used so far (INFO cpu).
func cpuOfRedis(rdb *redis.Client) (time.Duration, error) {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		return 0, err
	}
	var total float64
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("INFO cpu: %s: %w", line, err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second)), nil
}
