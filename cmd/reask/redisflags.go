package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/reask/reask"
	"github.com/reask/reask/fleet"
)

// redisEnv is the environment variable --redis defaults to.
const redisEnv = "REASK_REDIS_URL"

// redisFlags are the fleet-mode flags of every command that calls a model:
// the Redis whose shared state the process joins.
type redisFlags struct {
	url     string
	fail    string
	timeout time.Duration
}

func (f *redisFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "redis", "", "share the rate limiter, Retry-After hold, circuit breaker and retry budget with every process that names this Redis and the same provider account: redis://[user:pass@]host:port/db, or rediss://… for TLS (env "+redisEnv+")")
	fs.StringVar(&f.fail, "redis-fail", "open", "while Redis cannot be used: open (go on with this process's own policies, the limiter at its 1/N share of the learnt limit) or closed (call the provider only when Redis answers)")
	fs.DurationVar(&f.timeout, "redis-timeout", fleet.DefaultTimeout, fmt.Sprintf("time limit of each Redis call, at most %s: a call that takes longer uses the local policies (or, with --redis-fail closed, is refused), and two in a row put Redis down until it answers again", fleet.MaxTimeout))
}

// config returns the fleet configuration the flags select, and whether
// fleet mode is on (--redis or REASK_REDIS_URL).
func (f *redisFlags) config(getenv env) (fleet.Config, bool, error) {
	mode, err := fleet.ParseFailMode(f.fail)
	if err != nil {
		return fleet.Config{}, false, err
	}
	timeout := f.timeout
	if timeout == 0 {
		timeout = fleet.DefaultTimeout
	}
	if timeout < 0 || timeout > fleet.MaxTimeout {
		return fleet.Config{}, false, fmt.Errorf("--redis-timeout is %s: want a duration above 0 and at most %s", f.timeout, fleet.MaxTimeout)
	}
	url := firstNonEmpty(f.url, getenv(redisEnv))
	return fleet.Config{URL: url, FailMode: mode, Timeout: timeout}, url != "", nil
}

// connect returns the Store the flags name, checked (reachable, the
// credentials accepted, recent enough), or nil without --redis. Its
// errors name the flag. The store logs each change between shared and
// local mode to logger.
func (f *redisFlags) connect(ctx context.Context, getenv env, logger *slog.Logger) (*fleet.Store, error) {
	cfg, on, err := f.config(getenv)
	if err != nil || !on {
		return nil, err
	}
	cfg.Logger = logger
	s, err := fleet.Connect(ctx, cfg)
	if err != nil {
		return nil, f.named(err, getenv)
	}
	return s, nil
}

// named says which of --redis and REASK_REDIS_URL a fleet error is
// about: errors name --redis, and a URL from the environment is not one.
func (f *redisFlags) named(err error, getenv env) error {
	fleetErr := errors.Is(err, fleet.ErrURL) || errors.Is(err, fleet.ErrUnreachable) || errors.Is(err, fleet.ErrAuth) || errors.Is(err, fleet.ErrVersion)
	if fleetErr && f.url == "" && getenv(redisEnv) != "" {
		return fmt.Errorf("%s: %w", redisEnv, err)
	}
	return err
}

// joinFleet connects to the Redis the flags name, if any, and sets
// cfg.Shared to it; the function returned disconnects (leaving the
// fleet's registry) and says on stderr how many Redis round trips the
// policies made and how many of their calls Redis could not serve. The
// store's changes between shared and local mode are logged on stderr.
func (a *app) joinFleet(ctx context.Context, f *redisFlags, cfg *reask.Config) (func(), error) {
	_, leave, err := a.joinFleetStore(ctx, f, cfg)
	return leave, err
}

// joinFleetStore is joinFleet, also returning the store (nil without
// --redis): reask worker keeps its response cache there.
func (a *app) joinFleetStore(ctx context.Context, f *redisFlags, cfg *reask.Config) (*fleet.Store, func(), error) {
	store, err := f.connect(ctx, a.getenv, slog.New(slog.NewTextHandler(a.stderr, nil)))
	if err != nil || store == nil {
		return nil, func() {}, err
	}
	cfg.Shared = store.Shared()
	return store, func() {
		fmt.Fprintf(a.stderr, "reask: fleet mode: %d Redis round trips, %d policy calls Redis could not serve\n", store.Calls(), store.Errors())
		store.Close()
	}, nil
}
