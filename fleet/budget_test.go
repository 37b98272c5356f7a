package fleet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/reask/reask/budget"
	"github.com/reask/reask/internal/redistest"
)

// Two processes share one budget: in an outage the fleet retries about
// MaxTokens/2 times in all, not that many per process, and successes
// anywhere refill it.
func TestBudgetShared(t *testing.T) {
	srv := redistest.Start(t)
	a, err := join(t, srv).Budget(acct, BudgetConfig{})
	must(t, err)
	b, err := join(t, srv).Budget(acct, BudgetConfig{})
	must(t, err)
	allowed := 0
	for i := range 20 {
		bud := a
		if i%2 == 1 {
			bud = b
		}
		ok, err := bud.AllowRetry(ctx(t))
		must(t, err)
		if ok {
			allowed++
		}
	}
	// The local budget allows 4 with the defaults (10 tokens: a retry
	// leaves more than 5).
	if allowed != 4 {
		t.Errorf("the fleet allowed %d retries, want 4", allowed)
	}
	for range 70 {
		must(t, a.OnSuccess(ctx(t)))
	}
	tokens, err := b.Tokens(ctx(t))
	must(t, err)
	if tokens != 7 {
		t.Errorf("tokens after 20 failures and 70 successes: %v, want 7", tokens)
	}
	if ok, _ := b.AllowRetry(ctx(t)); !ok {
		t.Error("no retry after the successes refilled the bucket above half")
	}
}

// The shared budget's arithmetic is the local one's.
func TestBudgetMatchesLocal(t *testing.T) {
	srv := redistest.Start(t)
	for i, c := range []budget.Config{{}, {MaxTokens: 3, TokenRatio: 0.5}, {MaxTokens: 100, TokenRatio: 0.001}} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			local, err := budget.New(c)
			must(t, err)
			shared, err := join(t, srv).Budget(Account{Model: fmt.Sprint(i)}, BudgetConfig{Config: c})
			must(t, err)
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			for step := range 500 {
				switch rng.IntN(3) {
				case 0:
					ok, err := shared.AllowRetry(ctx(t))
					must(t, err)
					if want := local.AllowRetry(); ok != want {
						t.Fatalf("step %d: AllowRetry %v, local %v", step, ok, want)
					}
				case 1:
					local.OnFailure()
					must(t, shared.OnFailure(ctx(t)))
				default:
					local.OnSuccess()
					must(t, shared.OnSuccess(ctx(t)))
				}
				got, err := shared.Tokens(ctx(t))
				must(t, err)
				if want := local.Tokens(); got != want {
					t.Fatalf("step %d: tokens %v, local %v", step, got, want)
				}
			}
		})
	}
	if _, err := join(t, srv).Budget(acct, BudgetConfig{Config: budget.Config{MaxTokens: 5000}}); !errors.Is(err, budget.ErrInvalidConfig) {
		t.Errorf("an invalid config: %v", err)
	}
}
