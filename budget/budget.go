// Package budget is a retry budget: it lets a client retry failed calls
// while most calls succeed, and stops retries when most fail, so that a
// provider's outage is not multiplied by every client's retry loop.
//
// # Algorithm
//
// This is gRPC's retry throttling (gRFC A6): a bucket holds up to MaxTokens
// tokens and starts full. Every failed call costs one token; every
// successful call earns TokenRatio back. A retry is allowed only while the
// bucket holds more than MaxTokens/2 tokens. Tokens are kept in thousandths,
// as gRPC does, so the arithmetic is exact.
//
// We chose it over Envoy's budget ("retries may be at most X% of active
// requests, plus a minimum") because it needs neither time nor a count of
// requests in flight — no completion hook that could be missed, no clock —
// and because it retries freely while the upstream is healthy (a client
// with one call in flight may still retry it), yet stops within
// MaxTokens/2 failures once it is not.
//
// # The property callers rely on
//
// Each allowed retry spends a token that leaves the bucket above half, and
// only successes refill it, so over any run
//
//	retries ≤ MaxTokens/2 + TokenRatio × successes
//
// and, as a logical call succeeds at most once, the requests a client sends
// per logical call stay below 1 + TokenRatio + MaxTokens/(2 × calls). With
// the defaults (10 tokens, ratio 0.1), under a total outage a client sends
// five retries in all and then one request per call; when the upstream
// recovers, successes refill the bucket and retries resume.
//
// # Use
//
// After a failed call that could be retried, ask AllowRetry: it records the
// failure and says whether to retry. Record failures that will not be
// retried with OnFailure, and every success with OnSuccess. One Budget is
// shared by all the calls of a client to one upstream; it is safe for
// concurrent use and does not block. The zero Budget uses the defaults.
package budget

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// Defaults for zero fields of Config, gRPC's example values.
const (
	DefaultMaxTokens  = 10
	DefaultTokenRatio = 0.1
)

// MaxMaxTokens is the largest MaxTokens accepted, as in gRPC.
const MaxMaxTokens = 1000

// milli is the number of units per token.
const milli = 1000

// Config configures a Budget. Zero fields take the defaults.
type Config struct {
	// MaxTokens is the bucket's size, in (0, 1000]. Retries stop when half
	// of it is spent. Default 10.
	MaxTokens int
	// TokenRatio is what a success earns back, in tokens, with at most
	// three decimal places (it is rounded to thousandths), in
	// [0.001, MaxTokens]. Default 0.1.
	TokenRatio float64
}

// ErrInvalidConfig is matched by the error New returns.
var ErrInvalidConfig = errors.New("budget: invalid config")

// Validate reports a configuration out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxTokens < 0 || c.MaxTokens > MaxMaxTokens:
		return fmt.Errorf("%w: max tokens %d is not in (0, %d]", ErrInvalidConfig, c.MaxTokens, MaxMaxTokens)
	case math.IsNaN(c.TokenRatio) || c.TokenRatio < 0:
		return fmt.Errorf("%w: token ratio %v is not a positive number", ErrInvalidConfig, c.TokenRatio)
	case c.TokenRatio > 0 && math.Round(c.TokenRatio*milli) < 1:
		return fmt.Errorf("%w: token ratio %v is below 0.001", ErrInvalidConfig, c.TokenRatio)
	}
	if size := c.withDefaults().max; c.TokenRatio*milli > float64(size) {
		return fmt.Errorf("%w: token ratio %v is above max tokens %d", ErrInvalidConfig, c.TokenRatio, size/milli)
	}
	return nil
}

type limits struct{ max, ratio int64 } // in thousandths of a token

func (c Config) withDefaults() limits {
	l := limits{max: int64(c.MaxTokens) * milli, ratio: int64(math.Round(c.TokenRatio * milli))}
	if c.MaxTokens <= 0 || c.MaxTokens > MaxMaxTokens {
		l.max = DefaultMaxTokens * milli
	}
	if !(c.TokenRatio > 0) || l.ratio < 1 || l.ratio > l.max {
		l.ratio = DefaultTokenRatio * milli
	}
	return l
}

// Budget is a retry budget. See the package documentation.
type Budget struct {
	lim   limits       // zero: the defaults
	spent atomic.Int64 // thousandths of a token spent; 0 is a full bucket
}

// New returns a full budget, or an error matching ErrInvalidConfig.
func New(c Config) (*Budget, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Budget{lim: c.withDefaults()}, nil
}

func (b *Budget) limits() limits {
	if b.lim.max == 0 {
		return Config{}.withDefaults()
	}
	return b.lim
}

// AllowRetry records a failed call that the caller would like to retry, and
// reports whether it may: whether, after paying the failure's token, more
// than half the bucket is left.
func (b *Budget) AllowRetry() bool {
	l := b.limits()
	return b.add(milli, l) < l.max/2 // tokens left > max/2 (max is a multiple of 1000)
}

// OnFailure records a failed call that will not be retried (not retryable,
// or out of retries). It costs a token like any failure.
func (b *Budget) OnFailure() { b.add(milli, b.limits()) }

// OnSuccess records a successful call: it earns TokenRatio back.
func (b *Budget) OnSuccess() {
	l := b.limits()
	b.add(-l.ratio, l)
}

// Tokens returns the tokens in the bucket.
func (b *Budget) Tokens() float64 {
	l := b.limits()
	return float64(l.max-b.spent.Load()) / milli
}

// add adds d to spent, clamped to [0, max], and returns the new value.
func (b *Budget) add(d int64, l limits) int64 {
	for {
		old := b.spent.Load()
		n := min(max(old+d, 0), l.max)
		if b.spent.CompareAndSwap(old, n) {
			return n
		}
	}
}
