package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
	"github.com/reask/reask/internal/openaiwire"
)

// chatRequest is what the gateway reads of a client's chat completions
// request. Every field, read or not, is forwarded: the body as is on the
// pass-through path, its members one by one on the schema path.
type chatRequest struct {
	// raw is the body as the client sent it.
	raw []byte
	top topLevel
	// model is the model to ask for: the client's, or the gateway's
	// default when the client named none; bodyModel is the client's.
	model     string
	bodyModel string
	stream    bool
	usage     bool // stream_options.include_usage
	maxTokens int
	n         int
	// messages are the client's messages, as sent, and converted the same
	// messages as reask sees them (text content only), for the loop's
	// bookkeeping. Both are read for schema-enforced requests only.
	messages  []json.RawMessage
	converted []reask.Message

	// The schema the client asked for, if any.
	schemaName string
	schemaDoc  json.RawMessage
	strict     bool
	form       reask.Mode // ModeJSONSchema (response format), ModeTools (forced tool) or ModeJSONObject (see takeJSONObject)
	toolDesc   string     // the forced tool's description
	// jsonObject is set for a response_format of type json_object: any
	// JSON object, no schema.
	jsonObject bool

	// responses is the Responses API request this one translates, or nil
	// for a chat completions request: the targets send each upstream call
	// in the API its upstream speaks.
	responses *responsesExchange
	// prompt is the JSON Schema found in the system or developer messages
	// of a request without one of its own (see takePromptSchema).
	prompt *promptSchema
	// preset is the preset the client asked for by name (see takePreset),
	// or nil.
	preset *promptSchema
}

// topLevel are the members the gateway reads, as written in the body
// (they share its memory). Names match exactly, as OpenAI's do. A member
// sent twice, or also under a name that differs only in case, is refused
// (see read): the gateway checks one value, and an upstream might read the
// other.
type topLevel struct {
	Model               json.RawMessage
	Messages            json.RawMessage
	Stream              json.RawMessage
	StreamOptions       json.RawMessage
	MaxTokens           json.RawMessage
	MaxCompletionTokens json.RawMessage
	N                   json.RawMessage
	ResponseFormat      json.RawMessage
	Tools               json.RawMessage
	ToolChoice          json.RawMessage
}

// readMembers are the names of topLevel's members.
var readMembers = []string{"model", "messages", "stream", "stream_options", "max_tokens",
	"max_completion_tokens", "n", "response_format", "tools", "tool_choice"}

// member returns where the value of the member named key goes, or nil.
func (t *topLevel) member(key []byte) *json.RawMessage {
	switch string(key) {
	case "model":
		return &t.Model
	case "messages":
		return &t.Messages
	case "stream":
		return &t.Stream
	case "stream_options":
		return &t.StreamOptions
	case "max_tokens":
		return &t.MaxTokens
	case "max_completion_tokens":
		return &t.MaxCompletionTokens
	case "n":
		return &t.N
	case "response_format":
		return &t.ResponseFormat
	case "tools":
		return &t.Tools
	case "tool_choice":
		return &t.ToolChoice
	}
	return nil
}

// read finds the members of body, a valid JSON object, in one scan that
// copies and decodes nothing: the pass-through path never needs more. A
// member the gateway reads that comes twice, or whose name differs from
// one it reads only in case, is a *requestError (see readUnique).
func (t *topLevel) read(body []byte) error {
	return readUnique(body, readMembers, func(key, value []byte) { *t.member(key) = value })
}

// readUnique calls f with each member of body (a valid JSON object) named
// in names, in one scan. A member named in names that comes twice
// (escapes decoded), or whose name differs from one of names only in
// case, is a *requestError: the gateway would check one value (say, the
// model against its routes) while the upstream — which gets the body as
// is — might act on another, as encoding/json does, which takes the last
// duplicate and matches names regardless of case.
func readUnique(body []byte, names []string, f func(key, value []byte)) error {
	var refused *requestError
	var seen uint64 // bit i: names[i] was seen; names has at most 64 entries
	err := jsonscan.EachMember(body, func(key, _, value []byte) {
		if refused != nil {
			return
		}
		for i, name := range names {
			if string(key) == name {
				if seen&(1<<i) != 0 {
					refused = &requestError{param: name, code: "duplicate_parameter",
						msg: fmt.Sprintf("The request body has the member %q more than once; send it once.", key)}
					return
				}
				seen |= 1 << i
				f(key, value)
				return
			}
		}
		for _, name := range names {
			if bytes.EqualFold(key, []byte(name)) {
				refused = &requestError{param: name, code: "duplicate_parameter",
					msg: fmt.Sprintf("The request body has a member %q, which differs from %q only in case; name it %q, once.", key, name, name)}
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	return nil
}

// requestError is a client error found while reading a request: status
// 400 with an OpenAI-style body.
type requestError struct {
	param string
	code  string
	msg   string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *requestError {
	return &requestError{param: param, code: "invalid_value", msg: fmt.Sprintf(format, args...)}
}

// present reports whether a member was sent with a non-null value.
func present(raw json.RawMessage) bool { return len(raw) > 0 && !jsonscan.IsNull(raw) }

// parseChatRequest reads a request body.
func parseChatRequest(body []byte) (*chatRequest, error) {
	r := &chatRequest{n: 1, raw: body}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a JSON object."}
	}
	if !jsonscan.Valid(body) {
		err := json.Unmarshal(body, new(any)) // for the message: what and where
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a valid JSON object: " + shortErr(err)}
	}
	if err := r.top.read(body); err != nil {
		var re *requestError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a valid JSON object: " + shortErr(err)}
	}
	t := &r.top
	if present(t.Model) {
		if err := json.Unmarshal(t.Model, &r.model); err != nil {
			return nil, badRequest("model", "model must be a string")
		}
		r.bodyModel = r.model
	}
	if present(t.Stream) {
		if err := json.Unmarshal(t.Stream, &r.stream); err != nil {
			return nil, badRequest("stream", "stream must be a boolean")
		}
	}
	if present(t.StreamOptions) {
		var so struct {
			IncludeUsage bool `json:"include_usage"`
		}
		if err := json.Unmarshal(t.StreamOptions, &so); err != nil {
			return nil, badRequest("stream_options", "stream_options must be an object")
		}
		r.usage = so.IncludeUsage
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"max_completion_tokens", t.MaxCompletionTokens}, {"max_tokens", t.MaxTokens}} {
		if present(f.raw) {
			if err := json.Unmarshal(f.raw, &r.maxTokens); err != nil || r.maxTokens < 0 {
				return nil, badRequest(f.name, "%s must be a non-negative integer", f.name)
			}
			break
		}
	}
	if present(t.N) {
		if err := json.Unmarshal(t.N, &r.n); err != nil || r.n < 1 {
			return nil, badRequest("n", "n must be a positive integer")
		}
	}
	if !present(t.Messages) {
		return nil, &requestError{param: "messages", code: "missing_required_parameter", msg: "Missing required parameter: 'messages'."}
	}
	if t.Messages[0] != '[' {
		return nil, badRequest("messages", "messages must be an array of message objects")
	}
	if err := r.readSchema(); err != nil {
		return nil, err
	}
	if r.form != "" {
		if err := r.readMessages(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// readMessages reads the messages of a schema-enforced request.
func (r *chatRequest) readMessages() error {
	if err := jsonscan.EachElement(r.top.Messages, func(m []byte) { r.messages = append(r.messages, m) }); err != nil {
		return badRequest("messages", "messages must be an array of message objects")
	}
	if len(r.messages) == 0 {
		return badRequest("messages", "messages must not be empty")
	}
	r.converted = make([]reask.Message, len(r.messages))
	for i, m := range r.messages {
		msg, err := convertMessage(m)
		if err != nil {
			return badRequest(fmt.Sprintf("messages[%d]", i), "messages[%d]: %v", i, err)
		}
		r.converted[i] = msg
	}
	return nil
}

// estimate is the conversation as reask's budgets and rate limiter see it:
// for a pass-through request, one message as long as the messages' JSON.
func (r *chatRequest) estimate() []reask.Message {
	if r.converted != nil {
		return r.converted
	}
	return []reask.Message{{Role: reask.RoleUser, Content: string(r.top.Messages)}}
}

// readSchema finds the schema the client asked for: a json_schema
// response format, or a forced function tool whose parameters are the
// schema.
func (r *chatRequest) readSchema() error {
	if raw := r.top.ResponseFormat; present(raw) {
		rf, ok := readResponseFormat(raw)
		if !ok {
			return badRequest("response_format", "response_format must be an object with a type")
		}
		if rf.Type == "json_schema" {
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 || jsonscan.IsNull(rf.JSONSchema.Schema) {
				return &requestError{param: "response_format.json_schema.schema", code: "missing_required_parameter",
					msg: "response_format json_schema needs json_schema.schema."}
			}
			if present(r.top.Tools) {
				return badRequest("tools", "The gateway enforces a json_schema response format on the message content; tools cannot be combined with it (force one tool instead).")
			}
			r.form = reask.ModeJSONSchema
			r.schemaName = rf.JSONSchema.Name
			r.schemaDoc = rf.JSONSchema.Schema
			r.strict = rf.JSONSchema.Strict != nil && *rf.JSONSchema.Strict
		}
		r.jsonObject = rf.Type == "json_object"
	}
	if r.form == "" {
		if name, ok := r.forcedTool(); ok {
			if err := r.readTool(name); err != nil {
				return err
			}
		}
	}
	if r.form != "" && r.n > 1 {
		return badRequest("n", "n greater than 1 is not supported with a schema: the gateway returns one validated answer.")
	}
	return nil
}

// takeJSONObject makes a json_object request one the gateway repairs
// (form ModeJSONObject, its messages read) and reports whether it did. It
// leaves alone a request that has a schema, several choices (n > 1: the
// gateway returns one answer) or tools (the model may call one instead of
// answering with JSON): those go through as before.
func (r *chatRequest) takeJSONObject() (bool, error) {
	if !r.jsonObject || r.form != "" || r.n > 1 || present(r.top.Tools) {
		return false, nil
	}
	if err := r.readMessages(); err != nil {
		return false, err
	}
	r.form = reask.ModeJSONObject
	return true, nil
}

// mentionsJSON reports whether a message's text holds "json" in any
// case, as OpenAI requires of a json_object request.
func mentionsJSON(msgs []reask.Message) bool {
	for _, m := range msgs {
		if containsJSONWord(m.Content) {
			return true
		}
	}
	return false
}

// containsJSONWord reports whether s holds "json", ASCII case ignored,
// without copying s.
func containsJSONWord(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		// c|0x20 lowers an ASCII letter and maps no other byte to one.
		if s[i]|0x20 == 'j' && s[i+1]|0x20 == 's' && s[i+2]|0x20 == 'o' && s[i+3]|0x20 == 'n' {
			return true
		}
	}
	return false
}

// responseFormat is what the gateway reads of a response_format.
type responseFormat struct {
	Type       string            `json:"type"`
	JSONSchema *jsonSchemaFormat `json:"json_schema"`
}

// jsonSchemaFormat is response_format.json_schema; Schema shares the
// request body's memory.
type jsonSchemaFormat struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict *bool           `json:"strict"`
}

// readResponseFormat reads a response_format object in place; ok is false
// when a member the gateway reads has the wrong type.
func readResponseFormat(raw []byte) (rf responseFormat, ok bool) {
	var r jsonscan.Reader
	err := jsonscan.EachMember(raw, func(key, _, v []byte) {
		switch string(key) {
		case "type":
			r.String("type", v, &rf.Type)
		case "json_schema":
			if jsonscan.IsNull(v) {
				rf.JSONSchema = nil
				return
			}
			if rf.JSONSchema == nil {
				rf.JSONSchema = new(jsonSchemaFormat)
			}
			js := rf.JSONSchema
			if jsonscan.EachMember(v, func(key, _, v []byte) {
				switch string(key) {
				case "name":
					r.String("name", v, &js.Name)
				case "schema":
					js.Schema = v
				case "strict":
					r.BoolPtr("strict", v, &js.Strict)
				}
			}) != nil {
				r.Fail("json_schema")
			}
		}
	})
	return rf, err == nil && r.Err == nil
}

// forcedTool returns the function the client forces: tool_choice naming a
// function, or "required" with a single function tool.
func (r *chatRequest) forcedTool() (string, bool) {
	raw := r.top.ToolChoice
	if !present(raw) {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "required" {
			return "", false
		}
		var tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if json.Unmarshal(r.top.Tools, &tools) != nil || len(tools) != 1 || tools[0].Type != "function" {
			return "", false
		}
		return tools[0].Function.Name, true
	}
	var tc struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &tc) != nil || tc.Type != "function" || tc.Function.Name == "" {
		return "", false
	}
	return tc.Function.Name, true
}

func (r *chatRequest) readTool(name string) error {
	var tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      *bool           `json:"strict"`
		} `json:"function"`
	}
	if err := json.Unmarshal(r.top.Tools, &tools); err != nil {
		return badRequest("tools", "tools must be an array of function tools")
	}
	for _, t := range tools {
		if t.Type != "function" || t.Function.Name != name {
			continue
		}
		if len(t.Function.Parameters) == 0 || jsonscan.IsNull(t.Function.Parameters) {
			// A forced tool without parameters has no schema: pass through.
			return nil
		}
		r.form = reask.ModeTools
		r.schemaName = name
		r.schemaDoc = t.Function.Parameters
		r.strict = t.Function.Strict != nil && *t.Function.Strict
		r.toolDesc = t.Function.Description
		return nil
	}
	return badRequest("tool_choice", "tool_choice names function %q, which is not in tools", name)
}

// convertMessage reads a client message as reask sees it: role, text
// content (text parts joined), tool calls and the call a tool message
// answers. Other parts (images, audio) are kept in the raw message sent
// upstream; reask only estimates their size.
func convertMessage(raw json.RawMessage) (reask.Message, error) {
	var role, content, toolCalls, toolCallID []byte
	if err := jsonscan.EachMember(raw, func(key, _, value []byte) {
		switch string(key) {
		case "role":
			role = value
		case "content":
			content = value
		case "tool_calls":
			toolCalls = value
		case "tool_call_id":
			toolCallID = value
		}
	}); err != nil {
		return reask.Message{}, fmt.Errorf("not a message object")
	}
	var out reask.Message
	if present(role) {
		r, err := jsonscan.Unquote(role)
		if err != nil {
			return reask.Message{}, fmt.Errorf("the role must be a string")
		}
		out.Role = reask.Role(r)
	}
	if out.Role == "" {
		return reask.Message{}, fmt.Errorf("the role is missing")
	}
	if present(toolCallID) {
		id, err := jsonscan.Unquote(toolCallID)
		if err != nil {
			return reask.Message{}, fmt.Errorf("tool_call_id must be a string")
		}
		out.ToolCallID = id
	}
	switch {
	case !present(content):
	case content[0] == '"':
		c, err := jsonscan.Unquote(content)
		if err != nil {
			return reask.Message{}, fmt.Errorf("bad content string")
		}
		out.Content = c
	case content[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(content, &parts); err != nil {
			return reask.Message{}, fmt.Errorf("content must be a string or an array of parts")
		}
		var b strings.Builder
		for _, p := range parts {
			if p.Text != "" {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(p.Text)
			}
		}
		out.Content = b.String()
	default:
		return reask.Message{}, fmt.Errorf("content must be a string or an array of parts")
	}
	if present(toolCalls) {
		var calls []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		}
		if err := json.Unmarshal(toolCalls, &calls); err != nil {
			return reask.Message{}, fmt.Errorf("tool_calls must be an array of tool calls")
		}
		for _, tc := range calls {
			out.ToolCalls = append(out.ToolCalls, reask.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
	return out, nil
}

func shortErr(err error) string {
	if err == nil {
		return "null or not an object"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Wire shapes of what the gateway sends upstream beyond the client's own
// fields, and of what it answers.

type wireMessage struct {
	Role       string                `json:"role"`
	Content    *string               `json:"content"`
	ToolCalls  []openaiwire.ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string                `json:"tool_call_id,omitempty"`
}

// encodeMessage writes a message reask added (a failed answer, feedback).
func encodeMessage(m reask.Message) ([]byte, error) {
	wm := wireMessage{Role: string(m.Role), ToolCallID: m.ToolCallID}
	if m.Content != "" || len(m.ToolCalls) == 0 {
		c := m.Content
		wm.Content = &c
	}
	for _, tc := range m.ToolCalls {
		wm.ToolCalls = append(wm.ToolCalls, openaiwire.ToolCall{ID: tc.ID, Type: "function",
			Function: openaiwire.Function{Name: tc.Name, Arguments: tc.Arguments}})
	}
	return json.Marshal(wm)
}

// completion is the chat.completion the gateway answers with.
type completion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []choice     `json:"choices"`
	Usage             *reask.Usage `json:"usage,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      *answerMessage  `json:"message,omitempty"`
	Delta        *deltaMessage   `json:"delta,omitempty"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type answerMessage struct {
	Role      string                `json:"role,omitempty"`
	Content   *string               `json:"content"`
	Refusal   *string               `json:"refusal,omitempty"`
	ToolCalls []openaiwire.ToolCall `json:"tool_calls,omitempty"`
}

// deltaMessage is a streamed chunk's delta: only what the chunk adds.
type deltaMessage struct {
	Role      string                `json:"role,omitempty"`
	Content   *string               `json:"content,omitempty"`
	ToolCalls []openaiwire.ToolCall `json:"tool_calls,omitempty"`
}

var jsonNull = json.RawMessage("null")
