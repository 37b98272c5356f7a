package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

func tokQuota(limit, remaining int) Snapshot {
	return Snapshot{Tokens: Quota{Limit: limit, Remaining: remaining, HasLimit: true, HasRemaining: true}}
}

// learnt returns a limiter that has learnt a token limit of 6,000 a
// minute (100 a second), with a full bucket at t0.
func learnt(t *testing.T) *Limiter {
	t.Helper()
	l := mustNew(t, Config{Period: time.Minute})
	l.Observe(at(0), tokQuota(6000, 6000))
	if st := l.Status(at(0)); st.TokenCapacity != 6000 || st.Tokens != 6000 {
		t.Fatalf("status %+v, want a full bucket of 6000", st)
	}
	return l
}

func TestOversizedRequestIsCountedForWhatTheBucketHolds(t *testing.T) {
	tests := []struct {
		name      string
		before    []int // reserved first, at t0
		tokens    int
		wantDelay time.Duration
		wantTaken int
		wantLevel float64
	}{
		{"up to the limit: taken in full", nil, 6000, 0, 6000, 0},
		{"above the limit, full bucket: the bucket", nil, 100_000_000, 0, 6000, 0},
		{"above the limit, part full: waits for a full one, takes what it holds", []int{2000}, 100_000_000, 20 * sec, 4000, 0},
		{"above the limit, in debt: takes nothing, adds no debt", []int{6000, 3000}, 100_000_000, 90 * sec, 0, -3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := learnt(t)
			for _, n := range tt.before {
				l.Reserve(at(0), n)
			}
			r := l.Reserve(at(0), tt.tokens)
			if r.Delay() != tt.wantDelay || r.Tokens() != tt.wantTaken {
				t.Errorf("delay %v, took %d; want %v, %d", r.Delay(), r.Tokens(), tt.wantDelay, tt.wantTaken)
			}
			if lv := l.Status(at(0)).Tokens; lv != tt.wantLevel {
				t.Errorf("level %v, want %v", lv, tt.wantLevel)
			}
		})
	}
}

func TestBurstOfOversizedRequestsAddsNoDebt(t *testing.T) {
	// A thousand requests of 100M tokens against a limit of 6,000: they
	// take one bucket between them, and an ordinary request of 100 waits
	// one second for its own tokens, not 16,000 years.
	l := learnt(t)
	for range 1000 {
		l.Reserve(at(0), 100_000_000)
	}
	if lv := l.Status(at(0)).Tokens; lv != 0 {
		t.Fatalf("level %v after the burst, want 0", lv)
	}
	if d := l.Reserve(at(0), 100).Delay(); d != sec {
		t.Errorf("an ordinary request waits %v, want 1s", d)
	}
	// Without a learnt limit, a minute of the configured TPM is the most
	// one request counts for.
	c := mustNew(t, Config{TPM: 600, TokenBurst: 10})
	for range 1000 {
		c.Reserve(at(0), 1000)
	}
	// The first took the burst of 10; the next 30 wait for a full one.
	if d := c.Reserve(at(0), 30).Delay(); d != sec {
		t.Errorf("configured TPM: an ordinary request waits %v, want 1s", d)
	}
}

func TestFinishCorrectsTheTokens(t *testing.T) {
	tests := []struct {
		name   string
		tokens int
		answer Answer
		want   float64
	}{
		{"400 without usage: all given back", 500, Answer{Status: http.StatusBadRequest}, 6000},
		{"429: all given back", 500, Answer{Status: http.StatusTooManyRequests}, 6000},
		{"503: all given back", 500, Answer{Status: http.StatusServiceUnavailable}, 6000},
		{"an oversized request refused: given back", 100_000_000, Answer{Status: http.StatusBadRequest}, 6000},
		{"usage below the estimate: the rest given back", 500, Answer{Status: http.StatusOK, Tokens: 120}, 5880},
		{"usage above the estimate: the rest taken", 500, Answer{Status: http.StatusOK, Tokens: 800}, 5200},
		{"usage above the limit: the limit", 100_000_000, Answer{Status: http.StatusOK, Tokens: 50_000}, 0},
		{"an answer without usage: the estimate stays", 500, Answer{Status: http.StatusOK}, 5500},
		{"no answer: presumed spent", 500, Answer{}, 5500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := learnt(t)
			l.Reserve(at(0), tt.tokens).Finish(at(0), tt.answer)
			if lv := l.Status(at(0)).Tokens; lv != tt.want {
				t.Errorf("level %v, want %v", lv, tt.want)
			}
		})
	}
}

func TestFinishKeepsTheRequestOfAnError(t *testing.T) {
	// The provider may count a request it refuses: only its tokens go back.
	l := mustNew(t, Config{Period: time.Minute})
	l.Observe(at(0), reqQuota(60, 60, 0))
	l.Reserve(at(0), 0).Finish(at(0), Answer{Status: http.StatusBadRequest})
	if lv := l.Status(at(0)).Requests; lv != 59 {
		t.Errorf("requests %v, want 59", lv)
	}
}

func TestFinishRaisesFromRemaining(t *testing.T) {
	t.Run("a level estimates left too low", func(t *testing.T) {
		// A timed-out request is presumed to have spent its 3,000; the
		// next answer says the provider has 5,900 left: it never counted it.
		l := learnt(t)
		l.Reserve(at(0), 3000).Finish(at(0), Answer{})
		l.Reserve(at(0), 100).Finish(at(0), Answer{Status: 200, Tokens: 100, Snapshot: tokQuota(6000, 5900)})
		if lv := l.Status(at(0)).Tokens; lv != 5900 {
			t.Errorf("level %v, want 5900", lv)
		}
	})
	t.Run("requests in flight when it was sent stay counted", func(t *testing.T) {
		l := learnt(t)
		a := l.Reserve(at(0), 3000)
		l.Reserve(at(0), 100).Finish(at(0), Answer{Status: 200, Tokens: 100, Snapshot: tokQuota(6000, 5900)})
		if lv := l.Status(at(0)).Tokens; lv != 2900 {
			t.Errorf("level %v, want 2900: the 3,000 in flight may reach the provider after", lv)
		}
		a.Finish(at(0), Answer{Status: 200, Tokens: 3000, Snapshot: tokQuota(6000, 2800)})
		if lv := l.Status(at(0)).Tokens; lv != 2800 {
			t.Errorf("level %v, want 2800, as reported", lv)
		}
	})
	t.Run("requests sent after it stay counted", func(t *testing.T) {
		l := learnt(t)
		a := l.Reserve(at(0), 100)
		l.Reserve(at(0), 2000)
		a.Finish(at(0), Answer{Status: 200, Tokens: 100, Snapshot: tokQuota(6000, 5900)})
		if lv := l.Status(at(0)).Tokens; lv != 3900 {
			t.Errorf("level %v, want 3900", lv)
		}
	})
	t.Run("not while someone else spends the quota", func(t *testing.T) {
		l := learnt(t)
		l.OnRateLimited(at(0), 0) // unforeseen: the share drops
		l.Reserve(at(0), 3000).Finish(at(0), Answer{})
		l.Reserve(at(0), 100).Finish(at(0), Answer{Status: 200, Tokens: 100, Snapshot: tokQuota(6000, 5900)})
		if lv := l.Status(at(0)).Tokens; lv != 2900 {
			t.Errorf("level %v, want 2900", lv)
		}
	})
	t.Run("requests too", func(t *testing.T) {
		l := mustNew(t, Config{Period: time.Minute})
		l.Observe(at(0), reqQuota(60, 60, 0))
		l.Reserve(at(0), 0).Finish(at(0), Answer{})
		l.Reserve(at(0), 0).Finish(at(0), Answer{Status: 200, Snapshot: reqQuota(60, 59, sec)})
		if lv := l.Status(at(0)).Requests; lv != 59 {
			t.Errorf("requests %v, want 59", lv)
		}
	})
}

func TestFinishOnce(t *testing.T) {
	l := learnt(t)
	r := l.Reserve(at(0), 500)
	r.Finish(at(0), Answer{Status: http.StatusBadRequest})
	r.Finish(at(0), Answer{Status: http.StatusBadRequest})
	r.Cancel(at(0))
	if lv := l.Status(at(0)).Tokens; lv != 6000 {
		t.Errorf("level %v after finishing twice and cancelling, want 6000", lv)
	}
	c := l.Reserve(at(0), 500)
	c.Cancel(at(0))
	c.Finish(at(0), Answer{Status: http.StatusBadRequest})
	if lv := l.Status(at(0)).Tokens; lv != 6000 {
		t.Errorf("level %v after cancelling then finishing, want 6000", lv)
	}
	var zero Reservation
	zero.Finish(at(0), Answer{Status: 200})
	if zero.Tokens() != 0 {
		t.Errorf("the zero Reservation took %d tokens", zero.Tokens())
	}
}

func TestAdjustTakesAtMostTheLimit(t *testing.T) {
	l := learnt(t)
	l.Adjust(at(0), -1_000_000_000)
	if lv := l.Status(at(0)).Tokens; lv != 0 {
		t.Errorf("level %v, want 0", lv)
	}
}
