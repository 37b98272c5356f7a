package reask

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/reask/reask/backoff"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/price"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/shared"
)

// Config configures a Client: its fallback providers, the policies all its
// calls share, and the defaults of every call. Its zero value is ready to
// use, and each zero field means the default its comment gives. Where that
// default is a positive count or limit, a negative value turns it off (no
// retries, no bound), as for net.Dialer.KeepAlive; booleans are named for
// what is not the default (NoBreaker, KeepOnRepeat), so that false keeps it.
// The few settings that vary per request also have an Option, which
// overrides the field for one call.
type Config struct {
	// Fallbacks are providers to try, in order, after the client's own:
	// when a provider fails in transport (retries spent, circuit open,
	// quota, …) the same attempt moves to the next one, and when the
	// adaptive strategy sees a field keep failing after sharper feedback,
	// the next attempt does. A provider whose circuit is open is skipped
	// until its cool-down ends.
	Fallbacks []Provider

	// Mode is how the schema is conveyed to the model. Default
	// ModeJSONSchema. Per call: WithMode.
	Mode Mode
	// Instructions replace the system message of the prompt built from a
	// Task's Input. Default DefaultInstructions. Per call: WithInstructions.
	Instructions string
	// SchemaInPrompt writes the JSON Schema into the prompt in every mode.
	// By default it is written there only in json_object and text modes; in
	// json_schema and tools modes it travels in the request's response
	// format or tool definition, which saves its tokens. Set it for servers
	// that ignore response_format.
	SchemaInPrompt bool
	// Schema is how the client compiles the schemas it derives from Go
	// types (Extract): their limits and how formats are asserted. Default:
	// schema.Config's zero value. A Task's own *schema.Schema keeps the
	// Config it was compiled with.
	Schema schema.Config
	// Temperature is the sampling temperature. Default 0, so that answers
	// are as repeatable as the provider allows.
	Temperature float64
	// MaxTokens bounds each answer. Default: the provider's. Per call:
	// WithMaxTokens.
	MaxTokens int

	// MaxAttempts is the total number of content attempts (answers
	// received and checked), the first one included: 1 never re-asks.
	// Transport retries (429, 5xx, dropped connections) do not count
	// against it. Default 4 (DefaultMaxAttempts). Per call: WithMaxAttempts.
	MaxAttempts int
	// RepairLevel is how much of a broken answer is fixed locally before
	// validation. Default repair.SyntaxAndCoercion.
	RepairLevel repair.Level
	// Repair, if set, replaces the built-in repair (repair.Parse at
	// RepairLevel): it finds and fixes the JSON in an answer, recording each
	// fix. An error matching repair.ErrTruncated is a truncated answer, any
	// other a JSON syntax failure; both lead to a re-ask. Its Result is
	// always validated against the schema (Result.Valid is not trusted).
	Repair func(answer []byte, s *schema.Schema) (*repair.Result, error)
	// NoAdaptive turns the adaptive strategy off. By default, after two
	// JSON syntax failures in a row in json_object or text mode it switches
	// to ModeFallback; when a field fails twice it sharpens the feedback
	// with the field's schema and an example value; when it fails again it
	// moves to the next fallback provider. Every switch is recorded in
	// Report.Switches.
	NoAdaptive bool
	// ModeFallback is the mode the adaptive strategy switches to after
	// repeated syntax failures; the Mode itself means no switch. Default
	// ModeJSONSchema. Per call: WithModeFallback.
	ModeFallback Mode
	// Patch turns patch re-asks on: when most fields of an answer are
	// valid, the re-ask asks only for the invalid ones and merges the reply
	// into the valid fields, falling back to a full re-ask when the merge
	// does not validate.
	Patch bool
	// KeepOnRepeat turns off the early stop for a model that insists. By
	// default the extraction stops, with an *InsistedError (ErrInsisted,
	// which also matches ErrExhausted), when every violation of two answers
	// in a row repeats the answer's before — the same JSON Pointer, keyword
	// and value (canonical JSON), from the same provider — although the
	// feedback before each gave those fields' schema and an example: the
	// attempts left would buy the same answer. The stop needs the adaptive
	// strategy, and waits while a fallback provider remains to switch to.
	KeepOnRepeat bool

	// TokenBudget bounds the tokens (prompt and completion) one extraction
	// may spend over all its calls: a call whose estimated prompt plus its
	// max_tokens would go over it is not sent (ErrTokenBudget), and without
	// MaxTokens each request's max_tokens is what the budget has left after
	// its prompt. Default: none.
	TokenBudget int
	// MaxCost bounds what one extraction may spend over all its calls, in
	// US dollars, priced by Prices: a call whose estimated prompt would
	// take the spend over it is not sent (ErrCostBudget), and a request's
	// max_tokens is capped at what the budget has left after its prompt
	// when that is fewer than 16,384 tokens (many models refuse a larger
	// max_tokens): a call goes over by at most the estimate's error, or,
	// with more room left, by one answer at the model's own output limit.
	// A call to a model Prices does not hold is refused too: an unpriced
	// call could cost anything. Negative: none. Default: none.
	MaxCost float64
	// Prices prices every call from its token counts — cached prompt
	// tokens at the cached-input price — into Report.CostUSD and
	// WastedCostUSD, by the model the answer names (Response.Model) or
	// else the provider's name. Default: price.Default(), the table
	// shipped with reask; a model it lacks is unpriced (CostUSD nil), never
	// $0.
	Prices *price.Table
	// ContextBudget is the largest conversation, in estimated tokens, that
	// may be sent; a re-ask that would exceed it fails with
	// ErrContextBudget. Default 100,000; negative: no check.
	ContextBudget int
	// Timeout bounds each extraction — calls, backoffs and re-asks —
	// measured on Clock; a context deadline bounds it too. Default: none.
	Timeout time.Duration
	// CallTimeout bounds each provider call; a call without an answer by
	// then fails with KindTimeout and is retried like a dropped
	// connection. Default 90 seconds; negative: no bound but the context's.
	CallTimeout time.Duration

	// Backoff is the wait between transport retries. Default: package
	// backoff's (exponential from 500ms to 30s, full jitter).
	Backoff backoff.Policy
	// MaxTransportRetries bounds the transport retries of each content
	// attempt. Default 5; negative: none.
	MaxTransportRetries int
	// MaxRefusedRetries bounds the retries of a refused connection per
	// content attempt. Nothing listening at the address is most often a
	// wrong port or a server not started, which five retries over seconds
	// do not fix: by default a second refusal fails the attempt (and moves
	// to a fallback provider, if any). The lower of it and
	// MaxTransportRetries applies. A host name that does not resolve is
	// never retried. Default 1; negative: none.
	MaxRefusedRetries int
	// MaxRetryAfter caps how long a provider's Retry-After may make a call
	// wait; a longer wait fails the call instead. Default 2 minutes;
	// negative: no cap.
	MaxRetryAfter time.Duration

	// Breaker configures the circuit breaker each provider gets (see
	// package breaker for its defaults); its OnStateChange observes it.
	Breaker breaker.Settings
	// NoBreaker turns circuit breaking off.
	NoBreaker bool
	// BreakerOnRateLimits makes 429 answers count as failures for the
	// breaker; by default only 5xx, timeouts and connection errors count.
	BreakerOnRateLimits bool
	// RetryBudget configures the retry budget each provider gets. Zero
	// fields take reask's defaults, not package budget's: 50 tokens and
	// half a token earned back per success, gRPC's retry throttling scaled
	// for LLM APIs. Retries go on while fewer than a third of calls fail
	// (gRPC's 0.1 would stop them at one in eleven, too early where one
	// call in five failing is a bad day, not an outage) and the bucket
	// absorbs the burst of failures a batch meets at once; under a total
	// outage retries stop after 25, and each call sends one request.
	RetryBudget budget.Config
	// NoRetryBudget lets every call retry up to its own limit whatever the
	// others see.
	NoRetryBudget bool
	// RateLimit sets client-side pacing, the client's own requests- and
	// tokens-per-minute limits, on top of what the provider's headers teach
	// (see package ratelimit). Default: paced only by what it learns.
	RateLimit ratelimit.Config
	// NoRateLimit turns client-side pacing off, learnt limits and shared
	// Retry-After included.
	NoRateLimit bool
	// Shared keeps the rate limiter, the Retry-After hold, the circuit
	// breaker and the retry budget of every provider that says its account
	// (shared.AccountHolder: the openai and anthropic providers) in a
	// store that other processes share (package fleet: Redis), so that a
	// fleet of processes paces to one limit, opens one breaker and spends
	// one budget. When the store cannot serve a call it fails open — that
	// call uses this client's local policies, the limiter taking 1/N of the
	// learnt limits with N processes alive — or fails closed — the call is
	// refused with an error matching shared.ErrFailClosed — as the store
	// is configured; Report.SharedStateErrors counts those calls. The
	// settings above configure the shared policies too. Default nil: every
	// policy is local.
	Shared shared.Store

	// Cache, if set, answers an extraction whose first request it has
	// seen validated before — same provider, model, messages, schema,
	// mode, temperature and prompt template — with the stored result and
	// no call (Report.Cache "hit", $0), and stores every validated result.
	// Errors are never stored; a store that fails is logged and counted
	// (Report.CacheErrors), never a failed extraction. A context from
	// cache.Off skips it. Streams (RunStream) and Send do not use it.
	// Default nil: no cache.
	Cache cache.Store

	// Clock is used for deadlines and waits. Default: the system clock.
	Clock clock.Clock
	// Random is the source of jitter, returning values in [0, 1). Default
	// rand.Float64.
	Random func() float64
	// Logger receives attempt, retry and result events. Default: discard.
	Logger *slog.Logger
	// Observer, if set, sees every event of every extraction, on the
	// extraction's goroutine; keep it fast.
	Observer func(ctx context.Context, e Event)
}

// Option varies one call (Run, Extract, Send, Batch): it overrides the
// Config field of the same name for that call only.
type Option func(*settings)

// settings is what a call runs with: New fills it from the Config, and a
// call's options override it.
type settings struct {
	cache               cache.Store
	maxAttempts         int
	mode                Mode
	instructions        string
	temperature         *float64
	maxTokens           int
	repairLevel         repair.Level
	repairer            func(answer []byte, s *schema.Schema) (*repair.Result, error) // nil: repair.Parse at repairLevel
	tokenBudget         int
	maxCost             float64
	prices              *price.Table
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
	observer            func(ctx context.Context, e Event)

	schemaInPrompt bool
	schemaConfig   schema.Config

	// Adaptive strategy.
	adaptive     bool
	modeFallback Mode
	patch        bool
	// keepOnRepeat turns off the stop for a model that insists (zero:
	// stop, the default).
	keepOnRepeat bool

	// Client-level only: read by New.
	fallbacks []Provider
	policy    policyConfig
}

// Defaults of the Config fields whose zero value stands for them.
// MaxAttempts counts content attempts in total (the first included), not
// retries: 4 means one answer and up to three re-asks.
const (
	DefaultMaxAttempts         = 4
	DefaultMaxTransportRetries = 5
	DefaultMaxRefusedRetries   = 1
	DefaultContextBudget       = 100_000
	DefaultMaxRetryAfter       = 2 * time.Minute
	DefaultCallTimeout         = 90 * time.Second
	// DefaultBatchConcurrency is BatchConfig.Concurrency's default.
	DefaultBatchConcurrency = 8
	// DefaultInstructions is the system message unless Config.Instructions
	// or WithInstructions replaces it.
	DefaultInstructions = `Extract the requested information from the text as JSON that matches the schema exactly. Use only information in the text. If told what was wrong with your previous answer, fix exactly that and answer with the complete JSON.`
)

// The retry budget's defaults (see Config.RetryBudget).
const (
	defaultRetryTokens = 50
	defaultRetryRatio  = 0.5
)

// discard is the logger used when none is set.
var discard = slog.New(slog.DiscardHandler)

// settings returns the settings a Config gives every call, its zero fields
// read as their defaults and its negative limits as off.
func (cfg Config) settings() settings {
	temp := cfg.Temperature
	set := settings{
		maxAttempts:         orDefault(cfg.MaxAttempts, DefaultMaxAttempts),
		mode:                orDefault(cfg.Mode, ModeJSONSchema),
		instructions:        cfg.Instructions,
		temperature:         &temp,
		maxTokens:           cfg.MaxTokens,
		repairLevel:         cfg.RepairLevel,
		repairer:            cfg.Repair,
		tokenBudget:         cfg.TokenBudget,
		maxCost:             cfg.MaxCost,
		prices:              cfg.Prices,
		contextBudget:       limit(cfg.ContextBudget, DefaultContextBudget, 0),
		timeout:             cfg.Timeout,
		callTimeout:         limit(cfg.CallTimeout, DefaultCallTimeout, 0),
		backoff:             cfg.Backoff,
		maxTransportRetries: limit(cfg.MaxTransportRetries, DefaultMaxTransportRetries, 0),
		maxRefusedRetries:   limit(cfg.MaxRefusedRetries, DefaultMaxRefusedRetries, 0),
		maxRetryAfter:       limit(cfg.MaxRetryAfter, DefaultMaxRetryAfter, math.MaxInt64),
		clock:               cfg.Clock,
		cache:               cfg.Cache,
		random:              cfg.Random,
		logger:              cfg.Logger,
		observer:            cfg.Observer,
		schemaInPrompt:      cfg.SchemaInPrompt,
		schemaConfig:        cfg.Schema,
		adaptive:            !cfg.NoAdaptive,
		modeFallback:        orDefault(cfg.ModeFallback, ModeJSONSchema),
		patch:               cfg.Patch,
		keepOnRepeat:        cfg.KeepOnRepeat,
		fallbacks:           append([]Provider(nil), cfg.Fallbacks...),
		policy: policyConfig{
			breakerSettings: cfg.Breaker,
			breakerOff:      cfg.NoBreaker,
			breaker429:      cfg.BreakerOnRateLimits,
			budget: budget.Config{
				MaxTokens:  orDefault(cfg.RetryBudget.MaxTokens, defaultRetryTokens),
				TokenRatio: orDefault(cfg.RetryBudget.TokenRatio, defaultRetryRatio),
			},
			budgetOff:    cfg.NoRetryBudget,
			rateLimit:    cfg.RateLimit,
			rateLimitOff: cfg.NoRateLimit,
			shared:       cfg.Shared,
		},
	}
	if set.clock == nil {
		set.clock = clock.System()
	}
	if set.random == nil {
		set.random = rand.Float64
	}
	if set.logger == nil {
		set.logger = discard
	}
	if set.prices == nil {
		set.prices = price.Default()
	}
	return set
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// limit reads a limit whose zero value means def and whose negative values
// mean off.
func limit[T int | time.Duration](v, def, off T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return off
	}
	return v
}

// check reports settings no call can run with.
func (s *settings) check() error {
	switch {
	case s.maxAttempts < 1:
		return fmt.Errorf("%w: max attempts is %d; it counts every attempt, the first included, so it must be at least 1", ErrInvalidInput, s.maxAttempts)
	case !s.mode.Valid():
		return fmt.Errorf("%w: unknown mode %q", ErrInvalidInput, s.mode)
	case !s.modeFallback.Valid():
		return fmt.Errorf("%w: unknown fallback mode %q", ErrInvalidInput, s.modeFallback)
	case s.maxTokens < 0:
		return fmt.Errorf("%w: max tokens is %d; want 0 (provider default) or more", ErrInvalidInput, s.maxTokens)
	case math.IsNaN(s.maxCost) || math.IsInf(s.maxCost, 0):
		return fmt.Errorf("%w: max cost is %v; want a number of US dollars (0: no bound)", ErrInvalidInput, s.maxCost)
	case s.timeout < 0:
		return fmt.Errorf("%w: timeout is %s; want 0 (none) or more", ErrInvalidInput, s.timeout)
	}
	if err := s.backoff.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// WithMode sets the call's mode (Config.Mode).
func WithMode(m Mode) Option { return func(s *settings) { s.mode = m } }

// WithModeFallback sets the mode the call's adaptive strategy switches to
// (Config.ModeFallback); m equal to the call's mode means no switch.
func WithModeFallback(m Mode) Option { return func(s *settings) { s.modeFallback = m } }

// WithMaxAttempts sets the call's total number of content attempts, at
// least 1 (Config.MaxAttempts).
func WithMaxAttempts(n int) Option { return func(s *settings) { s.maxAttempts = n } }

// WithMaxTokens bounds each answer of the call; 0 leaves the provider's
// default (Config.MaxTokens).
func WithMaxTokens(n int) Option { return func(s *settings) { s.maxTokens = n } }

// WithInstructions replaces the call's system message (Config.Instructions).
func WithInstructions(text string) Option { return func(s *settings) { s.instructions = text } }
