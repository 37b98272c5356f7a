// Package openaiwire decodes the answer of an OpenAI-compatible chat
// completions endpoint, once for the two readers of it: the openai
// provider (provider/openai) and the gateway's upstream calls. The answer
// is read in place (see internal/jsonscan) as encoding/json would decode
// it into Answer, names matched exactly.
package openaiwire

import (
	"encoding/json"
	"errors"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
)

// Answer is what reask reads of a chat completion.
type Answer struct {
	ID                string       `json:"id"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []Choice     `json:"choices"`
	Usage             *reask.Usage `json:"usage"`
}

// Choice is one of an answer's choices.
type Choice struct {
	Message      ChoiceMessage `json:"message"`
	FinishReason string        `json:"finish_reason"`
}

// ChoiceMessage is a choice's assistant message.
type ChoiceMessage struct {
	Content   *string    `json:"content"`
	Refusal   *string    `json:"refusal"`
	ToolCalls []ToolCall `json:"tool_calls"`
}

// ToolCall is a function call in an answer (or, with Index, in a
// streamed chunk's delta).
type ToolCall struct {
	Index    *int     `json:"index,omitempty"`
	ID       string   `json:"id,omitempty"`
	Type     string   `json:"type,omitempty"`
	Function Function `json:"function"`
}

// Function is a tool call's function and arguments.
type Function struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ErrNoChoices is Response's error for an answer without a choice.
var ErrNoChoices = errors.New("the answer has no choices")

// errNotObject is Read's error for JSON that is not an object.
var errNotObject = errors.New("the body is not a JSON object")

// Read decodes a chat completion, data, into a as encoding/json would
// decode it (names matched exactly, the last of duplicates counting): the
// body is validated once and its members are read in place, the message
// content being the only long string copied. Invalid JSON gives
// encoding/json's syntax error (with its offset), a member of the wrong
// type an error naming it.
func (a *Answer) Read(data []byte) error {
	if !jsonscan.Valid(data) {
		return json.Unmarshal(data, new(any)) // the syntax error, with its offset
	}
	var r jsonscan.Reader
	err := jsonscan.EachMember(data, func(key, _, v []byte) {
		switch string(key) {
		case "id":
			r.String("id", v, &a.ID)
		case "created":
			r.Int64("created", v, &a.Created)
		case "model":
			r.String("model", v, &a.Model)
		case "system_fingerprint":
			r.String("system_fingerprint", v, &a.SystemFingerprint)
		case "choices":
			a.readChoices(&r, v)
		case "usage":
			a.readUsage(&r, v)
		}
	})
	if err != nil {
		return errNotObject
	}
	return r.Err
}

// readChoices reads the choices array: message content, refusal, tool
// calls and finish reason of each.
func (a *Answer) readChoices(r *jsonscan.Reader, v []byte) {
	if jsonscan.IsNull(v) {
		a.Choices = nil
		return
	}
	a.Choices = make([]Choice, 0, 1) // [] decodes to an empty slice, not nil
	err := jsonscan.EachElement(v, func(c []byte) {
		var ch Choice
		if jsonscan.IsNull(c) {
			a.Choices = append(a.Choices, ch)
			return
		}
		err := jsonscan.EachMember(c, func(key, _, v []byte) {
			switch string(key) {
			case "finish_reason":
				r.String("finish_reason", v, &ch.FinishReason)
			case "message":
				if jsonscan.IsNull(v) {
					return
				}
				if jsonscan.EachMember(v, func(key, _, v []byte) {
					switch string(key) {
					case "content":
						r.StringPtr("content", v, &ch.Message.Content)
					case "refusal":
						r.StringPtr("refusal", v, &ch.Message.Refusal)
					case "tool_calls":
						ch.Message.ToolCalls = nil
						if !jsonscan.IsNull(v) && json.Unmarshal(v, &ch.Message.ToolCalls) != nil {
							r.Fail("tool_calls")
						}
					}
				}) != nil {
					r.Fail("message")
				}
			}
		})
		if err != nil {
			r.Fail("a choice")
		}
		a.Choices = append(a.Choices, ch)
	})
	if err != nil {
		r.Fail("choices")
	}
}

// readUsage reads the token counts.
func (a *Answer) readUsage(r *jsonscan.Reader, v []byte) {
	if jsonscan.IsNull(v) {
		a.Usage = nil
		return
	}
	u := new(reask.Usage)
	if a.Usage != nil {
		*u = *a.Usage
	}
	err := jsonscan.EachMember(v, func(key, _, v []byte) {
		switch string(key) {
		case "prompt_tokens":
			r.Int("prompt_tokens", v, &u.PromptTokens)
		case "completion_tokens":
			r.Int("completion_tokens", v, &u.CompletionTokens)
		case "total_tokens":
			r.Int("total_tokens", v, &u.TotalTokens)
		case "prompt_tokens_details":
			// The prompt tokens read from OpenAI's prompt cache.
			u.CachedPromptTokens = 0
			if !jsonscan.IsNull(v) && jsonscan.EachMember(v, func(key, _, v []byte) {
				if string(key) == "cached_tokens" {
					r.Int("prompt_tokens_details.cached_tokens", v, &u.CachedPromptTokens)
				}
			}) != nil {
				r.Fail("prompt_tokens_details")
			}
		}
	})
	if err != nil {
		r.Fail("usage")
	}
	a.Usage = u
}

// Response is reask's view of the answer: its first choice's content,
// refusal, tool calls and finish reason, its model and usage (the total
// summed when the server left it out). An answer without a choice is
// ErrNoChoices.
func (a *Answer) Response() (*reask.Response, error) {
	if len(a.Choices) == 0 {
		return nil, ErrNoChoices
	}
	ch := a.Choices[0]
	resp := &reask.Response{FinishReason: ch.FinishReason, Model: a.Model}
	if ch.Message.Content != nil {
		resp.Content = *ch.Message.Content
	}
	if ch.Message.Refusal != nil {
		resp.Refusal = *ch.Message.Refusal
	}
	for _, tc := range ch.Message.ToolCalls {
		resp.ToolCalls = append(resp.ToolCalls, reask.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if a.Usage != nil {
		resp.Usage = *a.Usage
		if resp.Usage.TotalTokens == 0 {
			resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
		}
	}
	return resp, nil
}
