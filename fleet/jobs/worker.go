package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask"
	"github.com/reask/reask/stats"
)

// Defaults for zero fields of WorkerConfig.
const (
	// DefaultConcurrency is the most items a worker runs at once.
	DefaultConcurrency = 8
	// DefaultMaxDeliveries is how many times an item is handed to a
	// worker before it is given up as dead: enough for a fleet whose
	// workers are killed now and then, few enough that an item that kills
	// every worker that takes it stops doing so soon.
	DefaultMaxDeliveries = 5
	// DefaultVisibilityTimeout is how long an item a worker took may go
	// without a sign of life before another worker claims it, for a job
	// whose spec names no call timeout (with one: the call timeout and
	// VisibilityMargin). A live worker renews its items' idle time, so a
	// long item is not claimed while its worker runs it.
	DefaultVisibilityTimeout = 2 * time.Minute
	// VisibilityMargin is added to a spec's call timeout for the default
	// visibility timeout.
	VisibilityMargin = 30 * time.Second
)

// KindDead is the outcome of an item handed to workers more than
// WorkerConfig.MaxDeliveries times without a record.
const KindDead reask.Kind = "dead"

// Handler runs one item of a job and returns its record, as a `reask
// batch` output line: an item that fails is a record with OK false, not an
// error. An error means the item has no record yet: one matching
// ErrCannotServe puts it back in the queue for other workers (and this
// worker takes no more of the job's items); any other is kept as the
// item's last error, and the item is delivered again after the visibility
// timeout, until MaxDeliveries. ctx is not cancelled when the worker is
// asked to stop: an item in flight finishes.
type Handler func(ctx context.Context, job *Job, it Item) (stats.Record, error)

// WorkerConfig configures Work. Only Handler is required.
type WorkerConfig struct {
	// Handler runs each item.
	Handler Handler
	// Jobs are the names of the jobs to serve; empty serves every job.
	Jobs []string
	// Concurrency is the most items run at once. Default
	// DefaultConcurrency.
	Concurrency int
	// VisibilityTimeout is how long an item may go without its worker's
	// sign of life before another worker claims it (XAUTOCLAIM). Default:
	// the job's call timeout and VisibilityMargin, or
	// DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// MaxDeliveries is how many times an item is handed to a worker; one
	// claimed once more becomes a failed record of outcome KindDead with
	// its last error. Default DefaultMaxDeliveries.
	MaxDeliveries int
	// Name names the worker in Redis (its consumer name) and in status.
	// Default: host, pid and a random part.
	Name string
}

// Work serves jobs until ctx ends: it takes items from the jobs' streams
// (XREADGROUP) and the items other workers left behind (XAUTOCLAIM after
// the visibility timeout), runs each through cfg.Handler, and writes its
// record to the job's results stream, acknowledging the item in the same
// step. When ctx ends it takes no more items, puts back those it took but
// has not started, lets those in flight finish, and returns nil. It returns
// an error for a bad configuration or when q is closed; while Redis fails
// it logs once and keeps trying.
func (q *Queue) Work(ctx context.Context, cfg WorkerConfig) error {
	if cfg.Handler == nil {
		return fmt.Errorf("%w: a worker needs a Handler", ErrConfig)
	}
	switch {
	case cfg.Concurrency < 0:
		return fmt.Errorf("%w: concurrency %d is negative", ErrConfig, cfg.Concurrency)
	case cfg.VisibilityTimeout < 0:
		return fmt.Errorf("%w: visibility timeout %s is negative", ErrConfig, cfg.VisibilityTimeout)
	case cfg.MaxDeliveries < 0:
		return fmt.Errorf("%w: MaxDeliveries %d is negative", ErrConfig, cfg.MaxDeliveries)
	}
	for _, name := range cfg.Jobs {
		if err := CheckName(name); err != nil {
			return err
		}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxDeliveries == 0 {
		cfg.MaxDeliveries = DefaultMaxDeliveries
	}
	if cfg.Name == "" {
		cfg.Name = processID()
	}
	// recheck at the start: a worker that comes back under the same Name
	// takes back at once what it held when it stopped.
	w := &worker{q: q, cfg: cfg, o: &outage{q: q, what: "worker " + cfg.Name},
		jobs: map[string]*served{}, refused: map[string]string{}, freed: make(chan struct{}, 1), recheck: true}
	return w.loop(ctx)
}

// worker is one Work call.
type worker struct {
	q   *Queue
	cfg WorkerConfig
	o   *outage

	jobs    map[string]*served // by name: the jobs served
	refused map[string]string  // name → incarnation this worker cannot serve
	backlog []task             // taken, not started (a read returned more than the free slots)
	wg      sync.WaitGroup     // tasks running
	freed   chan struct{}      // a task ended

	mu      sync.Mutex
	running int
	newRefs []refusal // refusals since the loop last looked

	lastRefresh, lastBeat time.Time
	refreshNow            bool
	// recheck is set when a read failed: Redis may have handed the worker
	// items in a reply that never arrived. It is set at the start too.
	recheck bool
	// stale is set by a task whose job was started again (or lost) while
	// it ran: the job list is out of date, and items of the new job may
	// have been taken as the old one's.
	stale atomic.Bool
}

// served is a job a worker serves.
type served struct {
	job        *Job
	k          keys
	visibility time.Duration
	cursor     string // XAUTOCLAIM's
	lastClaim  time.Time
	lastTouch  time.Time

	refused atomic.Bool // a task found that the worker cannot serve it

	mu     sync.Mutex
	inHand map[string]bool // stream ids taken and not done
}

// task is one item taken from a job's stream.
type task struct {
	s     *served
	msgID string
	item  Item
}

// refusal is a task's report that the worker cannot serve its job.
type refusal struct {
	name, incarnation string
	why               error
}

func (w *worker) loop(ctx context.Context) error {
	var err error
	for ctx.Err() == nil {
		if err = w.round(ctx); err != nil {
			break
		}
	}
	bg := context.WithoutCancel(ctx)
	for _, t := range w.backlog {
		w.requeue(bg, t)
	}
	w.backlog = nil
	w.wg.Wait()
	if err == nil {
		w.leave(bg)
		return nil
	}
	return fmt.Errorf("jobs: worker %s: %w", w.cfg.Name, err)
}

// round does one turn of the loop: keep the job list and heartbeats,
// start what is in hand, take more. It returns only errors that end the
// worker (a closed Queue).
func (w *worker) round(ctx context.Context) error {
	w.applyRefusals()
	if w.stale.Swap(false) {
		w.refreshNow, w.recheck = true, true
	}
	now := w.q.clk.Now()
	poll := w.q.cfg.PollInterval
	if w.refreshNow || now.Sub(w.lastRefresh) >= poll {
		if err := w.redis(ctx, w.refresh(ctx)); err != nil {
			return err
		}
		w.refreshNow = false
		w.lastRefresh = now
	}
	if now.Sub(w.lastBeat) >= min(poll, WorkerAlive/3) {
		if err := w.redis(ctx, w.beat(ctx)); err != nil {
			return err
		}
		w.lastBeat = now
	}
	w.touch(ctx)
	if w.recheck {
		w.recheck = false // set again by a failure
		for _, s := range w.active() {
			if err := w.redis(ctx, w.recover(ctx, s)); err != nil {
				return err
			}
		}
	}
	w.startBacklog(ctx)
	free := w.free()
	if free <= 0 {
		w.waitFreed(ctx)
		return nil
	}
	for _, s := range w.active() {
		if free <= 0 {
			break
		}
		if now.Sub(s.lastClaim) < s.visibility/4 && s.cursor == "0-0" {
			continue
		}
		s.lastClaim = now
		n, err := w.claim(ctx, s, free)
		if err := w.redis(ctx, err); err != nil {
			return err
		}
		free -= n
	}
	if free <= 0 {
		return nil
	}
	return w.redis(ctx, w.read(ctx, free))
}

// redis sorts an error of a round: nil and transient errors (after a
// pause) go on, a closed Queue ends the worker.
func (w *worker) redis(ctx context.Context, err error) error {
	switch {
	case err == nil:
		w.o.ok()
		return nil
	case ctx.Err() != nil:
		return nil
	case isClosed(err):
		return err
	case isNoGroup(err):
		// A job finished (its stream is gone) or was lost: look again.
		w.refreshNow = true
	case transient(err):
		w.o.failed(err)
		w.recheck = true
	default:
		w.q.log.LogAttrs(ctx, slog.LevelWarn, "reask: worker: unexpected Redis error", slog.String("worker", w.cfg.Name), slog.String("error", err.Error()))
	}
	w.q.clk.Sleep(ctx, w.q.cfg.PollInterval)
	return nil
}

// isNoGroup reports whether err says a job's stream or group is gone, or
// was deleted while a read waited on it.
func isNoGroup(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && (strings.HasPrefix(re.Error(), "NOGROUP") || strings.HasPrefix(re.Error(), "UNBLOCKED"))
}

// active returns the jobs to take items from.
func (w *worker) active() []*served {
	var out []*served
	for _, s := range w.jobs {
		if !s.refused.Load() {
			out = append(out, s)
		}
	}
	return out
}

func (w *worker) free() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cfg.Concurrency - w.running - len(w.backlog)
}

// waitFreed waits for a task to end, or a poll interval.
func (w *worker) waitFreed(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, w.q.cfg.PollInterval)
	defer cancel()
	select {
	case <-w.freed:
	case <-ctx.Done():
	}
}

// refresh brings the list of jobs up to date: new ones (or new
// incarnations) are loaded, finished and lost ones dropped.
func (w *worker) refresh(ctx context.Context) error {
	names := w.cfg.Jobs
	if len(names) == 0 {
		err := w.q.call(ctx, func(ctx context.Context) error {
			v, err := w.q.rdb.SMembers(ctx, indexKey).Result()
			names = v
			return err
		})
		if err != nil {
			return err
		}
	}
	metas := make([]*redis.SliceCmd, len(names))
	err := w.q.call(ctx, func(ctx context.Context) error {
		_, err := w.q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, name := range names {
				if CheckName(name) == nil {
					metas[i] = p.HMGet(ctx, jobKeys(name).meta, "incarnation", "state")
				}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, name := range names {
		if metas[i] == nil {
			continue
		}
		v := metas[i].Val()
		inc, _ := v[0].(string)
		state, _ := v[1].(string)
		if inc == "" || state != "running" || w.refused[name] == inc {
			continue
		}
		seen[name] = true
		if s := w.jobs[name]; s != nil && s.job.Incarnation == inc {
			continue
		}
		s, err := w.load(ctx, name, inc)
		if err != nil {
			return err
		}
		if s != nil {
			w.jobs[name] = s
		}
	}
	for name := range w.jobs {
		if !seen[name] {
			delete(w.jobs, name)
		}
	}
	return nil
}

// load reads a job's spec and compiles its schema; a job this worker
// cannot compile is refused.
func (w *worker) load(ctx context.Context, name, inc string) (*served, error) {
	k := jobKeys(name)
	var raw string
	err := w.q.call(ctx, func(ctx context.Context) error {
		v, err := w.q.rdb.Get(ctx, k.spec).Result()
		raw = v
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	job := &Job{Name: name, Incarnation: inc}
	err = json.Unmarshal([]byte(raw), &job.Spec)
	if err == nil {
		job.Schema, err = job.Spec.Compile()
	}
	if err != nil {
		w.refuse(name, inc, fmt.Errorf("%w: its spec: %v", ErrCannotServe, err))
		return nil, nil
	}
	vis := w.cfg.VisibilityTimeout
	if vis == 0 {
		vis = DefaultVisibilityTimeout
		if job.Spec.CallTimeout > 0 {
			vis = job.Spec.CallTimeout + VisibilityMargin
		}
	}
	return &served{job: job, k: k, visibility: vis, cursor: "0-0", inHand: map[string]bool{}}, nil
}

// refuse logs, once per job, that this worker cannot serve it.
func (w *worker) refuse(name, inc string, why error) {
	if w.refused[name] == inc {
		return
	}
	w.refused[name] = inc
	if s := w.jobs[name]; s != nil && s.job.Incarnation == inc {
		s.refused.Store(true)
	}
	w.q.log.LogAttrs(context.Background(), slog.LevelWarn, "reask: worker cannot serve the job; leaving its items to other workers",
		slog.String("worker", w.cfg.Name), slog.String("job", name), slog.String("reason", why.Error()))
}

// applyRefusals records the refusals the tasks reported.
func (w *worker) applyRefusals() {
	w.mu.Lock()
	refs := w.newRefs
	w.newRefs = nil
	w.mu.Unlock()
	for _, r := range refs {
		w.refuse(r.name, r.incarnation, r.why)
	}
}

// beat records the worker's heartbeat on every job it serves.
func (w *worker) beat(ctx context.Context) error {
	active := w.active()
	if len(active) == 0 {
		return nil
	}
	now := w.q.now()
	return w.q.call(ctx, func(ctx context.Context) error {
		_, err := w.q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, s := range active {
				p.ZAdd(ctx, s.k.workers, redis.Z{Score: float64(now), Member: w.cfg.Name})
				p.ZRemRangeByScore(ctx, s.k.workers, "-inf", strconv.FormatInt(now-10*WorkerAlive.Milliseconds(), 10))
				// A beat that comes after the job's cleanup must not
				// leave a key behind for good.
				p.PExpire(ctx, s.k.workers, 10*WorkerAlive)
			}
			return nil
		})
		return err
	})
}

// leave removes the worker's heartbeats, and the worker from the jobs'
// consumer groups when it holds no item.
func (w *worker) leave(ctx context.Context) {
	for _, s := range w.jobs {
		w.q.call(ctx, func(ctx context.Context) error {
			return leaveScript.Run(ctx, w.q.rdb, []string{s.k.items, s.k.workers}, group, w.cfg.Name).Err()
		})
	}
}

// touch renews the idle time of the items in hand, so that no other
// worker claims them while this one is alive.
func (w *worker) touch(ctx context.Context) {
	now := w.q.clk.Now()
	for _, s := range w.jobs {
		if now.Sub(s.lastTouch) < s.visibility/3 {
			continue
		}
		s.mu.Lock()
		ids := make([]any, 0, len(s.inHand)+2)
		ids = append(ids, group, w.cfg.Name)
		for id := range s.inHand {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		if len(ids) == 2 {
			continue
		}
		s.lastTouch = now
		err := w.q.call(ctx, func(ctx context.Context) error {
			return touchScript.Run(ctx, w.q.rdb, []string{s.k.items}, ids...).Err()
		})
		if err != nil && transient(err) {
			w.o.failed(err)
		}
	}
}

// claim takes up to n items of s that other workers left idle for longer
// than the visibility timeout; one delivered too often is completed as
// dead instead. It returns the number of tasks it took.
func (w *worker) claim(ctx context.Context, s *served, n int) (int, error) {
	var msgs []redis.XMessage
	var next string
	err := w.q.call(ctx, func(ctx context.Context) error {
		var err error
		msgs, next, err = w.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: s.k.items, Group: group,
			MinIdle: s.visibility, Start: s.cursor, Count: int64(n), Consumer: w.cfg.Name}).Result()
		return err
	})
	if err != nil {
		return 0, err
	}
	s.cursor = next
	if len(msgs) == 0 {
		return 0, nil
	}
	var pending []redis.XPendingExt
	err = w.q.call(ctx, func(ctx context.Context) error {
		var err error
		pending, err = w.q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: s.k.items, Group: group,
			Start: msgs[0].ID, End: msgs[len(msgs)-1].ID, Count: int64(len(msgs) + w.cfg.Concurrency), Consumer: w.cfg.Name}).Result()
		return err
	})
	if err != nil {
		return 0, err
	}
	count := make(map[string]int, len(pending))
	for _, p := range pending {
		count[p.ID] = int(p.RetryCount)
	}
	took := 0
	for _, m := range msgs {
		t := w.task(s, m)
		t.item.Deliveries = max(count[m.ID], 1)
		if t.item.Deliveries <= w.cfg.MaxDeliveries {
			took++
		}
		w.dispatch(ctx, t)
	}
	return took, nil
}

// recover takes back the items of s that Redis holds as this worker's but
// the worker does not know of: those of a read (or claim) whose reply was
// lost when the connection failed. Without it they would wait for the
// visibility timeout.
func (w *worker) recover(ctx context.Context, s *served) error {
	var pending []redis.XPendingExt
	err := w.q.call(ctx, func(ctx context.Context) error {
		var err error
		pending, err = w.q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: s.k.items, Group: group,
			Start: "-", End: "+", Count: int64(4*w.cfg.Concurrency + 100), Consumer: w.cfg.Name}).Result()
		return err
	})
	if err != nil {
		return err
	}
	count := map[string]int{}
	var lost []string
	s.mu.Lock()
	for _, p := range pending {
		if !s.inHand[p.ID] {
			lost = append(lost, p.ID)
			count[p.ID] = int(p.RetryCount)
		}
	}
	s.mu.Unlock()
	if len(lost) == 0 {
		return nil
	}
	var msgs []redis.XMessage
	err = w.q.call(ctx, func(ctx context.Context) error {
		var err error
		msgs, err = w.q.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: s.k.items, Group: group, Consumer: w.cfg.Name, Messages: lost}).Result()
		return err
	})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		t := w.task(s, m)
		t.item.Deliveries = count[m.ID] + 1 // XCLAIM counts one more
		w.dispatch(ctx, t)
	}
	return nil
}

// dispatch starts t, or gives it up as dead when it was delivered too
// often.
func (w *worker) dispatch(ctx context.Context, t task) {
	switch {
	case t.item.Deliveries > w.cfg.MaxDeliveries:
		w.dead(ctx, t)
	case w.free() > 0 && ctx.Err() == nil:
		w.start(ctx, t)
	default:
		w.backlog = append(w.backlog, t)
	}
}

// read takes up to n new items from the jobs' streams, waiting up to a
// poll interval for some.
func (w *worker) read(ctx context.Context, n int) error {
	active := w.active()
	if len(active) == 0 {
		w.q.clk.Sleep(ctx, w.q.cfg.PollInterval)
		return nil
	}
	streams := make([]string, 0, 2*len(active))
	byKey := make(map[string]*served, len(active))
	for _, s := range active {
		streams = append(streams, s.k.items)
		byKey[s.k.items] = s
	}
	for range active {
		streams = append(streams, ">")
	}
	var got []redis.XStream
	err := w.q.callFor(ctx, w.q.cfg.Timeout+w.q.cfg.PollInterval, func(ctx context.Context) error {
		v, err := w.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: w.cfg.Name, Streams: streams,
			Count: int64(n), Block: w.q.cfg.PollInterval}).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		got = v
		return err
	})
	if err != nil {
		return err
	}
	for _, st := range got {
		s := byKey[st.Stream]
		if s == nil {
			continue
		}
		for _, m := range st.Messages {
			t := w.task(s, m)
			t.item.Deliveries = 1
			w.dispatch(ctx, t) // taken as the worker is asked to stop: put back, not run
		}
	}
	return nil
}

// task makes the task of a stream entry, and counts it in hand.
func (w *worker) task(s *served, m redis.XMessage) task {
	t := task{s: s, msgID: m.ID}
	t.item.ID, _ = m.Values["id"].(string)
	line, _ := m.Values["line"].(string)
	t.item.Line, _ = strconv.Atoi(line)
	raw, _ := m.Values["input"].(string)
	t.item.Input = json.RawMessage(raw)
	var in input
	if json.Unmarshal(t.item.Input, &in) == nil {
		t.item.Text = in.Text
	}
	s.mu.Lock()
	s.inHand[m.ID] = true
	s.mu.Unlock()
	return t
}

// startBacklog starts the tasks in hand while there are free slots.
func (w *worker) startBacklog(ctx context.Context) {
	for len(w.backlog) > 0 {
		w.mu.Lock()
		room := w.running < w.cfg.Concurrency
		w.mu.Unlock()
		if !room {
			return
		}
		t := w.backlog[0]
		w.backlog = w.backlog[1:]
		if t.s.refused.Load() {
			w.requeue(ctx, t)
			continue
		}
		w.start(ctx, t)
	}
}

// start runs t in a goroutine of its own.
func (w *worker) start(ctx context.Context, t task) {
	w.mu.Lock()
	w.running++
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.do(context.WithoutCancel(ctx), t)
		w.mu.Lock()
		w.running--
		w.mu.Unlock()
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}()
}

// do runs one task to its end: a record, a refusal or an error kept.
func (w *worker) do(ctx context.Context, t task) {
	rec, err := w.handle(ctx, t)
	switch {
	case err == nil:
		rec.ID = t.item.ID
		counter := "ok"
		if !rec.OK {
			counter = "failed"
		}
		w.complete(ctx, t, rec, counter)
	case errors.Is(err, ErrCannotServe):
		w.mu.Lock()
		w.newRefs = append(w.newRefs, refusal{name: t.s.job.Name, incarnation: t.s.job.Incarnation, why: err})
		w.mu.Unlock()
		t.s.refused.Store(true)
		w.requeue(ctx, t)
	default:
		w.keepError(ctx, t, err)
	}
}

// handle calls the Handler; a panic is the item's error, not the worker's
// end.
func (w *worker) handle(ctx context.Context, t task) (rec stats.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the handler panicked: %v", p)
		}
	}()
	return w.cfg.Handler(ctx, t.s.job, t.item)
}

// complete writes the record of t and acknowledges it.
func (w *worker) complete(ctx context.Context, t task, rec stats.Record, counter string) {
	defer w.drop(t)
	b, err := json.Marshal(rec)
	if err != nil {
		w.keepError(ctx, t, fmt.Errorf("encoding its record: %w", err))
		return
	}
	var in []byte
	if !rec.OK {
		in = t.item.Input
	}
	k := t.s.k
	var res int64
	err = w.q.retry(ctx, w.o, w.q.cfg.Timeout, func(ctx context.Context) error {
		v, err := completeScript.Run(ctx, w.q.rdb, []string{k.meta, k.items, k.results, k.errors},
			t.s.job.Incarnation, group, t.msgID, t.item.ID, b, in, counter).Int64()
		res = v
		return err
	})
	if err == nil && res < 0 {
		w.stale.Store(true)
	}
	if err != nil && !isClosed(err) {
		w.q.log.LogAttrs(ctx, slog.LevelWarn, "reask: worker: could not write a record; the item will be delivered again",
			slog.String("worker", w.cfg.Name), slog.String("job", t.s.job.Name), slog.String("id", t.item.ID), slog.String("error", err.Error()))
	}
}

// dead completes t as dead: delivered too often without a record.
func (w *worker) dead(ctx context.Context, t task) {
	var last string
	w.q.call(ctx, func(ctx context.Context) error {
		v, err := w.q.rdb.HGet(ctx, t.s.k.errors, t.msgID).Result()
		last = v
		return err
	})
	if last == "" {
		last = "none recorded: each worker that took it stopped before it finished (killed, or cut off from Redis for longer than the visibility timeout)"
	}
	err := fmt.Errorf("jobs: item %q was handed to workers %d times (MaxDeliveries %d) without a result; last error: %s",
		t.item.ID, t.item.Deliveries-1, w.cfg.MaxDeliveries, last)
	w.complete(ctx, t, stats.Failed(t.item.ID, KindDead, err), "dead")
}

// requeue puts t back in the queue as a new entry.
func (w *worker) requeue(ctx context.Context, t task) {
	defer w.drop(t)
	k := t.s.k
	w.q.call(ctx, func(ctx context.Context) error {
		res, err := requeueScript.Run(ctx, w.q.rdb, []string{k.meta, k.items, k.errors},
			t.s.job.Incarnation, group, t.msgID, t.item.ID, t.item.Line, []byte(t.item.Input)).Int64()
		if err == nil && res < 0 {
			w.stale.Store(true)
		}
		return err
	})
}

// keepError records err as t's last error and leaves t pending, to be
// delivered again after the visibility timeout.
func (w *worker) keepError(ctx context.Context, t task, err error) {
	defer w.drop(t)
	msg := w.cfg.Name + ": " + err.Error()
	w.q.log.LogAttrs(ctx, slog.LevelWarn, "reask: worker: item failed without a record; it will be delivered again",
		slog.String("worker", w.cfg.Name), slog.String("job", t.s.job.Name), slog.String("id", t.item.ID),
		slog.Int("deliveries", t.item.Deliveries), slog.String("error", err.Error()))
	w.q.call(ctx, func(ctx context.Context) error {
		return w.q.rdb.HSet(ctx, t.s.k.errors, t.msgID, msg).Err()
	})
}

// drop forgets t from the items in hand.
func (w *worker) drop(t task) {
	t.s.mu.Lock()
	delete(t.s.inHand, t.msgID)
	t.s.mu.Unlock()
}
