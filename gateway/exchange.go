package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

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

// setByGateway reports whether the schema path replaces the client's member k.
func setByGateway(k string) bool {
	switch k {
	case "model", "messages", "stream", "stream_options", "response_format", "tools", "tool_choice",
		"parallel_tool_calls", "functions", "function_call":
		return true
	}
	return false
}

// encode builds a schema-path upstream body: the client's own fields
// (temperature, seed, max_tokens, top_p, user, ...) as sent, the model of
// the target, the client's messages as sent followed by the turns reask
// added, and the schema in the form req.Mode asks for. The upstream call
// is never streamed: the answer is checked whole.
func (ex *exchange) encode(req *reask.Request, model string) ([]byte, error) {
	cr := ex.req
	fields, err := cr.members()
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(fields)+3)
	for k, v := range fields {
		if !setByGateway(k) {
			out[k] = v
		}
	}
	out["model"] = appendString(nil, model)
	var mb bytes.Buffer
	mb.WriteByte('[')
	n := 0
	if len(req.Messages) >= len(cr.messages) {
		// The conversation starts with the client's messages (the loop
		// copies them first and never changes them): send the originals,
		// with every part and field the client wrote.
		for i, m := range cr.messages {
			if i > 0 {
				mb.WriteByte(',')
			}
			mb.Write(m)
		}
		n = len(cr.messages)
	}
	for i, rm := range req.Messages[n:] {
		b, err := encodeMessage(rm)
		if err != nil {
			return nil, err
		}
		if n+i > 0 {
			mb.WriteByte(',')
		}
		mb.Write(b)
	}
	mb.WriteByte(']')
	out["messages"] = mb.Bytes()
	if len(req.Schema) > 0 {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		strict := strconv.FormatBool(req.Strict && cr.strict)
		switch req.Mode {
		case reask.ModeJSONSchema, "":
			b := append([]byte(`{"type":"json_schema","json_schema":{"name":`), appendString(nil, name)...)
			b = append(append(append(b, `,"schema":`...), req.Schema...), `,"strict":`+strict+`}}`...)
			out["response_format"] = b
		case reask.ModeJSONObject:
			out["response_format"] = json.RawMessage(`{"type":"json_object"}`)
		case reask.ModeTools:
			b := append([]byte(`[{"type":"function","function":{"name":`), appendString(nil, name)...)
			if cr.toolDesc != "" {
				b = appendString(append(b, `,"description":`...), cr.toolDesc)
			}
			b = append(append(append(b, `,"parameters":`...), req.Schema...), `,"strict":`+strict+`}}]`...)
			out["tools"] = b
			out["tool_choice"] = append(appendString([]byte(`{"type":"function","function":{"name":`), name), "}}"...)
			if v, ok := fields["parallel_tool_calls"]; ok {
				out["parallel_tool_calls"] = v
			}
		}
	}
	return writeObject(out), nil
}

// passthroughBody is the client's body for the upstream: as sent when the
// target serves the requested model, with the model replaced otherwise (a
// fallback to another model, or the gateway's default model).
func (ex *exchange) passthroughBody(model string) ([]byte, error) {
	if model == ex.req.bodyModel {
		return ex.req.raw, nil
	}
	fields, err := ex.req.members()
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out["model"] = appendString(nil, model)
	return writeObject(out), nil
}

// writeObject writes members as a JSON object, keys in order. The values
// are valid JSON already (the client's, decoded once, or the gateway's).
func writeObject(m map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(m))
	size := 2
	for k, v := range m {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, m[k]...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // escapes what needs escaping
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (ex *exchange) setAnswer(target string, a *upstreamAnswer) {
	ex.answer, ex.answeredBy = a, target
}

func (ex *exchange) setPassthroughAnswer(target string, hresp *http.Response, body []byte) {
	ex.passBody, ex.passStatus, ex.passTarget = body, hresp.StatusCode, target
	ex.passHeader = http.Header{}
	copyHeaders(ex.passHeader, hresp.Header)
}
