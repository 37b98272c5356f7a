package reask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// sharedPolicies are one provider's policies kept in Config.Shared, for
// every process that calls the same account. Each step falls back to the
// client's local policy for a call the shared state cannot serve
// (shared.ErrUnavailable), and refuses the call when the store fails
// closed (shared.ErrFailClosed).
type sharedPolicies struct {
	limiter shared.Limiter // nil: rate limiting off
	breaker shared.Breaker // nil: circuit breaking off
	budget  shared.Budget  // nil: retry budget off
	alive   shared.Registry
	health  shared.HealthReporter // nil: the store does not say

	mu      sync.Mutex
	local   *ratelimit.Limiter // the limiter of the current outage; nil while shared
	blind   bool               // local was made knowing no limit
	probe   chan struct{}      // holds the request out while local knows nothing
	learned bool               // an answer came back to a call paced locally
	// What the calls paced locally sent during the outage, and what waits
	// in the local limiter now: repaid to the shared limiter when it
	// serves again (shared.Limiter.Repay).
	owed shared.Outage
}

// share gets, from store, the shared policies of every provider that says
// its account (shared.AccountHolder); the others keep local ones. A nil
// store shares nothing.
func (p *policies) share(store shared.Store, providers []Provider) error {
	if store == nil {
		return nil
	}
	p.store = store
	for _, prov := range providers {
		holder, ok := prov.(shared.AccountHolder)
		name := prov.Name()
		if !ok || p.shared[name] != nil {
			continue
		}
		a := holder.Account()
		sp := &sharedPolicies{probe: make(chan struct{}, 1)}
		sp.health, _ = store.(shared.HealthReporter)
		var err error
		if sp.alive, err = store.Registry(a); err != nil {
			return fmt.Errorf("shared state of %s: %w", name, err)
		}
		if p.breakers != nil {
			if sp.breaker, err = store.Breaker(a, name, p.breakerSettings); err != nil {
				return fmt.Errorf("shared breaker of %s: %w", name, err)
			}
		}
		if p.limiterOn {
			if sp.limiter, err = store.Limiter(a, p.limiterConfig); err != nil {
				return fmt.Errorf("shared rate limiter of %s: %w", name, err)
			}
		}
		if p.budgetOn {
			if sp.budget, err = store.Budget(a, p.budgetConfig); err != nil {
				return fmt.Errorf("shared retry budget of %s: %w", name, err)
			}
		}
		if p.shared == nil {
			p.shared = map[string]*sharedPolicies{}
		}
		p.shared[name] = sp
	}
	return nil
}

// sharedSteps returns the steps of calls to provider through its shared
// policies, in stepsFor's order; each wraps the local step it falls back
// to.
func (p *policies) sharedSteps(provider string, sp *sharedPolicies) chain {
	var c chain
	if sp.breaker != nil {
		c = append(c, sharedBreakerStep{b: sp.breaker, local: breakerStep{set: p.breakers, provider: provider, count429: p.breaker429}})
	}
	if sp.limiter != nil {
		c = append(c, sharedLimiterStep{sp: sp, provider: provider})
	}
	if sp.budget != nil {
		c = append(c, sharedBudgetStep{b: sp.budget, local: budgetStep{b: p.budgetFor(provider), provider: provider}})
	}
	return c
}

// unshared tells what to do with err from a shared policy: use the local
// policy (fail-open), or refuse the call with the error returned
// (fail-closed). Either way it counts the error in the call's report.
func unshared(t *try, provider string, err error) (local bool, refuse error) {
	switch {
	case errors.Is(err, shared.ErrFailClosed):
		t.countShared()
		return false, fmt.Errorf("reask: %s: %w", provider, err)
	case errors.Is(err, shared.ErrUnavailable):
		t.countShared()
		return true, nil
	}
	return false, nil
}

// countShared counts a policy call the shared state could not serve.
func (t *try) countShared() {
	t.mu.Lock()
	if t.sharedErrors != nil {
		*t.sharedErrors++
	}
	t.mu.Unlock()
}

// lasting returns ctx without its cancellation: what a call teaches the
// shared policies (a reservation's correction, a breaker's outcome) is
// recorded even when the caller has gone, within the store's own timeout.
func lasting(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// sharedBreakerStep asks the account's shared circuit breaker before each
// call, and counts the outcome in it.
type sharedBreakerStep struct {
	b     shared.Breaker
	local breakerStep
}

func (s sharedBreakerStep) before(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	ticket, err := s.b.Allow(ctx, t.clock.Now())
	if err != nil {
		if local, refuse := unshared(t, s.local.provider, err); local {
			t.local = true
			return s.local.before(ctx, t)
		} else if refuse != nil {
			return nil, refuse
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, circuitOpen(s.local.provider, err)
	}
	return func(ctx context.Context, o *outcome) error {
		oc := s.local.count(o)
		o.later(func() {
			opened, err := ticket.Done(lasting(ctx), o.at, oc)
			if err != nil {
				unshared(t, s.local.provider, err)
			}
			if opened {
				o.tripped = true // read once pending is done
			}
		})
		return nil
	}, nil
}

// sharedLimiterStep paces calls in the account's shared rate limiter. While
// the shared state is unavailable it paces them in a local limiter that
// takes this process's share of the limits learnt (1/N of them with N
// processes alive), made when the outage begins.
type sharedLimiterStep struct {
	sp       *sharedPolicies
	provider string
}

func (s sharedLimiterStep) before(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	sp := s.sp
	if t.local {
		return sp.localBefore(ctx, t)
	}
	res, w, err := sp.limiter.Wait(ctx, t.clock, t.tokens)
	t.waited += w
	if err != nil {
		local, refuse := unshared(t, s.provider, err)
		switch {
		case refuse != nil:
			return nil, refuse
		case local:
			t.local = true
			return sp.localBefore(ctx, t)
		case errors.Is(err, ratelimit.ErrDeadline):
			return nil, fmt.Errorf("%w: %w", ErrDeadline, err)
		}
		return nil, err
	}
	sp.endOutage(lasting(ctx), t, s.provider)
	return func(ctx context.Context, o *outcome) error {
		ctx = lasting(ctx)
		var a ratelimit.Answer
		switch {
		case o.verdict == notSent:
		case o.resp != nil:
			a = ratelimit.Answer{Status: http.StatusOK, Tokens: o.resp.Usage.TotalTokens, Snapshot: o.resp.RateLimit}
		case o.pe != nil:
			a = ratelimit.Answer{Status: o.pe.StatusCode, Snapshot: o.pe.RateLimit}
		}
		notSent := o.verdict == notSent
		o.later(func() {
			var err error
			if notSent {
				err = res.Cancel(ctx, o.at)
			} else {
				err = res.Finish(ctx, o.at, a) // the zero Answer: none came
			}
			if err != nil {
				unshared(t, s.provider, err)
			}
		})
		// A 429 for a spent quota holds every process of the fleet.
		if o.verdict == retrying && o.kind == KindRateLimit && quotaExhausted(o.pe) {
			at := o.at
			o.hold = func(delay time.Duration) {
				if err := res.OnRateLimited(ctx, at, delay); err != nil {
					if local, _ := unshared(t, s.provider, err); local {
						l, _ := sp.outageLimiter(at)
						l.OnRateLimited(at, delay)
					}
				}
			}
		}
		return nil
	}, nil
}

// localBefore paces a call in the outage's local limiter. While it knows
// no limit (Redis failed before this process or the fleet learnt one) and
// no call paced locally has been answered, it lets one call out at a time,
// as the shared limiter's slow start does: the processes of a fleet that
// all fall back at their start then send one request each, not their
// concurrency each, until an answer teaches the limits.
func (sp *sharedPolicies) localBefore(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	l, probing := sp.outageLimiter(t.clock.Now())
	release := func() {}
	if probing {
		select {
		case sp.probe <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var once sync.Once
		release = func() { once.Do(func() { <-sp.probe }) }
		// The call that held the place may have taught the limits.
		if l, probing = sp.outageLimiter(t.clock.Now()); !probing {
			release()
		}
	}
	sp.mu.Lock()
	sp.owed.QueuedRequests++
	sp.owed.QueuedTokens += t.tokens
	sp.mu.Unlock()
	after, err := limiterStep{l}.before(ctx, t)
	sp.mu.Lock()
	sp.owed.QueuedRequests--
	sp.owed.QueuedTokens -= t.tokens
	if err == nil && sp.local != nil {
		sp.owed.SentRequests++
		sp.owed.SentTokens += t.tokens
	}
	sp.mu.Unlock()
	if err != nil {
		release()
		return nil, err
	}
	return func(ctx context.Context, o *outcome) error {
		if o.resp != nil || o.pe != nil {
			sp.mu.Lock()
			sp.learned = true
			sp.mu.Unlock()
		}
		release()
		return after(ctx, o)
	}, nil
}

// outageLimiter returns the local limiter of the current outage, made at
// its first call with the share of the limits LocalConfig gives, empty and
// owing the requests the shared limiter still has queued (made
// again, while it knows none, once LocalConfig or its own answers tell
// them, at this process's share), and whether
// calls must still go one at a time: it knows no limit, and no call paced
// locally has been answered.
func (sp *sharedPolicies) outageLimiter(now time.Time) (*ratelimit.Limiter, bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.local == nil || sp.blind {
		alive := sp.alive.LastAlive()
		c := sp.limiter.LocalConfig(now, alive)
		if c.RPM == 0 && c.TPM == 0 && sp.local != nil && alive > 1 {
			// What the blind local limiter learnt since is the whole
			// limit: this process's share of it.
			st := sp.local.Status(now)
			if st.RequestsPerMinute > 0 {
				c.RPM = max(1, int(st.RequestsPerMinute)/alive)
			}
			if st.TokensPerMinute > 0 {
				c.TPM = max(1, int(st.TokensPerMinute)/alive)
			}
		}
		blind := c.RPM == 0 && c.TPM == 0
		if sp.local == nil || !blind {
			l, err := ratelimit.New(c)
			if err != nil {
				// The configuration was validated; a share of it is valid.
				l, _ = ratelimit.New(ratelimit.Config{})
			}
			// The shared limiter's queue still goes out: the local
			// limiter starts empty and owes it.
			n, tok := sp.limiter.Queued(now)
			l.Owe(now, n, tok)
			sp.local, sp.blind = l, blind
		}
	}
	return sp.local, sp.blind && !sp.learned
}

// endOutage forgets the outage's local limiter once the shared one serves
// again (the next outage starts from what is learnt by then), and repays
// the shared limiter what was sent and is still queued locally, so that
// the fleet neither bursts into the bucket those requests emptied nor
// paces its shared requests on top of the local queue. A reservation the
// shared limiter queued before the outage that comes due while the store
// still says it is down ends nothing.
func (sp *sharedPolicies) endOutage(ctx context.Context, t *try, provider string) {
	if sp.health != nil && !sp.health.Available() {
		// A reservation made before the outage came due: the shared
		// state has not answered since, and the local limiter paces on.
		return
	}
	sp.mu.Lock()
	if sp.local == nil {
		sp.mu.Unlock()
		return
	}
	o := sp.owed
	// What is queued stays counted: those calls are still waiting.
	sp.owed.SentRequests, sp.owed.SentTokens = 0, 0
	sp.local, sp.blind, sp.learned = nil, false, false
	sp.mu.Unlock()
	if err := sp.limiter.Repay(ctx, t.clock.Now(), o); err != nil {
		unshared(t, provider, err)
	}
}

// sharedBudgetStep keeps the account's shared retry budget, and the local
// one for the calls the shared state cannot serve.
type sharedBudgetStep struct {
	b     shared.Budget
	local budgetStep
}

func (s sharedBudgetStep) before(ctx context.Context, t *try) (func(context.Context, *outcome) error, error) {
	if t.local {
		return s.local.before(ctx, t)
	}
	return func(ctx context.Context, o *outcome) error {
		ctx = lasting(ctx)
		lb, provider := s.local.b, s.local.provider
		switch o.verdict {
		case answered:
			o.later(func() {
				if err := s.b.OnSuccess(ctx); err != nil {
					if local, _ := unshared(t, provider, err); local {
						lb.OnSuccess()
					}
				}
			})
		case gaveUp:
			o.later(func() {
				if err := s.b.OnFailure(ctx); err != nil {
					if local, _ := unshared(t, provider, err); local {
						lb.OnFailure()
					}
				}
			})
		case retrying:
			if o.hold != nil {
				return nil
			}
			ok, err := s.b.AllowRetry(ctx)
			if err != nil {
				local, refuse := unshared(t, provider, err)
				switch {
				case refuse != nil:
					return refuse
				case local:
					ok = lb.AllowRetry()
				default:
					return err
				}
			}
			if !ok {
				return fmt.Errorf("%w for %s: %w", ErrRetryBudget, provider, o.err)
			}
		}
		return nil
	}, nil
}

// breakerState returns the state of provider's circuit breaker at now: the
// shared one's when it has one and the store answers, else the local one's.
func (p *policies) breakerState(ctx context.Context, provider string, now time.Time) breaker.State {
	if sp := p.shared[provider]; sp != nil && sp.breaker != nil {
		if st, err := sp.breaker.Status(ctx, now); err == nil {
			return st.State
		}
	}
	return p.breakers.Get(provider).State(now)
}

// sharedStatus overlays st with the shared policies' state at now, for the
// providers whose store answers, and reports whether every read of the
// shared state succeeded.
func (p *policies) sharedStatus(ctx context.Context, now time.Time, st *PolicyStatus) (healthy bool) {
	healthy = true
	for name, sp := range p.shared {
		if sp.breaker != nil {
			if bs, err := sp.breaker.Status(ctx, now); err != nil {
				healthy = false
			} else {
				replaced := false
				for i := range st.Breakers {
					if st.Breakers[i].Key == name {
						st.Breakers[i], replaced = bs, true
					}
				}
				if !replaced {
					st.Breakers = append(st.Breakers, bs)
				}
			}
		}
		if sp.limiter != nil {
			if ls, err := sp.limiter.Status(ctx, now); err == nil {
				st.Limiters[name] = ls
			} else {
				healthy = false
				if l := sp.outage(); l != nil {
					st.Limiters[name] = l.Status(now)
				}
			}
		}
		if sp.budget != nil {
			if tokens, err := sp.budget.Tokens(ctx); err == nil {
				st.RetryTokens[name] = tokens
			} else {
				healthy = false
			}
		}
	}
	return healthy
}

// outage returns the local limiter of the current outage, nil while shared.
func (sp *sharedPolicies) outage() *ratelimit.Limiter {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.local
}
