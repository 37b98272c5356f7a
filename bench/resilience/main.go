// Command resilience runs reask's resilience benchmarks against the
// simulator, side by side with the seed's retry loop (the tutorial's that
// reask grew from, package bench/naive),
// and prints Markdown tables for BENCHMARKS.md.
//
//	go run ./bench/resilience -bench recovery -n 300
//	go run ./bench/resilience -bench patch -n 300
//	go run ./bench/resilience -bench goodput -n 1000 -rpm 3000 -runs 3
//	go run ./bench/resilience -bench outage -runs 3
//	go run ./bench/resilience -bench batch -n 1000 -rpm 6000
//	go run ./bench/resilience -bench insist -n 300 -profile hostile -attempts 3,5
//	go run ./bench/resilience -bench wire -n 300
//
// Every experiment starts a fresh simulator on loopback with the same seed
// for each system, so each meets the same faults for the same conversation.
// Goodput and outage run each system -runs times (run 1 of every system,
// then run 2, …), each time on a fresh simulator, and show medians; the
// other experiments run once.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/bench/internal/median"
	"github.com/reask/reask/bench/naive"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/dataset"
)

func main() {
	which := flag.String("bench", "recovery", "recovery, patch, goodput, outage, batch, insist or wire (comma-separated, or all)")
	n := flag.Int("n", 300, "items")
	seed := flag.Int64("seed", 1, "seed of the data set and the simulator")
	profile := flag.String("profile", "flaky", "simulator profile for recovery and patch")
	rpm := flag.Int("rpm", 3000, "the simulator's requests per minute for goodput and batch")
	conc := flag.Int("concurrency", 32, "items in flight")
	runs := flag.Int("runs", 3, "runs of goodput and outage, each system on a fresh simulator each run; their tables show medians")
	window := flag.Duration("outage-window", 5*time.Second, "how long the outage lasts in the outage benchmark")
	attempts := flag.String("attempts", "3,5", "comma-separated attempt budgets (Config.MaxAttempts) for insist")
	transport := flag.Bool("transport", false, "keep the profile's transport faults, latency and outages in insist")
	flag.Parse()
	if *n < 1 || *conc < 1 || *runs < 1 || *rpm < 1 || *window <= 0 {
		fmt.Fprintln(os.Stderr, "resilience: -n, -concurrency, -runs, -rpm and -outage-window must be positive")
		os.Exit(2)
	}
	benches := strings.Split(*which, ",")
	if *which == "all" {
		benches = []string{"recovery", "patch", "goodput", "outage", "batch", "insist", "wire"}
	}
	for _, b := range benches {
		var err error
		switch b {
		case "recovery":
			err = recovery(*n, *seed, *profile, *conc)
		case "patch":
			err = patch(*n, *seed, *profile, *conc)
		case "goodput":
			err = goodput(*n, *seed, *rpm, *conc, *runs)
		case "outage":
			err = outage(*seed, *conc, *runs, *window)
		case "batch":
			err = batchBench(*n, *seed, *rpm, *conc)
		case "insist":
			err = insist(*n, *seed, *profile, *conc, *attempts, *transport)
		case "wire":
			err = wire(*n, *seed, *profile, *conc)
		default:
			err = fmt.Errorf("unknown benchmark %q", b)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "resilience:", err)
			os.Exit(1)
		}
	}
}

// simServer is a simulator on a loopback port.
type simServer struct {
	sim  *sim.Server
	url  string
	stop func()
}

func startSim(cfg sim.Config) (*simServer, error) {
	s, err := sim.New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	return &simServer{sim: s, url: "http://" + ln.Addr().String() + "/v1", stop: func() { hs.Close() }}, nil
}

// httpClient allows enough idle connections for the concurrency used here.
var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}

type item struct {
	dataset.Item
	schema *schema.Schema
}

func items(n int, seed int64) ([]item, error) {
	schemas := map[string]*schema.Schema{}
	for name, doc := range dataset.Schemas() {
		s, err := schema.CompileNamed(name, doc)
		if err != nil {
			return nil, err
		}
		schemas[name] = s
	}
	var out []item
	for _, it := range dataset.Generate(n, seed) {
		out = append(out, item{it, schemas[it.Schema]})
	}
	return out, nil
}

// outcome is one item's result for the tables.
type outcome struct {
	ok, exact                      bool
	attempts, calls                int
	promptTokens, completionTokens int
	dur                            time.Duration
	insisted                       bool // stopped early: the model insisted
	attemptsSaved                  int
}

// tally sums outcomes.
type tally struct {
	items, ok, exact   int
	wrong              int // accepted but different from the gold answer
	calls, attempts    int
	prompt, completion int
	wall               time.Duration
	durations          []time.Duration
	insisted, saved    int // items stopped because the model insisted, attempts they saved
}

func (t *tally) add(o outcome) {
	t.items++
	t.calls += o.calls
	t.attempts += o.attempts
	t.prompt += o.promptTokens
	t.completion += o.completionTokens
	t.durations = append(t.durations, o.dur)
	if o.insisted {
		t.insisted++
		t.saved += o.attemptsSaved
	}
	if o.ok {
		t.ok++
		if o.exact {
			t.exact++
		} else {
			t.wrong++
		}
	}
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// runAll runs f over the items with the given concurrency.
func runAll(its []item, conc int, f func(item) outcome) (*tally, time.Duration) {
	t := &tally{}
	var mu sync.Mutex
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for _, it := range its {
		sem <- struct{}{}
		wg.Add(1)
		go func(it item) {
			defer wg.Done()
			defer func() { <-sem }()
			o := f(it)
			mu.Lock()
			t.add(o)
			mu.Unlock()
		}(it)
	}
	wg.Wait()
	t.wall = time.Since(start)
	return t, t.wall
}

// newClient is reask.New for the benchmark's own configurations, which are
// valid: an error is a bug of this program.
func newClient(p reask.Provider, cfg reask.Config) *reask.Client {
	c, err := reask.New(p, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		os.Exit(2)
	}
	return c
}

func reaskRun(url string, cfg reask.Config) func(item) outcome {
	p := openai.NewProvider(openai.Config{BaseURL: url, Model: "gpt-4o-mini", HTTPClient: httpClient})
	c := newClient(p, cfg)
	return func(it item) outcome {
		t0 := time.Now()
		doc, rep, err := c.Run(context.Background(), reask.Task{Schema: it.schema, Input: it.Text})
		return outcome{ok: err == nil, exact: err == nil && sameJSON(doc, it.Gold), attempts: rep.Attempts, calls: rep.Calls,
			promptTokens: rep.Usage.PromptTokens, completionTokens: rep.Usage.CompletionTokens, dur: time.Since(t0),
			insisted: errors.Is(err, reask.ErrInsisted), attemptsSaved: rep.AttemptsSaved}
	}
}

func naiveRun(url, mode string) func(item) outcome {
	return func(it item) outcome {
		t0 := time.Now()
		r := naive.Extract(context.Background(), naive.Config{BaseURL: url, Model: "gpt-4o-mini", Client: httpClient, Mode: mode}, it.schema, it.Text)
		return outcome{ok: r.OK, exact: r.OK && sameJSON(r.Data, it.Gold), attempts: r.Attempts, calls: r.Calls,
			promptTokens: r.PromptTokens, completionTokens: r.CompletionTokens, dur: time.Since(t0)}
	}
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func per(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// recovery: success, accuracy, calls and tokens per item on a faulty
// profile, reask (several modes) against the seed's loop.
func recovery(n int, seed int64, profile string, conc int) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	prof, err := sim.BuiltinProfile(profile)
	if err != nil {
		return err
	}
	type system struct {
		name string
		run  func(url string) func(item) outcome
	}
	systems := []system{
		{"reask, json_schema (default)", func(u string) func(item) outcome { return reaskRun(u, reask.Config{}) }},
		{"reask, json_object", func(u string) func(item) outcome { return reaskRun(u, reask.Config{Mode: reask.ModeJSONObject}) }},
		{"reask, tools", func(u string) func(item) outcome { return reaskRun(u, reask.Config{Mode: reask.ModeTools}) }},
		{"seed's loop, json_object", func(u string) func(item) outcome { return naiveRun(u, "json_object") }},
		{"seed's loop, json_schema", func(u string) func(item) outcome { return naiveRun(u, "json_schema") }},
	}
	fmt.Printf("\n### Recovery: %d items of the simulator's data set, profile %s, seed %d, concurrency %d\n\n", n, profile, seed, conc)
	fmt.Println("| system | success | exact | wrong but accepted | calls/item | calls/successful item | attempts/item | prompt tok/item | completion tok/item | p50 | p99 | wall |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, sys := range systems {
		srv, err := startSim(sim.Config{Seed: seed, Profile: prof})
		if err != nil {
			return err
		}
		t, wall := runAll(its, conc, sys.run(srv.url))
		srv.stop()
		fmt.Printf("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", sys.name, pct(t.ok, t.items), pct(t.exact, t.items), t.wrong,
			per(t.calls, t.items), per(t.calls, t.ok), per(t.attempts, t.items), per(t.prompt, t.items), per(t.completion, t.items),
			percentile(t.durations, 0.5).Round(time.Millisecond), percentile(t.durations, 0.99).Round(time.Millisecond), wall.Round(time.Millisecond))
	}
	return nil
}

// patch: tokens per successful item with and without patch re-asks.
func patch(n int, seed int64, profile string, conc int) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	prof, err := sim.BuiltinProfile(profile)
	if err != nil {
		return err
	}
	// Content faults only, so that transport noise does not blur tokens.
	prof.Transport = sim.Transport{}
	prof.Latency = sim.Latency{}
	prof.Outages = nil
	fmt.Printf("\n### Patch re-ask: %d items, profile %s without transport faults, json_object mode, seed %d\n\n", n, profile, seed)
	fmt.Println("| patch | success | exact | attempts/item | prompt tok/ok item | completion tok/ok item | total tok/ok item |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, on := range []bool{false, true} {
		srv, err := startSim(sim.Config{Seed: seed, Profile: prof})
		if err != nil {
			return err
		}
		t, _ := runAll(its, conc, reaskRun(srv.url, reask.Config{Mode: reask.ModeJSONObject, Patch: on}))
		srv.stop()
		fmt.Printf("| %v | %s | %s | %s | %s | %s | %s |\n", on, pct(t.ok, t.items), pct(t.exact, t.items), per(t.attempts, t.items),
			per(t.prompt, t.ok), per(t.completion, t.ok), per(t.prompt+t.completion, t.ok))
	}
	return nil
}

// insist: what stopping early for a model that insists saves, on a
// profile's content faults: reask in its default mode with and without
// the early stop (Config.KeepOnRepeat off and on), for each attempt budget, side by side on fresh
// simulators with the same seed. Transport faults, latency and outages are
// off unless keepTransport, so that the stop is the only difference: at
// temperature 0 each conversation meets the same faults in both runs.
func insist(n int, seed int64, profile string, conc int, budgets string, keepTransport bool) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	prof, err := sim.BuiltinProfile(profile)
	if err != nil {
		return err
	}
	faults := "content faults only"
	if keepTransport {
		faults = "transport faults included"
	} else {
		prof.Transport = sim.Transport{}
		prof.Latency = sim.Latency{}
		prof.Outages = nil
	}
	var attempts []int
	for _, f := range strings.Split(budgets, ",") {
		var a int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &a); err != nil || a < 1 {
			return fmt.Errorf("-attempts: %q is not a positive number", f)
		}
		attempts = append(attempts, a)
	}
	fmt.Printf("\n### Stopping when the model insists: %d items, profile %s (%s), json_schema mode, seed %d, concurrency %d\n\n", n, profile, faults, seed, conc)
	fmt.Println("| max attempts | stop on repeat | success | exact | calls | calls/item | attempts/item | stopped early | attempts saved | total tok/item | wall |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, a := range attempts {
		for _, on := range []bool{false, true} {
			srv, err := startSim(sim.Config{Seed: seed, Profile: prof})
			if err != nil {
				return err
			}
			t, wall := runAll(its, conc, reaskRun(srv.url, reask.Config{MaxAttempts: a, KeepOnRepeat: !on}))
			srv.stop()
			fmt.Printf("| %d | %v | %s | %s | %d | %s | %s | %d | %d | %s | %s |\n", a, on, pct(t.ok, t.items), pct(t.exact, t.items),
				t.calls, per(t.calls, t.items), per(t.attempts, t.items), t.insisted, t.saved,
				per(t.prompt+t.completion, t.items), wall.Round(time.Millisecond))
		}
	}
	return nil
}

// medianOf is the median of g over the runs.
func medianOf[T any](runs []T, g func(T) float64) float64 {
	xs := make([]float64, 0, len(runs))
	for _, r := range runs {
		xs = append(xs, g(r))
	}
	return median.Of(xs)
}

// seconds turns a median in seconds back into a duration, rounded to r.
func seconds(s float64, r time.Duration) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(r)
}

// goodputRun is one system's run of the goodput benchmark.
type goodputRun struct {
	items, ok      int
	requests, r429 int64
	wall           time.Duration
}

// goodput: a provider limited to rpm (its bucket holds a minute's worth,
// as OpenAI's does), n items at concurrency conc: the share of the
// provider's capacity achieved and the share of requests answered 429. The
// best possible wall time is the time the bucket needs to refill for the
// items beyond its first burst. Each system runs runs times, interleaved
// (run 1 of every system, then run 2, …) so that other work on the machine
// weighs on all alike, each time on a fresh simulator; the table shows
// medians.
func goodput(n int, seed int64, rpm, conc, runs int) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	if n <= rpm {
		return fmt.Errorf("goodput needs more items (%d) than the bucket holds (%d)", n, rpm)
	}
	best := time.Duration(float64(n-rpm) * 60 / float64(rpm) * float64(time.Second))
	prof := sim.Profile{Latency: sim.Latency{Median: sim.Duration(20 * time.Millisecond)}}
	type system struct {
		name string
		run  func(url string) func(item) outcome
	}
	systems := []system{
		{"reask (adaptive limiter)", func(u string) func(item) outcome { return reaskRun(u, reask.Config{}) }},
		{"reask, limiter off", func(u string) func(item) outcome { return reaskRun(u, reask.Config{NoRateLimit: true}) }},
		{"seed's loop", func(u string) func(item) outcome { return naiveRun(u, "json_schema") }},
	}
	results := make([][]goodputRun, len(systems))
	for r := range runs {
		for i, sys := range systems {
			srv, err := startSim(sim.Config{Seed: seed, Profile: prof, RPM: rpm})
			if err != nil {
				return err
			}
			t, wall := runAll(its, conc, sys.run(srv.url))
			st := srv.sim.Stats()
			srv.stop()
			g := goodputRun{items: t.items, ok: t.ok, requests: st.Requests, r429: st.ByStatus[429], wall: wall}
			fmt.Fprintf(os.Stderr, "resilience: goodput, %s, run %d: %d/%d succeeded, %d requests, %d answered 429, %s\n",
				sys.name, r+1, g.ok, g.items, g.requests, g.r429, wall.Round(time.Millisecond))
			results[i] = append(results[i], g)
		}
	}
	fmt.Printf("\n### Goodput under a rate limit: %d items, %d requests/min, concurrency %d, clean answers, 20 ms latency, median of %d runs\n\n", n, rpm, conc, runs)
	fmt.Printf("The provider's bucket holds %d requests and refills at %.1f/s: the best possible wall time is %s.\n\n", rpm, float64(rpm)/60, best.Round(time.Millisecond))
	fmt.Println("| system | success | share of the best throughput | requests | answered 429 | wall |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, sys := range systems {
		rs := results[i]
		failed := medianOf(rs, func(g goodputRun) float64 { return float64(g.items - g.ok) })
		wall := medianOf(rs, func(g goodputRun) float64 { return g.wall.Seconds() })
		share := fmt.Sprintf("%.1f%%", medianOf(rs, func(g goodputRun) float64 { return 100 * best.Seconds() / g.wall.Seconds() }))
		if failed > 0 {
			share = fmt.Sprintf("– (%.0f items failed)", failed)
		}
		fmt.Printf("| %s | %.1f%% | %s | %.0f | %.0f (%.1f%%) | %s |\n", sys.name,
			medianOf(rs, func(g goodputRun) float64 { return 100 * float64(g.ok) / float64(g.items) }), share,
			medianOf(rs, func(g goodputRun) float64 { return float64(g.requests) }),
			medianOf(rs, func(g goodputRun) float64 { return float64(g.r429) }),
			medianOf(rs, func(g goodputRun) float64 { return 100 * float64(g.r429) / float64(max(g.requests, 1)) }),
			seconds(wall, time.Millisecond))
	}
	return nil
}

// outageRun is one system's run of the outage benchmark.
type outageRun struct {
	calls        int             // calls started during the outage
	requests     int64           // requests the provider saw during the outage
	refused      []time.Duration // latencies of the calls the open breaker refused
	recovered    bool            // a call succeeded after the outage
	firstOKAfter time.Duration   // from the end of the outage to that success
}

// outageCall is one logical call: whether it succeeded, whether the open
// breaker refused it, and how long it took.
type outageCall func(ctx context.Context, it item) (ok, refused bool, took time.Duration)

// outage: every request fails with 503 for a window while conc workers
// each start a call every period. Requests per logical call during the
// outage, the latency of calls refused by the open breaker, and the time
// from the end of the outage to the first success. Each system runs runs
// times, interleaved, each time on a fresh simulator; the table shows
// medians.
func outage(seed int64, conc, runs int, window time.Duration) error {
	const coolDown = time.Second
	const period = 50 * time.Millisecond
	its, err := items(200, seed)
	if err != nil {
		return err
	}
	prof := sim.Profile{Outages: []sim.Outage{{Start: 0, Duration: sim.Duration(window)}}, Latency: sim.Latency{Median: sim.Duration(5 * time.Millisecond)}}
	type system struct {
		name string
		run  func(url string) outageCall
	}
	naiveOutage := func(retries int) func(string) outageCall {
		return func(u string) outageCall {
			return func(ctx context.Context, it item) (bool, bool, time.Duration) {
				t0 := time.Now()
				r := naive.Extract(ctx, naive.Config{BaseURL: u, Model: "gpt-4o-mini", Client: httpClient, Mode: "json_schema", ServerRetries: retries}, it.schema, it.Text)
				return r.OK, false, time.Since(t0)
			}
		}
	}
	systems := []system{
		{"reask", func(u string) outageCall {
			p := openai.NewProvider(openai.Config{BaseURL: u, Model: "gpt-4o-mini", HTTPClient: httpClient})
			c := newClient(p, reask.Config{Breaker: breaker.Settings{Window: 10 * time.Second, MinCalls: 10, CoolDown: coolDown}})
			return func(ctx context.Context, it item) (bool, bool, time.Duration) {
				t0 := time.Now()
				_, _, err := c.Run(ctx, reask.Task{Schema: it.schema, Input: it.Text})
				return err == nil, errors.Is(err, reask.ErrCircuitOpen), time.Since(t0)
			}
		}},
		{"seed's SmartRetry (no 5xx retry)", naiveOutage(0)},
		{"seed's call_with_backoff (5 tries)", naiveOutage(5)},
	}
	results := make([][]outageRun, len(systems))
	for r := range runs {
		for i, sys := range systems {
			srv, err := startSim(sim.Config{Seed: seed, Profile: prof})
			if err != nil {
				return err
			}
			o := outageOnce(srv, sys.run(srv.url), its, conc, window, period)
			srv.stop()
			recovered := "did not recover"
			if o.recovered {
				recovered = "first success " + o.firstOKAfter.Round(time.Millisecond).String() + " after"
			}
			fmt.Fprintf(os.Stderr, "resilience: outage, %s, run %d: %d calls, %d requests in the outage, %d refused by the breaker, %s\n",
				sys.name, r+1, o.calls, o.requests, len(o.refused), recovered)
			results[i] = append(results[i], o)
		}
	}
	fmt.Printf("\n### Outage: 100%% 503 for %s; %d workers each start a call every %s; breaker cool-down %s; median of %d runs\n\n", window, conc, period, coolDown, runs)
	fmt.Println("| system | calls started in the outage | requests in the outage | requests per call | calls refused by the open breaker: p50 / p99 latency | first success after the outage |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, sys := range systems {
		rs := results[i]
		var refused, recovered []outageRun
		for _, o := range rs {
			if len(o.refused) > 0 {
				refused = append(refused, o)
			}
			if o.recovered {
				recovered = append(recovered, o)
			}
		}
		lat := "–"
		if len(refused) > 0 {
			p50 := medianOf(refused, func(o outageRun) float64 { return percentile(o.refused, 0.5).Seconds() })
			p99 := medianOf(refused, func(o outageRun) float64 { return percentile(o.refused, 0.99).Seconds() })
			lat = fmt.Sprintf("%s / %s", seconds(p50, time.Microsecond), seconds(p99, time.Microsecond))
			if len(refused) < len(rs) {
				lat += fmt.Sprintf(" (%d of %d runs refused none)", len(rs)-len(refused), len(rs))
			}
		}
		recoveredIn := "–"
		if len(recovered) > 0 {
			recoveredIn = seconds(medianOf(recovered, func(o outageRun) float64 { return o.firstOKAfter.Seconds() }), time.Millisecond).String()
			if len(recovered) < len(rs) {
				recoveredIn += fmt.Sprintf(" (%d of %d runs did not recover)", len(rs)-len(recovered), len(rs))
			}
		}
		fmt.Printf("| %s | %.0f | %.0f | %.3f | %s | %s |\n", sys.name,
			medianOf(rs, func(o outageRun) float64 { return float64(o.calls) }),
			medianOf(rs, func(o outageRun) float64 { return float64(o.requests) }),
			medianOf(rs, func(o outageRun) float64 { return float64(o.requests) / float64(max(o.calls, 1)) }),
			lat, recoveredIn)
	}
	return nil
}

// outageOnce runs one system through the outage on srv: conc workers each
// start a call every period until a call succeeds after the outage (or 30 s
// past it).
func outageOnce(srv *simServer, call outageCall, its []item, conc int, window, period time.Duration) outageRun {
	start := time.Now()
	end := start.Add(window)
	var mu sync.Mutex
	var o outageRun
	var firstOK time.Time
	ctx, cancel := context.WithTimeout(context.Background(), window+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			next := start.Add(time.Duration(w) * period / time.Duration(conc))
			for i := w; ctx.Err() == nil; i += conc {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				next = next.Add(period)
				t0 := time.Now()
				ok, open, d := call(ctx, its[i%len(its)])
				mu.Lock()
				if t0.Before(end) {
					o.calls++
				}
				if open {
					o.refused = append(o.refused, d)
				}
				if ok && firstOK.IsZero() && time.Now().After(end) {
					firstOK = time.Now()
					cancel()
				}
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(time.Until(end))
	o.requests = srv.sim.Stats().Requests
	wg.Wait()
	if !firstOK.IsZero() {
		o.recovered, o.firstOKAfter = true, firstOK.Sub(end)
	}
	return o
}

// batchBench: items per second and calls per item on the flaky profile at a
// fixed rate limit, reask's batch against the seed's loop.
func batchBench(n int, seed int64, rpm, conc int) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	prof, err := sim.BuiltinProfile("flaky")
	if err != nil {
		return err
	}
	fmt.Printf("\n### Batch: %d items, flaky profile, %d requests/min, concurrency %d\n\n", n, rpm, conc)
	fmt.Println("| system | success | exact | items/s | calls/item | answered 429 | wall |")
	fmt.Println("|---|---|---|---|---|---|---|")
	type system struct {
		name string
		run  func(url string) (*tally, time.Duration)
	}
	systems := []system{
		{"reask batch", func(u string) (*tally, time.Duration) {
			p := openai.NewProvider(openai.Config{BaseURL: u, Model: "gpt-4o-mini", HTTPClient: httpClient})
			c := newClient(p, reask.Config{})
			gold := map[string]item{}
			tasks := func(yield func(string, reask.Task) bool) {
				for _, it := range its {
					gold[it.ID] = it
					if !yield(it.ID, reask.Task{Schema: it.schema, Input: it.Text}) {
						return
					}
				}
			}
			t := &tally{}
			start := time.Now()
			for r := range c.Batch(context.Background(), tasks, reask.BatchConfig{Concurrency: conc}) {
				t.add(outcome{ok: r.Err == nil, exact: r.Err == nil && sameJSON(r.JSON, gold[r.ID].Gold), attempts: r.Report.Attempts, calls: r.Report.Calls})
			}
			return t, time.Since(start)
		}},
		{"seed's loop", func(u string) (*tally, time.Duration) { return runAll(its, conc, naiveRun(u, "json_schema")) }},
	}
	for _, sys := range systems {
		srv, err := startSim(sim.Config{Seed: seed, Profile: prof, RPM: rpm})
		if err != nil {
			return err
		}
		t, wall := sys.run(srv.url)
		st := srv.sim.Stats()
		srv.stop()
		fmt.Printf("| %s | %s | %s | %.1f | %s | %d | %s |\n", sys.name, pct(t.ok, t.items), pct(t.exact, t.items), float64(t.ok)/wall.Seconds(),
			per(t.calls, t.items), st.ByStatus[429], wall.Round(time.Millisecond))
	}
	return nil
}
