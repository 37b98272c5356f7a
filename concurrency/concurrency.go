// Package concurrency limits the requests a client has in flight, and
// adapts the limit to what the upstream takes: AIMD, as TCP does with its
// congestion window.
//
//   - Additive increase: each successful request adds Increase/limit to
//     the limit, so the limit grows by Increase per limit successes (one
//     "window") — but only while the client uses at least half of it, so
//     that an idle client does not talk itself into a large limit.
//   - Multiplicative decrease: an overloaded request (429, 503, 529
//     overloaded) multiplies the limit by Decrease. Requests that were
//     already in flight when the limit was cut are the same congestion
//     event: their overloads do not cut it again, so a burst of 429s is one
//     cut, not thirty.
//
// A batch started with too much concurrency thus settles at what the
// provider takes, between Decrease×C and C for a provider that takes C at
// once.
//
// Acquire blocks until a slot is free (or the context ends) and returns the
// function that gives the slot back with the request's outcome. Waiters are
// served in order; a waiter whose context ends leaves the queue, and a slot
// granted to it at that moment is given back. The package needs no clock:
// the limit moves with outcomes, not time.
//
// A Limiter is safe for concurrent use. New validates a Config; the zero
// Limiter uses the defaults.
package concurrency

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Outcome is what a request came to.
type Outcome int

// Outcomes.
const (
	// Success: the upstream answered; the limit may grow.
	Success Outcome = iota
	// Overload: the upstream refused for load (429, 503, 529); the limit
	// is cut.
	Overload
	// Ignored: says nothing about load (a bad request, a cancelled call).
	Ignored
)

// String returns "success", "overload" or "ignored".
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Overload:
		return "overload"
	case Ignored:
		return "ignored"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Defaults for zero fields of Config.
const (
	DefaultMin      = 1
	DefaultMax      = 64
	DefaultDecrease = 0.7 // CUBIC's β
	DefaultIncrease = 1
)

// Config configures a Limiter. Zero fields take the defaults.
type Config struct {
	// Min and Max bound the limit. Defaults 1 and 64.
	Min, Max int
	// Initial is the starting limit, in [Min, Max]. Default Max: start at
	// the concurrency asked for, and back off from there.
	Initial int
	// Decrease multiplies the limit on overload, in (0, 1). Default 0.7.
	Decrease float64
	// Increase is what a full window of successes adds to the limit, in
	// (0, Max]. Default 1.
	Increase float64
}

// ErrInvalidConfig is matched by the error New returns.
var ErrInvalidConfig = errors.New("concurrency: invalid config")

// Validate reports a configuration out of range.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case c.Min < 0 || c.Max < 0 || c.Initial < 0:
		return fmt.Errorf("%w: negative bound (min %d, max %d, initial %d)", ErrInvalidConfig, c.Min, c.Max, c.Initial)
	case d.Min > d.Max:
		return fmt.Errorf("%w: min %d above max %d", ErrInvalidConfig, d.Min, d.Max)
	case c.Initial != 0 && (c.Initial < d.Min || c.Initial > d.Max):
		return fmt.Errorf("%w: initial %d outside [%d, %d]", ErrInvalidConfig, c.Initial, d.Min, d.Max)
	case math.IsNaN(c.Decrease) || c.Decrease < 0 || c.Decrease >= 1:
		return fmt.Errorf("%w: decrease %v is not in (0, 1)", ErrInvalidConfig, c.Decrease)
	case math.IsNaN(c.Increase) || c.Increase < 0 || c.Increase > float64(d.Max):
		return fmt.Errorf("%w: increase %v is not in (0, %d]", ErrInvalidConfig, c.Increase, d.Max)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Min <= 0 {
		c.Min = DefaultMin
	}
	if c.Max <= 0 {
		c.Max = max(DefaultMax, c.Min)
	}
	if c.Initial <= 0 {
		c.Initial = c.Max
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	if !(c.Decrease > 0 && c.Decrease < 1) {
		c.Decrease = DefaultDecrease
	}
	if !(c.Increase > 0) {
		c.Increase = DefaultIncrease
	}
	return c
}

// Limiter is an adaptive limit on requests in flight. See the package
// documentation.
type Limiter struct {
	mu       sync.Mutex
	init     bool
	cfg      Config
	limit    float64
	inflight int
	gen      uint64 // bumped by each cut
	waiters  []*waiter
}

// waiter is a request waiting for, or holding, a slot.
type waiter struct {
	ready   chan struct{} // closed when a slot is granted to a queued waiter
	granted bool
	gen     uint64 // the limit's generation when granted
}

// New returns a limiter, or an error matching ErrInvalidConfig.
func New(c Config) (*Limiter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{cfg: c}
	l.setup()
	return l, nil
}

func (l *Limiter) setup() {
	if !l.init {
		l.cfg = l.cfg.withDefaults()
		l.limit = float64(l.cfg.Initial)
		l.init = true
	}
}

// Release gives a slot back with the request's outcome. Only its first
// call counts.
type Release func(Outcome)

// Acquire waits for a free slot and returns the function that gives it
// back: call it exactly once, with the request's outcome. It returns ctx's
// error, and no slot, when ctx ends first.
func (l *Limiter) Acquire(ctx context.Context) (Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.setup()
	if len(l.waiters) == 0 && l.inflight < l.cap() {
		w := &waiter{}
		l.grant(w)
		l.mu.Unlock()
		return l.release(w), nil
	}
	w := &waiter{ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return l.release(w), nil
	case <-ctx.Done():
		l.mu.Lock()
		if !w.granted {
			l.remove(w)
			l.mu.Unlock()
			return nil, ctx.Err()
		}
		l.mu.Unlock()
		// Granted as ctx ended: give the slot back.
		l.release(w)(Ignored)
		return nil, ctx.Err()
	}
}

// TryAcquire takes a slot if one is free at once.
func (l *Limiter) TryAcquire() (Release, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup()
	if len(l.waiters) == 0 && l.inflight < l.cap() {
		w := &waiter{}
		l.grant(w)
		return l.release(w), true
	}
	return nil, false
}

// cap returns the whole number of slots. l.mu is held.
func (l *Limiter) cap() int { return int(l.limit) }

// grant gives w a slot; the request it makes is of the current
// generation. l.mu is held.
func (l *Limiter) grant(w *waiter) {
	l.inflight++
	w.granted = true
	w.gen = l.gen
}

func (l *Limiter) release(w *waiter) Release {
	var once sync.Once
	return func(o Outcome) {
		once.Do(func() { l.done(w, o) })
	}
}

func (l *Limiter) done(w *waiter, o Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	used := 2*l.inflight >= l.cap() // at least half the limit in use
	l.inflight--
	switch o {
	case Success:
		if used {
			l.limit = min(l.limit+l.cfg.Increase/l.limit, float64(l.cfg.Max))
		}
	case Overload:
		if w.gen == l.gen { // the first overload since the request started
			l.limit = max(l.limit*l.cfg.Decrease, float64(l.cfg.Min))
			l.gen++
		}
	}
	for len(l.waiters) > 0 && l.inflight < l.cap() {
		next := l.waiters[0]
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
		l.grant(next)
		close(next.ready)
	}
}

// remove takes w out of the queue. l.mu is held.
func (l *Limiter) remove(w *waiter) {
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return
		}
	}
}

// Status is a limiter's state, for metrics and dashboards.
type Status struct {
	// Limit is the current limit; requests may be in flight up to its
	// whole part.
	Limit float64
	// InFlight and Waiting count the requests holding a slot and queued
	// for one.
	InFlight, Waiting int
}

// Status returns the limiter's state.
func (l *Limiter) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup()
	return Status{Limit: l.limit, InFlight: l.inflight, Waiting: len(l.waiters)}
}
