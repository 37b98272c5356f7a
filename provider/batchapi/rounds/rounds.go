// Package rounds runs reask's repair → validate → re-ask loop in rounds of
// provider batches (OpenAI's Batch API, Anthropic's Message Batches, at
// half price). Each item runs reask's own loop, through a Provider that
// parks every request as a line of the current round; when every running
// item is parked or finished, the round is submitted as one batch, and its
// results wake the parked calls. Local repair, validation and field-level
// feedback then happen as in the direct loop, so round 2 holds only the
// items whose answers failed validation (with their conversations) and the
// lines the provider failed (without feedback).
package rounds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/provider/batchapi"
)

// DefaultMaxRounds bounds the rounds of a run when Config.MaxRounds is 0.
const DefaultMaxRounds = 10

// Errors of a run.
var (
	// ErrMaxRounds: an item still had a request to send when the run's
	// MaxRounds were spent.
	ErrMaxRounds = errors.New("rounds: the run's rounds are spent")
	// ErrLineMissing: a submitted line had no result in its batch's
	// results; it is retried in the next round.
	ErrLineMissing = errors.New("rounds: the batch's results hold no result for the line")
)

// Item is one extraction of a run.
type Item struct {
	// ID is the caller's name for the item; any string (the batch lines
	// get their own safe custom_ids).
	ID string
	// Task is what reask runs for it.
	Task reask.Task
	// Options vary its run.
	Options []reask.Option
}

// Result is what became of one item.
type Result struct {
	ID     string
	Value  json.RawMessage
	Report *reask.Report
	Err    error
	// Batch reports that at least one of its calls went through the
	// batch API (at the discounted price); BatchCalls and DirectCalls count
	// them.
	Batch                   bool
	BatchCalls, DirectCalls int
}

// Stats describe a run.
type Stats struct {
	// Rounds is the number of rounds cut, direct ones included.
	Rounds int
	// Lines is the number of requests of each round.
	Lines []int
	// Direct reports, per round, whether it went as direct calls
	// (FinishDirectUnder).
	Direct []bool
	// Batches is the number of batches submitted.
	Batches int
}

// Config configures a run. Client is required.
type Config struct {
	// Client is the provider's batch API.
	Client batchapi.Client
	// Name is the provider's name in reports; default "batch".
	Name string
	// Poller waits for each batch (its Clock and intervals).
	Poller batchapi.Poller
	// Reask configures each item's loop (attempts, mode, repair, …). The
	// run overrides what the batch API makes pointless: no breaker, rate
	// limiter or retry budget (the batch API has its own pool), no call
	// timeout (a call lasts a whole batch) and near-zero backoff (a retry
	// waits for the next round anyway). Fallbacks are refused.
	Reask reask.Config
	// Concurrency caps the items running at once (so the lines of a
	// round); 0 means all items.
	Concurrency int
	// MaxRounds bounds the rounds; 0 means DefaultMaxRounds. Requests left
	// after the last round fail with ErrMaxRounds.
	MaxRounds int
	// FinishDirectUnder sends a round of fewer than this many requests as
	// direct calls through Direct instead of a batch; 0 never does.
	FinishDirectUnder int
	// Direct is the provider for FinishDirectUnder; required with it.
	Direct reask.Provider
}

// Run runs items in rounds of batches and returns their results, in the
// items' order, and the run's stats. The error is for the run as a whole:
// a bad Config, a server without a batch API (matching
// batchapi.ErrUnsupported: use the direct mode), or ctx ending; the items'
// own failures are in their Results.
func Run(ctx context.Context, cfg Config, items []Item) ([]Result, Stats, error) {
	if cfg.Client == nil {
		return nil, Stats{}, errors.New("rounds: no batch client")
	}
	if cfg.FinishDirectUnder > 0 && cfg.Direct == nil {
		return nil, Stats{}, errors.New("rounds: FinishDirectUnder needs a Direct provider")
	}
	if len(cfg.Reask.Fallbacks) > 0 {
		return nil, Stats{}, errors.New("rounds: Reask.Fallbacks are direct providers; a run in rounds has none (use FinishDirectUnder)")
	}
	if cfg.Concurrency < 0 || cfg.MaxRounds < 0 || cfg.FinishDirectUnder < 0 {
		return nil, Stats{}, errors.New("rounds: negative Concurrency, MaxRounds or FinishDirectUnder")
	}
	rc := cfg.Reask
	rc.NoBreaker, rc.NoRateLimit, rc.NoRetryBudget = true, true, true
	rc.CallTimeout = -1
	rc.Backoff = backoff.Policy{Base: time.Nanosecond, Max: time.Nanosecond, Jitter: backoff.NoJitter}
	b := &batcher{cfg: cfg, cut: make(chan struct{}, 1), results: make([]Result, len(items))}
	if b.cfg.Name == "" {
		b.cfg.Name = "batch"
	}
	client, err := reask.New(b, rc)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("rounds: %w", err)
	}
	limit := cfg.Concurrency
	if limit == 0 || limit > len(items) {
		limit = len(items)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var start func(i int)
	next := limit
	start = func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := items[i]
			v, rep, err := client.Run(context.WithValue(ctx, itemKey{}, i), it.Task, it.Options...)
			b.mu.Lock()
			r := &b.results[i]
			r.ID, r.Value, r.Report, r.Err = it.ID, v, rep, err
			r.Batch = r.BatchCalls > 0
			b.active--
			if next < len(items) {
				n := next
				next++
				b.active++
				b.mu.Unlock()
				start(n)
				return
			}
			b.signal()
			b.mu.Unlock()
		}()
	}
	b.mu.Lock()
	b.active = limit
	b.mu.Unlock()
	for i := range limit {
		start(i)
	}
	// A fatal error fails every parked and later call (b.fatal), so the
	// items end on their own, with that error rather than a cancellation.
	runErr := b.drive(ctx, len(items) == 0)
	wg.Wait()
	return b.results, b.stats, runErr
}

type itemKey struct{}

// parked is one request waiting for its round.
type parked struct {
	item  int
	req   *reask.Request
	done  chan struct{}
	taken bool // the driver has it in a round
	resp  *reask.Response
	err   error
}

// batcher is the reask.Provider of a run: Complete parks a request until
// its round has ended.
type batcher struct {
	cfg     Config
	mu      sync.Mutex
	active  int // items running and not parked
	queue   []*parked
	cut     chan struct{}
	results []Result
	stats   Stats
	fatal   error // the run failed: every later call fails with it
}

var _ reask.Provider = (*batcher)(nil)

func (b *batcher) Name() string { return b.cfg.Name }

// signal wakes the driver when the barrier is reached; b.mu is held.
func (b *batcher) signal() {
	if b.active == 0 {
		select {
		case b.cut <- struct{}{}:
		default:
		}
	}
}

// Complete parks req as a line of the current round and returns its
// result once the round has ended.
func (b *batcher) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	i, ok := ctx.Value(itemKey{}).(int)
	if !ok {
		return nil, errors.New("rounds: Complete called outside a run")
	}
	p := &parked{item: i, req: req, done: make(chan struct{})}
	b.mu.Lock()
	if b.fatal != nil {
		b.mu.Unlock()
		return nil, b.fatal
	}
	b.queue = append(b.queue, p)
	b.active--
	b.signal()
	b.mu.Unlock()
	select {
	case <-p.done:
		return p.resp, p.err
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if !p.taken {
			for j, q := range b.queue {
				if q == p {
					b.queue = append(b.queue[:j], b.queue[j+1:]...)
					break
				}
			}
			b.active++
		}
		return nil, ctx.Err()
	}
}

// drive cuts rounds until every item has finished.
func (b *batcher) drive(ctx context.Context, empty bool) error {
	if empty {
		return nil
	}
	maxRounds := b.cfg.MaxRounds
	if maxRounds == 0 {
		maxRounds = DefaultMaxRounds
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.cut:
		}
		b.mu.Lock()
		if b.active > 0 {
			b.mu.Unlock()
			continue
		}
		round := b.queue
		b.queue = nil
		for _, p := range round {
			p.taken = true
		}
		b.mu.Unlock()
		if len(round) == 0 {
			return nil // every item has finished
		}
		var fatal error
		if b.stats.Rounds >= maxRounds {
			err := fmt.Errorf("%w (%d)", ErrMaxRounds, maxRounds)
			for _, p := range round {
				p.err = err
			}
		} else {
			fatal = b.round(ctx, round)
		}
		b.mu.Lock()
		if fatal != nil {
			b.fatal = fatal
		}
		b.active += len(round)
		b.mu.Unlock()
		for _, p := range round {
			close(p.done)
		}
		if fatal != nil {
			return fatal
		}
	}
}

// round sends one round's requests and fills in their results; its error
// ends the run.
func (b *batcher) round(ctx context.Context, round []*parked) error {
	b.stats.Rounds++
	b.stats.Lines = append(b.stats.Lines, len(round))
	direct := len(round) < b.cfg.FinishDirectUnder
	b.stats.Direct = append(b.stats.Direct, direct)
	b.mu.Lock()
	for _, p := range round {
		if direct {
			b.results[p.item].DirectCalls++
		} else {
			b.results[p.item].BatchCalls++
		}
	}
	b.mu.Unlock()
	if direct {
		var wg sync.WaitGroup
		for _, p := range round {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.resp, p.err = b.cfg.Direct.Complete(ctx, p.req)
			}()
		}
		wg.Wait()
		return nil
	}
	lines := make([]batchapi.Line, len(round))
	byID := make(map[string]*parked, len(round))
	for k, p := range round {
		id := "item-" + strconv.Itoa(p.item) // unique per round, Anthropic-safe
		lines[k] = batchapi.Line{CustomID: id, Request: p.req}
		byID[id] = p
	}
	fail := func(err error) {
		for _, p := range byID {
			if p.resp == nil && p.err == nil {
				p.err = err
			}
		}
	}
	ids, err := b.cfg.Client.Submit(ctx, lines)
	b.stats.Batches += len(ids)
	if err != nil {
		if errors.Is(err, batchapi.ErrUnsupported) {
			err = fmt.Errorf("rounds: %w", err)
			fail(err)
			return err
		}
		// The lines of batches that were submitted are still read below;
		// the others fail with the submit error (a retryable one retries
		// in the next round).
		if len(ids) == 0 {
			fail(err)
			return nil
		}
		defer fail(err)
	}
	for _, id := range ids {
		_, werr := b.cfg.Poller.Wait(ctx, b.cfg.Client, id)
		switch {
		case errors.Is(werr, batchapi.ErrBatchCancelled):
			// Cancelled by someone else: keep the finished lines, fail the
			// others for good (not a retryable error).
		case werr != nil:
			if ctx.Err() != nil {
				return werr
			}
			fail(fmt.Errorf("rounds: batch %s: %w", id, werr))
			continue
		}
		res, rerr := b.cfg.Client.Results(ctx, id)
		if rerr != nil {
			fail(fmt.Errorf("rounds: results of batch %s: %w", id, rerr))
			continue
		}
		for _, r := range res {
			p, ok := byID[r.CustomID]
			if !ok {
				continue
			}
			p.resp, p.err = r.Response, lineErr(b.cfg.Name, id, r.Err)
			if p.resp != nil {
				p.resp.Batch = true // priced at the batch discount
			}
			if p.resp == nil && p.err == nil {
				p.err = lineErr(b.cfg.Name, id, ErrLineMissing)
			}
		}
	}
	// Lines no batch answered for.
	for id, p := range byID {
		if p.resp == nil && p.err == nil {
			p.err = &reask.ProviderError{Provider: b.cfg.Name, Kind: reask.KindServer,
				Message: fmt.Sprintf("line %s: %v", id, ErrLineMissing)}
		}
	}
	return nil
}

// lineErr turns a line's error into what the loop should make of it: an
// expired or missing line is retryable (next round), a cancelled one is
// final.
func lineErr(name, batch string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, batchapi.ErrLineExpired), errors.Is(err, ErrLineMissing):
		return &reask.ProviderError{Provider: name, Kind: reask.KindServer, Message: fmt.Sprintf("batch %s: %v", batch, err)}
	case errors.Is(err, batchapi.ErrLineCancelled):
		return fmt.Errorf("rounds: batch %s was cancelled (not by this run): %w", batch, batchapi.ErrBatchCancelled)
	}
	return err
}
