// Package ratelimit keeps a client within a provider's rate limits.
//
// It has two parts:
//
//   - Header readers. ParseOpenAI and ParseAnthropic turn a response's
//     rate-limit headers into a Snapshot; RetryAfter reads retry-after-ms
//     and Retry-After. Providers call them on every response, successful or
//     not.
//   - Limiter: client-side pacing of requests and tokens per minute, shared
//     by all the calls of one client to one provider, which learns the
//     provider's limits from those snapshots and from 429s, and corrects
//     each request's estimate from its answer (Reservation.Finish).
//
// Nothing here reads the clock by itself: methods take the time, and the
// one that blocks (Limiter.Wait) takes a clock.Clock.
package ratelimit
