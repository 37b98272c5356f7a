// Command gateway-bench measures what the reask gateway adds: latency
// percentiles and throughput of requests sent straight to the simulator and
// through the gateway in front of it, on loopback, at several
// concurrencies, with a closed-loop load generator (each worker sends its
// next request when the previous answer has arrived).
//
// Both servers run in this process on real loopback sockets: the simulator
// (clean profile, no latency: it answers in tens of microseconds, so what
// is measured is the gateway) and the gateway (pass-through and
// schema-enforced requests). The load generator shares the machine's cores
// with them, as it would with a local deployment.
//
//	go run ./bench/gateway -duration 5s -conc 1,16,64
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
	duration := fs.Duration("duration", 5*time.Second, "measuring time per run")
	warmup := fs.Duration("warmup", time.Second, "warm-up time per run, not measured")
	concList := fs.String("conc", "1,16,64", "concurrencies, comma-separated")
	kinds := fs.String("kinds", "passthrough,schema", "request kinds: passthrough, schema")
	maxRequests := fs.Int("max-requests", 2_000_000, "bound on the requests of one run")
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
	if *duration <= 0 || *warmup < 0 {
		return errors.New("-duration must be positive and -warmup not negative")
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
	simSrv, err := sim.New(sim.Config{Seed: 1})
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

	fmt.Fprintf(out, "# gateway overhead: %s per run after %s warm-up; GOMAXPROCS %d; %s\n\n",
		*duration, *warmup, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintln(out, "| kind | concurrency | direct p50 | direct p99 | direct req/s | gateway p50 | gateway p99 | gateway req/s | added p50 | added p99 |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, kind := range strings.Split(*kinds, ",") {
		body, ok := bodies[strings.TrimSpace(kind)]
		if !ok {
			return fmt.Errorf("-kinds: unknown kind %q", kind)
		}
		for _, c := range concs {
			d, err := load(direct, body, c, *warmup, *duration, *maxRequests)
			if err != nil {
				return fmt.Errorf("direct, %s, concurrency %d: %w", kind, c, err)
			}
			gw, err := load(through, body, c, *warmup, *duration, *maxRequests)
			if err != nil {
				return fmt.Errorf("gateway, %s, concurrency %d: %w", kind, c, err)
			}
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

// load runs conc closed-loop workers against url for warmup+duration and
// returns the latency percentiles and rate of the requests that started
// after the warm-up.
func load(url, body string, conc int, warmup, duration time.Duration, maxRequests int) (result, error) {
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
	if firstErr != nil {
		return result{}, firstErr
	}
	if len(lat) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(lat)
	return result{
		p50:  lat[len(lat)*50/100],
		p99:  lat[min(len(lat)-1, len(lat)*99/100)],
		rate: float64(len(lat)) / duration.Seconds(),
	}, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
