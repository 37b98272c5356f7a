package breaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/reask/reask/breaker"
)

func Example() {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	set, err := breaker.NewSet(breaker.Settings{
		MinCalls: 3, Threshold: 0.5, CoolDown: 10 * time.Second,
		OnStateChange: func(key string, from, to breaker.State) {
			fmt.Printf("%s: %s -> %s\n", key, from, to)
		},
	})
	if err != nil {
		panic(err)
	}
	const key = "openai/gpt-4o-mini"

	// Three transport failures in a row open the breaker.
	for i := range 3 {
		now := start.Add(time.Duration(i) * time.Second)
		ticket, err := set.Allow(key, now)
		if err != nil {
			panic(err)
		}
		ticket.Done(now, breaker.Failure)
	}

	// While open, calls are refused at once, with the time to come back.
	_, err = set.Allow(key, start.Add(5*time.Second))
	var open *breaker.OpenError
	if errors.As(err, &open) {
		fmt.Println("refused until", open.Until.Sub(start))
	}

	// After the cool-down one probe goes through; its success closes it.
	now := start.Add(12 * time.Second)
	ticket, err := set.Allow(key, now)
	fmt.Println("probe:", ticket.Probe(), err)
	ticket.Done(now, breaker.Success)
	fmt.Println(set.Get(key).State(now))
	// Output:
	// openai/gpt-4o-mini: closed -> open
	// refused until 12s
	// openai/gpt-4o-mini: open -> half-open
	// probe: true <nil>
	// openai/gpt-4o-mini: half-open -> closed
	// closed
}
