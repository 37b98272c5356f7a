package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/cache/disk"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/gateway"
)

// cacheDirEnv is the environment variable that moves the response cache.
const cacheDirEnv = "REASK_CACHE_DIR"

// cacheFlags are the response cache flags of extract and batch, where the
// cache is on by default.
type cacheFlags struct {
	off      bool
	dir      string
	ttl      time.Duration
	maxBytes int64
}

func (f *cacheFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.off, "no-cache", false, "neither read nor write the response cache (by default a validated result is stored, and the same request again is answered from it with no model call)")
	fs.StringVar(&f.dir, "cache-dir", "", "directory of the response cache (env "+cacheDirEnv+"; default the user's cache directory + /reask, which XDG_CACHE_HOME moves)")
	fs.DurationVar(&f.ttl, "cache-ttl", cache.DefaultTTL, "how long a cached result is served, e.g. 24h")
	fs.Int64Var(&f.maxBytes, "cache-max-bytes", cache.DefaultMaxBytes, "bound of the cache's stored results in total; past it the oldest are removed")
}

// cacheDir returns the cache directory: --cache-dir, REASK_CACHE_DIR,
// then os.UserCacheDir()/reask read through getenv (XDG_CACHE_HOME, else
// HOME's). Empty when there is none (no HOME): the cache is off.
func (f *cacheFlags) cacheDir(getenv env) string {
	if d := firstNonEmpty(f.dir, getenv(cacheDirEnv)); d != "" {
		return d
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "reask")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		if d, err := os.UserCacheDir(); err == nil {
			return filepath.Join(d, "reask")
		}
		return ""
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "reask")
	}
	return ""
}

// open sets cfg.Cache to the cache the flags select and returns what
// closes it. A cache that cannot be opened (a directory that cannot be
// written, a file another process holds) is said once on stderr and
// counted in every report (cache_errors): the run goes on without it.
func (a *app) openCache(f *cacheFlags, cfg *reask.Config) (func(), error) {
	if f.ttl <= 0 {
		return nil, fmt.Errorf("--cache-ttl is %s: want a positive duration (--no-cache turns the cache off)", f.ttl)
	}
	if f.maxBytes <= 0 {
		return nil, fmt.Errorf("--cache-max-bytes is %d: want a positive size (--no-cache turns the cache off)", f.maxBytes)
	}
	dir := f.cacheDir(a.getenv)
	if f.off || dir == "" {
		return func() {}, nil
	}
	s, err := disk.Open(filepath.Join(dir, disk.FileName), disk.Config{TTL: f.ttl, MaxBytes: f.maxBytes})
	if err != nil {
		fmt.Fprintf(a.stderr, "reask: going on without the response cache: %v\n", err)
		cfg.Cache = cache.Unavailable(err)
		return func() {}, nil
	}
	cfg.Cache = s
	return func() { s.Close() }, nil
}

// serveCacheFlags are the response cache flags of serve, where the cache
// is opt-in.
type serveCacheFlags struct {
	on  bool
	dir string
	ttl time.Duration
}

func (f *serveCacheFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "cache", false, "answer a schema-enforced request seen and validated before from the response cache, with no upstream call (in Redis with --redis, else in --cache-dir); a request's header \"x-reask-cache: off\" skips it")
	fs.StringVar(&f.dir, "cache-dir", "", "directory of the cache file without --redis (env "+cacheDirEnv+"; default the user's cache directory + /reask)")
	fs.DurationVar(&f.ttl, "cache-ttl", cache.DefaultTTL, "how long a cached result is served")
}

// apply sets cfg.Cache from the flags, over the file's "cache",
// "cache_dir" and "cache_ttl".
func (f *serveCacheFlags) apply(cfg *gateway.Config, getenv env, changed func(string) bool) error {
	if changed("cache") {
		cfg.Cache.On = f.on
	}
	if changed("cache-ttl") {
		if f.ttl <= 0 {
			return fmt.Errorf("--cache-ttl is %s: want a positive duration", f.ttl)
		}
		cfg.Cache.TTL = f.ttl
	}
	if changed("cache-dir") || (cfg.Cache.On && cfg.Cache.Dir == "") {
		cfg.Cache.Dir = (&cacheFlags{dir: f.dir}).cacheDir(getenv)
	}
	if cfg.Cache.On && cfg.Cache.Dir == "" && cfg.Redis.URL == "" {
		return errors.New("--cache needs --cache-dir (no user cache directory: HOME is not set) or --redis")
	}
	return nil
}

// workerCacheFlags are the response cache flags of reask worker, whose
// cache is the fleet's Redis; opt-in, like the gateway's.
type workerCacheFlags struct {
	on  bool
	ttl time.Duration
}

func (f *workerCacheFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "cache", false, "answer an item extracted before (same provider, model, prompt and schema) from the response cache in Redis, with no model call, and store every validated result there")
	fs.DurationVar(&f.ttl, "cache-ttl", cache.DefaultTTL, "how long a cached result is served")
}

// store returns the cache in s's Redis, or nil when it is off.
func (f *workerCacheFlags) store(s *fleet.Store) cache.Store {
	if !f.on || s == nil {
		return nil
	}
	return s.Cache(fleet.CacheConfig{TTL: f.ttl})
}
