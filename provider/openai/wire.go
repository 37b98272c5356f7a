package openai

import (
	"encoding/json"
	"fmt"

	"github.com/reask/reask"
)

// The request and response shapes of POST /chat/completions, limited to
// the fields reask reads or writes.

type wireRequest struct {
	Model          string          `json:"model"`
	Messages       []wireMessage   `json:"messages"`
	Temperature    *float64        `json:"temperature,omitempty"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
	ResponseFormat *wireFormat     `json:"response_format,omitempty"`
	Tools          []wireTool      `json:"tools,omitempty"`
	ToolChoice     *wireToolChoice `json:"tool_choice,omitempty"`
}

type wireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type wireToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type wireFormat struct {
	Type       string          `json:"type"`
	JSONSchema *wireJSONSchema `json:"json_schema,omitempty"`
}

type wireJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict,omitempty"`
}

type wireTool struct {
	Type     string      `json:"type"`
	Function wireToolDef `json:"function"`
}

type wireToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict,omitempty"`
}

type wireToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// encode writes req as a chat completions request body.
func (p *Provider) encode(req *reask.Request) ([]byte, error) {
	w := wireRequest{
		Model:       p.cfg.Model,
		Temperature: req.Temperature,
		MaxTokens:   req.MaxTokens,
	}
	if req.Model != "" {
		w.Model = req.Model
	}
	if w.Model == "" {
		return nil, fmt.Errorf("no model configured")
	}
	w.Messages = make([]wireMessage, len(req.Messages))
	for i, m := range req.Messages {
		wm := wireMessage{Role: string(m.Role), ToolCallID: m.ToolCallID}
		if m.Content != "" || len(m.ToolCalls) == 0 {
			c := m.Content
			wm.Content = &c
		}
		for _, tc := range m.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, wireToolCall{ID: tc.ID, Type: "function",
				Function: wireFunction{Name: tc.Name, Arguments: tc.Arguments}})
		}
		w.Messages[i] = wm
	}
	if len(req.Schema) > 0 {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		switch req.Mode {
		case reask.ModeJSONSchema, "":
			w.ResponseFormat = &wireFormat{Type: "json_schema",
				JSONSchema: &wireJSONSchema{Name: name, Schema: req.Schema, Strict: req.Strict}}
		case reask.ModeJSONObject:
			w.ResponseFormat = &wireFormat{Type: "json_object"}
		case reask.ModeTools:
			w.Tools = []wireTool{{Type: "function", Function: wireToolDef{
				Name: name, Description: "Record the information extracted from the text.",
				Parameters: req.Schema, Strict: req.Strict}}}
			w.ToolChoice = &wireToolChoice{Type: "function"}
			w.ToolChoice.Function.Name = name
		case reask.ModeText:
		default:
			return nil, fmt.Errorf("unknown mode %q", req.Mode)
		}
	}
	return json.Marshal(w)
}
