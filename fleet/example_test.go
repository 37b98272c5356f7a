package fleet_test

import (
	"context"
	"errors"
	"log"
	"net/http"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/ratelimit"
)

// A process of a fleet paces its calls in the shared limiter, and falls
// back to a local limiter, with its share of the limit, while Redis is
// unavailable. (Not run: it needs a Redis.)
func Example() {
	ctx := context.Background()
	store, err := fleet.Connect(ctx, fleet.Config{URL: "redis://127.0.0.1:6379/0"})
	if err != nil {
		log.Fatal(err) // names --redis: bad URL, NOAUTH, too old, unreachable
	}
	defer store.Close()
	acct := fleet.Account{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKey: "sk-…"}
	shared, err := store.Limiter(acct, fleet.LimiterConfig{})
	if err != nil {
		log.Fatal(err)
	}
	alive, _ := store.Registry(acct, fleet.RegistryConfig{})
	go alive.Run(ctx, clock.System())

	clk := clock.System()
	res, _, err := shared.Wait(ctx, clk, 1200)
	switch {
	case errors.Is(err, fleet.ErrUnavailable):
		// Fail-open: this call is paced by a local limiter that takes
		// 1/N of what was learnt.
		local, _ := ratelimit.New(shared.LocalConfig(clk.Now(), alive.LastAlive()))
		local.Wait(ctx, clk, 1200)
	case errors.Is(err, fleet.ErrFailClosed):
		log.Fatal(err) // --redis-fail closed: no call without the shared state
	case err != nil:
		log.Fatal(err)
	}
	// … call the provider, then correct the reservation from the answer:
	res.Finish(ctx, clk.Now(), ratelimit.Answer{Status: http.StatusOK, Tokens: 950})
	if errors.Is(err, fleet.ErrUnavailable) {
		log.Printf("%d calls without the shared state", store.Errors())
	}
}
