// Package clock abstracts time so that every timed policy in reask — backoff
// sleeps, breaker cool-downs, rate-limit pacing — can be tested exactly,
// without sleeps.
//
// Tests fake time one of two ways; new tests take the first unless they
// need the second, and no test mixes them:
//
//   - A *Fake given as the Clock (reask.Config.Clock, sim.Config.Clock, …),
//     the way of the root package's tests. Every wait reask makes goes
//     through its Clock, and Fake.Sleep returns at once and records the
//     duration, so a test asserts the exact delays (Sleeps). It works
//     across real loopback connections, and most tests run an httptest
//     server as the provider.
//   - testing/synctest, for tests about goroutines rather than durations:
//     waiting until every goroutine is blocked (synctest.Wait) to count the
//     calls a batch has in flight, say, or code that reads the time
//     without a Clock. A bubble's time moves only while every goroutine in
//     it is durably blocked, which one waiting on the network is not, so
//     such tests use an in-memory Provider, not an httptest server.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits. The zero-value-free System clock is what
// production code uses; tests inject a *Fake.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns
	// ctx's error. A non-positive d returns at once (nil unless ctx is done).
	Sleep(ctx context.Context, d time.Duration) error
}

// System returns the wall clock.
func System() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fake is a clock for tests: Sleep advances the time at once and records the
// duration asked for, so tests assert exact delays without waiting. It is
// safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep records d and advances the fake time by d. Deadlines are the
// caller's business: code that bounds waits checks them against Now.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

// Advance moves the fake time forward by d without recording a sleep.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Sleeps returns a copy of every duration passed to Sleep, in order.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}
