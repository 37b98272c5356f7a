package reask

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reask/reask/ratelimit"
)

// send makes one content attempt's call to provider p, retrying transport
// failures: rate limits wait for the provider's Retry-After (shared with
// every call of the client through the rate limiter) or back off, server
// errors, timeouts and dropped connections back off with jitter, a refused
// connection is retried at most Config.MaxRefusedRetries times (default once),
// and everything else — bad requests, authentication, exhausted quota, a
// host name that does not resolve — is returned at once. Each call goes
// through the provider's policy steps (stepsFor): the circuit breaker and
// the rate limiter admit it, and the retry budget pays for its retry.
// Retries do not use up content attempts but are counted in the report.
// The deadline bounds the waits: a wait that would outlast it fails early
// with ErrDeadline.
func (j *job) send(ctx context.Context, p Provider, req *Request, rec *Attempt) (*Response, error) {
	set := &j.set
	name := p.Name()
	steps := j.client.policies.stepsFor(name)
	t := try{clock: set.clock, tokens: estimateTokens(req.Messages, len(req.Schema)) + req.MaxTokens,
		sharedErrors: &j.report.SharedStateErrors}
	var waited time.Duration
	refused := 0 // retries spent on refused connections
	for retry := 0; ; retry++ {
		if err := j.timeLeft(ctx); err != nil {
			return nil, err
		}
		t.waited = 0
		after, err := steps.admit(ctx, &t)
		waited += t.waited
		j.report.Backoff += t.waited
		if err != nil {
			j.refused(ctx, rec, err, waited)
			return nil, err
		}
		t0 := set.clock.Now()
		resp, err := j.complete(ctx, p, req)
		o := outcome{at: set.clock.Now(), resp: resp, err: err, kind: classify(err)}
		errors.As(err, &o.pe)
		j.addCall(ctx, rec, o.call(t0, waited), true)
		waited = 0
		var end error
		o.verdict, end = j.judge(ctx, name, &o, retry, &refused)
		stop := after(ctx, &o)
		if o.tripped {
			j.report.BreakerTrips++
		}
		switch {
		case o.verdict == answered:
			return resp, nil
		case o.verdict != retrying:
			return nil, end
		case stop != nil:
			return nil, stop
		}
		delay, err := j.retryDelay(ctx, &o, retry)
		if err != nil {
			return nil, err
		}
		j.emit(ctx, Event{Kind: EventRetry, Attempt: rec.Number, Delay: delay, Err: o.err})
		set.logger.LogAttrs(ctx, slog.LevelInfo, "reask: retrying call",
			slog.String("provider", name), slog.String("kind", string(o.kind)),
			slog.Int("retry", retry+1), slog.Duration("delay", delay))
		if o.hold != nil {
			o.hold(delay) // the next admission waits it out
			continue
		}
		if err := set.clock.Sleep(ctx, delay); err != nil {
			return nil, err
		}
		j.report.Backoff += delay
		waited = delay
	}
}

// timeLeft reports an error when the context has ended or the
// extraction's deadline has passed.
func (j *job) timeLeft(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !j.deadline.IsZero() && !j.set.clock.Now().Before(j.deadline) {
		return fmt.Errorf("%w: the extraction's timeout of %s has passed", ErrDeadline, j.set.timeout)
	}
	return nil
}

// refused records a step's refusal of a call as a call that was not sent
// when the refusal is an open circuit; the end of the caller's time (the
// limiter's wait cut short) is not recorded.
func (j *job) refused(ctx context.Context, rec *Attempt, err error, waited time.Duration) {
	if k := classify(err); k == KindCircuitOpen {
		j.addCall(ctx, rec, Call{Outcome: k, Message: err.Error(), Waited: waited}, false)
	}
}

// call is the report's record of the call, sent at t0 after waiting waited.
func (o *outcome) call(t0 time.Time, waited time.Duration) Call {
	c := Call{Outcome: o.kind, Waited: waited, Duration: o.at.Sub(t0)}
	switch {
	case o.err != nil:
		c.Message = o.err.Error()
		if o.pe != nil {
			c.Status = o.pe.StatusCode
			c.RequestID = o.pe.RequestID
		}
	case o.resp != nil:
		c.RequestID = o.resp.RequestID
	}
	return c
}

// judge decides what the send makes of call o, its retry-th retry, and
// returns the error to end the send with unless it retries. refused counts
// the retries spent on refused connections.
func (j *job) judge(ctx context.Context, name string, o *outcome, retry int, refused *int) (verdict, error) {
	err := o.err
	if err == nil {
		if o.resp == nil {
			return failed, fmt.Errorf("reask: provider %s returned neither an answer nor an error", name)
		}
		return answered, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !j.deadline.IsZero() && errors.Is(ctxErr, context.DeadlineExceeded) {
			return failed, fmt.Errorf("%w: the extraction's timeout of %s has passed: %w", ErrDeadline, j.set.timeout, err)
		}
		return failed, ctxErr
	}
	switch {
	case o.kind == KindHostNotFound:
		return failed, fmt.Errorf("reask: provider %s: host %q not found, check the base URL: %w", name, hostNotFound(err).Name, err)
	case !o.kind.Retryable():
		return failed, err
	case retry >= j.set.maxTransportRetries:
		return gaveUp, fmt.Errorf("reask: giving up after %d transport retries: %w", retry, err)
	case o.kind == KindConnection && connectionRefused(err):
		if *refused >= j.set.maxRefusedRetries {
			return gaveUp, fmt.Errorf("reask: provider %s refused the connection %d time(s), retried %d time(s): is its server running at that address? %w",
				name, *refused+1, *refused, err)
		}
		*refused++
	}
	return retrying, nil
}

// retryDelay returns how long to wait before the retry-th retry of call o:
// the backoff, or the provider's Retry-After, if the extraction's and the
// context's deadlines leave time for it.
func (j *job) retryDelay(ctx context.Context, o *outcome, retry int) (time.Duration, error) {
	delay := j.set.backoff.Delay(retry, j.set.random)
	if o.pe != nil && o.pe.RetryAfter > 0 {
		if o.pe.RetryAfter > j.set.maxRetryAfter {
			return 0, fmt.Errorf("reask: the provider asks to wait %s, more than the %s allowed: %w", o.pe.RetryAfter, j.set.maxRetryAfter, o.err)
		}
		delay = o.pe.RetryAfter
	}
	if err := j.fits(ctx, delay); err != nil {
		return 0, fmt.Errorf("%w; last error: %w", err, o.err)
	}
	return delay, nil
}

// call makes one provider call bounded by the call timeout. A call cut
// by that timeout (not by the caller's context) is reported as a timeout.
// (complete, in stream.go, streams it when the job is streamed.)
func (j *job) call(ctx context.Context, p Provider, req *Request) (*Response, error) {
	if j.set.callTimeout <= 0 {
		return p.Complete(ctx, req)
	}
	cctx, cancel := context.WithTimeout(ctx, j.set.callTimeout)
	defer cancel()
	resp, err := p.Complete(cctx, req)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		err = &callTimeoutError{after: j.set.callTimeout, err: err}
	}
	return resp, err
}

// callTimeoutError is a call that got no answer within the call timeout.
type callTimeoutError struct {
	after time.Duration
	err   error
}

func (e *callTimeoutError) Error() string {
	return fmt.Sprintf("no answer within the call timeout of %s: %v", e.after, e.err)
}

func (e *callTimeoutError) Unwrap() error { return e.err }

// Timeout marks the error as a timeout for net.Error-style checks.
func (e *callTimeoutError) Timeout() bool { return true }

// quotaExhausted tells whether a 429 is about the quota every call shares:
// its rate-limit headers show an exhausted quota, or it has none, so that
// nothing says otherwise. A 429 whose headers show quota left (a burst or
// concurrency limit, a provider's hiccup) only holds the call that got it.
func quotaExhausted(pe *ProviderError) bool {
	if pe == nil || !pe.RateLimit.Known() {
		return true
	}
	_, exhausted := pe.RateLimit.ResetAfter()
	if exhausted {
		return true
	}
	for _, q := range []ratelimit.Quota{pe.RateLimit.Requests, pe.RateLimit.Tokens, pe.RateLimit.InputTokens, pe.RateLimit.OutputTokens} {
		if q.HasRemaining && q.Remaining == 0 {
			return true
		}
	}
	return false
}

// addCall records a call in the attempt and, for calls that reached the
// provider, in the report's call count.
func (j *job) addCall(ctx context.Context, rec *Attempt, c Call, sent bool) {
	rec.Calls = append(rec.Calls, c)
	if sent {
		j.report.Calls++
	}
	j.emit(ctx, Event{Kind: EventCall, Attempt: rec.Number, Call: &rec.Calls[len(rec.Calls)-1]})
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
