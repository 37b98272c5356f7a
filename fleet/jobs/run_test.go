package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/batch"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

// runConfig returns the RunConfig of a job named name on input in, writing
// to a fresh directory.
func runConfig(t *testing.T, name, in string) jobs.RunConfig {
	dir := t.TempDir()
	return jobs.RunConfig{Name: name, Spec: testSpec(), In: strings.NewReader(in), InName: "in.jsonl",
		OutPath: filepath.Join(dir, "out.jsonl"), DeadLetterPath: filepath.Join(dir, "dead.jsonl")}
}

// TestRunWithWorkers runs a job with 1 and 3 workers: every input id gets
// one record, broken lines and duplicate ids fail under the ids and with
// the errors the single-process batch gives them (and go to the dead
// letter), and the job's streams are gone at the end.
func TestRunWithWorkers(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(map[int]string{1: "one worker", 3: "three workers"}[n], func(t *testing.T) {
			srv := redistest.Start(t)
			in := append(lines(30), `not json`, `{"id":"i001","text":"again"}`, `{"id":"x"}`, "\xef\xbb\xbf"+`{"id":"bom","text":"marked"}`)
			cfg := runConfig(t, "orders", jsonl(in...))
			temp := 0.5
			cfg.Spec.Temperature, cfg.Spec.Instructions, cfg.Spec.CallTimeout = &temp, "Be exact.", 3*time.Second
			cfg.Spec.SchemaConfig.Formats = schema.FormatStrict
			cfg.Spec.Settings = map[string]string{"stop_on_repeat": "false"}
			// The first n items wait until n are in flight: with one
			// item at a time per worker, each worker took one.
			var mu sync.Mutex
			inFlight, started := 0, make(chan struct{})
			handler := func(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
				if !reflect.DeepEqual(job.Spec, cfg.Spec) {
					t.Errorf("the worker's spec\n%+v, want the submitted\n%+v", job.Spec, cfg.Spec)
				}
				mu.Lock()
				inFlight++
				if inFlight == n {
					close(started)
				}
				mu.Unlock()
				<-started
				return extract(ctx, job, it)
			}
			for range n {
				work(t, connect(t, srv), jobs.WorkerConfig{Handler: handler, Concurrency: 1})
			}
			var last batch.Progress
			cfg.OnProgress = func(p batch.Progress) { last = p }
			res, err := connect(t, srv).Run(ctxFor(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Interrupted || res.Progress.Done != len(in) || last.Done != len(in) {
				t.Errorf("result %+v, last progress %+v: want %d done", res, last, len(in))
			}

			recs := records(t, cfg.OutPath)
			want := map[string]stats.Record{}
			for it := range batch.Items(strings.NewReader(jsonl(in...)), "in.jsonl", 0) {
				if it.Err != nil {
					want[it.ID] = stats.Failed(it.ID, stats.KindInvalidItem, it.Err)
				} else {
					want[it.ID] = stats.FromReport(it.ID, json.RawMessage(`{}`), nil, nil)
				}
			}
			if len(recs) != len(want) {
				t.Errorf("%d records, want %d", len(recs), len(want))
			}
			for id, w := range want {
				r, ok := recs[id]
				switch {
				case !ok:
					t.Errorf("no record of %q", id)
				case r.OK != w.OK || r.Outcome != w.Outcome || r.Error != w.Error:
					t.Errorf("record of %q: ok %v, outcome %q, error %q; want %v, %q, %q", id, r.OK, r.Outcome, r.Error, w.OK, w.Outcome, w.Error)
				}
			}
			if string(recs["bom"].Data) != `{"n":6}` {
				t.Errorf("record of bom: data %s, want {\"n\":6}", recs["bom"].Data)
			}
			dead := deadIDs(t, cfg.DeadLetterPath)
			for id, w := range want {
				if _, ok := dead[id]; ok == w.OK {
					t.Errorf("dead letter holds %q: %v, want %v", id, ok, !w.OK)
				}
			}
			if string(dead["i001#32"]) != `{"id":"i001","text":"again"}` {
				t.Errorf("dead-letter input of the duplicate: %s", dead["i001#32"])
			}

			rdb := inspect(t, srv)
			for _, k := range []string{"items", "results", "errors", "lock"} {
				if n := rdb.Exists(t.Context(), "reask:job:orders:"+k).Val(); n != 0 {
					t.Errorf("reask:job:orders:%s left behind", k)
				}
			}
			if ttl := rdb.PTTL(t.Context(), "reask:job:orders:meta").Val(); ttl <= 0 || ttl > jobs.DefaultRetention {
				t.Errorf("a finished job's meta has TTL %s, want at most the retention %s", ttl, jobs.DefaultRetention)
			}
			st, err := connect(t, srv).Status(t.Context(), "orders")
			if err != nil {
				t.Fatal(err)
			}
			if st.State != "finished" || st.OK != 31 || st.Failed != 3 || st.Written != len(in) || st.Total != len(in) || !st.Complete {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// TestRunRefusesBadSchema checks that a schema that does not compile stops
// the run before anything reaches Redis or the output.
func TestRunRefusesBadSchema(t *testing.T) {
	srv := redistest.Start(t)
	cfg := runConfig(t, "bad", jsonl(lines(3)...))
	cfg.Spec.Schema = json.RawMessage(`{"type": 12}`)
	_, err := connect(t, srv).Run(ctxFor(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("err %v, want a schema error", err)
	}
	if n := inspect(t, srv).DBSize(t.Context()).Val(); n != 0 {
		t.Errorf("%d keys in Redis, want none", n)
	}
	if _, err := os.Stat(cfg.OutPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the output was created: %v", err)
	}
}

// TestRunEmptyInput checks that a job of no items ends at once.
func TestRunEmptyInput(t *testing.T) {
	srv := redistest.Start(t)
	cfg := runConfig(t, "empty", "\n\n")
	res, err := connect(t, srv).Run(ctxFor(t), cfg)
	if err != nil || res.Interrupted || res.Progress.Done != 0 {
		t.Fatalf("%+v, %v; want nothing done, no error", res, err)
	}
	wantIDs(t, records(t, cfg.OutPath), nil)
}
