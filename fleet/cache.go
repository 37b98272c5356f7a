package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/cache"
)

// CachePrefix begins the key of every cached result in Redis:
// "reask:cache:" and the 64 hex digits of cache.Key. It cannot meet the
// shared state's keys ("reask:" and 32 hex digits) nor the job queue's
// ("reask:job:").
const CachePrefix = "reask:cache:"

// CacheConfig configures a Cache. Its zero value is ready to use.
type CacheConfig struct {
	// TTL is how long Redis keeps a result (SET … PX). Default
	// cache.DefaultTTL (30 days). Redis's own maxmemory policy bounds the
	// total: set maxmemory-policy allkeys-lru or volatile-lru on a Redis
	// that holds a large cache.
	TTL time.Duration
	// MaxEntryBytes bounds one value; a larger one is not stored. Default
	// cache.DefaultMaxEntryBytes (1 MiB).
	MaxEntryBytes int
}

// Cache is a cache.Store in the fleet's Redis, for gateways and workers:
// each call is one round trip bounded by the Store's timeout, and a Redis
// that does not answer is an *UnavailableError, which reask logs and
// counts and goes on without the cache. A Cache is safe for concurrent use.
type Cache struct {
	s   *Store
	cfg CacheConfig
}

var _ cache.Store = (*Cache)(nil)

// Cache returns a response cache in the Store's Redis.
func (s *Store) Cache(cfg CacheConfig) *Cache {
	if cfg.TTL <= 0 {
		cfg.TTL = cache.DefaultTTL
	}
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = cache.DefaultMaxEntryBytes
	}
	return &Cache{s: s, cfg: cfg}
}

// Get implements cache.Store.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var val []byte
	err := c.s.do(ctx, "cache get", func(ctx context.Context) error {
		v, err := c.s.rdb.Get(ctx, CachePrefix+key).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		val = v
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return val, val != nil, nil
}

// Put implements cache.Store.
func (c *Cache) Put(ctx context.Context, key string, val []byte) error {
	if len(val) > c.cfg.MaxEntryBytes {
		return nil
	}
	return c.s.do(ctx, "cache put", func(ctx context.Context) error {
		return c.s.rdb.Set(ctx, CachePrefix+key, val, c.cfg.TTL).Err()
	})
}
