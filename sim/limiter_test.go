package sim

import (
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

func TestResetString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 6 * time.Minute: "6m0s", time.Second: "1s", 20 * time.Millisecond: "20ms",
		1500 * time.Millisecond: "1.5s", 17*time.Millisecond + 300*time.Microsecond: "18ms", 90 * time.Second: "1m30s",
	} {
		if got := resetString(d); got != want {
			t.Errorf("resetString(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestBucketExact(t *testing.T) {
	l := newLimiter(3, 0, t0)
	for i := range 3 {
		st, ok := l.admit(t0, 10, 10)
		if !ok || st.remReq != 2-i {
			t.Fatalf("request %d: ok %v remaining %d", i, ok, st.remReq)
		}
	}
	st, ok := l.admit(t0, 10, 10)
	if ok || st.limitedBy != "requests" || st.retryAfter != 20*time.Second || st.resetReq != time.Minute {
		t.Fatalf("4th request: ok %v %+v", ok, st)
	}
	if _, ok := l.admit(t0.Add(19999*time.Millisecond), 10, 10); ok {
		t.Fatal("admitted before the token was back")
	}
	if st, ok := l.admit(t0.Add(20*time.Second), 10, 10); !ok || st.remReq != 0 {
		t.Fatalf("at 20s: ok %v %+v", ok, st)
	}
	// tokens: 1000 per minute
	l = newLimiter(0, 1000, t0)
	if st, ok := l.admit(t0, 600, 700); !ok || st.remTok != 400 || st.resetTok != 36*time.Second {
		t.Fatalf("tokens: ok %v %+v", ok, st)
	}
	l.charge(t0, 300) // completion tokens: 100 left
	st, ok = l.admit(t0, 100, 400)
	if ok || st.limitedBy != "tokens" || st.retryAfter != 18*time.Second {
		t.Fatalf("token limit: ok %v %+v", ok, st)
	}
	if st, ok := l.admit(t0, 10, 5000); ok || !st.tooLarge {
		t.Fatalf("too large: ok %v %+v", ok, st)
	}
}

// TestRateLimitHeaders drives the limiter through HTTP on a fake clock:
// exact headers on success and on 429, and admission again once the
// bucket refills. No test sleeps.
func TestRateLimitHeaders(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, RPM: 3, TPM: 100000})
	want := []struct{ remaining, reset string }{{"2", "20s"}, {"1", "40s"}, {"0", "1m0s"}}
	for i, w := range want {
		r := post(t, ts, "/v1/chat/completions", accountRequest())
		if r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
		h := r.header
		if h.Get("x-ratelimit-limit-requests") != "3" || h.Get("x-ratelimit-remaining-requests") != w.remaining || h.Get("x-ratelimit-reset-requests") != w.reset {
			t.Errorf("request %d headers: limit %q remaining %q reset %q", i, h.Get("x-ratelimit-limit-requests"), h.Get("x-ratelimit-remaining-requests"), h.Get("x-ratelimit-reset-requests"))
		}
		if h.Get("x-ratelimit-limit-tokens") != "100000" || h.Get("x-ratelimit-remaining-tokens") == "" || h.Get("x-ratelimit-reset-tokens") == "" {
			t.Errorf("token headers missing: %v", h)
		}
		if h.Get("x-request-id") == "" {
			t.Errorf("no x-request-id")
		}
	}
	r := post(t, ts, "/v1/chat/completions", accountRequest())
	if r.status != 429 {
		t.Fatalf("4th request: %d", r.status)
	}
	if r.header.Get("retry-after") != "20" || r.header.Get("retry-after-ms") != "20000" || r.header.Get("x-ratelimit-remaining-requests") != "0" {
		t.Errorf("429 headers: %v", r.header)
	}
	var e struct {
		Error apiError `json:"error"`
	}
	decodeJSON(t, r.body, &e)
	if e.Error.Type != "requests" || e.Error.Code == nil || *e.Error.Code != "rate_limit_exceeded" {
		t.Errorf("429 body %s", r.body)
	}
	fc.Advance(20 * time.Second)
	if r := post(t, ts, "/v1/chat/completions", accountRequest()); r.status != 200 {
		t.Errorf("after 20s: %d", r.status)
	}
}

func TestTokenLimitOverHTTP(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, TPM: 50})
	r := post(t, ts, "/v1/chat/completions", accountRequest())
	if r.status != 429 || !contains(r.body, "Request too large") || !contains(r.body, `"type":"tokens"`) {
		t.Errorf("status %d: %s", r.status, r.body)
	}
}
