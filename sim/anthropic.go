package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim/extract"
)

// Anthropic's Messages API: POST /v1/messages.

func (s *Server) anthropicError(w http.ResponseWriter, code int, typ, msg string) {
	s.countStatus(code)
	writeJSON(w, code, map[string]any{
		"type":  "error",
		"error": map[string]string{"type": typ, "message": msg},
	})
}

type messagesRequest struct {
	Model         *string         `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	Messages      *[]anthMessage  `json:"messages"`
	System        json.RawMessage `json:"system"`
	Tools         []anthTool      `json:"tools"`
	ToolChoice    *anthToolChoice `json:"tool_choice"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Stream        *bool           `json:"stream"`
	StopSequences []string        `json:"stop_sequences"`
	Metadata      map[string]any  `json:"metadata"`
	Thinking      json.RawMessage `json:"thinking"`
	ServiceTier   *string         `json:"service_tier"`
	Container     json.RawMessage `json:"container"`
	MCPServers    json.RawMessage `json:"mcp_servers"`
	ContextMgmt   json.RawMessage `json:"context_management"`
}

type anthMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type anthBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

type anthTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
	Type        string          `json:"type"`
	CacheCtl    json.RawMessage `json:"cache_control"`
	// Strict asks for strict tool use (structured outputs): the input is
	// decoded to the schema, which must follow Anthropic's rules.
	Strict *bool `json:"strict"`
}

type anthToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// anthError is a 400 invalid_request_error.
type anthError struct {
	code int
	typ  string
	msg  string
}

func anthBad(format string, args ...any) *anthError {
	return &anthError{code: http.StatusBadRequest, typ: "invalid_request_error", msg: fmt.Sprintf(format, args...)}
}

// blocks reads a content value: a string or an array of blocks.
func blocks(raw json.RawMessage, where string) ([]anthBlock, *anthError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, anthBad("%s: Field required", where)
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, anthBad("%s: Input should be a valid string", where)
		}
		return []anthBlock{{Type: "text", Text: s}}, nil
	}
	var bs []anthBlock
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, anthBad("%s: Input should be a valid list", where)
	}
	return bs, nil
}

// resultText reads a tool_result's content: a string or text blocks.
func resultText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	var bs []anthBlock
	_ = json.Unmarshal(raw, &bs)
	var parts []string
	for _, b := range bs {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// messagesConversation validates a Messages request as Anthropic does:
// the required parameters, the system prompt, the messages and the tools,
// each checked in that order.
func (s *Server) messagesConversation(req *messagesRequest) (*conversation, bool, *anthError) {
	if req.Model == nil || *req.Model == "" {
		return nil, false, anthBad("model: Field required")
	}
	if req.MaxTokens == nil {
		return nil, false, anthBad("max_tokens: Field required")
	}
	if *req.MaxTokens < 1 {
		return nil, false, anthBad("max_tokens: Input should be greater than or equal to 1")
	}
	if req.Messages == nil {
		return nil, false, anthBad("messages: Field required")
	}
	if len(*req.Messages) == 0 {
		return nil, false, anthBad("messages: at least one message is required")
	}
	c := &conversation{model: *req.Model, temp: 1, maxTokens: *req.MaxTokens, anthropic: true, stop: req.StopSequences}
	if t := req.Temperature; t != nil {
		if *t < 0 || *t > 1 {
			return nil, false, anthBad("temperature: Input should be less than or equal to 1")
		}
		c.temp = *t
	}
	if len(req.System) > 0 && string(req.System) != "null" {
		bs, aerr := blocks(req.System, "system")
		if aerr != nil {
			return nil, false, aerr
		}
		for _, b := range bs {
			c.msgs = append(c.msgs, message{role: "system", text: b.Text})
		}
	}
	var aerr *anthError
	if c.msgs, aerr = anthropicMessages(c.msgs, *req.Messages); aerr != nil {
		return nil, false, aerr
	}
	if aerr := s.anthropicTools(c, req.Tools, req.ToolChoice); aerr != nil {
		return nil, false, aerr
	}
	return c, req.Stream != nil && *req.Stream, nil
}

// anthropicMessages checks a Messages request's messages — roles,
// content blocks, and every tool_use answered by a tool_result in the
// next message — and appends them to msgs as the conversation's.
func anthropicMessages(msgs []message, in []anthMessage) ([]message, *anthError) {
	var pending []string // tool_use ids of the previous assistant turn
	for i, m := range in {
		where := fmt.Sprintf("messages.%d", i)
		if m.Role != "user" && m.Role != "assistant" {
			return nil, anthBad("%s.role: Input should be 'user' or 'assistant'", where)
		}
		bs, aerr := blocks(m.Content, where+".content")
		if aerr != nil {
			return nil, aerr
		}
		if missing := unanswered(pending, m.Role, bs); len(missing) > 0 {
			return nil, anthBad("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i-1, strings.Join(missing, ", "))
		}
		pending = nil
		switch m.Role {
		case "assistant":
			msg := message{role: "assistant"}
			for _, b := range bs {
				switch b.Type {
				case "text":
					msg.text += b.Text
				case "tool_use":
					if b.ID == "" || b.Name == "" {
						return nil, anthBad("%s.content: tool_use blocks need an id and a name", where)
					}
					pending = append(pending, b.ID)
					msg.toolCalls = append(msg.toolCalls, toolCall{id: b.ID, name: b.Name, args: string(bytes.TrimSpace(b.Input))})
				}
			}
			msgs = append(msgs, msg)
		case "user":
			var text []string
			for _, b := range bs {
				switch b.Type {
				case "text":
					text = append(text, b.Text)
				case "tool_result":
					if !lastCalled(msgs, b.ToolUseID) {
						return nil, anthBad("%s.content: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", where, b.ToolUseID)
					}
					msgs = append(msgs, message{role: "tool", text: resultText(b.Content), toolID: b.ToolUseID})
				}
			}
			if len(text) > 0 {
				msgs = append(msgs, message{role: "user", text: strings.Join(text, "\n")})
			}
		}
	}
	return msgs, nil
}

// unanswered lists the pending tool_use ids that a message of role with
// blocks bs leaves without a tool_result.
func unanswered(pending []string, role string, bs []anthBlock) []string {
	if len(pending) == 0 {
		return nil
	}
	answered := map[string]bool{}
	if role == "user" {
		for _, b := range bs {
			if b.Type == "tool_result" {
				answered[b.ToolUseID] = true
			}
		}
	}
	var missing []string
	for _, id := range pending {
		if !answered[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// anthropicTools checks a Messages request's tools and tool_choice and,
// unless the choice is "none", makes the conversation answer with a
// tool_use of the tool named (or the first), whose input_schema becomes
// its schema.
func (s *Server) anthropicTools(c *conversation, tools []anthTool, tc *anthToolChoice) *anthError {
	for i, t := range tools {
		if t.Name == "" {
			return anthBad("tools.%d.name: Field required", i)
		}
		if t.Type == "" && len(t.InputSchema) == 0 {
			return anthBad("tools.%d.input_schema: Field required", i)
		}
		c.toolsRaw += len(t.Name) + len(t.Description) + len(t.InputSchema)
	}
	if tc != nil && tc.Type != "auto" && tc.Type != "any" && tc.Type != "tool" && tc.Type != "none" {
		return anthBad("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
	}
	if tc != nil && tc.Type != "auto" && tc.Type != "none" && len(tools) == 0 {
		return anthBad("tool_choice: tool_choice may only be specified while providing tools")
	}
	if len(tools) == 0 || tc != nil && tc.Type == "none" {
		return nil
	}
	pick := 0
	if tc != nil && tc.Type == "tool" {
		pick = -1
		for i, t := range tools {
			if t.Name == tc.Name {
				pick = i
			}
		}
		if pick < 0 {
			return anthBad("tool_choice.name: tool %q not found in tools", tc.Name)
		}
	}
	t := tools[pick]
	if len(t.InputSchema) > 0 {
		if _, err := s.cache.schema(string(t.InputSchema)); err != nil {
			return anthBad("tools.%d.input_schema: JSON schema is invalid: %v", pick, err)
		}
		c.schemaRaw = string(t.InputSchema)
		c.toolsRaw -= len(t.InputSchema)
	}
	for i, ti := range tools {
		if ti.Strict == nil || !*ti.Strict || len(ti.InputSchema) == 0 {
			continue
		}
		// Strict tools follow Anthropic's structured-output rules; a
		// schema that breaks one is refused, as the real API does.
		probs, err := dialect.Check(ti.InputSchema, dialect.AnthropicStrict)
		if err != nil {
			return anthBad("tools.%d.input_schema: JSON schema is invalid: %v", i, err)
		}
		if len(probs) > 0 {
			at := probs[0].Pointer
			if at == "" {
				at = "(root)"
			}
			return anthBad("tools.%d.input_schema: schema not supported for strict tool use: at %s: %s", i, at, probs[0].Message)
		}
		if i == pick {
			c.strict = true
		}
	}
	c.tool = t.Name
	return nil
}

func lastCalled(msgs []message, id string) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].role == "assistant" {
			for _, tc := range msgs[i].toolCalls {
				if tc.id == id {
					return true
				}
			}
			return false
		}
	}
	return false
}

// anthDecodeError turns a JSON decoding error into Anthropic's wording.
func anthDecodeError(err error) *anthError {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return anthBad("%s: Input should be %s", te.Field, jsonType(te.Type.String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return anthBad("%s: Extra inputs are not permitted", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return anthBad("There was an error parsing the body of your request: the JSON ended unexpectedly")
	}
	return anthBad("There was an error parsing the body of your request: %s", err.Error())
}

// anthropicAuthorized checks the API key, when one is configured, and the
// anthropic-version header, and answers 401 or 400 as Anthropic does.
func (s *Server) anthropicAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.APIKey != "" && r.Header.Get("x-api-key") != s.cfg.APIKey && r.Header.Get("Authorization") != "Bearer "+s.cfg.APIKey {
		s.anthropicError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		return false
	}
	if r.Header.Get("anthropic-version") == "" {
		s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return false
	}
	return true
}

// parseMessages decodes and validates a Messages request body as POST
// /v1/messages does; it also says whether the request streams.
func (s *Server) parseMessages(body []byte) (*conversation, bool, *anthError) {
	var req messagesRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, false, anthDecodeError(err)
	}
	c, stream, aerr := s.messagesConversation(&req)
	if aerr != nil {
		return nil, false, aerr
	}
	if !s.hasModel(c.model) {
		return nil, false, &anthError{code: http.StatusNotFound, typ: "not_found_error", msg: "model: " + c.model + " (available models: " + s.availableModels() + ")"}
	}
	return c, stream, nil
}

// anthropicMessage writes the reply as a Messages API message.
func anthropicMessage(c *conversation, rep reply, id string, prompt int) anthResponse {
	stop := "end_turn"
	switch {
	case rep.truncated:
		stop = "max_tokens"
	case rep.tool != "":
		stop = "tool_use"
	}
	msg := anthResponse{ID: id, Type: "message", Role: "assistant", Model: c.model,
		StopReason: stop, Usage: anthUsage{InputTokens: prompt, OutputTokens: rep.tokens}}
	var content any
	if rep.tool != "" {
		input := rep.input
		if input == nil {
			input = &extract.Object{}
		}
		content = anthOutBlock{Type: "tool_use", ID: rep.toolID, Name: rep.tool, Input: json.RawMessage(extract.Marshal(input))}
	} else {
		content = anthOutBlock{Type: "text", Text: ptr(rep.text)}
	}
	msg.Content = []any{content}
	return msg
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	n := s.reqSeq.Add(1)
	s.count(func(st *Stats) { st.Requests++ })
	w.Header().Set("request-id", requestID(s.cfg.Seed, n, "req_"))
	if !s.anthropicAuthorized(w, r) {
		return
	}
	body, fits, err := readBody(r, s.maxBody)
	if err != nil {
		return
	}
	if !fits {
		s.anthropicError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
		return
	}
	c, stream, aerr := s.parseMessages(body)
	if aerr != nil {
		s.anthropicError(w, aerr.code, aerr.typ, aerr.msg)
		return
	}
	prompt := c.promptTokens()
	tr, ok := s.gate(w, r, apiAnthropic, n, c.model, prompt, prompt)
	if !ok {
		return
	}
	var counter uint64
	if c.temp > 0 {
		counter = s.sampleSeq.Add(1)
	}
	rep := s.respond(c, 0, counter)
	s.settle(prompt, rep)
	msg := anthropicMessage(c, rep, requestID(s.cfg.Seed, n, "msg_"), prompt)
	if stream {
		s.streamMessages(w, r, msg, rep, tr)
		return
	}
	if d := time.Duration(s.latency.PerToken) * time.Duration(rep.tokens); d > 0 {
		if err := s.clk.Sleep(r.Context(), d); err != nil {
			return
		}
	}
	s.countStatus(http.StatusOK)
	s.log.Debug("sim messages", "request", n, "model", c.model, "faults", len(rep.faults), "stop", msg.StopReason)
	writeJSON(w, http.StatusOK, msg)
}

type anthResponse struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Role         string    `json:"role"`
	Model        string    `json:"model"`
	Content      []any     `json:"content"`
	StopReason   string    `json:"stop_reason"`
	StopSequence *string   `json:"stop_sequence"`
	Usage        anthUsage `json:"usage"`
}

type anthUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

type anthOutBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

// streamMessages streams a message as Anthropic's server-sent events.
func (s *Server) streamMessages(w http.ResponseWriter, r *http.Request, msg anthResponse, rep reply, tr *rand.Rand) {
	s.count(func(st *Stats) { st.Streams++ })
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s.countStatus(http.StatusOK)
	fl, _ := w.(http.Flusher)
	event := func(name string, v any) {
		b, _ := json.Marshal(v)
		buf := make([]byte, 0, len(b)+len(name)+16)
		buf = append(buf, "event: "...)
		buf = append(buf, name...)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, b...)
		buf = append(buf, '\n', '\n')
		_, _ = w.Write(buf)
		if fl != nil {
			fl.Flush()
		}
	}
	startMsg := map[string]any{
		"id": msg.ID, "type": "message", "role": "assistant", "model": msg.Model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": anthUsage{InputTokens: msg.Usage.InputTokens, OutputTokens: 1},
	}
	event("message_start", map[string]any{"type": "message_start", "message": startMsg})
	var text string
	if rep.tool != "" {
		b := msg.Content[0].(anthOutBlock)
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "tool_use", "id": b.ID, "name": b.Name, "input": map[string]any{}}})
		text = string(b.Input)
	} else {
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "text", "text": ""}})
		text = rep.text
	}
	event("ping", map[string]any{"type": "ping"})
	complete := s.streamText(w, r, tr, text, func(p string) {
		delta := map[string]any{"type": "text_delta", "text": p}
		if rep.tool != "" {
			delta = map[string]any{"type": "input_json_delta", "partial_json": p}
		}
		event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": delta})
	})
	if !complete {
		return
	}
	event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	event("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": msg.StopReason, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": msg.Usage.OutputTokens}})
	event("message_stop", map[string]any{"type": "message_stop"})
}
