package fleet

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/reask/reask/budget"
)

// Budget is the fleet-wide counterpart of budget.Budget: one gRFC A6 retry
// budget for every process that uses the same Redis and account, so that N
// processes in an outage retry about MaxTokens/2 times in all, not N times
// that, and then send about one request per call. The bucket is one Redis
// key holding the thousandths of a token spent (absent: full), changed by
// one atomic script per call; it has budget.Budget's algorithm, defaults
// and property (see package budget). An idle bucket expires after TTL and
// is full again.
//
// A Budget is safe for concurrent use.
type Budget struct {
	store      *Store
	key        string
	max, ratio int64 // thousandths
	ttl        time.Duration
}

// BudgetConfig configures a Budget.
type BudgetConfig struct {
	// Config is the local budget's configuration.
	budget.Config
	// TTL is how long the bucket outlives its last change. Default
	// DefaultStateTTL.
	TTL time.Duration
}

// Budget returns the shared retry budget of account a, or an error
// matching budget.ErrInvalidConfig or ErrConfig.
func (s *Store) Budget(a Account, c BudgetConfig) (*Budget, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.TTL < 0 {
		return nil, fmt.Errorf("%w: negative budget TTL %s", ErrConfig, c.TTL)
	}
	if c.TTL == 0 {
		c.TTL = DefaultStateTTL
	}
	b := &Budget{store: s, key: a.key("budget"), ttl: c.TTL,
		max: int64(c.MaxTokens) * 1000, ratio: int64(math.Round(c.TokenRatio * 1000))}
	if c.MaxTokens == 0 {
		b.max = budget.DefaultMaxTokens * 1000
	}
	if c.TokenRatio == 0 {
		b.ratio = budget.DefaultTokenRatio * 1000
	}
	return b, nil
}

// Key returns the Redis key of the budget.
func (b *Budget) Key() string { return b.key }

func (b *Budget) add(ctx context.Context, op string, d int64) (int64, error) {
	var spent int64
	err := b.store.do(ctx, op, func(ctx context.Context) error {
		v, err := budgetAdd.Run(ctx, b.store.rdb, []string{b.key}, d, b.max, b.ttl.Milliseconds()).Int64()
		spent = v
		return err
	})
	return spent, err
}

// AllowRetry records a failed call that the caller would like to retry, and
// reports whether the fleet's budget allows it: whether, after paying the
// failure's token, more than half the bucket is left.
func (b *Budget) AllowRetry(ctx context.Context) (bool, error) {
	spent, err := b.add(ctx, "budget.retry", 1000)
	if err != nil {
		return false, err
	}
	return spent < b.max/2, nil
}

// OnFailure records a failed call that will not be retried.
func (b *Budget) OnFailure(ctx context.Context) error {
	_, err := b.add(ctx, "budget.failure", 1000)
	return err
}

// OnSuccess records a successful call: it earns TokenRatio back.
func (b *Budget) OnSuccess(ctx context.Context) error {
	_, err := b.add(ctx, "budget.success", -b.ratio)
	return err
}

// Tokens returns the tokens in the fleet's bucket.
func (b *Budget) Tokens(ctx context.Context) (float64, error) {
	var spent int64
	err := b.store.do(ctx, "budget.tokens", func(ctx context.Context) error {
		v, err := b.store.rdb.Get(ctx, b.key).Int64()
		if err != nil && !isNil(err) {
			return err
		}
		spent = v
		return nil
	})
	if err != nil {
		return 0, err
	}
	return float64(b.max-min(max(spent, 0), b.max)) / 1000, nil
}
