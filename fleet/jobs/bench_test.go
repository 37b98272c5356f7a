package jobs_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
)

// BenchmarkRun measures the queue's own cost per item: a job of 1,000
// items through one worker (concurrency 16) whose handler does nothing, on
// loopback, with a poll interval of 10 ms so that the worker finds each new
// job at once. ms/item is the wall time per item; trips/item the Redis
// round trips of the submitter, collector and worker per item.
func BenchmarkRun(b *testing.B) {
	srv := redistest.Start(b)
	const n = 1000
	in := jsonl(lines(n)...)
	qcfg := jobs.Config{URL: srv.URL(), PollInterval: 10 * time.Millisecond}
	q, err := jobs.Connect(b.Context(), qcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	wq, err := jobs.Connect(b.Context(), qcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer wq.Close()
	go wq.Work(b.Context(), jobs.WorkerConfig{Handler: extract, Concurrency: 16})
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		cfg := jobs.RunConfig{Name: fmt.Sprintf("bench%d", i), Spec: testSpec(), In: strings.NewReader(in),
			OutPath: filepath.Join(dir, fmt.Sprintf("out%d.jsonl", i)), Retention: -1}
		if _, err := q.Run(b.Context(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*n), "ms/item")
	b.ReportMetric(float64(q.RoundTrips()+wq.RoundTrips())/float64(b.N*n), "trips/item")
}
