// Package logthrottle keeps a flood of repeated log lines from drowning a
// log: a slog.Handler that lets the first Burst records of each kind
// through per Interval, counts the rest, and writes one summary per kind
// for the interval — "reask: extraction failed (1,312 more like this in
// the last 10s)". A breaker trip that fails every request then costs a few
// lines every ten seconds instead of one per request.
//
// A kind is a record's level, message and the values of a few attributes
// that tell failures apart (Config.KeyAttrs: outcome, kind, status,
// provider, upstream by default). An interval starts with the first record
// of its kind and lasts Interval.
//
// The handler starts no goroutine. A summary is written when the interval
// is over, on the next log call of any kind and level — even one the
// level filters out, since slog asks Enabled first — or by Flush, which a
// program calls on shutdown so that the last summary is not lost.
package logthrottle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/reask/reask/clock"
)

// Defaults for zero Config fields.
const (
	DefaultBurst    = 10
	DefaultInterval = 10 * time.Second
	DefaultMaxKinds = 1024
)

// DefaultKeyAttrs are the attributes whose values tell kinds apart by
// default, besides level and message.
var DefaultKeyAttrs = []string{"outcome", "kind", "status", "provider", "upstream"}

// ErrConfig is matched by every configuration error of New.
var ErrConfig = errors.New("logthrottle: invalid configuration")

// Config configures a Handler. The zero Config throttles WARN and above to
// DefaultBurst records per kind every DefaultInterval.
type Config struct {
	// Burst is how many records of a kind pass per interval; the rest are
	// counted and summarised. Default DefaultBurst.
	Burst int
	// Interval is how long an interval lasts. Default DefaultInterval.
	Interval time.Duration
	// Level is the least level throttled: records below it pass, every
	// one. Default slog.LevelWarn (an access log at INFO stays whole).
	Level slog.Leveler
	// KeyAttrs are the attribute names whose values tell kinds apart,
	// besides level and message (top-level attributes of the record or
	// of WithAttrs). Default DefaultKeyAttrs.
	KeyAttrs []string
	// MaxKinds bounds the kinds tracked at once; records of further kinds
	// pass untracked until intervals end. Default DefaultMaxKinds.
	MaxKinds int
	// Clock times the intervals. Default: the system clock.
	Clock clock.Clock
}

// Handler throttles repeated records on their way to another handler. It
// is safe for concurrent use; handlers made by WithAttrs and WithGroup
// share its counts.
type Handler struct {
	inner slog.Handler
	st    *state
	bound []slog.Attr // key attributes bound by WithAttrs
}

var _ slog.Handler = (*Handler)(nil)

// New returns a handler writing to inner, or an error matching ErrConfig
// when cfg is invalid.
func New(inner slog.Handler, cfg Config) (*Handler, error) {
	if inner == nil {
		return nil, fmt.Errorf("%w: no handler to write to", ErrConfig)
	}
	switch {
	case cfg.Burst < 0:
		return nil, fmt.Errorf("%w: burst %d: want 0 (default %d) or more", ErrConfig, cfg.Burst, DefaultBurst)
	case cfg.Interval < 0:
		return nil, fmt.Errorf("%w: interval %s: want 0 (default %s) or more", ErrConfig, cfg.Interval, DefaultInterval)
	case cfg.MaxKinds < 0:
		return nil, fmt.Errorf("%w: max kinds %d: want 0 (default %d) or more", ErrConfig, cfg.MaxKinds, DefaultMaxKinds)
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Level == nil {
		cfg.Level = slog.LevelWarn
	}
	if cfg.KeyAttrs == nil {
		cfg.KeyAttrs = DefaultKeyAttrs
	}
	if cfg.MaxKinds == 0 {
		cfg.MaxKinds = DefaultMaxKinds
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	return &Handler{inner: inner, st: &state{cfg: cfg, kinds: map[string]*kind{}}}, nil
}

// state is what every handler derived from one New shares.
type state struct {
	cfg Config
	// due is the earliest end, in Unix nanoseconds, of an interval with
	// suppressed records (0: none): read without the lock on every log
	// call.
	due atomic.Int64

	mu    sync.Mutex
	kinds map[string]*kind
}

// kind is the current interval of one kind of record.
type kind struct {
	start      time.Time
	seen       int // records in the interval
	suppressed int
	// The first record's level, message, key attributes and handler: the
	// summary's.
	level slog.Level
	msg   string
	attrs []slog.Attr
	to    slog.Handler
}

// summary is a summary record waiting to be written (outside the lock).
type summary struct {
	to slog.Handler
	r  slog.Record
}

// Enabled reports whether inner handles level. It also writes the
// summaries that are due, so that they come out with the next log call of
// any level, even one filtered out.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	if due := h.st.due.Load(); due != 0 {
		if now := h.st.cfg.Clock.Now(); now.UnixNano() >= due {
			_ = write(ctx, h.st.sweep(now, false))
		}
	}
	return h.inner.Enabled(ctx, level)
}

// Handle passes r on unless Burst records of its kind passed already in
// the current interval, in which case it counts it. Summaries due are
// written first.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	st := h.st
	now := st.cfg.Clock.Now()
	var due []summary
	if d := st.due.Load(); d != 0 && now.UnixNano() >= d {
		due = st.sweep(now, false)
	}
	err := write(ctx, due)
	if r.Level < st.cfg.Level.Level() {
		return errors.Join(err, h.inner.Handle(ctx, r))
	}
	key, attrs := h.key(r)
	pass, ended := st.admit(now, key, r, attrs, h.inner)
	err = errors.Join(err, write(ctx, ended))
	if !pass {
		return err
	}
	return errors.Join(err, h.inner.Handle(ctx, r))
}

// admit counts r in its kind's interval and reports whether it passes,
// with the summary of the kind's previous interval if it ended with
// records held back and was not swept yet.
func (st *state) admit(now time.Time, key string, r slog.Record, attrs []slog.Attr, to slog.Handler) (pass bool, ended []summary) {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := st.kinds[key]
	if k != nil && !now.Before(k.start.Add(st.cfg.Interval)) {
		if k.suppressed > 0 {
			ended = append(ended, summary{to: k.to, r: k.summary(k.start.Add(st.cfg.Interval))})
			k.suppressed = 0
			defer st.setDue()
		}
		delete(st.kinds, key)
		k = nil
	}
	if k == nil {
		if len(st.kinds) >= st.cfg.MaxKinds {
			st.dropEnded(now)
			if len(st.kinds) >= st.cfg.MaxKinds {
				return true, ended // too many kinds at once: not a repeat worth holding back
			}
		}
		k = &kind{start: now, level: r.Level, msg: r.Message, attrs: attrs, to: to}
		st.kinds[key] = k
	}
	k.seen++
	if k.seen <= st.cfg.Burst {
		return true, ended
	}
	k.suppressed++
	if k.suppressed == 1 {
		st.setDue()
	}
	return false, ended
}

// dropEnded forgets the kinds whose interval ended with nothing to
// summarise. Called with the lock held.
func (st *state) dropEnded(now time.Time) {
	for key, k := range st.kinds {
		if k.suppressed == 0 && !now.Before(k.start.Add(st.cfg.Interval)) {
			delete(st.kinds, key)
		}
	}
}

// setDue recomputes the earliest end of an interval with suppressed
// records. Called with the lock held.
func (st *state) setDue() {
	var due int64
	for _, k := range st.kinds {
		if k.suppressed > 0 {
			if end := k.start.Add(st.cfg.Interval).UnixNano(); due == 0 || end < due {
				due = end
			}
		}
	}
	st.due.Store(due)
}

// sweep returns the summaries of the intervals that ended by now (all of
// them when all is set, for Flush) and forgets the intervals that ended.
func (st *state) sweep(now time.Time, all bool) []summary {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []summary
	for key, k := range st.kinds {
		end := k.start.Add(st.cfg.Interval)
		ended := !now.Before(end)
		if k.suppressed > 0 && (ended || all) {
			at := end
			if !ended {
				at = now
			}
			out = append(out, summary{to: k.to, r: k.summary(at)})
			k.suppressed = 0
		}
		if ended {
			delete(st.kinds, key)
		}
	}
	st.setDue()
	return out
}

var printer = message.NewPrinter(language.English)

// summary is the record telling how many records of k were held back
// from the interval's start until at.
func (k *kind) summary(at time.Time) slog.Record {
	span := at.Sub(k.start)
	if span >= time.Second {
		span = span.Round(time.Second)
	} else {
		span = span.Round(time.Millisecond)
	}
	r := slog.NewRecord(at, k.level, printer.Sprintf("%s (%d more like this in the last %s)", k.msg, k.suppressed, span), 0)
	r.AddAttrs(k.attrs...)
	r.AddAttrs(slog.Int("suppressed", k.suppressed))
	return r
}

func write(ctx context.Context, ss []summary) error {
	var errs []error
	for _, s := range ss {
		if s.to.Enabled(ctx, s.r.Level) {
			errs = append(errs, s.to.Handle(ctx, s.r))
		}
	}
	return errors.Join(errs...)
}

// key returns r's kind and its key attributes.
func (h *Handler) key(r slog.Record) (string, []slog.Attr) {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	attrs := make([]slog.Attr, 0, len(h.st.cfg.KeyAttrs))
	for _, name := range h.st.cfg.KeyAttrs {
		a, ok := h.find(r, name)
		if !ok {
			continue
		}
		attrs = append(attrs, a)
		b.WriteByte(0)
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(a.Value.String())
	}
	return b.String(), attrs
}

// find returns the attribute called name, from r or bound by WithAttrs.
func (h *Handler) find(r slog.Record, name string) (slog.Attr, bool) {
	var found slog.Attr
	ok := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == name {
			found, ok = a, true
			return false
		}
		return true
	})
	if ok {
		return found, true
	}
	for _, a := range h.bound {
		if a.Key == name {
			return a, true
		}
	}
	return slog.Attr{}, false
}

// WithAttrs returns a handler whose records carry attrs, sharing h's
// counts.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := &Handler{inner: h.inner.WithAttrs(attrs), st: h.st, bound: h.bound}
	for _, a := range attrs {
		for _, name := range h.st.cfg.KeyAttrs {
			if a.Key == name {
				n.bound = append(append([]slog.Attr(nil), n.bound...), a)
			}
		}
	}
	return n
}

// WithGroup returns a handler whose records' attributes go in group
// name, sharing h's counts. Attributes inside the group are not key
// attributes.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), st: h.st, bound: h.bound}
}

// Flush writes the summary of every interval with records held back, at
// once, over the span from the interval's start until now. Call it on
// shutdown.
func (h *Handler) Flush(ctx context.Context) error {
	return write(ctx, h.st.sweep(h.st.cfg.Clock.Now(), true))
}
