package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/reask/reask"
)

type wireRequest struct {
	Model       string          `json:"model"`
	MaxTokens   int             `json:"max_tokens"`
	System      string          `json:"system,omitempty"`
	Messages    []wireMessage   `json:"messages"`
	Temperature *float64        `json:"temperature,omitempty"`
	Tools       []wireTool      `json:"tools,omitempty"`
	ToolChoice  *wireToolChoice `json:"tool_choice,omitempty"`
}

type wireMessage struct {
	Role    string      `json:"role"`
	Content []wireBlock `json:"content"`
}

type wireBlock struct {
	Type string `json:"type"`
	// text
	Text string `json:"text,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      bool            `json:"strict,omitempty"`
}

type wireToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type wireResponse struct {
	ID         string      `json:"id"`
	Model      string      `json:"model"`
	Content    []wireBlock `json:"content"`
	StopReason string      `json:"stop_reason"`
	Usage      struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
		// The prompt tokens read from and written to the prompt cache,
		// which input_tokens does not count.
		CacheReadInputTokens     int `json:"cache_read_input_tokens"`
		CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	} `json:"usage"`
}

// encode maps a reask conversation onto the Messages API: system messages
// become the system field; an assistant's tool calls become tool_use
// blocks; tool messages become tool_result blocks of a user turn;
// consecutive turns of one role merge, since the API wants them to alternate.
func (p *Provider) encode(req *reask.Request) ([]byte, error) {
	w := wireRequest{Model: p.cfg.Model, MaxTokens: p.cfg.MaxTokens, Temperature: req.Temperature}
	if req.Model != "" {
		w.Model = req.Model
	}
	if w.Model == "" {
		return nil, errors.New("no model configured")
	}
	if req.MaxTokens > 0 {
		w.MaxTokens = req.MaxTokens
	}
	var system []string
	for _, m := range req.Messages {
		var role string
		var blocks []wireBlock
		switch m.Role {
		case reask.RoleSystem:
			system = append(system, m.Content)
			continue
		case reask.RoleUser:
			role, blocks = "user", []wireBlock{{Type: "text", Text: m.Content}}
		case reask.RoleAssistant:
			role = "assistant"
			if m.Content != "" {
				blocks = append(blocks, wireBlock{Type: "text", Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				input := json.RawMessage(tc.Arguments)
				if !json.Valid(input) {
					// The API only accepts an object; keep the broken text visible.
					b, _ := json.Marshal(map[string]string{"unparsed_input": tc.Arguments})
					input = b
				}
				blocks = append(blocks, wireBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: input})
			}
		case reask.RoleTool:
			role, blocks = "user", []wireBlock{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content, IsError: m.IsError}}
		default:
			return nil, fmt.Errorf("unknown message role %q", m.Role)
		}
		if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
			prev := &w.Messages[n-1]
			if role == "user" && blocks[0].Type == "tool_result" {
				prev.Content = insertToolResults(prev.Content, blocks)
			} else {
				prev.Content = append(prev.Content, blocks...)
			}
			continue
		}
		w.Messages = append(w.Messages, wireMessage{Role: role, Content: blocks})
	}
	w.System = strings.Join(system, "\n\n")
	if len(req.Schema) > 0 && (req.Mode == reask.ModeTools || req.Mode == reask.ModeJSONSchema || req.Mode == "") {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		w.Tools = []wireTool{{Name: name, Description: "Record the information extracted from the text.", InputSchema: req.Schema, Strict: req.Strict}}
		w.ToolChoice = &wireToolChoice{Type: "tool", Name: name}
	}
	return json.Marshal(w)
}

// insertToolResults adds results to a user turn's content after the
// tool_result blocks it already holds and before any text: the API wants
// the tool_results first, and in the order of the tool_use blocks they
// answer, so that the feedback reask puts in the first result stays with
// the first call.
func insertToolResults(content, results []wireBlock) []wireBlock {
	i := 0
	for i < len(content) && content[i].Type == "tool_result" {
		i++
	}
	out := make([]wireBlock, 0, len(content)+len(results))
	out = append(out, content[:i]...)
	out = append(out, results...)
	return append(out, content[i:]...)
}

var stopReasons = map[string]string{
	"end_turn":      "stop",
	"stop_sequence": "stop",
	"max_tokens":    "length",
	"tool_use":      "tool_calls",
	"refusal":       "content_filter",
}

func decodeResponse(data []byte) (*reask.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	resp := &reask.Response{Model: w.Model, FinishReason: w.StopReason}
	if fr, ok := stopReasons[w.StopReason]; ok {
		resp.FinishReason = fr
	}
	var text strings.Builder
	for _, b := range w.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			resp.ToolCalls = append(resp.ToolCalls, reask.ToolCall{ID: b.ID, Name: b.Name, Arguments: string(b.Input)})
		}
	}
	resp.Content = text.String()
	if w.StopReason == "refusal" {
		resp.Refusal = "the model declined (stop_reason \"refusal\")"
	}
	// reask's prompt tokens are all of them, as OpenAI counts: the
	// cached ones (billed at the cached-input price) and those written to
	// the cache (billed as input here; reask sets no cache breakpoints).
	prompt := w.Usage.InputTokens + w.Usage.CacheReadInputTokens + w.Usage.CacheCreationInputTokens
	resp.Usage = reask.Usage{PromptTokens: prompt, CompletionTokens: w.Usage.OutputTokens,
		TotalTokens: prompt + w.Usage.OutputTokens, CachedPromptTokens: w.Usage.CacheReadInputTokens}
	return resp, nil
}
