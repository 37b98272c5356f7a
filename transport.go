package reask

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/ratelimit"
)

// send makes one content attempt's call to provider p, retrying transport
// failures: rate limits wait for the provider's Retry-After (shared with
// every call of the client through the rate limiter) or back off, server
// errors, timeouts and dropped connections back off with jitter, a refused
// connection is retried at most WithMaxRefusedRetries times (default once),
// and everything else — bad requests, authentication, exhausted quota, a
// host name that does not resolve — is returned at once. Each call first asks the provider's circuit breaker and
// rate limiter; each retry spends the provider's retry budget. Retries do
// not use up content attempts but are counted in the report. The deadline
// bounds the waits: a wait that would outlast it fails early with
// ErrDeadline.
func (j *job) send(ctx context.Context, p Provider, req *Request, rec *Attempt) (*Response, error) {
	set := &j.set
	name := p.Name()
	pol := j.client.policies
	lim := pol.limiterFor(name)
	bud := pol.budgetFor(name)
	est := estimateTokens(req.Messages, len(req.Schema)) + req.MaxTokens
	var waited time.Duration
	refused := 0 // retries spent on refused connections
	for retry := 0; ; retry++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !j.deadline.IsZero() && !set.clock.Now().Before(j.deadline) {
			return nil, fmt.Errorf("%w: the extraction's timeout of %s has passed", ErrDeadline, set.timeout)
		}
		var ticket breaker.Ticket
		if pol.breakers != nil {
			t, err := pol.breakers.Allow(name, set.clock.Now())
			if err != nil {
				err = circuitOpen(name, err)
				j.addCall(ctx, rec, Call{Outcome: KindCircuitOpen, Message: err.Error(), Waited: waited}, false)
				return nil, err
			}
			ticket = t
		}
		var res ratelimit.Reservation
		if lim != nil {
			r, w, err := lim.Wait(ctx, set.clock, est)
			res = r
			waited += w
			j.report.Backoff += w
			if err != nil {
				ticket.Done(set.clock.Now(), breaker.Ignored)
				if errors.Is(err, ratelimit.ErrDeadline) {
					return nil, fmt.Errorf("%w: %w", ErrDeadline, err)
				}
				return nil, err
			}
		}
		t0 := set.clock.Now()
		resp, err := j.complete(ctx, p, req)
		now := set.clock.Now()
		call := Call{Outcome: KindOK, Waited: waited, Duration: now.Sub(t0)}
		var pe *ProviderError
		if err != nil {
			call.Outcome = classify(err)
			call.Message = err.Error()
			if errors.As(err, &pe) {
				call.Status = pe.StatusCode
				call.RequestID = pe.RequestID
			}
		} else if resp != nil {
			call.RequestID = resp.RequestID
		}
		if ticket.Done(now, pol.breakerOutcome(call.Outcome)) {
			j.report.BreakerTrips++
		}
		// The answer corrects what the call took from the limiter: an
		// error gives its tokens back, usage sets them.
		switch {
		case resp != nil:
			res.Finish(now, ratelimit.Answer{Status: http.StatusOK, Tokens: resp.Usage.TotalTokens, Snapshot: resp.RateLimit})
		case pe != nil:
			res.Finish(now, ratelimit.Answer{Status: pe.StatusCode, Snapshot: pe.RateLimit})
		default:
			res.Finish(now, ratelimit.Answer{}) // no answer: presumed spent
		}
		j.addCall(ctx, rec, call, true)
		waited = 0
		if err == nil {
			if resp == nil {
				return nil, fmt.Errorf("reask: provider %s returned neither an answer nor an error", name)
			}
			if bud != nil {
				bud.OnSuccess()
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
		if kind == KindHostNotFound {
			return nil, fmt.Errorf("reask: provider %s: host %q not found, check the base URL: %w", name, hostNotFound(err).Name, err)
		}
		if !kind.Retryable() {
			return nil, err
		}
		if retry >= set.maxTransportRetries {
			if bud != nil {
				bud.OnFailure()
			}
			return nil, fmt.Errorf("reask: giving up after %d transport retries: %w", retry, err)
		}
		if kind == KindConnection && connectionRefused(err) {
			if refused >= set.maxRefusedRetries {
				if bud != nil {
					bud.OnFailure()
				}
				return nil, fmt.Errorf("reask: provider %s refused the connection %d time(s), retried %d time(s): is its server running at that address? %w",
					name, refused+1, refused, err)
			}
			refused++
		}
		// A 429 for a spent quota, waited out in the shared limiter, is
		// paced rather than a retry storm: it does not spend the budget.
		paced := kind == KindRateLimit && lim != nil && quotaExhausted(pe)
		if bud != nil && !paced && !bud.AllowRetry() {
			return nil, fmt.Errorf("%w for %s: %w", ErrRetryBudget, name, err)
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
			slog.String("provider", name), slog.String("kind", string(kind)),
			slog.Int("retry", retry+1), slog.Duration("delay", delay))
		if paced {
			// The provider's quota is spent: every call to this provider
			// waits it out, in the limiter, instead of each discovering it.
			lim.OnRateLimited(now, delay)
			continue
		}
		if err := set.clock.Sleep(ctx, delay); err != nil {
			return nil, err
		}
		j.report.Backoff += delay
		waited = delay
	}
}

// complete makes one provider call bounded by the call timeout. A call cut
// by that timeout (not by the caller's context) is reported as a timeout.
func (j *job) complete(ctx context.Context, p Provider, req *Request) (*Response, error) {
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
