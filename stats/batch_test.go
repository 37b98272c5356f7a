package stats_test

import (
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/stats"
)

// Records of items run through a provider's batch API sum into the batch
// section: rounds, calls in batches and direct, tokens split and the cost
// at the batch discount; records of the direct mode do not count there.
func TestSummaryBatch(t *testing.T) {
	var agg stats.Aggregator
	agg.Add(stats.Record{ID: "a", OK: true, Attempts: 1, Calls: 1, Usage: stats.Usage{PromptTokens: 80, CompletionTokens: 20, TotalTokens: 100},
		Batch: true, BatchCalls: 1, BatchUsage: &reask.Usage{PromptTokens: 80, CompletionTokens: 20, TotalTokens: 100}, Round: 1})
	agg.Add(stats.Record{ID: "b", OK: true, Attempts: 3, Calls: 3, Usage: stats.Usage{PromptTokens: 250, CompletionTokens: 50, TotalTokens: 300},
		Batch: true, BatchCalls: 2, DirectCalls: 1, BatchUsage: &reask.Usage{PromptTokens: 150, CompletionTokens: 50, TotalTokens: 200}, Round: 3})
	agg.Add(stats.Record{ID: "c", OK: true, Attempts: 1, Calls: 1, Usage: stats.Usage{TotalTokens: 1000}})
	s := agg.Summary()
	b := s.Batch
	if b == nil {
		t.Fatal("no batch section")
	}
	want := stats.BatchSummary{Items: 2, Rounds: 3, FinishedByRound: map[int]int{1: 1, 3: 1}, BatchCalls: 3, DirectCalls: 1,
		BatchTokens:  stats.Usage{PromptTokens: 230, CompletionTokens: 70, TotalTokens: 300},
		DirectTokens: stats.Usage{PromptTokens: 100, TotalTokens: 100},
		Discount:     0.5, DirectPriceTokens: 250, CostShare: 0.625}
	if b.Items != want.Items || b.Rounds != want.Rounds || len(b.FinishedByRound) != 2 || b.FinishedByRound[3] != 1 ||
		b.BatchCalls != 3 || b.DirectCalls != 1 || b.BatchTokens != want.BatchTokens || b.DirectTokens != want.DirectTokens ||
		b.Discount != 0.5 || b.DirectPriceTokens != 250 || b.CostShare != 0.625 {
		t.Errorf("batch summary\n%+v\nwant\n%+v", *b, want)
	}
	table := s.Table()
	for _, line := range []string{
		"Provider batch API (2 items, batch price 50.0% of direct)",
		"rounds                 3 (finished: 1 in round 1, 1 in round 3)",
		"calls                  3 in batches, 1 direct",
		"tokens in batches      300 (prompt 230, completion 70)",
		"tokens direct          100 (prompt 100, completion 0)",
		"cost vs direct         62.5% (250 tokens at the direct price)",
	} {
		if !strings.Contains(table, line) {
			t.Errorf("the table lacks %q:\n%s", line, table)
		}
	}

	var direct stats.Aggregator
	direct.Add(stats.Record{ID: "c", OK: true})
	if s := direct.Summary(); s.Batch != nil || strings.Contains(s.Table(), "batch API") {
		t.Errorf("a direct run shows a batch section: %+v", s.Batch)
	}
}
