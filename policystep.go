package reask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
)

// A step is one policy every call of a send goes through: the circuit
// breaker, the rate limiter, the retry budget. A policy kept elsewhere (in
// a store that several processes share) is another implementation of the
// same interface; the loop in send does not change.
type step interface {
	// before is asked before each call. It may wait (adding what it waited
	// to t.waited) or refuse the call with an error. When it admits the
	// call, it returns after, which is called exactly once with what came
	// of it: the answer, or a verdict of notSent when a later step refused
	// the call. For a verdict of retrying, an error from after refuses the
	// retry and ends the send with it (the retry budget's refusal); for
	// any other verdict after returns nil. A nil after means the step has
	// nothing to learn.
	before(ctx context.Context, t *try) (after func(context.Context, *outcome) error, err error)
}

// try is one call of a send, as the steps see it.
type try struct {
	clock  clock.Clock
	tokens int           // the call's estimated prompt and completion tokens
	waited time.Duration // how long the steps made the call wait; before adds to it
	// sharedErrors counts the policy calls the shared state could not
	// serve (Report.SharedStateErrors); nil: not counted. mu guards it:
	// the shared steps tell the shared state of an outcome at once.
	sharedErrors *int
	mu           sync.Mutex
	// local is set, during admission, by a shared step whose store did not
	// answer (fail-open): the later steps use their local policies at once,
	// so that a call waits for at most one Redis timeout before it is sent.
	local bool
}

// outcome is what came of a call, and what the send makes of it.
type outcome struct {
	at   time.Time // when the answer came, or the call was refused
	resp *Response // the answer, if any
	err  error     // the call's error, if any
	pe   *ProviderError
	kind Kind

	// verdict is decided by the send before the steps hear of the call.
	verdict verdict
	// hold is set, for a retry, by a step that waits it out itself: the
	// send then calls it with the retry's delay instead of sleeping, and
	// does not charge the retry to the budget. The limiter does so for a
	// 429 of a spent quota, and holds every call to the provider.
	hold func(delay time.Duration)
	// tripped is set by a step whose circuit the call opened.
	tripped bool
	// pending holds what the steps' afters still tell the shared state
	// (a round trip each, run at once rather than one after the other);
	// the chain's after waits for it before returning. nil: run at once
	// (see later).
	pending *sync.WaitGroup
}

// later runs fn, what a step's after tells the shared state, in its own
// goroutine when the chain waits for it (pending), else at once.
func (o *outcome) later(fn func()) {
	if o.pending == nil {
		fn()
		return
	}
	o.pending.Go(fn)
}

// verdict is what a send makes of a call.
type verdict int

const (
	notSent  verdict = iota // a later step refused the call
	answered                // the provider answered
	failed                  // retrying cannot help, or the caller's time is up
	gaveUp                  // a retry could help, but a retry limit is reached
	retrying                // the call is sent again unless a step's after refuses
)

// chain is the steps of one provider's calls, in order: admission goes
// through them first to last, and so does the outcome, so that a later
// step sees what an earlier one decided (the budget sees the limiter's
// hold).
type chain []step

// admit asks every step, in order, to admit a call. When one refuses, those
// that admitted it are released — their afters called, last first, with
// the verdict notSent — and its error is returned. Otherwise admit returns
// the function that tells every step, in order, what came of the call: it
// returns the first error an after returned (a refused retry), after
// calling them all.
func (c chain) admit(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	t.local = false
	afters := make([]func(context.Context, *outcome) error, 0, len(c))
	for _, s := range c {
		after, err := s.before(ctx, t)
		if err != nil {
			o := &outcome{at: t.clock.Now(), verdict: notSent, pending: new(sync.WaitGroup)}
			for i := len(afters) - 1; i >= 0; i-- {
				afters[i](ctx, o) // a call not sent has no retry to refuse
			}
			o.pending.Wait()
			return nil, err
		}
		if after != nil {
			afters = append(afters, after)
		}
	}
	return func(ctx context.Context, o *outcome) error {
		o.pending = new(sync.WaitGroup)
		defer func() { o.pending = nil }()
		var first error
		for _, after := range afters {
			if err := after(ctx, o); err != nil && first == nil {
				first = err
			}
		}
		o.pending.Wait()
		return first
	}, nil
}

// stepsFor returns the steps of calls to provider: breaker, limiter,
// budget, each left out when off. The breaker admits a call before the
// limiter makes it wait, so that an open circuit fails fast; the limiter
// hears the outcome before the budget, which does not charge a retry the
// limiter holds.
//
// A provider with shared policies (Config.Shared) gets the shared steps
// instead, in the same order, each falling back to the local one.
func (p *policies) stepsFor(provider string) chain {
	if sp := p.shared[provider]; sp != nil {
		return p.sharedSteps(provider, sp)
	}
	var c chain
	if p.breakers != nil {
		c = append(c, breakerStep{set: p.breakers, provider: provider, count429: p.breaker429})
	}
	if l := p.limiterFor(provider); l != nil {
		c = append(c, limiterStep{l})
	}
	if b := p.budgetFor(provider); b != nil {
		c = append(c, budgetStep{b: b, provider: provider})
	}
	return c
}

// breakerStep asks the provider's circuit breaker before each call and
// counts the outcome in it.
type breakerStep struct {
	set      *breaker.Set
	provider string
	count429 bool // 429s count as failures (WithBreakerOnRateLimits)
}

func (s breakerStep) before(_ context.Context, t *try) (func(context.Context, *outcome) error, error) {
	ticket, err := s.set.Allow(s.provider, t.clock.Now())
	if err != nil {
		return nil, circuitOpen(s.provider, err)
	}
	return func(_ context.Context, o *outcome) error {
		if ticket.Done(o.at, s.count(o)) {
			o.tripped = true
		}
		return nil
	}, nil
}

// count says how an outcome counts for the breaker: transport failures
// count (429 only when configured), successes count, everything else —
// content failures, bad requests, calls not sent — is ignored.
func (s breakerStep) count(o *outcome) breaker.Outcome {
	if o.verdict == notSent {
		return breaker.Ignored
	}
	switch o.kind {
	case KindOK:
		return breaker.Success
	case KindServer, KindConnection, KindTimeout:
		return breaker.Failure
	case KindRateLimit:
		if s.count429 {
			return breaker.Failure
		}
	}
	return breaker.Ignored
}

// limiterStep paces calls in the provider's rate limiter: it reserves the
// call's request and tokens, waiting for them, and corrects the
// reservation from the answer.
type limiterStep struct{ l *ratelimit.Limiter }

func (s limiterStep) before(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	res, w, err := s.l.Wait(ctx, t.clock, t.tokens)
	t.waited += w
	if err != nil {
		if errors.Is(err, ratelimit.ErrDeadline) {
			return nil, fmt.Errorf("%w: %w", ErrDeadline, err)
		}
		return nil, err
	}
	return func(_ context.Context, o *outcome) error {
		// The answer corrects what the call took: an error gives its
		// tokens back, usage sets them.
		switch {
		case o.verdict == notSent:
			res.Cancel(o.at)
		case o.resp != nil:
			res.Finish(o.at, ratelimit.Answer{Status: http.StatusOK, Tokens: o.resp.Usage.TotalTokens, Snapshot: o.resp.RateLimit})
		case o.pe != nil:
			res.Finish(o.at, ratelimit.Answer{Status: o.pe.StatusCode, Snapshot: o.pe.RateLimit})
		default:
			res.Finish(o.at, ratelimit.Answer{}) // no answer: presumed spent
		}
		// A 429 for a spent quota is paced rather than retried in a
		// storm: every call to the provider waits it out here instead of
		// each discovering it.
		if o.verdict == retrying && o.kind == KindRateLimit && quotaExhausted(o.pe) {
			at := o.at
			o.hold = func(delay time.Duration) { s.l.OnRateLimited(at, delay) }
		}
		return nil
	}, nil
}

// budgetStep keeps the provider's retry budget: answers earn tokens back,
// retries and given-up calls spend them, and a retry the budget cannot pay
// for is refused.
type budgetStep struct {
	b        *budget.Budget
	provider string
}

func (s budgetStep) before(context.Context, *try) (func(context.Context, *outcome) error, error) {
	return func(_ context.Context, o *outcome) error {
		switch o.verdict {
		case answered:
			s.b.OnSuccess()
		case gaveUp:
			s.b.OnFailure()
		case retrying:
			if o.hold == nil && !s.b.AllowRetry() {
				return fmt.Errorf("%w for %s: %w", ErrRetryBudget, s.provider, o.err)
			}
		}
		return nil
	}, nil
}
