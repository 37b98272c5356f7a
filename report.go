package reask

import (
	"encoding/json"
	"math"
	"time"

	"github.com/reask/reask/cache"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
)

// Report tells what one extraction cost and what went wrong on the way. It
// is returned with every result and inside every *ExhaustedError. It never
// holds secrets.
//
// In JSON, as in batch records and statistics, durations are milliseconds
// (to the microsecond) in fields named *_ms.
type Report struct {
	// Provider is the Name of the provider that produced the final answer
	// (or was last tried).
	Provider string `json:"provider"`
	// Mode of the final attempt.
	Mode Mode `json:"mode"`
	// Attempts counts content attempts: answers received and checked. It is
	// at most Config.MaxAttempts (or the call's WithMaxAttempts).
	Attempts int `json:"attempts"`
	// Calls counts provider calls, including those that failed in transport
	// and were retried; Calls >= Attempts.
	Calls int `json:"calls"`
	// Outcome of the whole extraction: KindOK or the last failure's kind.
	Outcome Kind `json:"outcome"`
	// Records has one entry per attempt, in order.
	Records []Attempt `json:"records"`
	// Usage sums every call.
	Usage Usage `json:"usage"`
	// WastedTokens are the tokens spent on attempts whose answer was not
	// used (every attempt but the successful one).
	WastedTokens int `json:"wasted_tokens"`
	// CostUSD is what every call cost, in US dollars, priced by
	// Config.Prices; WastedCostUSD is the part spent on answers that were
	// not used (WastedTokens priced). Both are nil — "unpriced", null in
	// JSON, never $0 — when an attempt that spent tokens had no price, and
	// then Unpriced names its model.
	CostUSD       *float64 `json:"cost_usd"`
	WastedCostUSD *float64 `json:"wasted_cost_usd"`
	Unpriced      string   `json:"unpriced,omitempty"`
	// Backoff is the total time spent waiting before retries (backoff,
	// Retry-After, rate-limit pacing).
	Backoff time.Duration `json:"backoff_ms"`
	// BreakerTrips counts the times one of this extraction's failed calls
	// opened its provider's circuit breaker; summed over a run's reports
	// it is the run's number of trips.
	BreakerTrips int `json:"breaker_trips,omitempty"`
	// SharedStateErrors counts the policy calls of this extraction that
	// the shared state (Config.Shared) could not serve: each fell back to
	// the local policy, or refused the call when the store fails closed.
	// Summed over a run's reports it is the run's count.
	SharedStateErrors int `json:"shared_state_errors,omitempty"`
	// Duration is the wall time of the whole extraction.
	Duration time.Duration `json:"duration_ms"`
	// Switches lists every change of strategy, in order: of mode, model or
	// feedback by the adaptive strategy and patch re-asks, and each restart
	// of a batch item that the open circuit stopped.
	Switches []Switch `json:"switches,omitempty"`
	// Plain is set in the report of a plain call (Client.Send: one
	// request, its answer not checked) and false in an extraction's, so
	// that what reads reports (metrics, dashboards) is told which it was.
	Plain bool `json:"plain,omitempty"`
	// Insisted lists the invalid values the model kept giving when the
	// extraction stopped early for it (ErrInsisted, see Config.KeepOnRepeat);
	// AttemptsSaved is the attempts it did not spend. Both are empty
	// otherwise.
	Insisted      []Repeat `json:"insisted,omitempty"`
	AttemptsSaved int      `json:"attempts_saved,omitempty"`
	// Dialect is the JSON Schema dialect the final attempt's provider was
	// sent the schema in, as the provider says it takes schemas (package
	// schema/dialect: "openai-strict", "anthropic", "gemini", …); zero when
	// the schema went as it is. Relaxed lists the constraints of the
	// task's schema that the rewrite for it relaxed or left out, each with
	// its JSON Pointer and the reason — and why strict decoding is off,
	// when it is: the provider does not enforce them, reask's validation
	// and feedback do.
	Dialect dialect.Dialect  `json:"dialect,omitempty"`
	Relaxed []dialect.Change `json:"relaxed,omitempty"`
	// Cache is what Config.Cache did: cache.Hit (the result was stored,
	// no call was made, Calls is 0 and the cost $0) or cache.Miss; empty
	// without a cache. CacheErrors counts the reads and writes of the
	// cache that failed (each logged): the extraction went on without it.
	Cache       cache.Outcome `json:"cache,omitempty"`
	CacheErrors int           `json:"cache_errors,omitempty"`
}

// Repeat is an invalid value a model gave again, unchanged, after feedback
// that named its field.
type Repeat struct {
	// Path is the field's JSON Pointer; Keyword the schema keyword its
	// value violates and Problem what is wrong, as in schema.Violation.
	Path    string `json:"path"`
	Keyword string `json:"keyword"`
	Problem string `json:"problem"`
	// Value is the value given, as canonical JSON (object members sorted,
	// numbers by value) shortened to 200 bytes; empty when the field is
	// absent.
	Value string `json:"value,omitempty"`
	// Times counts the consecutive answers that gave it, the first one
	// included.
	Times int `json:"times"`
}

// Repairs returns every local fix applied over all attempts.
func (r *Report) Repairs() []repair.Fix {
	var out []repair.Fix
	for _, a := range r.Records {
		out = append(out, a.Repairs...)
	}
	return out
}

// Attempt records one content attempt: the calls it took and what became of
// its answer.
type Attempt struct {
	// Number counts from 1.
	Number int `json:"number"`
	// Provider and Mode used for this attempt.
	Provider string `json:"provider"`
	Mode     Mode   `json:"mode"`
	// Outcome is KindOK, a content failure kind, or the transport failure
	// that ended the attempt.
	Outcome Kind `json:"outcome"`
	// Message explains a failure in one line.
	Message string `json:"message,omitempty"`
	// Calls are the provider calls of this attempt; all but the last failed
	// in transport.
	Calls []Call `json:"calls"`
	// Repairs applied to this attempt's answer.
	Repairs []repair.Fix `json:"repairs,omitempty"`
	// Violations of the schema (or of Validate) by this attempt's answer.
	Violations []schema.Violation `json:"violations,omitempty"`
	// Usage of this attempt's calls.
	Usage Usage `json:"usage"`
	// Model is the model that answered, as the provider named it
	// (Response.Model), else the provider's name; CostUSD is what the
	// answer cost, nil when the model has no price.
	Model   string   `json:"model,omitempty"`
	CostUSD *float64 `json:"cost_usd,omitempty"`
	// FinishReason is why the answer ended, as the provider said
	// (Response.FinishReason: "stop", "length", …); empty when no answer
	// came back.
	FinishReason string `json:"finish_reason,omitempty"`
	// Raw is the answer as received, shortened for the report.
	Raw string `json:"raw,omitempty"`
	// Duration of the attempt, calls and waits included.
	Duration time.Duration `json:"duration_ms"`
}

// Call records one provider call.
type Call struct {
	// Outcome is KindOK when an answer came back, else the transport failure.
	Outcome Kind `json:"outcome"`
	// Status is the HTTP status when the provider answered with an error.
	Status int `json:"status,omitempty"`
	// Message explains a failure.
	Message string `json:"message,omitempty"`
	// Waited is the time spent waiting before this call (backoff,
	// Retry-After, rate-limit pacing).
	Waited time.Duration `json:"waited_ms,omitempty"`
	// Duration of the call itself.
	Duration time.Duration `json:"duration_ms"`
	// RequestID is the provider's request id.
	RequestID string `json:"request_id,omitempty"`
}

// Switch records a change of strategy between attempts.
type Switch struct {
	// After is the attempt number after which the switch was made.
	After int `json:"after"`
	// What changed:
	//   - "mode": the request mode (From and To are Mode values), after
	//     repeated JSON syntax failures;
	//   - "model": the provider (From and To are provider names), after a
	//     transport failure, an open circuit or a field that kept failing;
	//   - "feedback": the kind of re-ask — "field list" to "schema fragment
	//     for /path" when a field failed twice, "full re-ask" to "patch
	//     re-ask" when only a few fields are invalid, and "patch re-ask" to
	//     "full re-ask" when the patched answer did not validate;
	//   - "restart": Client.Batch ran an item again once the circuit that
	//     stopped it admitted calls (From and To are the provider).
	What string `json:"what"`
	// From and To say what it changed from and to, in a few words.
	From string `json:"from"`
	To   string `json:"to"`
	// Reason in a few words.
	Reason string `json:"reason"`
}

// The JSON forms below write each time.Duration (which encoding/json
// writes as integer nanoseconds) as float milliseconds under the field's
// own name: a field of the outer struct hides the embedded one of the same
// JSON name, and points at the same duration, so that one form serves to
// write and to read.

func (r *Report) jsonForm() any {
	type plain Report
	return &struct {
		*plain
		Backoff  *millis `json:"backoff_ms"`
		Duration *millis `json:"duration_ms"`
	}{(*plain)(r), (*millis)(&r.Backoff), (*millis)(&r.Duration)}
}

// MarshalJSON writes the durations in milliseconds.
func (r Report) MarshalJSON() ([]byte, error) { return json.Marshal(r.jsonForm()) }

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Report) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, r.jsonForm()) }

func (a *Attempt) jsonForm() any {
	type plain Attempt
	return &struct {
		*plain
		Duration *millis `json:"duration_ms"`
	}{(*plain)(a), (*millis)(&a.Duration)}
}

// MarshalJSON writes the duration in milliseconds.
func (a Attempt) MarshalJSON() ([]byte, error) { return json.Marshal(a.jsonForm()) }

// UnmarshalJSON reads what MarshalJSON writes.
func (a *Attempt) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, a.jsonForm()) }

func (c *Call) jsonForm() any {
	type plain Call
	return &struct {
		*plain
		Waited   *millis `json:"waited_ms,omitzero"`
		Duration *millis `json:"duration_ms"`
	}{(*plain)(c), (*millis)(&c.Waited), (*millis)(&c.Duration)}
}

// MarshalJSON writes the durations in milliseconds.
func (c Call) MarshalJSON() ([]byte, error) { return json.Marshal(c.jsonForm()) }

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Call) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, c.jsonForm()) }

// millis is a duration written in JSON as milliseconds, to the microsecond.
type millis time.Duration

func (m millis) IsZero() bool { return m == 0 }

func (m millis) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Duration(m).Microseconds()) / 1000)
}

func (m *millis) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return err
	}
	*m = millis(time.Duration(math.Round(ms*1000)) * time.Microsecond)
	return nil
}

// MarshalIndent renders the report as indented JSON.
func (r *Report) MarshalIndent() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}
