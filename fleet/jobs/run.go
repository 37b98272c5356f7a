package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/stats"
)

// Defaults for zero fields of RunConfig.
const (
	// DefaultMaxPending bounds the items in a job's stream, waiting or in
	// flight: ten thousand lines of a few kilobytes are tens of megabytes
	// of Redis memory, and keep a fleet of hundreds of workers busy.
	DefaultMaxPending = 10_000
	// DefaultRetention is how long a finished job's status stays.
	DefaultRetention = 24 * time.Hour
	// DefaultExpiry is how long an unfinished job's keys live after its
	// collector last ran: a job nobody collects any more goes away.
	DefaultExpiry = 7 * 24 * time.Hour
)

// chunkSize is the most items one enqueue round trip adds.
const chunkSize = 100

// readCount is the most records one collector read takes.
const readCount = 512

// RunConfig configures Run.
type RunConfig struct {
	// Name is the job's name (see CheckName). Required; NameFor derives
	// one from the output path.
	Name string
	// Spec is what the workers need; its schema must compile.
	Spec Spec
	// In is the input: JSONL, one item per line, read as package batch
	// reads it (same ids, duplicates and broken lines). It is streamed,
	// never held. Required.
	In io.Reader
	// InName names the input in messages ("items.jsonl", "stdin").
	InName string
	// Total is the number of input lines, when known, for progress.
	Total int
	// MaxLineBytes bounds an input line; 0 means batch.DefaultMaxLineBytes.
	MaxLineBytes int
	// OutPath is the output file, DeadLetterPath the optional dead-letter
	// file, both written as package batch writes them. OutPath is
	// required.
	OutPath, DeadLetterPath string
	// Resume continues an existing output and re-attaches to the job:
	// nothing already queued is queued again, nothing already written is
	// written again. Without it an existing, non-empty output, or a
	// running job of the same name, is an error.
	Resume bool
	// MaxPending bounds the items in the job's stream, waiting or in
	// flight: the input is read no further while it holds that many.
	// Default DefaultMaxPending.
	MaxPending int
	// Retention is how long a finished job's status stays in Redis (its
	// streams are deleted at once). Default DefaultRetention; negative
	// deletes every key of the job when it finishes.
	Retention time.Duration
	// Expiry is how long an unfinished job's keys live after its collector
	// last ran. Default DefaultExpiry.
	Expiry time.Duration
	// OnProgress, if set, is called after each record is written, from one
	// goroutine at a time.
	OnProgress func(batch.Progress)
	// OnStatus, if set, is called with the job's status about every poll
	// interval, for a progress line that shows the queue.
	OnStatus func(Status)
}

// Run submits a job and collects its results: it creates the job (or, with
// Resume, re-attaches to it), streams the input into the job's queue as
// room frees up, and writes every record the workers produce to the
// output, each id once. It returns when every item has a record — then
// the job's keys are cleaned up — or when ctx ends: then Result.Interrupted
// is set, the workers go on with what is queued, and Run with Resume
// collects it.
//
// A schema that does not compile is an error before anything is queued.
// Broken lines and duplicate ids fail as in package batch, under the same
// ids. An error matching ErrJobLost or ErrRedis leaves the output whole:
// run again with Resume.
func (q *Queue) Run(ctx context.Context, cfg RunConfig) (batch.Result, error) {
	if err := cfg.check(); err != nil {
		return batch.Result{}, err
	}
	if _, err := cfg.Spec.Compile(); err != nil {
		return batch.Result{}, err
	}
	specJSON, err := json.Marshal(cfg.Spec)
	if err != nil {
		return batch.Result{}, fmt.Errorf("jobs: encoding the spec: %w", err)
	}
	out, err := batch.OpenOutput(batch.OutputConfig{Path: cfg.OutPath, DeadLetterPath: cfg.DeadLetterPath, Resume: cfg.Resume,
		Total: cfg.Total, OnProgress: cfg.OnProgress, Now: q.clk.Now})
	if err != nil {
		return batch.Result{}, err
	}
	r := &run{q: q, cfg: cfg, k: jobKeys(cfg.Name), out: out, owner: processID(),
		o: &outage{q: q, what: "job " + cfg.Name}}
	res, err := r.run(ctx, specJSON)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	res.Progress = out.Progress()
	return res, err
}

func (c *RunConfig) check() error {
	if err := CheckName(c.Name); err != nil {
		return err
	}
	switch {
	case c.In == nil || c.OutPath == "":
		return fmt.Errorf("%w: the input and the output are required", ErrConfig)
	case c.MaxPending < 0:
		return fmt.Errorf("%w: MaxPending %d is negative", ErrConfig, c.MaxPending)
	case c.Expiry < 0:
		return fmt.Errorf("%w: Expiry %s is negative", ErrConfig, c.Expiry)
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	c.Expiry = orDefault(c.Expiry, DefaultExpiry)
	if c.InName == "" {
		c.InName = "input"
	}
	return nil
}

// processID names this process in Redis: host, pid and a random part.
func processID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// run is one Run: the job's submitter and collector.
type run struct {
	q     *Queue
	cfg   RunConfig
	k     keys
	inc   string // the job's incarnation
	out   *batch.Output
	owner string // the collector's lease holder id
	o     *outage
	// deadHolder is a holder of the lease whose process is gone, so that
	// the lease is taken from it at once.
	deadHolder string
}

func (r *run) run(ctx context.Context, specJSON []byte) (batch.Result, error) {
	if err := r.attach(ctx, specJSON); err != nil {
		return batch.Result{}, err
	}
	if err := r.lock(ctx); err != nil {
		return batch.Result{}, err
	}
	ectx, cancel := context.WithCancel(ctx)
	e := &enqueuer{run: r, o: &outage{q: r.q, what: "job " + r.cfg.Name + " (enqueue)"}, done: make(chan struct{})}
	go e.start(ectx)
	err := r.collect(ctx, e)
	cancel()
	<-e.done // it reads the caller's input: it must stop before Run returns
	if err != nil || ctx.Err() != nil {
		r.unlock()
	}
	if err == nil && ctx.Err() != nil {
		return batch.Result{Interrupted: true}, nil
	}
	return batch.Result{}, err
}

// attach creates the job or, with Resume, finds it.
func (r *run) attach(ctx context.Context, specJSON []byte) error {
	resume := "0"
	if r.cfg.Resume {
		resume = "1"
	}
	k := r.k
	var reply []string
	err := r.q.retry(ctx, r.o, r.q.cfg.Timeout, func(ctx context.Context) error {
		v, err := createScript.Run(ctx, r.q.rdb, []string{k.spec, k.meta, k.items, k.results, k.workers, k.errors, indexKey},
			specJSON, newIncarnation(), r.q.now(), r.cfg.Name, resume, group).StringSlice()
		reply = v
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: job %s: creating it: %w", r.cfg.Name, err)
	}
	if len(reply) != 2 {
		return fmt.Errorf("jobs: job %s: unexpected reply %q to create", r.cfg.Name, reply)
	}
	switch reply[0] {
	case "exists":
		return fmt.Errorf("%w: job %s is running (resume it with --resume, or name another --job)", ErrJobExists, r.cfg.Name)
	case "differs":
		return fmt.Errorf("%w: job %s: its schema, mode, provider or prompt settings differ from this run's; resume it with the flags it was started with, or name another --job", ErrSpecChanged, r.cfg.Name)
	}
	r.inc = reply[1]
	return nil
}

// lease is how long the collector's lease lasts without renewal: a few
// rounds, each at most a blocking read and a step.
func (r *run) lease() time.Duration { return 3 * (r.q.cfg.PollInterval + 2*r.q.cfg.Timeout) }

// lock takes the collector's lease, waiting out the lease of a collector
// that stopped without giving it up (killed) — or taking it at once when
// that collector ran on this host and its process is gone.
func (r *run) lock(ctx context.Context) error {
	start := r.q.clk.Now()
	for logged := false; ; logged = true {
		holder, err := r.renew(ctx)
		if err != nil {
			return err
		}
		if holder == "" {
			return nil
		}
		if goneHere(holder) {
			r.deadHolder = holder
			continue
		}
		if !logged {
			r.q.log.LogAttrs(ctx, slog.LevelInfo, "reask: another collector holds the job; waiting for its lease to end (it ends on its own when that collector was killed)",
				slog.String("job", r.cfg.Name), slog.String("holder", holder), slog.Duration("lease", r.lease()))
		}
		if r.q.clk.Now().Sub(start) > r.lease() {
			return fmt.Errorf("%w: job %s is being collected by another process (%s); stop it first", ErrJobExists, r.cfg.Name, holder)
		}
		if err := r.q.clk.Sleep(ctx, r.q.cfg.PollInterval); err != nil {
			return err
		}
	}
}

// renew takes or renews the lease, and pushes back the keys' expiry; it
// returns the holder when another process holds the lease.
func (r *run) renew(ctx context.Context) (holder string, err error) {
	var v any
	err = r.q.retry(ctx, r.o, r.q.cfg.Timeout, func(ctx context.Context) error {
		var err error
		v, err = r.lockCmd(ctx, r.q.rdb).Result()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("jobs: job %s: %w", r.cfg.Name, err)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", nil
}

// lockCmd runs lock.lua on c (a pipeline: EVAL, since a pipeline cannot
// fall back from EVALSHA after a Redis restart).
func (r *run) lockCmd(ctx context.Context, c redis.Scripter) *redis.Cmd {
	keys := append([]string{r.k.lock, r.k.meta}, r.k.spec, r.k.items, r.k.results, r.k.workers, r.k.errors)
	return lockScript.Eval(ctx, c, keys, r.owner, r.lease().Milliseconds(), r.cfg.Expiry.Milliseconds(), r.written(), r.q.now(), r.deadHolder)
}

// goneHere reports whether holder, a processID, names a process of this
// host that no longer runs: a collector killed here, whose lease need not
// be waited out.
func goneHere(holder string) bool {
	host, _ := os.Hostname()
	rest, ok := strings.CutPrefix(holder, host+"-")
	if !ok {
		return false
	}
	pidStr, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidStr)
	if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

// unlock gives up the lease, so that a resume need not wait for it.
func (r *run) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), r.q.cfg.Timeout)
	defer cancel()
	unlockScript.Run(ctx, r.q.rdb, []string{r.k.lock}, r.owner)
}

// collect writes the records of the results stream to the output until
// every item has one, ctx ends, or the enqueuer fails.
func (r *run) collect(ctx context.Context, e *enqueuer) error {
	cursor := "0-0"
	enqueued := false // the enqueuer of this run is done
	var lastStatus time.Time
	for {
		select {
		case <-e.done:
			if e.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return e.err
			}
			enqueued = true
		default:
		}
		if ctx.Err() != nil {
			return nil
		}
		msgs, err := r.read(ctx, cursor)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("jobs: job %s: reading results: %w", r.cfg.Name, err)
		}
		ids := make([]string, 0, len(msgs))
		for _, m := range msgs {
			if err := r.write(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		st, err := r.step(ctx, ids)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if len(msgs) > 0 {
			cursor = msgs[len(msgs)-1].ID
		}
		written := r.written()
		switch {
		case st.incarnation != r.inc:
			return r.lost("")
		case st.holder != "":
			return fmt.Errorf("%w: job %s: another process (%s) took over its collection", ErrJobExists, r.cfg.Name, st.holder)
		case enqueued && !st.complete:
			return r.lost(" without its latest writes (it restarted from an older snapshot)")
		case st.complete && written >= st.total:
			return r.finish(ctx)
		}
		if r.cfg.OnStatus != nil && r.q.clk.Now().Sub(lastStatus) >= r.q.cfg.PollInterval {
			lastStatus = r.q.clk.Now()
			if s, err := r.q.Status(ctx, r.cfg.Name); err == nil {
				r.cfg.OnStatus(s)
			}
		}
	}
}

func (r *run) lost(how string) error {
	return fmt.Errorf("%w: job %s is gone from Redis%s (a restart without persistence, an expiry or a flush); %s holds every record written so far: run again with --resume to queue the rest",
		ErrJobLost, r.cfg.Name, how, r.cfg.OutPath)
}

// written is the number of ids in the output.
func (r *run) written() int {
	p := r.out.Progress()
	return p.Done + p.Skipped
}

// read returns the next records of the results stream after cursor,
// waiting up to a poll interval for some.
func (r *run) read(ctx context.Context, cursor string) ([]redis.XMessage, error) {
	var msgs []redis.XMessage
	err := r.q.retry(ctx, r.o, r.q.cfg.Timeout+r.q.cfg.PollInterval, func(ctx context.Context) error {
		s, err := r.q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{r.k.results, cursor}, Count: readCount, Block: r.q.cfg.PollInterval}).Result()
		if errors.Is(err, redis.Nil) {
			msgs = nil
			return nil
		}
		if err != nil {
			return err
		}
		msgs = nil
		if len(s) > 0 {
			msgs = s[0].Messages
		}
		return nil
	})
	return msgs, err
}

// write writes one record of the results stream, unless the output holds
// its id: a record written before a crash, or produced twice.
func (r *run) write(m redis.XMessage) error {
	id, _ := m.Values["id"].(string)
	recJSON, _ := m.Values["rec"].(string)
	var in json.RawMessage
	if s, _ := m.Values["input"].(string); s != "" {
		in = json.RawMessage(s)
	}
	if r.out.Has(id) {
		return r.out.DeadLetterDue(id, in)
	}
	var rec stats.Record
	if err := json.Unmarshal([]byte(recJSON), &rec); err != nil || rec.ID != id {
		if id == "" {
			// Not a record of ours: nothing to write it under.
			return nil
		}
		rec = stats.Failed(id, KindBadRecord, fmt.Errorf("jobs: the record a worker wrote for %q does not decode (%.80s)", id, recJSON))
	}
	return r.out.Write(rec, in)
}

// KindBadRecord is the outcome of an item whose record in the results
// stream does not decode: a worker of another version, or a foreign entry.
const KindBadRecord reask.Kind = "bad_record"

// stepState is what one collector step reads of the job.
type stepState struct {
	incarnation string
	complete    bool
	total       int
	holder      string // another collector holds the lease
}

// step deletes the records just written from the results stream, reads
// the job's state, and renews the lease (recording the count written), in
// one round trip.
func (r *run) step(ctx context.Context, ids []string) (stepState, error) {
	var st stepState
	err := r.q.retry(ctx, r.o, r.q.cfg.Timeout, func(ctx context.Context) error {
		var meta *redis.SliceCmd
		var lock *redis.Cmd
		_, err := r.q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if len(ids) > 0 {
				p.XDel(ctx, r.k.results, ids...)
			}
			meta = p.HMGet(ctx, r.k.meta, "incarnation", "complete", "total")
			lock = r.lockCmd(ctx, p)
			return nil
		})
		if err != nil {
			return err
		}
		v := meta.Val()
		st = stepState{}
		st.incarnation, _ = v[0].(string)
		c, _ := v[1].(string)
		st.complete = c == "1"
		t, _ := v[2].(string)
		st.total, _ = strconv.Atoi(t)
		st.holder, _ = lock.Val().(string)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("jobs: job %s: %w", r.cfg.Name, err)
	}
	return st, nil
}

// finish cleans up the job once every record is written.
func (r *run) finish(ctx context.Context) error {
	k := r.k
	err := r.q.retry(ctx, r.o, r.q.cfg.Timeout, func(ctx context.Context) error {
		return finishScript.Run(ctx, r.q.rdb, []string{k.spec, k.meta, k.items, k.results, k.workers, k.errors, indexKey, k.lock},
			r.inc, r.q.now(), max(r.cfg.Retention, 0).Milliseconds(), r.cfg.Name).Err()
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("jobs: job %s: every record is written, but cleaning up its keys failed: %w", r.cfg.Name, err)
	}
	return nil
}
