// Package shared is the seam between a reask Client and policy state that
// several processes share: the interfaces the client needs, per provider
// account, for a rate limiter, a circuit breaker, a retry budget and a
// count of the processes, and the errors that say the shared state cannot
// be used. Package fleet implements them in Redis (fleet.Store.Shared);
// this package depends only on the local policy packages, so that a
// program that does not run in fleet mode compiles no Redis client.
//
// Each interface mirrors a local policy — ratelimit.Limiter,
// breaker.Breaker, budget.Budget — with a context and an error added. An
// error matching ErrUnavailable means the shared state could not be used
// for that call and the caller applies its local policy instead
// (fail-open); one matching ErrFailClosed means the caller must not call
// the provider. Any other error is the policy's own (a *breaker.OpenError,
// a *ratelimit.DeadlineError, a context error).
package shared

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
)

// ErrUnavailable is matched by the errors of a shared policy that could not
// reach its state in fail-open mode: the caller falls back to its local
// policy for that call.
var ErrUnavailable = errors.New("shared state unavailable, using the local policies")

// ErrFailClosed is matched by the errors of a shared policy that could not
// reach its state in fail-closed mode: the caller must not call the
// provider.
var ErrFailClosed = errors.New("shared state unavailable, and it fails closed: not calling the provider")

// Account is a provider account whose limits are shared: the processes
// that name the same base URL, model and API key share one rate limiter,
// breaker and retry budget. The API key prints and logs as "[redacted]".
type Account struct {
	BaseURL, Model string
	APIKey         string
}

// String returns the base URL and model, without the API key.
func (a Account) String() string { return a.BaseURL + " " + a.Model }

// GoString is String, so that %#v does not print the API key either.
func (a Account) GoString() string { return "shared.Account{" + a.String() + "}" }

// LogValue logs the account without its API key.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", a.BaseURL), slog.String("model", a.Model), slog.String("api_key", "[redacted]"))
}

// AccountHolder is implemented by providers that say which account they
// call (the openai and anthropic providers, the gateway's upstreams). A
// Client shares the policies of those providers only; the others keep
// local ones.
type AccountHolder interface {
	Account() Account
}

// Store is where the shared state is kept. Its methods are called once per
// provider, when a Client is made; the policies they return are safe for
// concurrent use.
type Store interface {
	// Limiter returns the shared rate limiter of account a, configured
	// like the local one by c.
	Limiter(a Account, c ratelimit.Config) (Limiter, error)
	// Breaker returns the shared circuit breaker of account a, named name
	// in its errors and state changes.
	Breaker(a Account, name string, s breaker.Settings) (Breaker, error)
	// Budget returns the shared retry budget of account a.
	Budget(a Account, c budget.Config) (Budget, error)
	// Registry registers this process as a user of account a, for as long
	// as the store is open, and returns the count of its users.
	Registry(a Account) (Registry, error)
}

// HealthReporter is implemented by a Store that knows whether its state
// answers: Available is false while the policies' calls fall back to the
// local policies (fail-open) or are refused (fail-closed). A reask Client
// reads it for its status (PolicyStatus.SharedHealthy).
type HealthReporter interface {
	Available() bool
}

// Limiter is a shared ratelimit.Limiter.
type Limiter interface {
	// Wait reserves a request and tokens and sleeps on clk until it may be
	// sent, as ratelimit.Limiter.Wait does. On an error nothing is taken.
	Wait(ctx context.Context, clk clock.Clock, tokens int) (Reservation, time.Duration, error)
	// OnRateLimited holds every process's requests until now+retryAfter.
	OnRateLimited(ctx context.Context, now time.Time, retryAfter time.Duration) error
	// Status returns the shared limiter's state at now.
	Status(ctx context.Context, now time.Time) (ratelimit.Status, error)
	// LocalConfig returns the configuration of the local limiter to fall
	// back to while the shared state is unavailable, when alive processes
	// share the account: the limits learnt so far divided by alive.
	LocalConfig(now time.Time, alive int) ratelimit.Config
	// Queued returns how many of this process's reservations, and the
	// tokens they took, are still to be sent at now: the requests that go
	// out after the shared state fails, which the local limiter owes
	// (ratelimit.Limiter.Owe).
	Queued(now time.Time) (requests, tokens int)
	// Repay hands the shared state, when it answers again after an
	// outage, what this process sent paced locally during it and what it
	// still has queued locally, so that the fleet does not send on top of
	// them.
	Repay(ctx context.Context, now time.Time, o Outage) error
}

// Outage is what a process did without the shared limiter while the shared
// state was unavailable, for Limiter.Repay.
type Outage struct {
	// SentRequests and SentTokens were sent, paced by the local limiter.
	SentRequests, SentTokens int
	// QueuedRequests and QueuedTokens wait in the local limiter: they will
	// be sent.
	QueuedRequests, QueuedTokens int
}

// Reservation is a request's place in a shared Limiter: Finish it with the
// answer, or Cancel it when the request is not sent.
type Reservation interface {
	Finish(ctx context.Context, now time.Time, a ratelimit.Answer) error
	Cancel(ctx context.Context, now time.Time) error
	// OnRateLimited is Limiter.OnRateLimited for a 429 to this request:
	// the requests out together when a 429 comes count as one.
	OnRateLimited(ctx context.Context, now time.Time, retryAfter time.Duration) error
}

// Breaker is a shared breaker.Breaker.
type Breaker interface {
	// Allow asks permission to make a call at now: a Ticket, or a
	// *breaker.OpenError when the shared breaker refuses.
	Allow(ctx context.Context, now time.Time) (Ticket, error)
	// Status returns the shared breaker's state at now.
	Status(ctx context.Context, now time.Time) (breaker.Status, error)
}

// Ticket is the permission to make one call: report its outcome with Done,
// exactly once.
type Ticket interface {
	Done(ctx context.Context, now time.Time, o breaker.Outcome) (opened bool, err error)
}

// Budget is a shared budget.Budget.
type Budget interface {
	AllowRetry(ctx context.Context) (bool, error)
	OnFailure(ctx context.Context) error
	OnSuccess(ctx context.Context) error
	Tokens(ctx context.Context) (float64, error)
}

// Registry counts the processes that use an account.
type Registry interface {
	// LastAlive returns the count last seen, this process included: at
	// least 1.
	LastAlive() int
}
