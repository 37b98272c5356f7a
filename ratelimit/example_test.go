package ratelimit_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/reask/reask/ratelimit"
)

func Example() {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var lim ratelimit.Limiter // nothing known yet: no delay

	fmt.Println("first call waits", lim.Reserve(start, 500).Delay())

	// The answer says: 60 requests a minute, 2 left.
	h := http.Header{}
	h.Set("x-ratelimit-limit-requests", "60")
	h.Set("x-ratelimit-remaining-requests", "2")
	h.Set("x-ratelimit-reset-requests", "58s")
	snap, _ := ratelimit.ParseOpenAI(h)
	now := start.Add(300 * time.Millisecond)
	lim.Observe(now, snap)

	for range 4 {
		fmt.Println("next call waits", lim.Reserve(now, 500).Delay())
	}

	// A 429 asks everyone to wait 10s.
	h = http.Header{}
	h.Set("Retry-After", "10")
	wait, _ := ratelimit.RetryAfter(h, now)
	lim.OnRateLimited(now, wait)
	fmt.Println("after the 429, a call waits", lim.Reserve(now, 500).Delay())
	// Output:
	// first call waits 0s
	// next call waits 0s
	// next call waits 0s
	// next call waits 1s
	// next call waits 2s
	// after the 429, a call waits 10s
}

// A reservation is finished with its answer: here the provider refuses a
// request far above its limit, and the tokens it took are given back.
func ExampleReservation_Finish() {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var lim ratelimit.Limiter
	h := http.Header{}
	h.Set("x-ratelimit-limit-tokens", "100000")
	h.Set("x-ratelimit-remaining-tokens", "100000")
	snap, _ := ratelimit.ParseOpenAI(h)
	lim.Observe(start, snap)

	// max_tokens 100000000: counted for the bucket, not for 100M tokens.
	r := lim.Reserve(start, 100_000_000)
	fmt.Println("took", r.Tokens(), "waits", r.Delay())
	fmt.Println("a small request waits", lim.Reserve(start, 100).Delay())

	// The provider answers 400: nothing was spent.
	r.Finish(start, ratelimit.Answer{Status: http.StatusBadRequest, Snapshot: snap})
	fmt.Println("left:", lim.Status(start).Tokens)
	// Output:
	// took 100000 waits 0s
	// a small request waits 60ms
	// left: 99900
}
