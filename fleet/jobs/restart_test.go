package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/batch"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// gatedRun runs a 40-item job on srv with two workers: the items after the
// 12th wait at a gate, so that Redis can be restarted with the job half
// done. It returns the run's config, a channel closed once 10 records are
// written, the gate to open, and the wait for the run's end.
func gatedRun(t *testing.T, srv *redistest.Server) (cfg jobs.RunConfig, tenWritten <-chan struct{}, gate chan struct{}, wait func() error) {
	gate = make(chan struct{})
	handler := func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
		if it.Line > 12 {
			<-gate
		}
		return extract(ctx, job, it)
	}
	for range 2 {
		work(t, connect(t, srv), jobs.WorkerConfig{Handler: handler, Concurrency: 4})
	}
	cfg = runConfig(t, "restart", jsonl(lines(40)...))
	ten := make(chan struct{})
	var once sync.Once
	cfg.OnProgress = func(p batch.Progress) {
		if p.Done >= 10 {
			once.Do(func() { close(ten) })
		}
	}
	wait = runAsync(t, connect(t, srv), ctxFor(t), cfg)
	return cfg, ten, gate, wait
}

// TestRedisRestartWithoutPersistence restarts Redis empty in the middle of
// a job: the run fails with ErrJobLost, the output holds each record
// written once, and a resumed run queues what the output lacks and ends
// with every id once.
func TestRedisRestartWithoutPersistence(t *testing.T) {
	srv := redistest.Start(t)
	cfg, ten, gate, wait := gatedRun(t, srv)
	<-ten
	srv.Restart()
	close(gate)
	err := wait()
	if !errors.Is(err, jobs.ErrJobLost) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("err %v, want ErrJobLost saying to resume", err)
	}
	written := records(t, cfg.OutPath)
	if len(written) < 10 || len(written) == 40 {
		t.Fatalf("%d records before the restart's error, want some but not all", len(written))
	}
	cfg.In, cfg.Resume, cfg.OnProgress = strings.NewReader(jsonl(lines(40)...)), true, nil
	res, err := connect(t, srv).Run(ctxFor(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Progress.Skipped != len(written) || res.Progress.Done != 40-len(written) {
		t.Errorf("resumed: %+v, want %d skipped and the rest done", res.Progress, len(written))
	}
	wantIDs(t, records(t, cfg.OutPath), ids(40))
}

// TestRedisRestartWithPersistence kills and restarts a Redis that keeps an
// append-only file in the middle of a job: the job goes on, and the output
// holds every id once.
func TestRedisRestartWithPersistence(t *testing.T) {
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	cfg, ten, gate, wait := gatedRun(t, srv)
	<-ten
	srv.Restart()
	close(gate)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(40))
}

// TestWorkerNoticesJobStartedAgain checks a worker that holds items of a
// job when Redis loses it and the job is started again under the same
// name: the worker's next items are the new job's, though it has not
// looked at the job list since (its clock stands still), and it runs
// them as the new job's, so that the new job ends.
func TestWorkerNoticesJobStartedAgain(t *testing.T) {
	srv := redistest.Start(t)
	q := connect(t, srv)
	cfg := runConfig(t, "again", jsonl(lines(3)...))
	ctx, cancel := context.WithCancel(ctxFor(t))
	wait := runAsync(t, q, ctx, cfg)
	eventually(t, "the items to be queued", func() bool {
		s, err := q.Status(t.Context(), "again")
		return err == nil && s.Enqueued == 3
	})
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	gate, taken := make(chan struct{}), make(chan struct{}, 10)
	frozen := clock.NewFake(time.Unix(1_700_000_000, 0))
	work(t, connect(t, srv, func(c *jobs.Config) { c.Clock = frozen }), jobs.WorkerConfig{Concurrency: 3,
		Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
			taken <- struct{}{}
			<-gate
			return extract(ctx, job, it)
		}})
	for range 3 {
		<-taken
	}
	if err := inspect(t, srv).FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	cfg.In, cfg.Resume = strings.NewReader(jsonl(lines(3)...)), true
	wait = runAsync(t, q, ctxFor(t), cfg)
	eventually(t, "the new job's items to be queued", func() bool {
		s, err := q.Status(t.Context(), "again")
		return err == nil && s.Enqueued == 3
	})
	close(gate)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(3))
}
