package gateway

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/reask/reask"
)

// exchange is one client request in flight, carried to the targets through
// the context: what the client sent, and what the upstream answered. A
// request's upstream calls are sequential, so it needs no lock.
type exchange struct {
	req *chatRequest
	// passthrough forwards the client's body as is (no schema).
	passthrough bool
	// w is the client's response writer, for streams copied through.
	w http.ResponseWriter

	// The last upstream answer (schema path).
	answer     *upstreamAnswer
	answeredBy string
	// The last upstream answer (pass-through, not streamed).
	passBody   []byte
	passHeader http.Header
	passStatus int
	passTarget string
	// committed is set once bytes went to the client (a stream copied
	// through); streamErr tells why such a stream ended early.
	committed bool
	streamErr error
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// fieldsSetByGateway are the client's fields that the schema path replaces.
var fieldsSetByGateway = []string{"model", "messages", "stream", "stream_options",
	"response_format", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"}

// encode builds a schema-path upstream body: the client's own fields
// (temperature, seed, max_tokens, top_p, user, ...) as sent, the model of
// the target, the client's messages as sent followed by the turns reask
// added, and the schema in the form req.Mode asks for. The upstream call
// is never streamed: the answer is checked whole.
func (ex *exchange) encode(req *reask.Request, model string) ([]byte, error) {
	cr := ex.req
	out := make(map[string]json.RawMessage, len(cr.fields)+3)
	for k, v := range cr.fields {
		out[k] = v
	}
	for _, k := range fieldsSetByGateway {
		delete(out, k)
	}
	m, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	out["model"] = m
	msgs := make([]json.RawMessage, 0, len(req.Messages))
	n := 0
	if len(req.Messages) >= len(cr.messages) {
		// The conversation starts with the client's messages (the loop
		// copies them first and never changes them): send the originals,
		// with every part and field the client wrote.
		msgs = append(msgs, cr.messages...)
		n = len(cr.messages)
	}
	for _, rm := range req.Messages[n:] {
		b, err := encodeMessage(rm)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b)
	}
	if out["messages"], err = json.Marshal(msgs); err != nil {
		return nil, err
	}
	if len(req.Schema) > 0 {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		strict := req.Strict && cr.strict
		switch req.Mode {
		case reask.ModeJSONSchema, "":
			out["response_format"], err = json.Marshal(map[string]any{"type": "json_schema",
				"json_schema": map[string]any{"name": name, "schema": req.Schema, "strict": strict}})
		case reask.ModeJSONObject:
			out["response_format"] = json.RawMessage(`{"type":"json_object"}`)
		case reask.ModeTools:
			fn := map[string]any{"name": name, "parameters": req.Schema, "strict": strict}
			if cr.toolDesc != "" {
				fn["description"] = cr.toolDesc
			}
			if out["tools"], err = json.Marshal([]any{map[string]any{"type": "function", "function": fn}}); err != nil {
				return nil, err
			}
			out["tool_choice"], err = json.Marshal(map[string]any{"type": "function", "function": map[string]any{"name": name}})
			if v, ok := cr.fields["parallel_tool_calls"]; ok {
				out["parallel_tool_calls"] = v
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(out)
}

// passthroughBody is the client's body for the upstream: as sent when the
// target serves the requested model, with the model replaced otherwise (a
// fallback to another model).
func (ex *exchange) passthroughBody(model string) ([]byte, error) {
	if model == ex.req.bodyModel {
		return ex.req.raw, nil
	}
	out := make(map[string]json.RawMessage, len(ex.req.fields))
	for k, v := range ex.req.fields {
		out[k] = v
	}
	m, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	out["model"] = m
	return json.Marshal(out)
}

func (ex *exchange) setAnswer(target string, a *upstreamAnswer) {
	ex.answer, ex.answeredBy = a, target
}

func (ex *exchange) setPassthroughAnswer(target string, hresp *http.Response, body []byte) {
	ex.passBody, ex.passStatus, ex.passTarget = body, hresp.StatusCode, target
	ex.passHeader = http.Header{}
	copyHeaders(ex.passHeader, hresp.Header)
}
