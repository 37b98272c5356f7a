package main

import (
	"fmt"
	"math"

	"github.com/reask/reask/batch"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/stats"

	"github.com/spf13/pflag"

	"github.com/reask/reask"
	"github.com/reask/reask/price"
)

// pricesEnv is the environment variable --prices defaults to.
const pricesEnv = "REASK_PRICES"

// costFlags are the price table and the budgets in money of every command
// that calls a model.
type costFlags struct {
	prices    string
	maxCost   float64
	maxTotal  float64 // batch only (registerTotal)
	table     *price.Table
	tableFrom string // where table came from, for messages
}

func (f *costFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.prices, "prices", "", "price table replacing the built-in one: a JSON file of US dollars per million tokens, {\"models\": {\"NAME\": {\"input\": 0.15, \"cached_input\": 0.075, \"output\": 0.6}}} (env "+pricesEnv+")")
	fs.Float64Var(&f.maxCost, "max-cost", 0, "most one extraction may spend, in US dollars, e.g. 0.01: a call that could go over it is not sent (default no limit; the model needs a price)")
}

// registerTotal adds --max-total-cost (batch).
func (f *costFlags) registerTotal(fs *pflag.FlagSet) {
	fs.Float64Var(&f.maxTotal, "max-total-cost", 0, "stop the run once its items have cost this much, in US dollars: the items in flight finish, and --resume goes on (default no limit; the model needs a price)")
}

// apply loads the price table (--prices, else REASK_PRICES, else the
// built-in one) and sets the budgets in cfg. A price file that cannot be
// read or is wrong is an error here, before any work starts.
func (f *costFlags) apply(cfg *reask.Config, getenv env) error {
	for _, b := range []struct {
		flag string
		v    float64
	}{{"--max-cost", f.maxCost}, {"--max-total-cost", f.maxTotal}} {
		if b.v < 0 || math.IsNaN(b.v) || math.IsInf(b.v, 0) {
			return fmt.Errorf("%s is %v: want US dollars, 0 for no limit", b.flag, b.v)
		}
	}
	path, from := f.prices, "--prices"
	if path == "" {
		path, from = getenv(pricesEnv), pricesEnv
	}
	f.table, f.tableFrom = price.Default(), "the built-in price table"
	if path != "" {
		t, err := price.Load(path)
		if err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		f.table, f.tableFrom = t, path
	}
	cfg.Prices, cfg.MaxCost = f.table, f.maxCost
	return nil
}

// check refuses a budget in money for a provider whose model has no
// price: its calls could cost anything.
func (f *costFlags) check(provider string) error {
	if f.maxCost == 0 && f.maxTotal == 0 {
		return nil
	}
	if _, _, ok := f.table.Lookup(provider); ok {
		return nil
	}
	flag := "--max-cost"
	if f.maxCost == 0 {
		flag = "--max-total-cost"
	}
	return fmt.Errorf("%s: %s has no price in %s, so its calls could cost anything; give its model a price with --prices FILE", flag, provider, f.tableFrom)
}

// costLimitError says that a batch stopped at --max-total-cost, what it
// spent, and how to go on (exit 4).
func costLimitError(p batch.Progress, limit float64) error {
	why := fmt.Sprintf("this run's items cost %s, reaching --max-total-cost %s", stats.USD(p.CostUSD), stats.USD(limit))
	if p.Unpriced > 0 {
		why = fmt.Sprintf("%d item(s) had no price, so what the run spent is unknown (--max-total-cost %s)", p.Unpriced, stats.USD(limit))
	}
	return &exitError{code: codeCostLimit, err: fmt.Errorf("stopped after %d items: %s; the items in flight were finished and written; run the same command with --resume to go on", p.Done, why)}
}

// costText says what an extraction cost: "cost $0.0012, wasted $0.0004",
// or that its model had no price.
func costText(rep *reask.Report) string {
	if rep.CostUSD == nil {
		return "cost unpriced: no price for " + rep.Unpriced
	}
	wasted := 0.0
	if rep.WastedCostUSD != nil {
		wasted = *rep.WastedCostUSD
	}
	return fmt.Sprintf("cost %s, wasted %s", stats.USD(*rep.CostUSD), stats.USD(wasted))
}

// applyCost sets the gateway's price table (--prices or REASK_PRICES; the
// file's "prices" go over it) and, when the flag is given, its
// per-request budget over the file's "max_cost".
func (o serveOptions) applyCost(cfg *gateway.Config, getenv env, changed func(string) bool) error {
	fileMax := cfg.Reask.MaxCost
	if err := o.cost.apply(&cfg.Reask, getenv); err != nil {
		return err
	}
	if !changed("max-cost") {
		cfg.Reask.MaxCost = fileMax
	}
	return nil
}
