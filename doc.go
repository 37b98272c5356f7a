// Package reask gets schema-valid, correct structured data out of language
// models, reliably and cheaply.
//
// An extraction asks a model for JSON that satisfies a JSON Schema, then:
//
//   - repairs locally what needs no model call (package repair): Markdown
//     fences, prose, trailing commas, quotes, comments, "30" for an integer,
//     "Positive" for an enum — recording every fix;
//   - validates the result against the schema (draft 2020-12) and, for
//     Extract, the Go type's own Validate method;
//   - re-asks the model with field-level feedback — a JSON Pointer, what is
//     wrong, the value received and what the schema expects — for what
//     cannot be repaired, keeping the conversation bounded;
//   - retries transport failures with exponential backoff and jitter,
//     honouring Retry-After and the providers' rate-limit headers, and never
//     retries what cannot succeed (400, 401, insufficient_quota);
//   - shares, between all calls of a Client, a circuit breaker, a retry
//     budget and an adaptive rate limiter per provider, and falls back to
//     another mode or model when an error pattern repeats;
//   - reports what it cost: attempts, calls, error kinds, repairs, tokens
//     spent and wasted, time spent waiting.
//
// Most programs want Extract:
//
//	client, err := reask.New(openai.NewProvider(openai.Config{APIKey: reask.Secret(key), Model: "gpt-4o-mini"}), reask.Config{})
//	person, report, err := reask.Extract[Person](ctx, client, text)
//
// Client.Run takes a schema and a conversation, Client.Batch runs many
// extractions with adaptive concurrency, and Client.Send passes a request
// through the client's policies without checking its content. Config
// configures a Client, its zero value ready to use; the few settings that
// vary per request also have an Option for a single call.
//
// Errors match the sentinels (ErrExhausted, ErrCircuitOpen, ErrTokenBudget,
// ErrContextBudget, ErrRetryBudget, ErrDeadline, ErrInvalidInput) with
// errors.Is, or are a *ProviderError; *ExhaustedError carries the best
// effort of a failed extraction. API keys (Secret) never appear in errors,
// logs or reports.
package reask
