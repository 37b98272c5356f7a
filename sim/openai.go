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
)

// apiError is OpenAI's error object.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeOpenAIError(w http.ResponseWriter, code int, e apiError) {
	writeJSON(w, code, struct {
		Error apiError `json:"error"`
	}{e})
}

func (s *Server) openAIError(w http.ResponseWriter, code int, e apiError) {
	s.countStatus(code)
	writeOpenAIError(w, code, e)
}

// badRequest is a 400 invalid_request_error.
func badRequest(msg, param, code string) *apiError {
	e := &apiError{Message: msg, Type: "invalid_request_error"}
	if param != "" {
		e.Param = &param
	}
	if code != "" {
		e.Code = &code
	}
	return e
}

// The request body of POST /v1/chat/completions. Every parameter OpenAI
// accepts is declared, so that an unknown one is refused as OpenAI
// refuses it; the simulator reads only those it models.
type chatRequest struct {
	Model               *string         `json:"model"`
	Messages            *[]chatMessage  `json:"messages"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stream              *bool           `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	Stop                json.RawMessage `json:"stop"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	ResponseFormat      *responseFormat `json:"response_format"`
	Tools               []chatTool      `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	Seed                *int64          `json:"seed"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	LogitBias           map[string]any  `json:"logit_bias"`
	Logprobs            *bool           `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	User                *string         `json:"user"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	Functions           json.RawMessage `json:"functions"`
	FunctionCall        json.RawMessage `json:"function_call"`
	ServiceTier         *string         `json:"service_tier"`
	Store               *bool           `json:"store"`
	Metadata            map[string]any  `json:"metadata"`
	ReasoningEffort     *string         `json:"reasoning_effort"`
	Modalities          []string        `json:"modalities"`
	Audio               json.RawMessage `json:"audio"`
	Prediction          json.RawMessage `json:"prediction"`
	PromptCacheKey      *string         `json:"prompt_cache_key"`
	SafetyIdentifier    *string         `json:"safety_identifier"`
	Verbosity           *string         `json:"verbosity"`
	WebSearchOptions    json.RawMessage `json:"web_search_options"`
	Extra               map[string]any  `json:"-"`
}

type streamOptions struct {
	IncludeUsage       bool  `json:"include_usage"`
	IncludeObfuscation *bool `json:"include_obfuscation"`
}

type chatMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	Name         string          `json:"name"`
	ToolCalls    []wireToolCall  `json:"tool_calls"`
	ToolCallID   string          `json:"tool_call_id"`
	Refusal      json.RawMessage `json:"refusal"`
	FunctionCall json.RawMessage `json:"function_call"`
	Audio        json.RawMessage `json:"audio"`
	Annotations  json.RawMessage `json:"annotations"`
}

type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	} `json:"json_schema"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// readBody reads at most limit bytes of the request body.
func readBody(r *http.Request, limit int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	return data, int64(len(data)) <= limit, nil
}

// authorized checks the API key, when one is configured.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.APIKey == "" {
		return true
	}
	if r.Header.Get("Authorization") == "Bearer "+s.cfg.APIKey || r.Header.Get("x-api-key") == s.cfg.APIKey {
		return true
	}
	return false
}

// openAIAuthorized checks the API key and answers 401 as OpenAI does when
// it is missing or wrong.
func (s *Server) openAIAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if s.authorized(r) {
		return true
	}
	msg := "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	if r.Header.Get("Authorization") != "" {
		msg = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
	}
	s.openAIError(w, http.StatusUnauthorized, apiError{Message: msg, Type: "invalid_request_error", Code: ptr("invalid_api_key")})
	return false
}

// decodeError turns a JSON decoding error into OpenAI's wording.
func decodeError(err error) *apiError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		return badRequest(fmt.Sprintf("Invalid type for '%s': expected %s, but got %s instead.", field, jsonType(te.Type.String()), te.Value), field, "invalid_type")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", "")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("Unrecognized request argument supplied: "+name, "", "")
	}
	return badRequest("We could not parse the JSON body of your request: "+err.Error(), "", "")
}

func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "float"):
		return "a decimal"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	case strings.HasPrefix(goType, "[]") || strings.Contains(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// contentText reads a message's content: a string, null, or an array of
// parts whose text parts are joined.
func contentText(raw json.RawMessage, param string) (string, bool, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, decodeError(err)
		}
		return s, true, nil
	case '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", false, badRequest(fmt.Sprintf("Invalid type for '%s': expected one of a string or array of objects.", param), param, "invalid_type")
		}
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(p.Text)
			}
		}
		return b.String(), true, nil
	}
	return "", false, badRequest(fmt.Sprintf("Invalid type for '%s': expected one of a string or array of objects, but got %s instead.", param, jsonKind(raw)), param, "invalid_type")
}

func jsonKind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '[':
		return "an array"
	}
	return "a number"
}

// chatParams is a validated chat request: the conversation and how to
// answer it.
type chatParams struct {
	conv         *conversation
	stream       bool
	includeUsage bool
	n            int
}

// chatConversation validates a chat request as OpenAI does and turns it
// into a conversation: the sampling parameters, the messages, the
// response format and the tools, each checked in that order.
func (s *Server) chatConversation(req *chatRequest) (chatParams, *apiError) {
	if req.Model == nil || *req.Model == "" {
		return chatParams{}, badRequest("you must provide a model parameter", "", "")
	}
	if req.Messages == nil {
		return chatParams{}, badRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
	}
	if len(*req.Messages) == 0 {
		return chatParams{}, badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array")
	}
	p, aerr := chatSampling(req)
	if aerr != nil {
		return chatParams{}, aerr
	}
	c := p.conv
	if c.msgs, aerr = chatMessages(*req.Messages); aerr != nil {
		return chatParams{}, aerr
	}
	if aerr := s.chatResponseFormat(c, req.ResponseFormat); aerr != nil {
		return chatParams{}, aerr
	}
	if aerr := s.chatTools(c, req.Tools, req.ToolChoice); aerr != nil {
		return chatParams{}, aerr
	}
	return p, nil
}

// chatSampling reads how a chat request is to be answered: temperature,
// n, the token limit, streaming, the seed and the stop sequences.
func chatSampling(req *chatRequest) (chatParams, *apiError) {
	c := &conversation{model: *req.Model, temp: 1}
	if t := req.Temperature; t != nil {
		if *t < 0 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got %v instead.", *t), "temperature", "decimal_below_min_value")
		}
		if *t > 2 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got %v instead.", *t), "temperature", "decimal_above_max_value")
		}
		c.temp = *t
	}
	n := 1
	if req.N != nil {
		n = *req.N
		if n < 1 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid 'n': integer below minimum value. Expected a value >= 1, but got %d instead.", n), "n", "integer_below_min_value")
		}
		if n > 128 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid 'n': integer above maximum value. Expected a value <= 128, but got %d instead.", n), "n", "integer_above_max_value")
		}
	}
	for _, mt := range []struct {
		v    *int
		name string
	}{{req.MaxTokens, "max_tokens"}, {req.MaxCompletionTokens, "max_completion_tokens"}} {
		if mt.v == nil {
			continue
		}
		if *mt.v < 1 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid '%s': integer below minimum value. Expected a value >= 1, but got %d instead.", mt.name, *mt.v), mt.name, "integer_below_min_value")
		}
		c.maxTokens = *mt.v
	}
	stream := req.Stream != nil && *req.Stream
	if req.StreamOptions != nil && !stream {
		return chatParams{}, badRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", "")
	}
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	c.seed = req.Seed
	if len(req.Stop) > 0 && string(req.Stop) != "null" {
		var one string
		if err := json.Unmarshal(req.Stop, &one); err == nil {
			c.stop = []string{one}
		} else if err := json.Unmarshal(req.Stop, &c.stop); err != nil {
			return chatParams{}, badRequest("Invalid type for 'stop': expected one of a string or array of strings.", "stop", "invalid_type")
		}
		if len(c.stop) > 4 {
			return chatParams{}, badRequest(fmt.Sprintf("Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length %d instead.", len(c.stop)), "stop", "array_above_max_length")
		}
	}
	return chatParams{conv: c, stream: stream, includeUsage: includeUsage, n: n}, nil
}

// chatMessages checks a chat request's messages — roles, content, and
// every tool call answered by a tool message before the next turn — and
// turns them into the conversation's.
func chatMessages(msgs []chatMessage) ([]message, *apiError) {
	var out []message
	pending := map[string]int{} // tool_call_id -> index of its assistant message
	var order []string
	for i, m := range msgs {
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool", "function":
		case "":
			return nil, badRequest(fmt.Sprintf("Missing required parameter: '%s.role'.", param), param+".role", "missing_required_parameter")
		default:
			return nil, badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role), param+".role", "invalid_value")
		}
		if m.Role != "tool" && len(pending) > 0 {
			return nil, unansweredCalls(pending, order)
		}
		text, present, aerr := contentText(m.Content, param+".content")
		if aerr != nil {
			return nil, aerr
		}
		if aerr := checkChatContent(m, i, present, pending); aerr != nil {
			return nil, aerr
		}
		if m.Role == "tool" {
			delete(pending, m.ToolCallID)
		}
		role := m.Role
		if role == "developer" {
			role = "system"
		}
		msg := message{role: role, text: text, toolID: m.ToolCallID}
		if m.Role == "assistant" {
			for _, tc := range m.ToolCalls {
				if tc.ID == "" {
					return nil, badRequest(fmt.Sprintf("Missing required parameter: '%s.tool_calls[0].id'.", param), param+".tool_calls[0].id", "missing_required_parameter")
				}
				pending[tc.ID] = i
				order = append(order, tc.ID)
				msg.toolCalls = append(msg.toolCalls, toolCall{id: tc.ID, name: tc.Function.Name, args: tc.Function.Arguments})
			}
		}
		out = append(out, msg)
	}
	if len(pending) > 0 {
		return nil, unansweredCalls(pending, order)
	}
	return out, nil
}

// checkChatContent checks what message i of a chat request must hold for
// its role: content (present says it has some), a tool call, or the id of
// a pending tool call it answers.
func checkChatContent(m chatMessage, i int, present bool, pending map[string]int) *apiError {
	param := fmt.Sprintf("messages[%d]", i)
	switch m.Role {
	case "system", "developer", "user":
		if !present {
			return badRequest(fmt.Sprintf("Missing required parameter: '%s.content'.", param), param+".content", "missing_required_parameter")
		}
	case "assistant":
		if !present && len(m.ToolCalls) == 0 && len(m.FunctionCall) == 0 {
			return badRequest(fmt.Sprintf("Invalid value for '%s.content': expected a string, got null.", param), param+".content", "")
		}
	case "tool":
		if m.ToolCallID == "" {
			return badRequest(fmt.Sprintf("Missing required parameter: '%s.tool_call_id'.", param), param+".tool_call_id", "missing_required_parameter")
		}
		if _, ok := pending[m.ToolCallID]; !ok {
			return badRequest("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", fmt.Sprintf("messages.[%d].role", i), "")
		}
	}
	return nil
}

// chatResponseFormat checks a chat request's response_format and sets the
// conversation's format and, for json_schema, its schema.
func (s *Server) chatResponseFormat(c *conversation, rf *responseFormat) *apiError {
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "text", "":
		if rf.Type == "" {
			return badRequest("Missing required parameter: 'response_format.type'.", "response_format.type", "missing_required_parameter")
		}
	case "json_object":
		if !mentionsJSON(c.msgs) {
			return badRequest("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", "messages", "")
		}
	case "json_schema":
		js := rf.JSONSchema
		if js == nil {
			return badRequest("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema", "missing_required_parameter")
		}
		if js.Name == "" {
			return badRequest("Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name", "missing_required_parameter")
		}
		c.schemaName = js.Name
		c.strict = js.Strict != nil && *js.Strict
		if len(js.Schema) > 0 {
			if aerr := s.checkSchema(js.Schema, c.strict, fmt.Sprintf("response_format '%s'", js.Name), "response_format"); aerr != nil {
				return aerr
			}
			c.schemaRaw = string(js.Schema)
		}
	default:
		return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'json_object', 'json_schema', and 'text'.", rf.Type), "response_format.type", "invalid_value")
	}
	c.format = rf.Type
	return nil
}

// chatTools checks a chat request's tools and tool_choice and, unless the
// choice is "none", makes the conversation answer with a call to the tool
// named (or the first), whose parameters become its schema.
func (s *Server) chatTools(c *conversation, tools []chatTool, toolChoice json.RawMessage) *apiError {
	choice, named, aerr := chatToolChoice(toolChoice, len(tools) > 0)
	if aerr != nil {
		return aerr
	}
	for i, t := range tools {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return badRequest(fmt.Sprintf("Missing required parameter: 'tools[%d].function.name'.", i), fmt.Sprintf("tools[%d].function.name", i), "missing_required_parameter")
		}
		c.toolsRaw += len(t.Function.Name) + len(t.Function.Description) + len(t.Function.Parameters)
	}
	if len(tools) == 0 || choice == "none" {
		return nil
	}
	pick := -1
	for i, t := range tools {
		if named == "" || t.Function.Name == named {
			pick = i
			break
		}
	}
	if pick < 0 {
		return badRequest(fmt.Sprintf("Invalid value for 'tool_choice': function '%s' not found in 'tools'.", named), "tool_choice", "")
	}
	f := tools[pick].Function
	c.tool = f.Name
	c.strict = f.Strict != nil && *f.Strict
	params := f.Parameters
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage(`{"type":"object","properties":{}}`)
	}
	if aerr := s.checkSchema(params, c.strict, fmt.Sprintf("function '%s'", f.Name), fmt.Sprintf("tools[%d].function.parameters", pick)); aerr != nil {
		return aerr
	}
	c.schemaRaw = string(params)
	c.toolsRaw -= len(params)
	return nil
}

// chatToolChoice reads tool_choice: "none", "auto", "required", or
// "function" with the function named.
func chatToolChoice(raw json.RawMessage, haveTools bool) (choice, named string, aerr *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", "", nil
	}
	if err := json.Unmarshal(raw, &choice); err != nil {
		var obj struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
			return "", "", badRequest("Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or an object naming a function.", "tool_choice", "invalid_value")
		}
		choice, named = "function", obj.Function.Name
	} else if choice != "none" && choice != "auto" && choice != "required" {
		return "", "", badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'none', 'auto', and 'required'.", choice), "tool_choice", "invalid_value")
	}
	if !haveTools && choice != "none" {
		return "", "", badRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice", "")
	}
	return choice, named, nil
}

func unansweredCalls(pending map[string]int, order []string) *apiError {
	var ids []string
	at := -1
	for _, id := range order {
		if i, ok := pending[id]; ok {
			ids = append(ids, id)
			if at < 0 {
				at = i
			}
		}
	}
	return badRequest("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: "+strings.Join(ids, ", "),
		fmt.Sprintf("messages.[%d].role", at+1), "")
}

func mentionsJSON(msgs []message) bool {
	for _, m := range msgs {
		if strings.Contains(strings.ToLower(m.text), "json") {
			return true
		}
	}
	return false
}

// checkSchema parses a schema sent in the request and, in strict mode,
// applies OpenAI's structured-output rules as OpenAI documents them
// (dialect.Check): a strict schema that breaks one is refused with 400
// invalid_json_schema, in OpenAI's words, as the real API does.
func (s *Server) checkSchema(raw json.RawMessage, strict bool, what, param string) *apiError {
	if _, err := s.cache.schema(string(raw)); err != nil {
		return badRequest(fmt.Sprintf("Invalid schema for %s: %v.", what, err), param, "invalid_json_schema")
	}
	if strict {
		if msg := openAIStrictProblem(raw); msg != "" {
			return badRequest(fmt.Sprintf("Invalid schema for %s: %s", what, msg), param, "invalid_json_schema")
		}
	}
	return nil
}

// openAIStrictProblem returns the first rule of OpenAI's strict structured
// outputs that the schema breaks, as OpenAI words it ("In
// context=('properties', 'a'), 'additionalProperties' is required to be
// supplied and to be false."), or "".
func openAIStrictProblem(raw json.RawMessage) string {
	probs, err := dialect.Check(raw, dialect.OpenAIStrict)
	if err != nil {
		return err.Error()
	}
	if len(probs) == 0 {
		return ""
	}
	p := probs[0]
	if p.Pointer == "" && strings.HasPrefix(p.Message, "schema must be a JSON Schema of") {
		return p.Message
	}
	return "In context=" + p.Context() + ", " + p.Message
}

// ---- the handler ----

// openAIRequest numbers a request to an OpenAI endpoint, sets OpenAI's
// headers, checks the key and reads the body; it returns false when it has
// answered the request itself.
func (s *Server) openAIRequest(w http.ResponseWriter, r *http.Request) (uint64, []byte, bool) {
	n := s.reqSeq.Add(1)
	s.count(func(st *Stats) { st.Requests++ })
	w.Header().Set("x-request-id", requestID(s.cfg.Seed, n, "req_"))
	w.Header().Set("openai-processing-ms", "0")
	if !s.openAIAuthorized(w, r) {
		return n, nil, false
	}
	body, fits, err := readBody(r, s.maxBody)
	if err != nil {
		return n, nil, false
	}
	if !fits {
		s.openAIError(w, http.StatusRequestEntityTooLarge, *badRequest(fmt.Sprintf("Request body too large: the limit is %d bytes.", s.maxBody), "", ""))
		return n, nil, false
	}
	return n, body, true
}

// parseChat decodes and validates a chat request body as POST
// /v1/chat/completions does; a refused request gets the status and the
// error the endpoint answers with.
func (s *Server) parseChat(body []byte) (chatParams, int, *apiError) {
	var req chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return chatParams{}, http.StatusBadRequest, decodeError(err)
	}
	params, aerr := s.chatConversation(&req)
	if aerr != nil {
		return chatParams{}, http.StatusBadRequest, aerr
	}
	if m := params.conv.model; !s.hasModel(m) {
		return chatParams{}, http.StatusNotFound, &apiError{Message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it. Available models: %s.", m, s.availableModels()),
			Type: "invalid_request_error", Code: ptr("model_not_found")}
	}
	return params, 0, nil
}

// chatReplies answers a chat request's n choices; counter is its sampling
// counter.
func (s *Server) chatReplies(c *conversation, n int, counter uint64) []reply {
	reps := make([]reply, n)
	for i := range reps {
		reps[i] = s.respond(c, i, counter)
	}
	return reps
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	n, body, ok := s.openAIRequest(w, r)
	if !ok {
		return
	}
	params, code, aerr := s.parseChat(body)
	if aerr != nil {
		s.openAIError(w, code, *aerr)
		return
	}
	c := params.conv
	prompt := c.promptTokens()
	tr, ok := s.gate(w, r, apiOpenAI, n, c.model, prompt, prompt+c.maxTokens)
	if !ok {
		return
	}
	var counter uint64
	if c.temp > 0 {
		counter = s.sampleSeq.Add(1)
	}
	reps := s.chatReplies(c, params.n, counter)
	now, completion := s.settle(prompt, reps...)
	id := requestID(s.cfg.Seed, n, "chatcmpl-")
	created := now.Unix()
	usage := chatUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
	if params.stream {
		s.streamChat(w, r, c, reps, tr, id, created, usage, params.includeUsage)
		return
	}
	if d := time.Duration(s.latency.PerToken) * time.Duration(completion); d > 0 {
		if err := s.clk.Sleep(r.Context(), d); err != nil {
			return
		}
	}
	resp := chatCompletion(c, reps, id, created, usage)
	s.countStatus(http.StatusOK)
	s.log.Debug("sim chat", "request", n, "model", c.model, "faults", len(reps[0].faults), "finish", reps[0].finish)
	writeJSON(w, http.StatusOK, resp)
}

// chatCompletion writes the replies as a chat completion object.
func chatCompletion(c *conversation, reps []reply, id string, created int64, usage chatUsage) chatResponse {
	resp := chatResponse{ID: id, Object: "chat.completion", Created: created, Model: c.model,
		Usage: &usage, ServiceTier: "default", SystemFingerprint: "fp_sim"}
	for i, rep := range reps {
		ch := chatChoice{Index: i, FinishReason: rep.finish, Message: chatOutMessage{Role: "assistant", Annotations: []any{}}}
		if rep.tool != "" {
			tc := wireToolCall{ID: rep.toolID, Type: "function"}
			tc.Function.Name = rep.tool
			tc.Function.Arguments = rep.text
			ch.Message.ToolCalls = []wireToolCall{tc}
		} else {
			ch.Message.Content = &reps[i].text
		}
		resp.Choices = append(resp.Choices, ch)
	}
	return resp
}

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []chatChoice `json:"choices"`
	Usage             *chatUsage   `json:"usage"`
	ServiceTier       string       `json:"service_tier,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint"`
}

type chatChoice struct {
	Index        int            `json:"index"`
	Message      chatOutMessage `json:"message"`
	Logprobs     *struct{}      `json:"logprobs"`
	FinishReason string         `json:"finish_reason"`
}

type chatOutMessage struct {
	Role        string         `json:"role"`
	Content     *string        `json:"content"`
	Refusal     *string        `json:"refusal"`
	ToolCalls   []wireToolCall `json:"tool_calls,omitempty"`
	Annotations []any          `json:"annotations"`
}

// ---- streaming ----

type chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	Usage             *chatUsage    `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	Logprobs     *struct{}  `json:"logprobs"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	Refusal   *string        `json:"refusal,omitempty"`
	ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
}

// sse writes Server-Sent Events and flushes each.
type sse struct {
	w  http.ResponseWriter
	fl http.Flusher
}

func (e sse) data(v any) {
	b, _ := json.Marshal(v)
	e.raw(b)
}

func (e sse) raw(b []byte) {
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, '\n', '\n')
	_, _ = e.w.Write(buf)
	if e.fl != nil {
		e.fl.Flush()
	}
}

// pieces splits text into chunks of about size bytes, on rune boundaries.
func pieces(text string, size int) []string {
	var out []string
	for len(text) > 0 {
		n := min(size, len(text))
		for n < len(text) && text[n]&0xC0 == 0x80 {
			n++
		}
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

// streamText sends text in pieces of the profile's size with the
// stream's faults — a crawl between pieces, a connection cut part way — and
// reports whether it sent every piece.
func (s *Server) streamText(w http.ResponseWriter, r *http.Request, tr *rand.Rand, text string, send func(piece string)) bool {
	plan := s.streamDecision(tr)
	text = plan.corrupt(text)
	sent := 0
	pace := s.pacer(plan.delay)
	for _, p := range pieces(text, plan.size) {
		if err := pace(r.Context()); err != nil {
			return false
		}
		if float64(sent)/float64(len(text)) >= plan.cutAt {
			s.cut(w, plan)
			return false
		}
		sent += len(p)
		send(p)
	}
	return true
}

func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, c *conversation, reps []reply, tr *rand.Rand, id string, created int64, usage chatUsage, includeUsage bool) {
	s.count(func(st *Stats) { st.Streams++ })
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	s.countStatus(http.StatusOK)
	fl, _ := w.(http.Flusher)
	ev := sse{w: w, fl: fl}
	plan := s.streamDecision(tr)
	base := chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: c.model, ServiceTier: "default", SystemFingerprint: "fp_sim"}
	emit := func(ch chunkChoice) {
		k := base
		k.Choices = []chunkChoice{ch}
		if includeUsage {
			ev.raw(withNullUsage(k))
			return
		}
		ev.data(k)
	}
	total := 0
	texts := make([]string, len(reps))
	for i, rep := range reps {
		texts[i] = plan.corrupt(rep.text)
		total += len(texts[i])
	}
	sent := 0
	pace := s.pacer(plan.delay)
	for i, rep := range reps {
		first := chunkChoice{Index: i, Delta: chunkDelta{Role: "assistant"}}
		if rep.tool != "" {
			tc := wireToolCall{Index: ptr(0), ID: rep.toolID, Type: "function"}
			tc.Function.Name = rep.tool
			first.Delta.ToolCalls = []wireToolCall{tc}
		} else {
			first.Delta.Content = ptr("")
			first.Delta.Refusal = nil
		}
		emit(first)
		for _, p := range pieces(texts[i], plan.size) {
			if err := pace(r.Context()); err != nil {
				return
			}
			if total > 0 && float64(sent)/float64(total) >= plan.cutAt {
				s.cut(w, plan)
				return
			}
			sent += len(p)
			ch := chunkChoice{Index: i}
			if rep.tool != "" {
				tc := wireToolCall{Index: ptr(0)}
				tc.Function.Arguments = p
				ch.Delta.ToolCalls = []wireToolCall{tc}
			} else {
				ch.Delta.Content = ptr(p)
			}
			emit(ch)
		}
		emit(chunkChoice{Index: i, FinishReason: ptr(rep.finish)})
	}
	if includeUsage {
		k := base
		k.Choices = []chunkChoice{}
		k.Usage = &usage
		ev.data(k)
	}
	ev.raw([]byte("[DONE]"))
}

// withNullUsage writes a chunk with "usage": null, as OpenAI does on every
// chunk but the last when include_usage is set.
func withNullUsage(k chunk) []byte {
	b, _ := json.Marshal(k)
	if len(b) > 0 && b[len(b)-1] == '}' {
		b = append(b[:len(b)-1], `,"usage":null}`...)
	}
	return b
}
