package reask_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/price"
	"github.com/reask/reask/schema"
)

// answers is an in-memory provider that gives its responses in order and
// records the requests.
type answers struct {
	name  string
	mu    sync.Mutex
	resps []reask.Response
	reqs  []reask.Request
}

func (a *answers) Name() string { return a.name }

func (a *answers) Complete(_ context.Context, req *reask.Request) (*reask.Response, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, *req)
	if len(a.resps) == 0 {
		return nil, errors.New("no more answers")
	}
	r := a.resps[0]
	a.resps = a.resps[1:]
	return &r, nil
}

func usage(prompt, cached, completion int) reask.Usage {
	return reask.Usage{PromptTokens: prompt, CachedPromptTokens: cached, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// costTable prices "m" at $1 per million input tokens, $0.10 cached and
// $2 output, with half off in batches.
func costTable(t *testing.T) *price.Table {
	t.Helper()
	tab, err := price.Parse("test", []byte(`{"models": {"m": {"input": 1, "cached_input": 0.1, "output": 2, "batch_discount": 0.5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

var nameSchema = func() *schema.Schema {
	s, err := schema.Compile([]byte(`{"type":"object","properties":{"name":{"type":"string","minLength":2}},"required":["name"],"additionalProperties":false}`))
	if err != nil {
		panic(err)
	}
	return s
}()

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-12 }

// Every report says what its calls cost and what the unused answers cost,
// cached prompt tokens at the cached price, batch answers at the discount.
func TestReportCost(t *testing.T) {
	p := &answers{name: "test/m", resps: []reask.Response{
		{Content: `{"name": "x"}`, Model: "m-2024-07-18", Usage: usage(1000, 0, 100)},       // too short: re-asked
		{Content: `{"name": "Ann"}`, Model: "m", Usage: usage(1200, 1000, 50), Batch: true}, // used
	}}
	c, err := reask.New(p, reask.Config{Prices: costTable(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann wrote this."})
	if err != nil {
		t.Fatal(err)
	}
	first := (1000*1.0 + 100*2.0) / 1e6
	second := (200*1.0 + 1000*0.1 + 50*2.0) / 1e6 * 0.5
	if !near(rep.CostUSD, first+second) || !near(rep.WastedCostUSD, first) || rep.Unpriced != "" {
		t.Errorf("cost %v, wasted %v, unpriced %q; want %v, %v", deref(rep.CostUSD), deref(rep.WastedCostUSD), rep.Unpriced, first+second, first)
	}
	if r := rep.Records[0]; r.Model != "m-2024-07-18" || !near(r.CostUSD, first) {
		t.Errorf("attempt 1: model %q, cost %v", r.Model, deref(r.CostUSD))
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"cost_usd":0.0014`) || !strings.Contains(string(b), `"prompt_tokens_details":{"cached_tokens":1000}`) {
		t.Errorf("report JSON lacks the cost or the cached tokens: %s", b)
	}
}

// A model without a price makes the report unpriced — null in JSON,
// never $0 — and says which model.
func TestReportUnpriced(t *testing.T) {
	p := &answers{name: "local/llama", resps: []reask.Response{{Content: `{"name": "Ann"}`, Model: "llama3.1:8b", Usage: usage(10, 0, 5)}}}
	c, _ := reask.New(p, reask.Config{Prices: costTable(t)})
	_, rep, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CostUSD != nil || rep.WastedCostUSD != nil || rep.Unpriced != "llama3.1:8b" {
		t.Errorf("cost %v, wasted %v, unpriced %q: want nil, nil, the model", rep.CostUSD, rep.WastedCostUSD, rep.Unpriced)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"cost_usd":null`) {
		t.Errorf("an unpriced report's JSON: %s", b)
	}
	// The provider's name prices an answer whose model the table lacks.
	p = &answers{name: "sim/m", resps: []reask.Response{{Content: `{"name": "Ann"}`, Model: "", Usage: usage(10, 0, 5)}}}
	c, _ = reask.New(p, reask.Config{Prices: costTable(t)})
	if _, rep, _ = c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."}); !near(rep.CostUSD, 20e-6) {
		t.Errorf("priced by the provider's name: %v", deref(rep.CostUSD))
	}
}

// The cost budget refuses a call that would take the spend over it, caps
// max_tokens at what it has left, and refuses an unpriced model.
func TestCostBudget(t *testing.T) {
	long := `{"name": "x"}`
	t.Run("refused once spent", func(t *testing.T) {
		p := &answers{name: "test/m", resps: []reask.Response{{Content: long, Usage: usage(500, 0, 200)}, {Content: long, Usage: usage(500, 0, 200)}}}
		// Each answer costs $0.0009; the budget holds one and not the next prompt.
		c, _ := reask.New(p, reask.Config{Prices: costTable(t), MaxCost: 0.001})
		_, rep, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: strings.Repeat("Ann wrote it. ", 40)})
		if !errors.Is(err, reask.ErrCostBudget) || rep.Outcome != reask.KindBudget || len(p.reqs) != 1 {
			t.Fatalf("err %v, outcome %s, calls %d: want ErrCostBudget after one call", err, rep.Outcome, len(p.reqs))
		}
		if !near(rep.CostUSD, 0.0009) || !near(rep.WastedCostUSD, 0.0009) {
			t.Errorf("cost %v, wasted %v", deref(rep.CostUSD), deref(rep.WastedCostUSD))
		}
	})
	t.Run("max_tokens capped", func(t *testing.T) {
		p := &answers{name: "test/m", resps: []reask.Response{{Content: `{"name": "Ann"}`, Usage: usage(50, 0, 5)}}}
		c, _ := reask.New(p, reask.Config{Prices: costTable(t), MaxCost: 0.0002})
		if _, _, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."}); err != nil {
			t.Fatal(err)
		}
		// $0.0002 less the prompt's estimated cost, at $2 per million output tokens.
		if got := p.reqs[0].MaxTokens; got <= 0 || got >= 100 {
			t.Errorf("max_tokens %d: want the budget's room, under 100", got)
		}
	})
	t.Run("large budget leaves max_tokens", func(t *testing.T) {
		p := &answers{name: "test/m", resps: []reask.Response{{Content: `{"name": "Ann"}`, Usage: usage(50, 0, 5)}}}
		c, _ := reask.New(p, reask.Config{Prices: costTable(t), MaxCost: 10})
		if _, _, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."}); err != nil || p.reqs[0].MaxTokens != 0 {
			t.Errorf("err %v, max_tokens %d: want the provider's default", err, p.reqs[0].MaxTokens)
		}
	})
	t.Run("unpriced refused", func(t *testing.T) {
		p := &answers{name: "local/llama"}
		c, _ := reask.New(p, reask.Config{Prices: costTable(t), MaxCost: 1})
		_, _, err := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."})
		if !errors.Is(err, reask.ErrCostBudget) || !strings.Contains(err.Error(), "local/llama has no price") || len(p.reqs) != 0 {
			t.Errorf("err %v, calls %d", err, len(p.reqs))
		}
	})
	t.Run("not a number", func(t *testing.T) {
		if _, err := reask.New(&answers{name: "m"}, reask.Config{MaxCost: math.NaN()}); !errors.Is(err, reask.ErrInvalidInput) {
			t.Errorf("NaN budget: %v", err)
		}
	})
}

// The default price table prices the simulator's and the providers'
// default model.
func TestDefaultPrices(t *testing.T) {
	p := &answers{name: "sim/gpt-4o-mini", resps: []reask.Response{{Content: `{"name": "Ann"}`, Model: "gpt-4o-mini", Usage: usage(1_000_000, 0, 0)}}}
	c, _ := reask.New(p, reask.Config{})
	if _, rep, _ := c.Run(t.Context(), reask.Task{Schema: nameSchema, Input: "Ann."}); !near(rep.CostUSD, 0.15) {
		t.Errorf("cost %v, want $0.15", deref(rep.CostUSD))
	}
}

func TestUsageJSON(t *testing.T) {
	var u reask.Usage
	if err := json.Unmarshal([]byte(`{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":8}}`), &u); err != nil || u != usage(10, 8, 2) {
		t.Fatalf("%+v, %v", u, err)
	}
	b, _ := json.Marshal(usage(3, 0, 1))
	if string(b) != `{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}` {
		t.Errorf("no cached tokens: %s", b)
	}
	if got := usage(1, 1, 1).Add(usage(2, 1, 0)); got.CachedPromptTokens != 2 {
		t.Errorf("Add: %+v", got)
	}
}

func deref(f *float64) any {
	if f == nil {
		return "unpriced"
	}
	return *f
}

// steps is a provider that answers with resps in order, a nil response
// meaning a 503.
type steps struct {
	mu    sync.Mutex
	resps []*reask.Response
}

func (s *steps) Name() string { return "test/m" }

func (s *steps) Complete(context.Context, *reask.Request) (*reask.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.resps[0]
	s.resps = s.resps[1:]
	if r == nil {
		return nil, &reask.ProviderError{Provider: "test/m", StatusCode: 503, Message: "down"}
	}
	return r, nil
}

// A batch item that the open circuit stopped after it had spent runs
// again; its report's cost covers both runs, the first one all wasted.
func TestBatchRestartKeepsTheCost(t *testing.T) {
	clk := clock.NewFake(start)
	p := &steps{resps: []*reask.Response{
		{Content: `{"name": "x"}`, Usage: usage(1_000_000, 0, 0)}, // $1, re-asked
		nil, nil, // the breaker opens
		{Content: `{"name": "Ann"}`, Usage: usage(500_000, 0, 0)}, // $0.50, after the cool-down
	}}
	c, err := reask.New(p, reask.Config{Clock: clk, Prices: costTable(t), NoRetryBudget: true, MaxTransportRetries: 5,
		Breaker: breaker.Settings{MinCalls: 3, Threshold: 0.5, CoolDown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	tasks := func(yield func(string, reask.Task) bool) {
		yield("a", reask.Task{Schema: nameSchema, Input: "Ann wrote it."})
	}
	for r := range c.Batch(t.Context(), tasks, reask.BatchConfig{Concurrency: 1}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if !near(r.Report.CostUSD, 1.5) || !near(r.Report.WastedCostUSD, 1) {
			t.Errorf("cost %v, wasted %v; want $1.50 and $1", deref(r.Report.CostUSD), deref(r.Report.WastedCostUSD))
		}
		if len(r.Report.Switches) == 0 || r.Report.Switches[len(r.Report.Switches)-1].What != "restart" {
			t.Errorf("no restart: %+v", r.Report.Switches)
		}
	}
}
