package reask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/concurrency"
	"github.com/reask/reask/shared"
)

// BatchConfig configures Client.Batch.
type BatchConfig struct {
	// Concurrency is the most items in flight at once. Default 8.
	Concurrency int
	// FixedConcurrency turns adaptive concurrency off. By default the batch
	// cuts the number of items in flight when the provider answers 429 or
	// is overloaded, and grows it back slowly (AIMD), up to Concurrency, so
	// a batch launched with too much concurrency settles at what the
	// provider takes.
	FixedConcurrency bool
	// FinishInFlight lets items already started run to their end when ctx
	// is cancelled; by default they are aborted. Either way no new item
	// starts after cancellation.
	FinishInFlight bool
}

// A batch pauses while its provider is down: an item the open circuit
// breaker stops waits until the breaker admits calls again and runs anew,
// instead of failing in a microsecond as a single call does. So does an
// item refused because the shared state (Config.Shared) fails closed and
// cannot be used: it runs anew every sharedStateWait until the state
// answers. Items that failed for any other reason fail as usual.

// BatchResult is the outcome of one batch item.
type BatchResult struct {
	// Index is the item's position in the input, from 0.
	Index int
	// ID is the item's id, as the input gave it.
	ID string
	// JSON is the valid document, nil when Err is set.
	JSON json.RawMessage
	// Report describes the item's extraction; never nil.
	Report *Report
	// Err is why the item failed, as Run returns it.
	Err error
}

// Batch runs many tasks through the client with bounded, adaptive
// concurrency, yielding each result as it completes (not in input order).
// All items share the client's policies: rate limiter, circuit breaker,
// retry budget. Cancelling ctx stops new items from starting; stopping the
// iteration (break) aborts the items in flight. The iterator returns after
// every goroutine it started has ended. tasks is read from one goroutine,
// one item at a time, as slots free up.
func (c *Client) Batch(ctx context.Context, tasks iter.Seq2[string, Task], cfg BatchConfig, opts ...Option) iter.Seq[BatchResult] {
	return func(yield func(BatchResult) bool) {
		n := cfg.Concurrency
		if n <= 0 {
			n = DefaultBatchConcurrency
		}
		ccfg := concurrency.Config{Min: 1, Max: n, Initial: n}
		if cfg.FixedConcurrency {
			ccfg.Min = n
		}
		lim, err := concurrency.New(ccfg)
		if err != nil {
			yield(BatchResult{Index: -1, Report: &Report{}, Err: fmt.Errorf("%w: %w", ErrInvalidInput, err)})
			return
		}
		// abort ends in-flight items when the consumer stops early (and,
		// unless FinishInFlight, when ctx ends).
		itemBase := ctx
		if cfg.FinishInFlight {
			itemBase = context.WithoutCancel(ctx)
		}
		itemCtx, abort := context.WithCancel(itemBase)
		defer abort()
		stopLaunch, stop := context.WithCancel(ctx)
		defer stop()

		results := make(chan BatchResult)
		var wg sync.WaitGroup
		go func() {
			defer close(results)
			defer wg.Wait()
			i := 0
			for id, t := range tasks {
				release, err := lim.Acquire(stopLaunch)
				if err != nil {
					return
				}
				if ctx.Err() != nil || stopLaunch.Err() != nil {
					// Acquire may hand out a slot freed at the moment the
					// batch was stopped: start nothing more. ctx is checked
					// too: cancelling it cancels its children in no set
					// order, so an item may end (and free its slot) before
					// stopLaunch hears of it.
					release(concurrency.Ignored)
					return
				}
				wg.Add(1)
				go func(i int, id string, t Task) {
					defer wg.Done()
					doc, rep, err := c.runPatiently(itemCtx, t, opts)
					release(overloadOf(rep))
					// Never blocks for good: a consumer that stops drains.
					results <- BatchResult{Index: i, ID: id, JSON: doc, Report: rep, Err: err}
				}(i, id, t)
				i++
			}
		}()
		for r := range results {
			if !yield(r) {
				stop()
				abort()
				for range results {
					// Drain so that every goroutine can end.
				}
				return
			}
		}
	}
}

// overloadOf tells the adaptive concurrency how an item went: overload when
// the provider pushed back (429, 5xx overload), success otherwise.
func overloadOf(rep *Report) concurrency.Outcome {
	if rep == nil {
		return concurrency.Ignored
	}
	for _, a := range rep.Records {
		for _, c := range a.Calls {
			if c.Outcome == KindRateLimit || c.Status == 529 || c.Status == 503 {
				return concurrency.Overload
			}
		}
	}
	return concurrency.Success
}

// runPatiently runs t; when the circuit breaker stops it — before any call,
// or between the retries of one — it waits (on the call's clock) until the
// breaker may admit calls again and runs t anew. The report then covers
// every run: calls, attempts, tokens (those of the interrupted runs count as
// wasted), the waits as backoff, and a "restart" switch per rerun.
func (c *Client) runPatiently(ctx context.Context, t Task, opts []Option) (json.RawMessage, *Report, error) {
	var prev *Report
	for {
		doc, rep, err := c.Run(ctx, t, opts...)
		refused := rep.Calls == 0
		if prev != nil {
			rep = mergeReports(prev, rep)
		}
		var oe *breaker.OpenError
		closed := errors.Is(err, shared.ErrFailClosed)
		if err == nil || !closed && !errors.As(err, &oe) {
			return doc, rep, err
		}
		clk := c.clockFor(opts)
		wait := sharedStateWait
		reason := "shared state unavailable and failing closed; run again once it answers"
		if !closed {
			wait = oe.Until.Sub(clk.Now())
			// Half-open with every probe slot taken: look again shortly.
			wait = min(max(wait, 50*time.Millisecond), maxCircuitWait)
			reason = "circuit open; run again once it admits calls"
		}
		if serr := clk.Sleep(ctx, wait); serr != nil {
			return doc, rep, err
		}
		rep.Backoff += wait
		if refused && prev != nil {
			// A refusal costs nothing: keep only the wait.
			rep.Records, rep.Attempts = rep.Records[:len(rep.Records)-1], rep.Attempts-1
		} else if refused {
			rep.Records, rep.Attempts = nil, 0
		} else {
			rep.Switches = append(rep.Switches, Switch{After: rep.Attempts, What: "restart", From: rep.Provider, To: rep.Provider,
				Reason: reason})
		}
		prev = rep
	}
}

// mergeReports folds an interrupted run's report into the next run's.
func mergeReports(prev, next *Report) *Report {
	out := *next
	out.Records = append(append([]Attempt(nil), prev.Records...), next.Records...)
	out.Attempts += prev.Attempts
	out.Calls += prev.Calls
	out.Usage = out.Usage.Add(prev.Usage)
	out.WastedTokens += prev.Usage.TotalTokens
	mergeCost(&out, prev)
	out.Backoff += prev.Backoff
	out.BreakerTrips += prev.BreakerTrips
	out.SharedStateErrors += prev.SharedStateErrors
	out.CacheErrors += prev.CacheErrors
	out.Duration += prev.Duration
	out.Switches = append(append([]Switch(nil), prev.Switches...), next.Switches...)
	return &out
}

// maxCircuitWait bounds one wait for an open circuit, so that a batch looks
// again at least this often.
const maxCircuitWait = 5 * time.Second

// sharedStateWait is how long a batch item refused by a fail-closed shared
// state waits before it runs again: fleet.DefaultRecheck, the interval at
// which a store that failed lets a call try Redis again.
const sharedStateWait = time.Second

// clockFor returns the clock a call with opts uses.
func (c *Client) clockFor(opts []Option) clock.Clock {
	if clk := c.settings(opts).clock; clk != nil {
		return clk
	}
	return clock.System()
}
