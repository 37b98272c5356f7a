package gateway

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/cache/disk"
	"github.com/reask/reask/fleet"
)

// CacheHeader is the request header that turns the response cache off for
// one request ("x-reask-cache: off"), and the response header that says
// what it did ("hit" or "miss").
const CacheHeader = "X-Reask-Cache"

// CacheConfig configures the gateway's response cache (Config.Cache). Its
// zero value is off.
type CacheConfig struct {
	// On turns the cache on.
	On bool
	// Dir holds the cache file (cache.db, a bbolt database) outside fleet
	// mode. Required then; in fleet mode the cache is in Redis.
	Dir string
	// TTL is how long a result is served. Default cache.DefaultTTL.
	TTL time.Duration
	// MaxBytes bounds the file's results in total (the oldest go first).
	// Default cache.DefaultMaxBytes. In Redis, its maxmemory policy does.
	MaxBytes int64
}

// openCache sets the clients' cache (Reask.Cache) as Config.Cache says:
// Redis in fleet mode, else the file in Dir. A file that cannot be opened
// is logged and every request counts it (cache_errors): the gateway
// serves without the cache, it does not fail to start.
func (g *Gateway) openCache() error {
	c := g.cfg.Cache
	if !c.On || g.cfg.Reask.Cache != nil {
		return nil
	}
	if c.TTL < 0 || c.MaxBytes < 0 {
		return configErr("Cache", "TTL %s and MaxBytes %d: want zero (the default) or positive", c.TTL, c.MaxBytes)
	}
	if g.fleet != nil {
		g.cfg.Reask.Cache = g.fleet.store.Cache(fleet.CacheConfig{TTL: c.TTL})
		return nil
	}
	if c.Dir == "" {
		return configErr("Cache.Dir", "the response cache needs a directory outside fleet mode (or Redis)")
	}
	s, err := disk.Open(filepath.Join(c.Dir, disk.FileName), disk.Config{TTL: c.TTL, MaxBytes: c.MaxBytes})
	if err != nil {
		g.log.Warn("gateway: serving without the response cache", "error", err.Error())
		g.cfg.Reask.Cache = cache.Unavailable(err)
		return nil
	}
	g.cfg.Reask.Cache = s
	g.closeCache = s.Close
	return nil
}

// cacheContext turns the cache off for a request that says
// "x-reask-cache: off".
func cacheContext(ctx context.Context, r *http.Request) context.Context {
	if strings.EqualFold(strings.TrimSpace(r.Header.Get(CacheHeader)), "off") {
		return cache.Off(ctx)
	}
	return ctx
}

// setCacheHeader says what the cache did for the request.
func setCacheHeader(h http.Header, rep *reask.Report) {
	if rep != nil && rep.Cache != "" {
		h.Set(CacheHeader, string(rep.Cache))
	}
}
