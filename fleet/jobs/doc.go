// Package jobs runs a batch over a fleet of worker processes on Redis
// Streams: one process submits the job and collects its output, any number
// of workers, on any machines, joining and leaving at any time, run its
// items. The output is a `reask batch` output — one stats.Record per input
// id, exactly once — whatever dies along the way.
//
// # The parts
//
//   - Queue.Run submits a job and collects it. It stores the job's Spec
//     (schema, mode, provider name and model, prompt settings: never an
//     API key), streams the input into the job's items stream with
//     back-pressure (RunConfig.MaxPending), and writes the records of the
//     results stream to the output with package batch's writer: one
//     write(2) per line, a dead-letter file, a torn last line removed on
//     resume. It returns when every input id has a record, then cleans up.
//   - Queue.Work is a worker: it reads items (XREADGROUP, one consumer
//     group per job) from every job or a given list, runs each through a
//     Handler — in `reask worker`, the extraction loop with the worker's
//     own credentials — and writes the record to the results stream and
//     acknowledges the item in one atomic step, so that an item is never
//     acknowledged without its record nor recorded twice.
//   - Queue.Status and Queue.Jobs report a job's counts: queued, in flight,
//     done, failed, dead, workers alive.
//
// # Failures
//
// A worker that dies leaves its items pending; another claims them
// (XAUTOCLAIM) once they have been idle for the visibility timeout. A live
// worker renews its items' idle time, so a long item is not taken from it.
// An item delivered more than MaxDeliveries times becomes a failed record
// of outcome "dead" with its last error. A worker that cannot serve a job
// (its Handler's error matches ErrCannotServe) puts the item back for the
// others and takes no more of that job.
//
// A worker that comes back under the same Name, or whose read failed with
// the connection (its reply, and the items in it, lost), takes back at once
// the items Redis holds as its own.
//
// One collector at a time holds a job's lease. A resumed Run waits out the
// lease of one that was killed (a few rounds: 15 s with the defaults), or
// takes it at once when that one ran on the same host and its process is
// gone.
//
// The collector writes each id once: a record of an id the output holds (a
// redelivery, or a record read again after a crash) is dropped. Every step
// that touches more than one key is one Lua script, so Redis holds a
// consistent state at every instant: after a Redis restart with
// persistence the job goes on; after one without (or from a snapshot that
// misses the latest writes) Run fails with ErrJobLost, the output intact,
// and Run with Resume queues again what the output lacks. While Redis does
// not answer, Run retries for Config.MaxOutage and then fails with
// ErrRedis; workers retry as long as they run. Every Redis call is bounded
// by Config.Timeout.
//
// # Keys
//
// A job's keys are "reask:job:NAME:" and spec, meta, items, results,
// workers, errors and lock; "reask:jobs" indexes the names. Fleet mode's
// keys ("reask:" and 32 hex digits) cannot collide with them. An
// unfinished job's keys expire RunConfig.Expiry after its collector last
// ran; a finished job's streams are deleted at once and its status kept for
// RunConfig.Retention.
package jobs
