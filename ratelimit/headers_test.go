package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

var t0 = time.Date(2025, 8, 21, 12, 40, 0, 0, time.UTC)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestParseOpenAIReset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"6m0s", 6 * time.Minute, true},
		{"1s", time.Second, true},
		{"20ms", 20 * time.Millisecond, true},
		{"2ms", 2 * time.Millisecond, true},
		{"1m30.5s", 90*time.Second + 500*time.Millisecond, true},
		{"0s", 0, true},
		{"7.66s", 7660 * time.Millisecond, true},
		{"2m59.56s", 2*time.Minute + 59560*time.Millisecond, true},
		{"1h2m3s", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"120us", 120 * time.Microsecond, true},
		{" 1s ", time.Second, true},
		{"60", time.Minute, true},              // bare seconds
		{"0.25", 250 * time.Millisecond, true}, // bare seconds
		{"-1s", 0, true},                       // negative: now
		{"48h", MaxReset, true},                // capped
		{"1e9", MaxReset, true},                // capped
		{"", 0, false},
		{"soon", 0, false},
		{"1x", 0, false},
		{"NaN", 0, false},
		{"9999999999h", 0, false}, // overflows time.Duration
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, _ := ParseOpenAI(header("x-ratelimit-reset-requests", tt.in))
			q := s.Requests
			if q.HasReset != tt.ok || q.Reset != tt.want {
				t.Errorf("reset %q = %v (known %v), want %v (known %v)", tt.in, q.Reset, q.HasReset, tt.want, tt.ok)
			}
		})
	}
}

func TestParseOpenAI(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want Snapshot
		ok   bool
	}{
		{"none", header("content-type", "application/json"), Snapshot{}, false},
		{"all six", header(
			"x-ratelimit-limit-requests", "5000",
			"x-ratelimit-remaining-requests", "4999",
			"x-ratelimit-reset-requests", "12ms",
			"x-ratelimit-limit-tokens", "160000",
			"x-ratelimit-remaining-tokens", "159976",
			"x-ratelimit-reset-tokens", "9ms",
		), Snapshot{
			Requests: Quota{Limit: 5000, Remaining: 4999, Reset: 12 * time.Millisecond, HasLimit: true, HasRemaining: true, HasReset: true},
			Tokens:   Quota{Limit: 160000, Remaining: 159976, Reset: 9 * time.Millisecond, HasLimit: true, HasRemaining: true, HasReset: true},
		}, true},
		{"remaining only, header names in any case", header("X-RateLimit-Remaining-Requests", "0"), Snapshot{
			Requests: Quota{HasRemaining: true},
		}, true},
		{"bad values left out", header(
			"x-ratelimit-limit-requests", "-5",
			"x-ratelimit-remaining-requests", "many",
			"x-ratelimit-limit-tokens", "1000.7",
		), Snapshot{Tokens: Quota{Limit: 1000, HasLimit: true}}, true},
		{"huge count", header("x-ratelimit-limit-tokens", "99999999999999999999999"), Snapshot{
			Tokens: Quota{Limit: int(^uint(0) >> 1), HasLimit: true},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseOpenAI(tt.h)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseOpenAI = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseAnthropic(t *testing.T) {
	full := func(limit, remaining int, reset time.Duration) Quota {
		return Quota{Limit: limit, Remaining: remaining, Reset: reset, HasLimit: true, HasRemaining: true, HasReset: true}
	}
	tests := []struct {
		name string
		h    http.Header
		want Snapshot
		ok   bool
	}{
		{"none", header("request-id", "req_1"), Snapshot{}, false},
		{"a real response", header(
			"anthropic-ratelimit-input-tokens-limit", "80000",
			"anthropic-ratelimit-input-tokens-remaining", "80000",
			"anthropic-ratelimit-input-tokens-reset", "2025-08-21T12:40:59Z",
			"anthropic-ratelimit-output-tokens-limit", "16000",
			"anthropic-ratelimit-output-tokens-remaining", "15000",
			"anthropic-ratelimit-output-tokens-reset", "2025-08-21T12:41:00Z",
			"anthropic-ratelimit-requests-limit", "1000",
			"anthropic-ratelimit-requests-remaining", "999",
			"anthropic-ratelimit-requests-reset", "2025-08-21T12:40:00.06Z",
			"anthropic-ratelimit-tokens-limit", "96000",
			"anthropic-ratelimit-tokens-remaining", "95000",
			"anthropic-ratelimit-tokens-reset", "2025-08-21T14:40:30+02:00",
		), Snapshot{
			Requests:     full(1000, 999, 60*time.Millisecond),
			Tokens:       full(96000, 95000, 30*time.Second),
			InputTokens:  full(80000, 80000, 59*time.Second),
			OutputTokens: full(16000, 15000, time.Minute),
		}, true},
		{"reset in the past", header("anthropic-ratelimit-requests-reset", "2025-08-21T12:39:00Z"), Snapshot{
			Requests: Quota{HasReset: true},
		}, true},
		{"reset as Unix seconds", header("anthropic-ratelimit-requests-reset", "1755780030"), Snapshot{
			Requests: Quota{Reset: 30 * time.Second, HasReset: true},
		}, true},
		{"reset as seconds from now", header("anthropic-ratelimit-requests-reset", "1.5"), Snapshot{
			Requests: Quota{Reset: 1500 * time.Millisecond, HasReset: true},
		}, true},
		{"reset far away is capped", header("anthropic-ratelimit-requests-reset", "2030-01-01T00:00:00Z"), Snapshot{
			Requests: Quota{Reset: MaxReset, HasReset: true},
		}, true},
		{"bad reset left out", header("anthropic-ratelimit-requests-reset", "tomorrow"), Snapshot{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseAnthropic(tt.h, t0)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseAnthropic = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		h     http.Header
		limit time.Duration
		want  time.Duration
		ok    bool
	}{
		{"none", header(), 0, 0, false},
		{"seconds", header("Retry-After", "2"), 0, 2 * time.Second, true},
		{"decimal seconds", header("Retry-After", "1.5"), 0, 1500 * time.Millisecond, true},
		{"zero", header("Retry-After", "0"), 0, 0, true},
		{"negative", header("Retry-After", "-3"), 0, 0, true},
		{"HTTP date", header("Retry-After", "Thu, 21 Aug 2025 12:40:30 GMT"), 0, 30 * time.Second, true},
		{"HTTP date in the past", header("Retry-After", "Thu, 21 Aug 2025 12:39:30 GMT"), 0, 0, true},
		{"RFC 850 date", header("Retry-After", "Thursday, 21-Aug-25 12:41:00 GMT"), 0, time.Minute, true},
		{"ANSI C date", header("Retry-After", "Thu Aug 21 12:40:05 2025"), 0, 5 * time.Second, true},
		{"milliseconds first", header("retry-after-ms", "250", "Retry-After", "1"), 0, 250 * time.Millisecond, true},
		{"decimal milliseconds", header("retry-after-ms", "20.5"), 0, 20500 * time.Microsecond, true},
		{"bad milliseconds fall back", header("retry-after-ms", "soon", "Retry-After", "3"), 0, 3 * time.Second, true},
		{"absurd seconds capped at the default", header("Retry-After", "99999999999999999999"), 0, DefaultMaxRetryAfter, true},
		{"capped at a given limit", header("Retry-After", "600"), time.Minute, time.Minute, true},
		{"date capped", header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"), 0, DefaultMaxRetryAfter, true},
		{"garbage", header("Retry-After", "later"), 0, 0, false},
		{"infinity", header("Retry-After", "+Inf"), 0, 0, false},
		{"NaN", header("retry-after-ms", "NaN"), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RetryAfterMax(tt.h, t0, tt.limit)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfterMax = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
			if tt.limit == 0 {
				if got2, ok2 := RetryAfter(tt.h, t0); got2 != got || ok2 != ok {
					t.Errorf("RetryAfter = %v, %v; RetryAfterMax = %v, %v", got2, ok2, got, ok)
				}
			}
		})
	}
}

func TestResetAfter(t *testing.T) {
	exhausted := func(reset time.Duration) Quota {
		return Quota{Limit: 10, Remaining: 0, Reset: reset, HasLimit: true, HasRemaining: true, HasReset: true}
	}
	left := Quota{Limit: 10, Remaining: 3, Reset: time.Hour, HasLimit: true, HasRemaining: true, HasReset: true}
	tests := []struct {
		name string
		s    Snapshot
		want time.Duration
		ok   bool
	}{
		{"nothing known", Snapshot{}, 0, false},
		{"nothing exhausted", Snapshot{Requests: left}, 0, false},
		{"requests exhausted", Snapshot{Requests: exhausted(2 * time.Second), Tokens: left}, 2 * time.Second, true},
		{"both exhausted: the longer", Snapshot{Requests: exhausted(2 * time.Second), Tokens: exhausted(5 * time.Second)}, 5 * time.Second, true},
		{"output tokens", Snapshot{OutputTokens: exhausted(time.Second)}, time.Second, true},
		{"remaining 0 without reset", Snapshot{Requests: Quota{HasRemaining: true}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.s.ResetAfter()
			if got != tt.want || ok != tt.ok {
				t.Errorf("ResetAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range []string{"6m0s", "1s", "20ms", "1m30.5s", "0s", "-1", "1e400", "2025-08-21T12:40:59Z", "Thu, 21 Aug 2025 12:40:30 GMT", "1755780030"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := header(
			"x-ratelimit-reset-requests", v, "x-ratelimit-limit-tokens", v,
			"anthropic-ratelimit-requests-reset", v, "anthropic-ratelimit-tokens-remaining", v,
			"retry-after-ms", v, "Retry-After", v,
		)
		o, _ := ParseOpenAI(h)
		a, _ := ParseAnthropic(h, t0)
		for _, q := range []Quota{o.Requests, o.Tokens, a.Requests, a.Tokens} {
			if q.Reset < 0 || q.Reset > MaxReset || q.Limit < 0 || q.Remaining < 0 {
				t.Fatalf("%q: out of range: %+v", v, q)
			}
		}
		if d, _ := RetryAfter(h, t0); d < 0 || d > DefaultMaxRetryAfter {
			t.Fatalf("%q: RetryAfter = %v", v, d)
		}
	})
}
