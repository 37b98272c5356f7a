package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// transient reports whether a Redis error may go away by itself: no
// answer in time, a connection refused or reset (Redis restarting), or a
// server still loading its data. An error reply (a bug, a foreign key) and
// a closed Queue do not.
func transient(err error) bool {
	if errors.Is(err, redis.ErrClosed) {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
		return false
	}
	return true
}

// outage follows one loop's view of Redis: it logs once when Redis stops
// answering and once when it answers again. It is safe for concurrent use.
type outage struct {
	q    *Queue
	what string // the loop: "worker w1", "job orders"

	mu    sync.Mutex
	since time.Time
}

// failed records a transient failure and returns how long Redis has been
// failing.
func (o *outage) failed(err error) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.q.clk.Now()
	if o.since.IsZero() {
		o.since = now
		o.q.log.LogAttrs(context.Background(), slog.LevelWarn, "reask: Redis unavailable, retrying",
			slog.String("redis", o.q.shown), slog.String("in", o.what), slog.String("error", err.Error()))
	}
	return now.Sub(o.since)
}

// ok records an answer.
func (o *outage) ok() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	o.q.log.LogAttrs(context.Background(), slog.LevelInfo, "reask: Redis available again",
		slog.String("redis", o.q.shown), slog.String("in", o.what), slog.Duration("down", o.q.clk.Now().Sub(o.since)))
	o.since = time.Time{}
}

// retry runs fn, one Redis step bounded by timeout, until it succeeds or
// fails for good: ctx ends, the error is not transient, or Redis has
// failed for longer than Config.MaxOutage (an error matching ErrRedis).
func (q *Queue) retry(ctx context.Context, o *outage, timeout time.Duration, fn func(ctx context.Context) error) error {
	for {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := fn(cctx)
		cancel()
		if err == nil {
			o.ok()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !transient(err) {
			return err
		}
		if down := o.failed(err); down > q.cfg.MaxOutage {
			return fmt.Errorf("%w: %s: --redis %s has failed for %s (the limit): %v", ErrRedis, o.what, q.shown, down.Round(time.Millisecond), err)
		}
		if err := q.clk.Sleep(ctx, q.cfg.PollInterval); err != nil {
			return err
		}
	}
}
