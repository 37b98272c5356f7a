// Command gateway-bench measures what the reask gateway adds to a request:
// the latency of requests sent straight to the simulator and through the
// gateway in front of it, on loopback, at several concurrencies, with a
// closed-loop load generator (each worker sends its next request when the
// previous answer has arrived), and the most requests per second each path
// sustains.
//
// Both servers run in this process on real loopback sockets: the simulator
// (clean profile) and the gateway (pass-through and schema-enforced
// requests). The load generator shares the machine's cores with them, as
// it would with a local deployment.
//
// Added latency is measured per request, free of the upstream's own
// variance: the simulator's handler is timed, each answer is matched to
// its upstream request by its id, and a request's overhead is its latency
// as the client saw it minus the time the simulator spent on it. The
// added latency at a percentile is the gateway path's overhead at that
// percentile minus the direct path's (the client's and the simulator's
// HTTP work, present on both paths).
//
// Two settings answer two questions:
//
//   - -latency 0: the simulator answers in tens of microseconds, so the
//     closed loop saturates the cores: the most requests per second each
//     path sustains (the gateway's overhead is then mostly queueing for the
//     cores behind the extra HTTP hop it adds);
//   - -latency 20ms -latency-p99 60ms: a model-like upstream (log-normal
//     answer times), so the cores are not saturated and the overhead is
//     what the gateway adds to a request.
//
// Direct and gateway runs alternate in rounds so that other work on the
// machine weighs on both alike.
//
//	go run ./bench/gateway -duration 5s -conc 1,16,64 -latency 20ms -latency-p99 60ms
//
// See run.sh and RESULTS.md.
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
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
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
		fmt.Fprintln(os.Stderr, "gateway-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gateway-bench", flag.ContinueOnError)
	duration := fs.Duration("duration", 5*time.Second, "measuring time per target and concurrency, split over the rounds")
	warmup := fs.Duration("warmup", time.Second, "warm-up time per target and concurrency, not measured")
	rounds := fs.Int("rounds", 5, "rounds alternating direct and gateway runs, so that other work on the machine weighs on both alike")
	concList := fs.String("conc", "1,16,64", "concurrencies, comma-separated")
	kinds := fs.String("kinds", "passthrough,schema", "request kinds: passthrough, schema")
	maxRequests := fs.Int("max-requests", 2_000_000, "bound on the requests of one run")
	latency := fs.Duration("latency", 0, "the simulator's median answer latency (0: instant)")
	latencyP99 := fs.Duration("latency-p99", 0, "the simulator's 99th-percentile latency: above -latency, answer times are log-normal, as a model's are; else fixed")
	gatewayBin := fs.String("gateway-bin", "", "run the gateway as this reask binary's \"serve\" command in its own process, as deployed (default: in this process)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (load generator, gateway and simulator) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var concs []int
	for _, s := range strings.Split(*concList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-conc: %q is not a concurrency between 1 and 1024", s)
		}
		concs = append(concs, n)
	}
	if *duration <= 0 || *warmup < 0 || *rounds < 1 || *latency < 0 || *latencyP99 < 0 {
		return errors.New("-duration must be positive, -warmup and the latencies not negative, -rounds at least 1")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	simCfg := sim.Config{Seed: 1}
	if *latency > 0 {
		simCfg.Latency = &sim.Latency{Median: sim.Duration(*latency), P99: sim.Duration(*latencyP99)}
	}
	simSrv, err := sim.New(simCfg)
	if err != nil {
		return err
	}
	upstream := &timed{next: simSrv, took: map[string]time.Duration{}}
	direct, stopDirect, err := listen(upstream)
	if err != nil {
		return err
	}
	defer stopDirect()
	var through string
	var stopGateway func()
	where := "in this process"
	if *gatewayBin != "" {
		through, stopGateway, err = startServe(*gatewayBin, direct+"/v1")
		where = "in its own process (reask serve)"
	} else {
		through, stopGateway, err = startInProcess(direct + "/v1")
	}
	if err != nil {
		return err
	}
	defer stopGateway()

	fmt.Fprintf(out, "simulator latency %s (p99 %s); gateway %s; %s per target and concurrency in %d alternating rounds after %s of warm-up; GOMAXPROCS %d; %s\n\n",
		*latency, max(*latency, *latencyP99), where, *duration, *rounds, *warmup, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintln(out, "| kind | conc. | direct req/s | gateway req/s | direct p50 | direct p99 | gateway p50 | gateway p99 | added p50 | added p99 |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, kind := range strings.Split(*kinds, ",") {
		body, ok := bodies[strings.TrimSpace(kind)]
		if !ok {
			return fmt.Errorf("-kinds: unknown kind %q", kind)
		}
		for _, c := range concs {
			var ds, gs []sample
			slice := *duration / time.Duration(*rounds)
			for r := range *rounds {
				w := time.Duration(0)
				if r == 0 {
					w = *warmup
				}
				s, err := load(direct, body, c, w, slice, *maxRequests, upstream)
				if err != nil {
					return fmt.Errorf("direct, %s, concurrency %d: %w", kind, c, err)
				}
				ds = append(ds, s...)
				if s, err = load(through, body, c, w, slice, *maxRequests, upstream); err != nil {
					return fmt.Errorf("gateway, %s, concurrency %d: %w", kind, c, err)
				}
				gs = append(gs, s...)
			}
			if len(ds) == 0 || len(gs) == 0 {
				return fmt.Errorf("%s, concurrency %d: no request completed (is the machine overloaded?)", kind, c)
			}
			d, gw := summarize(ds, *duration), summarize(gs, *duration)
			fmt.Fprintf(out, "| %s | %d | %.0f | %.0f | %s | %s | %s | %s | %s | %s |\n", kind, c, d.rate, gw.rate,
				ms(d.p50), ms(d.p99), ms(gw.p50), ms(gw.p99), ms(gw.over50-d.over50), ms(gw.over99-d.over99))
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

// listen serves h on a loopback port.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// startInProcess serves a gateway in front of upstream in this process.
func startInProcess(upstream string) (string, func(), error) {
	g, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: upstream}}})
	if err != nil {
		return "", nil, err
	}
	url, stop, err := listen(g)
	if err != nil {
		g.Close()
		return "", nil, err
	}
	return url, func() { stop(); g.Close() }, nil
}

// startServe runs "bin serve" in front of upstream on a loopback port and
// waits for it to say where it listens.
func startServe(bin, upstream string) (string, func(), error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--upstream", upstream)
	cmd.Env = append(os.Environ(), "REASK_UPSTREAM_API_KEY=", "REASK_CLIENT_KEYS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "gateway on "); ok {
				if url, _, ok := strings.Cut(rest, "/v1"); ok {
					found <- url
				}
			}
		}
		close(found)
	}()
	select {
	case url, ok := <-found:
		if !ok {
			stop()
			return "", nil, fmt.Errorf("%s serve ended without listening", bin)
		}
		return url, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("%s serve did not start in 30s", bin)
	}
}

// timed wraps the simulator and records how long it spent on each request,
// by the id it answered with.
type timed struct {
	next http.Handler
	mu   sync.Mutex
	took map[string]time.Duration
}

func (t *timed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	t.next.ServeHTTP(w, r)
	d := time.Since(t0)
	if id, ok := strings.CutPrefix(w.Header().Get("X-Request-Id"), "req_"); ok {
		t.mu.Lock()
		t.took[id] = d
		t.mu.Unlock()
	}
}

// upstreamTime returns and forgets the time the simulator spent on the
// request whose answer body is b ({"id":"chatcmpl-<id>", ...}).
func (t *timed) upstreamTime(b []byte) (time.Duration, bool) {
	const key = `"id":"chatcmpl-`
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	id := string(rest[:j])
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.took[id]
	delete(t.took, id)
	return d, ok
}

// sample is one request: its latency and its overhead (latency minus the
// simulator's time).
type sample struct{ latency, overhead time.Duration }

// result is one path's percentiles and rate.
type result struct {
	p50, p99       time.Duration
	over50, over99 time.Duration
	rate           float64
}

// summarize returns the percentiles and rate of samples (at least one)
// measured over duration.
func summarize(s []sample, duration time.Duration) result {
	lat := make([]time.Duration, len(s))
	over := make([]time.Duration, len(s))
	for i, x := range s {
		lat[i], over[i] = x.latency, x.overhead
	}
	slices.Sort(lat)
	slices.Sort(over)
	at := func(v []time.Duration, p int) time.Duration { return v[min(len(v)-1, len(v)*p/100)] }
	return result{p50: at(lat, 50), p99: at(lat, 99), over50: at(over, 50), over99: at(over, 99),
		rate: float64(len(s)) / duration.Seconds()}
}

// load runs conc closed-loop workers against url for warmup+duration and
// returns the samples of the requests that started after the warm-up and
// ended before the end.
func load(url, body string, conc int, warmup, duration time.Duration, maxRequests int, up *timed) ([]sample, error) {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	measureFrom := time.Now().Add(warmup)
	var sent atomic.Int64
	var mu sync.Mutex
	var samples []sample
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	payload := []byte(body)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]sample, 0, 4096)
			defer func() {
				mu.Lock()
				samples = append(samples, mine...)
				mu.Unlock()
			}()
			var buf bytes.Buffer
			for ctx.Err() == nil && sent.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				latency := time.Since(t0)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				if resp.StatusCode != http.StatusOK {
					fail(fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, buf.Bytes()))
					return
				}
				upTime, ok := up.upstreamTime(buf.Bytes())
				if !ok {
					fail(fmt.Errorf("no upstream time for the answer %.200s", buf.Bytes()))
					return
				}
				if t0.After(measureFrom) && ctx.Err() == nil {
					mine = append(mine, sample{latency: latency, overhead: latency - upTime})
				}
			}
		}()
	}
	wg.Wait()
	return samples, firstErr
}
