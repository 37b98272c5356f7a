package reask

import (
	"context"
	"fmt"
)

// Send sends one request through the client's policies — circuit breaker,
// rate limiter, retry budget, transport retries and fallback providers — and
// returns the provider's answer without checking its content: no schema, no
// repair, no re-ask. It is the gateway's pass-through path: requests that
// carry no schema still get backoff and circuit breaking, and share them
// with the client's extractions.
//
// req is sent as is to each provider tried and is not modified. The report
// holds one attempt (its calls included) and the observer sees the same
// events as for an extraction (call, retry, switch, attempt, result). Errors are
// those of Run except ErrExhausted, which a call without content checks
// cannot meet.
func (c *Client) Send(ctx context.Context, req *Request) (*Response, *Report, error) {
	rep := &Report{Plain: true}
	zeroCost(rep)
	if c == nil || c.provider == nil {
		return nil, rep, fmt.Errorf("%w: no provider", ErrInvalidInput)
	}
	if req == nil {
		return nil, rep, fmt.Errorf("%w: no request", ErrInvalidInput)
	}
	set := c.base // validated by New
	rep.Mode, rep.Provider = req.Mode, c.provider.Name()
	j := &job{client: c, set: set, report: rep, mode: req.Mode, tag: req.Tag}
	j.start = set.clock.Now()
	if set.timeout > 0 {
		j.deadline = j.start.Add(set.timeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, set.timeout)
		defer cancel()
	}
	j.providers = append([]Provider{c.provider}, c.fallbacks...)
	j.avoidOpenCircuit(ctx, 1)

	rec := Attempt{Number: 1, Mode: req.Mode}
	rep.Attempts = 1
	resp, err := j.sendWithFallback(ctx, req, nil, &rec) // a plain call: the caller's request as it is
	rec.Provider = rep.Provider
	rec.Duration = set.clock.Now().Sub(j.start)
	if err != nil {
		rec.Outcome = classifyEnd(err)
		rec.Message = err.Error()
	} else {
		rec.Outcome = KindOK
		rec.Usage = resp.Usage
		j.priceAttempt(&rec, j.providers[j.cur], resp)
	}
	j.record(ctx, rec, err == nil)
	rep.Outcome = rec.Outcome
	rep.Duration = set.clock.Now().Sub(j.start)
	j.emit(ctx, Event{Kind: EventResult, Report: rep, Err: err})
	return resp, rep, err
}
