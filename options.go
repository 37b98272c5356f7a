package reask

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/reask/reask/backoff"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

// Option configures a Client (passed to New) or one call (passed to Extract
// and friends); per-call options override the client's.
type Option func(*settings)

// settings is what options set. Its zero value is never used directly:
// defaults() fills it.
type settings struct {
	maxAttempts         int
	mode                Mode
	instructions        string
	temperature         *float64
	maxTokens           int
	repairLevel         repair.Level
	repairer            Repairer // nil: repair.Parse at repairLevel
	retryOnContent      bool
	tokenBudget         int
	contextBudget       int
	timeout             time.Duration
	callTimeout         time.Duration
	backoff             backoff.Policy
	maxTransportRetries int
	maxRefusedRetries   int
	maxRetryAfter       time.Duration
	clock               clock.Clock
	random              func() float64
	logger              *slog.Logger
	observer            Observer

	schemaInPrompt bool
	schemaConfig   schema.Config

	// Adaptive strategy.
	adaptive     bool
	modeFallback Mode
	patch        bool
	// keepOnRepeat turns off the stop for a model that insists (zero:
	// stop, the default).
	keepOnRepeat bool

	// Client-level only: read by New, ignored per call.
	fallbacks []Provider
	policy    policyConfig
}

// Defaults. MaxAttempts counts content attempts in total (the first
// included), not retries: 3 means one answer and up to two re-asks.
const (
	DefaultMaxAttempts         = 3
	DefaultMaxTransportRetries = 5
	DefaultMaxRefusedRetries   = 1
	DefaultContextBudget       = 100_000
	DefaultMaxRetryAfter       = 2 * time.Minute
	DefaultCallTimeout         = 90 * time.Second
)

// settings returns the settings of a call through c: the defaults, then
// the client's options, then the call's. c may be nil.
func (c *Client) settings(opts []Option) settings {
	set := defaults()
	if c == nil {
		return set
	}
	for _, o := range c.opts {
		o(&set)
	}
	for _, o := range opts {
		o(&set)
	}
	return set
}

// discard is the logger used when none is set.
var discard = slog.New(slog.DiscardHandler)

func defaults() settings {
	zero := 0.0
	return settings{
		maxAttempts:         DefaultMaxAttempts,
		mode:                ModeJSONSchema,
		temperature:         &zero,
		retryOnContent:      true,
		contextBudget:       DefaultContextBudget,
		maxTransportRetries: DefaultMaxTransportRetries,
		maxRefusedRetries:   DefaultMaxRefusedRetries,
		maxRetryAfter:       DefaultMaxRetryAfter,
		callTimeout:         DefaultCallTimeout,
		clock:               clock.System(),
		random:              rand.Float64,
		logger:              discard,
		adaptive:            true,
		modeFallback:        ModeJSONSchema,
		policy:              policyConfig{budget: DefaultRetryBudget},
	}
}

// DefaultRetryBudget is the retry budget a client gives each provider:
// gRPC's retry throttling with 50 tokens and half a token earned back per
// success. Retries continue while fewer than a third of calls fail (gRPC's
// 0.1 would stop them at one in eleven, too early for LLM APIs, where one
// call in five failing is a bad day, not an outage), and the bucket absorbs
// the burst of failures a batch of concurrent calls meets at once; under a
// total outage, retries stop after 25 and each call sends one request.
var DefaultRetryBudget = budget.Config{MaxTokens: 50, TokenRatio: 0.5}

// WithMaxAttempts sets the total number of content attempts (answers
// received and checked), the first one included. Default 3. Transport retries
// (429, 5xx, dropped connections) do not count against it.
func WithMaxAttempts(n int) Option { return func(s *settings) { s.maxAttempts = n } }

// WithMode sets how the schema is conveyed to the model. Default ModeJSONSchema.
func WithMode(m Mode) Option { return func(s *settings) { s.mode = m } }

// WithInstructions replaces the system message (the seed's system_prompt).
func WithInstructions(text string) Option { return func(s *settings) { s.instructions = text } }

// WithSchemaInPrompt writes the JSON Schema into the prompt in every mode.
// By default it is written there only in json_object and text modes; in
// json_schema and tools modes it travels in the request's response format
// or tool definition, which saves its tokens. Turn it on for servers that
// ignore response_format.
func WithSchemaInPrompt(on bool) Option { return func(s *settings) { s.schemaInPrompt = on } }

// WithSchemaConfig sets how the client compiles the schemas it derives
// from Go types (Extract[T]): their limits and how formats are asserted.
// Default: schema.Config's zero value (default limits, lenient formats). A
// Task's own *schema.Schema keeps the Config it was compiled with, and so
// do the patch schemas cut from it.
func WithSchemaConfig(c schema.Config) Option { return func(s *settings) { s.schemaConfig = c } }

// WithTemperature sets the sampling temperature. Default 0, so that answers
// are as repeatable as the provider allows.
func WithTemperature(t float64) Option { return func(s *settings) { s.temperature = &t } }

// WithMaxTokens bounds each answer. Default: the provider's.
func WithMaxTokens(n int) Option { return func(s *settings) { s.maxTokens = n } }

// WithRepair chooses how much of a broken answer is fixed locally before
// validation. Default: syntax repair and schema-guided coercion.
func WithRepair(l repair.Level) Option { return func(s *settings) { s.repairLevel = l } }

// Repairer finds and fixes the JSON in a model's answer before it is
// validated, recording each fix. An error matching repair.ErrTruncated is
// a truncated answer; any other error is a JSON syntax failure. Both lead
// to a re-ask with the error as feedback.
type Repairer interface {
	Repair(answer []byte, s *schema.Schema) (*repair.Result, error)
}

// RepairerFunc adapts a function to a Repairer.
type RepairerFunc func(answer []byte, s *schema.Schema) (*repair.Result, error)

// Repair calls f.
func (f RepairerFunc) Repair(answer []byte, s *schema.Schema) (*repair.Result, error) {
	return f(answer, s)
}

// WithRepairer replaces the built-in repair (repair.Parse at the level
// WithRepair sets) with r: another parser, a stricter policy, a test
// double. Its Result is always validated against the schema; its
// Result.Valid is not trusted.
func WithRepairer(r Repairer) Option { return func(s *settings) { s.repairer = r } }

// WithRetryOnValidationError(false) stops after the first content failure
// instead of re-asking (transport retries still happen). Default true.
func WithRetryOnValidationError(retry bool) Option {
	return func(s *settings) { s.retryOnContent = retry }
}

// WithTokenBudget bounds the tokens (prompt and completion) one extraction
// may spend, over all its calls: a call whose estimated prompt plus its
// max_tokens would go over n is not sent (ErrTokenBudget), and without
// WithMaxTokens each request's max_tokens is set to what the budget has
// left after its prompt. Default: none.
func WithTokenBudget(n int) Option { return func(s *settings) { s.tokenBudget = n } }

// WithContextBudget sets the largest conversation, in estimated tokens, that
// may be sent; a re-ask that would exceed it fails with ErrContextBudget.
// Default 100,000. Zero or less disables the check.
func WithContextBudget(tokens int) Option { return func(s *settings) { s.contextBudget = tokens } }

// WithTimeout bounds the whole extraction — calls, backoffs and re-asks —
// measured on the client's clock. A context deadline bounds it too.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithCallTimeout bounds each provider call; a call without an answer by
// then fails with KindTimeout and is retried like a dropped connection.
// Default 90 seconds; zero or less means no bound (the context's only).
func WithCallTimeout(d time.Duration) Option { return func(s *settings) { s.callTimeout = d } }

// WithBackoff sets the backoff between transport retries.
func WithBackoff(p backoff.Policy) Option { return func(s *settings) { s.backoff = p } }

// WithMaxTransportRetries bounds transport retries per content attempt.
// Default 5.
func WithMaxTransportRetries(n int) Option {
	return func(s *settings) { s.maxTransportRetries = n }
}

// WithMaxRefusedRetries bounds the retries of a refused connection per
// content attempt. Nothing listening at the address is most often a wrong
// port or a server not started, which five retries over seconds do not
// fix, so the default is 1 (DefaultMaxRefusedRetries): a second refusal
// fails the attempt (and moves to a fallback provider, if any). The lower
// of n and WithMaxTransportRetries applies; raise both to wait longer for
// a server that is starting. A host name that does not resolve
// (KindHostNotFound) is never retried.
func WithMaxRefusedRetries(n int) Option {
	return func(s *settings) { s.maxRefusedRetries = n }
}

// WithMaxRetryAfter caps how long a provider's Retry-After may make a call
// wait; a longer wait fails the call instead. Default 2 minutes.
func WithMaxRetryAfter(d time.Duration) Option { return func(s *settings) { s.maxRetryAfter = d } }

// WithClock injects the clock used for deadlines and waits (tests).
func WithClock(c clock.Clock) Option { return func(s *settings) { s.clock = c } }

// WithRandom injects the source of jitter, a function returning values in
// [0, 1) (tests).
func WithRandom(f func() float64) Option { return func(s *settings) { s.random = f } }

// WithLogger sets the logger for attempt, retry and result events. Default:
// discard.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithObserver sets a function that sees every event of every extraction.
func WithObserver(o Observer) Option { return func(s *settings) { s.observer = o } }

// Observer receives events as an extraction progresses. It is called
// synchronously from the extraction's goroutine; keep it fast.
type Observer func(ctx context.Context, e Event)

// WithFallback sets providers to try, in order, after the client's own: when
// a provider fails in transport (retries spent, circuit open, quota, …) the
// same attempt moves to the next one, and when the adaptive strategy sees a
// field keep failing after sharper feedback, the next attempt does. A
// provider whose circuit is open is skipped until its cool-down ends.
// Client-level: a per-call WithFallback is ignored.
func WithFallback(providers ...Provider) Option {
	return func(s *settings) { s.fallbacks = append([]Provider(nil), providers...) }
}

// WithAdaptive turns the adaptive strategy on or off (default on): after two
// JSON syntax failures in a row in json_object or text mode it switches to
// the fallback mode (WithModeFallback); when a field fails twice it sharpens
// the feedback with the field's schema and an example value; when it fails
// again it moves to the next fallback provider. Every switch is recorded in
// Report.Switches.
func WithAdaptive(on bool) Option { return func(s *settings) { s.adaptive = on } }

// WithModeFallback sets the mode the adaptive strategy switches to after
// repeated syntax failures. Default ModeJSONSchema.
func WithModeFallback(m Mode) Option { return func(s *settings) { s.modeFallback = m } }

// WithPatch turns patch re-asks on or off: when most fields of an answer are
// valid, the re-ask asks only for the invalid ones and merges the reply into
// the valid fields, falling back to a full re-ask when the merge does not
// validate.
func WithPatch(on bool) Option { return func(s *settings) { s.patch = on } }

// WithStopOnRepeat turns the early stop for a model that insists on or off
// (default on). The extraction stops, with an *InsistedError (ErrInsisted,
// which also matches ErrExhausted), when every violation of an answer
// repeats one of the previous answer's — the same JSON Pointer, keyword and
// value (canonical JSON), from the same provider — although the feedback
// between them gave those fields' schema and an example: the adaptive
// strategy's sharper feedback was the last try, and the attempts left would
// buy the same answer. It needs the adaptive strategy (WithAdaptive), and
// does not stop while a fallback provider remains to switch to.
func WithStopOnRepeat(on bool) Option { return func(s *settings) { s.keepOnRepeat = !on } }

// WithBreaker configures the circuit breaker each provider gets (see package
// breaker for the defaults). Client-level.
func WithBreaker(b breaker.Settings) Option {
	return func(s *settings) { s.policy.breakerSettings, s.policy.breakerOff = b, false }
}

// WithoutBreaker turns circuit breaking off. Client-level.
func WithoutBreaker() Option { return func(s *settings) { s.policy.breakerOff = true } }

// WithBreakerOnRateLimits makes 429 answers count as failures for the
// breaker (by default only 5xx, timeouts and connection errors count).
// Client-level.
func WithBreakerOnRateLimits(on bool) Option { return func(s *settings) { s.policy.breaker429 = on } }

// WithBreakerObserver sets a function told of every breaker state change,
// after the change (never under the breaker's lock). Client-level.
func WithBreakerObserver(f func(provider string, from, to breaker.State)) Option {
	return func(s *settings) { s.policy.onBreakerChange = f }
}

// WithRetryBudget configures the retry budget each provider gets (see
// package budget and DefaultRetryBudget). Client-level.
func WithRetryBudget(c budget.Config) Option {
	return func(s *settings) { s.policy.budget, s.policy.budgetOff = c, false }
}

// WithoutRetryBudget lets every call retry up to its own limit whatever the
// others see. Client-level.
func WithoutRetryBudget() Option { return func(s *settings) { s.policy.budgetOff = true } }

// WithRateLimit configures client-side pacing: the client's own requests-
// and tokens-per-minute limits, on top of what the provider's headers teach
// (see package ratelimit). By default the client paces only by what it
// learns. Client-level.
func WithRateLimit(c ratelimit.Config) Option {
	return func(s *settings) { s.policy.rateLimit, s.policy.rateLimitOff = c, false }
}

// WithoutRateLimit turns client-side pacing off, learnt limits and shared
// Retry-After included. Client-level.
func WithoutRateLimit() Option { return func(s *settings) { s.policy.rateLimitOff = true } }
