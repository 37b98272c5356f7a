package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Spend counts what each client key of a fleet of gateways spent per UTC
// day, in one Redis counter per key and day shared by every gateway that
// uses the same Redis, so that a daily spend limit holds for the fleet
// and not once per replica. Amounts are kept as whole nano-dollars
// (INCRBY), so that sums are exact. A counter is named by a hash of the
// client key, never the key (SpendKey), and expires SpendGrace after its
// day ends.
//
// Its calls go through the Store: bounded by Config.Timeout, skipped for
// Config.Recheck after a failure, counted in Health().Errors, and logged
// once per change between shared and local mode. Their errors match
// ErrUnavailable or ErrFailClosed, as the Store's fail mode says; the
// caller then uses its own count. A Spend is safe for concurrent use.
type Spend struct {
	store *Store
}

// SpendGrace is how long a day's counter outlives the day (UTC), so that a
// replica whose clock is a little behind still finds it.
const SpendGrace = time.Hour

// spendAdd adds ARGV[1] nano-dollars to KEYS[1], makes it expire in
// ARGV[2] milliseconds and returns the new total: one atomic round trip.
// The expiry is relative, reckoned on the caller's clock, so that Redis's
// own clock does not matter.
var spendAdd = redis.NewScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v
`)

// Spend returns the Store's daily spend counters.
func (s *Store) Spend() *Spend { return &Spend{store: s} }

// SpendID returns the name a client key has in the spend counters: the
// first 128 bits of its SHA-256, in hex. Callers that count several keys
// together pass the same id for each (a hash of theirs).
func SpendID(clientKey string) string {
	sum := sha256.Sum256([]byte(clientKey))
	return hex.EncodeToString(sum[:16])
}

// SpendKey returns the Redis key of id's spend (see SpendID) on the UTC
// day of now: "reask:spend:", the id, ":" and the date, YYYY-MM-DD.
func SpendKey(id string, now time.Time) string {
	return "reask:spend:" + id + ":" + now.UTC().Format(time.DateOnly)
}

// nanos converts US dollars to whole nano-dollars.
func nanos(usd float64) int64 { return int64(math.Round(usd * 1e9)) }

// Add adds usd (at least 0) to id's spend on now's UTC day and returns the
// day's total, in US dollars, for the whole fleet.
func (p *Spend) Add(ctx context.Context, id string, now time.Time, usd float64) (float64, error) {
	if usd < 0 || math.IsNaN(usd) || math.IsInf(usd, 0) {
		return 0, fmt.Errorf("%w: spend of %v US dollars: want a finite amount of at least 0", ErrConfig, usd)
	}
	// Milliseconds until SpendGrace after the day's end.
	ttl := now.UTC().Truncate(24 * time.Hour).Add(24*time.Hour + SpendGrace).Sub(now).Milliseconds()
	key := SpendKey(id, now)
	var total int64
	err := p.store.do(ctx, "spend.add", func(ctx context.Context) error {
		v, err := spendAdd.Run(ctx, p.store.rdb, []string{key}, nanos(usd), ttl).Int64()
		total = v
		return err
	})
	if err != nil {
		return 0, err
	}
	return float64(total) / 1e9, nil
}

// Spent returns id's spend on now's UTC day, in US dollars, for the whole
// fleet: 0 before any.
func (p *Spend) Spent(ctx context.Context, id string, now time.Time) (float64, error) {
	key := SpendKey(id, now)
	var v string
	err := p.store.do(ctx, "spend.get", func(ctx context.Context) error {
		var err error
		v, err = p.store.rdb.Get(ctx, key).Result()
		if isNil(err) {
			v, err = "0", nil
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	// Not a failure of Redis: parsed outside the Store's call, so that a
	// counter someone overwrote does not switch the fleet to local mode.
	total, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("fleet: spend counter %s holds %q, not a whole number of nano-dollars", key, v)
	}
	return float64(total) / 1e9, nil
}
