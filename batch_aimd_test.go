package reask_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
)

// heldProvider holds every call until the test answers it, so that the
// calls in flight can be counted at an exact moment.
type heldProvider struct {
	mu   sync.Mutex
	held []chan error
}

func (p *heldProvider) Name() string { return "held" }

func (p *heldProvider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	answer := make(chan error, 1)
	p.mu.Lock()
	p.held = append(p.held, answer)
	p.mu.Unlock()
	select {
	case err := <-answer:
		if err != nil {
			return nil, err
		}
		return &reask.Response{Content: johnJSON, FinishReason: "stop"}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// answer answers every call held now — with err, or a valid answer when
// err is nil — and returns how many there were.
func (p *heldProvider) answer(err error) int {
	p.mu.Lock()
	held := p.held
	p.held = nil
	p.mu.Unlock()
	for _, a := range held {
		a <- err
	}
	return len(held)
}

// TestBatchAdaptiveConcurrency runs a batch against a provider that holds
// its calls, in rounds: wait until every goroutine of the batch is blocked
// (synctest.Wait), count the calls in flight, answer them all. The first
// two rounds are answered 429, the others with valid answers. Adaptive
// concurrency cuts the limit once per burst of 429s (by
// concurrency.DefaultDecrease, 0.7: 8 → 5.6 → 3.92, so 8, 5 and 3 calls in
// flight), then grows it back by about 1/limit per success (3 successes
// take it to between 4.17 and 4.64: 4 in flight); fixed concurrency keeps
// 8 throughout.
func TestBatchAdaptiveConcurrency(t *testing.T) {
	rateLimited := &reask.ProviderError{Provider: "held", StatusCode: 429, Type: "requests", Message: "slow down"}
	const items, rateLimitedRounds = 24, 2
	for _, tc := range []struct {
		name string
		cfg  reask.BatchConfig
		// first are the first rounds' numbers of calls in flight.
		first []int
	}{
		{"adaptive by default: each burst of 429s is one cut, successes grow it back", reask.BatchConfig{Concurrency: 8}, []int{8, 5, 3, 4}},
		{"fixed keeps its number", reask.BatchConfig{Concurrency: 8, FixedConcurrency: true}, []int{8, 8, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &heldProvider{}
				c := reasktest.NewClient(t, p, reask.Config{MaxTransportRetries: -1})
				var results []reask.BatchResult
				done := make(chan struct{})
				go func() {
					defer close(done)
					for r := range c.Batch(t.Context(), userTasks(t, items), tc.cfg) {
						results = append(results, r)
					}
				}()
				var rounds []int
				for i := 0; ; i++ {
					synctest.Wait() // every call that can start has started
					var err error
					if i < rateLimitedRounds {
						err = rateLimited
					}
					n := p.answer(err)
					if n == 0 {
						break
					}
					rounds = append(rounds, n)
				}
				<-done

				if len(rounds) < len(tc.first) || !slices.Equal(rounds[:len(tc.first)], tc.first) {
					t.Errorf("calls in flight per round %v, want it to start with %v", rounds, tc.first)
				}
				for _, n := range rounds {
					if n > tc.cfg.Concurrency {
						t.Errorf("calls in flight per round %v: above the concurrency of %d", rounds, tc.cfg.Concurrency)
						break
					}
				}
				limited := tc.first[0] + tc.first[1]
				var failed, ok int
				for _, r := range results {
					switch {
					case r.Err == nil:
						ok++
					case providerStatus(r.Err) == 429:
						failed++
					default:
						t.Errorf("item %s: %v", r.ID, r.Err)
					}
				}
				if failed != limited || ok != items-limited {
					t.Errorf("%d items rate-limited and %d ok, want %d and %d", failed, ok, limited, items-limited)
				}
			})
		})
	}
}
