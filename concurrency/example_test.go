package concurrency_test

import (
	"context"
	"fmt"

	"github.com/reask/reask/concurrency"
)

func Example() {
	lim, err := concurrency.New(concurrency.Config{Initial: 32, Max: 32, Decrease: 0.5})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// A batch sends 32 requests at once; the provider answers the last 12
	// with 429.
	var releases []concurrency.Release
	for range 32 {
		release, err := lim.Acquire(ctx)
		if err != nil {
			panic(err)
		}
		releases = append(releases, release)
	}
	for i, release := range releases {
		if i < 20 {
			release(concurrency.Success)
		} else {
			release(concurrency.Overload)
		}
	}
	// One congestion event, one cut.
	fmt.Printf("limit %.1f\n", lim.Status().Limit)
	// Output:
	// limit 16.0
}
