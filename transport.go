package reask

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// send makes one content attempt's provider call, retrying transport
// failures: rate limits wait for the provider's Retry-After (or back off),
// server errors, timeouts and dropped connections back off with jitter, and
// everything else — bad requests, authentication, exhausted quota — is
// returned at once. Retries do not use up content attempts but are counted
// in the report. The deadline bounds the waits: a wait that would outlast
// it fails early with ErrDeadline.
func (j *job) send(ctx context.Context, req *Request, rec *Attempt) (*Response, error) {
	set := &j.set
	var waited time.Duration
	for retry := 0; ; retry++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !j.deadline.IsZero() && !set.clock.Now().Before(j.deadline) {
			return nil, fmt.Errorf("%w: the extraction's timeout of %s has passed", ErrDeadline, set.timeout)
		}
		t0 := set.clock.Now()
		resp, err := j.client.provider.Complete(ctx, req)
		call := Call{Outcome: KindOK, Waited: waited, Duration: set.clock.Now().Sub(t0)}
		if resp != nil {
			call.RequestID = resp.RequestID
		}
		var pe *ProviderError
		if err != nil {
			call.Outcome = classify(err)
			call.Message = err.Error()
			if errors.As(err, &pe) {
				call.Status = pe.StatusCode
				call.RequestID = pe.RequestID
			}
		}
		rec.Calls = append(rec.Calls, call)
		j.report.Calls++
		j.emit(ctx, Event{Kind: EventCall, Attempt: rec.Number, Call: &rec.Calls[len(rec.Calls)-1]})
		if err == nil {
			if resp == nil {
				return nil, fmt.Errorf("reask: provider %s returned neither an answer nor an error", j.report.Provider)
			}
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			if !j.deadline.IsZero() && errors.Is(ctxErr, context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w: the extraction's timeout of %s has passed: %w", ErrDeadline, set.timeout, err)
			}
			return nil, ctxErr
		}
		kind := call.Outcome
		if !kind.Retryable() {
			return nil, err
		}
		if retry >= set.maxTransportRetries {
			return nil, fmt.Errorf("reask: giving up after %d transport retries: %w", retry, err)
		}
		delay := set.backoff.Delay(retry, set.random)
		if pe != nil && pe.RetryAfter > 0 {
			if pe.RetryAfter > set.maxRetryAfter {
				return nil, fmt.Errorf("reask: the provider asks to wait %s, more than the %s allowed: %w", pe.RetryAfter, set.maxRetryAfter, err)
			}
			delay = pe.RetryAfter
		}
		if ferr := j.fits(ctx, delay); ferr != nil {
			return nil, fmt.Errorf("%w; last error: %w", ferr, err)
		}
		j.emit(ctx, Event{Kind: EventRetry, Attempt: rec.Number, Delay: delay, Err: err})
		set.logger.LogAttrs(ctx, slog.LevelInfo, "reask: retrying call",
			slog.String("provider", j.report.Provider), slog.String("kind", string(kind)),
			slog.Int("retry", retry+1), slog.Duration("delay", delay))
		if err := set.clock.Sleep(ctx, delay); err != nil {
			return nil, err
		}
		j.report.Backoff += delay
		waited = delay
	}
}

// fits reports an error when waiting d would outlast the extraction's
// deadline or the context's.
func (j *job) fits(ctx context.Context, d time.Duration) error {
	if !j.deadline.IsZero() && j.set.clock.Now().Add(d).After(j.deadline) {
		return fmt.Errorf("%w: waiting %s would pass the extraction's timeout of %s", ErrDeadline, d, j.set.timeout)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("%w: waiting %s would pass the context's deadline", ErrDeadline, d)
	}
	return nil
}
