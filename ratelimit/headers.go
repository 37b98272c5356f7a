package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Quota is one rate limit as a provider reports it: how many requests (or
// tokens) it allows, how many are left, and how long until the allowance is
// whole again. Headers may give any part of it; the Has fields say which.
// The zero Quota knows nothing.
type Quota struct {
	// Limit is the allowance per window (OpenAI and Anthropic: per minute).
	Limit int
	// Remaining is what is left of it now.
	Remaining int
	// Reset is how long until Remaining is back to Limit. Both OpenAI and
	// Anthropic refill continuously (a token bucket), so it is not the time
	// to wait for the next request: that is about Reset/(Limit-Remaining).
	Reset time.Duration

	HasLimit, HasRemaining, HasReset bool
}

// Known reports whether any part of the quota was given.
func (q Quota) Known() bool { return q.HasLimit || q.HasRemaining || q.HasReset }

// Snapshot is the rate-limit state reported by one response. Durations are
// relative to the time the response was received.
type Snapshot struct {
	// Requests is the request quota.
	Requests Quota
	// Tokens is the token quota: OpenAI's tokens per minute, Anthropic's
	// most restrictive token limit.
	Tokens Quota
	// InputTokens and OutputTokens are Anthropic's separate limits.
	InputTokens, OutputTokens Quota
}

// Known reports whether the snapshot holds anything.
func (s Snapshot) Known() bool {
	return s.Requests.Known() || s.Tokens.Known() || s.InputTokens.Known() || s.OutputTokens.Known()
}

// ResetAfter returns how long until every exhausted quota (Remaining 0) is
// replenished: the longest Reset among them. It is the wait to use for a
// 429 that carries no Retry-After, as OpenAI's and Anthropic's SDKs do. ok
// is false when no quota is known to be exhausted.
func (s Snapshot) ResetAfter() (d time.Duration, ok bool) {
	for _, q := range []Quota{s.Requests, s.Tokens, s.InputTokens, s.OutputTokens} {
		if q.HasRemaining && q.Remaining == 0 && q.HasReset {
			d, ok = max(d, q.Reset), true
		}
	}
	return d, ok
}

// MaxReset caps the reset durations the parsers return: a longer value is
// taken as this one. Providers' daily quotas reset within a day.
const MaxReset = 24 * time.Hour

// ParseOpenAI reads OpenAI's rate-limit headers, which OpenAI-compatible
// servers (vLLM, OpenRouter, Groq, …) often copy:
//
//	x-ratelimit-limit-requests      60
//	x-ratelimit-remaining-requests  59
//	x-ratelimit-reset-requests      1s      (a Go-style duration: 6m0s, 20ms, 1m30.5s)
//	x-ratelimit-limit-tokens        150000
//	x-ratelimit-remaining-tokens    149984
//	x-ratelimit-reset-tokens        6ms
//
// A reset given as a bare number is taken as seconds. Values that do not
// parse, and negative counts, are left out; negative durations count as 0.
// ok reports whether any header was read.
func ParseOpenAI(h http.Header) (s Snapshot, ok bool) {
	s.Requests = openAIQuota(h, "requests")
	s.Tokens = openAIQuota(h, "tokens")
	return s, s.Known()
}

func openAIQuota(h http.Header, kind string) Quota {
	var q Quota
	q.Limit, q.HasLimit = parseCount(h.Get("x-ratelimit-limit-" + kind))
	q.Remaining, q.HasRemaining = parseCount(h.Get("x-ratelimit-remaining-" + kind))
	q.Reset, q.HasReset = parseDuration(h.Get("x-ratelimit-reset-" + kind))
	return q
}

// ParseAnthropic reads Anthropic's rate-limit headers, whose resets are
// RFC 3339 instants, turned into durations from now:
//
//	anthropic-ratelimit-requests-limit      1000
//	anthropic-ratelimit-requests-remaining  999
//	anthropic-ratelimit-requests-reset      2025-08-21T12:40:59Z
//
// and the same for tokens, input-tokens and output-tokens. A reset given
// as a number is taken as Unix seconds when it is above 10⁹ (as in
// Anthropic's "unified" headers), as seconds from now otherwise. Values
// that do not parse are left out; instants in the past count as 0. ok
// reports whether any header was read.
func ParseAnthropic(h http.Header, now time.Time) (s Snapshot, ok bool) {
	s.Requests = anthropicQuota(h, "requests", now)
	s.Tokens = anthropicQuota(h, "tokens", now)
	s.InputTokens = anthropicQuota(h, "input-tokens", now)
	s.OutputTokens = anthropicQuota(h, "output-tokens", now)
	return s, s.Known()
}

func anthropicQuota(h http.Header, kind string, now time.Time) Quota {
	var q Quota
	prefix := "anthropic-ratelimit-" + kind
	q.Limit, q.HasLimit = parseCount(h.Get(prefix + "-limit"))
	q.Remaining, q.HasRemaining = parseCount(h.Get(prefix + "-remaining"))
	q.Reset, q.HasReset = parseInstant(h.Get(prefix+"-reset"), now)
	return q
}

// DefaultMaxRetryAfter is the cap RetryAfter applies.
const DefaultMaxRetryAfter = time.Hour

// RetryAfter is RetryAfterMax(h, now, DefaultMaxRetryAfter).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return RetryAfterMax(h, now, DefaultMaxRetryAfter)
}

// RetryAfterMax returns how long the provider asks to wait before the next
// request, reading, in order:
//
//	retry-after-ms  1500         milliseconds, decimals allowed (OpenAI)
//	Retry-After     2 or 1.5     seconds, decimals allowed
//	Retry-After     Wed, 21 Oct 2015 07:28:00 GMT   an HTTP date, from now
//
// A negative value or a date in the past gives 0 (retry at once); a value
// above limit gives limit (a limit ≤ 0 means DefaultMaxRetryAfter), so a
// caller that refuses to wait that long can compare the result with its
// own, lower, maximum. ok is false when neither header is present and
// valid.
func RetryAfterMax(h http.Header, now time.Time, limit time.Duration) (time.Duration, bool) {
	if limit <= 0 {
		limit = DefaultMaxRetryAfter
	}
	if ms, ok := parseNumber(h.Get("retry-after-ms")); ok {
		return clampSeconds(ms/1000, limit), true
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if sec, ok := parseNumber(v); ok {
		return clampSeconds(sec, limit), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), limit), true
	}
	return 0, false
}

// parseCount reads a non-negative integer; a decimal is rounded down.
func parseCount(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return int(min(n, math.MaxInt)), true
	}
	f, ok := parseNumber(v)
	if !ok || f < 0 {
		return 0, false
	}
	if f >= math.MaxInt64 {
		return math.MaxInt, true
	}
	return int(min(int64(f), math.MaxInt)), true
}

// parseNumber reads a finite decimal number.
func parseNumber(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseDuration reads a Go-style duration ("1m30.5s") or a number of
// seconds, clamped to [0, MaxReset].
func parseDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if sec, ok := parseNumber(v); ok {
		return clampSeconds(sec, MaxReset), true
	}
	d, err := time.ParseDuration(v)
	if err != nil { // malformed, or beyond 290 years
		return 0, false
	}
	return min(max(d, 0), MaxReset), true
}

// parseInstant reads an RFC 3339 instant, or a number (Unix seconds above
// 10⁹, seconds from now below), as a duration from now clamped to
// [0, MaxReset].
func parseInstant(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return min(max(t.Sub(now), 0), MaxReset), true
	}
	if sec, ok := parseNumber(v); ok {
		if sec > 1e9 {
			whole, frac := math.Modf(sec)
			t := time.Unix(int64(whole), int64(frac*1e9))
			return min(max(t.Sub(now), 0), MaxReset), true
		}
		return clampSeconds(sec, MaxReset), true
	}
	return 0, false
}

// clampSeconds converts seconds to a duration in [0, limit], without
// overflow.
func clampSeconds(sec float64, limit time.Duration) time.Duration {
	if !(sec > 0) {
		return 0
	}
	if sec >= limit.Seconds() {
		return limit
	}
	return time.Duration(math.Round(sec * float64(time.Second)))
}
