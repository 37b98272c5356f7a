package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/batch"
	"github.com/reask/reask/stats"
)

// enqueuer streams a run's input into its job: items into the items
// stream, broken lines and duplicates (as failed records) into the results
// stream, chunk by chunk, each chunk atomically with the enqueue progress
// (the last input line it covers), so that a resumed run queues nothing
// twice.
type enqueuer struct {
	*run
	o    *outage
	done chan struct{} // closed when start returns
	err  error         // set before done is closed

	prev  int   // the last line covered in Redis
	last  int   // the last line read
	items []any // id, line, input of each item of the chunk
	bad   []any // id, record, input of each broken line of the chunk
	total int   // items read, broken or not
}

func (e *enqueuer) start(ctx context.Context) {
	defer close(e.done)
	e.err = e.enqueue(ctx)
}

func (e *enqueuer) enqueue(ctx context.Context) error {
	var meta []any
	err := e.q.retry(ctx, e.o, e.q.cfg.Timeout, func(ctx context.Context) error {
		v, err := e.q.rdb.HMGet(ctx, e.k.meta, "incarnation", "line", "complete").Result()
		meta = v
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: job %s: reading its enqueue progress: %w", e.cfg.Name, err)
	}
	if inc, _ := meta[0].(string); inc != e.inc {
		return e.lost("")
	}
	if c, _ := meta[2].(string); c == "1" {
		return nil
	}
	line, _ := meta[1].(string)
	e.prev, _ = strconv.Atoi(line)
	e.last = e.prev
	for it := range batch.Items(e.cfg.In, e.cfg.InName, e.cfg.MaxLineBytes) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.total++
		if it.Line <= e.prev {
			continue // queued by an earlier run
		}
		e.last = it.Line
		if e.out.Has(it.ID) {
			continue // written by an earlier run (of a job Redis lost, say)
		}
		if it.Err != nil {
			rec, err := json.Marshal(stats.Failed(it.ID, stats.KindInvalidItem, it.Err))
			if err != nil {
				return fmt.Errorf("jobs: encoding the record of %q: %w", it.ID, err)
			}
			e.bad = append(e.bad, it.ID, rec, []byte(it.Raw))
		} else {
			e.items = append(e.items, it.ID, it.Line, []byte(it.Raw))
		}
		if len(e.items)/3 >= e.chunk() || len(e.bad)/3 >= chunkSize {
			if err := e.flush(ctx, false); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return e.flush(ctx, true)
}

// chunk is the most items a chunk holds: never more than may be pending.
func (e *enqueuer) chunk() int { return min(chunkSize, e.cfg.MaxPending) }

// flush waits for room in the items stream, then adds the chunk; done
// marks the input read to its end.
func (e *enqueuer) flush(ctx context.Context, done bool) error {
	n := len(e.items) / 3
	if n > 0 {
		if err := e.waitRoom(ctx, n); err != nil {
			return err
		}
	}
	fin := "0"
	if done {
		fin = "1"
	}
	args := append([]any{e.inc, e.prev, e.last, n, len(e.bad) / 3, fin, e.total}, e.items...)
	args = append(args, e.bad...)
	var res int64
	err := e.q.retry(ctx, e.o, e.q.cfg.Timeout, func(ctx context.Context) error {
		v, err := enqueueScript.Run(ctx, e.q.rdb, []string{e.k.meta, e.k.items, e.k.results}, args...).Int64()
		res = v
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: job %s: queuing input lines %d to %d: %w", e.cfg.Name, e.prev+1, e.last, err)
	}
	switch res {
	case -1:
		return e.lost("")
	case -2:
		return e.lost(" without its latest writes (it restarted from an older snapshot)")
	}
	e.prev = e.last
	e.items, e.bad = e.items[:0], e.bad[:0]
	return nil
}

// waitRoom waits until the items stream has room for n more items.
func (e *enqueuer) waitRoom(ctx context.Context, n int) error {
	for {
		var held int64
		err := e.q.retry(ctx, e.o, e.q.cfg.Timeout, func(ctx context.Context) error {
			v, err := e.q.rdb.XLen(ctx, e.k.items).Result()
			if err == redis.Nil {
				err = nil
			}
			held = v
			return err
		})
		if err != nil {
			return fmt.Errorf("jobs: job %s: %w", e.cfg.Name, err)
		}
		if int(held)+n <= e.cfg.MaxPending {
			return nil
		}
		if err := e.q.clk.Sleep(ctx, e.q.cfg.PollInterval); err != nil {
			return err
		}
	}
}
