// Command portkey measures what an LLM gateway adds on the way to the
// provider, side by side in one run: requests sent straight to the
// simulator, through `reask serve` and through the Portkey AI gateway
// (npm @portkey-ai/gateway, pinned in package.json here), each in its own
// process on loopback, driven by a closed-loop load generator in this one
// (each worker sends its next request when the previous answer arrived).
//
//	go run ./bench/portkey -reask /tmp/reask -conc 1,16,64 -duration 5s -runs 3
//
// Two experiments:
//
//   - latency: the simulator answers at once (clean profile, no latency), so
//     the figures are the gateways' own cost: latency p50 and p99 and
//     requests/s at each concurrency, for a plain request (passed through
//     by both gateways) and a request with a json_schema response format
//     (validated by reask serve; passed through by Portkey, which does not
//     validate). Added latency is the gateway's percentile minus the direct
//     one in the same run; medians over -runs.
//   - rate limit: a fresh simulator limited to -rpm requests per minute
//     (its bucket holds a minute's worth, as OpenAI's does) gets
//     -rl-requests requests at concurrency -rl-conc through each path; the
//     client does not retry. Successes, 429s passed to the client, requests
//     the provider saw and answered 429, and the wall time; medians over
//     -runs, each run with a fresh simulator and gateway.
//
// Run `npm ci` in this directory first (bench/run does).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reask/reask/bench/internal/median"
)

const (
	personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}`
	messages     = `[{"role":"system","content":"Extract the person's details."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`
)

// bodies are the requests of each kind.
var bodies = map[string]string{
	"passthrough": `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}`,
	"schema": `{"model":"gpt-4o-mini","messages":` + messages +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":` + personSchema + `}}}`,
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "portkey-bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	reaskBin, node, portkeyDir string
	concs                      []int
	kinds                      []string
	duration, warmup           time.Duration
	runs                       int
	rpm, rlRequests, rlConc    int
	plotData                   string
	skipPortkey                string
	experiments                []string
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("portkey-bench", flag.ContinueOnError)
	reaskBin := fs.String("reask", "", "the reask binary (go build -o BIN ./cmd/reask); required")
	node := fs.String("node", "node", "the node binary")
	portkeyDir := fs.String("portkey-dir", "bench/portkey", "directory with node_modules/@portkey-ai/gateway")
	skip := fs.String("skip-portkey", "", "skip Portkey, giving this reason in the tables")
	concList := fs.String("conc", "1,16,64", "concurrencies of the latency experiment")
	kinds := fs.String("kinds", "passthrough,schema", "request kinds of the latency experiment")
	duration := fs.Duration("duration", 5*time.Second, "measuring time per latency run")
	warmup := fs.Duration("warmup", time.Second, "warm-up per latency run, not measured")
	runs := fs.Int("runs", 3, "runs of each latency measurement and of each rate-limit path; tables show medians")
	rpm := fs.Int("rpm", 3000, "the simulator's requests per minute in the rate-limit experiment")
	rlRequests := fs.Int("rl-requests", 3500, "requests sent in the rate-limit experiment")
	rlConc := fs.Int("rl-conc", 32, "concurrency of the rate-limit experiment")
	plotData := fs.String("plot-data", "", "write the latency figures as JSON to this file (for bench/plot)")
	experiments := fs.String("experiments", "latency,ratelimit", "latency, ratelimit (comma-separated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *reaskBin == "" {
		return errors.New("-reask BIN is required (go build -o BIN ./cmd/reask)")
	}
	o := options{reaskBin: *reaskBin, node: *node, portkeyDir: *portkeyDir, kinds: strings.Split(*kinds, ","), duration: *duration,
		warmup: *warmup, runs: *runs, rpm: *rpm, rlRequests: *rlRequests, rlConc: *rlConc, plotData: *plotData, skipPortkey: *skip,
		experiments: strings.Split(*experiments, ",")}
	for _, s := range strings.Split(*concList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-conc: %q is not a concurrency between 1 and 1024", s)
		}
		o.concs = append(o.concs, n)
	}
	for _, k := range o.kinds {
		if _, ok := bodies[k]; !ok {
			return fmt.Errorf("-kinds: unknown kind %q", k)
		}
	}
	if o.runs < 1 || o.duration <= 0 || o.warmup < 0 || o.rpm < 1 || o.rlRequests < 1 || o.rlConc < 1 {
		return errors.New("-runs, -duration, -rpm, -rl-requests and -rl-conc must be positive")
	}
	for _, e := range o.experiments {
		var err error
		switch strings.TrimSpace(e) {
		case "latency":
			err = latency(out, o)
		case "ratelimit":
			err = rateLimit(out, o)
		default:
			err = fmt.Errorf("-experiments: unknown experiment %q", e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// process is a server this command started.
type process struct {
	name string
	cmd  *exec.Cmd
	url  string
	log  *bytes.Buffer
}

// stop ends the process it started, by its own handle.
func (p *process) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs name with args and waits until ready answers 2xx.
func start(name, ready string, env []string, bin string, args ...string) (*process, error) {
	cmd := exec.Command(bin, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: &log}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s did not answer %s within 30s:\n%s", name, ready, log.String())
}

func startSim(o options, rpm int) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"sim", "--addr", addr, "--profile", "clean", "--seed", "1"}
	if rpm > 0 {
		args = append(args, "--rpm", strconv.Itoa(rpm))
	}
	p, err := start("reask sim", "http://"+addr+"/v1/models", nil, o.reaskBin, args...)
	if err != nil {
		return nil, err
	}
	p.url = "http://" + addr + "/v1"
	return p, nil
}

func startReask(o options, upstream string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := start("reask serve", "http://"+addr+"/healthz", nil, o.reaskBin, "serve", "--addr", addr, "--upstream", upstream)
	if err != nil {
		return nil, err
	}
	p.url = "http://" + addr + "/v1"
	return p, nil
}

func startPortkey(o options) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(o.portkeyDir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("portkey: %w (run npm ci in %s)", err, o.portkeyDir)
	}
	p, err := start("portkey", fmt.Sprintf("http://127.0.0.1:%d/", port), nil, o.node, script, fmt.Sprintf("--port=%d", port), "--headless")
	if err != nil {
		return nil, err
	}
	p.url = fmt.Sprintf("http://127.0.0.1:%d/v1", port)
	return p, nil
}

// target is a way to the provider.
type target struct {
	name    string
	url     string
	headers map[string]string
}

// portkeyConfig routes a request through Portkey to the simulator.
func portkeyConfig(simURL string, retry bool) string {
	c := map[string]any{"provider": "openai", "custom_host": simURL, "api_key": "sk-sim"}
	if retry {
		c["retry"] = map[string]any{"attempts": 5, "on_status_codes": []int{429, 500, 502, 503, 504}, "use_retry_after_header": true}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// result is one load run.
type result struct {
	p50, p99 time.Duration
	rate     float64
	status   map[int]int
	errors   int
	wall     time.Duration
}

// load runs conc closed-loop workers against t for warmup+duration (or,
// with limit > 0, until limit requests were sent) and returns latency
// percentiles and the rate of requests that ended after the warm-up.
func load(t target, body string, conc int, warmup, duration time.Duration, limit int) (result, error) {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	start := time.Now()
	measureFrom := start.Add(warmup)
	var sent atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	status := map[int]int{}
	errs := 0
	var firstErr error
	var wg sync.WaitGroup
	payload := []byte(body)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 4096)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for ctx.Err() == nil && (limit == 0 || sent.Add(1) <= int64(limit)) {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/chat/completions", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range t.headers {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					errs++
					firstErr = cmp(firstErr, err)
					mu.Unlock()
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil && ctx.Err() != nil {
					return
				}
				mu.Lock()
				status[resp.StatusCode]++
				mu.Unlock()
				if limit == 0 && resp.StatusCode != http.StatusOK {
					mu.Lock()
					firstErr = cmp(firstErr, fmt.Errorf("%s: HTTP %d", t.name, resp.StatusCode))
					mu.Unlock()
					return
				}
				if (limit > 0 || time.Now().After(measureFrom)) && ctx.Err() == nil {
					mine = append(mine, time.Since(t0))
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if limit == 0 && firstErr != nil {
		return result{}, firstErr
	}
	if len(lat) == 0 {
		return result{}, fmt.Errorf("%s: %w in the measuring window (statuses %v, %d errors: %v)", t.name, errNoRequest, status, errs, firstErr)
	}
	slices.Sort(lat)
	r := result{p50: lat[len(lat)*50/100], p99: lat[min(len(lat)-1, len(lat)*99/100)], status: status, errors: errs, wall: wall}
	if limit == 0 {
		r.rate = float64(len(lat)) / duration.Seconds()
	} else {
		r.rate = float64(status[200]) / wall.Seconds()
	}
	return r, nil
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// latencyPoint is one target at one concurrency, for the plot.
type latencyPoint struct {
	Kind        string  `json:"kind"`
	Target      string  `json:"target"`
	Concurrency int     `json:"concurrency"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	RPS         float64 `json:"rps"`
}

func latency(out io.Writer, o options) error {
	simP, err := startSim(o, 0)
	if err != nil {
		return err
	}
	defer simP.stop()
	reaskP, err := startReask(o, simP.url)
	if err != nil {
		return err
	}
	defer reaskP.stop()
	targets := []target{{name: "direct", url: simP.url}, {name: "reask serve", url: reaskP.url}}
	if o.skipPortkey == "" {
		pk, err := startPortkey(o)
		if err != nil {
			return err
		}
		defer pk.stop()
		targets = append(targets, target{name: "Portkey", url: pk.url, headers: map[string]string{"x-portkey-config": portkeyConfig(simP.url, false)}})
	}
	for _, t := range targets {
		if err := warm(t); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\n### Gateway latency: closed loop, %s per run after %s warm-up, median of %d runs; milliseconds\n\n", o.duration, o.warmup, o.runs)
	if o.skipPortkey != "" {
		fmt.Fprintf(out, "Portkey skipped: %s.\n\n", o.skipPortkey)
	}
	head := "| request | concurrency | direct p50 | direct p99 | direct req/s |"
	rule := "|---|---:|---:|---:|---:|"
	for _, t := range targets[1:] {
		head += fmt.Sprintf(" %s p50 | %s p99 | %s req/s | %s added p50 | %s added p99 |", t.name, t.name, t.name, t.name, t.name)
		rule += "---:|---:|---:|---:|---:|"
	}
	fmt.Fprintln(out, head)
	fmt.Fprintln(out, rule)
	var points []latencyPoint
	for _, kind := range o.kinds {
		for _, c := range o.concs {
			// per target: p50, p99, rate, added p50, added p99 of each run
			type acc struct{ p50, p99, rate, add50, add99 []float64 }
			accs := make([]acc, len(targets))
			for range o.runs {
				var direct result
				for i, t := range targets {
					r, err := load(t, bodies[kind], c, o.warmup, o.duration, 0)
					if errors.Is(err, errNoRequest) {
						// The machine stalled for the whole window
						// (it is shared); measure again, once.
						r, err = load(t, bodies[kind], c, o.warmup, o.duration, 0)
					}
					if err != nil {
						return fmt.Errorf("%s, %s, concurrency %d: %w", t.name, kind, c, err)
					}
					if i == 0 {
						direct = r
					}
					a := &accs[i]
					a.p50 = append(a.p50, msf(r.p50))
					a.p99 = append(a.p99, msf(r.p99))
					a.rate = append(a.rate, r.rate)
					a.add50 = append(a.add50, msf(r.p50-direct.p50))
					a.add99 = append(a.add99, msf(r.p99-direct.p99))
				}
			}
			line := fmt.Sprintf("| %s | %d |", kind, c)
			for i, t := range targets {
				a := accs[i]
				line += fmt.Sprintf(" %.3f | %.3f | %.0f |", median.Of(a.p50), median.Of(a.p99), median.Of(a.rate))
				if i > 0 {
					line += fmt.Sprintf(" %.3f | %.3f |", median.Of(a.add50), median.Of(a.add99))
				}
				points = append(points, latencyPoint{Kind: kind, Target: t.name, Concurrency: c, P50ms: median.Of(a.p50), P99ms: median.Of(a.p99), RPS: median.Of(a.rate)})
			}
			fmt.Fprintln(out, line)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Max requests/s (the highest closed-loop rate over the concurrencies above):")
	fmt.Fprintln(out)
	for _, kind := range o.kinds {
		var parts []string
		for _, t := range targets {
			best := 0.0
			for _, p := range points {
				if p.Kind == kind && p.Target == t.name {
					best = max(best, p.RPS)
				}
			}
			parts = append(parts, fmt.Sprintf("%s %.0f", t.name, best))
		}
		fmt.Fprintf(out, "- %s: %s\n", kind, strings.Join(parts, ", "))
	}
	if o.plotData != "" {
		b, err := json.MarshalIndent(map[string]any{"latency": points, "duration": o.duration.String(), "runs": o.runs}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.plotData, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// warm sends requests through t until one succeeds (a gateway's first
// request can take seconds: Node compiles its code on first use).
func warm(t target) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, t.url+"/chat/completions", strings.NewReader(bodies["passthrough"]))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range t.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: no successful request within 30s: %w", t.name, last)
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rateLimit sends the same requests through each path to a fresh simulator
// limited to o.rpm requests per minute.
func rateLimit(out io.Writer, o options) error {
	type path struct {
		name  string
		setup func(simURL string) (target, func(), error)
	}
	paths := []path{
		{"direct", func(u string) (target, func(), error) { return target{name: "direct", url: u}, func() {}, nil }},
		{"reask serve", func(u string) (target, func(), error) {
			p, err := startReask(o, u)
			if err != nil {
				return target{}, nil, err
			}
			return target{name: "reask serve", url: p.url}, p.stop, nil
		}},
	}
	for _, retry := range []bool{false, true} {
		name := "Portkey, no retry config"
		if retry {
			name = "Portkey, retry 5 on 429/5xx with Retry-After"
		}
		paths = append(paths, path{name, func(u string) (target, func(), error) {
			if o.skipPortkey != "" {
				return target{}, nil, errSkipped
			}
			p, err := startPortkey(o)
			if err != nil {
				return target{}, nil, err
			}
			return target{name: name, url: p.url, headers: map[string]string{"x-portkey-config": portkeyConfig(u, retry)}}, p.stop, nil
		}})
	}
	bucket := o.rpm
	best := time.Duration(float64(max(0, o.rlRequests-bucket)) * 60 / float64(o.rpm) * float64(time.Second))
	// Each path runs o.runs times, interleaved (run 1 of every path, then
	// run 2, …) so that other work on the machine weighs on all alike,
	// each time with a fresh simulator and a fresh gateway process.
	results := make([][]rlRun, len(paths))
	skipped := make([]bool, len(paths))
	for r := range o.runs {
		for i, p := range paths {
			if skipped[i] {
				continue
			}
			m, err := rateLimitOnce(o, p.setup)
			if errors.Is(err, errSkipped) {
				skipped[i] = true
				continue
			}
			if err != nil {
				return fmt.Errorf("rate limit, %s, run %d: %w", p.name, r+1, err)
			}
			fmt.Fprintf(os.Stderr, "portkey-bench: rate limit, %s, run %d: %d ok, %d answered 429, %d requests upstream, %s\n",
				p.name, r+1, m.ok, m.r429, m.upstream, m.wall.Round(time.Millisecond))
			results[i] = append(results[i], m)
		}
	}
	fmt.Fprintf(out, "\n### Gateways under a rate-limited upstream: %d plain requests at concurrency %d, simulator limited to %d requests/min (bucket of %d, refilled at %.0f/s); the client does not retry; median of %d runs\n\n",
		o.rlRequests, o.rlConc, o.rpm, bucket, float64(o.rpm)/60, o.runs)
	fmt.Fprintf(out, "All %d can succeed at best in %s (the bucket's burst, then its refill).\n\n", o.rlRequests, best.Round(time.Millisecond))
	fmt.Fprintln(out, "| path | 200 to the client | 429 passed to the client | other errors | requests upstream | answered 429 upstream | wall | goodput req/s | p50 ms | p99 ms |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i, p := range paths {
		if skipped[i] {
			fmt.Fprintf(out, "| %s | skipped: %s | | | | | | | | |\n", p.name, o.skipPortkey)
			continue
		}
		rs := results[i]
		med := func(g func(rlRun) float64) float64 {
			xs := make([]float64, 0, len(rs))
			for _, m := range rs {
				xs = append(xs, g(m))
			}
			return median.Of(xs)
		}
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f s | %.0f | %.3f | %.3f |\n", p.name,
			med(func(m rlRun) float64 { return float64(m.ok) }),
			med(func(m rlRun) float64 { return float64(m.r429) }),
			med(func(m rlRun) float64 { return float64(m.other) }),
			med(func(m rlRun) float64 { return float64(m.upstream) }),
			med(func(m rlRun) float64 { return float64(m.upstream429) }),
			med(func(m rlRun) float64 { return m.wall.Seconds() }),
			med(func(m rlRun) float64 { return m.rate }),
			med(func(m rlRun) float64 { return msf(m.p50) }),
			med(func(m rlRun) float64 { return msf(m.p99) }))
	}
	return nil
}

// rlRun is one path's run of the rate-limit experiment.
type rlRun struct {
	ok, r429, other       int // what the client got: 200, 429, anything else
	upstream, upstream429 int64
	wall                  time.Duration
	rate                  float64 // successes per second
	p50, p99              time.Duration
}

// rateLimitOnce sends o.rlRequests requests along the path setup builds in
// front of a fresh simulator limited to o.rpm requests per minute.
func rateLimitOnce(o options, setup func(simURL string) (target, func(), error)) (rlRun, error) {
	simP, err := startSim(o, o.rpm)
	if err != nil {
		return rlRun{}, err
	}
	defer simP.stop()
	t, stop, err := setup(simP.url)
	if err != nil {
		return rlRun{}, err
	}
	// One request to start the gateway's code paths; the simulator's
	// bucket holds more than the experiment needs beyond it.
	if err := warm(t); err != nil {
		stop()
		return rlRun{}, err
	}
	r, err := load(t, bodies["passthrough"], o.rlConc, 0, 10*time.Minute, o.rlRequests)
	stop()
	if err != nil {
		return rlRun{}, err
	}
	st, err := simStats(simP.url)
	if err != nil {
		return rlRun{}, err
	}
	m := rlRun{ok: r.status[200], r429: r.status[429], other: r.errors, upstream: st.Requests, upstream429: st.ByStatus["429"],
		wall: r.wall, rate: r.rate, p50: r.p50, p99: r.p99}
	for code, n := range r.status {
		if code != 200 && code != 429 {
			m.other += n
		}
	}
	return m, nil
}

var (
	errSkipped   = errors.New("skipped")
	errNoRequest = errors.New("no request completed")
)

// simStats reads the simulator's counters.
func simStats(simURL string) (struct {
	Requests int64            `json:"requests"`
	ByStatus map[string]int64 `json:"by_status"`
}, error) {
	var st struct {
		Requests int64            `json:"requests"`
		ByStatus map[string]int64 `json:"by_status"`
	}
	resp, err := http.Get(strings.TrimSuffix(simURL, "/v1") + "/_sim/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}
