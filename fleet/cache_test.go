package fleet

import (
	"errors"
	"testing"
	"time"

	"github.com/reask/reask/cache"
	"github.com/reask/reask/internal/redistest"
)

func TestCacheInRedis(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	c := p.Cache(CacheConfig{TTL: time.Hour, MaxEntryBytes: 8})
	ctx := t.Context()
	key := cache.Key("v", []byte("request"))
	if _, ok, err := c.Get(ctx, key); ok || err != nil {
		t.Fatalf("empty: ok %v err %v", ok, err)
	}
	if err := c.Put(ctx, key, []byte("doc")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := c.Get(ctx, key)
	if !ok || err != nil || string(v) != "doc" {
		t.Fatalf("Get = %q %v %v", v, ok, err)
	}
	ttl, err := p.rdb.PTTL(ctx, CachePrefix+key).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("TTL of the key = %v (%v), want at most an hour", ttl, err)
	}
	if err := c.Put(ctx, "big", []byte("123456789")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, "big"); ok {
		t.Error("a value over MaxEntryBytes was stored")
	}
	srv.Kill()
	var ue *UnavailableError
	if _, _, err := c.Get(ctx, key); !errors.As(err, &ue) {
		t.Fatalf("Get with Redis down: %v, want an *UnavailableError", err)
	}
}
