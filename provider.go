package reask

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/reask/reask/ratelimit"
)

// Provider sends one chat request to a model and returns its answer. It does
// not retry: reask owns every retry decision, so a provider built on an SDK
// must turn the SDK's own retries off. Implementations are safe for
// concurrent use. Errors from the provider's API are *ProviderError; network
// failures are returned as they come (net.Error, io.ErrUnexpectedEOF, …) and
// classified by reask. A provider classifies its API's errors itself: it
// sets ProviderError.Kind from the status, type, code and message as its
// API documents them; reask knows no provider's codes.
//
// A provider whose API takes only part of JSON Schema says which part by
// also implementing
//
//	SchemaTarget(req *Request) (dialect.Target, bool)
//
// (package schema/dialect; false: send the schema as it is). In json_schema
// and tools modes reask then sends it the task's schema rewritten for that
// dialect — Request.Schema and Request.Strict as dialect.Select decided —
// turns the nulls that stand for absent properties back into absent
// before validating, and validates every answer against the task's own
// schema, so that what the rewrite relaxed (Report.Relaxed) is still
// enforced. The openai and anthropic providers implement it.
type Provider interface {
	// Complete sends req and returns the model's answer.
	Complete(ctx context.Context, req *Request) (*Response, error)
	// Name identifies the provider and model, e.g. "openai/gpt-4o-mini". It
	// keys the circuit breaker and the rate limiter, and appears in reports.
	Name() string
}

// Mode is how the schema is conveyed to the model and how its answer comes back.
type Mode string

// The modes a provider may support. ModeJSONSchema is the default: the
// provider constrains decoding to the schema where it can.
const (
	// ModeJSONSchema sends the schema as a structured-output response format
	// (OpenAI's response_format json_schema, strict when the schema allows).
	ModeJSONSchema Mode = "json_schema"
	// ModeJSONObject asks for any JSON object and puts the schema in the prompt.
	ModeJSONObject Mode = "json_object"
	// ModeTools forces a function (tool) call whose parameters are the schema;
	// the answer is the call's arguments.
	ModeTools Mode = "tools"
	// ModeText puts the schema in the prompt and reads JSON out of free text.
	ModeText Mode = "text"
)

// Valid reports whether m is one of the defined modes.
func (m Mode) Valid() bool {
	switch m {
	case ModeJSONSchema, ModeJSONObject, ModeTools, ModeText:
		return true
	}
	return false
}

// Check returns an error naming the modes unless m is one of them, for
// the CLI and the configuration to read a mode name with.
func (m Mode) Check() error {
	if !m.Valid() {
		return fmt.Errorf("unknown mode %q: want json_schema, json_object, tools or text", string(m))
	}
	return nil
}

// Role of a message author.
type Role string

// Message roles, as the OpenAI chat API names them.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content,omitempty"`
	// ToolCalls are the calls an assistant message made (tools mode).
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is the call a tool message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// IsError marks a tool message that reports a failure (Anthropic's
	// tool_result is_error).
	IsError bool `json:"is_error,omitempty"`
}

// ToolCall is a function call made by the model.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Request is one call to a provider.
type Request struct {
	// Messages is the conversation, system message first if any.
	Messages []Message
	// Mode says how Schema is conveyed; with no Schema it is ignored.
	Mode Mode
	// Schema is the JSON Schema the answer must follow; nil for free text.
	Schema json.RawMessage
	// SchemaName names the schema or tool (^[a-zA-Z0-9_-]{1,64}$).
	SchemaName string
	// Strict asks the provider to enforce the schema while decoding (OpenAI
	// strict structured outputs, Anthropic strict tools); only for schemas
	// that allow it. For a provider that says its schema dialect (see
	// Provider) reask sets it as the rewrite for that dialect decides;
	// for others, in json_schema mode, when the schema meets OpenAI's
	// strict rules as it is.
	Strict bool
	// Model overrides the provider's configured model when not empty.
	Model string
	// Temperature; nil leaves the provider's default.
	Temperature *float64
	// MaxTokens bounds the answer; 0 leaves the provider's default.
	MaxTokens int
	// Tag is the caller's own value for the call, which reask never reads:
	// Task.Tag for the calls of an extraction, as the caller set it for
	// Client.Send. A provider that serves a request of its caller's finds
	// it here (the gateway's targets rebuild their client's request from
	// it); others ignore it.
	Tag any
	// OnDelta, when set, asks for the answer as a stream: a provider that
	// can stream calls it with each piece of the answer's text as it
	// arrives — the content, or, when the answer is a tool call, that
	// call's arguments — on the goroutine that called Complete and before
	// Complete returns, which still returns the whole Response. A stream
	// that ends before the provider's end-of-stream event is an error
	// (io.ErrUnexpectedEOF), never a short answer. A provider that cannot
	// stream ignores it. Client.RunStream and Stream set it.
	OnDelta func(text string)
}

// Response is a provider's answer.
type Response struct {
	// Content is the answer's text (empty when the model only called a tool).
	Content string
	// ToolCalls are every function call the model made.
	ToolCalls []ToolCall
	// FinishReason as the provider reports it, normalised to OpenAI's words:
	// "stop", "length", "tool_calls", "content_filter".
	FinishReason string
	// Refusal is set when the model declined to answer.
	Refusal string
	// Usage is what the call cost.
	Usage Usage
	// Model that answered, as the provider reports it.
	Model string
	// RequestID is the provider's id for the request, for support tickets.
	RequestID string
	// RateLimit is what the response headers said about the provider's
	// limits (RateLimit.Known() is false when they said nothing).
	RateLimit ratelimit.Snapshot
	// Batch is set when the answer came through the provider's batch API
	// (package provider/batchapi), so that it is priced at the batch
	// discount (price.Price.BatchDiscount).
	Batch bool
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// CachedPromptTokens are the prompt tokens the provider read from its
	// prompt cache, a part of PromptTokens billed at the cached-input
	// price (OpenAI's prompt_tokens_details.cached_tokens, Anthropic's
	// cache_read_input_tokens). In JSON it is written as OpenAI writes it,
	// prompt_tokens_details.cached_tokens, and left out when zero.
	CachedPromptTokens int `json:"-"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		PromptTokens:       u.PromptTokens + v.PromptTokens,
		CompletionTokens:   u.CompletionTokens + v.CompletionTokens,
		TotalTokens:        u.TotalTokens + v.TotalTokens,
		CachedPromptTokens: u.CachedPromptTokens + v.CachedPromptTokens,
	}
}

// usageJSON is Usage in JSON: OpenAI's usage object.
type usageJSON struct {
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	TotalTokens      int           `json:"total_tokens"`
	Details          *usageDetails `json:"prompt_tokens_details,omitempty"`
}

type usageDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// MarshalJSON writes the counts as OpenAI's usage object does.
func (u Usage) MarshalJSON() ([]byte, error) {
	w := usageJSON{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if u.CachedPromptTokens != 0 {
		w.Details = &usageDetails{CachedTokens: u.CachedPromptTokens}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON writes, and OpenAI's usage object.
func (u *Usage) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var w usageJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = Usage{PromptTokens: w.PromptTokens, CompletionTokens: w.CompletionTokens, TotalTokens: w.TotalTokens}
	if w.Details != nil {
		u.CachedPromptTokens = w.Details.CachedTokens
	}
	return nil
}

// ProviderError is an error answer from a provider's API: an HTTP status
// with the provider's error type and code. Match it with errors.As.
type ProviderError struct {
	// Provider is the Provider.Name that answered.
	Provider string
	// StatusCode is the HTTP status.
	StatusCode int
	// Type and Code are the provider's error type and code, e.g.
	// "insufficient_quota", "rate_limit_exceeded", "overloaded_error".
	Type string
	Code string
	// Param names the request parameter at fault, when the provider says.
	Param string
	// Message is the provider's explanation.
	Message string
	// RequestID is the provider's request id.
	RequestID string
	// RetryAfter is how long the provider asked to wait (Retry-After,
	// retry-after-ms, rate-limit reset headers); zero when it did not say.
	RetryAfter time.Duration
	// RateLimit is what the headers said about the provider's limits.
	RateLimit ratelimit.Snapshot
	// Kind is what the failure means to reask — a transport kind such as
	// KindRateLimit, KindQuota or KindContextLength — as the provider read
	// it from its API's answer. It decides whether reask retries. Empty
	// leaves it to the HTTP status (see StatusKind).
	Kind Kind
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Provider, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	} else if e.Type != "" {
		s += " (" + e.Type + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " [request " + e.RequestID + "]"
	}
	return s
}
