// Package breaker is a circuit breaker: it stops calls to an upstream that
// is failing, lets a few probes through after a cool-down, and closes again
// once they succeed.
//
// # States
//
// A Breaker is Closed, Open or HalfOpen:
//
//   - Closed: every call is allowed. Results are counted in a sliding window
//     of Settings.Window split into Settings.Buckets buckets. When a failure
//     is recorded, at least MinCalls results are in the window and the
//     failure rate is at or above Threshold, the breaker opens.
//   - Open: every call is refused with an *OpenError (matching ErrOpen)
//     until CoolDown has passed since it opened. Refusing is cheap: no
//     allocation, a mutex and a comparison.
//   - HalfOpen: at most Probes calls are in flight at once. SuccessesToClose
//     successful probes close the breaker (with an empty window); one failed
//     probe opens it again and restarts the cool-down.
//
// Transitions that depend only on time (Open → HalfOpen) are applied lazily,
// when the state is next read; the package starts no goroutines and no
// timers, and every method that depends on time takes it as an argument, so
// tests drive it with explicit instants.
//
// # Calls
//
// Allow asks for permission and returns a Ticket; the caller makes the call
// and reports its outcome with Ticket.Done — exactly once, even when the
// outcome does not count (Ignored), or a half-open probe slot stays taken
// until ProbeTimeout. Which errors count as failures is the caller's
// business: reask reports transport failures (5xx, timeouts, dropped
// connections) as Failure, answers from a healthy upstream as Success, and
// content problems (invalid JSON, schema violations) as Ignored.
//
// Every state change starts a new generation. A ticket carries the
// generation it was issued in, and Done ignores tickets from an older one,
// so a slow answer to a call made before the breaker opened cannot close it
// or skew the new window.
//
// # Events
//
// Settings.OnStateChange is called for every state change, after the
// breaker's lock is released (so the callback may read the breaker, or even
// call it), one call at a time, in the order the changes happened. It may
// run on the goroutine of a later caller than the one that caused the
// change.
//
// # Why not gobreaker or failsafe-go
//
// Both read the wall clock inside the breaker (gobreaker calls time.Now,
// failsafe-go takes its own clock at construction), so a test cannot put the
// breaker at an exact instant, and gobreaker counts consecutive failures or
// fixed intervals rather than a failure rate over a sliding window, and
// calls OnStateChange with its mutex held. This breaker takes the time as an
// argument everywhere and keeps their good ideas: a Settings struct with
// defaults, lazy time-based transitions, generations.
//
// A Breaker and a Set are safe for concurrent use. The zero Breaker is a
// breaker with the default settings and an empty key; New validates
// settings. Most callers want a Set, which holds one breaker per upstream.
package breaker

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// State is the state of a breaker.
type State int

// States. The zero value is Closed.
const (
	Closed State = iota
	HalfOpen
	Open
)

// String returns "closed", "half-open" or "open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Outcome is what a call allowed by the breaker came to.
type Outcome int

// Outcomes.
const (
	// Success: the upstream answered. Counts in the window; closes a
	// half-open breaker after SuccessesToClose.
	Success Outcome = iota
	// Failure: the upstream failed (5xx, timeout, connection error).
	// Counts in the window; reopens a half-open breaker.
	Failure
	// Ignored: the call says nothing about the upstream's health (the
	// caller's context was cancelled, the answer failed content checks). It
	// frees the probe slot and is otherwise not counted.
	Ignored
)

// String returns "success", "failure" or "ignored".
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Ignored:
		return "ignored"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Defaults for zero fields of Settings.
const (
	DefaultWindow           = time.Minute
	DefaultBuckets          = 10
	DefaultMinCalls         = 20
	DefaultThreshold        = 0.5
	DefaultCoolDown         = 30 * time.Second
	DefaultProbes           = 1
	DefaultSuccessesToClose = 1
	DefaultProbeTimeout     = 2 * time.Minute
)

// Settings configure a breaker. Zero fields take the defaults above.
type Settings struct {
	// Window is how far back the failure rate looks. Default 1 minute.
	Window time.Duration
	// Buckets is the number of slices the window is divided into; results
	// leave the window one bucket at a time. Default 10. Window/Buckets
	// must be at least 1ns.
	Buckets int
	// MinCalls is the number of results (successes plus failures) the
	// window must hold before the breaker may open. Default 20: at high
	// concurrency the first results are biased towards failures, which
	// come back faster than answers, and a smaller sample trips on a
	// provider that fails one call in five.
	MinCalls int
	// Threshold is the failure rate, in (0, 1], at or above which the
	// breaker opens. Default 0.5.
	Threshold float64
	// CoolDown is how long the breaker stays open before it admits probes.
	// Default 30s.
	CoolDown time.Duration
	// Probes is the number of probe calls a half-open breaker lets run at
	// once. Default 1.
	Probes int
	// SuccessesToClose is the number of successful probes that close a
	// half-open breaker. Default 1.
	SuccessesToClose int
	// ProbeTimeout bounds how long a half-open breaker waits for its
	// probes: when every probe slot is taken and none was granted for
	// ProbeTimeout, the probes are given up as lost (their tickets become
	// stale) and new probes are admitted. It guards against tickets whose
	// Done is never called. Default 2 minutes.
	ProbeTimeout time.Duration
	// OnStateChange, if not nil, is called after every state change with
	// the breaker's key. See the package documentation for when and how.
	OnStateChange func(key string, from, to State)
}

// ErrInvalidSettings is matched by the error New and NewSet return for
// settings out of range.
var ErrInvalidSettings = errors.New("breaker: invalid settings")

// Validate reports settings out of range: negative numbers or durations, a
// Threshold outside (0, 1], buckets narrower than a nanosecond.
func (s Settings) Validate() error {
	switch {
	case s.Window < 0:
		return fmt.Errorf("%w: negative window %s", ErrInvalidSettings, s.Window)
	case s.Buckets < 0:
		return fmt.Errorf("%w: negative bucket count %d", ErrInvalidSettings, s.Buckets)
	case s.MinCalls < 0:
		return fmt.Errorf("%w: negative minimum call count %d", ErrInvalidSettings, s.MinCalls)
	case math.IsNaN(s.Threshold) || s.Threshold < 0 || s.Threshold > 1:
		return fmt.Errorf("%w: threshold %v is not a failure rate in (0, 1]", ErrInvalidSettings, s.Threshold)
	case s.CoolDown < 0:
		return fmt.Errorf("%w: negative cool-down %s", ErrInvalidSettings, s.CoolDown)
	case s.Probes < 0:
		return fmt.Errorf("%w: negative probe count %d", ErrInvalidSettings, s.Probes)
	case s.SuccessesToClose < 0:
		return fmt.Errorf("%w: negative success count %d", ErrInvalidSettings, s.SuccessesToClose)
	case s.ProbeTimeout < 0:
		return fmt.Errorf("%w: negative probe timeout %s", ErrInvalidSettings, s.ProbeTimeout)
	}
	w, n := s.Window, s.Buckets
	if w == 0 {
		w = DefaultWindow
	}
	if n == 0 {
		n = DefaultBuckets
	}
	if w/time.Duration(n) < 1 {
		return fmt.Errorf("%w: a window of %s cannot hold %d buckets", ErrInvalidSettings, w, n)
	}
	return nil
}

func (s Settings) withDefaults() Settings {
	if s.Window <= 0 {
		s.Window = DefaultWindow
	}
	if s.Buckets <= 0 {
		s.Buckets = DefaultBuckets
	}
	if s.MinCalls <= 0 {
		s.MinCalls = DefaultMinCalls
	}
	if !(s.Threshold > 0 && s.Threshold <= 1) {
		s.Threshold = DefaultThreshold
	}
	if s.CoolDown <= 0 {
		s.CoolDown = DefaultCoolDown
	}
	if s.Probes <= 0 {
		s.Probes = DefaultProbes
	}
	if s.SuccessesToClose <= 0 {
		s.SuccessesToClose = DefaultSuccessesToClose
	}
	if s.ProbeTimeout <= 0 {
		s.ProbeTimeout = DefaultProbeTimeout
	}
	if s.Window/time.Duration(s.Buckets) < 1 {
		s.Buckets = int(s.Window)
	}
	return s
}

// ErrOpen is matched (with errors.Is) by every error Allow returns.
var ErrOpen = errors.New("breaker: circuit open")

// OpenError is the error Allow returns when it refuses a call. It matches
// ErrOpen. Allow may return the same *OpenError to many callers: treat it
// as read-only.
type OpenError struct {
	// Key is the breaker's key (the upstream).
	Key string
	// State is Open, or HalfOpen when every probe slot is taken.
	State State
	// Until is the earliest time the breaker will admit a call: the end of
	// the cool-down when Open; when HalfOpen, the time the probes in flight
	// are given up as lost (a probe may finish, and free its slot, sooner).
	Until time.Time
}

// Error describes the refusal.
func (e *OpenError) Error() string {
	if e.State == HalfOpen {
		return fmt.Sprintf("breaker: circuit half-open for %q, every probe slot taken", e.Key)
	}
	return fmt.Sprintf("breaker: circuit open for %q until %s", e.Key, e.Until.Format(time.RFC3339Nano))
}

// Is reports whether target is ErrOpen.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// Breaker is a circuit breaker for one upstream. See the package
// documentation. The zero value uses the default settings.
type Breaker struct {
	key string

	mu       sync.Mutex
	init     bool
	s        Settings // with defaults applied
	state    State
	gen      uint64
	window   window
	openedAt time.Time // Open: when it opened
	until    time.Time // Open: end of the cool-down
	inflight int       // HalfOpen: probes in flight
	okProbes int       // HalfOpen: successful probes
	lastSent time.Time // HalfOpen: when the last probe was admitted
	openErr  *OpenError

	pending  []change // state changes not yet reported
	draining bool     // a goroutine is reporting pending changes
}

type change struct{ from, to State }

// New returns a closed breaker for the upstream named key, or an error
// matching ErrInvalidSettings.
func New(key string, s Settings) (*Breaker, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := &Breaker{key: key}
	b.setup(s)
	return b, nil
}

func (b *Breaker) setup(s Settings) {
	b.s = s.withDefaults()
	b.window = newWindow(b.s.Window, b.s.Buckets)
	b.init = true
}

// Key returns the key the breaker was created with.
func (b *Breaker) Key() string { return b.key }

// Ticket is the permission to make one call, returned by Allow. Report the
// call's outcome with Done. The zero Ticket's Done does nothing.
type Ticket struct {
	b     *Breaker
	gen   uint64
	probe bool
}

// Probe reports whether the ticket was issued by a half-open breaker.
func (t Ticket) Probe() bool { return t.probe }

// Done records the outcome of the call at time now, and reports whether
// that outcome opened the breaker (so a caller can say which call tripped
// it). Call it exactly once per ticket. Outcomes of tickets issued before
// the breaker's latest state change are ignored.
func (t Ticket) Done(now time.Time, o Outcome) (opened bool) {
	if t.b != nil {
		return t.b.done(now, t.gen, t.probe, o)
	}
	return false
}

// Allow asks permission to make a call at time now. It returns a ticket to
// report the outcome with, or an *OpenError (matching ErrOpen) when the
// breaker is open, or half-open with every probe slot taken.
func (b *Breaker) Allow(now time.Time) (Ticket, error) {
	b.mu.Lock()
	if !b.init {
		b.setup(Settings{})
	}
	if b.state == Open && now.Before(b.until) { // the fast path
		err := b.openErr
		b.mu.Unlock()
		return Ticket{}, err
	}
	b.advance(now)
	var t Ticket
	var err error
	switch b.state {
	case Closed:
		t = Ticket{b: b, gen: b.gen}
	case Open:
		err = b.openErr
	case HalfOpen:
		if b.inflight >= b.s.Probes && !now.Before(b.lastSent.Add(b.s.ProbeTimeout)) {
			// The probes in flight are lost: start over, so that their
			// late outcomes are ignored.
			b.gen++
			b.inflight, b.okProbes = 0, 0
		}
		if b.inflight < b.s.Probes {
			b.inflight++
			b.lastSent = now
			t = Ticket{b: b, gen: b.gen, probe: true}
		} else {
			until := b.lastSent.Add(b.s.ProbeTimeout)
			if b.openErr == nil || b.openErr.State != HalfOpen || !b.openErr.Until.Equal(until) {
				b.openErr = &OpenError{Key: b.key, State: HalfOpen, Until: until}
			}
			err = b.openErr
		}
	}
	b.unlockAndReport()
	return t, err
}

// State returns the state at time now, applying the cool-down.
func (b *Breaker) State(now time.Time) State {
	b.mu.Lock()
	if !b.init {
		b.setup(Settings{})
	}
	b.advance(now)
	s := b.state
	b.unlockAndReport()
	return s
}

// Status is a breaker's state and counters at one instant, for metrics and
// dashboards.
type Status struct {
	Key   string
	State State
	// Generation counts the breaker's state changes (and lost-probe
	// restarts).
	Generation uint64
	// Successes and Failures are the results in the window (Closed).
	Successes, Failures int
	// OpenedAt and Until are when the breaker last opened and when its
	// cool-down ends (Open, and HalfOpen for OpenedAt).
	OpenedAt, Until time.Time
	// Probes is the number of probes in flight (HalfOpen).
	Probes int
}

// FailureRate returns Failures/(Successes+Failures), or 0 with no results.
func (s Status) FailureRate() float64 {
	if n := s.Successes + s.Failures; n > 0 {
		return float64(s.Failures) / float64(n)
	}
	return 0
}

// Status returns the breaker's state and counters at time now.
func (b *Breaker) Status(now time.Time) Status {
	b.mu.Lock()
	if !b.init {
		b.setup(Settings{})
	}
	b.advance(now)
	st := Status{Key: b.key, State: b.state, Generation: b.gen}
	switch b.state {
	case Closed:
		st.Successes, st.Failures = b.window.sum(now)
	case Open:
		st.OpenedAt, st.Until = b.openedAt, b.until
	case HalfOpen:
		st.OpenedAt = b.openedAt
		st.Probes = b.inflight
	}
	b.unlockAndReport()
	return st
}

// advance applies the time-based transition Open → HalfOpen. b.mu is held.
func (b *Breaker) advance(now time.Time) {
	if b.state == Open && !now.Before(b.until) {
		b.setState(HalfOpen, now)
	}
}

// setState moves to a new state and generation and queues the change for
// OnStateChange. b.mu is held.
func (b *Breaker) setState(to State, now time.Time) {
	from := b.state
	b.state = to
	b.gen++
	b.inflight, b.okProbes = 0, 0
	switch to {
	case Closed:
		b.window.reset()
	case Open:
		b.openedAt = now
		b.until = now.Add(b.s.CoolDown)
		b.openErr = &OpenError{Key: b.key, State: Open, Until: b.until}
	case HalfOpen:
		b.lastSent = now
	}
	if b.s.OnStateChange != nil {
		b.pending = append(b.pending, change{from, to})
	}
}

func (b *Breaker) done(now time.Time, gen uint64, probe bool, o Outcome) (opened bool) {
	b.mu.Lock()
	b.advance(now)
	if gen != b.gen {
		b.mu.Unlock()
		return false
	}
	defer b.unlockAndReport()
	switch b.state {
	case Closed:
		switch o {
		case Success:
			b.window.add(now, 1, 0)
		case Failure:
			b.window.add(now, 0, 1)
			ok, failed := b.window.sum(now)
			if n := ok + failed; n >= b.s.MinCalls && float64(failed) >= b.s.Threshold*float64(n) {
				b.setState(Open, now)
				return true
			}
		}
	case HalfOpen:
		if !probe {
			break
		}
		b.inflight--
		switch o {
		case Success:
			b.okProbes++
			if b.okProbes >= b.s.SuccessesToClose {
				b.setState(Closed, now)
			}
		case Failure:
			b.setState(Open, now)
			return true
		}
	}
	return false
}

// unlockAndReport releases b.mu and then, unless another goroutine is
// already doing it, reports the pending state changes in order, without
// holding the lock while a callback runs.
func (b *Breaker) unlockAndReport() {
	if len(b.pending) == 0 || b.draining {
		b.mu.Unlock()
		return
	}
	b.draining = true
	finished := false
	defer func() {
		if !finished { // a callback panicked: let the next caller report
			b.mu.Lock()
			b.draining = false
			b.mu.Unlock()
		}
	}()
	for len(b.pending) > 0 {
		c := b.pending[0]
		b.pending = b.pending[1:]
		if len(b.pending) == 0 {
			b.pending = nil
		}
		fn := b.s.OnStateChange
		b.mu.Unlock()
		fn(b.key, c.from, c.to)
		b.mu.Lock()
	}
	b.draining = false
	finished = true
	b.mu.Unlock()
}
