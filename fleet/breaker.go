package fleet

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/breaker"
)

// Breaker is the fleet-wide counterpart of breaker.Breaker: one circuit
// breaker for every process that uses the same Redis and account. Its
// state (closed, open, half-open), its sliding window of results, its
// generation and its probes in flight are one Redis hash, changed by one
// atomic script per call: one process that sees an outage opens it for all,
// and half-open admits Settings.Probes calls in the whole fleet.
//
// The semantics are breaker.Breaker's, with the same Settings and
// defaults, with these differences: the window's buckets are aligned to
// Unix time rather than to the first result; Settings.OnStateChange is
// called by the process whose call made the change (so each change is
// reported once in the fleet), after the script returns; and an open
// breaker refuses without a Redis call until the end of the cool-down it
// reported (an open breaker cannot close before then).
//
// A Breaker is safe for concurrent use.
type Breaker struct {
	store *Store
	key   string
	name  string
	s     breaker.Settings // with defaults
	ttl   time.Duration

	mu        sync.Mutex
	openUntil time.Time // refuse without asking Redis before this
	openErr   *breaker.OpenError
}

// breakerDefaults applies breaker's defaults to zero fields, as
// breaker.New does.
func breakerDefaults(s breaker.Settings) breaker.Settings {
	if s.Window <= 0 {
		s.Window = breaker.DefaultWindow
	}
	if s.Buckets <= 0 {
		s.Buckets = breaker.DefaultBuckets
	}
	if s.MinCalls <= 0 {
		s.MinCalls = breaker.DefaultMinCalls
	}
	if !(s.Threshold > 0 && s.Threshold <= 1) {
		s.Threshold = breaker.DefaultThreshold
	}
	if s.CoolDown <= 0 {
		s.CoolDown = breaker.DefaultCoolDown
	}
	if s.Probes <= 0 {
		s.Probes = breaker.DefaultProbes
	}
	if s.SuccessesToClose <= 0 {
		s.SuccessesToClose = breaker.DefaultSuccessesToClose
	}
	if s.ProbeTimeout <= 0 {
		s.ProbeTimeout = breaker.DefaultProbeTimeout
	}
	return s
}

// Breaker returns the shared breaker of account a, named name in its
// errors and state changes (reask uses "provider/model"), or an error
// matching breaker.ErrInvalidSettings or ErrConfig: the window's buckets
// must be at least a microsecond wide, the scripts' unit of time.
func (s *Store) Breaker(a Account, name string, st breaker.Settings) (*Breaker, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	st = breakerDefaults(st)
	if st.Window/time.Duration(st.Buckets) < time.Microsecond {
		return nil, fmt.Errorf("%w: a shared breaker's window of %s cannot hold %d buckets of at least 1µs", ErrConfig, st.Window, st.Buckets)
	}
	ttl := DefaultStateTTL + st.Window + st.CoolDown + st.ProbeTimeout
	return &Breaker{store: s, key: a.key("breaker"), name: name, s: st, ttl: ttl}, nil
}

// Key returns the Redis key of the breaker's state.
func (b *Breaker) Key() string { return b.key }

// Name returns the name the breaker was created with.
func (b *Breaker) Name() string { return b.name }

func (b *Breaker) head(now time.Time) []any {
	s := b.s
	width := s.Window / time.Duration(s.Buckets)
	return []any{micros(now), b.ttl.Milliseconds(), s.CoolDown.Microseconds(), s.Probes,
		s.ProbeTimeout.Microseconds(), width.Microseconds(), s.Buckets, newEpoch()}
}

// Ticket is the permission to make one call, returned by Allow; report the
// call's outcome with Done. The zero Ticket's Done does nothing.
type Ticket struct {
	b     *Breaker
	gen   int64
	inc   string
	probe bool
}

// Probe reports whether the ticket was issued by a half-open breaker.
func (t Ticket) Probe() bool { return t.probe }

// breakerReply is what every breaker script answers.
type breakerReply struct {
	result  int64
	state   breaker.State
	gen     int64
	inc     string
	at      time.Time
	changes [][2]breaker.State
}

func (b *Breaker) call(ctx context.Context, op string, args []any, sc *redis.Script) (breakerReply, error) {
	out, err := b.store.run(ctx, op, sc, b.key, args...)
	if err != nil {
		return breakerReply{}, err
	}
	rp := reply{v: out}
	r := breakerReply{result: rp.int(0), state: luaState(rp.int(1)), gen: rp.int(2), inc: rp.string(3), at: fromMicros(rp.float(4))}
	for i := 5; i+1 < len(out); i += 2 {
		r.changes = append(r.changes, [2]breaker.State{luaState(rp.int(i)), luaState(rp.int(i + 1))})
	}
	if rp.err != nil {
		return breakerReply{}, b.store.broken(op, rp.err)
	}
	if fn := b.s.OnStateChange; fn != nil {
		for _, c := range r.changes {
			fn(b.name, c[0], c[1])
		}
	}
	return r, nil
}

// luaState maps the scripts' states (0 closed, 1 half-open, 2 open).
func luaState(n int64) breaker.State {
	switch n {
	case 1:
		return breaker.HalfOpen
	case 2:
		return breaker.Open
	}
	return breaker.Closed
}

// Allow asks permission to make a call at now, for the whole fleet. It
// returns a ticket, or a *breaker.OpenError (matching breaker.ErrOpen) when
// the shared breaker is open or half-open with every probe slot of the
// fleet taken, or an *UnavailableError when Redis cannot say.
func (b *Breaker) Allow(ctx context.Context, now time.Time) (Ticket, error) {
	b.mu.Lock()
	if now.Before(b.openUntil) {
		err := b.openErr
		b.mu.Unlock()
		return Ticket{}, err
	}
	b.mu.Unlock()
	r, err := b.call(ctx, "breaker.allow", b.head(now), breakerAllow)
	if err != nil {
		return Ticket{}, err
	}
	if r.result == 0 {
		return Ticket{}, b.refusal(r.state, r.at)
	}
	return Ticket{b: b, gen: r.gen, inc: r.inc, probe: r.result == 2}, nil
}

// refusal returns the error for a refusal in state until at, and
// remembers an open breaker's cool-down.
func (b *Breaker) refusal(st breaker.State, at time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openErr == nil || b.openErr.State != st || !b.openErr.Until.Equal(at) {
		b.openErr = &breaker.OpenError{Key: b.name, State: st, Until: at}
	}
	if st == breaker.Open {
		b.openUntil = at
	}
	return b.openErr
}

// Done records the outcome of the call at now, and reports whether it
// opened the shared breaker. Call it exactly once per ticket. Outcomes of
// tickets issued before the breaker's latest state change, or before the
// shared state was lost, are ignored.
func (t Ticket) Done(ctx context.Context, now time.Time, o breaker.Outcome) (opened bool, err error) {
	b := t.b
	if b == nil {
		return false, nil
	}
	probe := 0
	if t.probe {
		probe = 1
	}
	outcome := 2
	switch o {
	case breaker.Success:
		outcome = 0
	case breaker.Failure:
		outcome = 1
	}
	args := append(b.head(now), t.gen, t.inc, probe, outcome, b.s.MinCalls,
		strconv.FormatFloat(b.s.Threshold, 'g', -1, 64), b.s.SuccessesToClose)
	r, err := b.call(ctx, "breaker.done", args, breakerDone)
	if err != nil {
		return false, err
	}
	if r.result == 1 {
		b.refusal(breaker.Open, r.at)
		return true, nil
	}
	return false, nil
}

// State returns the shared breaker's state at now, applying the cool-down.
func (b *Breaker) State(ctx context.Context, now time.Time) (breaker.State, error) {
	st, err := b.Status(ctx, now)
	return st.State, err
}

// Status returns the shared breaker's state and counters at now. It only
// reads: an open breaker whose cool-down has passed is reported half-open
// (with the generation it will have) until a call moves it.
func (b *Breaker) Status(ctx context.Context, now time.Time) (breaker.Status, error) {
	var h map[string]string
	err := b.store.do(ctx, "breaker.status", func(ctx context.Context) error {
		var err error
		h, err = b.store.rdb.HGetAll(ctx, b.key).Result()
		return err
	})
	if err != nil {
		return breaker.Status{}, err
	}
	f := func(k string) float64 { return parseFloat(h[k]) }
	st := breaker.Status{Key: b.name, State: luaState(int64(f("st"))), Generation: uint64(f("gen"))}
	switch st.State {
	case breaker.Open:
		st.OpenedAt, st.Until = fromMicros(f("opened")), fromMicros(f("til"))
		if !now.Before(st.Until) {
			st = breaker.Status{Key: b.name, State: breaker.HalfOpen, Generation: st.Generation + 1, OpenedAt: st.OpenedAt}
		}
	case breaker.HalfOpen:
		st.OpenedAt = fromMicros(f("opened"))
		st.Probes = int(f("inflight"))
	case breaker.Closed:
		st.Successes, st.Failures = b.window(h, now)
	}
	return st, nil
}

// window sums the results of the window ending at now, as the scripts do.
func (b *Breaker) window(h map[string]string, now time.Time) (ok, fails int) {
	newest, found := h["newest"]
	if !found {
		return 0, 0
	}
	width := (b.s.Window / time.Duration(b.s.Buckets)).Microseconds()
	n := int64(b.s.Buckets)
	i := max(int64(math.Floor(float64(micros(now))/float64(width))), int64(parseFloat(newest)))
	for s := range n {
		idx, used := h["wi"+strconv.FormatInt(s, 10)]
		if !used {
			continue
		}
		if si := int64(parseFloat(idx)); si <= i && si > i-n {
			ok += int(parseFloat(h["wo"+strconv.FormatInt(s, 10)]))
			fails += int(parseFloat(h["wf"+strconv.FormatInt(s, 10)]))
		}
	}
	return ok, fails
}
