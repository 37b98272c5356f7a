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

// Client extracts structured data through one provider (and its
// fallbacks). The policies it holds — rate limiting, circuit breaking,
// retry budget — are shared by all its calls. A Client is safe for
// concurrent use.
type Client struct {
	provider  Provider
	fallbacks []Provider
	base      settings // what every call starts from
	policies  *policies
	dialects  *dialectCache // the schemas rewritten for each provider's dialect
}

// New returns a client for provider p configured by cfg (whose zero value
// is ready to use). An unusable configuration is an error matching
// ErrInvalidInput.
func New(p Provider, cfg Config) (*Client, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: no provider", ErrInvalidInput)
	}
	set := cfg.settings()
	if err := set.check(); err != nil {
		return nil, err
	}
	for i, f := range set.fallbacks {
		if f == nil {
			return nil, fmt.Errorf("%w: fallback provider %d is nil", ErrInvalidInput, i+1)
		}
	}
	pol, err := newPolicies(set.policy)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if err := pol.share(set.policy.shared, append([]Provider{p}, set.fallbacks...)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return &Client{provider: p, fallbacks: set.fallbacks, base: set, policies: pol, dialects: &dialectCache{}}, nil
}

// settings returns the settings of a call through c: the client's, then
// the call's options. c may be nil.
func (c *Client) settings(opts []Option) settings {
	var set settings
	if c == nil {
		set = Config{}.settings()
	} else {
		set = c.base
	}
	for _, o := range opts {
		o(&set)
	}
	return set
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
// ErrCircuitOpen, ErrRetryBudget, ErrTokenBudget, ErrContextBudget,
// ErrDeadline, a context error, or are a *ProviderError.
func (c *Client) Run(ctx context.Context, t Task, opts ...Option) (json.RawMessage, *Report, error) {
	return c.run(ctx, t, nil, opts)
}

// run is Run, its answers streamed to sink when it is not nil.
func (c *Client) run(ctx context.Context, t Task, sink *streamSink, opts []Option) (json.RawMessage, *Report, error) {
	if c == nil || c.provider == nil {
		return nil, &Report{}, fmt.Errorf("%w: no provider", ErrInvalidInput)
	}
	set := c.settings(opts)
	rep := &Report{Mode: set.mode}
	rep.Provider = c.provider.Name()
	zeroCost(rep)
	if err := set.check(); err != nil {
		return nil, rep, err
	}
	if t.Schema == nil || t.Schema.Root().IsZero() {
		return nil, rep, fmt.Errorf("%w: no schema (a *schema.Schema comes from schema.Compile or schema.For; its zero value is empty)", ErrInvalidInput)
	}
	if len(t.Messages) > 0 && set.instructions != c.base.instructions {
		return nil, rep, fmt.Errorf("%w: instructions apply to the prompt built from a Task's Input; its Messages are sent as they are", ErrInvalidInput)
	}
	if len(t.Messages) == 0 && strings.TrimSpace(t.Input) == "" {
		return nil, rep, fmt.Errorf("%w: the input text is empty", ErrInvalidInput)
	}
	j := &job{client: c, set: set, task: t, report: rep, sink: sink}
	return j.run(ctx)
}

// Extract extracts a T from input: it derives a JSON Schema from T (see
// schema.For), runs the extraction, decodes the answer into T and — when T
// or *T has a method Validate() error or Validate(context.Context) error —
// runs it as a semantic check whose error is fed back to the model. T must
// be a struct type.
func Extract[T any](ctx context.Context, c *Client, input string, opts ...Option) (T, *Report, error) {
	var zero T
	t, last, err := typedTask[T](c, input, opts)
	if err != nil {
		return zero, &Report{}, err
	}
	if _, rep, err := c.Run(ctx, t, opts...); err != nil {
		return zero, rep, err
	} else {
		return *last, rep, nil
	}
}

// typedTask is the task of extracting a T from input: the schema derived
// from T, and a check that decodes each schema-valid answer into *last and
// runs T's Validate method.
func typedTask[T any](c *Client, input string, opts []Option) (Task, *T, error) {
	s, err := schemaOf(reflect.TypeFor[T](), c.settings(opts).schemaConfig)
	if err != nil {
		return Task{}, nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	last := new(T)
	validate := func(ctx context.Context, doc json.RawMessage) error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return decodeError(err)
		}
		if err := runValidate(ctx, &v); err != nil {
			return err
		}
		*last = v
		return nil
	}
	return Task{Schema: s, Input: input, Validate: validate}, last, nil
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

// AttemptInfo says which attempt a Task's Validate, or a type's
// Validate(ctx) method, is checking.
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
