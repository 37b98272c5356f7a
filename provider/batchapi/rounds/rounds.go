// Package rounds runs reask's repair → validate → re-ask loop in rounds of
// provider batches (OpenAI's Batch API, Anthropic's Message Batches, at
// half price). Each item runs reask's own loop, through a Provider that
// parks every request as a line of the current round; when every running
// item is parked or finished, the round is submitted as one batch, and its
// results wake the parked calls. Local repair, validation and field-level
// feedback then happen as in the direct loop, so round 2 holds only the
// items whose answers failed validation (with their conversations) and the
// lines the provider failed (without feedback).
//
// A run hands every round it sends to Config.OnRound (the batch ids, and
// a digest of each line's request); a later run of the same items given
// those rounds as Config.Resume re-attaches to the batches instead of
// paying for their lines again. The loop is deterministic given the
// answers, so the resumed run's items ask the same requests in the same
// rounds, and each takes its answer from the batch that holds it.
package rounds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/reask/reask/schema/dialect"
	"io"
	"net"
	"regexp"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/provider/batchapi"
)

// Defaults for a Config's zero fields.
const (
	// DefaultMaxRounds bounds the rounds of a run when Config.MaxRounds is 0.
	DefaultMaxRounds = 10
	// DefaultSubmitTimeout bounds a submission when Config.SubmitTimeout is 0.
	DefaultSubmitTimeout = 5 * time.Minute
	// DefaultAttachRetries is how many times in a row a batch's status or
	// results may fail in transport before its lines are given up, when
	// Config.AttachRetries is 0.
	DefaultAttachRetries = 5
)

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
	// ID is the caller's name for the item: any string, unique within the
	// run. Its lines' custom_id is derived from it (CustomID), the same in
	// every run, so that a resumed run finds its lines.
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
	// them, and BatchUsage and DirectUsage sum their tokens.
	Batch                   bool
	BatchCalls, DirectCalls int
	BatchUsage, DirectUsage reask.Usage
	// Round is the last round the item had a request in (from 1): the
	// round it finished in.
	Round int
	// Stopped reports that the run's own error (ctx ending, a server
	// without a batch API, OnRound failing) ended the item, not its
	// answers: Err is that error, and a resumed run runs it again.
	Stopped bool
}

// Stats describe a run.
type Stats struct {
	// Rounds is the number of rounds cut, direct ones included.
	Rounds int
	// Lines is the number of requests of each round.
	Lines []int
	// Direct reports, per round, whether its new requests went as direct
	// calls (FinishDirectUnder).
	Direct []bool
	// Batches is the number of batches submitted by this run.
	Batches int
	// Resumed is the number of rounds taken over from Config.Resume, and
	// Attached the number of their batches read again.
	Resumed, Attached int
}

// Progress is where a run is, for a progress display.
type Progress struct {
	// Round is the round being sent or awaited, from 1.
	Round int
	// Lines is its number of requests, and Batches of batches.
	Lines, Batches int
	// Completed and Failed count its batches' lines that the provider has
	// answered or failed so far, as its polls report them (a re-attached
	// batch counts the lines of finished items too), plus its direct calls.
	Completed, Failed int
	// Waiting reports that the round has been sent and its results are
	// awaited.
	Waiting bool
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
	// SubmitTimeout bounds a submission, which ctx ending does not
	// interrupt (a batch the provider created but whose id never reached
	// OnRound would be paid for twice); 0 means DefaultSubmitTimeout.
	SubmitTimeout time.Duration
	// AttachRetries is how many transport failures in a row (5xx, a
	// dropped connection) polling a batch or reading its results may meet
	// before its lines fail and are sent again; 0 means
	// DefaultAttachRetries. The wait between tries is the Poller's first
	// interval.
	AttachRetries int

	// Resume holds the rounds of an earlier run of the same items, as
	// OnRound was given them. Round n of this run takes each request that
	// round n of the earlier run sent (same custom_id, same digest) from
	// the earlier round's batch or direct answer, and sends only the
	// others; items are matched by ID, so the items the earlier run
	// finished may be left out.
	Resume []Round
	// OnRound, when set, is given each round n (from 1) once it is sent:
	// after its batches are submitted, before they are awaited, or once
	// its direct calls are answered. For a resumed round it is the earlier
	// round with what this run added, and is called only when this run
	// added something. Its error ends the run (the round could not be
	// recorded). It is called from one goroutine at a time.
	OnRound func(n int, r Round) error
	// OnResult, when set, is given each item's result as the item
	// finishes, from the item's goroutine (so concurrently); items the
	// run's error stopped (Result.Stopped) are not given to it.
	OnResult func(Result)
	// OnProgress, when set, is told where the run is; calls do not
	// overlap.
	OnProgress func(Progress)
}

// Run runs items in rounds of batches and returns their results, in the
// items' order, and the run's stats. The error is for the run as a whole:
// a bad Config or items (an id twice), a server without a batch API
// (matching batchapi.ErrUnsupported: use the direct mode), OnRound
// failing, or ctx ending; the items' own failures are in their Results.
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
	if cfg.Concurrency < 0 || cfg.MaxRounds < 0 || cfg.FinishDirectUnder < 0 || cfg.AttachRetries < 0 {
		return nil, Stats{}, errors.New("rounds: negative Concurrency, MaxRounds, FinishDirectUnder or AttachRetries")
	}
	ids := make(map[string]int, len(items))
	for i, it := range items {
		cid := CustomID(it.ID)
		if j, dup := ids[cid]; dup {
			return nil, Stats{}, fmt.Errorf("rounds: item %d: id %q is item %d's too; ids are unique in a run", i, it.ID, j)
		}
		ids[cid] = i
	}
	rc := cfg.Reask
	rc.NoBreaker, rc.NoRateLimit, rc.NoRetryBudget = true, true, true
	rc.CallTimeout = -1
	rc.Backoff = backoff.Policy{Base: time.Nanosecond, Max: time.Nanosecond, Jitter: backoff.NoJitter}
	b := &batcher{cfg: cfg, items: items, cut: make(chan struct{}, 1), results: make([]Result, len(items)),
		stopped: make([]bool, len(items))}
	if b.cfg.Name == "" {
		b.cfg.Name = "batch"
	}
	if b.cfg.SubmitTimeout <= 0 {
		b.cfg.SubmitTimeout = DefaultSubmitTimeout
	}
	if b.cfg.AttachRetries == 0 {
		b.cfg.AttachRetries = DefaultAttachRetries
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
			r.Stopped = err != nil && (b.stopped[i] || ctx.Err() != nil && errors.Is(err, ctx.Err()))
			res := *r
			b.mu.Unlock()
			if b.cfg.OnResult != nil && !res.Stopped {
				b.cfg.OnResult(res)
			}
			b.mu.Lock()
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
	item   int
	req    *reask.Request
	done   chan struct{}
	taken  bool // the driver has it in a round
	direct bool // it went as a direct call, or was one in the earlier run
	resp   *reask.Response
	err    error
}

// batcher is the reask.Provider of a run: Complete parks a request until
// its round has ended.
type batcher struct {
	cfg     Config
	items   []Item
	mu      sync.Mutex
	active  int // items running and not parked
	queue   []*parked
	cut     chan struct{}
	results []Result
	stopped []bool // the run's error ended the item
	stats   Stats
	fatal   error // the run failed: every later call fails with it

	pmu      sync.Mutex // serialises OnProgress
	progress Progress
}

var _ reask.Provider = (*batcher)(nil)

func (b *batcher) Name() string { return b.cfg.Name }

// schemaTarget is what a provider implements to be sent the schema in its
// dialect (see reask.Provider).
type schemaTarget interface {
	SchemaTarget(req *reask.Request) (dialect.Target, bool)
}

// SchemaTarget is the batch client's (openai's and anthropic's say their
// provider's), else Direct's: the loop rewrites a line's schema for the
// provider's dialect, strict where it qualifies, as for a direct call.
func (b *batcher) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	if st, ok := b.cfg.Client.(schemaTarget); ok {
		return st.SchemaTarget(req)
	}
	if st, ok := b.cfg.Direct.(schemaTarget); ok {
		return st.SchemaTarget(req)
	}
	return dialect.Target{}, false
}

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
		b.stopped[i] = true
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
		b.stopped[i] = true
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
		for _, p := range round {
			if p.resp == nil && p.err == nil {
				// The run ended before the line had a result.
				p.err = fatal
				b.stopped[p.item] = true
			}
			if p.resp != nil {
				r := &b.results[p.item]
				if p.direct {
					r.DirectUsage = r.DirectUsage.Add(p.resp.Usage)
				} else {
					r.BatchUsage = r.BatchUsage.Add(p.resp.Usage)
				}
			}
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

// report updates the progress with f and hands it to OnProgress.
func (b *batcher) report(f func(*Progress)) {
	if b.cfg.OnProgress == nil {
		return
	}
	b.pmu.Lock()
	defer b.pmu.Unlock()
	f(&b.progress)
	b.cfg.OnProgress(b.progress)
}

// round sends one round's requests and fills in their results; its error
// ends the run (every line it leaves without a result fails with it).
func (b *batcher) round(ctx context.Context, round []*parked) error {
	b.stats.Rounds++
	n := b.stats.Rounds
	var prior *Round
	if n <= len(b.cfg.Resume) {
		prior = &b.cfg.Resume[n-1]
		b.stats.Resumed++
	}
	rec := Round{Lines: map[string]string{}}
	if prior != nil {
		rec.Batches = append(rec.Batches, prior.Batches...)
		for k, v := range prior.Lines {
			rec.Lines[k] = v
		}
		for k, v := range prior.Answers {
			if rec.Answers == nil {
				rec.Answers = map[string]Answer{}
			}
			rec.Answers[k] = v
		}
	}
	// Sort the round's requests: answered by the earlier run (from its
	// direct answers or its batches), or new.
	var fromPrior, fresh []*parked
	ids := make(map[*parked]string, len(round))
	for _, p := range round {
		id, dig := CustomID(b.items[p.item].ID), digest(p.req)
		ids[p] = id
		if prior != nil {
			if a, ok := prior.Answers[id]; ok && a.Digest == dig {
				p.direct = true
				p.resp, p.err = a.result(b.cfg.Name)
				continue
			}
			if prior.Lines[id] == dig {
				fromPrior = append(fromPrior, p)
				continue
			}
		}
		rec.Lines[id] = dig
		fresh = append(fresh, p)
	}
	direct := len(fresh) > 0 && len(fresh) < b.cfg.FinishDirectUnder
	if direct {
		for _, p := range fresh {
			delete(rec.Lines, ids[p])
			p.direct = true
		}
	}
	b.stats.Lines = append(b.stats.Lines, len(round))
	b.stats.Direct = append(b.stats.Direct, direct)
	b.mu.Lock()
	for _, p := range round {
		r := &b.results[p.item]
		r.Round = n
		if p.direct {
			r.DirectCalls++
		} else {
			r.BatchCalls++
		}
	}
	b.mu.Unlock()
	b.report(func(pr *Progress) { *pr = Progress{Round: n, Lines: len(round)} })

	var batches []string // to read, with the lines each may answer
	lineSets := map[string]map[string]*parked{}
	if len(fromPrior) > 0 {
		set := make(map[string]*parked, len(fromPrior))
		for _, p := range fromPrior {
			set[ids[p]] = p
		}
		for _, id := range prior.Batches {
			batches = append(batches, id)
			lineSets[id] = set
		}
		b.stats.Attached += len(prior.Batches)
	}
	var submitErr error
	var submitted []*parked
	switch {
	case direct:
		if rec.Answers == nil {
			rec.Answers = map[string]Answer{}
		}
		var amu sync.Mutex
		var wg sync.WaitGroup
		for _, p := range fresh {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.resp, p.err = b.cfg.Direct.Complete(ctx, p.req)
				b.report(func(pr *Progress) {
					if p.err != nil {
						pr.Failed++
					} else {
						pr.Completed++
					}
				})
				if ctx.Err() == nil || p.err == nil {
					a := answerOf(p.resp, p.err)
					a.Digest = digest(p.req)
					amu.Lock()
					rec.Answers[ids[p]] = a
					amu.Unlock()
				}
			}()
		}
		wg.Wait()
		if err := b.record(n, rec); err != nil {
			return err
		}
	case len(fresh) > 0:
		lines := make([]batchapi.Line, len(fresh))
		for k, p := range fresh {
			lines[k] = batchapi.Line{CustomID: ids[p], Request: p.req}
		}
		// A submission outlives ctx (within SubmitTimeout): a batch the
		// provider created must reach OnRound, or a resumed run pays for
		// its lines again.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.SubmitTimeout)
		got, err := b.cfg.Client.Submit(sctx, lines)
		cancel()
		b.stats.Batches += len(got)
		if errors.Is(err, batchapi.ErrUnsupported) {
			return fmt.Errorf("rounds: %w", err)
		}
		if len(got) > 0 {
			rec.Batches = append(rec.Batches, got...)
			if rerr := b.record(n, rec); rerr != nil {
				return fmt.Errorf("%w (batches %v were submitted and are not recorded)", rerr, got)
			}
		}
		submitErr = err
		set := make(map[string]*parked, len(fresh))
		for _, p := range fresh {
			set[ids[p]] = p
		}
		for _, id := range got {
			batches = append(batches, id)
			lineSets[id] = set
		}
		submitted = fresh
	}
	b.report(func(pr *Progress) { pr.Batches, pr.Waiting = len(batches), true })
	// The lines of a batch that could not be read fail with its error; a
	// batch of the earlier run that cannot be read (gone, or its results
	// deleted) has its lines sent again.
	failed := map[*parked]error{}
	earlier := make(map[string]bool, len(batches))
	if prior != nil {
		for _, id := range prior.Batches {
			earlier[id] = true
		}
	}
	counts := map[string][2]int{}
	for _, id := range batches {
		set := lineSets[id]
		res, err := b.attach(ctx, id, counts)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			if earlier[id] {
				err = &reask.ProviderError{Provider: b.cfg.Name, Kind: reask.KindServer,
					Message: fmt.Sprintf("batch %s of the earlier run cannot be read, so its lines are sent again: %v", id, err)}
			}
			for _, p := range set {
				if _, ok := failed[p]; !ok {
					failed[p] = err
				}
			}
			continue
		}
		for _, r := range res {
			p, ok := set[r.CustomID]
			if !ok || p.resp != nil || p.err != nil {
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
	// The lines of batches that were not submitted fail with the submit
	// error (a retryable one retries in the next round); any other line no
	// batch answered for is missing, and retried.
	for _, p := range round {
		if p.resp != nil || p.err != nil {
			continue
		}
		switch err, ok := failed[p]; {
		case ok:
			p.err = err
		case submitErr != nil && contains(submitted, p):
			p.err = submitErr
		default:
			p.err = &reask.ProviderError{Provider: b.cfg.Name, Kind: reask.KindServer,
				Message: fmt.Sprintf("line %s: %v", ids[p], ErrLineMissing)}
		}
	}
	return nil
}

// record hands round n to OnRound.
func (b *batcher) record(n int, r Round) error {
	if b.cfg.OnRound == nil {
		return nil
	}
	if err := b.cfg.OnRound(n, r); err != nil {
		return fmt.Errorf("rounds: recording round %d: %w", n, err)
	}
	return nil
}

func contains(ps []*parked, p *parked) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// attach waits for batch id to end and reads its results, trying again
// over transport failures (AttachRetries in a row). counts keeps each
// batch's latest line counts for the progress.
func (b *batcher) attach(ctx context.Context, id string, counts map[string][2]int) ([]batchapi.Result, error) {
	poller := b.cfg.Poller
	user := poller.OnPoll
	poller.OnPoll = func(st batchapi.Status) {
		if user != nil {
			user(st)
		}
		b.report(func(pr *Progress) {
			c := counts[id]
			pr.Completed += st.Succeeded - c[0]
			pr.Failed += st.Failed - c[1]
			counts[id] = [2]int{st.Succeeded, st.Failed}
		})
	}
	clk := poller.Clock
	if clk == nil {
		clk = clock.System()
	}
	pause := poller.Initial
	if pause <= 0 {
		pause = batchapi.DefaultPollInitial
	}
	for tries := 0; ; tries++ {
		_, err := poller.Wait(ctx, b.cfg.Client, id)
		if err == nil || errors.Is(err, batchapi.ErrBatchCancelled) {
			// Cancelled by someone else: keep the finished lines; the
			// others fail for good (not a retryable error).
			break
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if !transient(err) || tries >= b.cfg.AttachRetries {
			return nil, fmt.Errorf("rounds: batch %s: %w", id, err)
		}
		if err := clk.Sleep(ctx, pause); err != nil {
			return nil, err
		}
	}
	for tries := 0; ; tries++ {
		res, err := b.cfg.Client.Results(ctx, id)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if !transient(err) || tries >= b.cfg.AttachRetries {
			return nil, fmt.Errorf("rounds: results of batch %s: %w", id, err)
		}
		d := pause
		var pe *reask.ProviderError
		if errors.As(err, &pe) && pe.RetryAfter > 0 {
			d = pe.RetryAfter
		}
		if err := clk.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// transient reports whether err is a failure of transport that may pass:
// a retryable provider error (429, 5xx) or a network error.
func transient(err error) bool {
	var pe *reask.ProviderError
	if errors.As(err, &pe) {
		k := pe.Kind
		if k == "" {
			k = reask.StatusKind(pe.StatusCode)
		}
		return k.Retryable()
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
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

// safeID is an id that can be a custom_id as it is (Anthropic's pattern,
// less the prefix).
var safeID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,62}$`)

// CustomID is the custom_id of item id's lines, the same in every run:
// "i_" and the id itself when it fits Anthropic's custom_id pattern
// (^[a-zA-Z0-9_-]{1,64}$), else "h_" and a digest of the id.
func CustomID(id string) string {
	if safeID.MatchString(id) {
		return "i_" + id
	}
	sum := sha256.Sum256([]byte(id))
	return "h_" + hex.EncodeToString(sum[:20])
}

// digest names a request by what the provider is sent: the same
// conversation, schema and parameters give the same digest.
func digest(req *reask.Request) string {
	b, err := json.Marshal(struct {
		Messages    []reask.Message `json:"messages"`
		Mode        reask.Mode      `json:"mode"`
		Schema      json.RawMessage `json:"schema,omitempty"`
		SchemaName  string          `json:"schema_name,omitempty"`
		Strict      bool            `json:"strict,omitempty"`
		Model       string          `json:"model,omitempty"`
		Temperature *float64        `json:"temperature,omitempty"`
		MaxTokens   int             `json:"max_tokens,omitempty"`
	}{req.Messages, req.Mode, req.Schema, req.SchemaName, req.Strict, req.Model, req.Temperature, req.MaxTokens})
	if err != nil {
		// A schema that is not JSON: no earlier round can match it.
		return "unencodable"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
