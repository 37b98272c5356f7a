package batch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/price"
)

// priced is echo under a priced name: each answer costs $0.01 (10,000
// prompt tokens at $1 per million).
type priced struct{ echo }

func (p *priced) Name() string { return "test/m" }

func (p *priced) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	resp, err := p.echo.Complete(ctx, req)
	if resp != nil {
		resp.Usage = reask.Usage{PromptTokens: 10_000, TotalTokens: 10_000}
	}
	return resp, err
}

func pricedClient(t *testing.T) *reask.Client {
	tab, err := price.Parse("test", []byte(`{"models": {"m": {"input": 1, "output": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return reasktest.NewClient(t, &priced{}, reask.Config{Prices: tab})
}

// A run stops at its cost limit — the items in flight finish and are
// written — says so, and a resumed run finishes the rest, each item once.
func TestMaxCostStopsThenResumeFinishes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	res, err := batch.Run(t.Context(), pricedClient(t), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(10)), OutPath: out,
		Concurrency: 1, MaxCost: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Progress
	// The limit is reached at the third item, and with one item at a
	// time none is in flight then.
	if !res.CostLimited || res.Interrupted || p.Done != 3 || p.CostUSD < 0.03 || p.CostUSD > 0.0301 {
		t.Fatalf("result %+v", res)
	}
	if n := len(readRecords(t, out)); n != p.Done {
		t.Errorf("%d records written, %d done", n, p.Done)
	}
	res, err = batch.Run(t.Context(), pricedClient(t), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(10)), OutPath: out,
		Resume: true, Concurrency: 1, MaxCost: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.CostLimited || res.Progress.Done+res.Progress.Skipped != 10 || len(readRecords(t, out)) != 10 {
		t.Errorf("resumed: %+v, %d records", res, len(readRecords(t, out)))
	}
}

// A run whose limit is reached by its last item is not cost-limited: there
// is nothing left to resume. An unpriced item stops a limited run.
func TestMaxCostEdges(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	res, err := batch.Run(t.Context(), pricedClient(t), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(2)), OutPath: out, MaxCost: 0.02})
	if err != nil || res.CostLimited || res.Progress.Done != 2 {
		t.Errorf("limit met by the last item: %+v, %v", res, err)
	}
	out = filepath.Join(t.TempDir(), "out.jsonl")
	res, err = batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema,
		In: strings.NewReader(inputOf(10)), OutPath: out, Concurrency: 1, MaxCost: 5})
	if err != nil || !res.CostLimited || res.Progress.Unpriced != 1 || res.Progress.Done != 1 {
		t.Errorf("unpriced items: %+v, %v", res, err)
	}
	if _, err := batch.Run(t.Context(), pricedClient(t), batch.Config{Schema: numSchema, In: strings.NewReader(""), OutPath: out, MaxCost: -1}); err == nil {
		t.Error("a negative limit was accepted")
	}
}
