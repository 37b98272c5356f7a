// Command providerbatch benchmarks reask batch through a provider's batch
// API (--provider-batch) against the direct mode on the simulator's data
// set, and prints a Markdown table for BENCHMARKS.md: success, exactness
// against the gold answers, rounds, calls, tokens, cost at list price and
// at the batch discount, and wall time.
//
//	go run ./bench/providerbatch                       # 1,000 items, flaky, seed 1
//	go run ./bench/providerbatch -n 1000 -seeds 1,2,3 -finish-direct-under 0,20
//
// Each run is the reask command as users run it (built once), against a
// fresh simulator with the same seed in this process (real loopback HTTP),
// which completes a batch in about 3 s (its default batch timings): wall
// times of the batch runs are scaled, a real batch takes minutes to hours.
// Costs are the records' tokens priced at -price-in and -price-out per
// million tokens (default gpt-4o-mini's list prices), the tokens of batch
// calls at stats.BatchDiscount of them.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask/sim"
	"github.com/reask/reask/stats"
)

func main() {
	n := flag.Int("n", 1000, "items")
	seeds := flag.String("seeds", "1", "seeds of the data set and the simulator, comma-separated (one row per seed and mode)")
	profile := flag.String("profile", "flaky", "simulator profile")
	mode := flag.String("mode", "json_object", "reask's --mode (json_object: JSON mode, where flaky's content faults show; strict json_schema leaves almost none)")
	conc := flag.Int("concurrency", 32, "--concurrency of the direct runs")
	attempts := flag.Int("max-attempts", 4, "--max-attempts of every run")
	poll := flag.Duration("poll-interval", time.Second, "--poll-interval of the batch runs")
	finish := flag.String("finish-direct-under", "0", "values of --finish-direct-under for the batch runs, comma-separated")
	priceIn := flag.Float64("price-in", 0.15, "direct price of a million prompt tokens, USD (gpt-4o-mini)")
	priceOut := flag.Float64("price-out", 0.60, "direct price of a million completion tokens, USD (gpt-4o-mini)")
	flag.Parse()
	c := config{n: *n, profile: *profile, mode: *mode, conc: *conc, attempts: *attempts, poll: *poll, priceIn: *priceIn, priceOut: *priceOut}
	seedList, err := ints(*seeds)
	if err == nil {
		c.finish, err = ints(*finish)
	}
	if err == nil && (c.n < 1 || c.conc < 1 || c.attempts < 1 || c.poll <= 0) {
		err = errors.New("-n, -concurrency, -max-attempts and -poll-interval must be positive")
	}
	if err == nil {
		err = run(c, seedList)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "providerbatch:", err)
		os.Exit(1)
	}
}

type config struct {
	n, conc, attempts int
	profile, mode     string
	poll              time.Duration
	finish            []int
	priceIn, priceOut float64
	dir, reask        string // set by run
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q: want non-negative integers, comma-separated", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// row is one run's figures.
type row struct {
	name, seed                     string
	items, ok, exact               int
	rounds, batchCalls, directCall int
	calls                          int
	prompt, completion             int
	list, discounted               float64 // USD
	wall                           time.Duration
	batches                        int64
}

func run(c config, seeds []int) error {
	dir, err := os.MkdirTemp("", "reask-providerbatch-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir, c.reask = dir, filepath.Join(dir, "reask")
	fmt.Fprintln(os.Stderr, "providerbatch: building reask")
	if out, err := exec.Command("go", "build", "-o", c.reask, "github.com/reask/reask/cmd/reask").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	var rows []row
	for _, seed := range seeds {
		data := filepath.Join(dir, fmt.Sprintf("data-%d", seed))
		if out, err := exec.Command(c.reask, "sim", "dataset", "--n", strconv.Itoa(c.n), "--seed", strconv.Itoa(seed), "--out", data).CombinedOutput(); err != nil {
			return fmt.Errorf("reask sim dataset: %v\n%s", err, out)
		}
		gold, err := readGold(filepath.Join(data, "gold.jsonl"))
		if err != nil {
			return err
		}
		r, err := c.once("direct", seed, data, gold, nil)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		for _, f := range c.finish {
			name, extra := "--provider-batch", []string{"--provider-batch", "--poll-interval", c.poll.String()}
			if f > 0 {
				name += fmt.Sprintf(" --finish-direct-under %d", f)
				extra = append(extra, "--finish-direct-under", strconv.Itoa(f))
			}
			r, err := c.once(name, seed, data, gold, extra)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	fmt.Printf("%d items, profile %s, --mode %s, --max-attempts %d; direct at --concurrency %d; prices $%.3f / $%.3f per million prompt / completion tokens, batch calls at %.0f%%\n\n",
		c.n, c.profile, c.mode, c.attempts, c.conc, c.priceIn, c.priceOut, 100*stats.BatchDiscount)
	fmt.Println("| mode | seed | success | exact | rounds | batches | calls (batch + direct) | prompt tok | completion tok | cost at list | cost paid | vs direct | wall |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	direct := map[string]float64{}
	for _, r := range rows {
		if r.name == "direct" {
			direct[r.seed] = r.discounted
		}
		rounds := "–"
		if r.rounds > 0 {
			rounds = strconv.Itoa(r.rounds)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %d | %d (%d + %d) | %d | %d | $%.4f | $%.4f | %.1f%% | %s |\n", r.name, r.seed,
			pct(r.ok, r.items), pct(r.exact, r.items), rounds, r.batches, r.calls, r.batchCalls, r.directCall, r.prompt, r.completion,
			r.list, r.discounted, 100*r.discounted/direct[r.seed], r.wall.Round(10*time.Millisecond))
	}
	return nil
}

func pct(a, b int) string { return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(max(b, 1))) }

// once runs reask batch with extra flags against a fresh simulator.
func (c config) once(name string, seed int, data string, gold map[string]json.RawMessage, extra []string) (row, error) {
	r := row{name: name, seed: strconv.Itoa(seed)}
	prof, err := sim.ResolveProfile(c.profile)
	if err != nil {
		return r, err
	}
	srv, err := sim.New(sim.Config{Seed: int64(seed), Profile: prof})
	if err != nil {
		return r, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	out := filepath.Join(c.dir, fmt.Sprintf("out-%d-%d.jsonl", seed, time.Now().UnixNano()))
	args := append([]string{"batch", "--no-cache", "--schema-dir", filepath.Join(data, "schemas"), "--in", filepath.Join(data, "items.jsonl"), "--out", out,
		"--base-url", "http://" + ln.Addr().String() + "/v1", "--model", "gpt-4o-mini", "--mode", c.mode,
		"--max-attempts", strconv.Itoa(c.attempts), "--allow-failures", "--progress-interval", "1h"}, extra...)
	if extra == nil {
		// The direct run's items in flight; a batch run sends every item
		// in round 1 (--concurrency would cap a round's lines).
		args = append(args, "--concurrency", strconv.Itoa(c.conc))
	}
	fmt.Fprintf(os.Stderr, "providerbatch: seed %d: %s\n", seed, name)
	start := time.Now()
	if b, err := exec.Command(c.reask, args...).CombinedOutput(); err != nil {
		return r, fmt.Errorf("%s: %v\n%s", name, err, b)
	}
	r.wall = time.Since(start)
	r.batches = srv.Stats().Batch.Batches
	f, err := os.Open(out)
	if err != nil {
		return r, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var rec stats.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return r, fmt.Errorf("%s: %v", out, err)
		}
		r.items++
		if rec.OK {
			r.ok++
			if sameJSON(rec.Data, gold[rec.ID]) {
				r.exact++
			}
		}
		r.rounds = max(r.rounds, rec.Round)
		r.calls += rec.Calls
		r.batchCalls += rec.BatchCalls
		r.directCall += rec.Calls - rec.BatchCalls
		r.prompt += rec.Usage.PromptTokens
		r.completion += rec.Usage.CompletionTokens
		cost := c.cost(rec.Usage.PromptTokens, rec.Usage.CompletionTokens)
		r.list += cost
		if b := rec.BatchUsage; b != nil {
			cost -= (1 - stats.BatchDiscount) * c.cost(b.PromptTokens, b.CompletionTokens)
		}
		r.discounted += cost
	}
	return r, sc.Err()
}

func (c config) cost(prompt, completion int) float64 {
	return (float64(prompt)*c.priceIn + float64(completion)*c.priceOut) / 1e6
}

func readGold(path string) (map[string]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gold := map[string]json.RawMessage{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var g struct {
			ID   string          `json:"id"`
			Gold json.RawMessage `json:"gold"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		gold[g.ID] = g.Gold
	}
	return gold, sc.Err()
}

// sameJSON compares two documents as values.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
