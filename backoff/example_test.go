package backoff_test

import (
	"fmt"
	"time"

	"github.com/reask/reask/backoff"
)

func ExamplePolicy_Delay() {
	// A base of 1s and a cap of 1m, with AWS-style full jitter. A fixed random
	// source makes the output exact; production passes rand.Float64.
	p := backoff.Policy{Base: time.Second, Max: time.Minute}
	half := func() float64 { return 0.5 }
	for retry := range 8 {
		fmt.Println(retry, p.Delay(retry, half))
	}
	// Output:
	// 0 500ms
	// 1 1s
	// 2 2s
	// 3 4s
	// 4 8s
	// 5 16s
	// 6 30s
	// 7 30s
}
