package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/responsesapi"
	"github.com/reask/reask/provider/openai"
)

// completeResponses sends one call of a Responses API request to an
// upstream that speaks the Responses API: the client's body as is (its
// model replaced for a fallback) on the pass-through path, a stream
// copied to the client as it arrives; on the schema path the body
// rebuilt with reask's conversation (see responsesRequest.encode), its
// answer read into the chat answer the chat path writes.
func (t *target) completeResponses(ctx context.Context, ex *exchange, rx *responsesExchange, req *reask.Request, model string) (*reask.Response, error) {
	rr := rx.rr
	var body []byte
	var err error
	switch {
	case !ex.passthrough:
		body, err = rr.encode(ex.req, req, model)
	case model != rr.bodyModel:
		body, err = replaceModel(rr.raw, model)
	default:
		body = rr.raw
	}
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", t.name, err)
	}
	stream := ex.passthrough && rr.stream
	return t.up.post(ctx, t.name, t.up.responsesURL, body, stream, func(ctx context.Context, a *upstreamReply) (*reask.Response, error) {
		if stream {
			rx.raw = true
			return a.copyStream(ctx, ex, responsesStreamUsage)
		}
		data, err := a.body()
		if err != nil {
			return nil, err
		}
		if ex.passthrough {
			rx.raw = true
			ex.setPassthroughAnswer(t.name, a.hresp, data)
			return a.finish(&reask.Response{Usage: responsesUsageOf(data)}), nil
		}
		ans, err := readResponsesAnswer(data)
		if err != nil {
			return nil, fmt.Errorf("%s: HTTP %d: %w", t.name, a.hresp.StatusCode, err)
		}
		resp, err := ans.Response()
		if err != nil {
			return nil, fmt.Errorf("%s: HTTP %d: %v", t.name, a.hresp.StatusCode, err)
		}
		ex.setAnswer(t.name, ans)
		return a.finish(resp), nil
	})
}

// responsesAnswer is what the gateway reads of a Responses API answer.
type responsesAnswer struct {
	ID                string                          `json:"id"`
	CreatedAt         int64                           `json:"created_at"`
	Model             string                          `json:"model"`
	Status            string                          `json:"status"`
	IncompleteDetails *responsesapi.IncompleteDetails `json:"incomplete_details"`
	Error             *responsesapi.ResponseError     `json:"error"`
	Output            []responsesapi.Item             `json:"output"`
	Usage             *responsesapi.Usage             `json:"usage"`
}

// readResponsesAnswer reads a Responses API answer as the chat answer it
// stands for: the assistant messages' output_text as the content, their
// refusals as the refusal, the function_call items as tool calls (their
// call_id as the id), the status as the finish reason ("length" for
// max_output_tokens, "content_filter", "tool_calls" or "stop"), usage in
// prompt and completion tokens. A failed response is a server error.
func readResponsesAnswer(data []byte) (*openaiwire.Answer, error) {
	var r responsesAnswer
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("an unreadable Responses API answer: %v", shortErr(err))
	}
	if r.Status == responsesapi.StatusFailed {
		pe := &reask.ProviderError{StatusCode: http.StatusInternalServerError, Type: "server_error", Message: "the response failed"}
		if r.Error != nil {
			pe.Code, pe.Message = r.Error.Code, r.Error.Message
		}
		pe.Kind = openai.Classify(pe)
		return nil, pe
	}
	a := &openaiwire.Answer{ID: r.ID, Created: r.CreatedAt, Model: r.Model, Choices: make([]openaiwire.Choice, 1)}
	ch := &a.Choices[0]
	var content, refusal *string
	for _, it := range r.Output {
		switch it.Type {
		case responsesapi.ItemMessage:
			for _, p := range it.Content.Parts {
				switch p.Type {
				case responsesapi.PartOutputText:
					if content == nil {
						content = new(string)
					}
					*content += p.Text
				case responsesapi.PartRefusal:
					if refusal == nil {
						refusal = new(string)
					}
					*refusal += p.Refusal
				}
			}
			if it.Content.Text != nil {
				if content == nil {
					content = new(string)
				}
				*content += *it.Content.Text
			}
		case responsesapi.ItemFunctionCall:
			ch.Message.ToolCalls = append(ch.Message.ToolCalls, openaiwire.ToolCall{ID: it.CallID, Type: "function",
				Function: openaiwire.Function{Name: it.Name, Arguments: it.Arguments}})
		}
	}
	ch.Message.Content, ch.Message.Refusal = content, refusal
	switch {
	case r.Status == responsesapi.StatusIncomplete && r.IncompleteDetails != nil && r.IncompleteDetails.Reason == "content_filter":
		ch.FinishReason = "content_filter"
	case r.Status == responsesapi.StatusIncomplete:
		ch.FinishReason = "length"
	case len(ch.Message.ToolCalls) > 0:
		ch.FinishReason = "tool_calls"
	default:
		ch.FinishReason = "stop"
	}
	if r.Usage != nil {
		u := chatUsage(*r.Usage)
		a.Usage = &u
	}
	return a, nil
}

// responsesUsageOf reads the usage of a Responses API answer passed
// through.
func responsesUsageOf(data []byte) reask.Usage {
	var r struct {
		Usage *responsesapi.Usage `json:"usage"`
	}
	if json.Unmarshal(data, &r) != nil || r.Usage == nil {
		return reask.Usage{}
	}
	return chatUsage(*r.Usage)
}
