package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/batch"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// TestCollectorResumes stops the collector part way, leaves what a kill
// can leave — a torn last line, records written but still in the results
// stream, a failed record without its dead-letter entry — and resumes:
// every id is written once, every failed one dead-lettered once.
func TestCollectorResumes(t *testing.T) {
	srv := redistest.Start(t)
	work(t, connect(t, srv), jobs.WorkerConfig{Handler: extract})
	in := jsonl(append([]string{"broken"}, lines(40)...)...)
	cfg := runConfig(t, "resume", in)
	ctx, cancel := context.WithCancel(ctxFor(t))
	cfg.OnProgress = func(p batch.Progress) {
		if p.Done == 15 {
			cancel()
		}
	}
	res, err := connect(t, srv).Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Progress.Done < 15 {
		t.Fatalf("result %+v, want interrupted after at least 15", res)
	}
	before := records(t, cfg.OutPath)
	if _, ok := before["1"]; !ok {
		t.Fatal("the broken first line has no record before the stop")
	}

	// A kill between the output's write and the dead letter's, and
	// before the records left the results stream.
	rdb := inspect(t, srv)
	if err := os.WriteFile(cfg.DeadLetterPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	again := []string{"1"} // the failed one, and four that went well
	for id, r := range before {
		if r.OK && len(again) < 5 {
			again = append(again, id)
		}
	}
	for _, id := range again {
		rec, _ := json.Marshal(before[id])
		vals := map[string]any{"id": id, "rec": rec}
		if id == "1" {
			vals["input"] = `"broken"`
		}
		if err := rdb.XAdd(t.Context(), &redis.XAddArgs{Stream: "reask:job:resume:results", Values: vals}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(cfg.OutPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"i040","ok":tr`)
	f.Close()

	cfg.In, cfg.Resume, cfg.OnProgress = strings.NewReader(in), true, nil
	res, err = connect(t, srv).Run(ctxFor(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted || res.Progress.Done+res.Progress.Skipped != 41 || res.Progress.Skipped != len(before) {
		t.Errorf("resumed: %+v, want %d skipped and 41 in all", res.Progress, len(before))
	}
	recs := records(t, cfg.OutPath)
	wantIDs(t, recs, append(ids(40), "1"))
	dead := deadIDs(t, cfg.DeadLetterPath)
	if len(dead) != 1 || string(dead["1"]) != `"broken"` {
		t.Errorf("dead letter %v, want the broken line once", dead)
	}
}

// TestEnqueueBackPressureAndResume checks that the input is read no further
// while the stream holds MaxPending items, and that a run stopped while it
// waits, then resumed, queues no item twice.
func TestEnqueueBackPressureAndResume(t *testing.T) {
	srv := redistest.Start(t)
	const maxPending = 7
	in := jsonl(lines(40)...)
	cfg := runConfig(t, "pressure", in)
	cfg.MaxPending = maxPending
	q := connect(t, srv)
	ctx, cancel := context.WithCancel(ctxFor(t))
	wait := runAsync(t, q, ctx, cfg)
	rdb := inspect(t, srv)
	eventually(t, "the first items to be queued", func() bool {
		s, err := q.Status(t.Context(), "pressure")
		return err == nil && s.Enqueued == maxPending
	})
	// No worker: the enqueuer waits for room. Give it a chance to
	// (wrongly) add more: one status round trip is many of its polls.
	for range 20 {
		if s, _ := q.Status(t.Context(), "pressure"); s.Enqueued != maxPending || s.Queued != maxPending {
			t.Fatalf("with no worker: %+v, want %d queued and no more", s, maxPending)
		}
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	runs := map[string]int{}
	most := int64(0)
	handler := func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
		held := rdb.XLen(ctx, "reask:job:pressure:items").Val()
		mu.Lock()
		runs[it.ID]++
		most = max(most, held)
		mu.Unlock()
		return extract(ctx, job, it)
	}
	for range 2 {
		work(t, connect(t, srv), jobs.WorkerConfig{Handler: handler, Concurrency: 3})
	}
	cfg.In, cfg.Resume = strings.NewReader(in), true
	if _, err := q.Run(ctxFor(t), cfg); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(40))
	for _, id := range ids(40) {
		if runs[id] != 1 {
			t.Errorf("item %s ran %d times, want once", id, runs[id])
		}
	}
	if most > maxPending {
		t.Errorf("the items stream held %d items, more than MaxPending %d", most, maxPending)
	}
}

// TestResumeChecksTheJob checks that a second run of a running job needs
// Resume, and that a resume with another spec is refused.
func TestResumeChecksTheJob(t *testing.T) {
	srv := redistest.Start(t)
	q := connect(t, srv)
	cfg := runConfig(t, "twice", jsonl(lines(3)...))
	ctx, cancel := context.WithCancel(ctxFor(t))
	cfg.OnStatus = func(jobs.Status) { cancel() }
	if res, err := q.Run(ctx, cfg); err != nil || !res.Interrupted {
		t.Fatalf("first run: %+v, %v; want interrupted", res, err)
	}
	other := runConfig(t, "twice", jsonl(lines(3)...))
	if _, err := q.Run(ctxFor(t), other); !errors.Is(err, jobs.ErrJobExists) {
		t.Errorf("a second run without Resume: %v, want ErrJobExists", err)
	}
	other.Resume = true
	other.Spec.Model = "another"
	if _, err := q.Run(ctxFor(t), other); !errors.Is(err, jobs.ErrSpecChanged) {
		t.Errorf("a resume with another model: %v, want ErrSpecChanged", err)
	}
	cfg.In, cfg.Resume, cfg.OnStatus = strings.NewReader(jsonl(lines(3)...)), true, nil
	work(t, q, jobs.WorkerConfig{Handler: extract})
	if _, err := q.Run(ctxFor(t), cfg); err != nil {
		t.Fatalf("the resume with the same spec: %v", err)
	}
	wantIDs(t, records(t, cfg.OutPath), ids(3))
}

// TestCollectorLease checks that a second collector of a job waits out the
// first's lease and fails while the first holds it, but takes at once the
// lease of a collector of this host whose process is gone (kill -9).
func TestCollectorLease(t *testing.T) {
	srv := redistest.Start(t)
	q := connect(t, srv, func(c *jobs.Config) { c.Timeout = 50 * time.Millisecond })
	rdb := inspect(t, srv)
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1) to get the pid of a process that is gone:", err)
	}
	tests := []struct {
		holder string
		want   error
	}{
		{"elsewhere-1-abcd", jobs.ErrJobExists},
		{host + "-" + strconv.Itoa(gone.Process.Pid) + "-abcd", nil},
	}
	for i, tt := range tests {
		name := "lease" + strconv.Itoa(i)
		if err := rdb.Set(t.Context(), "reask:job:"+name+":lock", tt.holder, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		cfg := runConfig(t, name, "")
		_, err := q.Run(ctxFor(t), cfg)
		if !errors.Is(err, tt.want) || err != nil && !strings.Contains(err.Error(), tt.holder) {
			t.Errorf("lease held by %s: %v, want %v naming the holder", tt.holder, err, tt.want)
		}
	}
}
