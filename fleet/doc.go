// Package fleet keeps the policies that protect a provider — the rate
// limiter, the Retry-After hold, the circuit breaker and the retry budget —
// in Redis, so that every process calling the same provider account shares
// them: N batch processes or gateway replicas then pace to one limit, open
// one breaker and spend one retry budget, instead of each protecting the
// provider on its own and multiplying its load by N.
//
// # Types
//
// A Store is one process's connection to Redis (Connect). From it come,
// per provider account (Account: base URL, model, API key):
//
//   - Limiter, the counterpart of ratelimit.Limiter: Reserve (or Wait)
//     before a call, Reservation.Finish with its answer, OnRateLimited
//     after a 429. The limits are learnt from the answers' headers by each
//     process, as the local limiter learns them, and published with every
//     call; the buckets' levels, the tokens in flight and the Retry-After
//     hold live in Redis, and every decision is taken there, atomically.
//     While the fleet knows no limit (none configured, no answer yet), it
//     starts slowly: Config.SlowStart probes (one by default) go out, and
//     every other request waits until a probe's answer has taught the
//     limits to all, instead of every process sending its concurrency at
//     once, blind.
//   - Breaker, the counterpart of breaker.Breaker: Allow, then Ticket.Done.
//     Its state, window and generation live in Redis, so one process that
//     sees an outage opens it for all, and half-open admits Probes calls
//     fleet-wide.
//   - Budget, the counterpart of budget.Budget: one gRFC A6 token bucket for
//     the fleet.
//   - Registry: a heartbeat per process, so that a process that falls back
//     to its local limiter takes 1/N of the limit (Limiter.LocalConfig).
//
// Their methods mirror the local types', with a context and an error added:
// each makes at most one Redis round trip (one Lua script, run by EVALSHA
// with a fallback to EVAL, so a restarted Redis reloads it), bounded by
// Config.Timeout.
//
// # When Redis fails
//
// Every method returns an *UnavailableError when Redis does not answer in
// time or fails. With FailOpen (the default) it matches ErrUnavailable: the
// caller falls back to its local policy for that call. With FailClosed it
// matches ErrFailClosed: the caller must not call the provider. Redis is
// down after a failure other than a timeout (refused, reset), or after two
// timeouts in a row (a call that began once another had timed out, with no
// answer since, times out too): a single stall — the calls then in flight
// timing out together, as on a busy machine starting a fleet at once —
// costs those calls only. While Redis is down the Store does not try it
// for Config.Recheck (calls fail at once, without waiting for a timeout),
// then lets one call try; the first that succeeds brings the fleet back to
// shared mode. Each change between
// shared and local mode is logged once, and Store.Errors counts the calls
// that could not use Redis (reask_shared_state_errors_total).
//
// The limiter's hand-over is counted both ways. When Redis fails, the
// requests this process still has queued in the shared limiter
// (Limiter.Queued) go out at the times they were given, so the local
// limiter that takes over starts empty and owes them
// (ratelimit.Limiter.Owe). When Redis answers again, the process repays
// what it sent locally (it lowers the shared levels, never below empty)
// and what still waits in its local limiter (debt), with Limiter.Repay, so
// that the fleet neither bursts into a bucket the outage emptied nor paces
// on top of the local queues still draining.
//
// A Redis that restarts, or a key that expires, loses the shared state: the
// next calls start from empty buckets' defaults (full, or the level the next
// answer reports), a closed breaker and a full budget, and rebuild the rest
// from the answers. Reservations and tickets from before are recognised (by
// an epoch stored with the state) and their late corrections ignored.
//
// # Keys
//
// Every key is "reask:" + a hash of the account (Account.Namespace) + ":" +
// the policy; the API key is never in Redis, only in the hash. Every key
// has a TTL, refreshed by each write: it outlives the state it holds (a
// bucket's refill, a breaker's cool-down, a heartbeat), so an idle fleet
// leaves nothing behind.
//
// # Time
//
// As in the local packages, time is an argument: the caller's now is sent
// to the scripts, which never read Redis's clock. Tests put the shared
// state at exact instants, and the processes of a fleet must have clocks
// that agree (NTP keeps them within milliseconds; the scripts never move a
// bucket's time backwards, so a process whose clock lags cannot refill a
// bucket twice). The Store's own switch between shared and local mode reads
// Config.Clock.
package fleet
