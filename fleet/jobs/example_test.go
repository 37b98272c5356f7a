package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/stats"
)

// A worker process: it serves every job in the Redis until SIGTERM, then
// lets its items in flight finish. The Handler is where `reask worker`
// runs the extraction with its own provider and credentials.
func ExampleQueue_Work() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	q, err := jobs.Connect(ctx, jobs.Config{URL: "redis://localhost:6379/0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	err = q.Work(ctx, jobs.WorkerConfig{Concurrency: 16, Handler: func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
		if job.Spec.Provider != "openai" {
			return stats.Record{}, fmt.Errorf("%w: this worker has credentials for openai only", jobs.ErrCannotServe)
		}
		data := json.RawMessage(`{"n":1}`) // the extraction of it.Text with job.Schema
		return stats.FromReport(it.ID, data, nil, nil), nil
	}})
	if err != nil {
		fmt.Println(err)
	}
}

// The submitting process: it queues the input and writes the output as
// the workers produce it; run again with Resume after a crash.
func ExampleQueue_Run() {
	ctx := context.Background()
	q, err := jobs.Connect(ctx, jobs.Config{URL: "redis://localhost:6379/0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	in, err := os.Open("orders.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	res, err := q.Run(ctx, jobs.RunConfig{
		Name:    jobs.NameFor("results.jsonl"),
		Spec:    jobs.Spec{Schema: json.RawMessage(`{"type":"object"}`), Provider: "openai", Model: "gpt-4o-mini"},
		In:      in,
		OutPath: "results.jsonl", DeadLetterPath: "failed.jsonl",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Progress.Done, "records written")
}
