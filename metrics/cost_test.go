package metrics_test

import (
	"math"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/metrics"
)

func usd(f float64) *float64 { return &f }

// Results add their priced attempts' cost to reask_cost_usd_total by the
// model that answered, the unused ones to reask_wasted_cost_usd_total; an
// attempt without a price is counted apart, never as $0. The snapshot
// has the same figures in total, per model route and per second.
func TestCostMetrics(t *testing.T) {
	clk := clock.NewFake(start)
	c, err := metrics.New(metrics.Config{Clock: clk, Window: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	used := reask.Usage{PromptTokens: 10, TotalTokens: 10}
	c.ObserveLabeled(t.Context(), metrics.Labels{Model: "gpt", Client: "team"}, reask.Event{Kind: reask.EventResult, Report: &reask.Report{
		Outcome: reask.KindOK, Calls: 2, Attempts: 2, Records: []reask.Attempt{
			{Number: 1, Outcome: reask.KindSchema, Model: "gpt-4o-mini-2024-07-18", Usage: used, CostUSD: usd(0.25)},
			{Number: 2, Outcome: reask.KindOK, Model: "gpt-4o-mini-2024-07-18", Usage: used, CostUSD: usd(0.5)},
		}}})
	c.Observe(t.Context(), reask.Event{Kind: reask.EventResult, Report: &reask.Report{
		Outcome: reask.KindSchema, Calls: 2, Attempts: 2, Records: []reask.Attempt{
			{Number: 1, Outcome: reask.KindSchema, Provider: "local/llama", Usage: used},
			{Number: 2, Outcome: reask.KindSchema, Model: "claude-sonnet-4-5", Usage: used, CostUSD: usd(1)},
		}}})
	got := scrape(t, c)
	for series, want := range map[string]float64{
		`reask_cost_usd_total{model="gpt-4o-mini-2024-07-18",outcome="ok"}`: 0.75,
		`reask_cost_usd_total{model="claude-sonnet-4-5",outcome="schema"}`:  1,
		`reask_wasted_cost_usd_total`:                                       1.25,
		`reask_unpriced_attempts_total{model="local/llama"}`:                1,
	} {
		if g, ok := got[series]; !ok || math.Abs(g-want) > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, want)
		}
	}
	s := c.Snapshot()
	if s.Cost.SpentUSD != 1.75 || s.Cost.WastedUSD != 1.25 || s.Cost.WastedShare != 1.25/1.75 || s.Cost.UnpricedAttempts != 1 ||
		s.Cost.ByModel["gpt-4o-mini-2024-07-18"] != 0.75 || s.Cost.ByModel["claude-sonnet-4-5"] != 1 {
		t.Errorf("cost %+v", s.Cost)
	}
	if len(s.Window.Models) != 1 || s.Window.Models[0].CostUSD != 0.75 || s.Window.Models[0].WastedCostUSD != 0.25 {
		t.Errorf("model groups %+v", s.Window.Models)
	}
	if p := s.Timeline[len(s.Timeline)-1]; p.CostUSD != 1.75 || p.WastedCostUSD != 1.25 {
		t.Errorf("timeline point %+v", p)
	}
	if s.Window.Cost.SpentUSD != 1.75 {
		t.Errorf("window cost %+v", s.Window.Cost)
	}
}
