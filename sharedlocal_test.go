package reask_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// downStore is shared state that is never available, in fail-open mode:
// every policy call fails with shared.ErrUnavailable, as a Redis that is
// down from a process's start does, and four processes are counted alive.
type downStore struct{}

func (downStore) Limiter(shared.Account, ratelimit.Config) (shared.Limiter, error) {
	return downLimiter{}, nil
}
func (downStore) Breaker(shared.Account, string, breaker.Settings) (shared.Breaker, error) {
	return downBreaker{}, nil
}
func (downStore) Budget(shared.Account, budget.Config) (shared.Budget, error) {
	return downBudget{}, nil
}
func (downStore) Registry(shared.Account) (shared.Registry, error) { return fourAlive{}, nil }

type downLimiter struct{}

func (downLimiter) Wait(context.Context, clock.Clock, int) (shared.Reservation, time.Duration, error) {
	return nil, 0, shared.ErrUnavailable
}
func (downLimiter) OnRateLimited(context.Context, time.Time, time.Duration) error {
	return shared.ErrUnavailable
}
func (downLimiter) Status(context.Context, time.Time) (ratelimit.Status, error) {
	return ratelimit.Status{}, shared.ErrUnavailable
}
func (downLimiter) LocalConfig(time.Time, int) ratelimit.Config { return ratelimit.Config{} }
func (downLimiter) Queued(time.Time) (int, int)                 { return 0, 0 }
func (downLimiter) Repay(context.Context, time.Time, shared.Outage) error {
	return shared.ErrUnavailable
}

type downBreaker struct{}

func (downBreaker) Allow(context.Context, time.Time) (shared.Ticket, error) {
	return nil, shared.ErrUnavailable
}
func (downBreaker) Status(context.Context, time.Time) (breaker.Status, error) {
	return breaker.Status{}, shared.ErrUnavailable
}

type downBudget struct{}

func (downBudget) AllowRetry(context.Context) (bool, error) { return false, shared.ErrUnavailable }
func (downBudget) OnFailure(context.Context) error          { return shared.ErrUnavailable }
func (downBudget) OnSuccess(context.Context) error          { return shared.ErrUnavailable }
func (downBudget) Tokens(context.Context) (float64, error)  { return 0, shared.ErrUnavailable }

type fourAlive struct{}

func (fourAlive) LastAlive() int { return 4 }

// heldAccountProvider is a heldProvider that says its account, so that a
// client shares its policies.
type heldAccountProvider struct{ heldProvider }

func (*heldAccountProvider) Account() shared.Account { return fleetAccount }

// A process whose shared state is down from its start, knowing no limit,
// falls back to a local limiter that lets one call out until an answer
// comes back — the slow start of the shared limiter — rather than its
// whole concurrency at once: the processes of a fleet that all fall back
// as they start (a busy machine's stall) send one request each, not 32
// each before anyone knows the limit.
func TestLocalFallbackStartsSlowly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &heldAccountProvider{}
		c := reasktest.NewClient(t, p, reask.Config{Shared: downStore{}, MaxTransportRetries: -1})
		const items = 8
		done := make(chan struct{})
		var results []reask.BatchResult
		go func() {
			defer close(done)
			for r := range c.Batch(t.Context(), userTasks(t, items), reask.BatchConfig{Concurrency: items, FixedConcurrency: true}) {
				results = append(results, r)
			}
		}()
		var rounds []int
		for {
			synctest.Wait() // every call that can start has started
			n := p.answer(nil)
			if n == 0 {
				break
			}
			rounds = append(rounds, n)
		}
		<-done
		if want := []int{1, items - 1}; !slices.Equal(rounds, want) {
			t.Errorf("calls in flight per round %v, want %v: one until the first answer, then the rest", rounds, want)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Errorf("item %s: %v", r.ID, r.Err)
			}
		}
		if len(results) != items {
			t.Errorf("%d results, want %d", len(results), items)
		}
	})
}

// barrierStore is shared state that answers, whose three calls after each
// provider call — the reservation's Finish, the ticket's Done, the
// budget's OnSuccess — each wait until all three have begun: the client
// makes them at once (one round trip of time, not three), or never
// finishes (a deadlock synctest reports).
type barrierStore struct{ after *sync.WaitGroup }

func (s barrierStore) meet() { s.after.Done(); s.after.Wait() }

func (s barrierStore) Limiter(shared.Account, ratelimit.Config) (shared.Limiter, error) {
	return barrierLimiter{s}, nil
}
func (s barrierStore) Breaker(shared.Account, string, breaker.Settings) (shared.Breaker, error) {
	return barrierBreaker{s}, nil
}
func (s barrierStore) Budget(shared.Account, budget.Config) (shared.Budget, error) {
	return barrierBudget{s}, nil
}
func (barrierStore) Registry(shared.Account) (shared.Registry, error) { return fourAlive{}, nil }

type barrierLimiter struct{ s barrierStore }

func (l barrierLimiter) Wait(context.Context, clock.Clock, int) (shared.Reservation, time.Duration, error) {
	return barrierReservation(l), 0, nil
}
func (barrierLimiter) OnRateLimited(context.Context, time.Time, time.Duration) error { return nil }
func (barrierLimiter) Status(context.Context, time.Time) (ratelimit.Status, error) {
	return ratelimit.Status{}, nil
}
func (barrierLimiter) LocalConfig(time.Time, int) ratelimit.Config           { return ratelimit.Config{} }
func (barrierLimiter) Queued(time.Time) (int, int)                           { return 0, 0 }
func (barrierLimiter) Repay(context.Context, time.Time, shared.Outage) error { return nil }

type barrierReservation struct{ s barrierStore }

func (r barrierReservation) Finish(context.Context, time.Time, ratelimit.Answer) error {
	r.s.meet()
	return nil
}
func (barrierReservation) Cancel(context.Context, time.Time) error { return nil }
func (barrierReservation) OnRateLimited(context.Context, time.Time, time.Duration) error {
	return nil
}

type barrierBreaker struct{ s barrierStore }

func (b barrierBreaker) Allow(context.Context, time.Time) (shared.Ticket, error) {
	return barrierTicket(b), nil
}
func (barrierBreaker) Status(context.Context, time.Time) (breaker.Status, error) {
	return breaker.Status{}, nil
}

type barrierTicket struct{ s barrierStore }

func (t barrierTicket) Done(context.Context, time.Time, breaker.Outcome) (bool, error) {
	t.s.meet()
	return false, nil
}

type barrierBudget struct{ s barrierStore }

func (barrierBudget) AllowRetry(context.Context) (bool, error) { return true, nil }
func (barrierBudget) OnFailure(context.Context) error          { return nil }
func (b barrierBudget) OnSuccess(context.Context) error {
	b.s.meet()
	return nil
}
func (barrierBudget) Tokens(context.Context) (float64, error) { return 0, nil }

// What a call teaches the shared policies — the limiter's correction, the
// breaker's outcome, the budget's success, a round trip each — is sent at
// once, not one after the other: the shared state then costs a call two
// round trips of time (the breaker's and the limiter's admission) and one
// after it, not five in a row.
func TestSharedOutcomesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var after sync.WaitGroup
		after.Add(3)
		p := &heldAccountProvider{}
		c := reasktest.NewClient(t, p, reask.Config{Shared: barrierStore{&after}})
		done := make(chan error, 1)
		go func() {
			_, _, err := reask.Extract[UserInfo](t.Context(), c, johnText)
			done <- err
		}()
		synctest.Wait()
		if n := p.answer(nil); n != 1 {
			t.Fatalf("%d calls held; want 1", n)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// queuedStore is shared state that has just failed (fail-open) while this
// process had three reservations queued in it, at a limit whose share is
// 60 requests a minute.
type queuedStore struct{ downStore }

func (queuedStore) Limiter(shared.Account, ratelimit.Config) (shared.Limiter, error) {
	return queuedLimiter{}, nil
}

type queuedLimiter struct{ downLimiter }

func (queuedLimiter) LocalConfig(time.Time, int) ratelimit.Config { return ratelimit.Config{RPM: 60} }
func (queuedLimiter) Queued(time.Time) (int, int)                 { return 3, 0 }

// The local limiter that takes over from a failed shared one starts empty
// and owes the requests still queued in the shared limiter, which go out
// anyway: at one request a second, the first local call waits for four
// requests' worth, not none.
func TestLocalFallbackOwesTheSharedQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &accountProvider{name: "openai/m", acct: fleetAccount, clk: clock.System()}
		c := reasktest.NewClient(t, p, reask.Config{Shared: queuedStore{}, MaxTransportRetries: -1})
		start := time.Now()
		for range 2 {
			if _, _, err := reask.Extract[UserInfo](t.Context(), c, johnText); err != nil {
				t.Fatal(err)
			}
		}
		var got []time.Duration
		for _, at := range p.calls {
			got = append(got, at.Sub(start))
		}
		if want := []time.Duration{4 * time.Second, 5 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("calls at %v, want %v", got, want)
		}
	})
}

// returningStore is shared state that is down (fail-open) until up is
// set, with three reservations queued when it failed; its limiter records
// what it is repaid.
type returningStore struct {
	downStore
	l *returningLimiter
}

func (s returningStore) Limiter(shared.Account, ratelimit.Config) (shared.Limiter, error) {
	return s.l, nil
}

func (s returningStore) Breaker(shared.Account, string, breaker.Settings) (shared.Breaker, error) {
	return returningBreaker{s.l}, nil
}

func (l *returningLimiter) isUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

type returningBreaker struct{ l *returningLimiter }

func (b returningBreaker) Allow(context.Context, time.Time) (shared.Ticket, error) {
	b.l.mu.Lock()
	defer b.l.mu.Unlock()
	if !b.l.up {
		if b.l.due == 0 {
			return nil, shared.ErrUnavailable
		}
		b.l.due--
	}
	return okTicket{}, nil
}
func (returningBreaker) Status(context.Context, time.Time) (breaker.Status, error) {
	return breaker.Status{}, nil
}

type okTicket struct{}

func (okTicket) Done(context.Context, time.Time, breaker.Outcome) (bool, error) { return false, nil }

type okReservation struct{}

func (okReservation) Finish(context.Context, time.Time, ratelimit.Answer) error     { return nil }
func (okReservation) Cancel(context.Context, time.Time) error                       { return nil }
func (okReservation) OnRateLimited(context.Context, time.Time, time.Duration) error { return nil }

type returningLimiter struct {
	queuedLimiter
	mu     sync.Mutex
	up     bool
	due    int // Waits that return while down: reservations queued before the outage, come due
	repaid []shared.Outage
}

func (l *returningLimiter) Wait(context.Context, clock.Clock, int) (shared.Reservation, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		if l.due == 0 {
			return nil, 0, shared.ErrUnavailable
		}
		l.due--
	}
	return okReservation{}, 0, nil
}

// Available is the store's health: down until up is set.
func (s returningStore) Available() bool { return s.l.isUp() }

func (l *returningLimiter) Repay(_ context.Context, _ time.Time, o shared.Outage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.repaid = append(l.repaid, o)
	return nil
}

// When the shared state serves again, the first call it admits repays it,
// once, what the outage sent locally and what still waits in the local
// limiter (which will be sent): two calls sent, one queued.
func TestSharedLimiterRepaidAfterAnOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &returningLimiter{}
		p := &accountProvider{name: "openai/m", acct: fleetAccount, clk: clock.System()}
		c := reasktest.NewClient(t, p, reask.Config{Shared: returningStore{l: l}, MaxTransportRetries: -1})
		extract := func() {
			if _, _, err := reask.Extract[UserInfo](t.Context(), c, johnText); err != nil {
				t.Error(err)
			}
		}
		extract() // at 4 s: behind the three queued in the shared limiter
		extract() // at 5 s
		queued := make(chan struct{})
		go func() {
			defer close(queued)
			extract() // at 6 s, waiting in the local limiter
		}()
		synctest.Wait()
		l.mu.Lock()
		l.up = true
		l.mu.Unlock()
		extract() // shared: repays
		extract() // shared: nothing more to repay
		<-queued
		if len(l.repaid) != 1 {
			t.Fatalf("repaid %d times, want once: %+v", len(l.repaid), l.repaid)
		}
		if o := l.repaid[0]; o.SentRequests != 2 || o.QueuedRequests != 1 || o.SentTokens != 2*o.QueuedTokens {
			t.Errorf("repaid %+v; want 2 sent and 1 queued", o)
		}
		if len(p.calls) != 5 {
			t.Errorf("%d calls, want 5", len(p.calls))
		}
	})
}

// A reservation the shared limiter queued before the outage that comes due
// while the store still says it is down does not end the outage: the local
// limiter paces on (the next local call a second after the last, not four
// seconds behind a fresh limiter owing the shared queue again), and
// nothing is repaid yet.
func TestSharedQueuedReservationDueDuringTheOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &returningLimiter{}
		p := &accountProvider{name: "openai/m", acct: fleetAccount, clk: clock.System()}
		c := reasktest.NewClient(t, p, reask.Config{Shared: returningStore{l: l}, MaxTransportRetries: -1})
		start := time.Now()
		extract := func() {
			if _, _, err := reask.Extract[UserInfo](t.Context(), c, johnText); err != nil {
				t.Error(err)
			}
		}
		extract() // local, at 4 s: behind the three queued in the shared limiter
		l.mu.Lock()
		l.due = 2 // the breaker's and the limiter's: the call goes through the shared policies
		l.mu.Unlock()
		extract() // a shared reservation come due, at 4 s
		extract() // local again, at 5 s
		var got []time.Duration
		for _, at := range p.calls {
			got = append(got, at.Sub(start))
		}
		if want := []time.Duration{4 * time.Second, 4 * time.Second, 5 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("calls at %v, want %v", got, want)
		}
		if len(l.repaid) != 0 {
			t.Errorf("repaid %+v while down; want nothing", l.repaid)
		}
	})
}
