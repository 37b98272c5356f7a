package main

import (
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/dataset"
	"github.com/reask/reask/stats"
)

func (a *app) demoCommand() *cobra.Command {
	var n, concurrency int
	var seed int64
	var profile, mode string
	var rf redisFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a small batch against the built-in simulator and show what reask did",
		Long: `Demo starts the simulator in-process (profile flaky by default: the faults
the retry system is there for), runs a small batch of its labelled data set
through the library, prints each item's attempts, calls, repairs and errors
with whether the answer equals the gold answer, and ends with the retry
dashboard. No network, no API key.

It sends the schema as every command does by default (--mode json_schema),
which the simulator, like OpenAI, answers with strict structured outputs:
rate limits, server errors and cut-off answers remain. --mode json_object
shows local repair at work on fences, trailing commas and quoted numbers.`,
		Example: `  reask demo
  reask demo --mode json_object     # more broken JSON, repaired locally
  reask demo --n 50 --profile hostile --mode tools`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m := reask.Mode(mode)
			if err := m.Check(); err != nil {
				return fmt.Errorf("--mode: %w", err)
			}
			prof, err := loadProfile(profile)
			if err != nil {
				return fmt.Errorf("--profile: %w", err)
			}
			url, stop, err := startSim(sim.Config{Seed: seed, Profile: prof})
			if err != nil {
				return err
			}
			defer stop()
			items := dataset.Generate(n, seed)
			schemas := map[string]*schema.Schema{}
			for name, doc := range dataset.Schemas() {
				if schemas[name], err = schema.CompileNamed(name, doc); err != nil {
					return err
				}
			}
			p := openai.NewProvider(openai.Config{BaseURL: url, Model: sim.DefaultModels[0], Name: "sim/" + sim.DefaultModels[0]})
			cfg := reask.Config{Mode: m}
			leave, err := a.joinFleet(cmd.Context(), &rf, &cfg)
			if err != nil {
				return err
			}
			defer leave()
			client, err := reask.New(p, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "reask demo: %d items from the simulator's data set, profile %s, mode %s, seed %d\n\n", n, profile, m, seed)
			tasks := func(yield func(string, reask.Task) bool) {
				for _, it := range items {
					if !yield(it.ID, reask.Task{Schema: schemas[it.Schema], Input: it.Text}) {
						return
					}
				}
			}
			gold := map[string]json.RawMessage{}
			for _, it := range items {
				gold[it.ID] = it.Gold
			}
			var agg stats.Aggregator
			exact := 0
			start := time.Now()
			for r := range client.Batch(cmd.Context(), iter.Seq2[string, reask.Task](tasks), reask.BatchConfig{Concurrency: concurrency}) {
				rec := stats.FromReport(r.ID, r.JSON, r.Report, r.Err)
				agg.Add(rec)
				verdict := "FAILED"
				if r.Err == nil {
					verdict = "wrong"
					if sameJSON(r.JSON, gold[r.ID]) {
						verdict = "exact"
						exact++
					}
				}
				fmt.Fprintf(a.stdout, "%-16s %-6s attempts %d  calls %d  %s\n", r.ID, verdict, rec.Attempts, rec.Calls, describeItem(rec))
			}
			sum := agg.Summary()
			fmt.Fprintf(a.stdout, "\n%d of %d answers equal the gold answer; %s wall time\n\n", exact, n, time.Since(start).Round(time.Millisecond))
			fmt.Fprint(a.stdout, sum.Table())
			return nil
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&n, "n", 24, "number of items")
	fs.IntVar(&concurrency, "concurrency", 8, "items in flight")
	fs.Int64Var(&seed, "seed", 1, "seed of the data set and the simulator")
	fs.StringVar(&profile, "profile", "flaky", "simulator profile: clean, flaky, hostile or a JSON file")
	fs.StringVar(&mode, "mode", string(reask.ModeJSONSchema), "how the schema is sent: json_schema, json_object (shows more local repairs), tools or text")
	rf.register(fs)
	return cmd
}

// describeItem lists what happened to an item: its errors and repairs.
func describeItem(r stats.Record) string {
	var parts []string
	for _, e := range r.Errors {
		parts = append(parts, fmt.Sprintf("#%d %s", e.Attempt, e.Kind))
	}
	counts := map[string]int{}
	var kinds []string
	for _, f := range r.Repairs {
		if counts[f.Kind] == 0 {
			kinds = append(kinds, f.Kind)
		}
		counts[f.Kind]++
	}
	for _, k := range kinds {
		if counts[k] > 1 {
			parts = append(parts, fmt.Sprintf("repaired %s ×%d", k, counts[k]))
		} else {
			parts = append(parts, "repaired "+k)
		}
	}
	if len(parts) == 0 {
		return "clean"
	}
	return strings.Join(parts, ", ")
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
