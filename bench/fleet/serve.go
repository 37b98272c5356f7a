package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The request the serve experiment's clients send: a schema-enforced chat
// completion, which each replica answers through reask (validation,
// re-asks, and the policies the fleet shares).
const (
	personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}`
	personBody   = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Extract the person's details."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}],` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":` + personSchema + `}}}`
)

// serveResult is one run of the serve experiment.
type serveResult struct {
	wall              time.Duration
	ok, failed        int
	requests, limited int64 // upstream requests, and those answered 429
	p50, p99          float64
	redisCalls        int64
}

// serveBench runs c.replicas gateways with and without Redis, and prints
// the table.
func serveBench(c benchConfig, rds *redisServer) error {
	rate := float64(c.rpm) / 60
	best := time.Duration(float64(c.n) / rate * float64(time.Second))
	fmt.Printf("\n### Fleet of gateways: %d `reask serve` replicas, a round-robin client at %d concurrent clients, %d requests, simulator at %d rpm (steady state), %s latency, --redis-timeout %s\n\n",
		c.replicas, c.clients, c.n, c.rpm, c.latency, timeoutShown(c))
	fmt.Printf("Best possible wall time: %d requests ÷ %.0f/s = %s.\n\n", c.n, rate, best.Round(10*time.Millisecond))
	fmt.Println("| replicas | Redis | share of best throughput | upstream 429s (share of upstream requests) | wall time | request p50 | request p99 | Redis round trips per call | requests ok |")
	fmt.Println("|---:|:---|---:|---:|---:|---:|---:|---:|---:|")
	for _, shared := range c.modes {
		r, err := serveRun(c, rds, shared)
		if err != nil {
			return err
		}
		redis, trips := "no", "—"
		if shared {
			redis, trips = "yes", fmt.Sprintf("%.2f", float64(r.redisCalls)/float64(max(r.requests, 1)))
		}
		fmt.Printf("| %d | %s | %.1f%% | %d (%.1f%%) | %s | %.0f ms | %.0f ms | %s | %d/%d |\n", c.replicas, redis, 100*best.Seconds()/r.wall.Seconds(),
			r.limited, 100*float64(r.limited)/float64(max(r.requests, 1)), r.wall.Round(10*time.Millisecond), r.p50, r.p99, trips, r.ok, c.n)
	}
	return nil
}

func timeoutShown(c benchConfig) string {
	if c.redisTimeout > 0 {
		return c.redisTimeout.String()
	}
	return "50ms (the default)"
}

// serveRun starts the replicas in front of a fresh, drained simulator and
// sends the requests round-robin.
func serveRun(c benchConfig, rds *redisServer, shared bool) (serveResult, error) {
	var r serveResult
	simURL, stopSim, err := startSim(c)
	if err != nil {
		return r, err
	}
	defer stopSim()
	if err := drain(simURL); err != nil {
		return r, err
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
	var reps []*replica
	defer func() {
		for _, rep := range reps {
			rep.stop()
		}
	}()
	for range c.replicas {
		args := []string{"serve", "--addr", "127.0.0.1:0", "--upstream", px.url, "--open-ops"}
		if shared {
			args = append(args, "--redis", rds.url())
			if c.redisTimeout > 0 {
				args = append(args, "--redis-timeout", c.redisTimeout.String())
			}
		}
		rep, err := startReplica(c.reask, args)
		if err != nil {
			return r, err
		}
		reps = append(reps, rep)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients, MaxIdleConns: 4 * c.clients}, Timeout: 10 * time.Minute}
	var (
		next   atomic.Int64
		mu     sync.Mutex
		lat    []float64
		failed []string
		wg     sync.WaitGroup
	)
	px.start = time.Now()
	for range c.clients {
		wg.Go(func() {
			for {
				k := next.Add(1) - 1
				if k >= int64(c.n) {
					return
				}
				t0 := time.Now()
				status, err := post(client, reps[k%int64(len(reps))].base+"/v1/chat/completions", personBody)
				ms := float64(time.Since(t0).Microseconds()) / 1000
				mu.Lock()
				lat = append(lat, ms)
				if err != nil || status != http.StatusOK {
					failed = append(failed, fmt.Sprintf("status %d %v", status, err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.wall = time.Since(px.start)
	r.failed, r.ok = len(failed), c.n-len(failed)
	r.p50, r.p99 = quantile(lat, 0.5), quantile(lat, 0.99)
	r.requests, r.limited = px.requests.Load(), px.limited.Load()
	for _, rep := range reps {
		n, err := rep.redisCalls()
		if err != nil {
			return r, err
		}
		r.redisCalls += n
	}
	if c.verbose {
		for i, rep := range reps {
			fmt.Fprintf(os.Stderr, "fleet: replica %d:\n%s", i, rep.log())
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "fleet: %d requests failed, the first: %s\n", len(failed), failed[0])
	}
	fmt.Fprintf(os.Stderr, "fleet: %d replicas, redis %v: %s, %d upstream requests, %d 429s, %d/%d ok, %d Redis calls\n",
		c.replicas, shared, r.wall.Round(time.Millisecond), r.requests, r.limited, r.ok, c.n, r.redisCalls)
	return r, nil
}

// post sends body to url and returns the answer's status.
func post(client *http.Client, url, body string) (int, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// replica is one "reask serve" process.
type replica struct {
	cmd  *exec.Cmd
	base string // http://host:port

	mu  sync.Mutex
	buf bytes.Buffer // its standard error
}

// startReplica runs "reask serve" with args and waits for it to say
// where it listens.
func startReplica(bin string, args []string) (*replica, error) {
	rep := &replica{cmd: exec.Command(bin, args...)}
	rep.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	stderr, err := rep.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := rep.cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			rep.mu.Lock()
			rep.buf.WriteString(line + "\n")
			rep.mu.Unlock()
			if _, rest, ok := strings.Cut(line, "gateway on "); ok && !sent {
				if base, _, ok := strings.Cut(rest, "/v1"); ok {
					found <- base
					sent = true
				}
			}
		}
		close(found)
	}()
	select {
	case base, ok := <-found:
		if !ok {
			rep.stop()
			return nil, fmt.Errorf("reask serve ended without listening:\n%s", rep.log())
		}
		rep.base = base
		return rep, nil
	case <-time.After(30 * time.Second):
		rep.stop()
		return nil, errors.New("reask serve did not start in 30s")
	}
}

func (rep *replica) log() string {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	return rep.buf.String()
}

func (rep *replica) stop() {
	if rep.cmd.Process != nil {
		rep.cmd.Process.Signal(os.Interrupt)
		rep.cmd.Wait()
	}
}

// redisCalls reads reask_fleet_redis_calls_total on the replica's
// /metrics (0 outside fleet mode).
func (rep *replica) redisCalls() (int64, error) {
	resp, err := http.Get(rep.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "reask_fleet_redis_calls_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return int64(f), err
		}
	}
	return 0, nil
}

// overheadBench measures what the shared state adds to each call on
// loopback: one batch process, one item at a time, against a simulator
// without a limit or latency, with and without Redis.
func overheadBench(c benchConfig, rds *redisServer) error {
	b, err := os.ReadFile(filepath.Join(c.dir, "data", "items.jsonl"))
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(b)), "\n")
	lines = lines[:min(len(lines), c.overheadN)]
	items := filepath.Join(c.dir, "overhead.jsonl")
	if err := os.WriteFile(items, []byte(strings.Join(lines, "")+"\n"), 0o644); err != nil {
		return err
	}
	oc := c
	oc.rpm, oc.latency, oc.conc = 0, 0, 1
	fmt.Printf("\n### Shared state's cost per call on loopback: one `reask batch`, %d items one at a time, simulator without a limit or latency, --redis-timeout %s\n\n", len(lines), timeoutShown(c))
	fmt.Println("| Redis | item p50 | item p99 | Redis round trips per call | shared-state errors |")
	fmt.Println("|:---|---:|---:|---:|---:|")
	var p50 [2]float64
	for _, shared := range c.modes {
		r, err := fleetRun(oc, rds, 1, shared, runOptions{items: items})
		if err != nil {
			return err
		}
		redis, trips := "no", "—"
		if shared {
			redis, trips = "yes", fmt.Sprintf("%.2f", float64(r.redisCmds)/float64(max(r.requests, 1)))
			p50[1] = r.p50
		} else {
			p50[0] = r.p50
		}
		fmt.Printf("| %s | %.2f ms | %.2f ms | %s | %d |\n", redis, r.p50, r.p99, trips, r.sharedErrors)
	}
	if len(c.modes) == 2 {
		fmt.Printf("\nShared state adds %.2f ms per call at the p50.\n", p50[1]-p50[0])
	}
	return nil
}
