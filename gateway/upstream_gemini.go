package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/provider/gemini"
)

// A Gemini upstream (Upstream.API APIGemini) answers the gateway's
// OpenAI-shaped requests from Google's generateContent: the conversation
// reask holds — the client's messages, then the turns the loop added — is
// sent through package gemini, and its answer is read back as a chat
// completion. The client's temperature and max_tokens (or
// max_completion_tokens) go along; other sampling parameters do not.

// newGeminiProvider is the Gemini client of upstream u.
func newGeminiProvider(u Upstream, hc *http.Client, cfg Config) *gemini.Provider {
	return gemini.NewProvider(gemini.Config{BaseURL: u.BaseURL, APIKey: u.APIKey, Name: u.Name, Headers: u.Headers,
		HTTPClient: hc, MaxResponseBytes: cfg.MaxResponseBytes, Clock: cfg.Clock})
}

// errGeminiPassthrough refuses what a Gemini upstream cannot answer
// without a schema the gateway enforces.
var errGeminiPassthrough = errors.New("gateway: a Gemini upstream")

// completeGemini sends one call of the exchange to a Gemini upstream.
func (t *target) completeGemini(ctx context.Context, ex *exchange, req *reask.Request, model string) (*reask.Response, error) {
	cr := ex.req
	if ex.passthrough {
		if cr.stream || present(cr.top.Tools) {
			return nil, fmt.Errorf("%w: %w answers chat completions without streaming or tools unless the gateway enforces a schema (a json_schema response format or a forced tool)",
				reask.ErrInvalidInput, errGeminiPassthrough)
		}
		if cr.converted == nil {
			if err := cr.readMessages(); err != nil {
				return nil, fmt.Errorf("%w: %w", reask.ErrInvalidInput, err)
			}
		}
		req = &reask.Request{Messages: cr.converted}
	}
	gr := *req
	gr.Model = model
	gr.Messages = make([]reask.Message, len(req.Messages))
	for i, m := range req.Messages {
		if m.Role == "developer" {
			m.Role = reask.RoleSystem
		}
		gr.Messages[i] = m
	}
	if gr.MaxTokens == 0 {
		gr.MaxTokens = cr.maxTokens
	}
	if gr.Temperature == nil {
		gr.Temperature = cr.temperature()
	}
	cctx, cancel := context.WithTimeout(ctx, t.up.timeout)
	defer cancel()
	resp, err := t.up.gemini.Complete(cctx, &gr)
	if err != nil {
		if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: no answer within the upstream timeout of %s: %w", t.name, t.up.timeout, context.DeadlineExceeded)
		}
		var pe *reask.ProviderError
		if errors.As(err, &pe) && pe.StatusCode/100 == 2 {
			// A blocked prompt came with 200: the client's request is what
			// cannot succeed.
			cp := *pe
			cp.StatusCode, cp.Type = http.StatusBadRequest, "invalid_request_error"
			cp.Code = "prompt_blocked"
			return nil, &cp
		}
		return nil, t.up.scrub.Error(err)
	}
	resp.Content = t.up.scrub.String(resp.Content)
	for i := range resp.ToolCalls {
		resp.ToolCalls[i].Arguments = t.up.scrub.String(resp.ToolCalls[i].Arguments)
	}
	ans := geminiAnswer(resp)
	if ex.passthrough {
		body, err := json.Marshal(passthroughCompletion(ans, resp, t.up.clock.Now().Unix()))
		if err != nil {
			return nil, err
		}
		ex.passBody, ex.passStatus, ex.passTarget = body, http.StatusOK, t.name
		ex.passHeader = http.Header{"Content-Type": {"application/json"}}
		return resp, nil
	}
	ex.setAnswer(t.name, ans)
	return resp, nil
}

// geminiAnswer is the Gemini answer as a chat completion's.
func geminiAnswer(resp *reask.Response) *openaiwire.Answer {
	a := &openaiwire.Answer{ID: "chatcmpl-" + resp.RequestID, Model: resp.Model, Usage: &resp.Usage}
	if resp.RequestID == "" {
		a.ID = ""
	}
	msg := openaiwire.ChoiceMessage{}
	if resp.Content != "" || len(resp.ToolCalls) == 0 {
		c := resp.Content
		msg.Content = &c
	}
	if resp.Refusal != "" {
		r := resp.Refusal
		msg.Refusal = &r
	}
	for _, tc := range resp.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, openaiwire.ToolCall{ID: tc.ID, Type: "function",
			Function: openaiwire.Function{Name: tc.Name, Arguments: tc.Arguments}})
	}
	a.Choices = []openaiwire.Choice{{Message: msg, FinishReason: resp.FinishReason}}
	return a
}

// passthroughCompletion is the body a client without a schema gets.
func passthroughCompletion(a *openaiwire.Answer, resp *reask.Response, now int64) completion {
	id := a.ID
	if id == "" {
		id = "chatcmpl-reask-" + randomHex(12)
	}
	m := a.Choices[0].Message
	finish := a.Choices[0].FinishReason
	return completion{ID: id, Object: "chat.completion", Created: now, Model: a.Model, Usage: &resp.Usage,
		Choices: []choice{{Index: 0, Message: &answerMessage{Role: "assistant", Content: m.Content, Refusal: m.Refusal, ToolCalls: m.ToolCalls},
			Logprobs: jsonNull, FinishReason: &finish}}}
}

// temperature is the client's temperature, or nil.
func (r *chatRequest) temperature() *float64 {
	var t *float64
	_ = jsonscan.EachMember(r.raw, func(key, _, value []byte) {
		if string(key) == "temperature" && !jsonscan.IsNull(value) {
			var v float64
			if json.Unmarshal(value, &v) == nil {
				t = &v
			}
		}
	})
	return t
}
