// Package responsesapi is the wire format of OpenAI's Responses API
// (POST /v1/responses): the request body, the response object, the items
// of input and output, and the streaming events, with the JSON encoding
// that the API's union-typed fields need — input as a string or a list of
// items, content as a string or a list of parts, tool_choice as a string or
// an object. It holds types and their encoding only, no behaviour: the
// simulator serves the API with them and the gateway translates them.
//
// The shapes follow the official SDKs' types (openai-node's
// resources/responses, openai 6.x). Parameters that neither the simulator
// nor the gateway model are kept as raw JSON, so that a request decodes
// whole and a server can still refuse a parameter it does not know by
// name (decode with json.Decoder.DisallowUnknownFields).
//
// Encoding writes each item, content part and event with exactly the
// fields its type has on the wire (an output_text part always carries
// "annotations", a function_call item always carries "arguments"), so a
// value built in Go encodes as the API would send it.
package responsesapi

import (
	"encoding/json"
)

// Item types.
const (
	ItemMessage            = "message"
	ItemFunctionCall       = "function_call"
	ItemFunctionCallOutput = "function_call_output"
	ItemReasoning          = "reasoning"
	ItemReference          = "item_reference"
)

// Content part types.
const (
	PartInputText  = "input_text"
	PartInputImage = "input_image"
	PartInputFile  = "input_file"
	PartOutputText = "output_text"
	PartRefusal    = "refusal"
)

// Statuses of a response and of an output item.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
)

// Text format types (Request.Text.Format.Type).
const (
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// Streaming event types, in the order a stream sends them.
const (
	EventCreated                    = "response.created"
	EventInProgress                 = "response.in_progress"
	EventOutputItemAdded            = "response.output_item.added"
	EventContentPartAdded           = "response.content_part.added"
	EventOutputTextDelta            = "response.output_text.delta"
	EventOutputTextDone             = "response.output_text.done"
	EventRefusalDelta               = "response.refusal.delta"
	EventRefusalDone                = "response.refusal.done"
	EventFunctionCallArgumentsDelta = "response.function_call_arguments.delta"
	EventFunctionCallArgumentsDone  = "response.function_call_arguments.done"
	EventContentPartDone            = "response.content_part.done"
	EventOutputItemDone             = "response.output_item.done"
	EventCompleted                  = "response.completed"
	EventIncomplete                 = "response.incomplete"
	EventFailed                     = "response.failed"
	EventError                      = "error"
)

// Request is the body of POST /v1/responses. Pointer fields are nil when
// the request leaves them out.
type Request struct {
	Model                *string         `json:"model,omitempty"`
	Input                *Input          `json:"input,omitempty"`
	Instructions         *string         `json:"instructions,omitempty"`
	MaxOutputTokens      *int            `json:"max_output_tokens,omitempty"`
	MaxToolCalls         *int            `json:"max_tool_calls,omitempty"`
	Temperature          *float64        `json:"temperature,omitempty"`
	TopP                 *float64        `json:"top_p,omitempty"`
	TopLogprobs          *int            `json:"top_logprobs,omitempty"`
	Stream               *bool           `json:"stream,omitempty"`
	StreamOptions        *StreamOptions  `json:"stream_options,omitempty"`
	Text                 *TextConfig     `json:"text,omitempty"`
	Tools                []Tool          `json:"tools,omitempty"`
	ToolChoice           *ToolChoice     `json:"tool_choice,omitempty"`
	ParallelToolCalls    *bool           `json:"parallel_tool_calls,omitempty"`
	Store                *bool           `json:"store,omitempty"`
	Background           *bool           `json:"background,omitempty"`
	PreviousResponseID   *string         `json:"previous_response_id,omitempty"`
	Conversation         json.RawMessage `json:"conversation,omitempty"`
	Metadata             map[string]any  `json:"metadata,omitempty"`
	User                 *string         `json:"user,omitempty"`
	SafetyIdentifier     *string         `json:"safety_identifier,omitempty"`
	ServiceTier          *string         `json:"service_tier,omitempty"`
	Truncation           *string         `json:"truncation,omitempty"`
	Reasoning            json.RawMessage `json:"reasoning,omitempty"`
	Include              []string        `json:"include,omitempty"`
	Prompt               json.RawMessage `json:"prompt,omitempty"`
	PromptCacheKey       *string         `json:"prompt_cache_key,omitempty"`
	PromptCacheRetention *string         `json:"prompt_cache_retention,omitempty"`
	PromptCacheOptions   json.RawMessage `json:"prompt_cache_options,omitempty"`
	ContextManagement    json.RawMessage `json:"context_management,omitempty"`
}

// StreamOptions are a streamed request's options.
type StreamOptions struct {
	IncludeObfuscation *bool `json:"include_obfuscation,omitempty"`
}

// TextConfig is the request's and the response's "text": the output's
// format.
type TextConfig struct {
	Format    *TextFormat `json:"format,omitempty"`
	Verbosity *string     `json:"verbosity,omitempty"`
}

// TextFormat is text.format: {"type": "text"}, {"type": "json_object"},
// or {"type": "json_schema", "name", "schema", "strict", "description"}.
type TextFormat struct {
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	Description *string         `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// Tool is one entry of "tools". Function tools are flat — {"type":
// "function", "name", "description", "parameters", "strict"}, not nested
// under "function" as in Chat Completions. Other tool types (web_search,
// file_search, ...) keep their JSON in Raw.
type Tool struct {
	Type        string
	Name        string
	Description *string
	Parameters  json.RawMessage // nil or "null": no parameters
	Strict      *bool           // nil: the API's default (strict when the schema allows)
	Raw         json.RawMessage // the tool as decoded; written back for types other than "function"
}

// ToolChoice is "tool_choice": one of the strings "none", "auto" and
// "required" (Mode), or an object (Type, and Name for {"type": "function",
// "name"}; other objects keep their JSON in Raw). The zero ToolChoice
// encodes as "auto", the API's default.
type ToolChoice struct {
	Mode string
	Type string
	Name string
	Raw  json.RawMessage
}

// Input is the request's "input": a string (Text, one user message) or a
// list of items.
type Input struct {
	Text  *string
	Items []Item
}

// Item is an input or output item. Which fields it has on the wire depends
// on Type:
//
//   - "message" (or "" in input, an "easy" message): Role, Content, and in
//     output ID and Status;
//   - "function_call": ID, CallID, Name, Arguments, Status;
//   - "function_call_output": CallID, Output, ID and Status optional;
//   - anything else (reasoning, item_reference, hosted tool calls): ID,
//     Status and the item's JSON in Raw, written back as it came. An item
//     with neither type nor role but an id is an item reference.
type Item struct {
	Type      string
	ID        string
	Status    string
	Role      string  // message: user, system, developer, assistant
	Content   Content // message
	CallID    string  // function_call, function_call_output
	Name      string  // function_call
	Arguments string  // function_call: the arguments, a JSON text
	Output    Content // function_call_output: a string or parts
	Raw       json.RawMessage
}

// Content is a message's content or a function call's output: a string
// (Text) or a list of parts. Both nil means it was missing; it encodes as
// an empty list.
type Content struct {
	Text  *string
	Parts []ContentPart
}

// Missing reports whether the content was absent or null.
func (c Content) Missing() bool { return c.Text == nil && c.Parts == nil }

// ContentPart is one part of a message's content: input_text (Text),
// input_image (ImageURL, FileID, Detail), input_file (FileID, FileData,
// FileURL, Filename), output_text (Text, Annotations, Logprobs) or refusal
// (Refusal). Other types keep their JSON in Raw.
type ContentPart struct {
	Type        string
	Text        string
	Annotations []json.RawMessage // output_text; nil encodes as []
	Logprobs    []json.RawMessage // output_text; nil is left out
	Refusal     string
	ImageURL    string
	FileID      string
	Detail      string
	FileData    string
	FileURL     string
	Filename    string
	Raw         json.RawMessage
}

// Response is the response object, returned by POST /v1/responses and
// carried by the stream's response.* events. Output, Tools and Metadata
// encode as empty, never null, when nil. There is no "output_text": the
// SDKs compute it from Output.
type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"` // "response"
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	Background         bool               `json:"background"`
	CompletedAt        *int64             `json:"completed_at"`
	Error              *ResponseError     `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       json.RawMessage    `json:"instructions"` // a string, input items, or null
	MaxOutputTokens    *int               `json:"max_output_tokens"`
	MaxToolCalls       *int               `json:"max_tool_calls"`
	Model              string             `json:"model"`
	Output             []Item             `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	Reasoning          Reasoning          `json:"reasoning"`
	ServiceTier        string             `json:"service_tier"`
	Store              bool               `json:"store"`
	Temperature        float64            `json:"temperature"`
	Text               TextConfig         `json:"text"`
	ToolChoice         ToolChoice         `json:"tool_choice"`
	Tools              []Tool             `json:"tools"`
	TopLogprobs        int                `json:"top_logprobs"`
	TopP               float64            `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *Usage             `json:"usage"`
	User               *string            `json:"user"`
	Metadata           map[string]any     `json:"metadata"`
}

// ResponseError is a failed response's error.
type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IncompleteDetails says why a response is incomplete: "max_output_tokens"
// or "content_filter".
type IncompleteDetails struct {
	Reason string `json:"reason"`
}

// Reasoning is a response's reasoning settings; null fields for a model
// that does not reason.
type Reasoning struct {
	Effort  *string `json:"effort"`
	Summary *string `json:"summary"`
}

// Usage counts a response's tokens.
type Usage struct {
	InputTokens         int                 `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int                 `json:"output_tokens"`
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                 `json:"total_tokens"`
}

// InputTokensDetails breaks input tokens down.
type InputTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// OutputTokensDetails breaks output tokens down.
type OutputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// Event is one server-sent event of a streamed response; Type says which
// fields it has on the wire:
//
//   - response.created, .in_progress, .completed, .incomplete, .failed:
//     Response;
//   - response.output_item.added, .done: OutputIndex, Item;
//   - response.content_part.added, .done: ItemID, OutputIndex,
//     ContentIndex, Part;
//   - response.output_text.delta: ItemID, OutputIndex, ContentIndex, Delta,
//     Logprobs (and Obfuscation when set); .done: the same with Text;
//   - response.refusal.delta, .done: ItemID, OutputIndex, ContentIndex,
//     Delta or Refusal;
//   - response.function_call_arguments.delta: ItemID, OutputIndex, Delta
//     (and Obfuscation when set); .done: ItemID, OutputIndex, Name,
//     Arguments;
//   - error: Code, Message, Param.
//
// Every event has SequenceNumber, counting from 0 within a stream.
type Event struct {
	Type           string            `json:"type"`
	SequenceNumber int               `json:"sequence_number"`
	Response       *Response         `json:"response,omitempty"`
	OutputIndex    int               `json:"output_index,omitempty"`
	ItemID         string            `json:"item_id,omitempty"`
	ContentIndex   int               `json:"content_index,omitempty"`
	Item           *Item             `json:"item,omitempty"`
	Part           *ContentPart      `json:"part,omitempty"`
	Delta          string            `json:"delta,omitempty"`
	Text           string            `json:"text,omitempty"`
	Refusal        string            `json:"refusal,omitempty"`
	Name           string            `json:"name,omitempty"`
	Arguments      string            `json:"arguments,omitempty"`
	Logprobs       []json.RawMessage `json:"logprobs,omitempty"`
	Obfuscation    string            `json:"obfuscation,omitempty"`
	Code           *string           `json:"code,omitempty"`
	Message        string            `json:"message,omitempty"`
	Param          *string           `json:"param,omitempty"`
}
