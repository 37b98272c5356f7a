package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerAlive is how long a worker counts as alive on a job after its
// last heartbeat; workers beat about every poll interval.
const WorkerAlive = 15 * time.Second

// Status is a job's state and counts, as Redis holds them.
type Status struct {
	// Name is the job's name; State is "running" or "finished".
	Name, State string
	// Created is when the job was started; Finished when its collector
	// wrote its last record (zero while running).
	Created, Finished time.Time
	// Queued counts the items no worker has taken yet; InFlight those
	// taken and not yet done (a worker runs them, or died running them and
	// they wait for the visibility timeout).
	Queued, InFlight int
	// OK, Failed and Dead count the records produced: items extracted,
	// items that failed (broken input lines included), and items delivered
	// more than the workers' MaxDeliveries.
	OK, Failed, Dead int
	// Written counts the records in the output, as its collector last
	// said.
	Written int
	// Enqueued counts the items queued so far. Total counts the input's
	// items, once Complete says it has been read to its end.
	Enqueued, Total int
	Complete        bool
	// Workers counts the workers that beat on the job within WorkerAlive.
	Workers int
	// Collecting is true while a collector holds the job's lease.
	Collecting bool
}

// ErrNoJob is returned by Status for a job that does not exist.
var ErrNoJob = errors.New("jobs: no such job")

// Status returns the status of the job name; an error matches ErrNoJob
// when there is none.
func (q *Queue) Status(ctx context.Context, name string) (Status, error) {
	if err := CheckName(name); err != nil {
		return Status{}, err
	}
	k := jobKeys(name)
	var meta *redis.MapStringStringCmd
	var xlen *redis.IntCmd
	var pend *redis.XPendingCmd
	var alive, lock *redis.IntCmd
	err := q.call(ctx, func(ctx context.Context) error {
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			meta = p.HGetAll(ctx, k.meta)
			xlen = p.XLen(ctx, k.items)
			pend = p.XPending(ctx, k.items, group)
			alive = p.ZCount(ctx, k.workers, strconv.FormatInt(q.now()-WorkerAlive.Milliseconds(), 10), "+inf")
			lock = p.Exists(ctx, k.lock)
			return nil
		})
		if err != nil && meta.Err() == nil && xlen.Err() == nil && alive.Err() == nil && lock.Err() == nil {
			err = nil // XPENDING fails on a finished job's deleted stream
		}
		return err
	})
	if err != nil {
		return Status{}, fmt.Errorf("jobs: status of job %s: --redis %s: %w", name, q.shown, err)
	}
	m := meta.Val()
	if m["incarnation"] == "" {
		return Status{}, fmt.Errorf("%w: %s", ErrNoJob, name)
	}
	s := Status{Name: name, State: m["state"], Created: fromMillis(m["created"]), Finished: fromMillis(m["finished"]),
		OK: atoi(m["ok"]), Failed: atoi(m["failed"]), Dead: atoi(m["dead"]), Written: atoi(m["written"]),
		Enqueued: atoi(m["enqueued"]), Total: atoi(m["total"]), Complete: m["complete"] == "1",
		Workers: int(alive.Val()), Collecting: lock.Val() == 1}
	if pend.Err() == nil {
		s.InFlight = int(pend.Val().Count)
	}
	s.Queued = max(int(xlen.Val())-s.InFlight, 0)
	return s, nil
}

// Jobs returns the status of every job, by name. A name in the index whose
// job has expired is dropped from it.
func (q *Queue) Jobs(ctx context.Context) ([]Status, error) {
	var names []string
	err := q.call(ctx, func(ctx context.Context) error {
		v, err := q.rdb.SMembers(ctx, indexKey).Result()
		names = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: listing jobs: --redis %s: %w", q.shown, err)
	}
	slices.Sort(names)
	out := make([]Status, 0, len(names))
	for _, name := range names {
		s, err := q.Status(ctx, name)
		switch {
		case errors.Is(err, ErrNoJob) || errors.Is(err, ErrConfig):
			q.call(ctx, func(ctx context.Context) error { return q.rdb.SRem(ctx, indexKey, name).Err() })
			continue
		case err != nil:
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func fromMillis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
