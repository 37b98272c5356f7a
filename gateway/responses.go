package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/responsesapi"
)

// The Responses API (POST /v1/responses) is served by the chat path: the
// request is translated to the chat completion it stands for and served
// as one — the same schema detection, repair → validate → re-ask loop,
// pass-through, policies, metrics and errors — while the targets send
// each upstream call in the API the upstream speaks (Upstream.API) and a
// responsesWriter turns the chat path's answer into the Responses API's
// (or forwards an upstream's own Responses answer as it is).

// responsesExchange is one Responses API request in flight, which the
// chat request it translates to carries to the targets (see
// chatRequest.responses). A request's upstream calls are sequential, so
// it needs no lock.
type responsesExchange struct {
	rr *responsesRequest
	// raw is set when the answer the chat path writes is a Responses API
	// upstream's own (a pass-through): the writer forwards it as is.
	raw bool
	// api is the API of the upstream called last.
	api UpstreamAPI
}

// chatRefusal is the error of a call to target, an upstream that speaks
// Chat Completions, when the request has a member such an upstream cannot
// serve (see responsesRequest.chatRefusal); nil when it has none. It is a
// 400, which is neither retried nor counted by the breaker.
func (rx *responsesExchange) chatRefusal(target string) error {
	re := rx.rr.chatRefusal
	if re == nil {
		return nil
	}
	return &reask.ProviderError{Provider: target, StatusCode: http.StatusBadRequest, Type: "invalid_request_error",
		Code: re.code, Param: re.param, Message: re.msg + " The gateway's target " + target + " speaks Chat Completions (api: chat)."}
}

// responses serves POST /v1/responses and returns the request's kind.
func (g *Gateway) responses(w http.ResponseWriter, r *http.Request) string {
	body, ok := g.readBody(w, r)
	if !ok {
		return kindRejected
	}
	rr, err := parseResponsesRequest(body)
	if err != nil {
		writeRequestError(w, err)
		return kindRejected
	}
	model := rr.bodyModel
	if model == "" {
		model = g.cfg.DefaultModel
	}
	if rt := g.route(model); rt != nil && rt.primary.up.api != APIResponses && rr.chatRefusal != nil {
		re := *rr.chatRefusal
		re.msg += fmt.Sprintf(" The upstream serving model %q speaks Chat Completions (api: chat); an upstream configured with api: responses gets the request as it is.", model)
		writeRequestError(w, &re)
		return kindRejected
	}
	rx := &responsesExchange{rr: rr}
	rw := &responsesWriter{w: w, rx: rx, now: g.cfg.Clock.Now}
	kind := g.chatBody(rw, r, rr.chat, rx)
	rw.finish()
	return kind
}

// responsesPrefix is the path of the stored responses (GET, DELETE
// /v1/responses/{id}, input_items, cancel), which a gateway that stores
// nothing does not have.
const responsesPrefix = routeResponses + "/"

// storedResponse answers a request for a stored response: 404, the
// gateway stores none.
func storedResponse(w http.ResponseWriter, r *http.Request) {
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, responsesPrefix), "/")
	writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: ptr("not_found"),
		Message: fmt.Sprintf("Response with id '%s' not found: the gateway stores no responses (it serves POST /v1/responses only).", id)})
}

// responsesWriter is the response writer the chat path answers a
// Responses request with. It forwards an upstream's own Responses answer
// and error bodies (whose param it renames to the Responses API's), and
// translates a chat.completion — when it is complete — and a stream of
// chat.completion.chunk events — as they come — into the Responses API's
// response object and events.
type responsesWriter struct {
	w   http.ResponseWriter
	rx  *responsesExchange
	now func() time.Time

	mode   writerMode
	status int
	buf    bytes.Buffer
	events *eventTranslator
}

type writerMode int

const (
	modeUnset  writerMode = iota
	modeRaw               // forwarded as it comes
	modeError             // an error body, renamed when complete
	modeJSON              // a chat.completion, translated when complete
	modeStream            // chat.completion.chunk events, translated as they come
)

// Header is the client's header map: the chat path's x-reask-* headers go
// to the client as they are.
func (rw *responsesWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader decides what the answer is, from its status, its
// Content-Type and which upstream gave it.
func (rw *responsesWriter) WriteHeader(status int) {
	if rw.mode != modeUnset {
		return
	}
	rw.status = status
	h := rw.w.Header()
	switch {
	case rw.rx.raw && status/100 == 2:
		rw.mode = modeRaw
		rw.w.WriteHeader(status)
	case status/100 != 2:
		rw.mode = modeError
	case strings.HasPrefix(h.Get("Content-Type"), "text/event-stream"):
		rw.mode = modeStream
		h.Del("Content-Length")
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		rw.w.WriteHeader(status)
		rw.events = newEventTranslator(rw.w, rw.rx, rw.now())
	default:
		rw.mode = modeJSON
	}
}

func (rw *responsesWriter) Write(b []byte) (int, error) {
	if rw.mode == modeUnset {
		rw.WriteHeader(http.StatusOK)
	}
	switch rw.mode {
	case modeRaw:
		return rw.w.Write(b)
	case modeStream:
		return rw.events.Write(b)
	}
	return rw.buf.Write(b)
}

// Flush sends what a forwarded or translated stream has so far.
func (rw *responsesWriter) Flush() {
	if rw.mode == modeRaw || rw.mode == modeStream {
		_ = http.NewResponseController(rw.w).Flush()
	}
}

// finish ends the answer: writes a translated or renamed body, or ends a
// translated stream.
func (rw *responsesWriter) finish() {
	switch rw.mode {
	case modeError:
		rw.writeError()
	case modeJSON:
		rw.writeResponse()
	case modeStream:
		rw.events.end()
	}
}

// writeError forwards an error body with its param as the Responses API
// names it ("text.format.schema", not "response_format.json_schema.schema").
func (rw *responsesWriter) writeError() {
	body := rw.buf.Bytes()
	var e struct {
		Error apiError `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Param != nil {
		if p := responsesParam(*e.Error.Param); p != *e.Error.Param {
			e.Error.Param = &p
			if b, err := json.Marshal(e); err == nil {
				body = append(b, '\n')
			}
		}
	}
	h := rw.w.Header()
	if h.Get("Content-Length") != "" {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	rw.w.WriteHeader(rw.status)
	_, _ = rw.w.Write(body)
}

// writeResponse translates a chat.completion into a response object.
func (rw *responsesWriter) writeResponse() {
	var a openaiwire.Answer
	err := a.Read(rw.buf.Bytes())
	if err == nil && len(a.Choices) == 0 {
		err = fmt.Errorf("the answer has no choices")
	}
	if err != nil {
		rw.w.Header().Del("Content-Length")
		writeError(rw.w, http.StatusBadGateway, apiError{Type: "server_error", Code: ptr("upstream_invalid_answer"),
			Message: "The upstream's chat completion could not be read as a Responses API answer: " + err.Error()})
		return
	}
	resp := rw.rx.response(&a, rw.now())
	b, err := json.Marshal(resp)
	if err != nil {
		rw.w.Header().Del("Content-Length")
		writeError(rw.w, http.StatusInternalServerError, apiError{Type: "server_error", Message: "encoding the answer: " + err.Error()})
		return
	}
	h := rw.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	rw.w.WriteHeader(rw.status)
	_, _ = rw.w.Write(append(b, '\n'))
}

// echo is the response object's echo of the request's settings, as the
// Responses API returns them (its defaults for what the request left
// out); store is false unless the request asked for it and a Responses
// API upstream answered: the gateway stores nothing.
func (rx *responsesExchange) echo() responsesapi.Response {
	req := &rx.rr.req
	resp := responsesapi.Response{Object: "response", ParallelToolCalls: true, ServiceTier: "default",
		Temperature: 1, TopP: 1, Truncation: "disabled", User: req.User, MaxOutputTokens: req.MaxOutputTokens,
		MaxToolCalls: req.MaxToolCalls, Metadata: req.Metadata, PreviousResponseID: req.PreviousResponseID, Tools: req.Tools,
		Text: responsesapi.TextConfig{Format: &responsesapi.TextFormat{Type: responsesapi.FormatText}}}
	resp.Instructions = json.RawMessage("null")
	if req.Instructions != nil {
		resp.Instructions = jsonString(*req.Instructions)
	}
	if req.Model != nil {
		resp.Model = *req.Model
	}
	if req.ParallelToolCalls != nil {
		resp.ParallelToolCalls = *req.ParallelToolCalls
	}
	if req.Temperature != nil {
		resp.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		resp.TopP = *req.TopP
	}
	if req.ServiceTier != nil {
		resp.ServiceTier = *req.ServiceTier
	}
	if req.Truncation != nil {
		resp.Truncation = *req.Truncation
	}
	if req.TopLogprobs != nil {
		resp.TopLogprobs = *req.TopLogprobs
	}
	if req.ToolChoice != nil {
		resp.ToolChoice = *req.ToolChoice
	}
	if t := req.Text; t != nil {
		resp.Text.Verbosity = t.Verbosity
		if t.Format != nil {
			resp.Text.Format = t.Format
		}
	}
	resp.Store = rx.api == APIResponses && (req.Store == nil || *req.Store)
	return resp
}

// responseID is the response id for an answer with id: the upstream's
// when it is a Responses API id, else made from it ("chatcmpl-abc" gives
// "resp_abc"), so that the client's ids lead to the upstream's logs; a
// random one when the answer has none.
func responseID(id string) string {
	if strings.HasPrefix(id, "resp_") {
		return id
	}
	return itemID("resp_", id, 0)
}

// itemID is an output item's id, made from the id of what it stands for
// (its response's, its tool call's) and, after the first item of its
// kind, its number: "msg_abc", "msg_abc_2", "fc_xyz" for "call_xyz".
func itemID(prefix, of string, n int) string {
	if i := strings.IndexAny(of, "_-"); i >= 0 && i+1 < len(of) {
		of = of[i+1:] // without the kind: "chatcmpl-", "call_", "resp_"
	}
	if of == "" {
		of = randomHex(24)
	}
	if n > 0 {
		of += "_" + strconv.Itoa(n+1)
	}
	return prefix + of
}

// finishStatus is a response's status (and why it is incomplete) for a
// chat finish reason.
func finishStatus(reason string) (string, *responsesapi.IncompleteDetails) {
	switch reason {
	case "length":
		return responsesapi.StatusIncomplete, &responsesapi.IncompleteDetails{Reason: "max_output_tokens"}
	case "content_filter":
		return responsesapi.StatusIncomplete, &responsesapi.IncompleteDetails{Reason: "content_filter"}
	}
	return responsesapi.StatusCompleted, nil
}

// response translates a chat completion (the gateway's answer on the
// schema path, or a chat upstream's) into a response object: its content
// (and refusal) as an assistant message with an output_text (and refusal)
// part, its tool calls as function_call items, usage as input and output
// tokens.
func (rx *responsesExchange) response(a *openaiwire.Answer, now time.Time) responsesapi.Response {
	resp := rx.echo()
	resp.ID = responseID(a.ID)
	resp.CreatedAt = a.Created
	if resp.CreatedAt == 0 {
		resp.CreatedAt = now.Unix()
	}
	if a.Model != "" {
		resp.Model = a.Model
	}
	ch := a.Choices[0]
	resp.Status, resp.IncompleteDetails = finishStatus(ch.FinishReason)
	if resp.Status == responsesapi.StatusCompleted {
		done := now.Unix()
		resp.CompletedAt = &done
	}
	var parts []responsesapi.ContentPart
	if c := ch.Message.Content; c != nil && (*c != "" || len(ch.Message.ToolCalls) == 0) {
		parts = append(parts, responsesapi.ContentPart{Type: responsesapi.PartOutputText, Text: *c})
	}
	if rf := ch.Message.Refusal; rf != nil && *rf != "" {
		parts = append(parts, responsesapi.ContentPart{Type: responsesapi.PartRefusal, Refusal: *rf})
	}
	if len(parts) == 0 && len(ch.Message.ToolCalls) == 0 {
		parts = append(parts, responsesapi.ContentPart{Type: responsesapi.PartOutputText})
	}
	if len(parts) > 0 {
		resp.Output = append(resp.Output, responsesapi.Item{Type: responsesapi.ItemMessage, ID: itemID("msg_", resp.ID, 0),
			Status: resp.Status, Role: "assistant", Content: responsesapi.Content{Parts: parts}})
	}
	for _, tc := range ch.Message.ToolCalls {
		resp.Output = append(resp.Output, responsesapi.Item{Type: responsesapi.ItemFunctionCall, ID: itemID("fc_", tc.ID, 0),
			CallID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments, Status: resp.Status})
	}
	if a.Usage != nil {
		resp.Usage = responsesUsage(*a.Usage)
	}
	return resp
}

// responsesUsage is u in the Responses API's words.
func responsesUsage(u reask.Usage) *responsesapi.Usage {
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	return &responsesapi.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: total,
		InputTokensDetails: responsesapi.InputTokensDetails{CachedTokens: u.CachedPromptTokens}}
}
