package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/stats"
)

// A price file that cannot be used stops the command before any work,
// naming the file and the field; --prices wins over REASK_PRICES.
func TestPricesFlagErrors(t *testing.T) {
	bad := writeFile(t, "prices.json", `{"models": {"gpt-4o-mini": {"input": -0.15, "output": 0.6}}}`)
	unknown := writeFile(t, "unknown.json", `{"models": {"gpt-4o-mini": {"input": 0.15, "outptu": 0.6}}}`)
	missing := filepath.Join(t.TempDir(), "none.json")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"negative", nil, []string{"--prices", bad}, bad + `: models["gpt-4o-mini"].input: -0.15 is negative`},
		{"unknown field", nil, []string{"--prices", unknown}, `models["gpt-4o-mini"].outptu: unknown field`},
		{"unreadable", nil, []string{"--prices", missing}, "--prices: price file: open " + missing},
		{"environment", map[string]string{pricesEnv: missing}, nil, pricesEnv + ": price file: open " + missing},
		{"flag over environment", map[string]string{pricesEnv: missing}, []string{"--prices", bad}, "--prices: " + bad},
		{"negative budget", nil, []string{"--max-cost", "-1"}, "--max-cost is -1"},
		{"unpriced model", nil, []string{"--max-cost", "0.01", "--model", "llama3.1"}, "--max-cost: sim/llama3.1 has no price in the built-in price table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"extract", "--provider", "sim"}, tc.args...)
			_, stderr, code := runCLI(t, tc.env, "", append(args, "Ann, age 30")...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
			}
		})
	}
}

// extract's report says what the extraction cost, priced by --prices.
func TestExtractReportCost(t *testing.T) {
	prices := writeFile(t, "prices.json", `{"models": {"gpt-4o-mini": {"input": 1000000, "output": 0}}}`)
	report := filepath.Join(t.TempDir(), "report.json")
	_, stderr, code := runCLI(t, nil, "", "extract", "--provider", "sim", "--prices", prices, "--report", report, "Ann, age 30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep reask.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// $1 a prompt token: the cost is the prompt's token count.
	if rep.CostUSD == nil || *rep.CostUSD != float64(rep.Usage.PromptTokens) || rep.WastedCostUSD == nil {
		t.Errorf("report cost %v for %d prompt tokens: %s", rep.CostUSD, rep.Usage.PromptTokens, b)
	}
}

// A batch stops at --max-total-cost with exit 4 and says so; the records
// it wrote carry their cost, and --resume finishes the rest.
func TestBatchMaxTotalCost(t *testing.T) {
	in, schemaFile, out := batchFiles(t, threeItems+`{"id":"d","text":"Ann, age 31"}
{"id":"e","text":"Bob, age 40"}
`)
	// $1 a prompt token: the first item alone passes a $1 limit.
	prices := writeFile(t, "prices.json", `{"models": {"gpt-4o-mini": {"input": 1000000, "output": 0}}}`)
	args := []string{"batch", "--provider", "sim", "--schema", schemaFile, "--in", in, "--out", out, "--prices", prices, "--concurrency", "1"}
	stdout, stderr, code := runCLI(t, nil, "", append(args, "--max-total-cost", "1")...)
	if code != codeCostLimit || !strings.Contains(stderr, "stopped after 1 items") || !strings.Contains(stderr, "reaching --max-total-cost $1") ||
		!strings.Contains(stderr, "--resume") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "Cost (US dollars)") {
		t.Errorf("the summary shows no cost:\n%s", stdout)
	}
	_, stderr, code = runCLI(t, nil, "", append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resumed: exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, _, err := stats.Read(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Items != 5 || sum.Cost.PricedItems != 5 || sum.Cost.SpentUSD != float64(sum.Tokens.PromptTokens) {
		t.Errorf("summary %+v", sum)
	}
}

// serve: --prices (or REASK_PRICES) is the table the file's "prices" go
// over; --max-cost replaces the file's "max_cost" only when given; a bad
// price file stops it.
func TestServeCostFlags(t *testing.T) {
	file := writeFile(t, "gw.json", `{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1"}],
	  "prices":{"local":{"input":0,"output":0}},"max_cost":0.5}`)
	prices := writeFile(t, "prices.json", `{"models": {"m": {"input": 1, "output": 2}}}`)
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute,
		maxAttempts: 2, configFile: file}
	env := func(k string) string { return map[string]string{pricesEnv: prices}[k] }
	cfg, err := serveConfig(base, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := cfg.Reask.Prices.Lookup("m"); !ok || cfg.Reask.MaxCost != 0.5 || len(cfg.Prices) != 1 {
		t.Errorf("prices %v, max cost %v, file prices %v", cfg.Reask.Prices.Models(), cfg.Reask.MaxCost, cfg.Prices)
	}
	o := base
	o.cost.maxCost = 0.1
	o.changed = func(name string) bool { return name == "max-cost" }
	if cfg, err = serveConfig(o, env); err != nil || cfg.Reask.MaxCost != 0.1 {
		t.Errorf("--max-cost 0.1: %v, %v", cfg.Reask.MaxCost, err)
	}
	bad := writeFile(t, "bad.json", `{"models": {"m": {"input": "x", "output": 2}}}`)
	if _, err := serveConfig(base, func(string) string { return bad }); err == nil || !strings.Contains(err.Error(), `models["m"].input: want a number`) {
		t.Errorf("bad REASK_PRICES: %v", err)
	}
}
