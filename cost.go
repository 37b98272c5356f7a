package reask

import (
	"fmt"
	"math"

	"github.com/reask/reask/price"
)

// priceOf finds the price of a call to p answered by resp (nil before the
// call): the model the answer names, else the provider's name. name is
// what the call is reported under: the answer's model, else the
// provider's name.
func (j *job) priceOf(p Provider, resp *Response) (pr price.Price, name string, ok bool) {
	name = p.Name()
	if resp != nil && resp.Model != "" {
		name = resp.Model
		if pr, _, ok = j.set.prices.Lookup(resp.Model); ok {
			return pr, name, true
		}
	}
	pr, _, ok = j.set.prices.Lookup(p.Name())
	return pr, name, ok
}

// priceAttempt records the model that answered an attempt and what its
// answer cost; rec.CostUSD stays nil when the model has no price.
func (j *job) priceAttempt(rec *Attempt, p Provider, resp *Response) {
	pr, name, ok := j.priceOf(p, resp)
	rec.Model = name
	if resp != nil {
		rec.FinishReason = resp.FinishReason
	}
	if !ok {
		return
	}
	u := price.Usage{Input: resp.Usage.PromptTokens, CachedInput: resp.Usage.CachedPromptTokens, Output: resp.Usage.CompletionTokens}
	c := pr.Cost(u)
	if resp.Batch {
		c = pr.BatchCost(u)
	}
	rec.CostUSD = &c
}

// addCost adds an attempt's cost to the report: to CostUSD, and to
// WastedCostUSD when its answer was not used. An attempt that spent
// tokens without a price leaves both nil and names its model in Unpriced.
func (j *job) addCost(rec *Attempt, used bool) {
	r := j.report
	switch {
	case rec.CostUSD != nil:
		j.spent += *rec.CostUSD
		if !used {
			j.wasted += *rec.CostUSD
		}
	case rec.Usage != (Usage{}) && r.Unpriced == "":
		r.Unpriced = rec.Model
	}
	if r.Unpriced != "" {
		r.CostUSD, r.WastedCostUSD = nil, nil
		return
	}
	spent, wasted := j.spent, j.wasted
	r.CostUSD, r.WastedCostUSD = &spent, &wasted
}

// zeroCost marks a report that has spent nothing yet: $0, priced.
func zeroCost(r *Report) {
	r.CostUSD, r.WastedCostUSD = new(float64), new(float64)
}

// checkCost enforces the cost budget (Config.MaxCost) before attempt n:
// with the spend so far and the prompt's estimated tokens, the request
// must fit, and its max_tokens is capped at what the budget has left for
// the answer.
func (j *job) checkCost(n int, req *Request, est int) error {
	budget := j.set.maxCost
	if budget <= 0 {
		return nil
	}
	p := j.providers[j.cur]
	pr, name, ok := j.priceOf(p, nil)
	if !ok {
		return fmt.Errorf("%w: %s has no price, so a call to it could cost anything; add its model to the price table (Config.Prices)", ErrCostBudget, name)
	}
	if j.report.Unpriced != "" {
		return fmt.Errorf("%w: an earlier call to %s had no price", ErrCostBudget, j.report.Unpriced)
	}
	prompt := float64(est) * pr.Input / 1e6
	left := budget - j.spent - prompt
	if pr.Output <= 0 {
		if left < 0 {
			return costError(j.spent, n, prompt, budget)
		}
		return nil
	}
	room := math.Floor(left * 1e6 / pr.Output)
	if room < 1 {
		return costError(j.spent, n, prompt, budget)
	}
	if room < maxCostCap && (req.MaxTokens == 0 || float64(req.MaxTokens) > room) {
		req.MaxTokens = int(room)
	}
	return nil
}

// maxCostCap is the largest max_tokens the cost budget sets: many models
// refuse a larger one (gpt-4o-mini's output limit is 16,384 tokens), so
// with more room left the request keeps its own max_tokens, and one
// answer can take the spend past the budget by at most the model's own
// output limit.
const maxCostCap = 16384

func costError(spent float64, n int, prompt, budget float64) error {
	return fmt.Errorf("%w: $%.6f spent, attempt %d's prompt alone would cost about $%.6f more, budget $%.6f",
		ErrCostBudget, spent, n, prompt, budget)
}

// mergeCost adds an interrupted run's cost to the next run's report, all
// of it wasted (see mergeReports).
func mergeCost(out, prev *Report) {
	if out.Unpriced == "" {
		out.Unpriced = prev.Unpriced
	}
	if out.Unpriced != "" || out.CostUSD == nil || prev.CostUSD == nil {
		out.CostUSD, out.WastedCostUSD = nil, nil
		return
	}
	cost, wasted := *out.CostUSD+*prev.CostUSD, *prev.CostUSD
	if out.WastedCostUSD != nil {
		wasted += *out.WastedCostUSD
	}
	out.CostUSD, out.WastedCostUSD = &cost, &wasted
}
