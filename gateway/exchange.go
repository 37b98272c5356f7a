package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
	"github.com/reask/reask/internal/openaiwire"
)

// exchange is one client request in flight: what the client sent, and
// what the upstream answered. The gateway hands it to reask as the Tag of
// the task or request (reask.Task.Tag, reask.Request.Tag), which brings
// it to the targets with every call and to the observer with every event.
// A request's upstream calls are sequential, so it needs no lock.
type exchange struct {
	req *chatRequest
	// passthrough forwards the client's body as is (no schema).
	passthrough bool
	// w is the client's response writer, for streams copied through.
	w http.ResponseWriter
	// client is the label of the client's key, for the metrics, the
	// dashboard and the failure list.
	client string

	// The last upstream answer (schema path).
	answer     *openaiwire.Answer
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

// setByGateway reports whether the schema path replaces the client's member k.
func setByGateway(k []byte) bool {
	switch string(k) {
	case "model", "messages", "stream", "stream_options", "response_format", "tools", "tool_choice",
		"parallel_tool_calls", "functions", "function_call":
		return true
	}
	return false
}

// encode builds a schema-path upstream body: the client's own members
// (temperature, seed, max_tokens, top_p, user, ...) as sent and in their
// order, the model of the target, the client's messages as sent followed
// by the turns reask added, and the schema in the form req.Mode asks for.
// The upstream call is never streamed: the answer is checked whole.
func (ex *exchange) encode(req *reask.Request, model string) ([]byte, error) {
	cr := ex.req
	b := make([]byte, 0, len(cr.raw)+len(req.Schema)+512)
	b = append(b, '{')
	var parallel []byte
	err := jsonscan.EachMember(cr.raw, func(key, rawKey, value []byte) {
		if string(key) == "parallel_tool_calls" {
			parallel = value
		}
		if setByGateway(key) {
			return
		}
		b = append(append(append(append(b, rawKey...), ':'), value...), ',')
	})
	if err != nil {
		return nil, err
	}
	b = append(appendString(append(b, `"model":`...), model), `,"messages":[`...)
	n := 0
	if len(req.Messages) >= len(cr.messages) {
		// The conversation starts with the client's messages (the loop
		// copies them first and never changes them): send the originals,
		// with every part and field the client wrote.
		for i, m := range cr.messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m...)
		}
		n = len(cr.messages)
	}
	for i, rm := range req.Messages[n:] {
		m, err := encodeMessage(rm)
		if err != nil {
			return nil, err
		}
		if n+i > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
	}
	b = append(b, ']')
	if len(req.Schema) > 0 {
		name := req.SchemaName
		if name == "" {
			name = "result"
		}
		strict := strconv.FormatBool(req.Strict && cr.strict)
		switch req.Mode {
		case reask.ModeJSONSchema, "":
			b = appendString(append(b, `,"response_format":{"type":"json_schema","json_schema":{"name":`...), name)
			b = append(append(append(b, `,"schema":`...), req.Schema...), `,"strict":`+strict+`}}`...)
		case reask.ModeJSONObject:
			b = append(b, `,"response_format":{"type":"json_object"}`...)
		case reask.ModeTools:
			b = appendString(append(b, `,"tools":[{"type":"function","function":{"name":`...), name)
			if cr.toolDesc != "" {
				b = appendString(append(b, `,"description":`...), cr.toolDesc)
			}
			b = append(append(append(b, `,"parameters":`...), req.Schema...), `,"strict":`+strict+`}}]`...)
			b = append(appendString(append(b, `,"tool_choice":{"type":"function","function":{"name":`...), name), "}}"...)
			if parallel != nil {
				b = append(append(b, `,"parallel_tool_calls":`...), parallel...)
			}
		}
	}
	return append(b, '}'), nil
}

// passthroughBody is the client's body for the upstream: as sent when the
// target serves the requested model, with the model replaced otherwise (a
// fallback to another model, or the gateway's default model).
func (ex *exchange) passthroughBody(model string) ([]byte, error) {
	if model == ex.req.bodyModel {
		return ex.req.raw, nil
	}
	return replaceModel(ex.req.raw, model)
}

// replaceModel returns the JSON object raw with its model member (if any)
// dropped and model added last.
func replaceModel(raw []byte, model string) ([]byte, error) {
	b := make([]byte, 0, len(raw)+len(model)+16)
	b = append(b, '{')
	err := jsonscan.EachMember(raw, func(key, rawKey, value []byte) {
		if string(key) != "model" {
			b = append(append(append(append(b, rawKey...), ':'), value...), ',')
		}
	})
	if err != nil {
		return nil, err
	}
	return append(appendString(append(b, `"model":`...), model), '}'), nil
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

func (ex *exchange) setAnswer(target string, a *openaiwire.Answer) {
	ex.answer, ex.answeredBy = a, target
}

func (ex *exchange) setPassthroughAnswer(target string, hresp *http.Response, body []byte) {
	ex.passBody, ex.passStatus, ex.passTarget = body, hresp.StatusCode, target
	ex.passHeader = http.Header{}
	copyHeaders(ex.passHeader, hresp.Header)
}
