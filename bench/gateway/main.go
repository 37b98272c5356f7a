// Command gateway-bench measures what the reask gateway adds: latency
// percentiles and throughput of requests sent straight to the simulator and
// through the gateway in front of it, on loopback, at several
// concurrencies, with a closed-loop load generator (each worker sends its
// next request when the previous answer has arrived).
//
// Both servers run in this process on real loopback sockets: the simulator
// (clean profile) and the gateway (pass-through and schema-enforced
// requests). The load generator shares the machine's cores with them, as
// it would with a local deployment. Two settings answer two questions:
//
//   - -latency 0: the simulator answers in tens of microseconds, so the
//     closed loop saturates the cores and measures the most requests per
//     second each path sustains (the gateway's own latency is then mostly
//     queueing behind the extra HTTP hop it adds);
//   - -latency 20ms: a model-like upstream, so the cores are not saturated
//     and the difference in latency is what the gateway adds to a request.
//
// Direct and gateway runs alternate in rounds so that other work on the
// machine weighs on both alike.
//
//	go run ./bench/gateway -duration 5s -conc 1,16,64 -latency 20ms
//
// See run.sh and RESULTS.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
	latency := fs.Duration("latency", 0, "the simulator's fixed answer latency: 0 measures the most requests/s; a model-like delay (20ms) measures the latency the gateway adds when the machine is not saturated")
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
	if *duration <= 0 || *warmup < 0 || *rounds < 1 {
		return errors.New("-duration must be positive, -warmup not negative, -rounds at least 1")
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
		simCfg.Latency = &sim.Latency{Median: sim.Duration(*latency)}
	}
	simSrv, err := sim.New(simCfg)
	if err != nil {
		return err
	}
	direct, stopDirect, err := listen(simSrv)
	if err != nil {
		return err
	}
	defer stopDirect()
	g, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: direct + "/v1"}}})
	if err != nil {
		return err
	}
	defer g.Close()
	through, stopGateway, err := listen(g)
	if err != nil {
		return err
	}
	defer stopGateway()

	fmt.Fprintf(out, "# gateway overhead, simulator latency %s: %s per target and concurrency in %d alternating rounds, after %s warm-up; GOMAXPROCS %d; %s\n\n",
		*latency, *duration, *rounds, *warmup, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintln(out, "| kind | concurrency | direct p50 | direct p99 | direct req/s | gateway p50 | gateway p99 | gateway req/s | added p50 | added p99 |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, kind := range strings.Split(*kinds, ",") {
		body, ok := bodies[strings.TrimSpace(kind)]
		if !ok {
			return fmt.Errorf("-kinds: unknown kind %q", kind)
		}
		for _, c := range concs {
			var dl, gl []time.Duration
			slice := *duration / time.Duration(*rounds)
			for r := range *rounds {
				w := time.Duration(0)
				if r == 0 {
					w = *warmup
				}
				lat, err := load(direct, body, c, w, slice, *maxRequests)
				if err != nil {
					return fmt.Errorf("direct, %s, concurrency %d: %w", kind, c, err)
				}
				dl = append(dl, lat...)
				if lat, err = load(through, body, c, w, slice, *maxRequests); err != nil {
					return fmt.Errorf("gateway, %s, concurrency %d: %w", kind, c, err)
				}
				gl = append(gl, lat...)
			}
			if len(dl) == 0 || len(gl) == 0 {
				return fmt.Errorf("%s, concurrency %d: no request completed (is the machine overloaded?)", kind, c)
			}
			d, gw := summarize(dl, *duration), summarize(gl, *duration)
			fmt.Fprintf(out, "| %s | %d | %s | %s | %.0f | %s | %s | %.0f | %s | %s |\n", kind, c,
				ms(d.p50), ms(d.p99), d.rate, ms(gw.p50), ms(gw.p99), gw.rate, ms(gw.p50-d.p50), ms(gw.p99-d.p99))
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

// result is one run's latencies and rate.
type result struct {
	p50, p99 time.Duration
	rate     float64
}

// summarize returns the percentiles and rate of latencies (at least one)
// measured over duration.
func summarize(lat []time.Duration, duration time.Duration) result {
	slices.Sort(lat)
	return result{
		p50:  lat[len(lat)*50/100],
		p99:  lat[min(len(lat)-1, len(lat)*99/100)],
		rate: float64(len(lat)) / duration.Seconds(),
	}
}

// load runs conc closed-loop workers against url for warmup+duration and
// returns the latencies of the requests that started after the warm-up
// and ended before the end.
func load(url, body string, conc int, warmup, duration time.Duration, maxRequests int) ([]time.Duration, error) {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	start := time.Now()
	measureFrom := start.Add(warmup)
	var sent atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
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
			for ctx.Err() == nil && sent.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil && ctx.Err() != nil {
					return
				}
				if resp.StatusCode != http.StatusOK {
					mu.Lock()
					firstErr = cmpOr(firstErr, fmt.Errorf("HTTP %d", resp.StatusCode))
					mu.Unlock()
					return
				}
				if t0.After(measureFrom) && ctx.Err() == nil {
					mine = append(mine, time.Since(t0))
				}
			}
		}()
	}
	wg.Wait()
	return lat, firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
