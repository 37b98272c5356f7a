package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/sse"
)

// StreamHeader chooses how a streamed request with a schema is answered:
// StreamValidated (the default) checks the whole answer before the first
// byte goes out; StreamLive forwards the answer as the upstream streams it
// and, when the answer fails its check, continues the same stream with
// the re-asked answer after a restart chunk (see liveRestart).
const (
	StreamHeader    = "X-Reask-Stream"
	StreamValidated = "validated"
	StreamLive      = "live"
)

// liveMode reads the request's StreamHeader: whether the answer streams
// live. Requests through the Responses API and those held to a schema in
// their prompt stream validated whatever they ask. An unknown value is the
// client's error, answered here.
func (g *Gateway) liveMode(w http.ResponseWriter, r *http.Request, cr *chatRequest) (live, ok bool) {
	switch v := strings.ToLower(strings.TrimSpace(r.Header.Get(StreamHeader))); v {
	case "", StreamValidated:
		return false, true
	case StreamLive:
		return cr.stream && cr.responses == nil && cr.prompt == nil, true
	default:
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: ptr(StreamHeader),
			Code: ptr("invalid_value"), Message: fmt.Sprintf("%s is %q: want %q (the default) or %q", StreamHeader, v, StreamValidated, StreamLive)})
		return false, false
	}
}

// liveRestart is the extension member ("reask") of the chunk that starts
// an answer over in a live stream: the content (or tool call arguments)
// the client gathered for choice 0 is void, and the chunks that follow
// carry the new answer from its first byte. Attempt is the new answer's
// attempt; Reason says why the previous one was dropped — the check it
// failed ("schema /age: wrong type: …"), a call that broke off, or a local
// repair that changed it.
type liveRestart struct {
	Restart bool   `json:"restart"`
	Attempt int    `json:"attempt"`
	Reason  string `json:"reason"`
}

// liveChunk is a chat.completion.chunk, with the restart extension when
// it starts an answer over.
type liveChunk struct {
	completion
	Reask *liveRestart `json:"reask,omitempty"`
}

// trailerNames are the X-Reask headers a live stream sends as trailers:
// they are known only at its end.
var trailerNames = []string{"X-Reask-Attempts", "X-Reask-Repairs", "X-Reask-Wasted-Tokens", "X-Reask-Calls", "X-Reask-Upstream"}

// liveStream writes the client's side of a live stream.
type liveStream struct {
	w         http.ResponseWriter
	cr        *chatRequest
	chunk     liveChunk
	callID    string
	committed bool // the status and headers went out
	sent      int  // bytes of the current answer the client has
	failed    bool // writing to the client failed
}

// enforceLive answers a streamed schema request live: each partial answer
// the extraction yields is forwarded at once as a content delta (the
// answer in compact JSON, as far as it is final: a number goes out once
// finished), and the answer is checked when it closes. Until the first
// byte goes out a failure is answered as enforce answers it; after, as an
// error event ({"error": …}) that ends the stream without [DONE].
func (g *Gateway) enforceLive(ctx context.Context, w http.ResponseWriter, r *http.Request, rt *route, cr *chatRequest,
	task reask.Task, key schemaKey, opts []reask.Option, kind string) string {
	ls := &liveStream{w: w, cr: cr}
	ls.chunk.completion = completion{ID: "chatcmpl-reask-" + randomHex(12), Object: "chat.completion.chunk",
		Created: g.cfg.Clock.Now().Unix(), Model: cr.model}
	ls.callID = "call_" + randomHex(12)
	var rep *reask.Report
	var doc json.RawMessage
	var err error
	for p, perr := range rt.client.RunStream(ctx, task, opts...) {
		if p.Report != nil {
			rep = p.Report
		}
		if perr != nil {
			err = perr
			break
		}
		if p.Final {
			doc = p.Value
			break
		}
		if !ls.partial(p) {
			break // the client left: ending the loop cancels the extraction
		}
	}
	if ls.failed {
		return kind
	}
	if err != nil {
		if !ls.committed {
			setReaskHeaders(w.Header(), rep)
			w.Header().Set("X-Reask-Schema", cr.schemaSource())
			g.schemaFailed(w, r, cr, rep, err)
			return kind
		}
		status, e, _ := errorAnswer(err, g.cfg.Clock.Now())
		if ee := (*reask.ExhaustedError)(nil); errors.As(err, &ee) {
			e = exhausted(ee, cr.sought())
		}
		_ = writeEvent(w, struct {
			Error apiError `json:"error"`
		}{e})
		setReaskHeaders(w.Header(), rep)
		g.log.InfoContext(r.Context(), "gateway: live stream failed", "model", cr.model, "status", status,
			"attempts", rep.Attempts, "error", err.Error())
		return kind
	}
	if task.Schema != anyObject {
		g.schemas.keep(key, task.Schema, g.cfg.SchemaCacheBytes)
	}
	ls.finish(doc, rep)
	return kind
}

// commit sends the status, the headers and the first chunk, the role's.
func (ls *liveStream) commit() bool {
	if ls.committed {
		return !ls.failed
	}
	ls.committed = true
	h := ls.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set(StreamHeader, StreamLive)
	h.Set("X-Reask-Schema", ls.cr.schemaSource())
	h["Trailer"] = []string{strings.Join(trailerNames, ", ")}
	ls.w.WriteHeader(http.StatusOK)
	first := &deltaMessage{Role: "assistant"}
	if ls.cr.form == reask.ModeTools {
		zero := 0
		first.ToolCalls = []openaiwire.ToolCall{{Index: &zero, ID: ls.callID, Type: "function", Function: openaiwire.Function{Name: ls.cr.schemaName}}}
	} else {
		empty := ""
		first.Content = &empty
	}
	return ls.send(first, nil, nil)
}

// partial forwards what a partial adds to the answer, or a restart.
func (ls *liveStream) partial(p reask.Partial[json.RawMessage]) bool {
	if !ls.commit() {
		return false
	}
	if p.Restart {
		reason := "the call broke off; it is sent again"
		if p.Failed != nil {
			reason = p.Failed.Message
		}
		return ls.restart(p.Attempt, reason)
	}
	// What shows, without the closing bytes of what is still open, only
	// grows: the client gets its new end.
	final := p.JSON[:len(p.JSON)-len(p.Open)]
	if len(final) <= ls.sent {
		return true
	}
	piece := string(final[ls.sent:])
	ls.sent = len(final)
	return ls.text(piece)
}

// restart tells the client that the answer starts over.
func (ls *liveStream) restart(attempt int, reason string) bool {
	ls.sent = 0
	return ls.send(&deltaMessage{}, nil, &liveRestart{Restart: true, Attempt: attempt, Reason: reason})
}

// text sends a piece of the answer as content or as the tool call's
// arguments.
func (ls *liveStream) text(piece string) bool {
	if ls.cr.form == reask.ModeTools {
		zero := 0
		return ls.send(&deltaMessage{ToolCalls: []openaiwire.ToolCall{{Index: &zero, Function: openaiwire.Function{Arguments: piece}}}}, nil, nil)
	}
	return ls.send(&deltaMessage{Content: &piece}, nil, nil)
}

// finish ends a stream whose answer validated: when what the client has
// is not the valid document (local repair changed it), a restart and the
// document; then the finish reason, the usage if asked for, [DONE], and
// the X-Reask trailers.
func (ls *liveStream) finish(doc json.RawMessage, rep *reask.Report) {
	if !ls.commit() {
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		compact.Reset()
		compact.Write(doc)
	}
	if ls.sent != compact.Len() {
		// The partials and the document differ: repair changed the answer.
		if ls.sent > 0 && !ls.restart(rep.Attempts, "the answer was repaired locally") {
			return
		}
		for _, piece := range pieces(compact.String(), streamChunkBytes) {
			if !ls.text(piece) {
				return
			}
		}
	}
	finish := "stop"
	if ls.cr.form == reask.ModeTools {
		finish = "tool_calls"
	}
	if !ls.send(&deltaMessage{}, &finish, nil) {
		return
	}
	if ls.cr.usage {
		c := ls.chunk
		c.Choices = []choice{}
		c.Usage = &rep.Usage
		if writeEvent(ls.w, c) != nil {
			return
		}
	}
	if _, err := ls.w.Write([]byte("data: [DONE]\n\n")); err != nil {
		return
	}
	setReaskHeaders(ls.w.Header(), rep)
	_ = http.NewResponseController(ls.w).Flush()
}

// send writes one chunk of choice 0.
func (ls *liveStream) send(delta *deltaMessage, finish *string, restart *liveRestart) bool {
	if ls.failed {
		return false
	}
	c := ls.chunk
	c.Choices = []choice{{Index: 0, Delta: delta, Logprobs: jsonNull, FinishReason: finish}}
	c.Reask = restart
	if writeEvent(ls.w, c) != nil {
		ls.failed = true
	}
	return !ls.failed
}

// sendStreamed posts a schema-path body to the upstream as a streamed chat
// completion and hands each piece of the answer to onDelta as it arrives;
// the answer it returns, and keeps in ex, is the whole one the stream
// assembled. A stream that ends before [DONE] is an error matching
// io.ErrUnexpectedEOF: the call is retried, never taken for a short
// answer. An upstream that answers whole is read as send reads it.
func (u *upstream) sendStreamed(ctx context.Context, name string, ex *exchange, body []byte, tools bool, onDelta func(string)) (*reask.Response, error) {
	const params = `"stream":true,"stream_options":{"include_usage":true},`
	streamed := make([]byte, 0, len(body)+len(params))
	streamed = append(append(append(streamed, '{'), params...), body[1:]...)
	return u.post(ctx, name, u.chatURL, streamed, true, func(ctx context.Context, a *upstreamReply) (*reask.Response, error) {
		if ct, _, _ := mime.ParseMediaType(a.hresp.Header.Get("Content-Type")); ct != "text/event-stream" {
			return a.whole(ex)
		}
		s := openaiwire.Stream{Tools: tools}
		events := sse.NewReader(a.hresp.Body, streamLineLimit, u.maxBytes)
		for !s.Done() {
			e, err := events.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, a.fail(fmt.Errorf("%s: reading the stream: %w", name, err))
			}
			data := u.scrub.Bytes(e.Data)
			piece, err := s.Add(data)
			var ee *openaiwire.ErrorEvent
			if errors.As(err, &ee) {
				return nil, u.parseError(name, http.StatusInternalServerError, a.hresp.Header, ee.Data, u.clock.Now(), u.key)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: reading the stream: %w", name, err)
			}
			if piece != "" {
				onDelta(piece)
			}
		}
		ans, err := s.Answer()
		if err != nil {
			return nil, a.fail(fmt.Errorf("%s: %w", name, err))
		}
		resp, err := ans.Response()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		ex.setAnswer(name, ans)
		return a.finish(resp), nil
	})
}
