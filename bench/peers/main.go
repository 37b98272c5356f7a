// Command peers measures reask side by side with the libraries users already
// know — instructor-js (TOOLS and JSON modes), BAML's TypeScript client — and
// the seed's retry loop (the tutorial's reask grew from, package
// bench/naive), on the simulator's labelled data set, and prints Markdown
// tables.
//
//	go run ./bench/peers -bench recovery -n 300 -profiles flaky,hostile -runs 3
//	go run ./bench/peers -bench sweep -sweep-n 150 -plot-data plots.json
//	go run ./bench/peers -bench repair -repair-n 1000
//
// Every system gets a fresh simulator (in this process, on a loopback port)
// with the same seed and profile, so it meets the same transport faults for
// the same request number and the same content faults for the same
// conversation. Model calls and tokens are read from the simulator's own
// counters, the same way for every system; answers are compared with the
// gold answers as JSON values here, in Go, for every system alike. The Node
// peers run as child processes (recovery.mjs, repair.mjs beside this file);
// run `npm ci` and `npm run build` in this directory first (bench/run does).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/bench/internal/median"
	"github.com/reask/reask/bench/naive"
	"github.com/reask/reask/price"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/dataset"
	"github.com/reask/reask/sim/fault"
	"github.com/reask/reask/stats"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	benches     []string
	n           int
	seed        int64
	profiles    []string
	runs        int
	conc        int
	systems     []string
	node        string
	peersDir    string
	noNode      string // why the Node peers are skipped; empty runs them
	sweepN      int
	sweepRates  []float64
	repairN     int
	plotData    string
	timeout     time.Duration
	temperature string
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	benches := fs.String("bench", "recovery", "recovery, sweep or repair (comma-separated)")
	n := fs.Int("n", 300, "items of the data set for recovery")
	seed := fs.Int64("seed", 1, "seed of the data set and the simulator")
	profiles := fs.String("profiles", "flaky,hostile", "simulator profiles for recovery (built-in names or JSON files)")
	runs := fs.Int("runs", 3, "runs of each system; tables show medians")
	conc := fs.Int("concurrency", 16, "items in flight, for every system")
	systems := fs.String("systems", strings.Join(systemNames(), ","), "systems to run")
	node := fs.String("node", "node", "the node binary")
	peersDir := fs.String("peers-dir", "bench/peers", "directory of recovery.mjs and repair.mjs, with node_modules and baml_client_js")
	noNode := fs.String("skip-node", "", "skip the Node peers, giving this reason in the tables")
	sweepN := fs.Int("sweep-n", 150, "items per point of the fault-rate sweep")
	sweepRates := fs.String("sweep-rates", "0,0.1,0.25,0.5", "shares of first answers with a content fault, for the sweep")
	repairN := fs.Int("repair-n", 1000, "broken answers in the repair corpus")
	plotData := fs.String("plot-data", "", "write the sweep's figures as JSON to this file (for bench/plot)")
	timeout := fs.Duration("timeout", 15*time.Minute, "bound on one system's run")
	temperature := fs.String("peer-temperature", "0", `temperature the Node peers send ("default": none, the provider's default of 1)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := options{benches: split(*benches), n: *n, seed: *seed, profiles: split(*profiles), runs: *runs, conc: *conc,
		systems: split(*systems), node: *node, peersDir: *peersDir, noNode: *noNode, sweepN: *sweepN, repairN: *repairN,
		plotData: *plotData, timeout: *timeout, temperature: *temperature}
	for _, s := range split(*sweepRates) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f >= 1 {
			return fmt.Errorf("-sweep-rates: %q is not a share in [0, 1)", s)
		}
		o.sweepRates = append(o.sweepRates, f)
	}
	if o.n < 1 || o.runs < 1 || o.conc < 1 || o.sweepN < 1 || o.repairN < 1 {
		return errors.New("-n, -runs, -concurrency, -sweep-n and -repair-n must be positive")
	}
	for _, s := range o.systems {
		if _, ok := systemByName(s); !ok {
			return fmt.Errorf("-systems: unknown system %q (known: %s)", s, strings.Join(systemNames(), ", "))
		}
	}
	for _, b := range o.benches {
		var err error
		switch b {
		case "recovery":
			err = recovery(out, o)
		case "sweep":
			err = sweep(out, o)
		case "repair":
			err = repairBench(out, o)
		default:
			err = fmt.Errorf("-bench: unknown benchmark %q", b)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
	}
	return nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// item is one data set item with its compiled schema.
type item struct {
	dataset.Item
	schema *schema.Schema
}

// data is a data set written to disk (for the Node peers) and held in
// memory (for the Go systems).
type data struct {
	dir   string
	items []item
	gold  map[string]json.RawMessage
}

func writeData(n int, seed int64) (*data, error) {
	dir, err := os.MkdirTemp("", "reask-peers-")
	if err != nil {
		return nil, err
	}
	if err := dataset.Write(dir, n, seed); err != nil {
		return nil, err
	}
	schemas := map[string]*schema.Schema{}
	for name, doc := range dataset.Schemas() {
		s, err := schema.CompileNamed(name, doc)
		if err != nil {
			return nil, err
		}
		schemas[name] = s
	}
	d := &data{dir: dir, gold: map[string]json.RawMessage{}}
	for _, it := range dataset.Generate(n, seed) {
		d.items = append(d.items, item{it, schemas[it.Schema]})
		d.gold[it.ID] = it.Gold
	}
	return d, nil
}

// answer is one item's outcome, whoever produced it.
type answer struct {
	ID    string          `json:"id"`
	OK    bool            `json:"ok"`
	Data  json.RawMessage `json:"data"`
	Error string          `json:"error"`
	// report is reask's report of the item (Go systems on reask only):
	// what it cost and what of it was wasted, by reask's own count.
	report *reask.Report
}

// system is one contender: it answers every item against the simulator at
// baseURL, conc at a time.
type system struct {
	name  string
	notes string // what it can and cannot do, for the table
	node  string // the --system of recovery.mjs; empty for Go systems
	run   func(ctx context.Context, o options, baseURL string, d *data) ([]answer, error)
}

var systems = []system{
	{name: "reask, json_schema (default)", notes: "local repair and coercion; re-ask with field-level feedback; transport retries with backoff, breaker, retry budget, rate limiter",
		run: reaskSystem(reask.Config{})},
	{name: "reask, json_schema, breaker and retry budget off", notes: "the default without the provider's protections (NoBreaker, NoRetryBudget): what the content loop and backoff achieve alone",
		run: reaskSystem(reask.Config{NoBreaker: true, NoRetryBudget: true})},
	{name: "reask, json_object", notes: "as above; switches to json_schema after two syntax failures", run: reaskSystem(reask.Config{Mode: reask.ModeJSONObject})},
	{name: "reask, tools", notes: "as above, forced tool call", run: reaskSystem(reask.Config{Mode: reask.ModeTools})},
	{name: "instructor-js, TOOLS", node: "instructor-tools", notes: "no local repair; re-asks on zod errors only (an answer that is not JSON ends the extraction); transport retries by the OpenAI SDK (2)"},
	{name: "instructor-js, JSON", node: "instructor-json", notes: "as above, json_object with the schema in a system message"},
	{name: "BAML", node: "baml", notes: "lenient parser that repairs syntax and coerces types locally; retry_policy (3) re-sends the same prompt: no feedback, no re-ask"},
	{name: "seed's loop (bench/naive), json_object", notes: "strict parse; re-ask with the error; retries 429 only; a 5xx or a third 429 ends the extraction",
		run: naiveSystem("json_object")},
}

func systemNames() []string {
	var out []string
	for _, s := range systems {
		out = append(out, shortName(s))
	}
	return out
}

// shortName is the system's name for -systems.
func shortName(s system) string {
	switch {
	case s.node != "":
		return s.node
	case strings.HasSuffix(s.name, "retry budget off"):
		return "reask-nobreaker"
	case strings.HasPrefix(s.name, "reask, "):
		return "reask-" + strings.Fields(strings.TrimPrefix(s.name, "reask, "))[0]
	default:
		return "naive"
	}
}

func systemByName(name string) (system, bool) {
	for _, s := range systems {
		if shortName(s) == name {
			return s, true
		}
	}
	return system{}, false
}

// httpClient allows enough idle connections for the concurrency used here.
var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func reaskSystem(cfg reask.Config) func(context.Context, options, string, *data) ([]answer, error) {
	return func(ctx context.Context, o options, baseURL string, d *data) ([]answer, error) {
		c, err := reask.New(openai.NewProvider(openai.Config{BaseURL: baseURL, Model: "gpt-4o-mini", HTTPClient: httpClient}), cfg)
		if err != nil {
			return nil, err
		}
		return forEach(d.items, o.conc, func(it item) answer {
			doc, rep, err := c.Run(ctx, reask.Task{Schema: it.schema, Input: it.Text})
			if err != nil {
				return answer{ID: it.ID, Error: err.Error(), report: rep}
			}
			return answer{ID: it.ID, OK: true, Data: doc, report: rep}
		}), nil
	}
}

func naiveSystem(mode string) func(context.Context, options, string, *data) ([]answer, error) {
	return func(ctx context.Context, o options, baseURL string, d *data) ([]answer, error) {
		return forEach(d.items, o.conc, func(it item) answer {
			r := naive.Extract(ctx, naive.Config{BaseURL: baseURL, Model: "gpt-4o-mini", Client: httpClient, Mode: mode}, it.schema, it.Text)
			if !r.OK {
				return answer{ID: it.ID, Error: fmt.Sprint(r.Err)}
			}
			return answer{ID: it.ID, OK: true, Data: r.Data}
		}), nil
	}
}

// forEach runs f over the items, conc at a time, answers in item order.
func forEach(its []item, conc int, f func(item) answer) []answer {
	out := make([]answer, len(its))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, it := range its {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = f(it)
		}()
	}
	wg.Wait()
	return out
}

// nodeSystem runs recovery.mjs for the peer.
func nodeSystem(ctx context.Context, o options, peer, baseURL string, d *data) ([]answer, error) {
	outFile := filepath.Join(d.dir, "out-"+peer+".jsonl")
	cmd := exec.CommandContext(ctx, o.node, filepath.Join(o.peersDir, "recovery.mjs"), "--system", peer, "--base-url", baseURL,
		"--items", filepath.Join(d.dir, "items.jsonl"), "--out", outFile, "--concurrency", strconv.Itoa(o.conc), "--temperature", o.temperature)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "BAML_LOG=off")
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", peer, err, tail(stderr.String(), 2000))
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		return nil, err
	}
	var out []answer
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a answer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			return nil, fmt.Errorf("%s: unreadable result line %q: %w", peer, tail(line, 200), err)
		}
		out = append(out, a)
	}
	return out, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
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
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return &simServer{sim: s, url: "http://" + ln.Addr().String() + "/v1", stop: func() { hs.Close() }}, nil
}

// measure is one run of one system.
type measure struct {
	items, ok, exact, wrong int
	requests                int64
	prompt, completion      int64
	wall                    time.Duration
	errors                  map[string]int // failure reasons, shortened
	// costUSD is the simulator's token counts priced as gpt-4o-mini (the
	// model every system asks for) with the price table shipped with
	// reask, the same way for every system. reported and wasted are what
	// reask's reports say it cost and wasted (reask systems only).
	costUSD          float64
	reported, wasted float64
	hasReports       bool
}

// runOnce runs sys on a fresh simulator.
func runOnce(o options, sys system, prof sim.Profile, d *data) (measure, error) {
	srv, err := startSim(sim.Config{Seed: o.seed, Profile: prof})
	if err != nil {
		return measure{}, err
	}
	defer srv.stop()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	start := time.Now()
	var answers []answer
	if sys.node != "" {
		answers, err = nodeSystem(ctx, o, sys.node, srv.url, d)
	} else {
		answers, err = sys.run(ctx, o, srv.url, d)
	}
	if err != nil {
		return measure{}, err
	}
	m := measure{items: len(d.items), wall: time.Since(start), errors: map[string]int{}}
	for _, a := range answers {
		if r := a.report; r != nil && r.CostUSD != nil {
			m.hasReports = true
			m.reported += *r.CostUSD
			if r.WastedCostUSD != nil {
				m.wasted += *r.WastedCostUSD
			}
		}
		if !a.OK {
			m.errors[reason(a.Error)]++
			continue
		}
		m.ok++
		if sameJSON(a.Data, d.gold[a.ID]) {
			m.exact++
		} else {
			m.wrong++
		}
	}
	st := srv.sim.Stats()
	m.requests, m.prompt, m.completion = st.Requests, st.PromptTokens, st.CompletionTokens
	m.costUSD = benchPrice.Cost(price.Usage{Input: int(st.PromptTokens), Output: int(st.CompletionTokens)})
	return m, nil
}

// benchPrice is what every system's tokens are priced at: gpt-4o-mini, the
// model they all ask the simulator for, in the table shipped with reask.
var benchPrice = func() price.Price {
	p, _, ok := price.Default().Lookup("gpt-4o-mini")
	if !ok {
		panic("the built-in price table has no gpt-4o-mini")
	}
	return p
}()

// reason shortens an error message to its kind: the message without the
// details that vary by item (quoted values, numbers, JSON Pointers).
func reason(msg string) string {
	msg = strings.TrimSpace(msg)
	if i := strings.IndexAny(msg, "\n{("); i > 0 {
		msg = msg[:i]
	}
	msg = quoted.ReplaceAllString(msg, "…")
	msg = digits.ReplaceAllString(msg, "N")
	if r := []rune(msg); len(r) > 90 {
		msg = string(r[:90]) + "…"
	}
	return strings.TrimSpace(msg)
}

var (
	quoted = regexp.MustCompile(`"[^"]*"|'[^']*'| /[a-z_/0-9]+`)
	digits = regexp.MustCompile(`[0-9]+`)
)

// sameJSON compares two documents as JSON values (numbers as float64).
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// summary is the medians of a system's runs.
type summary struct {
	System                                         string
	Skipped                                        string // why the system did not run
	Success, Exact, Wrong                          float64
	SuccessPct, ExactPct                           float64
	CallsPerItem, PromptPerItem, CompletionPerItem float64
	WallSeconds                                    float64
	// CostPer1kOK is US dollars per 1,000 accepted items (every item's
	// spend included); WastedShare reask's wasted spend over its spend, -1
	// for systems without reask's reports.
	CostPer1kOK, WastedShare float64
	Runs                     int
	Errors                   map[string]int // failure reasons, mean count per run
}

func summarize(name string, ms []measure) summary {
	f := func(g func(measure) float64) float64 {
		var xs []float64
		for _, m := range ms {
			xs = append(xs, g(m))
		}
		return median.Of(xs)
	}
	s := summary{System: name, Runs: len(ms), Errors: map[string]int{}}
	s.Success = f(func(m measure) float64 { return float64(m.ok) })
	s.Exact = f(func(m measure) float64 { return float64(m.exact) })
	s.Wrong = f(func(m measure) float64 { return float64(m.wrong) })
	s.SuccessPct = f(func(m measure) float64 { return 100 * float64(m.ok) / float64(m.items) })
	s.ExactPct = f(func(m measure) float64 { return 100 * float64(m.exact) / float64(m.items) })
	s.CallsPerItem = f(func(m measure) float64 { return float64(m.requests) / float64(m.items) })
	s.PromptPerItem = f(func(m measure) float64 { return float64(m.prompt) / float64(m.items) })
	s.CompletionPerItem = f(func(m measure) float64 { return float64(m.completion) / float64(m.items) })
	s.WallSeconds = f(func(m measure) float64 { return m.wall.Seconds() })
	s.CostPer1kOK = f(func(m measure) float64 { return 1000 * m.costUSD / max(float64(m.ok), 1) })
	s.WastedShare = -1
	if ms[0].hasReports {
		s.WastedShare = f(func(m measure) float64 { return m.wasted / max(m.reported, 1e-12) })
	}
	for _, m := range ms {
		for k, v := range m.errors {
			s.Errors[k] += v
		}
	}
	for k := range s.Errors {
		s.Errors[k] = int(math.Round(float64(s.Errors[k]) / float64(len(ms))))
	}
	return s
}

// selected are the systems chosen with -systems, in table order.
func selected(o options) []system {
	var out []system
	for _, s := range systems {
		if slices.Contains(o.systems, shortName(s)) {
			out = append(out, s)
		}
	}
	return out
}

// runSystems runs every selected system o.runs times on prof, interleaved
// (run 1 of every system, then run 2, …) so that a noisy neighbour weighs
// on all of them alike, and returns the medians.
func runSystems(o options, prof sim.Profile, d *data, runs int) ([]summary, error) {
	syss := selected(o)
	results := make([][]measure, len(syss))
	for r := range runs {
		for i, sys := range syss {
			if sys.node != "" && o.noNode != "" {
				continue
			}
			m, err := runOnce(o, sys, prof, d)
			if err != nil {
				return nil, fmt.Errorf("%s, run %d: %w", sys.name, r+1, err)
			}
			fmt.Fprintf(os.Stderr, "peers: %s, %s, run %d: %d/%d accepted, %d exact, %d requests, %s\n",
				prof.Name, sys.name, r+1, m.ok, m.items, m.exact, m.requests, m.wall.Round(time.Millisecond))
			results[i] = append(results[i], m)
		}
	}
	var out []summary
	for i, sys := range syss {
		if len(results[i]) == 0 {
			out = append(out, summary{System: sys.name, Skipped: o.noNode})
			continue
		}
		out = append(out, summarize(sys.name, results[i]))
	}
	return out, nil
}

func recovery(out io.Writer, o options) error {
	d, err := writeData(o.n, o.seed)
	if err != nil {
		return err
	}
	defer os.RemoveAll(d.dir)
	for _, name := range o.profiles {
		prof, err := sim.ResolveProfile(name)
		if err != nil {
			return err
		}
		if prof.Name == "" {
			prof.Name = name
		}
		sums, err := runSystems(o, prof, d, o.runs)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n### Recovery: %d items, profile %s, seed %d, concurrency %d, median of %d runs\n\n", o.n, prof.Name, o.seed, o.conc, o.runs)
		fmt.Fprintf(out, "Cost: the simulator's token counts priced as %s per million input and %s per million output tokens (gpt-4o-mini in reask's price table), per 1,000 accepted items, the failed items' spend included; wasted: the share of reask's spend on answers it did not use, from its reports.\n\n",
			stats.USD(benchPrice.Input), stats.USD(benchPrice.Output))
		fmt.Fprintln(out, "| system | success | exact | wrong but accepted | calls/item | prompt tok/item | completion tok/item | $ per 1k accepted | wasted spend | wall | what it does |")
		fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		notes := map[string]string{}
		for _, s := range systems {
			notes[s.name] = s.notes
		}
		for _, s := range sums {
			if s.Skipped != "" {
				fmt.Fprintf(out, "| %s | skipped: %s | | | | | | | | | %s |\n", s.System, s.Skipped, notes[s.System])
				continue
			}
			wasted := "n/a"
			if s.WastedShare >= 0 {
				wasted = fmt.Sprintf("%.1f%%", 100*s.WastedShare)
			}
			fmt.Fprintf(out, "| %s | %.1f%% | %.1f%% | %.0f | %.2f | %.0f | %.0f | $%.4f | %s | %.1f s | %s |\n", s.System, s.SuccessPct, s.ExactPct, s.Wrong,
				s.CallsPerItem, s.PromptPerItem, s.CompletionPerItem, s.CostPer1kOK, wasted, s.WallSeconds, notes[s.System])
		}
		fmt.Fprintln(out)
		fmt.Fprintln(out, "Why items failed (per run, median of runs' counts rounded):")
		fmt.Fprintln(out)
		for _, s := range sums {
			if len(s.Errors) == 0 {
				continue
			}
			var parts []string
			for k, v := range s.Errors {
				parts = append(parts, fmt.Sprintf("%s ×%d", strings.ReplaceAll(k, "|", "/"), v))
			}
			slices.Sort(parts)
			fmt.Fprintf(out, "- %s: %s\n", s.System, strings.Join(parts, "; "))
		}
	}
	return nil
}

// sweepProfile is the flaky profile's content faults scaled so that a share
// of first answers carries at least one fault, without transport faults or
// latency, with strict mode ignored so that every mode meets the faults.
func sweepProfile(share float64) (sim.Profile, error) {
	base, err := sim.BuiltinProfile("flaky")
	if err != nil {
		return sim.Profile{}, err
	}
	faulty := func(scale float64) float64 {
		clean := 1.0
		for _, r := range base.Faults {
			clean *= 1 - min(1, r*scale)
		}
		return 1 - clean
	}
	lo, hi := 0.0, 1.0
	for faulty(hi) < share {
		hi *= 2
	}
	for range 60 {
		mid := (lo + hi) / 2
		if faulty(mid) < share {
			lo = mid
		} else {
			hi = mid
		}
	}
	p := sim.Profile{Name: fmt.Sprintf("flaky faults at %.0f%%", 100*share), Feedback: base.Feedback, IgnoreStrict: true,
		Faults: map[fault.Kind]float64{}}
	for k, r := range base.Faults {
		p.Faults[k] = min(1, r*hi)
	}
	return p, p.Validate()
}

// sweepPoint is one system at one fault rate, for the plot.
type sweepPoint struct {
	System       string  `json:"system"`
	FaultShare   float64 `json:"fault_share"`
	CallsPerItem float64 `json:"calls_per_item"`
	SuccessPct   float64 `json:"success_pct"`
	ExactPct     float64 `json:"exact_pct"`
}

func sweep(out io.Writer, o options) error {
	d, err := writeData(o.sweepN, o.seed)
	if err != nil {
		return err
	}
	defer os.RemoveAll(d.dir)
	var points []sweepPoint
	byRate := map[float64][]summary{}
	for _, share := range o.sweepRates {
		prof, err := sweepProfile(share)
		if err != nil {
			return err
		}
		// Content only, at temperature 0: every run gives the same
		// answers, so one run is enough.
		sums, err := runSystems(o, prof, d, 1)
		if err != nil {
			return err
		}
		byRate[share] = sums
		for _, s := range sums {
			if s.Skipped == "" {
				points = append(points, sweepPoint{System: s.System, FaultShare: share, CallsPerItem: s.CallsPerItem, SuccessPct: s.SuccessPct, ExactPct: s.ExactPct})
			}
		}
	}
	fmt.Fprintf(out, "\n### Calls per item vs content-fault rate: %d items, flaky's fault mix scaled, no transport faults, strict mode ignored, seed %d\n\n", o.sweepN, o.seed)
	head := "| system |"
	rule := "|---|"
	for _, r := range o.sweepRates {
		head += fmt.Sprintf(" %.0f%% faulty |", 100*r)
		rule += "---:|"
	}
	fmt.Fprintln(out, head)
	fmt.Fprintln(out, rule)
	for i, sys := range selected(o) {
		line := "| " + sys.name + " |"
		for _, r := range o.sweepRates {
			s := byRate[r][i]
			if s.Skipped != "" {
				line += " skipped |"
				continue
			}
			line += fmt.Sprintf(" %.2f calls, %.0f%% ok, %.0f%% exact |", s.CallsPerItem, s.SuccessPct, s.ExactPct)
		}
		fmt.Fprintln(out, line)
	}
	if o.plotData != "" {
		b, err := json.MarshalIndent(map[string]any{"sweep": points, "items": o.sweepN, "seed": o.seed}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.plotData, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
