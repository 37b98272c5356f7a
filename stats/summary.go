package stats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"sort"
	"strings"
)

// Summary is the retry dashboard of a run.
type Summary struct {
	Items       int     `json:"items"`
	OK          int     `json:"ok"`
	Failed      int     `json:"failed"`
	SuccessRate float64 `json:"success_rate"`
	// Attempts maps the number of content attempts to the number of items
	// that took that many.
	Attempts     map[int]int `json:"attempts_histogram"`
	MeanAttempts float64     `json:"mean_attempts"`
	Calls        int         `json:"calls"`
	MeanCalls    float64     `json:"mean_calls"`
	// Errors ranks failure kinds (transport and content) by count.
	Errors []Count `json:"errors"`
	// Repairs ranks local fixes by count.
	Repairs []Count `json:"repairs"`
	// Outcomes ranks what ended the failed items.
	Outcomes []Count `json:"failure_outcomes"`
	Tokens   Usage   `json:"tokens"`
	// WastedShare is wasted tokens over total tokens.
	WastedShare float64 `json:"wasted_share"`
	// Cost is what the items cost in US dollars.
	Cost Cost `json:"cost"`
	// Latency percentiles of items, in milliseconds.
	LatencyMS Percentiles `json:"latency_ms"`
	// BackoffMS is the total time items spent waiting before retries.
	BackoffMS float64 `json:"backoff_ms"`
	// RateLimited counts calls answered 429.
	RateLimited int `json:"rate_limited_calls"`
	// BreakerRefusals counts calls the circuit breaker refused.
	BreakerRefusals int `json:"breaker_refusals"`
	// BreakerTrips counts breaker openings: the records' breaker_trips
	// summed.
	BreakerTrips int `json:"breaker_trips"`
	// SharedStateErrors counts the policy calls the shared state (fleet
	// mode, --redis) could not serve: the records' shared_state_errors
	// summed. Each fell back to the process's own policy, or was refused
	// with --redis-fail closed.
	SharedStateErrors int `json:"shared_state_errors,omitempty"`
	// CacheHits and CacheMisses count the records the response cache
	// answered (no call, $0) and those it was consulted for and did not
	// hold; CacheErrors sums the records' cache_errors (a cache that could
	// not be read or written: the items ran without it).
	CacheHits   int `json:"cache_hits,omitempty"`
	CacheMisses int `json:"cache_misses,omitempty"`
	CacheErrors int `json:"cache_errors,omitempty"`
	// Switches ranks the strategy's switches of mode, model and feedback
	// ("mode json_object → tools"; see reask.Switch).
	Switches []Count `json:"switches"`
	// Insisted counts the items that stopped early because the model
	// insisted on invalid values (reask.ErrInsisted), AttemptsSaved the
	// attempts they did not spend, and InsistedOn ranks the fields it
	// insisted on ("/email format") with an example value.
	Insisted      int     `json:"insisted_items"`
	AttemptsSaved int     `json:"attempts_saved"`
	InsistedOn    []Count `json:"insisted_on"`
	// Batch sums the items that ran through a provider's batch API; nil
	// when none did.
	Batch *BatchSummary `json:"batch,omitempty"`
	// InvalidLines counts lines of the stats input that were not records.
	InvalidLines int `json:"invalid_lines,omitempty"`
}

// BatchSummary is what the items that ran through a provider's batch API
// (reask batch --provider-batch) cost, in rounds, calls and tokens.
type BatchSummary struct {
	// Items counts them.
	Items int `json:"items"`
	// Rounds is the last round any finished in: the run's rounds.
	// FinishedByRound maps each round to the items that finished in it.
	Rounds          int         `json:"rounds"`
	FinishedByRound map[int]int `json:"finished_by_round"`
	// BatchCalls and DirectCalls count their calls sent in batches and
	// directly.
	BatchCalls  int `json:"batch_calls"`
	DirectCalls int `json:"direct_calls"`
	// BatchTokens are the tokens of their batch calls, DirectTokens those
	// of their direct calls.
	BatchTokens  Usage `json:"batch_tokens"`
	DirectTokens Usage `json:"direct_tokens"`
	// Discount is the batch price as a share of the direct one
	// (BatchDiscount). DirectPriceTokens is what the tokens cost counted
	// in tokens at the direct price: DirectTokens + Discount × BatchTokens
	// (total tokens), and CostShare that over all their tokens — the share
	// of the direct price paid, exact when the batch and direct calls
	// split prompt and completion tokens alike.
	Discount          float64 `json:"discount"`
	DirectPriceTokens float64 `json:"direct_price_tokens"`
	CostShare         float64 `json:"cost_share"`
}

// Cost is what a run's items cost, in US dollars, summed over the items
// that had a price (Record.CostUSD set, or nothing spent); the others are
// counted apart, never as $0.
type Cost struct {
	SpentUSD  float64 `json:"spent_usd"`
	WastedUSD float64 `json:"wasted_usd"`
	// WastedShare is WastedUSD over SpentUSD (0 when nothing was spent).
	WastedShare float64 `json:"wasted_share"`
	// PerSuccessUSD is SpentUSD over the priced items that succeeded —
	// what one valid result cost, the failed items' spend included; null
	// when none succeeded.
	PerSuccessUSD *float64 `json:"per_success_usd"`
	// PricedItems and UnpricedItems split the items; UnpricedModels ranks
	// the models that lacked a price, with an item's id as the example.
	PricedItems    int     `json:"priced_items"`
	UnpricedItems  int     `json:"unpriced_items"`
	UnpricedModels []Count `json:"unpriced_models"`
}

// Count is a ranked entry with an example message.
type Count struct {
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

// Percentiles of a distribution.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Aggregator accumulates records into a Summary. The zero value is ready;
// it is not safe for concurrent use.
type Aggregator struct {
	s         Summary
	durations []float64
	errors    map[string]*Count
	repairs   map[string]*Count
	outcomes  map[string]*Count
	switches  map[string]*Count
	insisted  map[string]*Count
	unpriced  map[string]*Count
	pricedOK  int // priced items that succeeded
}

// Add counts one record.
func (a *Aggregator) Add(r Record) {
	if a.errors == nil {
		a.errors, a.repairs, a.outcomes, a.switches = map[string]*Count{}, map[string]*Count{}, map[string]*Count{}, map[string]*Count{}
		a.insisted, a.unpriced = map[string]*Count{}, map[string]*Count{}
		a.s.Attempts = map[int]int{}
	}
	s := &a.s
	s.Items++
	if r.OK {
		s.OK++
	} else {
		s.Failed++
		bump(a.outcomes, r.Outcome, r.Error)
	}
	s.Attempts[r.Attempts]++
	s.Calls += r.Calls
	s.Tokens.PromptTokens += r.Usage.PromptTokens
	s.Tokens.CompletionTokens += r.Usage.CompletionTokens
	s.Tokens.TotalTokens += r.Usage.TotalTokens
	s.Tokens.WastedTokens += r.Usage.WastedTokens
	s.Tokens.CachedPromptTokens += r.Usage.CachedPromptTokens
	a.addCost(r)
	s.BackoffMS += r.BackoffMS
	s.BreakerTrips += r.BreakerTrips
	s.SharedStateErrors += r.SharedStateErrors
	switch r.Cache {
	case "hit":
		s.CacheHits++
	case "miss":
		s.CacheMisses++
	}
	s.CacheErrors += r.CacheErrors
	a.durations = append(a.durations, r.DurationMS)
	for _, e := range r.Errors {
		bump(a.errors, e.Kind, e.Message)
		switch e.Kind {
		case "rate_limit":
			s.RateLimited++
		case "circuit_open":
			s.BreakerRefusals++
		}
	}
	for _, f := range r.Repairs {
		bump(a.repairs, f.Kind, exampleFix(f))
	}
	if r.Batch {
		a.addBatch(r)
	}
	for _, sw := range r.Switches {
		bump(a.switches, sw.What+" "+sw.From+" → "+sw.To, sw.Reason)
	}
	if len(r.Insisted) > 0 {
		s.Insisted++
		s.AttemptsSaved += r.AttemptsSaved
	}
	for _, rp := range r.Insisted {
		ex := rp.Problem
		if rp.Value != "" {
			ex = rp.Value + ": " + rp.Problem
		}
		bump(a.insisted, displayPath(rp.Path)+" "+rp.Keyword, ex)
	}
}

// addBatch counts a record of an item that ran through a batch API.
func (a *Aggregator) addBatch(r Record) {
	b := a.s.Batch
	if b == nil {
		b = &BatchSummary{FinishedByRound: map[int]int{}, Discount: BatchDiscount}
		a.s.Batch = b
	}
	b.Items++
	b.Rounds = max(b.Rounds, r.Round)
	b.FinishedByRound[r.Round]++
	b.BatchCalls += r.BatchCalls
	b.DirectCalls += r.DirectCalls
	var bu Usage
	if r.BatchUsage != nil {
		bu = Usage{PromptTokens: r.BatchUsage.PromptTokens, CompletionTokens: r.BatchUsage.CompletionTokens, TotalTokens: r.BatchUsage.TotalTokens}
	}
	b.BatchTokens.PromptTokens += bu.PromptTokens
	b.BatchTokens.CompletionTokens += bu.CompletionTokens
	b.BatchTokens.TotalTokens += bu.TotalTokens
	b.DirectTokens.PromptTokens += r.Usage.PromptTokens - bu.PromptTokens
	b.DirectTokens.CompletionTokens += r.Usage.CompletionTokens - bu.CompletionTokens
	b.DirectTokens.TotalTokens += r.Usage.TotalTokens - bu.TotalTokens
}

// addCost counts an item's cost: priced when its record says, or when it
// spent nothing (a record of an older reask without cost fields, an item
// that never ran).
func (a *Aggregator) addCost(r Record) {
	c := &a.s.Cost
	spentNothing := r.Usage.PromptTokens == 0 && r.Usage.CompletionTokens == 0 && r.Usage.TotalTokens == 0
	if r.CostUSD == nil && !spentNothing {
		c.UnpricedItems++
		model := r.Unpriced
		if model == "" {
			model = displayModel(r.Provider)
		}
		bump(a.unpriced, model, r.ID)
		return
	}
	c.PricedItems++
	if r.OK {
		a.pricedOK++
	}
	if r.CostUSD != nil {
		c.SpentUSD += *r.CostUSD
	}
	if r.WastedCostUSD != nil {
		c.WastedUSD += *r.WastedCostUSD
	}
}

func displayModel(m string) string {
	if m == "" {
		return "(unknown model)"
	}
	return m
}

func exampleFix(f Repair) string {
	if f.Before == "" && f.After == "" {
		return f.Path
	}
	return fmt.Sprintf("%s: %s → %s", displayPath(f.Path), f.Before, f.After)
}

func displayPath(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func bump(m map[string]*Count, name, example string) {
	c, ok := m[name]
	if !ok {
		c = &Count{Name: name, Example: example}
		m[name] = c
	}
	c.Count++
}

// Summary returns the statistics of every record added so far.
func (a *Aggregator) Summary() Summary {
	s := a.s
	if s.Attempts == nil {
		s.Attempts = map[int]int{}
	}
	if s.Items > 0 {
		s.SuccessRate = float64(s.OK) / float64(s.Items)
		total := 0
		for n, c := range s.Attempts {
			total += n * c
		}
		s.MeanAttempts = float64(total) / float64(s.Items)
		s.MeanCalls = float64(s.Calls) / float64(s.Items)
	}
	if s.Tokens.TotalTokens > 0 {
		s.WastedShare = float64(s.Tokens.WastedTokens) / float64(s.Tokens.TotalTokens)
	}
	if a.s.Batch != nil {
		b := *a.s.Batch
		b.FinishedByRound = maps.Clone(b.FinishedByRound)
		b.DirectPriceTokens = float64(b.DirectTokens.TotalTokens) + b.Discount*float64(b.BatchTokens.TotalTokens)
		if all := b.DirectTokens.TotalTokens + b.BatchTokens.TotalTokens; all > 0 {
			b.CostShare = b.DirectPriceTokens / float64(all)
		}
		s.Batch = &b
	}
	s.Errors, s.Repairs, s.Outcomes, s.Switches = ranked(a.errors), ranked(a.repairs), ranked(a.outcomes), ranked(a.switches)
	s.InsistedOn = ranked(a.insisted)
	s.Cost.UnpricedModels = ranked(a.unpriced)
	if s.Cost.SpentUSD > 0 {
		s.Cost.WastedShare = s.Cost.WastedUSD / s.Cost.SpentUSD
	}
	if a.pricedOK > 0 {
		per := s.Cost.SpentUSD / float64(a.pricedOK)
		s.Cost.PerSuccessUSD = &per
	}
	s.LatencyMS = percentiles(a.durations)
	return s
}

func ranked(m map[string]*Count) []Count {
	out := make([]Count, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// percentiles uses the nearest-rank method.
func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Percentiles{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1]}
}

// LineError reports an input line that is not a record.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// MaxLineBytes bounds one line of a records file.
const MaxLineBytes = 64 << 20

// Read aggregates every record of a JSONL stream. A record is a JSON
// object with a non-empty "id" and a boolean "ok", as `reask batch`
// writes. Lines that are not records are counted in Summary.InvalidLines
// and returned as *LineErrors (at most maxErrs of them); a partially
// written last line — what a crash leaves — is one of them. When no line
// is a record (an empty file, or one that is not batch output, such as a
// batch's input) it fails with an error that matches ErrNoRecords and says
// why the first line is not one.
func Read(r io.Reader, maxErrs int) (Summary, []error, error) {
	var agg Aggregator
	var errs []error
	var first *LineError
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	invalid := 0
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec, err := parseRecord(b)
		if err != nil {
			invalid++
			le := &LineError{Line: line, Err: err}
			if first == nil {
				first = le
			}
			if len(errs) < maxErrs {
				errs = append(errs, le)
			}
			continue
		}
		agg.Add(rec)
	}
	if err := sc.Err(); err != nil {
		return Summary{}, errs, err
	}
	s := agg.Summary()
	s.InvalidLines = invalid
	if s.Items == 0 {
		if first == nil {
			return s, errs, fmt.Errorf("%w: the input is empty", ErrNoRecords)
		}
		return s, errs, fmt.Errorf("%w: not the output of reask batch: none of its %d line(s) is a record (a JSON object with \"id\" and \"ok\"); %v",
			ErrNoRecords, invalid, first)
	}
	return s, errs, nil
}

// parseRecord reads one line as a record, or says why it is not one.
func parseRecord(b []byte) (Record, error) {
	if b[0] != '{' {
		if json.Valid(b) {
			return Record{}, errors.New("not a JSON object")
		}
		return Record{}, errors.New("not JSON")
	}
	// OK shadows the record's own field, so that a line without "ok"
	// is told apart from a failed item.
	var rec struct {
		Record
		OK *bool `json:"ok"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, fmt.Errorf("not JSON (cut short?): %w", err)
		}
		return Record{}, err
	}
	switch {
	case rec.ID == "":
		return Record{}, errors.New(`no "id" field`)
	case rec.OK == nil:
		return Record{}, errors.New(`no "ok" field`)
	}
	rec.Record.OK = *rec.OK
	return rec.Record, nil
}

// Table renders the summary as an aligned text table for a terminal.
func (s Summary) Table() string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "  %-22s %s\n", k, v) }
	b.WriteString("Results\n")
	row("items", fmt.Sprintf("%d (ok %d, failed %d)", s.Items, s.OK, s.Failed))
	row("success rate", pct(s.SuccessRate))
	row("attempts per item", fmt.Sprintf("%.2f mean", s.MeanAttempts))
	row("calls per item", fmt.Sprintf("%.2f mean (%d calls)", s.MeanCalls, s.Calls))
	if s.Insisted > 0 {
		row("stopped, model insists", fmt.Sprintf("%d item(s), %d attempt(s) not spent", s.Insisted, s.AttemptsSaved))
	}
	if s.InvalidLines > 0 {
		row("unreadable lines", fmt.Sprint(s.InvalidLines))
	}

	b.WriteString("\nAttempts histogram\n")
	keys := make([]int, 0, len(s.Attempts))
	most := 0
	for k, v := range s.Attempts {
		keys = append(keys, k)
		most = max(most, v)
	}
	sort.Ints(keys)
	for _, k := range keys {
		v := s.Attempts[k]
		bar := strings.Repeat("█", int(math.Round(30*float64(v)/float64(max(most, 1)))))
		fmt.Fprintf(&b, "  %2d attempt(s) %7d  %-30s %s\n", k, v, bar, pct(float64(v)/float64(max(s.Items, 1))))
	}

	section := func(title string, cs []Count, limit int) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		w := 4
		for i, c := range cs {
			if i < limit {
				w = max(w, len([]rune(c.Name)))
			}
		}
		for i, c := range cs {
			if i == limit {
				fmt.Fprintf(&b, "  … %d more\n", len(cs)-limit)
				break
			}
			fmt.Fprintf(&b, "  %-*s %7d  %s\n", w, c.Name, c.Count, clip(c.Example, 70))
		}
	}
	section("Errors (calls and answers), ranked", s.Errors, 12)
	section("Failed items by final outcome", s.Outcomes, 8)
	section("Repairs applied locally, ranked", s.Repairs, 12)
	section("Strategy switches", s.Switches, 8)
	section("Fields the model insisted on, ranked", s.InsistedOn, 8)

	b.WriteString("\nTokens\n")
	row("prompt", fmt.Sprint(s.Tokens.PromptTokens))
	row("completion", fmt.Sprint(s.Tokens.CompletionTokens))
	row("total", fmt.Sprint(s.Tokens.TotalTokens))
	row("wasted", fmt.Sprintf("%d (%s of total)", s.Tokens.WastedTokens, pct(s.WastedShare)))
	if s.Tokens.CachedPromptTokens > 0 {
		row("cached prompt", fmt.Sprint(s.Tokens.CachedPromptTokens))
	}

	s.Cost.table(&b, row)

	if bs := s.Batch; bs != nil {
		fmt.Fprintf(&b, "\nProvider batch API (%d items, batch price %s of direct)\n", bs.Items, pct(bs.Discount))
		rounds := make([]string, 0, len(bs.FinishedByRound))
		for r := 1; r <= bs.Rounds; r++ {
			if n := bs.FinishedByRound[r]; n > 0 {
				rounds = append(rounds, fmt.Sprintf("%d in round %d", n, r))
			}
		}
		row("rounds", fmt.Sprintf("%d (finished: %s)", bs.Rounds, strings.Join(rounds, ", ")))
		row("calls", fmt.Sprintf("%d in batches, %d direct", bs.BatchCalls, bs.DirectCalls))
		row("tokens in batches", fmt.Sprintf("%d (prompt %d, completion %d)", bs.BatchTokens.TotalTokens, bs.BatchTokens.PromptTokens, bs.BatchTokens.CompletionTokens))
		row("tokens direct", fmt.Sprintf("%d (prompt %d, completion %d)", bs.DirectTokens.TotalTokens, bs.DirectTokens.PromptTokens, bs.DirectTokens.CompletionTokens))
		row("cost vs direct", fmt.Sprintf("%s (%.0f tokens at the direct price)", pct(bs.CostShare), bs.DirectPriceTokens))
	}

	b.WriteString("\nTime\n")
	row("latency p50/p95/p99", fmt.Sprintf("%s / %s / %s", msString(s.LatencyMS.P50), msString(s.LatencyMS.P95), msString(s.LatencyMS.P99)))
	row("backing off", msString(s.BackoffMS)+" in total")

	b.WriteString("\nProvider pressure\n")
	row("429 rate limited", fmt.Sprint(s.RateLimited))
	row("breaker refusals", fmt.Sprint(s.BreakerRefusals))
	row("breaker trips", fmt.Sprint(s.BreakerTrips))
	if s.SharedStateErrors > 0 {
		// Only in fleet mode (--redis), and only when Redis failed.
		row("shared-state errors", fmt.Sprintf("%d (policy calls Redis could not serve)", s.SharedStateErrors))
	}
	if s.CacheHits+s.CacheMisses+s.CacheErrors > 0 {
		b.WriteString("\nResponse cache\n")
		row("hits / misses", fmt.Sprintf("%d / %d (a hit: no call, $0)", s.CacheHits, s.CacheMisses))
		if s.CacheErrors > 0 {
			row("cache errors", fmt.Sprintf("%d (reads and writes that failed; the items ran without the cache)", s.CacheErrors))
		}
	}
	return b.String()
}

// table writes the cost section: spend, waste and cost per success, and
// the items without a price ("unpriced", never $0).
func (c Cost) table(b *strings.Builder, row func(k, v string)) {
	b.WriteString("\nCost (US dollars)\n")
	if c.PricedItems == 0 {
		row("spent", "unpriced (no item's model has a price)")
	} else {
		row("spent", USD(c.SpentUSD))
		row("wasted", fmt.Sprintf("%s (%s of spent)", USD(c.WastedUSD), pct(c.WastedShare)))
		if c.PerSuccessUSD != nil {
			row("per successful item", USD(*c.PerSuccessUSD))
		} else {
			row("per successful item", "none succeeded")
		}
	}
	if c.UnpricedItems > 0 {
		names := make([]string, 0, len(c.UnpricedModels))
		for i, m := range c.UnpricedModels {
			if i == 3 {
				names = append(names, "…")
				break
			}
			names = append(names, m.Name)
		}
		row("unpriced", fmt.Sprintf("%d item(s), not counted above (the price table has no %s)", c.UnpricedItems, strings.Join(names, ", ")))
	}
}

// USD writes a dollar amount with the cents that matter: $12.35, $0.0412,
// $0.000083.
func USD(f float64) string {
	switch a := math.Abs(f); {
	case a == 0:
		return "$0"
	case a >= 10:
		return fmt.Sprintf("$%.2f", f)
	case a >= 0.01:
		return fmt.Sprintf("$%.4f", f)
	default:
		// Two significant digits.
		return fmt.Sprintf("$%.*f", 1-int(math.Floor(math.Log10(a))), f)
	}
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func msString(ms float64) string {
	switch {
	case ms >= 60_000:
		return fmt.Sprintf("%.1fmin", ms/60_000)
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	default:
		return fmt.Sprintf("%.1fms", ms)
	}
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
