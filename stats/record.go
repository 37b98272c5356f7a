// Package stats turns extraction reports into per-item records (the lines
// of a batch's output file) and records into a run's statistics — the
// retry dashboard: success rate, attempts, error kinds, repairs, tokens
// spent and wasted and their cost in US dollars, latency, backoff, rate
// limits, breaker refusals and strategy switches.
package stats

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// Record is one item's outcome: a line of `reask batch` output. Its JSON
// form is stable; `reask stats` reads it back.
type Record struct {
	ID       string          `json:"id"`
	OK       bool            `json:"ok"`
	Data     json.RawMessage `json:"data"`
	Attempts int             `json:"attempts"`
	Calls    int             `json:"calls"`
	Usage    Usage           `json:"usage"`
	// CostUSD is what the item's calls cost in US dollars, WastedCostUSD
	// the part spent on answers not used (see reask.Report.CostUSD); both
	// null when a call's model had no price, and Unpriced then names it.
	CostUSD       *float64 `json:"cost_usd"`
	WastedCostUSD *float64 `json:"wasted_cost_usd"`
	Unpriced      string   `json:"unpriced,omitempty"`
	Repairs       []Repair `json:"repairs"`
	Errors        []Error  `json:"errors"`
	// DurationMS is the item's wall time; BackoffMS the part spent waiting
	// before retries.
	DurationMS float64 `json:"duration_ms"`
	BackoffMS  float64 `json:"backoff_ms"`
	// BreakerTrips counts the times the item's failed calls opened a
	// circuit breaker (see reask.Report.BreakerTrips).
	BreakerTrips int `json:"breaker_trips,omitempty"`
	// SharedStateErrors counts the item's policy calls that the shared
	// state (fleet mode, --redis) could not serve (see
	// reask.Report.SharedStateErrors).
	SharedStateErrors int `json:"shared_state_errors,omitempty"`
	// Cache is what the response cache did for the item, "hit" or "miss"
	// (see reask.Report.Cache), CacheErrors its reads and writes that
	// failed; both omitted without a cache.
	Cache       string `json:"cache,omitempty"`
	CacheErrors int    `json:"cache_errors,omitempty"`
	Provider    string `json:"provider,omitempty"`
	Mode        string `json:"mode,omitempty"`
	// Switches of mode, model or feedback made by the adaptive strategy
	// (see reask.Switch).
	Switches []reask.Switch `json:"switches,omitempty"`
	// Insisted lists the invalid values the model kept giving when the
	// item stopped early for it, and AttemptsSaved the attempts not spent
	// (see reask.Report.Insisted).
	Insisted      []reask.Repeat `json:"insisted,omitempty"`
	AttemptsSaved int            `json:"attempts_saved,omitempty"`
	// Batch reports that the item ran through a provider's batch API
	// (reask batch --provider-batch), whose price is BatchDiscount of the
	// direct one. BatchCalls and DirectCalls count its calls sent in
	// batches and directly (--finish-direct-under); BatchUsage is the
	// tokens of its batch calls (the rest of Usage was direct); Round is
	// the round it finished in, from 1.
	Batch       bool         `json:"batch,omitempty"`
	BatchCalls  int          `json:"batch_calls,omitempty"`
	DirectCalls int          `json:"direct_calls,omitempty"`
	BatchUsage  *reask.Usage `json:"batch_usage,omitempty"`
	Round       int          `json:"round,omitempty"`
	// Error is why the item failed, in one paragraph; empty when OK.
	Error string `json:"error,omitempty"`
	// Outcome is "ok" or the kind of the failure that ended the item.
	Outcome string `json:"outcome"`
}

// Usage counts an item's tokens; wasted tokens were spent on answers that
// were not used.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	WastedTokens     int `json:"wasted_tokens"`
	// CachedPromptTokens are the prompt tokens the provider read from its
	// prompt cache (see reask.Usage).
	CachedPromptTokens int `json:"cached_prompt_tokens,omitempty"`
}

// Repair is one local fix applied to an attempt's answer.
type Repair struct {
	Attempt int    `json:"attempt"`
	Path    string `json:"path"`
	Kind    string `json:"kind"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
}

// Error is one failure along the way: a failed call (rate limit, server
// error, dropped connection, …) or a failed answer (schema, syntax, …).
type Error struct {
	Attempt int    `json:"attempt"`
	Kind    string `json:"kind"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
}

// maxMessage bounds error messages kept in records.
const maxMessage = 300

// FromReport builds the record of one extraction. data is the valid
// document (nil when the extraction failed) and err its error.
func FromReport(id string, data json.RawMessage, rep *reask.Report, err error) Record {
	r := Record{ID: id, OK: err == nil, Repairs: []Repair{}, Errors: []Error{}, CostUSD: new(float64), WastedCostUSD: new(float64)}
	if err == nil {
		r.Data = data
	} else {
		r.Data = json.RawMessage("null")
		r.Error = schema.Shorten(err.Error(), 2*maxMessage)
	}
	if rep == nil {
		r.Outcome = string(reask.KindUnknown)
		if err == nil {
			r.Outcome = string(reask.KindOK)
		}
		return r
	}
	r.Attempts, r.Calls = rep.Attempts, rep.Calls
	r.Usage = Usage{rep.Usage.PromptTokens, rep.Usage.CompletionTokens, rep.Usage.TotalTokens, rep.WastedTokens, rep.Usage.CachedPromptTokens}
	r.CostUSD, r.WastedCostUSD, r.Unpriced = rep.CostUSD, rep.WastedCostUSD, rep.Unpriced
	if r.CostUSD == nil && r.Unpriced == "" && rep.Usage == (reask.Usage{}) {
		// Nothing spent (a report not from an extraction): $0.
		r.CostUSD, r.WastedCostUSD = new(float64), new(float64)
	}
	r.DurationMS = ms(rep.Duration)
	r.BackoffMS = ms(rep.Backoff)
	r.BreakerTrips, r.SharedStateErrors = rep.BreakerTrips, rep.SharedStateErrors
	r.Cache, r.CacheErrors = string(rep.Cache), rep.CacheErrors
	r.Provider, r.Mode, r.Switches = rep.Provider, string(rep.Mode), rep.Switches
	r.Insisted, r.AttemptsSaved = rep.Insisted, rep.AttemptsSaved
	r.Outcome = string(rep.Outcome)
	if r.Outcome == "" {
		r.Outcome = string(reask.KindOK)
		if err != nil {
			r.Outcome = string(reask.KindUnknown)
		}
	}
	for _, a := range rep.Records {
		for _, f := range a.Repairs {
			r.Repairs = append(r.Repairs, Repair{Attempt: a.Number, Path: f.Path, Kind: string(f.Kind), Before: f.Before, After: f.After})
		}
		for _, c := range a.Calls {
			if c.Outcome != reask.KindOK {
				r.Errors = append(r.Errors, Error{Attempt: a.Number, Kind: string(c.Outcome), Status: c.Status, Message: schema.Shorten(c.Message, maxMessage)})
			}
		}
		if a.Outcome.Content() {
			r.Errors = append(r.Errors, Error{Attempt: a.Number, Kind: string(a.Outcome), Message: schema.Shorten(a.Message, maxMessage)})
		}
	}
	if err != nil && rep.Attempts == 0 && len(r.Errors) == 0 {
		// Failed before any answer: bad input, open breaker, budget.
		r.Errors = append(r.Errors, Error{Kind: r.Outcome, Message: schema.Shorten(err.Error(), maxMessage)})
	}
	return r
}

// Failed builds the record of an item that could not be run at all (a
// malformed input line, say).
func Failed(id string, kind reask.Kind, err error) Record {
	msg := schema.Shorten(err.Error(), 2*maxMessage)
	return Record{ID: id, Data: json.RawMessage("null"), Repairs: []Repair{}, Outcome: string(kind), Error: msg,
		CostUSD: new(float64), WastedCostUSD: new(float64), // never run: nothing spent
		Errors: []Error{{Kind: string(kind), Message: schema.Shorten(err.Error(), maxMessage)}}}
}

// BatchDiscount is the price of a token sent through a provider's batch
// API as a share of its direct price: OpenAI's Batch API and Anthropic's
// Message Batches both charge half, for input and output tokens alike.
const BatchDiscount = 0.5

// KindInvalidItem marks an input line that is not a usable item.
const KindInvalidItem reask.Kind = "invalid_item"

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ErrNoRecords is returned when a stats input holds no record at all.
var ErrNoRecords = errors.New("no records")
