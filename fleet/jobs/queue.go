package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
)

// Defaults for zero fields of Config.
const (
	// DefaultTimeout bounds each Redis call. It is longer than fleet's
	// (50 ms): a call here moves up to a chunk of items, not a counter,
	// and nothing waits on it but the queue itself.
	DefaultTimeout = 2 * time.Second
	// DefaultPollInterval is how long a blocking read waits for new
	// entries, and how often waits (back-pressure, a Redis outage) look
	// again.
	DefaultPollInterval = time.Second
)

// MaxTimeout is the largest Config.Timeout accepted.
const MaxTimeout = 30 * time.Second

// MinVersion is the oldest Redis the queue accepts: 6.2 brings XAUTOCLAIM
// and XPENDING's IDLE filter.
const MinVersion = "6.2.0"

// Errors, each matched by errors.Is; their messages say which job, what
// happened and what to do.
var (
	// ErrConfig: a configuration value out of range, or a bad job name.
	ErrConfig = errors.New("jobs: invalid configuration")
	// ErrJobExists: a job of that name is running and Resume is off.
	ErrJobExists = errors.New("jobs: the job exists")
	// ErrSpecChanged: Resume names a job that was started with another
	// spec (schema, mode, provider, prompt settings).
	ErrSpecChanged = errors.New("jobs: the job was started with another spec")
	// ErrJobLost: the job's keys are gone from Redis (a restart without
	// persistence, an expiry, a FLUSHALL), or Redis came back from an older
	// snapshot without its latest writes. The output keeps every record
	// written; running again with Resume queues the rest.
	ErrJobLost = errors.New("jobs: the job is gone from Redis")
	// ErrRedis: Redis did not answer for longer than Config.MaxOutage.
	ErrRedis = errors.New("jobs: Redis unavailable")
	// ErrCannotServe is what a Handler's error wraps when this worker
	// cannot run the job (no credentials for its provider, say): the item
	// goes back to the queue for other workers, and this worker stops
	// taking the job's items.
	ErrCannotServe = errors.New("jobs: this worker cannot serve the job")
)

// Config configures a Queue. Only URL is required.
type Config struct {
	// URL is the Redis: redis://[user:pass@]host:port/db, or rediss://…
	// for TLS (--redis). Timeouts and retries are the queue's own, below.
	URL string
	// Timeout bounds every Redis call (a blocking read: the poll interval
	// more). Default DefaultTimeout; at most MaxTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds Connect's checks. Default
	// fleet.DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxOutage is how long a submitting run (Run) keeps trying a Redis
	// that fails before it gives up with ErrRedis, and how long a worker
	// tries to write a record (then the item is delivered again); a
	// worker's loop keeps trying as long as it runs. Default
	// DefaultMaxOutage.
	MaxOutage time.Duration
	// PollInterval is how long a blocking read waits, and how often a wait
	// looks again. Default DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives one line per change between Redis answering and not,
	// and the workers' notes (a job refused, an item that failed). nil
	// discards.
	Logger *slog.Logger
	// Clock tells the time of heartbeats and waits. nil is the system
	// clock.
	Clock clock.Clock
}

// DefaultMaxOutage is the default Config.MaxOutage.
const DefaultMaxOutage = time.Minute

// Queue is a connection to the Redis that holds the jobs: Run submits one
// and collects its results, Work serves them, Jobs and Status report them.
// A Queue is safe for concurrent use.
type Queue struct {
	rdb   *redis.Client
	cfg   Config
	shown string // the URL without its password
	log   *slog.Logger
	clk   clock.Clock
	trips atomic.Uint64
}

// Connect returns a Queue connected to cfg.URL after checking that Redis
// answers, accepts the credentials and is at least MinVersion. Its errors
// match ErrConfig or fleet's ErrURL, ErrUnreachable, ErrAuth and
// ErrVersion, and name the flag --redis without its password.
func Connect(ctx context.Context, cfg Config) (*Queue, error) {
	switch {
	case cfg.Timeout < 0 || cfg.Timeout > MaxTimeout:
		return nil, fmt.Errorf("%w: Redis timeout %s is not in (0, %s]", ErrConfig, cfg.Timeout, MaxTimeout)
	case cfg.ConnectTimeout < 0:
		return nil, fmt.Errorf("%w: negative Redis connect timeout %s", ErrConfig, cfg.ConnectTimeout)
	case cfg.MaxOutage < 0:
		return nil, fmt.Errorf("%w: negative MaxOutage %s", ErrConfig, cfg.MaxOutage)
	case cfg.PollInterval < 0:
		return nil, fmt.Errorf("%w: negative poll interval %s", ErrConfig, cfg.PollInterval)
	}
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	cfg.ConnectTimeout = orDefault(cfg.ConnectTimeout, fleet.DefaultConnectTimeout)
	cfg.MaxOutage = orDefault(cfg.MaxOutage, DefaultMaxOutage)
	cfg.PollInterval = orDefault(cfg.PollInterval, DefaultPollInterval)
	// fleet's check gives the errors every --redis command gives: a bad
	// URL, no answer, a password refused, a Redis too old for fleet mode.
	fs, err := fleet.Connect(ctx, fleet.Config{URL: cfg.URL, ConnectTimeout: cfg.ConnectTimeout, Timeout: min(cfg.Timeout, fleet.MaxTimeout)})
	if err != nil {
		return nil, err
	}
	fs.Close()
	opt, err := fleet.ClientOptions(cfg.URL, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(strings.TrimSpace(cfg.URL)) // parsed by ParseURL
	q := &Queue{rdb: redis.NewClient(opt), cfg: cfg, shown: u.Redacted(), log: cfg.Logger, clk: cfg.Clock}
	q.rdb.AddHook(tripCounter{&q.trips})
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	if q.clk == nil {
		q.clk = clock.System()
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	info, err := q.rdb.Info(cctx, "server").Result()
	if err == nil {
		err = checkVersion(info)
	}
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("--redis %s: %w", q.shown, err)
	}
	return q, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkVersion reads redis_version in the answer to INFO server.
func checkVersion(info string) error {
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		if versionBefore(v, MinVersion) {
			return fmt.Errorf("%w: Redis %s is older than %s, the oldest distributed batches support (XAUTOCLAIM)", fleet.ErrVersion, v, MinVersion)
		}
		return nil
	}
	return fmt.Errorf("%w: Redis did not say its version; distributed batches need Redis %s or later", fleet.ErrVersion, MinVersion)
}

// versionBefore reports whether dotted version v is older than w; a part
// that does not parse counts as 0.
func versionBefore(v, w string) bool {
	a, b := strings.Split(v, "."), strings.Split(w, ".")
	for i := range max(len(a), len(b)) {
		x, y := versionPart(a, i), versionPart(b, i)
		if x != y {
			return x < y
		}
	}
	return false
}

func versionPart(parts []string, i int) int {
	if i >= len(parts) {
		return 0
	}
	n, _ := strconv.Atoi(parts[i])
	return n
}

// RoundTrips returns how many Redis round trips the Queue has made (a
// pipeline counts once), for benchmarks of the queue's cost per item.
func (q *Queue) RoundTrips() uint64 { return q.trips.Load() }

// tripCounter is a go-redis hook that counts round trips.
type tripCounter struct{ n *atomic.Uint64 }

func (t tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (t tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		t.n.Add(1)
		return next(ctx, cmd)
	}
}

func (t tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		t.n.Add(1)
		return next(ctx, cmds)
	}
}

// Close closes the connection pool; a worker that uses the Queue stops.
func (q *Queue) Close() error { return q.rdb.Close() }

// call runs fn, one Redis step, with the Redis timeout.
func (q *Queue) call(ctx context.Context, fn func(ctx context.Context) error) error {
	return q.callFor(ctx, q.cfg.Timeout, fn)
}

// callFor runs fn with timeout (a blocking read needs more than the Redis
// timeout).
func (q *Queue) callFor(ctx context.Context, timeout time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return fn(ctx)
}

// now is the clock's time in Unix milliseconds, the time stored in Redis.
func (q *Queue) now() int64 { return q.clk.Now().UnixMilli() }

// Keys. Every key of a job starts with "reask:job:NAME:"; the index of the
// jobs is "reask:jobs". Neither can be taken for fleet's keys, which are
// "reask:" and 32 hex digits.
const (
	keyPrefix = "reask:job:"
	indexKey  = "reask:jobs"
	// group is the consumer group of the workers on a job's items stream.
	group = "workers"
)

// keys are the Redis keys of one job.
type keys struct {
	// spec holds the Spec as JSON; meta the job's state and counters.
	spec, meta string
	// items is the stream of items to run; results the stream of records
	// for the collector.
	items, results string
	// workers maps each worker serving the job to its last heartbeat.
	workers string
	// errors maps an item's stream id to its last error.
	errors string
	// lock is the collector's lease.
	lock string
}

func jobKeys(name string) keys {
	p := keyPrefix + name + ":"
	return keys{spec: p + "spec", meta: p + "meta", items: p + "items", results: p + "results", workers: p + "workers", errors: p + "errors", lock: p + "lock"}
}

// MaxNameLen is the longest job name.
const MaxNameLen = 100

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName returns an error matching ErrConfig unless name is a job name:
// 1 to MaxNameLen letters, digits, '.', '_' or '-', starting with a letter
// or a digit.
func CheckName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen || !nameRE.MatchString(name) {
		return fmt.Errorf("%w: job name %q: want 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", ErrConfig, name, MaxNameLen)
	}
	return nil
}

// NameFor returns the job name a run writing outPath takes when it names
// none: the file's base name and a hash of its absolute path, so that the
// same command run again (with Resume) finds the same job, and two outputs
// of the same base name in different directories do not share one.
func NameFor(outPath string) string {
	abs, err := filepath.Abs(outPath)
	if err != nil {
		abs = outPath
	}
	base := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	clean := strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, base)
	clean = strings.TrimLeft(clean, "._-")
	if len(clean) > MaxNameLen-9 {
		clean = clean[:MaxNameLen-9]
	}
	sum := sha256.Sum256([]byte(abs))
	if clean == "" {
		clean = "job"
	}
	return clean + "-" + hex.EncodeToString(sum[:4])
}

// isClosed reports whether err says the Queue was closed.
func isClosed(err error) bool { return errors.Is(err, redis.ErrClosed) }
