package budget_test

import (
	"errors"
	"fmt"

	"github.com/reask/reask/budget"
)

var errUnavailable = errors.New("503 service unavailable")

func Example() {
	var b budget.Budget // gRPC's defaults: 10 tokens, 0.1 per success

	// A total outage: every request fails. Each logical call may retry up
	// to 5 times, but the budget lets only the first calls retry.
	send := func() error { return errUnavailable }
	requests := 0
	for call := range 100 {
		for retry := 0; ; retry++ {
			requests++
			if err := send(); err == nil {
				b.OnSuccess()
				break
			}
			if retry == 5 {
				b.OnFailure()
				break
			}
			if !b.AllowRetry() {
				break
			}
		}
		if call == 0 || call == 99 {
			fmt.Printf("after call %d: %d requests, %.1f tokens left\n", call+1, requests, b.Tokens())
		}
	}
	// Output:
	// after call 1: 5 requests, 5.0 tokens left
	// after call 100: 104 requests, 0.0 tokens left
}
