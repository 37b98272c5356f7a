package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// runAsync runs cfg on q in a goroutine; wait returns its outcome.
func runAsync(t *testing.T, q *jobs.Queue, ctx context.Context, cfg jobs.RunConfig) (wait func() error) {
	done := make(chan error, 1)
	go func() {
		_, err := q.Run(ctx, cfg)
		done <- err
	}()
	return func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(testDeadline):
			t.Fatal("the run did not end")
			return nil
		}
	}
}

// deliveries is a Handler that extracts and notes each item's delivery.
type deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deliveries) extract(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
	d.mu.Lock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[it.ID] = it.Deliveries
	d.mu.Unlock()
	return extract(ctx, job, it)
}

func (d *deliveries) of(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[id]
}

// TestKilledWorkersItemIsClaimed kills a worker in the middle of an item
// (its connection closed, nothing acknowledged): another worker claims the
// item once its visibility timeout passes, and the output holds every id
// once.
func TestKilledWorkersItemIsClaimed(t *testing.T) {
	srv := redistest.Start(t)
	const vis = 50 * time.Millisecond
	taken, release := make(chan string, 1), make(chan struct{})
	var once sync.Once
	victim := connect(t, srv)
	stopVictim := work(t, victim, jobs.WorkerConfig{Concurrency: 1, VisibilityTimeout: vis, Name: "victim",
		Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
			once.Do(func() { taken <- it.ID })
			<-release
			return extract(ctx, job, it)
		}})
	cfg := runConfig(t, "kill", jsonl(lines(20)...))
	wait := runAsync(t, connect(t, srv), ctxFor(t), cfg)
	id := <-taken
	victim.Close() // the kill: the victim can no longer acknowledge anything

	d := &deliveries{}
	work(t, connect(t, srv), jobs.WorkerConfig{Concurrency: 4, VisibilityTimeout: vis, Name: "rescuer", Handler: d.extract})
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := stopVictim(); err == nil {
		t.Error("the killed worker's Work returned nil, want the closed queue's error")
	}
	wantIDs(t, records(t, cfg.OutPath), ids(20))
	if n := d.of(id); n != 2 {
		t.Errorf("the victim's item %s reached the rescuer at delivery %d, want 2", id, n)
	}
}

// TestPoisonedItemEndsDead checks that an item whose every run fails
// without a record is run MaxDeliveries times, then written as a failed
// record of outcome "dead" with its last error, and dead-lettered; one
// whose handler panics too, without ending the worker.
func TestPoisonedItemEndsDead(t *testing.T) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	runs := 0
	handler := func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
		if it.ID == "i005" {
			panic("the handler's own bug")
		}
		if it.ID == "i003" {
			mu.Lock()
			runs++
			n := runs
			mu.Unlock()
			return stats.Record{}, fmt.Errorf("boom %d", n)
		}
		return extract(ctx, job, it)
	}
	for _, name := range []string{"w1", "w2"} {
		work(t, connect(t, srv), jobs.WorkerConfig{Handler: handler, MaxDeliveries: 3, VisibilityTimeout: 20 * time.Millisecond, Name: name})
	}
	cfg := runConfig(t, "poison", jsonl(lines(6)...))
	if _, err := connect(t, srv).Run(ctxFor(t), cfg); err != nil {
		t.Fatal(err)
	}
	recs := records(t, cfg.OutPath)
	wantIDs(t, recs, ids(6))
	if r := recs["i005"]; r.Outcome != string(jobs.KindDead) || !strings.Contains(r.Error, "panicked: the handler's own bug") {
		t.Errorf("the item whose handler panics: outcome %q, error %q; want dead, saying so", r.Outcome, r.Error)
	}
	r := recs["i003"]
	if r.OK || r.Outcome != string(jobs.KindDead) || !strings.Contains(r.Error, "3 times") || !strings.Contains(r.Error, "last error: w") || !strings.Contains(r.Error, "boom 3") {
		t.Errorf("poisoned record: ok %v, outcome %q, error %q; want dead after 3 runs, with the last error", r.OK, r.Outcome, r.Error)
	}
	if runs != 3 {
		t.Errorf("the poisoned item ran %d times, want MaxDeliveries, 3", runs)
	}
	dead := deadIDs(t, cfg.DeadLetterPath)
	if len(dead) != 2 || string(dead["i003"]) != `{"id":"i003","text":"text 3"}` {
		t.Errorf("dead letter %v, want the poisoned item's line", dead)
	}
}

// TestWorkerWithoutCredentialsLeavesTheJob checks that a worker whose
// Handler cannot serve the job puts the item back (not spending one of its
// deliveries), logs it once, and takes no more of the job's items, which
// another worker then runs.
func TestWorkerWithoutCredentialsLeavesTheJob(t *testing.T) {
	srv := redistest.Start(t)
	var log logBuffer
	refusals := make(chan string, 10)
	work(t, connect(t, srv, func(c *jobs.Config) { c.Logger = log.logger() }), jobs.WorkerConfig{Concurrency: 1, Name: "keyless",
		Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
			refusals <- it.ID
			return stats.Record{}, fmt.Errorf("%w: no API key for provider %s", jobs.ErrCannotServe, job.Spec.Provider)
		}})
	cfg := runConfig(t, "keys", jsonl(lines(10)...))
	wait := runAsync(t, connect(t, srv), ctxFor(t), cfg)
	refused := <-refusals
	eventually(t, "the refusal's log line", func() bool { return log.count("leaving its items to other workers") > 0 })

	d := &deliveries{}
	work(t, connect(t, srv), jobs.WorkerConfig{Name: "keyed", Handler: d.extract})
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(10))
	if n := len(refusals); n != 0 {
		t.Errorf("the keyless worker took %d more items after refusing the job", n)
	}
	if n := log.count("leaving its items to other workers"); n != 1 {
		t.Errorf("%d log lines say the worker cannot serve the job, want 1", n)
	}
	if !strings.Contains(log.b.String(), "no API key for provider sim") {
		t.Errorf("the log does not say why:\n%s", log.b.String())
	}
	if n := d.of(refused); n != 1 {
		t.Errorf("the refused item %s reached the other worker at delivery %d, want 1 (requeued afresh)", refused, n)
	}
}

// TestWorkerStopFinishesInFlight checks that a worker asked to stop lets
// the item in flight finish and write its record, takes no other, and
// returns nil; another worker finishes the job.
func TestWorkerStopFinishesInFlight(t *testing.T) {
	srv := redistest.Start(t)
	taken, release := make(chan string, 10), make(chan struct{})
	w := startWorker(t, connect(t, srv), jobs.WorkerConfig{Concurrency: 1, Name: "leaving",
		Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
			taken <- it.ID
			<-release
			if ctx.Err() != nil {
				return stats.Record{}, errors.New("the item's context was cancelled by the stop")
			}
			return extract(ctx, job, it)
		}})
	cfg := runConfig(t, "stop", jsonl(lines(5)...))
	wait := runAsync(t, connect(t, srv), ctxFor(t), cfg)
	first := <-taken
	w.cancel() // the stop (SIGTERM), while the item runs
	close(release)
	if err := w.wait(); err != nil {
		t.Fatalf("Work returned %v after a stop, want nil", err)
	}
	if n := len(taken); n != 0 {
		t.Errorf("the stopping worker took %d more items", n)
	}
	rdb := inspect(t, srv)
	for _, c := range rdb.XInfoConsumers(t.Context(), "reask:job:stop:items", "workers").Val() {
		if c.Name == "leaving" {
			t.Error("the stopped worker is still a consumer of the job")
		}
	}
	if rdb.ZScore(t.Context(), "reask:job:stop:workers", "leaving").Err() == nil {
		t.Error("the stopped worker still has a heartbeat")
	}
	work(t, connect(t, srv), jobs.WorkerConfig{Handler: extract})
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	recs := records(t, cfg.OutPath)
	wantIDs(t, recs, ids(5))
	if !recs[first].OK {
		t.Errorf("the item in flight at the stop: %+v, want its record", recs[first])
	}
}

// TestWorkerTakesBackItsOwnItems checks that items Redis holds as a
// worker's, but the worker never received (the reply of its read was lost
// with the connection, or it stopped and came back under the same name),
// are run at once, not after the visibility timeout.
func TestWorkerTakesBackItsOwnItems(t *testing.T) {
	srv := redistest.Start(t)
	q := connect(t, srv)
	cfg := runConfig(t, "own", jsonl(lines(4)...))
	wait := runAsync(t, q, ctxFor(t), cfg)
	eventually(t, "the items to be queued", func() bool {
		s, err := q.Status(t.Context(), "own")
		return err == nil && s.Enqueued == 4
	})
	// A read whose reply never reached worker "w".
	rdb := inspect(t, srv)
	if err := rdb.XReadGroup(t.Context(), &redis.XReadGroupArgs{Group: "workers", Consumer: "w",
		Streams: []string{"reask:job:own:items", ">"}, Count: 2}).Err(); err != nil {
		t.Fatal(err)
	}
	d := &deliveries{}
	work(t, connect(t, srv), jobs.WorkerConfig{Name: "w", Handler: d.extract}) // default visibility: 2 minutes
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(4))
	if n := d.of("i001"); n != 2 {
		t.Errorf("the item lost in a reply ran at delivery %d, want 2", n)
	}
}
