package fleet

import (
	"context"
	"sync"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// Shared returns the Store as the shared state of reask clients
// (reask.Config.Shared): each provider account's limiter, breaker and
// budget kept in Redis, and a heartbeat per account (Registry), beaten
// every DefaultHeartbeat/3 of real time until the Store is closed.
func (s *Store) Shared() shared.Store { return sharedStore{s} }

// Compile-time checks of the adapters.
var (
	_ shared.Store       = sharedStore{}
	_ shared.Limiter     = sharedLimiter{}
	_ shared.Reservation = Reservation{}
	_ shared.Breaker     = sharedBreaker{}
	_ shared.Ticket      = Ticket{}
	_ shared.Budget      = (*Budget)(nil)
	_ shared.Registry    = (*Registry)(nil)
)

type sharedStore struct{ s *Store }

var _ shared.HealthReporter = sharedStore{}

// Available reports whether Redis answers (Health.Shared).
func (ss sharedStore) Available() bool { return ss.s.Health().Shared }

func account(a shared.Account) Account {
	return Account{BaseURL: a.BaseURL, Model: a.Model, APIKey: a.APIKey}
}

func (ss sharedStore) Limiter(a shared.Account, c ratelimit.Config) (shared.Limiter, error) {
	l, err := ss.s.Limiter(account(a), LimiterConfig{Config: c})
	if err != nil {
		return nil, err
	}
	return sharedLimiter{l}, nil
}

func (ss sharedStore) Breaker(a shared.Account, name string, st breaker.Settings) (shared.Breaker, error) {
	b, err := ss.s.Breaker(account(a), name, st)
	if err != nil {
		return nil, err
	}
	return sharedBreaker{b}, nil
}

func (ss sharedStore) Budget(a shared.Account, c budget.Config) (shared.Budget, error) {
	return ss.s.Budget(account(a), BudgetConfig{Config: c})
}

// Registry returns the account's registry, and starts its heartbeat once.
func (ss sharedStore) Registry(a shared.Account) (shared.Registry, error) {
	return ss.s.beats.join(ss.s, account(a))
}

// sharedLimiter returns its reservations as shared.Reservation values.
type sharedLimiter struct{ *Limiter }

func (l sharedLimiter) Wait(ctx context.Context, clk clock.Clock, tokens int) (shared.Reservation, time.Duration, error) {
	r, w, err := l.Limiter.Wait(ctx, clk, tokens)
	if err != nil {
		return nil, w, err
	}
	return r, w, nil
}

// sharedBreaker returns its tickets as shared.Ticket values.
type sharedBreaker struct{ *Breaker }

func (b sharedBreaker) Allow(ctx context.Context, now time.Time) (shared.Ticket, error) {
	t, err := b.Breaker.Allow(ctx, now)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// heartbeats are the registries a Store beats for, one per account, until
// it is closed.
type heartbeats struct {
	mu     sync.Mutex
	regs   map[string]*Registry // by namespace
	stop   context.CancelFunc
	ctx    context.Context
	done   sync.WaitGroup
	closed bool
}

// join returns the registry of account a, starting its heartbeat the first
// time: a beat now (so that the count is known before the first call), then
// one every TTL/3.
func (h *heartbeats) join(s *Store, a Account) (*Registry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ns := a.Namespace()
	if r, ok := h.regs[ns]; ok {
		return r, nil
	}
	r, err := s.Registry(a, RegistryConfig{})
	if err != nil {
		return nil, err
	}
	if h.regs == nil {
		h.regs = map[string]*Registry{}
		h.ctx, h.stop = context.WithCancel(context.Background())
	}
	h.regs[ns] = r
	if h.closed {
		return r, nil
	}
	r.Beat(h.ctx, s.clk.Now())
	h.done.Go(func() { h.run(s, r) })
	return r, nil
}

// run beats r every TTL/3 of real time (the Store's clock dates the beats:
// a test's fake clock does not spin the loop), then leaves the registry.
func (h *heartbeats) run(s *Store, r *Registry) {
	tick := time.NewTicker(r.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			r.Leave(context.Background())
			return
		case <-tick.C:
			r.Beat(h.ctx, s.clk.Now())
		}
	}
}

// close stops the heartbeats and waits for them to leave the registries.
func (h *heartbeats) close() {
	h.mu.Lock()
	h.closed = true
	stop := h.stop
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
	h.done.Wait()
}

// Alive returns the most processes the Store saw alive on any account it
// beats for (Registry.LastAlive), at least 1: the size of the fleet, for
// status pages.
func (s *Store) Alive() int {
	s.beats.mu.Lock()
	defer s.beats.mu.Unlock()
	n := 1
	for _, r := range s.beats.regs {
		n = max(n, r.LastAlive())
	}
	return n
}
