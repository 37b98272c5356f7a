package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/responsesapi"
)

// responsesRequest is what the gateway reads of a Responses API request
// (POST /v1/responses), and the chat completion it translates to. Every
// field, read or not, is forwarded: the body as is to an upstream that
// speaks the Responses API (pass-through), its members one by one on the
// schema path, and translated member by member to a chat completion for
// an upstream that speaks only Chat Completions.
type responsesRequest struct {
	// raw is the body as the client sent it; req is the body decoded.
	raw []byte
	req responsesapi.Request
	// members are the members the gateway reads, as written in the body.
	members map[string]json.RawMessage
	// bodyModel is the client's model ("" when it named none).
	bodyModel string
	stream    bool
	// functionTools tells whether tools holds a function tool (the schema
	// path then replaces the client's tools, as on chat).
	functionTools bool

	// chat is the chat completions body the request translates to: the
	// request the gateway's chat path serves (the schema found in it, the
	// loop's conversation), and the body a chat upstream gets.
	chat []byte
	// chatRefusal is why a chat upstream cannot serve the request — a
	// member with no Chat Completions equivalent (previous_response_id,
	// hosted tools, item references) — or nil.
	chatRefusal *requestError
}

// responsesReadMembers are the top-level members of a Responses request
// the gateway reads: sent twice, or under a name differing only in case,
// they are refused (400 duplicate_parameter), as on chat.
var responsesReadMembers = []string{"model", "input", "instructions", "stream", "stream_options", "text", "tools",
	"tool_choice", "max_output_tokens", "previous_response_id", "conversation", "background", "prompt",
	"parallel_tool_calls", "reasoning"}

// chatOnlyMembers are Chat Completions members that the translation to a
// chat completion writes itself: a Responses request carrying one is
// refused, as OpenAI refuses an unknown parameter.
var chatOnlyMembers = []string{"messages", "response_format", "max_tokens", "max_completion_tokens",
	"reasoning_effort", "verbosity", "functions", "function_call"}

// parseResponsesRequest reads a Responses request body and translates it.
// Errors are *requestError, naming the member at fault as the Responses
// API spells it ("input[2].content", "text.format.schema").
func parseResponsesRequest(body []byte) (*responsesRequest, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a JSON object."}
	}
	if !jsonscan.Valid(body) {
		err := json.Unmarshal(body, new(any)) // for the message: what and where
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a valid JSON object: " + shortErr(err)}
	}
	rr := &responsesRequest{raw: body, members: map[string]json.RawMessage{}}
	if err := readUnique(body, responsesReadMembers, func(key, value []byte) { rr.members[string(key)] = value }); err != nil {
		var re *requestError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a valid JSON object: " + shortErr(err)}
	}
	if err := json.Unmarshal(body, &rr.req); err != nil {
		return nil, responsesDecodeError(err)
	}
	req := &rr.req
	if req.Model != nil {
		rr.bodyModel = *req.Model
	}
	rr.stream = req.Stream != nil && *req.Stream
	if req.Background != nil && *req.Background {
		return nil, &requestError{param: "background", code: "unsupported_parameter",
			msg: "Background mode ('background': true) is not supported: its answer is collected later with GET /v1/responses/{id}, and the gateway stores no responses. Send the request without it."}
	}
	if mt := req.MaxOutputTokens; mt != nil && *mt < 0 {
		return nil, badRequest("max_output_tokens", "max_output_tokens must be a non-negative integer")
	}
	for _, t := range req.Tools {
		if t.Type == "function" {
			rr.functionTools = true
		}
	}
	chat, err := rr.translate()
	if err != nil {
		return nil, err
	}
	rr.chat = chat
	return rr, nil
}

// responsesDecodeError words a decoding error of the body as the
// Responses API does: the field, what it wants, what it got.
func responsesDecodeError(err error) *requestError {
	var de *responsesapi.DecodeError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &de):
		return &requestError{param: de.Field, code: "invalid_type",
			msg: fmt.Sprintf("Invalid type for '%s': expected %s, but got %s instead.", de.Field, de.Expected, de.Got)}
	case errors.As(err, &te):
		return &requestError{param: te.Field, code: "invalid_type",
			msg: fmt.Sprintf("Invalid type for '%s': expected %s, but got JSON %s instead.", te.Field, te.Type, te.Value)}
	}
	return &requestError{code: "invalid_json", msg: "The request body could not be read: " + shortErr(err)}
}

// unsupported records, once, why a chat upstream cannot serve the request.
func (rr *responsesRequest) unsupported(param, format string, args ...any) {
	if rr.chatRefusal == nil {
		rr.chatRefusal = &requestError{param: param, code: "unsupported_parameter", msg: fmt.Sprintf(format, args...)}
	}
}

// forcedTool returns the function tool the request forces, as chat does:
// tool_choice {"type": "function", "name"}, or "required" with a single
// function tool.
func (rr *responsesRequest) forcedTool() (string, bool) {
	tc := rr.req.ToolChoice
	switch {
	case tc == nil:
		return "", false
	case tc.Type == "function" && tc.Name != "":
		return tc.Name, true
	case tc.Mode == "required" && len(rr.req.Tools) == 1 && rr.req.Tools[0].Type == "function":
		return rr.req.Tools[0].Name, true
	}
	return "", false
}

// translate builds the chat completion the request stands for. Members
// with a chat equivalent are translated (input and instructions to
// messages, text.format to response_format, flat function tools to
// nested ones, max_output_tokens to max_tokens, reasoning.effort to
// reasoning_effort, text.verbosity to verbosity); members only the
// Responses API's own state or tools can serve are noted in chatRefusal;
// store, metadata, include, truncation, max_tool_calls, top_logprobs and
// stream_options are dropped; members the gateway does not know are
// copied as they are. A streamed request asks for the usage chunk.
func (rr *responsesRequest) translate() ([]byte, error) {
	req := &rr.req
	b := make([]byte, 0, len(rr.raw)+256)
	b = append(b, '{')
	member := func(name string, value []byte) {
		b = append(append(append(appendString(b, name), ':'), value...), ',')
	}
	var refused *requestError
	err := jsonscan.EachMember(rr.raw, func(key, rawKey, value []byte) {
		k := string(key)
		switch k {
		case "model", "temperature", "top_p", "user", "parallel_tool_calls", "service_tier", "safety_identifier",
			"prompt_cache_key", "prompt_cache_retention", "stream":
			b = append(append(append(b, rawKey...), ':'), value...)
			b = append(b, ',')
		case "input", "instructions", "text", "tools", "tool_choice", "reasoning", "max_output_tokens", "background":
			// translated below (background is refused)
		case "metadata", "store", "include", "truncation", "max_tool_calls", "top_logprobs", "stream_options":
			// no chat equivalent that changes the answer
		case "previous_response_id", "conversation", "prompt":
			if present(value) && string(value) != `""` {
				rr.unsupported(k, "'%s' cannot be honoured by an upstream that speaks Chat Completions: it refers to state stored by a Responses API server, and the gateway stores none. Send the whole conversation in 'input'.", k)
			}
		default:
			for _, c := range chatOnlyMembers {
				if k == c && refused == nil {
					refused = &requestError{param: k, code: "unknown_parameter", msg: fmt.Sprintf("Unknown parameter: '%s'.", k)}
				}
			}
			if refused == nil {
				b = append(append(append(b, rawKey...), ':'), value...)
				b = append(b, ',')
			}
		}
	})
	if err != nil {
		return nil, &requestError{code: "invalid_json", msg: "The request body is not a JSON object."}
	}
	if refused != nil {
		return nil, refused
	}
	if req.MaxOutputTokens != nil {
		member("max_tokens", []byte(strconv.Itoa(*req.MaxOutputTokens)))
	}
	if rr.stream {
		member("stream_options", []byte(`{"include_usage":true}`))
	}
	if effort := reasoningEffort(req.Reasoning); effort != nil {
		member("reasoning_effort", effort)
	}
	if err := rr.translateText(member); err != nil {
		return nil, err
	}
	if err := rr.translateTools(member); err != nil {
		return nil, err
	}
	msgs, err := rr.messages()
	if err != nil {
		return nil, err
	}
	member("messages", msgs)
	b[len(b)-1] = '}'
	return b, nil
}

// reasoningEffort is reasoning.effort, as written, or nil.
func reasoningEffort(raw json.RawMessage) json.RawMessage {
	if !present(raw) {
		return nil
	}
	var r struct {
		Effort json.RawMessage `json:"effort"`
	}
	if json.Unmarshal(raw, &r) != nil || !present(r.Effort) {
		return nil
	}
	return r.Effort
}

// translateText writes text.format as a response_format, and
// text.verbosity as verbosity.
func (rr *responsesRequest) translateText(member func(string, []byte)) error {
	t := rr.req.Text
	if t == nil {
		return nil
	}
	if t.Verbosity != nil {
		v, _ := json.Marshal(*t.Verbosity)
		member("verbosity", v)
	}
	f := t.Format
	if f == nil {
		return nil
	}
	switch f.Type {
	case responsesapi.FormatText:
	case responsesapi.FormatJSONObject:
		member("response_format", []byte(`{"type":"json_object"}`))
	case responsesapi.FormatJSONSchema:
		if !present(f.Schema) {
			return &requestError{param: "text.format.schema", code: "missing_required_parameter",
				msg: "Missing required parameter: 'text.format.schema'."}
		}
		js := struct {
			Name        string          `json:"name"`
			Description *string         `json:"description,omitempty"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict,omitempty"`
		}{f.Name, f.Description, f.Schema, f.Strict}
		v, err := json.Marshal(struct {
			Type       string `json:"type"`
			JSONSchema any    `json:"json_schema"`
		}{"json_schema", js})
		if err != nil {
			return badRequest("text.format.schema", "text.format.schema is not valid JSON")
		}
		member("response_format", v)
	case "":
		return &requestError{param: "text.format.type", code: "missing_required_parameter",
			msg: "Missing required parameter: 'text.format.type'."}
	default:
		rr.unsupported("text.format.type", "A text.format of type '%s' cannot be served by an upstream that speaks Chat Completions, which takes 'text', 'json_object' and 'json_schema'.", f.Type)
	}
	return nil
}

// translateTools writes the function tools nested as chat wants them, and
// tool_choice; other tools (web_search, file_search, mcp, ...) are noted
// as unsupported by chat upstreams. A forced tool without "strict" is
// strict where its schema allows, as the Responses API makes function
// tools (the gateway sends strict only for schemas that allow it).
func (rr *responsesRequest) translateTools(member func(string, []byte)) error {
	req := &rr.req
	forced, _ := rr.forcedTool()
	type chatFunction struct {
		Name        string          `json:"name"`
		Description *string         `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
		Strict      *bool           `json:"strict,omitempty"`
	}
	type chatTool struct {
		Type     string       `json:"type"`
		Function chatFunction `json:"function"`
	}
	var tools []chatTool
	for i, t := range req.Tools {
		if t.Type != "function" {
			rr.unsupported(fmt.Sprintf("tools[%d].type", i), "Tools of type '%s' cannot be served by an upstream that speaks Chat Completions, which runs function tools only.", t.Type)
			continue
		}
		if t.Name == "" {
			return &requestError{param: fmt.Sprintf("tools[%d].name", i), code: "missing_required_parameter",
				msg: fmt.Sprintf("Missing required parameter: 'tools[%d].name'.", i)}
		}
		strict := t.Strict
		if strict == nil && t.Name == forced {
			strict = ptrBool(true)
		}
		tools = append(tools, chatTool{Type: "function", Function: chatFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: strict}})
	}
	if len(tools) > 0 {
		v, err := json.Marshal(tools)
		if err != nil {
			return badRequest("tools", "tools must be an array of tools")
		}
		member("tools", v)
	}
	tc := req.ToolChoice
	switch {
	case tc == nil:
	case tc.Mode != "":
		if tc.Mode != "none" && tc.Mode != "auto" && tc.Mode != "required" {
			rr.unsupported("tool_choice", "A tool_choice of '%s' cannot be served by an upstream that speaks Chat Completions, which takes 'none', 'auto' and 'required'.", tc.Mode)
		} else if len(tools) > 0 {
			v, _ := json.Marshal(tc.Mode)
			member("tool_choice", v)
		}
	case tc.Type == "function":
		if tc.Name == "" {
			return &requestError{param: "tool_choice.name", code: "missing_required_parameter", msg: "Missing required parameter: 'tool_choice.name'."}
		}
		v, _ := json.Marshal(struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}{Type: "function", Function: struct {
			Name string `json:"name"`
		}{tc.Name}})
		member("tool_choice", v)
	default:
		rr.unsupported("tool_choice", "A tool_choice of type '%s' cannot be served by an upstream that speaks Chat Completions.", tc.Type)
	}
	return nil
}

func ptrBool(b bool) *bool { return &b }

// chatMessage is a chat message the translation writes.
type chatMessage struct {
	Role       string                `json:"role"`
	Content    json.RawMessage       `json:"content,omitempty"`
	ToolCalls  []openaiwire.ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string                `json:"tool_call_id,omitempty"`
}

// chatPart is a chat content part the translation writes.
type chatPart struct {
	Type     string         `json:"type"`
	Text     *string        `json:"text,omitempty"`
	Refusal  *string        `json:"refusal,omitempty"`
	ImageURL *chatImageURL  `json:"image_url,omitempty"`
	File     *chatFileInput `json:"file,omitempty"`
}

type chatImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type chatFileInput struct {
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// messages translates instructions and input into chat messages: the
// instructions as a system message first; a string input as one user
// message; message items by role (developer as system), their parts as
// chat parts; function_call items as the assistant's tool calls (joined
// to the assistant message before them); function_call_output items as
// tool messages. Reasoning items are left out (a chat model reads nothing
// in them); item references and hosted tools' items are noted as
// unsupported by chat upstreams.
func (rr *responsesRequest) messages() (json.RawMessage, error) {
	req := &rr.req
	var out []chatMessage
	if req.Instructions != nil {
		out = append(out, chatMessage{Role: "system", Content: jsonString(*req.Instructions)})
	}
	in := req.Input
	switch {
	case in == nil:
		if !present(rr.members["previous_response_id"]) && !present(rr.members["conversation"]) && !present(rr.members["prompt"]) {
			return nil, &requestError{param: "input", code: "missing_required_parameter", msg: "Missing required parameter: 'input'."}
		}
	case in.Text != nil:
		out = append(out, chatMessage{Role: "user", Content: jsonString(*in.Text)})
	default:
		afterAssistant := false
		for i, it := range in.Items {
			param := fmt.Sprintf("input[%d]", i)
			typ := it.Type
			if typ == "" && it.Role == "" && it.ID != "" {
				typ = responsesapi.ItemReference
			}
			switch typ {
			case "", responsesapi.ItemMessage:
				m, err := rr.chatMessageOf(it, param)
				if err != nil {
					return nil, err
				}
				out = append(out, m)
				afterAssistant = m.Role == "assistant"
			case responsesapi.ItemFunctionCall:
				if it.CallID == "" || it.Name == "" {
					f := "call_id"
					if it.CallID != "" {
						f = "name"
					}
					return nil, &requestError{param: param + "." + f, code: "missing_required_parameter",
						msg: fmt.Sprintf("Missing required parameter: '%s.%s'.", param, f)}
				}
				tc := openaiwire.ToolCall{ID: it.CallID, Type: "function", Function: openaiwire.Function{Name: it.Name, Arguments: it.Arguments}}
				if n := len(out); afterAssistant && n > 0 {
					out[n-1].ToolCalls = append(out[n-1].ToolCalls, tc)
				} else {
					out = append(out, chatMessage{Role: "assistant", ToolCalls: []openaiwire.ToolCall{tc}})
				}
				afterAssistant = true
			case responsesapi.ItemFunctionCallOutput:
				if it.CallID == "" {
					return nil, &requestError{param: param + ".call_id", code: "missing_required_parameter",
						msg: fmt.Sprintf("Missing required parameter: '%s.call_id'.", param)}
				}
				content, err := rr.chatContent(it.Output, "tool", param+".output")
				if err != nil {
					return nil, err
				}
				out = append(out, chatMessage{Role: "tool", ToolCallID: it.CallID, Content: content})
				afterAssistant = false
			case responsesapi.ItemReasoning:
			case responsesapi.ItemReference:
				rr.unsupported(param, "Item references ('%s') cannot be honoured by an upstream that speaks Chat Completions: they refer to items stored by a Responses API server, and the gateway stores none. Send the items themselves.", param)
			default:
				rr.unsupported(param+".type", "Input items of type '%s' cannot be served by an upstream that speaks Chat Completions, which takes message, function_call and function_call_output items.", it.Type)
			}
		}
	}
	if out == nil {
		out = []chatMessage{}
	}
	return json.Marshal(out)
}

// chatMessageOf translates a message item.
func (rr *responsesRequest) chatMessageOf(it responsesapi.Item, param string) (chatMessage, error) {
	role := it.Role
	switch role {
	case "user", "system", "assistant":
	case "developer":
		role = "system" // what OpenAI makes of it; other servers know only system
	case "":
		return chatMessage{}, &requestError{param: param + ".role", code: "missing_required_parameter",
			msg: fmt.Sprintf("Missing required parameter: '%s.role'.", param)}
	default:
		return chatMessage{}, badRequest(param+".role", "Invalid value: '%s'. Supported values are: 'assistant', 'system', 'developer', and 'user'.", role)
	}
	if it.Content.Missing() {
		return chatMessage{}, &requestError{param: param + ".content", code: "missing_required_parameter",
			msg: fmt.Sprintf("Missing required parameter: '%s.content'.", param)}
	}
	content, err := rr.chatContent(it.Content, role, param+".content")
	if err != nil {
		return chatMessage{}, err
	}
	return chatMessage{Role: role, Content: content}, nil
}

// chatContent translates the content of a message of role (or of a
// function call's output, role "tool"): a string as is; parts as chat
// parts (input_text and output_text as text, input_image with a URL as
// image_url, input_file with data or an id as file, an assistant's refusal
// as refusal). A chat tool message holds text only.
func (rr *responsesRequest) chatContent(c responsesapi.Content, role, param string) (json.RawMessage, error) {
	if c.Text != nil {
		return jsonString(*c.Text), nil
	}
	parts := make([]chatPart, 0, len(c.Parts))
	for j, p := range c.Parts {
		where := fmt.Sprintf("%s[%d]", param, j)
		switch {
		case p.Type == responsesapi.PartInputText || p.Type == responsesapi.PartOutputText:
			text := p.Text
			parts = append(parts, chatPart{Type: "text", Text: &text})
		case p.Type == responsesapi.PartRefusal:
			refusal := p.Refusal
			if role == "assistant" {
				parts = append(parts, chatPart{Type: "refusal", Refusal: &refusal})
			}
		case (p.Type == responsesapi.PartInputImage || p.Type == responsesapi.PartInputFile) && role == "tool":
			rr.unsupported(where, "A function call output with an image or a file ('%s') cannot be served by an upstream that speaks Chat Completions, whose tool messages hold text.", where)
		case p.Type == responsesapi.PartInputImage && p.ImageURL == "":
			rr.unsupported(where, "An input_image given by file_id ('%s') cannot be served by an upstream that speaks Chat Completions: give its image_url.", where)
		case p.Type == responsesapi.PartInputImage:
			parts = append(parts, chatPart{Type: "image_url", ImageURL: &chatImageURL{URL: p.ImageURL, Detail: p.Detail}})
		case p.Type == responsesapi.PartInputFile && p.FileData == "" && p.FileID == "":
			rr.unsupported(where, "An input_file given by file_url ('%s') cannot be served by an upstream that speaks Chat Completions: give its file_data or file_id.", where)
		case p.Type == responsesapi.PartInputFile:
			parts = append(parts, chatPart{Type: "file", File: &chatFileInput{FileData: p.FileData, FileID: p.FileID, Filename: p.Filename}})
		default:
			rr.unsupported(where+".type", "Content parts of type '%s' cannot be served by an upstream that speaks Chat Completions, which takes input_text, input_image, input_file, output_text and refusal parts.", p.Type)
		}
	}
	return json.Marshal(parts)
}

func jsonString(s string) json.RawMessage { return appendString(nil, s) }

// responsesParam is the Responses API's name of a chat parameter that the
// translation wrote, for the errors of the chat path.
func responsesParam(chat string) string {
	switch {
	case chat == "response_format.json_schema.schema":
		return "text.format.schema"
	case strings.HasPrefix(chat, "response_format"):
		return "text.format"
	case chat == "tools[].function.parameters":
		return "tools[].parameters"
	case chat == "max_tokens":
		return "max_output_tokens"
	case strings.HasPrefix(chat, "messages"):
		return "input"
	}
	return chat
}

// encode builds a schema-path body for an upstream that speaks the
// Responses API, as exchange.encode does for chat: the client's own
// members as sent and in their order (instructions, temperature, store,
// reasoning, hosted tools, ...), the model of the target, the client's
// input items as sent followed by the turns reask added, and the schema
// in the form req.Mode asks for (text.format, or a forced function tool).
// cr is the chat request the body translated to, whose messages are the
// conversation's start. The upstream call is never streamed.
func (rr *responsesRequest) encode(cr *chatRequest, req *reask.Request, model string) ([]byte, error) {
	whole := len(req.Messages) < len(cr.messages) // the conversation does not start with the client's
	tools := req.Mode == reask.ModeTools && len(req.Schema) > 0
	b := make([]byte, 0, len(rr.raw)+len(req.Schema)+512)
	b = append(b, '{')
	err := jsonscan.EachMember(rr.raw, func(key, rawKey, value []byte) {
		switch string(key) {
		case "model", "input", "stream", "stream_options", "text", "background":
			return
		case "instructions":
			if whole {
				return
			}
		case "tools", "tool_choice", "parallel_tool_calls":
			// The client's hosted tools stay with a response format;
			// function tools never (the model might call one).
			if tools || rr.functionTools {
				return
			}
		}
		b = append(append(append(append(b, rawKey...), ':'), value...), ',')
	})
	if err != nil {
		return nil, err
	}
	b = append(appendString(append(b, `"model":`...), model), `,"input":[`...)
	n, first := 0, true
	if !whole {
		n = len(cr.messages)
		in := rr.req.Input
		switch {
		case in == nil:
		case in.Text != nil:
			b = append(append(b, `{"role":"user","content":`...), rr.members["input"]...)
			b = append(b, '}')
			first = false
		default:
			if err := jsonscan.EachElement(rr.members["input"], func(it []byte) {
				if !first {
					b = append(b, ',')
				}
				b = append(b, it...)
				first = false
			}); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range req.Messages[n:] {
		items, err := responsesItems(m)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if !first {
				b = append(b, ',')
			}
			b = append(b, it...)
			first = false
		}
	}
	b = append(b, ']')
	var verbosity *string
	if rr.req.Text != nil {
		verbosity = rr.req.Text.Verbosity
	}
	text := responsesapi.TextConfig{Verbosity: verbosity}
	if len(req.Schema) > 0 {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		strict := req.Strict && cr.strict
		switch req.Mode {
		case reask.ModeJSONSchema, "":
			text.Format = &responsesapi.TextFormat{Type: responsesapi.FormatJSONSchema, Name: name, Schema: req.Schema, Strict: &strict}
		case reask.ModeJSONObject:
			text.Format = &responsesapi.TextFormat{Type: responsesapi.FormatJSONObject}
		case reask.ModeTools:
			var desc *string
			if cr.toolDesc != "" {
				desc = &cr.toolDesc
			}
			t, err := json.Marshal([]responsesapi.Tool{{Type: "function", Name: name, Description: desc, Parameters: req.Schema, Strict: &strict}})
			if err != nil {
				return nil, err
			}
			b = append(append(b, `,"tools":`...), t...)
			b = append(appendString(append(b, `,"tool_choice":{"type":"function","name":`...), name), '}')
			if p := rr.members["parallel_tool_calls"]; p != nil {
				b = append(append(b, `,"parallel_tool_calls":`...), p...)
			}
		}
	}
	if text.Format != nil || text.Verbosity != nil {
		t, err := json.Marshal(text)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"text":`...), t...)
	}
	return append(b, '}'), nil
}

// responsesItems writes a message reask added (a failed answer, feedback)
// as input items: an assistant's text as an assistant message and its tool
// calls as function_call items, a tool message as a function_call_output,
// anything else as a message of its role.
func responsesItems(m reask.Message) ([][]byte, error) {
	var items []responsesapi.Item
	switch m.Role {
	case reask.RoleTool:
		c := m.Content
		items = append(items, responsesapi.Item{Type: responsesapi.ItemFunctionCallOutput, CallID: m.ToolCallID, Output: responsesapi.Content{Text: &c}})
	default:
		if m.Content != "" || len(m.ToolCalls) == 0 {
			c := m.Content
			items = append(items, responsesapi.Item{Role: string(m.Role), Content: responsesapi.Content{Text: &c}})
		}
		for _, tc := range m.ToolCalls {
			items = append(items, responsesapi.Item{Type: responsesapi.ItemFunctionCall, CallID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
	}
	out := make([][]byte, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
