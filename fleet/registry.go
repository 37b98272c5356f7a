package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reask/reask/clock"
)

// DefaultHeartbeat is how long a process counts as alive after its last
// heartbeat (RegistryConfig.TTL); Run beats three times as often.
const DefaultHeartbeat = 15 * time.Second

// Registry counts the processes of a fleet that share an account: each
// beats a heartbeat into a Redis sorted set (id → expiry), and a process
// whose heartbeat has expired no longer counts. A process that falls back
// to its local limiter while Redis is unavailable divides the learnt limit
// by the last count it saw (LastAlive, Limiter.LocalConfig), so that N
// processes on their own still send about the limit, not N times it.
//
// A Registry is safe for concurrent use.
type Registry struct {
	store *Store
	key   string
	id    string
	ttl   time.Duration
	last  atomic.Int64 // LastAlive

	mu     sync.Mutex
	peak   int       // the highest count seen within a TTL of peakAt
	peakAt time.Time // when it was seen
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// ID names this process in the registry. Default: host name, process
	// id and a random suffix.
	ID string
	// TTL is how long a heartbeat counts. Default DefaultHeartbeat.
	TTL time.Duration
}

// Registry returns the heartbeat registry of account a, or an error
// matching ErrConfig.
func (s *Store) Registry(a Account, c RegistryConfig) (*Registry, error) {
	if c.TTL < 0 {
		return nil, fmt.Errorf("%w: negative heartbeat TTL %s", ErrConfig, c.TTL)
	}
	if c.TTL == 0 {
		c.TTL = DefaultHeartbeat
	}
	if c.TTL < time.Millisecond {
		return nil, fmt.Errorf("%w: heartbeat TTL %s is under a millisecond", ErrConfig, c.TTL)
	}
	if c.ID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		c.ID = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}
	r := &Registry{store: s, key: a.key("alive"), id: c.ID, ttl: c.TTL}
	r.last.Store(1)
	return r, nil
}

// ID returns the process's id in the registry.
func (r *Registry) ID() string { return r.id }

// Key returns the Redis key of the registry.
func (r *Registry) Key() string { return r.key }

func (r *Registry) run(ctx context.Context, op string, now time.Time, id string) (int, error) {
	var n int64
	err := r.store.do(ctx, op, func(ctx context.Context) error {
		v, err := registryBeat.Run(ctx, r.store.rdb, []string{r.key},
			micros(now), micros(now.Add(r.ttl)), id, (2 * r.ttl).Milliseconds()).Int64()
		n = v
		return err
	})
	if err != nil {
		return 0, err
	}
	r.remember(now, int(n))
	return int(n), nil
}

// remember sets LastAlive from a count n read at now: a count lower than
// one seen less than a TTL before is not believed yet, since after a Redis
// restart (or expiry) the processes beat again one by one, and a process
// that falls back to its local limiter then must not take the share of a
// fleet it undercounts. A process that really left is forgotten a TTL
// later, as its heartbeat would have expired.
func (r *Registry) remember(now time.Time, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n >= r.peak || now.Sub(r.peakAt) >= r.ttl {
		r.peak, r.peakAt = n, now
	}
	r.last.Store(int64(max(r.peak, 1)))
}

// Beat records this process's heartbeat at now, and returns how many
// processes are alive, itself included.
func (r *Registry) Beat(ctx context.Context, now time.Time) (int, error) {
	return r.run(ctx, "registry.beat", now, r.id)
}

// Alive returns how many processes are alive at now.
func (r *Registry) Alive(ctx context.Context, now time.Time) (int, error) {
	return r.run(ctx, "registry.alive", now, "")
}

// LastAlive returns the count of the latest successful Beat or Alive, at
// least 1 — or a higher one seen less than a TTL before it (see remember):
// what a process that lost Redis divides the limit by.
func (r *Registry) LastAlive() int { return int(r.last.Load()) }

// Leave removes this process from the registry.
func (r *Registry) Leave(ctx context.Context) error {
	return r.store.do(ctx, "registry.leave", func(ctx context.Context) error {
		return r.store.rdb.ZRem(ctx, r.key, r.id).Err()
	})
}

// Run beats every TTL/3 on clk until ctx is done, then leaves the registry
// and returns ctx's error. A beat that fails is not retried before the
// next: the registry only needs one in three to arrive.
func (r *Registry) Run(ctx context.Context, clk clock.Clock) error {
	for {
		r.Beat(ctx, clk.Now())
		if err := clk.Sleep(ctx, r.ttl/3); err != nil {
			r.Leave(context.WithoutCancel(ctx))
			return err
		}
	}
}
