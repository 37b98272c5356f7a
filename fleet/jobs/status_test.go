package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/fleet"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// TestStatusCounts checks a job's counts with items queued, in flight and
// done, and that its keys are the job's own.
func TestStatusCounts(t *testing.T) {
	srv := redistest.Start(t)
	q := connect(t, srv)
	started, release := make(chan struct{}, 10), make(chan struct{})
	work(t, connect(t, srv), jobs.WorkerConfig{Concurrency: 2, Name: "w1",
		Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
			if it.Line > 3 {
				started <- struct{}{}
				<-release
			}
			return extract(ctx, job, it)
		}})
	cfg := runConfig(t, "counts", jsonl(append(lines(10), "oops")...))
	wait := runAsync(t, q, ctxFor(t), cfg)
	<-started
	<-started
	var s jobs.Status
	eventually(t, "the first three records and the broken line's to be written", func() bool {
		var err error
		s, err = q.Status(t.Context(), "counts")
		return err == nil && s.Written == 4 && s.Complete
	})
	want := jobs.Status{Name: "counts", State: "running", Queued: 5, InFlight: 2, OK: 3, Failed: 1, Written: 4,
		Enqueued: 10, Total: 11, Complete: true, Workers: 1, Collecting: true}
	s.Created = want.Created
	if s != want {
		t.Errorf("status\n%+v, want\n%+v", s, want)
	}
	keys := inspect(t, srv).Keys(t.Context(), "*").Val()
	for _, k := range keys {
		if k != "reask:jobs" && !strings.HasPrefix(k, "reask:job:counts:") {
			t.Errorf("key %q is not the job's", k)
		}
	}
	all, err := q.Jobs(t.Context())
	if err != nil || len(all) != 1 || all[0].Name != "counts" {
		t.Errorf("Jobs: %+v, %v; want the one job", all, err)
	}
	close(release)
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Status(t.Context(), "nosuch"); !errors.Is(err, jobs.ErrNoJob) {
		t.Errorf("status of no job: %v, want ErrNoJob", err)
	}
}

// TestRetentionNegativeDeletesEverything checks that a finished job with a
// negative retention leaves no key behind.
func TestRetentionNegativeDeletesEverything(t *testing.T) {
	srv := redistest.Start(t)
	work(t, connect(t, srv), jobs.WorkerConfig{Handler: extract})
	cfg := runConfig(t, "gone", jsonl(lines(5)...))
	cfg.Retention = -1
	if _, err := connect(t, srv).Run(ctxFor(t), cfg); err != nil {
		t.Fatal(err)
	}
	// A heartbeat of the worker may come after the cleanup: it must
	// expire; anything else must be gone.
	rdb := inspect(t, srv)
	for _, k := range rdb.Keys(t.Context(), "*").Val() {
		if ttl := rdb.PTTL(t.Context(), k).Val(); k != "reask:job:gone:workers" || ttl <= 0 || ttl > 10*jobs.WorkerAlive {
			t.Errorf("key %q left behind (TTL %s)", k, ttl)
		}
	}
}

// TestConnectErrors checks the errors of a bad --redis.
func TestConnectErrors(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret")
	tests := []struct {
		url  string
		want error
	}{
		{"http://localhost:6379", fleet.ErrURL},
		{srv.URL(), fleet.ErrAuth},
	}
	for _, tt := range tests {
		_, err := jobs.Connect(t.Context(), jobs.Config{URL: tt.url})
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), "--redis") {
			t.Errorf("Connect(%s): %v, want %v naming --redis", tt.url, err, tt.want)
		}
	}
	if _, err := jobs.Connect(t.Context(), jobs.Config{URL: srv.URL(), Timeout: -1}); !errors.Is(err, jobs.ErrConfig) {
		t.Errorf("a negative timeout: %v, want ErrConfig", err)
	}
}

// TestNameFor checks the default job names: valid, stable, and apart for
// outputs of the same base name in different directories.
func TestNameFor(t *testing.T) {
	dir := t.TempDir()
	a, b := jobs.NameFor(filepath.Join(dir, "x", "out put.jsonl")), jobs.NameFor(filepath.Join(dir, "y", "out put.jsonl"))
	if a == b || !strings.HasPrefix(a, "out_put-") {
		t.Errorf("names %q and %q: want out_put-HASH, apart", a, b)
	}
	if a != jobs.NameFor(filepath.Join(dir, "x", "out put.jsonl")) {
		t.Error("NameFor is not stable")
	}
	for _, p := range []string{"x/out put.jsonl", "/tmp/.hidden", "/tmp/" + strings.Repeat("é", 200)} {
		if err := jobs.CheckName(jobs.NameFor(p)); err != nil {
			t.Errorf("NameFor(%q): %v", p, err)
		}
	}
	for _, bad := range []string{"", "a:b", "-x", strings.Repeat("a", jobs.MaxNameLen+1)} {
		if err := jobs.CheckName(bad); !errors.Is(err, jobs.ErrConfig) {
			t.Errorf("CheckName(%q): %v, want ErrConfig", bad, err)
		}
	}
}
