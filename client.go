package reask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/reask/reask/schema"
)

// Client extracts structured data through one provider. Its options are
// defaults for every call; the policies it holds (rate limiting, circuit
// breaking, retry budget) are shared by all its calls. A Client is safe for
// concurrent use.
type Client struct {
	provider  Provider
	fallbacks []Provider
	opts      []Option
	policies  *policies
	// err is a configuration error found by New, returned by every call.
	err error
}

// New returns a client for provider p. Options set defaults for every call
// made through it; calls may override them, except the client-level options
// (fallbacks and policies), which only New reads. An invalid configuration
// makes every call fail with ErrInvalidInput.
func New(p Provider, opts ...Option) *Client {
	c := &Client{provider: p, opts: append([]Option(nil), opts...)}
	set := defaults()
	for _, o := range opts {
		o(&set)
	}
	c.fallbacks = set.fallbacks
	for i, f := range c.fallbacks {
		if f == nil {
			c.err = fmt.Errorf("%w: fallback provider %d is nil", ErrInvalidInput, i+1)
		}
	}
	pol, err := newPolicies(set.policy)
	if err != nil {
		c.err = fmt.Errorf("%w: %w", ErrInvalidInput, err)
		pol, _ = newPolicies(policyConfig{})
	}
	c.policies = pol
	return c
}

// Provider returns the client's provider.
func (c *Client) Provider() Provider { return c.provider }

// Task is one extraction to run: a schema, and either an input text (reask
// builds the prompt) or a ready conversation (the gateway passes its
// client's messages).
type Task struct {
	// Schema the answer must satisfy. Required.
	Schema *schema.Schema
	// Input is the text to extract from. Ignored when Messages is set.
	Input string
	// Messages is a conversation to send as is, instead of the prompt built
	// from Input. It is never modified.
	Messages []Message
	// Validate, if set, checks a schema-valid answer further (semantic
	// rules); its error is fed back to the model like a schema violation.
	// AttemptFromContext tells it which attempt it is checking.
	Validate func(ctx context.Context, doc json.RawMessage) error
	// Tag is the caller's own value for this task, which reask never
	// reads: it goes to the provider with every call (Request.Tag) and to
	// the observer with every event (Event.Tag), so that both know which
	// of the caller's requests they serve without a context value.
	Tag any
}

// Run performs t: it asks the model, repairs and validates the answer, and
// re-asks with feedback until the answer is valid or the attempts are spent.
// It returns the valid JSON document and a report; the report is returned
// (non-nil) on failure too. Failures match ErrExhausted, ErrInvalidInput,
// ErrCircuitOpen, ErrTokenBudget, ErrContextBudget, ErrDeadline, a context
// error, or are a *ProviderError.
func (c *Client) Run(ctx context.Context, t Task, opts ...Option) (json.RawMessage, *Report, error) {
	if c == nil || c.provider == nil {
		return nil, &Report{}, fmt.Errorf("%w: no provider", ErrInvalidInput)
	}
	set := c.settings(opts)
	rep := &Report{Mode: set.mode}
	rep.Provider = c.provider.Name()
	if c.err != nil {
		return nil, rep, c.err
	}
	if err := set.check(); err != nil {
		return nil, rep, err
	}
	if t.Schema == nil || t.Schema.Root() == nil {
		return nil, rep, fmt.Errorf("%w: no schema (a *schema.Schema comes from schema.Compile or schema.For; its zero value is empty)", ErrInvalidInput)
	}
	if len(t.Messages) == 0 && strings.TrimSpace(t.Input) == "" {
		return nil, rep, fmt.Errorf("%w: the input text is empty", ErrInvalidInput)
	}
	j := &job{client: c, set: set, task: t, report: rep}
	return j.run(ctx)
}

func (s *settings) check() error {
	switch {
	case s.maxAttempts < 1:
		return fmt.Errorf("%w: max attempts is %d; it counts every attempt, the first included, so it must be at least 1", ErrInvalidInput, s.maxAttempts)
	case !s.mode.Valid():
		return fmt.Errorf("%w: unknown mode %q", ErrInvalidInput, s.mode)
	case s.maxTransportRetries < 0:
		return fmt.Errorf("%w: max transport retries is %d; want 0 or more", ErrInvalidInput, s.maxTransportRetries)
	case s.maxRefusedRetries < 0:
		return fmt.Errorf("%w: max refused-connection retries is %d; want 0 or more", ErrInvalidInput, s.maxRefusedRetries)
	case s.maxTokens < 0:
		return fmt.Errorf("%w: max tokens is %d; want 0 (provider default) or more", ErrInvalidInput, s.maxTokens)
	case s.timeout < 0:
		return fmt.Errorf("%w: timeout is %s; want 0 (none) or more", ErrInvalidInput, s.timeout)
	case s.clock == nil || s.random == nil || s.logger == nil:
		return fmt.Errorf("%w: nil clock, random source or logger", ErrInvalidInput)
	}
	return nil
}

// ExtractJSON extracts from input a JSON document valid against s.
func (c *Client) ExtractJSON(ctx context.Context, s *schema.Schema, input string, opts ...Option) (json.RawMessage, *Report, error) {
	return c.Run(ctx, Task{Schema: s, Input: input}, opts...)
}

// Extract extracts a T from input: it derives a JSON Schema from T (see
// schema.For), runs the extraction, decodes the answer into T and — when T
// or *T has a method Validate() error or Validate(context.Context) error —
// runs it as a semantic check whose error is fed back to the model. T must
// be a struct type.
func Extract[T any](ctx context.Context, c *Client, input string, opts ...Option) (T, *Report, error) {
	var zero T
	s, err := schemaOf(reflect.TypeFor[T](), c.settings(opts).schemaConfig)
	if err != nil {
		return zero, &Report{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	var last T
	validate := func(ctx context.Context, doc json.RawMessage) error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return decodeError(err)
		}
		if err := runValidate(ctx, &v); err != nil {
			return err
		}
		last = v
		return nil
	}
	if _, rep, err := c.Run(ctx, Task{Schema: s, Input: input, Validate: validate}, opts...); err != nil {
		return zero, rep, err
	} else {
		return last, rep, nil
	}
}

// schemas caches the schema derived from each Go type with each Config.
var schemas sync.Map // typeSchema → *schema.Schema

type typeSchema struct {
	t   reflect.Type
	cfg schema.Config
}

func schemaOf(t reflect.Type, cfg schema.Config) (*schema.Schema, error) {
	key := typeSchema{t, cfg}
	if s, ok := schemas.Load(key); ok {
		return s.(*schema.Schema), nil
	}
	s, err := cfg.FromType(t)
	if err != nil {
		return nil, err
	}
	schemas.Store(key, s)
	return s, nil
}

// SchemaFor returns the JSON Schema Extract[T] uses for T with the default
// schema.Config.
func SchemaFor[T any]() (*schema.Schema, error) {
	return schemaOf(reflect.TypeFor[T](), schema.Config{})
}

func runValidate(ctx context.Context, v any) error {
	switch x := v.(type) {
	case interface{ Validate(context.Context) error }:
		return x.Validate(ctx)
	case interface{ Validate() error }:
		return x.Validate()
	}
	// v is a *T; a value-receiver method on T is in *T's method set too.
	return nil
}

// decodeError explains why a schema-valid document does not fit the Go
// type (an integer out of range for int8, say).
func decodeError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Errorf("/%s: value %s does not fit the field's Go type %s", strings.ReplaceAll(ute.Field, ".", "/"), ute.Value, ute.Type)
	}
	return err
}

type attemptKey struct{}

// AttemptInfo says which attempt a Validate call is checking.
type AttemptInfo struct {
	// Number counts from 1.
	Number int
	// Max is the total number of attempts allowed; Number == Max on the last.
	Max int
}

// AttemptFromContext returns the attempt being validated, so that a
// Validate(ctx) method may relax a rule on the last attempt.
func AttemptFromContext(ctx context.Context) (AttemptInfo, bool) {
	a, ok := ctx.Value(attemptKey{}).(AttemptInfo)
	return a, ok
}
