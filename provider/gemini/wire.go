package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/reask/reask"
)

// The request and response shapes of models/{model}:generateContent,
// limited to the fields reask reads or writes (field names as the REST
// reference spells them).

type wireRequest struct {
	Contents          []wireContent   `json:"contents"`
	SystemInstruction *wireContent    `json:"systemInstruction,omitempty"`
	Tools             []wireTool      `json:"tools,omitempty"`
	ToolConfig        *wireToolConfig `json:"toolConfig,omitempty"`
	GenerationConfig  *wireGenConfig  `json:"generationConfig,omitempty"`
}

type wireContent struct {
	Role  string     `json:"role,omitempty"`
	Parts []wirePart `json:"parts"`
}

// wirePart is a Part: one datum (text, a function call or a function
// response), with the model's thought flag and signature.
type wirePart struct {
	Text             *string               `json:"text,omitempty"`
	Thought          bool                  `json:"thought,omitempty"`
	ThoughtSignature string                `json:"thoughtSignature,omitempty"`
	FunctionCall     *wireFunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse *wireFunctionResponse `json:"functionResponse,omitempty"`
}

type wireFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type wireFunctionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type wireTool struct {
	FunctionDeclarations []wireFunctionDecl `json:"functionDeclarations"`
}

type wireFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type wireToolConfig struct {
	FunctionCallingConfig wireFunctionCallingConfig `json:"functionCallingConfig"`
}

type wireFunctionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type wireGenConfig struct {
	Temperature        *float64        `json:"temperature,omitempty"`
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
}

type wireResponse struct {
	Candidates []struct {
		Content struct {
			Role  string     `json:"role"`
			Parts []wirePart `json:"parts"`
		} `json:"content"`
		FinishReason  string `json:"finishReason"`
		FinishMessage string `json:"finishMessage"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata struct {
		PromptTokenCount        int `json:"promptTokenCount"`
		CandidatesTokenCount    int `json:"candidatesTokenCount"`
		ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
		ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
		CachedContentTokenCount int `json:"cachedContentTokenCount"`
		TotalTokenCount         int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

// Tool call ids. The API gives a function call an id only on some models,
// and Gemini 3 wants each call's thoughtSignature back, unchanged, when
// the call is replayed; reask.ToolCall has an id alone. So the id reask
// sees carries both: the API's id (or syntheticID and the call's index
// when it gave none, never sent back), then, when the call had a
// signature, signatureSep and the signature. Replayed calls are sent as
// they came, whatever process or gateway client held them in between.
const (
	syntheticID  = "gemini-call-"
	signatureSep = "~"
)

// toolCallID is the id reask sees for the i-th function call of an answer.
func toolCallID(fc *wireFunctionCall, signature string, i int) string {
	id := fc.ID
	if id == "" {
		id = syntheticID + strconv.Itoa(i)
	}
	if signature != "" {
		id += signatureSep + signature
	}
	return id
}

// splitToolCallID undoes toolCallID: the id to send ("" for one the API
// did not give) and the signature.
func splitToolCallID(id string) (apiID, signature string) {
	apiID, signature, _ = strings.Cut(id, signatureSep)
	if strings.HasPrefix(apiID, syntheticID) {
		apiID = ""
	}
	return apiID, signature
}

func text(s string) *string { return &s }

// encode maps a reask request onto generateContent: system messages become
// systemInstruction; user messages user turns; assistant messages model
// turns, their tool calls functionCall parts; tool messages
// functionResponse parts of a user turn, named after the call they answer.
// Consecutive turns of one role merge, so that every function response
// of a model turn's calls is in the one user turn after it, as the API
// wants. It returns the body and the model asked.
func (p *Provider) encode(req *reask.Request) ([]byte, string, error) {
	model := p.cfg.Model
	if req.Model != "" {
		model = strings.TrimPrefix(req.Model, "models/")
	}
	if model == "" {
		return nil, "", errors.New("no model configured")
	}
	var w wireRequest
	calls := map[string]string{} // tool call id -> function name
	for i, m := range req.Messages {
		var role string
		var parts []wirePart
		switch m.Role {
		case reask.RoleSystem:
			if w.SystemInstruction == nil {
				w.SystemInstruction = &wireContent{}
			}
			w.SystemInstruction.Parts = append(w.SystemInstruction.Parts, wirePart{Text: text(m.Content)})
			continue
		case reask.RoleUser:
			role, parts = "user", []wirePart{{Text: text(m.Content)}}
		case reask.RoleAssistant:
			role = "model"
			if m.Content != "" || len(m.ToolCalls) == 0 {
				parts = append(parts, wirePart{Text: text(m.Content)})
			}
			for _, tc := range m.ToolCalls {
				id, sig := splitToolCallID(tc.ID)
				calls[tc.ID] = tc.Name
				parts = append(parts, wirePart{ThoughtSignature: sig,
					FunctionCall: &wireFunctionCall{ID: id, Name: tc.Name, Args: argsObject(tc.Arguments)}})
			}
		case reask.RoleTool:
			name, ok := calls[m.ToolCallID]
			if !ok {
				return nil, "", fmt.Errorf("message %d: a tool message answers call %q, which no earlier assistant message made", i, m.ToolCallID)
			}
			id, _ := splitToolCallID(m.ToolCallID)
			key := "output"
			if m.IsError {
				key = "error"
			}
			resp, _ := json.Marshal(map[string]string{key: m.Content})
			role, parts = "user", []wirePart{{FunctionResponse: &wireFunctionResponse{ID: id, Name: name, Response: resp}}}
		default:
			return nil, "", fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
		if n := len(w.Contents); n > 0 && w.Contents[n-1].Role == role {
			w.Contents[n-1].Parts = append(w.Contents[n-1].Parts, parts...)
			continue
		}
		w.Contents = append(w.Contents, wireContent{Role: role, Parts: parts})
	}
	gen := wireGenConfig{Temperature: req.Temperature, MaxOutputTokens: req.MaxTokens}
	if len(req.Schema) > 0 {
		if err := p.encodeSchema(&w, &gen, req); err != nil {
			return nil, "", err
		}
	}
	if gen.Temperature != nil || gen.MaxOutputTokens > 0 || gen.ResponseMimeType != "" {
		w.GenerationConfig = &gen
	}
	body, err := json.Marshal(w)
	return body, model, err
}

// encodeSchema conveys the request's schema as its mode says.
func (p *Provider) encodeSchema(w *wireRequest, gen *wireGenConfig, req *reask.Request) error {
	d := p.Dialect()
	switch req.Mode {
	case reask.ModeJSONSchema, "":
		s, _, err := p.cfg.Schema(req.Schema, d)
		if err != nil {
			return fmt.Errorf("%w: the schema: %w", reask.ErrInvalidInput, err)
		}
		gen.ResponseMimeType = "application/json"
		if d == DialectLegacy {
			gen.ResponseSchema = s
		} else {
			gen.ResponseJSONSchema = s
		}
	case reask.ModeJSONObject:
		gen.ResponseMimeType = "application/json"
	case reask.ModeTools:
		s, _, err := p.cfg.Schema(req.Schema, d)
		if err != nil {
			return fmt.Errorf("%w: the schema: %w", reask.ErrInvalidInput, err)
		}
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		fd := wireFunctionDecl{Name: name, Description: "Record the information extracted from the text."}
		if d == DialectLegacy {
			fd.Parameters = s
		} else {
			fd.ParametersJSONSchema = s
		}
		w.Tools = []wireTool{{FunctionDeclarations: []wireFunctionDecl{fd}}}
		w.ToolConfig = &wireToolConfig{FunctionCallingConfig: wireFunctionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{name}}}
	case reask.ModeText:
	default:
		return fmt.Errorf("unknown mode %q", req.Mode)
	}
	return nil
}

// argsObject is a tool call's arguments as the API takes them: a JSON
// object. Anything else — text that is not JSON, an array — is kept
// visible under "unparsed_arguments", so that the feedback on it still
// makes sense to the model.
func argsObject(args string) json.RawMessage {
	raw := bytes.TrimSpace([]byte(args))
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		return raw
	}
	b, _ := json.Marshal(map[string]string{"unparsed_arguments": args})
	return b
}

// finishReasons maps the API's finishReason onto OpenAI's words, as
// reask.Response wants them; a reason not listed is passed on in lower
// case ("malformed_function_call", "other").
var finishReasons = map[string]string{
	"STOP":               "stop",
	"MAX_TOKENS":         "length",
	"SAFETY":             "content_filter",
	"RECITATION":         "content_filter",
	"BLOCKLIST":          "content_filter",
	"PROHIBITED_CONTENT": "content_filter",
	"SPII":               "content_filter",
	"IMAGE_SAFETY":       "content_filter",
	"LANGUAGE":           "content_filter",
}

// decodeResponse reads a GenerateContentResponse's first candidate. A
// candidate stopped by a filter (finishReason SAFETY, RECITATION, …) is an
// answer with Refusal set, which reask re-asks; a prompt blocked before any
// candidate (promptFeedback.blockReason) is a *blockedError.
func decodeResponse(data []byte) (*reask.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	u := w.UsageMetadata
	resp := &reask.Response{Model: w.ModelVersion, RequestID: w.ResponseID, Usage: reask.Usage{
		PromptTokens:     u.PromptTokenCount + u.ToolUsePromptTokenCount,
		CompletionTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount,
		TotalTokens:      u.TotalTokenCount,
		// Gemini counts cached tokens inside promptTokenCount, as
		// reask.Usage does.
		CachedPromptTokens: u.CachedContentTokenCount,
	}}
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	}
	if len(w.Candidates) == 0 {
		if pf := w.PromptFeedback; pf != nil && pf.BlockReason != "" {
			return nil, &blockedError{reason: pf.BlockReason}
		}
		return resp, nil
	}
	c := w.Candidates[0]
	var b strings.Builder
	for i := range c.Content.Parts {
		part := &c.Content.Parts[i]
		switch {
		case part.FunctionCall != nil:
			fc := part.FunctionCall
			args := string(bytes.TrimSpace(fc.Args))
			if args == "" || args == "null" {
				args = "{}"
			}
			resp.ToolCalls = append(resp.ToolCalls, reask.ToolCall{ID: toolCallID(fc, part.ThoughtSignature, len(resp.ToolCalls)),
				Name: fc.Name, Arguments: args})
		case part.Text != nil && !part.Thought:
			b.WriteString(*part.Text)
		}
	}
	resp.Content = b.String()
	resp.FinishReason = strings.ToLower(c.FinishReason)
	if fr, ok := finishReasons[c.FinishReason]; ok {
		resp.FinishReason = fr
	}
	if resp.FinishReason == "stop" && len(resp.ToolCalls) > 0 {
		resp.FinishReason = "tool_calls"
	}
	if resp.FinishReason == "content_filter" {
		resp.Refusal = "Gemini stopped the answer (finishReason " + c.FinishReason + ")"
		if c.FinishMessage != "" {
			resp.Refusal += ": " + c.FinishMessage
		}
	}
	return resp, nil
}
