package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/shared"
)

// Defaults for zero fields of Config.
const (
	// DefaultTimeout bounds each Redis call: on loopback or in one data
	// centre a script answers in well under a millisecond, and a Redis
	// slower than this costs more than the shared state saves.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultConnectTimeout bounds Connect's checks.
	DefaultConnectTimeout = 2 * time.Second
	// DefaultRecheck is how long calls skip a Redis that failed before one
	// of them tries it again.
	DefaultRecheck = time.Second
	// DefaultConnections is the size of the connection pool: the calls a
	// process makes to Redis at once without waiting for a connection (a
	// batch process at concurrency 32 makes up to 32).
	DefaultConnections = 32
	// DefaultSlowStart is how many requests the fleet sends while it knows
	// nothing of the provider's limits: one, whose answer's headers teach
	// them to every process, instead of every process's concurrency at
	// once (N × 32 requests at the first instant, most of them 429s).
	DefaultSlowStart = 1
	// DefaultProbeLease is how long a probe of slow start holds its place:
	// once it passes without an answer (a slow model, or a process that
	// died), another probe goes.
	DefaultProbeLease = 5 * time.Second
)

// MinVersion is the oldest Redis fleet mode accepts (Valkey reports a
// compatible redis_version): 6.0 brings the ACL users that
// redis://user:pass@ names and the RESP3 handshake go-redis v9 speaks; the
// scripts need nothing newer.
const MinVersion = "6.0.0"

// FailMode says what the policies do while Redis is unavailable.
type FailMode int

const (
	// FailOpen: every call falls back to the process's local policies
	// (errors match ErrUnavailable). The default.
	FailOpen FailMode = iota
	// FailClosed: no call is made (errors match ErrFailClosed).
	FailClosed
)

// String returns "open" or "closed", the values of --redis-fail.
func (m FailMode) String() string {
	switch m {
	case FailOpen:
		return "open"
	case FailClosed:
		return "closed"
	}
	return fmt.Sprintf("FailMode(%d)", int(m))
}

// ParseFailMode reads "open" or "closed" (--redis-fail).
func ParseFailMode(s string) (FailMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "open", "":
		return FailOpen, nil
	case "closed":
		return FailClosed, nil
	}
	return 0, fmt.Errorf("%w: --redis-fail %q: want open or closed", ErrConfig, s)
}

// Config configures a Store. Only URL is required.
type Config struct {
	// URL is the Redis to use: redis://[user:pass@]host:port/db, or
	// rediss:// for TLS (--redis, REASK_REDIS_URL). Its timeouts and
	// retries are fleet's own (below), whatever the URL's query says.
	URL string
	// Timeout bounds every Redis call, from dialling to the answer.
	// Default DefaultTimeout (50 ms); at most a second.
	Timeout time.Duration
	// ConnectTimeout bounds Connect's checks. Default 2 s.
	ConnectTimeout time.Duration
	// Recheck is how long, after a failed call, calls fail at once without
	// trying Redis; then one call tries. Default 1 s.
	Recheck time.Duration
	// FailMode is what the policies do while Redis is unavailable
	// (--redis-fail). Default FailOpen.
	FailMode FailMode
	// Connections is the size of the connection pool, every connection
	// dialled by Check, so that the first calls of a fleet starting at
	// once on a busy machine need no dial within their timeout. Default
	// DefaultConnections (32).
	Connections int
	// SlowStart is the most requests the fleet's limiters let out at once
	// while no limit is known (none configured, none learnt from an answer
	// yet) and no answer has come back: the probes. Default
	// DefaultSlowStart (1); negative: no slow start (every process sends
	// its first requests at once, as a local limiter does).
	SlowStart int
	// ProbeLease is how long a probe holds its place before another may
	// go. Default DefaultProbeLease (5 s).
	ProbeLease time.Duration
	// Logger receives one line per change between shared and local mode.
	// nil discards.
	Logger *slog.Logger
	// Clock times the switch between shared and local mode, and the
	// latency reported to OnCall. nil is the system clock.
	Clock clock.Clock
	// OnCall, if not nil, is called after every Redis round trip with the
	// policy operation ("limiter.reserve", "breaker.allow", …), how long it
	// took and its error, for latency metrics. It must be fast and safe
	// for concurrent use.
	OnCall func(op string, took time.Duration, err error)
}

// MaxTimeout is the largest Config.Timeout accepted: a call that waits
// longer on Redis hangs, which the shared state must never make it do.
const MaxTimeout = time.Second

// Errors of configuration and connection, each matched by errors.Is. Their
// messages name the --redis flag, and never hold its password.
var (
	// ErrConfig: a configuration value out of range.
	ErrConfig = errors.New("fleet: invalid configuration")
	// ErrURL: the Redis URL does not parse.
	ErrURL = errors.New("fleet: invalid Redis URL")
	// ErrAuth: Redis needs a password, or refused the one given.
	ErrAuth = errors.New("fleet: Redis refused the credentials")
	// ErrVersion: the Redis is older than MinVersion.
	ErrVersion = errors.New("fleet: Redis too old")
	// ErrUnreachable: Redis did not answer at Connect.
	ErrUnreachable = errors.New("fleet: Redis unreachable")
)

// ParseURL reads a Redis URL, redis://[user:pass@]host:port/db or
// rediss://… for TLS, with go-redis's parser. Its errors match ErrURL,
// name the flag --redis, and show the URL with its password replaced by
// "xxxxx".
func ParseURL(raw string) (*redis.Options, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: --redis is empty: want redis://[user:pass@]host:port/db or rediss://… for TLS", ErrURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error holds the whole URL, password included: keep only
		// the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: --redis does not parse as a URL (%v): want redis://[user:pass@]host:port/db or rediss://… for TLS", ErrURL, err)
	}
	shown := u.Redacted()
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("%w: --redis %s: the scheme must be redis:// or rediss:// (TLS), not %q", ErrURL, shown, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: --redis %s: no host: want redis://[user:pass@]host:port/db", ErrURL, shown)
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: --redis %s: %s", ErrURL, shown, strings.TrimPrefix(redact(err.Error(), u), "redis: "))
	}
	return opt, nil
}

// redact replaces the URL's password in s.
func redact(s string, u *url.URL) string {
	if p, ok := u.User.Password(); ok && p != "" {
		s = strings.ReplaceAll(s, p, "xxxxx")
	}
	return s
}

// Store is one process's connection to the shared state. Its policies
// (Limiter, Breaker, Budget, Registry) share its connection pool and its
// view of Redis's health. A Store is safe for concurrent use.
type Store struct {
	rdb    *redis.Client
	shown  string // the URL without its password
	cfg    Config
	log    *slog.Logger
	clk    clock.Clock
	errors atomic.Uint64
	calls  atomic.Uint64
	beats  heartbeats // the registries of Shared, beaten until Close

	mu        sync.Mutex
	down      bool
	downSince time.Time
	retryAt   time.Time // down: no call tries Redis before this
	failures  uint64    // failed calls so far: a call that began before the latest failure cannot end an outage
	slow      uint64    // timeouts since the last answer, while up: Redis may be slow
}

// New returns a Store for cfg without connecting; Check connects. Errors
// match ErrURL or ErrConfig.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Timeout < 0 || cfg.Timeout > MaxTimeout:
		return nil, fmt.Errorf("%w: Redis timeout %s is not in (0, %s]", ErrConfig, cfg.Timeout, MaxTimeout)
	case cfg.ConnectTimeout < 0:
		return nil, fmt.Errorf("%w: negative Redis connect timeout %s", ErrConfig, cfg.ConnectTimeout)
	case cfg.Recheck < 0:
		return nil, fmt.Errorf("%w: negative Redis recheck interval %s", ErrConfig, cfg.Recheck)
	case cfg.Connections < 0:
		return nil, fmt.Errorf("%w: negative Redis connections %d", ErrConfig, cfg.Connections)
	case cfg.ProbeLease < 0:
		return nil, fmt.Errorf("%w: negative slow-start probe lease %s", ErrConfig, cfg.ProbeLease)
	case cfg.FailMode != FailOpen && cfg.FailMode != FailClosed:
		return nil, fmt.Errorf("%w: unknown fail mode %d", ErrConfig, int(cfg.FailMode))
	}
	opt, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Recheck == 0 {
		cfg.Recheck = DefaultRecheck
	}
	if cfg.Connections == 0 {
		cfg.Connections = DefaultConnections
	}
	if cfg.SlowStart == 0 {
		cfg.SlowStart = DefaultSlowStart
	}
	if cfg.ProbeLease == 0 {
		cfg.ProbeLease = DefaultProbeLease
	}
	boundCalls(opt, cfg.Timeout)
	opt.PoolSize = cfg.Connections
	u, _ := url.Parse(strings.TrimSpace(cfg.URL)) // parsed by ParseURL
	s := &Store{rdb: redis.NewClient(opt), shown: u.Redacted(), cfg: cfg, log: cfg.Logger, clk: cfg.Clock}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clk == nil {
		s.clk = clock.System()
	}
	return s, nil
}

// Connect returns a Store connected to cfg.URL, after checking that Redis
// answers, accepts the credentials and is recent enough (Check). Its errors
// match ErrURL, ErrConfig, ErrUnreachable, ErrAuth or ErrVersion, and name
// the flag --redis.
func Connect(ctx context.Context, cfg Config) (*Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Check pings Redis, checks its version (at least MinVersion), loads the
// scripts and dials the pool's connections (Config.Connections), within
// Config.ConnectTimeout. Errors match ErrUnreachable,
// ErrAuth or ErrVersion, and name the flag --redis.
//
// Each command is bounded by Config.Timeout, as every Redis call is; one
// that times out or cannot connect is tried again until ConnectTimeout,
// so that a process started on a busy machine (a fleet starting at once)
// does not fail for one slow answer. Redis's own refusals (NOAUTH,
// WRONGPASS) fail at once.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	if err := s.patiently(ctx, func() error { return s.rdb.Ping(ctx).Err() }); err != nil {
		return s.connectError(err)
	}
	var info string
	err := s.patiently(ctx, func() (err error) {
		info, err = s.rdb.Info(ctx, "server").Result()
		return err
	})
	if err != nil {
		return s.connectError(err)
	}
	if err := checkVersion(info); err != nil {
		return fmt.Errorf("--redis %s: %w", s.shown, err)
	}
	for _, sc := range allScripts {
		if err := s.patiently(ctx, func() error { return sc.Load(ctx, s.rdb).Err() }); err != nil {
			return s.connectError(err)
		}
	}
	s.warm(ctx)
	return nil
}

// warm dials the pool's connections, each held until all are dialled so
// that none is reused, then returns them to the pool idle. A connection
// that cannot be dialled before ctx ends is left to the first call that
// needs it: Redis has answered Check already.
func (s *Store) warm(ctx context.Context) {
	conns := make([]*redis.Conn, s.cfg.Connections)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c := s.rdb.Conn()
			conns[i] = c
			s.patiently(ctx, func() error { return c.Ping(ctx).Err() })
		})
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
}

// checkRetryPause is the pause between two tries of a start-up check.
const checkRetryPause = 20 * time.Millisecond

// patiently runs fn until it succeeds, Redis itself refuses (an error
// reply), or ctx ends; it returns fn's last error.
func (s *Store) patiently(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		var reply redis.Error
		if err == nil || errors.As(err, &reply) {
			return err
		}
		t := time.NewTimer(checkRetryPause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *Store) connectError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "NOAUTH"):
		return fmt.Errorf("%w: --redis %s: Redis needs a password (NOAUTH): give it in the URL, redis://:PASSWORD@host:port/db", ErrAuth, s.shown)
	case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("%w: --redis %s: Redis refused the user name or password of the URL (WRONGPASS)", ErrAuth, s.shown)
	}
	return fmt.Errorf("%w: --redis %s: no answer within %s: %s", ErrUnreachable, s.shown, s.cfg.ConnectTimeout, msg)
}

// checkVersion reads redis_version in the answer to INFO server.
func checkVersion(info string) error {
	var v string
	for line := range strings.Lines(info) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			v = rest
			break
		}
	}
	if v == "" {
		return fmt.Errorf("%w: Redis did not say its version (INFO server has no redis_version); fleet mode needs Redis %s or later", ErrVersion, MinVersion)
	}
	got, ok := parseVersion(v)
	want, _ := parseVersion(MinVersion)
	if !ok {
		return fmt.Errorf("%w: Redis version %q does not parse; fleet mode needs Redis %s or later", ErrVersion, v, MinVersion)
	}
	for i := range got {
		if got[i] != want[i] {
			if got[i] < want[i] {
				return fmt.Errorf("%w: Redis %s is older than %s, the oldest fleet mode supports (ACL users, RESP3)", ErrVersion, v, MinVersion)
			}
			break
		}
	}
	return nil
}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// Close stops the heartbeats Shared started (leaving their registries)
// and closes the connection pool.
func (s *Store) Close() error {
	s.beats.close()
	return s.rdb.Close()
}

// FailMode returns the configured fail mode.
func (s *Store) FailMode() FailMode { return s.cfg.FailMode }

// Errors returns how many policy calls could not use Redis: failed, timed
// out, or skipped while Redis was known to be down. It is the value of
// reask_shared_state_errors_total.
func (s *Store) Errors() uint64 { return s.errors.Load() }

// Calls returns how many Redis round trips the policies made.
func (s *Store) Calls() uint64 { return s.calls.Load() }

// Health is the Store's view of Redis at one instant.
type Health struct {
	// Shared is true while Redis answers: the policies are shared.
	Shared bool
	// Since is when the latest outage began (zero while Shared).
	Since time.Time
	// Errors is Store.Errors.
	Errors uint64
}

// Health returns the Store's view of Redis.
func (s *Store) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := Health{Shared: !s.down, Errors: s.errors.Load()}
	if s.down {
		h.Since = s.downSince
	}
	return h
}

// ErrUnavailable is matched by the errors of a Store in FailOpen mode when
// Redis could not be used: the caller applies its local policy instead. It
// is shared.ErrUnavailable, which a reask Client matches.
var ErrUnavailable = shared.ErrUnavailable

// ErrFailClosed is matched by the errors of a Store in FailClosed mode
// when Redis could not be used: the caller must not call the provider. It
// is shared.ErrFailClosed, which a reask Client matches.
var ErrFailClosed = shared.ErrFailClosed

// errDown is the cause of the calls skipped while Redis is down.
var errDown = errors.New("fleet: Redis failed recently and is not tried again yet")

// UnavailableError is the error of a policy call that could not use Redis.
// It matches ErrUnavailable (FailOpen) or ErrFailClosed (FailClosed), and
// unwraps to the Redis error.
type UnavailableError struct {
	// Op is the policy operation, such as "limiter.reserve".
	Op string
	// Mode is the Store's fail mode.
	Mode FailMode
	// Err is what went wrong.
	Err error
}

// Error describes the failure.
func (e *UnavailableError) Error() string {
	what := "using the local policies"
	if e.Mode == FailClosed {
		what = "not calling the provider (--redis-fail closed)"
	}
	return fmt.Sprintf("fleet: %s: shared state unavailable, %s: %v", e.Op, what, e.Err)
}

// Is matches ErrUnavailable or ErrFailClosed, according to Mode.
func (e *UnavailableError) Is(target error) bool {
	return target == ErrUnavailable && e.Mode == FailOpen || target == ErrFailClosed && e.Mode == FailClosed
}

// Unwrap returns the Redis error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// do runs fn, one Redis round trip for operation op, bounded by the
// timeout, and keeps the Store's view of Redis's health. A call made while
// Redis is known to be down fails at once. A cancelled ctx returns its
// error, and is not a Redis failure.
//
// Redis is down after a failure other than a timeout (refused, reset, an
// error reply), or after a timeout of a call that began once an earlier
// call had timed out with no answer since: a single stall (a busy machine
// starting a fleet at once, the calls then in flight timing out together)
// makes only those calls use the local policies, while a Redis that stays
// slow or hangs is down after two timeouts in a row.
func (s *Store) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	seen, ok := s.admit()
	if !ok {
		s.errors.Add(1)
		return &UnavailableError{Op: op, Mode: s.cfg.FailMode, Err: errDown}
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	start := s.clk.Now()
	err := fn(cctx)
	cancel()
	s.calls.Add(1)
	if s.cfg.OnCall != nil {
		s.cfg.OnCall(op, s.clk.Now().Sub(start), err)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		s.errors.Add(1)
		if !isTimeout(err) || !s.stalled(seen) {
			s.failed(op, err)
		}
		return &UnavailableError{Op: op, Mode: s.cfg.FailMode, Err: err}
	}
	s.answered(seen)
	return nil
}

// health is what a call saw of the Store's view when it began.
type health struct {
	failures, slow uint64
}

// admit says whether a call may try Redis: always while it is up; while it
// is down, one call per Recheck. It returns the view the call begins with.
func (s *Store) admit() (seen health, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen = health{failures: s.failures, slow: s.slow}
	if !s.down {
		return seen, true
	}
	now := s.clk.Now()
	if now.Before(s.retryAt) {
		return seen, false
	}
	s.retryAt = now.Add(s.cfg.Recheck)
	return seen, true
}

// stalled records a timeout of a call that began with the view seen, and
// reports whether it is a stall only: Redis is up, and no timeout had
// happened since the last answer when the call began.
func (s *Store) stalled(seen health) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down || seen.slow > 0 || seen.failures != s.failures {
		return false
	}
	s.slow++
	return true
}

// isTimeout reports whether err is a call that ran out of time (reading,
// writing, dialling or waiting for a pooled connection), as opposed to a
// Redis that refused or dropped it.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.As(err, &ne) && ne.Timeout()
}

func (s *Store) failed(op string, err error) {
	s.mu.Lock()
	now := s.clk.Now()
	was := s.down
	s.down, s.retryAt = true, now.Add(s.cfg.Recheck)
	s.failures++
	if !was {
		s.downSince = now
	}
	s.mu.Unlock()
	if !was {
		what := "falling back to the local policies"
		if s.cfg.FailMode == FailClosed {
			what = "not calling the provider until it answers (--redis-fail closed)"
		}
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "reask: shared state unavailable: "+what,
			slog.String("redis", s.shown), slog.String("op", op), slog.String("error", err.Error()))
	}
}

// answered records a call that succeeded, having begun with the view
// seen: one that began before the latest failure (an answer that was
// already on its way) does not end the outage.
func (s *Store) answered(seen health) {
	s.mu.Lock()
	s.slow = 0
	if seen.failures != s.failures {
		s.mu.Unlock()
		return
	}
	was, since := s.down, s.downSince
	s.down = false
	now := s.clk.Now()
	s.mu.Unlock()
	if was {
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "reask: shared state available again: policies shared through Redis",
			slog.String("redis", s.shown), slog.Duration("down", now.Sub(since)))
	}
}

// run runs script sc on key with args, for operation op.
func (s *Store) run(ctx context.Context, op string, sc *redis.Script, key string, args ...any) ([]any, error) {
	var out []any
	err := s.do(ctx, op, func(ctx context.Context) error {
		v, err := sc.Run(ctx, s.rdb, []string{key}, args...).Slice()
		out = v
		return err
	})
	return out, err
}

// broken reports a reply that did not have the expected shape: a bug or a
// foreign key, counted and handled as Redis being unavailable.
func (s *Store) broken(op string, err error) error {
	s.errors.Add(1)
	s.failed(op, err)
	return &UnavailableError{Op: op, Mode: s.cfg.FailMode, Err: err}
}

func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// parseFloat reads a number the scripts stored; "" is 0.
func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return f
}

// RouteRedisLogs sends go-redis's own log lines (a failed dial, a pool
// event), which it prints on standard error by default, to logger at
// DEBUG: the Store already logs each change between shared and local mode
// once, and an outage must not print a line per reconnection. It sets
// go-redis's process-wide logger: call it once, from main. A nil logger
// discards them.
func RouteRedisLogs(logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	redis.SetLogger(redisLogs{logger})
}

type redisLogs struct{ l *slog.Logger }

func (r redisLogs) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// ClientOptions is ParseURL's options with every call bounded by timeout:
// what every Redis client of reask's fleet mode uses.
func ClientOptions(raw string, timeout time.Duration) (*redis.Options, error) {
	opt, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	boundCalls(opt, timeout)
	return opt, nil
}

// boundCalls makes one try per call, bounded by timeout: go-redis retries
// three times and waits seconds by default, and no call may hang on Redis;
// callers retry as they see fit.
func boundCalls(opt *redis.Options, timeout time.Duration) {
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.PoolTimeout = timeout
	opt.ContextTimeoutEnabled = true
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}
