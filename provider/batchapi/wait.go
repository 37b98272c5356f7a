package batchapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
)

// Poller's defaults, for its zero fields.
const (
	DefaultPollInitial = 5 * time.Second
	DefaultPollMax     = time.Minute
	DefaultPollFactor  = 1.5
)

// Poller waits for batches to end, polling with a growing interval. The
// zero Poller polls after 5s, then each interval 1.5 times the last, up
// to a minute, on the system clock.
type Poller struct {
	// Initial is the first wait; 0 means DefaultPollInitial.
	Initial time.Duration
	// Max bounds every wait; 0 means DefaultPollMax.
	Max time.Duration
	// Factor grows the wait after each poll that finds the batch running;
	// values at or below 1 mean DefaultPollFactor.
	Factor float64
	// Clock waits; nil means the system clock.
	Clock clock.Clock
	// OnPoll, when not nil, is called with each status read (progress).
	OnPoll func(Status)
}

// Wait polls batch id on c until it ends and returns its last status. A
// 429 (a rate limit on polls) waits what the provider asked for
// (Retry-After), or the current interval, and polls again; any other
// error is returned. A cancelled batch is returned with an error matching
// ErrBatchCancelled, a refused one with ErrBatchFailed; their status is
// returned too (a cancelled batch's finished lines can still be read).
func (p Poller) Wait(ctx context.Context, c Client, id string) (Status, error) {
	initial := p.Initial
	if initial <= 0 {
		initial = DefaultPollInitial
	}
	most := p.Max
	if most <= 0 {
		most = DefaultPollMax
	}
	factor := p.Factor
	if factor <= 1 {
		factor = DefaultPollFactor
	}
	clk := p.Clock
	if clk == nil {
		clk = clock.System()
	}
	wait := min(initial, most)
	for {
		st, err := c.Status(ctx, id)
		var pe *reask.ProviderError
		switch {
		case errors.As(err, &pe) && pe.Kind == reask.KindRateLimit:
			d := wait
			if pe.RetryAfter > 0 {
				d = pe.RetryAfter
			}
			if err := clk.Sleep(ctx, d); err != nil {
				return Status{}, err
			}
			continue
		case err != nil:
			return Status{}, err
		}
		if p.OnPoll != nil {
			p.OnPoll(st)
		}
		switch st.State {
		case StateCancelled:
			return st, fmt.Errorf("batch %s: %w", id, ErrBatchCancelled)
		case StateFailed:
			return st, fmt.Errorf("batch %s: %w: %s", id, ErrBatchFailed, st.Problem)
		}
		if st.State.Ended() {
			return st, nil
		}
		if err := clk.Sleep(ctx, wait); err != nil {
			return st, err
		}
		wait = min(time.Duration(float64(wait)*factor), most)
	}
}
