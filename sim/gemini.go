package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask/sim/extract"
)

// Google's Gemini API: POST /v1beta/models/{model}:generateContent (and
// under /v1 and /v1alpha), the key in x-goog-api-key or ?key=. Errors are
// google.rpc.Status objects: {"error": {"code", "message", "status",
// "details"}}.

// geminiRoots are the API versions the simulator serves Gemini's methods
// under.
var geminiRoots = []string{"/v1beta/models/", "/v1alpha/models/", "/v1/models/"}

// geminiMethods are the methods of Gemini's models; the simulator serves
// generateContent and answers the others 404.
var geminiMethods = []string{"generateContent", "streamGenerateContent", "countTokens", "embedContent",
	"batchEmbedContents", "batchGenerateContent"}

// geminiMethod splits a path of Gemini's model methods into the model
// and the method ("gemini-2.5-flash", "generateContent"); ok is false for
// any other path, such as OpenAI's GET /v1/models/{id}, whose id may hold
// a colon ("ft:gpt-4o-mini:org::id") but names no Gemini method.
func geminiMethod(path string) (model, method string, ok bool) {
	for _, root := range geminiRoots {
		if rest, found := strings.CutPrefix(path, root); found {
			model, method, ok = strings.Cut(rest, ":")
			return model, method, ok && model != "" && !strings.Contains(model, "/") && slices.Contains(geminiMethods, method)
		}
	}
	return "", "", false
}

func isGeminiPath(path string) bool {
	_, _, ok := geminiMethod(path)
	return ok
}

// geminiErr is an error answer of the Gemini API.
type geminiErr struct {
	code    int
	status  string
	msg     string
	details []any
}

func geminiBad(format string, args ...any) *geminiErr {
	return &geminiErr{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", msg: fmt.Sprintf(format, args...)}
}

func (s *Server) geminiError(w http.ResponseWriter, e *geminiErr) {
	s.countStatus(e.code)
	body := map[string]any{"code": e.code, "message": e.msg, "status": e.status}
	if len(e.details) > 0 {
		body["details"] = e.details
	}
	writeJSON(w, e.code, map[string]any{"error": body})
}

// The request body of generateContent. Every field the API takes is
// declared, so that an unknown one is refused as Google's APIs refuse it;
// the simulator reads only those it models.
type generateRequest struct {
	Model             *string           `json:"model"`
	Contents          *[]geminiContent  `json:"contents"`
	SystemInstruction *geminiContent    `json:"systemInstruction"`
	Tools             []geminiTool      `json:"tools"`
	ToolConfig        *geminiToolConfig `json:"toolConfig"`
	SafetySettings    json.RawMessage   `json:"safetySettings"`
	GenerationConfig  *geminiGenConfig  `json:"generationConfig"`
	CachedContent     *string           `json:"cachedContent"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiPart struct {
	Text                *string                 `json:"text"`
	Thought             *bool                   `json:"thought"`
	ThoughtSignature    string                  `json:"thoughtSignature"`
	InlineData          json.RawMessage         `json:"inlineData"`
	FileData            json.RawMessage         `json:"fileData"`
	FunctionCall        *geminiFunctionCall     `json:"functionCall"`
	FunctionResponse    *geminiFunctionResponse `json:"functionResponse"`
	ExecutableCode      json.RawMessage         `json:"executableCode"`
	CodeExecutionResult json.RawMessage         `json:"codeExecutionResult"`
	VideoMetadata       json.RawMessage         `json:"videoMetadata"`
}

type geminiFunctionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type geminiFunctionResponse struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Response     json.RawMessage `json:"response"`
	WillContinue *bool           `json:"willContinue"`
	Scheduling   *string         `json:"scheduling"`
	Parts        json.RawMessage `json:"parts"`
}

type geminiTool struct {
	FunctionDeclarations  []geminiFunctionDecl `json:"functionDeclarations"`
	GoogleSearch          json.RawMessage      `json:"googleSearch"`
	GoogleSearchRetrieval json.RawMessage      `json:"googleSearchRetrieval"`
	CodeExecution         json.RawMessage      `json:"codeExecution"`
	URLContext            json.RawMessage      `json:"urlContext"`
}

type geminiFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Parameters           json.RawMessage `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	Response             json.RawMessage `json:"response"`
	ResponseJSONSchema   json.RawMessage `json:"responseJsonSchema"`
	Behavior             string          `json:"behavior"`
}

type geminiToolConfig struct {
	FunctionCallingConfig *struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames"`
	} `json:"functionCallingConfig"`
	RetrievalConfig json.RawMessage `json:"retrievalConfig"`
}

type geminiGenConfig struct {
	StopSequences              []string        `json:"stopSequences"`
	ResponseMimeType           string          `json:"responseMimeType"`
	ResponseSchema             json.RawMessage `json:"responseSchema"`
	ResponseJSONSchema         json.RawMessage `json:"responseJsonSchema"`
	ResponseModalities         []string        `json:"responseModalities"`
	CandidateCount             *int            `json:"candidateCount"`
	MaxOutputTokens            *int            `json:"maxOutputTokens"`
	Temperature                *float64        `json:"temperature"`
	TopP                       *float64        `json:"topP"`
	TopK                       *float64        `json:"topK"`
	Seed                       *int64          `json:"seed"`
	PresencePenalty            *float64        `json:"presencePenalty"`
	FrequencyPenalty           *float64        `json:"frequencyPenalty"`
	ResponseLogprobs           *bool           `json:"responseLogprobs"`
	Logprobs                   *int            `json:"logprobs"`
	EnableEnhancedCivicAnswers *bool           `json:"enableEnhancedCivicAnswers"`
	SpeechConfig               json.RawMessage `json:"speechConfig"`
	ThinkingConfig             json.RawMessage `json:"thinkingConfig"`
	ImageConfig                json.RawMessage `json:"imageConfig"`
	MediaResolution            *string         `json:"mediaResolution"`
}

// geminiMaxCandidates is the most candidates one request may ask for.
const geminiMaxCandidates = 8

// geminiAuthorized checks the API key, when one is configured, and
// answers as Google does: 403 without a key, 400 API_KEY_INVALID with a
// wrong one.
func (s *Server) geminiAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.APIKey == "" {
		return true
	}
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	switch key {
	case s.cfg.APIKey:
		return true
	case "":
		s.geminiError(w, &geminiErr{code: http.StatusForbidden, status: "PERMISSION_DENIED",
			msg: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."})
	default:
		s.geminiError(w, &geminiErr{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", msg: "API key not valid. Please pass a valid API key.",
			details: []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
				"domain": "googleapis.com", "metadata": map[string]string{"service": "generativelanguage.googleapis.com"}}}})
	}
	return false
}

// geminiModels serves POST {version}/models/{model}:{method}: the
// generateContent method; any other is not found.
func (s *Server) geminiModels(w http.ResponseWriter, r *http.Request, model, method string) {
	if method != "generateContent" || r.Method != http.MethodPost {
		s.count(func(st *Stats) { st.Requests++ })
		s.geminiError(w, &geminiErr{code: http.StatusNotFound, status: "NOT_FOUND", msg: "Method not found."})
		return
	}
	s.generateContent(w, r, model)
}

func (s *Server) generateContent(w http.ResponseWriter, r *http.Request, model string) {
	n := s.reqSeq.Add(1)
	s.count(func(st *Stats) { st.Requests++ })
	if !s.geminiAuthorized(w, r) {
		return
	}
	body, fits, err := readBody(r, s.maxBody)
	if err != nil {
		return
	}
	if !fits {
		s.geminiError(w, geminiBad("Request payload size exceeds the limit: %d bytes.", s.maxBody))
		return
	}
	c, candidates, gerr := s.parseGenerate(body, model)
	if gerr != nil {
		s.geminiError(w, gerr)
		return
	}
	prompt := c.promptTokens()
	if _, ok := s.gate(w, r, apiGemini, n, c.model, prompt, prompt+c.maxTokens); !ok {
		return
	}
	var counter uint64
	if c.temp > 0 {
		counter = s.sampleSeq.Add(1)
	}
	reps := s.chatReplies(c, candidates, counter)
	_, completion := s.settle(prompt, reps...)
	if d := time.Duration(s.latency.PerToken) * time.Duration(completion); d > 0 {
		if err := s.clk.Sleep(r.Context(), d); err != nil {
			return
		}
	}
	resp := geminiAnswer(c, reps, requestID(s.cfg.Seed, n, ""), prompt, completion)
	s.countStatus(http.StatusOK)
	s.log.Debug("sim generateContent", "request", n, "model", c.model, "faults", len(reps[0].faults), "finish", resp.Candidates[0].FinishReason)
	writeJSON(w, http.StatusOK, resp)
}

// parseGenerate decodes and validates a generateContent body as the API
// does; it returns the conversation and how many candidates to answer.
func (s *Server) parseGenerate(body []byte, model string) (*conversation, int, *geminiErr) {
	body = camelKeys(body)
	var req generateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, 0, geminiDecodeError(err)
	}
	c, n, gerr := s.geminiConversation(&req, model)
	if gerr != nil {
		return nil, 0, gerr
	}
	if !s.hasModel(c.model) {
		return nil, 0, &geminiErr{code: http.StatusNotFound, status: "NOT_FOUND",
			msg: "models/" + c.model + " is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."}
	}
	return c, n, nil
}

// geminiDecodeError words a JSON decoding error as Google's APIs do.
func geminiDecodeError(err error) *geminiErr {
	var te *json.UnmarshalTypeError
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return geminiBad("Invalid JSON payload received. Unknown name %q: Cannot find field.", name)
	case errors.As(err, &te):
		return geminiBad("Invalid JSON payload received. Unknown name %q: Proto field is not repeating, cannot start list.", te.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return geminiBad("Invalid JSON payload received. Unexpected end of string. Expected a value.")
	}
	return geminiBad("Invalid JSON payload received. %s", err.Error())
}

// geminiConversation checks a generateContent request — the generation
// config, the system instruction, the contents and the tools, in that
// order — and turns it into a conversation.
func (s *Server) geminiConversation(req *generateRequest, model string) (*conversation, int, *geminiErr) {
	model = strings.TrimPrefix(model, "models/")
	c := &conversation{model: model, temp: 1, gemini: true}
	n, gerr := s.geminiGeneration(c, req.GenerationConfig)
	if gerr != nil {
		return nil, 0, gerr
	}
	if si := req.SystemInstruction; si != nil {
		for _, p := range si.Parts {
			if p.Text != nil {
				c.msgs = append(c.msgs, message{role: "system", text: *p.Text})
			}
		}
	}
	if req.Contents == nil || len(*req.Contents) == 0 {
		return nil, 0, geminiBad("* GenerateContentRequest.contents: contents is not specified\n")
	}
	msgs, gerr := geminiMessages(c.msgs, *req.Contents, strings.HasPrefix(model, "gemini-3"))
	if gerr != nil {
		return nil, 0, gerr
	}
	c.msgs = msgs
	if gerr := s.geminiTools(c, req.Tools, req.ToolConfig); gerr != nil {
		return nil, 0, gerr
	}
	return c, n, nil
}

// geminiGeneration reads generationConfig: sampling, limits and the
// response's MIME type and schema.
func (s *Server) geminiGeneration(c *conversation, g *geminiGenConfig) (int, *geminiErr) {
	if g == nil {
		return 1, nil
	}
	const at = "* GenerateContentRequest.generation_config."
	if t := g.Temperature; t != nil {
		if *t < 0 || *t > 2 {
			return 0, geminiBad("%stemperature: must be in the range [0.0, 2.0]\n", at)
		}
		c.temp = *t
	}
	if m := g.MaxOutputTokens; m != nil {
		if *m < 1 {
			return 0, geminiBad("%smax_output_tokens: must be positive\n", at)
		}
		c.maxTokens = *m
	}
	n := 1
	if g.CandidateCount != nil {
		n = *g.CandidateCount
		if n < 1 || n > geminiMaxCandidates {
			return 0, geminiBad("%scandidate_count: must be in the range [1, %d]\n", at, geminiMaxCandidates)
		}
	}
	if len(g.StopSequences) > 5 {
		return 0, geminiBad("%sstop_sequences: at most 5 stop sequences are allowed\n", at)
	}
	c.stop = g.StopSequences
	c.seed = g.Seed
	switch g.ResponseMimeType {
	case "", "text/plain", "application/json", "text/x.enum":
	default:
		return 0, geminiBad("%sresponse_mime_type: allowed mimetypes are `text/plain`, `application/json` and `text/x.enum`.\n", at)
	}
	hasLegacy, hasJSON := len(g.ResponseSchema) > 0, len(g.ResponseJSONSchema) > 0
	if hasLegacy && hasJSON {
		return 0, geminiBad("%sresponse_schema: response_schema and response_json_schema cannot both be set.\n", at)
	}
	if (hasLegacy || hasJSON) && g.ResponseMimeType != "application/json" && g.ResponseMimeType != "text/x.enum" {
		return 0, geminiBad("%sresponse_mime_type: must be application/json or text/x.enum when a response schema is set.\n", at)
	}
	if g.ResponseMimeType == "application/json" {
		c.format = "json_object"
	}
	switch {
	case hasLegacy:
		raw, gerr := legacySchema(g.ResponseSchema, "generation_config.response_schema")
		if gerr != nil {
			return 0, gerr
		}
		c.schemaRaw = raw
	case hasJSON:
		if _, err := s.cache.schema(string(g.ResponseJSONSchema)); err != nil {
			return 0, geminiBad("%sresponse_json_schema: invalid JSON schema: %v\n", at, err)
		}
		c.schemaRaw = string(g.ResponseJSONSchema)
	}
	if c.schemaRaw != "" {
		c.format = "json_schema"
		c.schemaName = "response"
	}
	return n, nil
}

// geminiMessages checks the contents — roles, parts, every function call
// turn answered by a user turn with as many function responses — and
// appends them to msgs. With signatures (Gemini 3 models), every function
// call of the current turn (after the last user text) must carry the
// thoughtSignature it was answered with.
func geminiMessages(msgs []message, contents []geminiContent, signatures bool) ([]message, *geminiErr) {
	lastText := -1
	for i, ct := range contents {
		if ct.Role != "model" && slices.ContainsFunc(ct.Parts, func(p geminiPart) bool { return p.Text != nil }) {
			lastText = i
		}
	}
	pendingCalls := 0 // function calls of the previous model turn
	for i, ct := range contents {
		where := fmt.Sprintf("* GenerateContentRequest.contents[%d]", i)
		role := ct.Role
		if role == "" {
			role = "user"
		}
		if role != "user" && role != "model" {
			return nil, geminiBad("Please use a valid role: user, model.")
		}
		if len(ct.Parts) == 0 {
			return nil, geminiBad("%s.parts: contents.parts must not be empty.\n", where)
		}
		calls, responses := 0, 0
		msg := message{role: "assistant"}
		var text []string
		for j, p := range ct.Parts {
			switch {
			case p.FunctionCall != nil:
				if role != "model" {
					return nil, geminiBad("Please ensure that function call turn comes immediately after a user turn or after a function response turn.")
				}
				fc := p.FunctionCall
				if fc.Name == "" {
					return nil, geminiBad("%s.parts[%d].function_call.name: Name cannot be empty.\n", where, j)
				}
				if signatures && i > lastText {
					if p.ThoughtSignature == "" {
						return nil, geminiBad("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `%s` , position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.", fc.Name, j+1)
					}
					if !validSignature(p.ThoughtSignature) {
						return nil, geminiBad("Corrupted thought signature.")
					}
				}
				calls++
				id := fc.ID
				if id == "" {
					id = fc.Name
				}
				msg.toolCalls = append(msg.toolCalls, toolCall{id: id, name: fc.Name, args: compactJSON(fc.Args)})
			case p.FunctionResponse != nil:
				if role != "user" || pendingCalls == 0 {
					return nil, geminiBad("Please ensure that function response turn comes immediately after a function call turn.")
				}
				fr := p.FunctionResponse
				responses++
				id := fr.ID
				if id == "" {
					id = fr.Name
				}
				msgs = append(msgs, message{role: "tool", text: responseText(fr.Response), toolID: id})
			case p.Text != nil:
				if p.Thought != nil && *p.Thought {
					continue
				}
				text = append(text, *p.Text)
			case p.InlineData != nil || p.FileData != nil || p.ExecutableCode != nil || p.CodeExecutionResult != nil:
			default:
				return nil, geminiBad("%s.parts[%d].data: required oneof field 'data' must have one initialized field\n", where, j)
			}
		}
		if pendingCalls > 0 && responses != pendingCalls {
			return nil, geminiBad("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.")
		}
		pendingCalls = calls
		if role == "model" {
			msg.text = strings.Join(text, "")
			msgs = append(msgs, msg)
		} else if len(text) > 0 {
			msgs = append(msgs, message{role: "user", text: strings.Join(text, "\n")})
		}
	}
	return msgs, nil
}

// responseText is what a function response tells the model: the text of
// its "error" or "output" member, else the response as JSON.
func responseText(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		for _, k := range []string{"error", "output", "result", "content"} {
			var s string
			if json.Unmarshal(m[k], &s) == nil && s != "" {
				return s
			}
		}
	}
	return compactJSON(raw)
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	if b.Len() == 0 || b.String() == "null" {
		return "{}"
	}
	return b.String()
}

// geminiTools checks the function declarations and the function calling
// config and, unless its mode is NONE, makes the conversation answer with
// a call of the function allowed (or the first declared), whose parameters
// become its schema.
func (s *Server) geminiTools(c *conversation, tools []geminiTool, tc *geminiToolConfig) *geminiErr {
	var decls []geminiFunctionDecl
	for i, t := range tools {
		for j, d := range t.FunctionDeclarations {
			if d.Name == "" || strings.ContainsAny(d.Name, " /") || len(d.Name) > 64 {
				return geminiBad("* GenerateContentRequest.tools[%d].function_declarations[%d].name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 64.\n", i, j)
			}
			if len(d.Parameters) > 0 && len(d.ParametersJSONSchema) > 0 {
				return geminiBad("* GenerateContentRequest.tools[%d].function_declarations[%d]: parameters and parameters_json_schema cannot both be set.\n", i, j)
			}
			c.toolsRaw += len(d.Name) + len(d.Description) + len(d.Parameters) + len(d.ParametersJSONSchema)
			decls = append(decls, d)
		}
	}
	mode := ""
	var allowed []string
	if tc != nil && tc.FunctionCallingConfig != nil {
		mode, allowed = tc.FunctionCallingConfig.Mode, tc.FunctionCallingConfig.AllowedFunctionNames
	}
	switch mode {
	case "", "MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED":
	default:
		return geminiBad("Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), %q", mode)
	}
	if len(allowed) > 0 && mode != "ANY" && mode != "VALIDATED" {
		return geminiBad("* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: allowed_function_names may only be set when the mode is ANY or VALIDATED.\n")
	}
	if len(decls) == 0 || mode == "NONE" {
		return nil
	}
	pick := 0
	if len(allowed) > 0 {
		pick = slices.IndexFunc(decls, func(d geminiFunctionDecl) bool { return d.Name == allowed[0] })
		if pick < 0 {
			return geminiBad("* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function %q is not declared in tools.\n", allowed[0])
		}
	}
	d := decls[pick]
	switch {
	case len(d.Parameters) > 0:
		raw, gerr := legacySchema(d.Parameters, fmt.Sprintf("tools[0].function_declarations[%d].parameters", pick))
		if gerr != nil {
			return gerr
		}
		c.schemaRaw = raw
	case len(d.ParametersJSONSchema) > 0:
		if _, err := s.cache.schema(string(d.ParametersJSONSchema)); err != nil {
			return geminiBad("* GenerateContentRequest.tools[0].function_declarations[%d].parameters_json_schema: invalid JSON schema: %v\n", pick, err)
		}
		c.schemaRaw = string(d.ParametersJSONSchema)
	default:
		c.schemaRaw = `{"type":"object","properties":{}}`
	}
	c.toolsRaw -= len(d.Parameters) + len(d.ParametersJSONSchema)
	c.tool = d.Name
	return nil
}

// legacyFields are the members of the API's Schema object (OpenAPI 3.0's
// subset) that responseSchema and parameters take.
var legacyFields = map[string]bool{
	"type": true, "format": true, "title": true, "description": true, "nullable": true, "enum": true,
	"maxItems": true, "minItems": true, "properties": true, "required": true, "minProperties": true,
	"maxProperties": true, "minLength": true, "maxLength": true, "pattern": true, "example": true,
	"anyOf": true, "propertyOrdering": true, "default": true, "items": true, "minimum": true, "maximum": true,
}

// legacyFormats are the formats of the Schema object, by type.
var legacyFormats = map[string][]string{
	"STRING":  {"enum", "date-time"},
	"INTEGER": {"int32", "int64"},
	"NUMBER":  {"float", "double"},
}

// legacySchema checks a Schema object as the API does — no member it
// lacks, a type it names, a format its type takes, an object with
// properties — and returns it as the JSON Schema the model follows: types
// in lower case, nullable as a null type, properties in propertyOrdering's
// order, or alphabetical, as the API orders them without it.
func legacySchema(raw json.RawMessage, at string) (string, *geminiErr) {
	v, err := extract.Parse(raw)
	if err != nil {
		return "", geminiBad("Invalid JSON payload received at '%s': %v", at, err)
	}
	out, gerr := legacyNode(v, at)
	if gerr != nil {
		return "", gerr
	}
	return string(extract.Marshal(out)), nil
}

func legacyNode(v any, at string) (*extract.Object, *geminiErr) {
	o, ok := v.(*extract.Object)
	if !ok {
		return nil, geminiBad("Invalid JSON payload received. Unknown name \"\" at '%s': Proto fields must be objects.", at)
	}
	for _, k := range o.Keys {
		if !legacyFields[k] {
			return nil, geminiBad("Invalid JSON payload received. Unknown name %q at '%s': Cannot find field.", k, at)
		}
	}
	out := &extract.Object{}
	typ := ""
	if t, ok := o.Get("type"); ok {
		ts, isStr := t.(string)
		typ = strings.ToUpper(ts)
		switch typ {
		case "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL", "TYPE_UNSPECIFIED":
		default:
			if !isStr {
				return nil, geminiBad("Invalid JSON payload received. Unknown name \"type\" at '%s': Proto field is not repeating, cannot start list.", at)
			}
			return nil, geminiBad("Invalid value at '%s.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), %q", at, ts)
		}
	}
	if f, ok := o.Get("format"); ok {
		if fs, _ := f.(string); fs != "" && !slices.Contains(legacyFormats[typ], fs) {
			allowed := legacyFormats[typ]
			if len(allowed) == 0 {
				return nil, geminiBad("* GenerateContentRequest.%s.format: format is not supported for %s type\n", at, typ)
			}
			return nil, geminiBad("* GenerateContentRequest.%s.format: only '%s' and '%s' are supported for %s type\n", at, allowed[0], allowed[1], typ)
		}
	}
	nullable := false
	if nb, ok := o.Get("nullable"); ok {
		nullable, _ = nb.(bool)
	}
	for i, k := range o.Keys {
		val := o.Values[i]
		switch k {
		case "type":
			t := strings.ToLower(typ)
			if nullable {
				out.Set(k, []any{t, "null"})
			} else {
				out.Set(k, t)
			}
		case "nullable", "propertyOrdering", "example":
		case "items":
			sub, gerr := legacyNode(val, at+".items")
			if gerr != nil {
				return nil, gerr
			}
			out.Set(k, sub)
		case "anyOf":
			list, _ := val.([]any)
			var branches []any
			for j, b := range list {
				sub, gerr := legacyNode(b, fmt.Sprintf("%s.any_of[%d]", at, j))
				if gerr != nil {
					return nil, gerr
				}
				branches = append(branches, sub)
			}
			out.Set(k, branches)
		case "properties":
			props, _ := val.(*extract.Object)
			if props == nil {
				props = &extract.Object{}
			}
			order := legacyOrder(o, props)
			np := &extract.Object{}
			for j, name := range order {
				pv, _ := props.Get(name)
				sub, gerr := legacyNode(pv, fmt.Sprintf("%s.properties[%d].value", at, j))
				if gerr != nil {
					return nil, gerr
				}
				np.Set(name, sub)
			}
			out.Set(k, np)
		default:
			out.Set(k, val)
		}
	}
	if typ == "OBJECT" {
		if props, _ := out.Get("properties"); props == nil || len(props.(*extract.Object).Keys) == 0 {
			return nil, geminiBad("* GenerateContentRequest.%s.properties: should be non-empty for OBJECT type\n", at)
		}
	}
	return out, nil
}

// legacyOrder is the order the API generates an object's properties in:
// propertyOrdering's, then the others alphabetically.
func legacyOrder(schema, props *extract.Object) []string {
	var order []string
	if po, ok := schema.Get("propertyOrdering"); ok {
		list, _ := po.([]any)
		for _, n := range list {
			if name, _ := n.(string); name != "" && slices.Contains(props.Keys, name) && !slices.Contains(order, name) {
				order = append(order, name)
			}
		}
	}
	var rest []string
	for _, name := range props.Keys {
		if !slices.Contains(order, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(order, rest...)
}

// camelKeys rewrites the snake_case member names of a request
// ("system_instruction", "generation_config", "response_mime_type") in
// the lowerCamelCase the API also takes, leaving alone what is not the
// API's own: function arguments and responses and schemas. The body is
// returned as it is when it holds no snake_case name.
func camelKeys(body []byte) []byte {
	if !bytes.Contains(body, []byte("_")) {
		return body
	}
	v, err := extract.Parse(body)
	if err != nil {
		return body // the decoder says what is wrong
	}
	changed := false
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case *extract.Object:
			for i, k := range x.Keys {
				if strings.Contains(k, "_") {
					x.Keys[i], changed = snakeToCamel(k), true
				}
				switch x.Keys[i] {
				case "args", "response", "responseSchema", "responseJsonSchema", "parameters", "parametersJsonSchema":
					continue // free-form: the user's names
				}
				walk(x.Values[i])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if !changed {
		return body
	}
	return extract.Marshal(v)
}

func snakeToCamel(s string) string {
	var b strings.Builder
	up := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' && i > 0:
			up = true
		case up && c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
			up = false
		default:
			b.WriteByte(c)
			up = false
		}
	}
	return b.String()
}

// signaturePrefix starts every thought signature the simulator gives.
const signaturePrefix = "sim-thought:"

// thoughtSignature is the opaque signature of a function call the
// simulator answers with on Gemini 3 models.
func thoughtSignature(c *conversation, rep reply) string {
	sum := sha256.Sum256([]byte(c.model + "\x00" + rep.text))
	return base64.StdEncoding.EncodeToString([]byte(signaturePrefix + hex.EncodeToString(sum[:8])))
}

func validSignature(sig string) bool {
	b, err := base64.StdEncoding.DecodeString(sig)
	return err == nil && strings.HasPrefix(string(b), signaturePrefix)
}

type geminiResponseBody struct {
	Candidates    []geminiCandidate `json:"candidates"`
	UsageMetadata geminiUsage       `json:"usageMetadata"`
	ModelVersion  string            `json:"modelVersion"`
	ResponseID    string            `json:"responseId"`
}

type geminiCandidate struct {
	Content struct {
		Parts []map[string]any `json:"parts"`
		Role  string           `json:"role"`
	} `json:"content"`
	FinishReason string `json:"finishReason"`
	Index        int    `json:"index"`
}

type geminiUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount"`
	TotalTokenCount      int `json:"totalTokenCount"`
	PromptTokensDetails  []struct {
		Modality   string `json:"modality"`
		TokenCount int    `json:"tokenCount"`
	} `json:"promptTokensDetails"`
}

// geminiAnswer writes the replies as a GenerateContentResponse.
func geminiAnswer(c *conversation, reps []reply, id string, prompt, completion int) geminiResponseBody {
	resp := geminiResponseBody{ModelVersion: c.model, ResponseID: id,
		UsageMetadata: geminiUsage{PromptTokenCount: prompt, CandidatesTokenCount: completion, TotalTokenCount: prompt + completion}}
	resp.UsageMetadata.PromptTokensDetails = append(resp.UsageMetadata.PromptTokensDetails, struct {
		Modality   string `json:"modality"`
		TokenCount int    `json:"tokenCount"`
	}{"TEXT", prompt})
	for i, rep := range reps {
		cand := geminiCandidate{FinishReason: "STOP", Index: i}
		if rep.truncated {
			cand.FinishReason = "MAX_TOKENS"
		}
		cand.Content.Role = "model"
		if rep.tool != "" {
			input := rep.input
			if input == nil {
				input = &extract.Object{}
			}
			part := map[string]any{"functionCall": map[string]any{"name": rep.tool, "args": json.RawMessage(extract.Marshal(input))}}
			if strings.HasPrefix(c.model, "gemini-3") {
				part["thoughtSignature"] = thoughtSignature(c, rep)
			}
			cand.Content.Parts = []map[string]any{part}
		} else {
			cand.Content.Parts = []map[string]any{{"text": rep.text}}
		}
		resp.Candidates = append(resp.Candidates, cand)
	}
	return resp
}

// ---- transport faults, as the Gemini API answers them ----

const geminiHelp = "https://ai.google.dev/gemini-api/docs/rate-limits"

// geminiRetryDelay writes a wait as a google.protobuf.Duration: "7s",
// "0.35s".
func geminiRetryDelay(d time.Duration) string {
	ms := math.Ceil(float64(d) / float64(time.Millisecond))
	return strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
}

// geminiQuotaError is a 429 RESOURCE_EXHAUSTED naming the quota that was
// exceeded (quotaID, whose limit is value; 0 when no limit is configured,
// as for an injected burst refusal, and then not said) and the wait
// before a retry.
func (s *Server) geminiQuotaError(w http.ResponseWriter, metric, quotaID string, value int, model string, wait time.Duration) {
	limit := ""
	violation := map[string]any{"quotaMetric": metric, "quotaId": quotaID, "quotaDimensions": map[string]string{"location": "global", "model": model}}
	if value > 0 {
		limit = ", limit: " + strconv.Itoa(value)
		violation["quotaValue"] = strconv.Itoa(value)
	}
	msg := "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: " + geminiHelp + ".\n" +
		"* Quota exceeded for metric: " + metric + limit + ", model: " + model + "\n" +
		"Please retry in " + strconv.FormatFloat(wait.Seconds(), 'f', 2, 64) + "s."
	s.geminiError(w, &geminiErr{code: http.StatusTooManyRequests, status: "RESOURCE_EXHAUSTED", msg: msg, details: []any{
		map[string]any{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []any{violation}},
		map[string]any{"@type": "type.googleapis.com/google.rpc.Help", "links": []any{map[string]string{
			"description": "Learn more about Gemini API quotas", "url": geminiHelp}}},
		map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": geminiRetryDelay(wait)},
	}})
}

// geminiRateLimited answers a request the limiter refused: a per-minute
// quota of requests or input tokens, with RetryInfo (the API sends no
// Retry-After header).
func (s *Server) geminiRateLimited(w http.ResponseWriter, st limitState, model string) {
	wait := max(st.retryAfter, time.Millisecond)
	if st.limitedBy == "tokens" {
		s.geminiQuotaError(w, "generativelanguage.googleapis.com/generate_content_input_token_count",
			"GenerateContentInputTokensPerModelPerMinute", st.tpm, model, wait)
		return
	}
	s.geminiQuotaError(w, "generativelanguage.googleapis.com/generate_requests_per_model",
		"GenerateRequestsPerMinutePerProjectPerModel", st.rpm, model, wait)
}

// geminiQuotaSpent answers as an account whose daily quota is spent.
func (s *Server) geminiQuotaSpent(w http.ResponseWriter, model string) {
	s.geminiQuotaError(w, "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
		"GenerateRequestsPerDayPerProjectPerModel", 250, model, 9*time.Hour)
}

func (s *Server) geminiUnavailable(w http.ResponseWriter) {
	s.geminiError(w, &geminiErr{code: http.StatusServiceUnavailable, status: "UNAVAILABLE", msg: "The model is overloaded. Please try again later."})
}

func (s *Server) geminiServerError(w http.ResponseWriter) {
	s.geminiError(w, &geminiErr{code: http.StatusInternalServerError, status: "INTERNAL",
		msg: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"})
}
