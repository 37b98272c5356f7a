package reask

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// policies are the protections one client's calls share: a circuit breaker
// per provider, a retry budget per provider and a rate limiter per
// provider. Each may be turned off; nil fields mean off.
type policies struct {
	breakers        *breaker.Set
	breakerSettings breaker.Settings // the Set's, for the shared breakers
	breaker429      bool
	budgetConfig    budget.Config
	budgetOn        bool
	limiterConfig   ratelimit.Config
	limiterOn       bool

	mu       sync.Mutex
	budgets  map[string]*budget.Budget
	limiters map[string]*ratelimit.Limiter
	trips    int

	// shared holds the policies kept in Config.Shared, by provider name,
	// and store is Config.Shared; written by New only.
	shared map[string]*sharedPolicies
	store  shared.Store
}

// policyConfig is what the client options say about the policies.
type policyConfig struct {
	breakerSettings breaker.Settings
	breakerOff      bool
	breaker429      bool
	budget          budget.Config
	budgetOff       bool
	rateLimit       ratelimit.Config
	rateLimitOff    bool
	shared          shared.Store
}

func newPolicies(pc policyConfig) (*policies, error) {
	p := &policies{
		breaker429:    pc.breaker429,
		budgetConfig:  pc.budget,
		budgetOn:      !pc.budgetOff,
		limiterConfig: pc.rateLimit,
		limiterOn:     !pc.rateLimitOff,
		budgets:       map[string]*budget.Budget{},
		limiters:      map[string]*ratelimit.Limiter{},
	}
	if !pc.breakerOff {
		s := pc.breakerSettings
		user := s.OnStateChange
		s.OnStateChange = func(key string, from, to breaker.State) {
			if to == breaker.Open {
				p.mu.Lock()
				p.trips++
				p.mu.Unlock()
			}
			if user != nil {
				user(key, from, to)
			}
		}
		set, err := breaker.NewSet(s)
		if err != nil {
			return nil, err
		}
		p.breakers, p.breakerSettings = set, s
	}
	if p.budgetOn {
		if err := pc.budget.Validate(); err != nil {
			return nil, err
		}
	}
	if p.limiterOn {
		if err := pc.rateLimit.Validate(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *policies) budgetFor(provider string) *budget.Budget {
	if !p.budgetOn {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.budgets[provider]
	if !ok {
		b, _ = budget.New(p.budgetConfig) // validated in newPolicies
		p.budgets[provider] = b
	}
	return b
}

func (p *policies) limiterFor(provider string) *ratelimit.Limiter {
	if !p.limiterOn {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[provider]
	if !ok {
		l, _ = ratelimit.New(p.limiterConfig) // validated in newPolicies
		p.limiters[provider] = l
	}
	return l
}

// PolicyStatus is a snapshot of a client's shared policies, for dashboards.
type PolicyStatus struct {
	// Breakers lists each provider's circuit breaker.
	Breakers []breaker.Status
	// BreakerTrips counts how often a breaker opened.
	BreakerTrips int
	// Limiters maps provider names to their rate limiter's state.
	Limiters map[string]ratelimit.Status
	// RetryTokens maps provider names to their retry budget's tokens.
	RetryTokens map[string]float64
	// Shared is true in fleet mode: some provider's policies are kept in
	// Config.Shared. SharedHealthy is true while that shared state answers
	// (the store says so, and the reads of this status succeeded); false
	// while the calls use the local policies (fail-open) or are refused
	// (fail-closed), and outside fleet mode.
	Shared, SharedHealthy bool
}

// Status returns the state of the client's shared policies at now. The
// policies kept in Config.Shared are read from there (a round trip each,
// bounded by the store's timeout); those it cannot read show this
// process's local state.
func (c *Client) Status(now time.Time) PolicyStatus {
	st := PolicyStatus{Limiters: map[string]ratelimit.Status{}, RetryTokens: map[string]float64{}}
	p := c.policies
	if p == nil {
		return st
	}
	if p.breakers != nil {
		st.Breakers = p.breakers.Status(now)
	}
	p.mu.Lock()
	st.BreakerTrips = p.trips
	for name, l := range p.limiters {
		st.Limiters[name] = l.Status(now)
	}
	for name, b := range p.budgets {
		st.RetryTokens[name] = b.Tokens()
	}
	p.mu.Unlock()
	if len(p.shared) > 0 {
		st.Shared = true
		st.SharedHealthy = p.sharedStatus(context.Background(), now, &st)
		if hr, ok := p.store.(shared.HealthReporter); ok && !hr.Available() {
			st.SharedHealthy = false
		}
	}
	return st
}

// circuitOpen wraps the breaker's refusal so that it matches ErrCircuitOpen
// and still carries the *breaker.OpenError (when it may half-open).
func circuitOpen(provider string, err error) error {
	var oe *breaker.OpenError
	if errors.As(err, &oe) {
		return fmt.Errorf("%w: %s is failing; calls resume after %s: %w", ErrCircuitOpen, provider, oe.Until.Format(time.RFC3339), err)
	}
	return fmt.Errorf("%w: %s: %w", ErrCircuitOpen, provider, err)
}
