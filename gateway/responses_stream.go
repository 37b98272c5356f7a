package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/internal/responsesapi"
)

// eventTranslator turns a chat completion's event stream — the gateway's
// own after validation, or a chat upstream's copied through — into the
// Responses API's, event by event as the chunks arrive:
// response.created and response.in_progress at the first chunk; for
// content, an assistant message item (output_item.added,
// content_part.added, output_text.delta ..., output_text.done,
// content_part.done, output_item.done), refusals likewise; for each tool
// call a function_call item (output_item.added,
// function_call_arguments.delta ..., .done, output_item.done); and at
// [DONE] response.completed (or response.incomplete, for a finish reason
// of length or content_filter) with the whole response and its usage. A
// stream that ends before its answer is complete ends with an error event.
// Every event is flushed to the client when written.
type eventTranslator struct {
	w   io.Writer
	rx  *responsesExchange
	now time.Time

	line []byte // a line whose end has not come yet
	data []byte // the data lines of the event being read
	buf  []byte
	seq  int
	err  error // writing to the client failed

	started bool
	ended   bool
	resp    responsesapi.Response
	items   []responsesapi.Item
	texts   []*strings.Builder // per item: its open part's text, or its arguments
	msg     int                // index in items of the open message item, or -1
	part    int                // index in its parts of the open content part, or -1
	call    int                // index in items of the open function_call item, or -1
	calls   map[int]int
	msgs    int // message items opened so far
	finish  string
	usage   *responsesapi.Usage
}

func newEventTranslator(w io.Writer, rx *responsesExchange, now time.Time) *eventTranslator {
	return &eventTranslator{w: w, rx: rx, now: now, msg: -1, part: -1, call: -1, calls: map[int]int{}}
}

// Write takes the chat stream's bytes, in pieces of any size.
func (t *eventTranslator) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.line = append(t.line, b...)
			break
		}
		line := b[:i]
		if len(t.line) > 0 {
			t.line = append(t.line, line...)
			line = t.line
		}
		t.readLine(bytes.TrimSuffix(line, []byte("\r")))
		t.line = t.line[:0]
		b = b[i+1:]
	}
	if t.err != nil {
		return 0, t.err
	}
	return n, nil
}

// readLine reads one line of the event stream: data lines gather until
// the blank line ending the event; other fields and comments are ignored.
func (t *eventTranslator) readLine(line []byte) {
	if len(line) == 0 {
		if len(t.data) > 0 {
			t.event(t.data)
			t.data = t.data[:0]
		}
		return
	}
	if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
		if len(t.data) > 0 {
			t.data = append(t.data, '\n')
		}
		t.data = append(t.data, bytes.TrimPrefix(v, []byte(" "))...)
	}
}

// chatChunk is what the translator reads of a chat.completion.chunk.
type chatChunk struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content   *string               `json:"content"`
			Refusal   *string               `json:"refusal"`
			ToolCalls []openaiwire.ToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *reask.Usage `json:"usage"`
	Error *struct {
		Message string  `json:"message"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// event translates one chat event.
func (t *eventTranslator) event(data []byte) {
	if t.ended {
		return
	}
	if string(bytes.TrimSpace(data)) == "[DONE]" {
		t.complete()
		return
	}
	var c chatChunk
	if err := json.Unmarshal(data, &c); err != nil {
		t.fail("upstream_invalid_stream", "The upstream's stream has an event that is not a chat completion chunk: "+shortErr(err))
		return
	}
	if c.Error != nil {
		code := "upstream_error"
		if c.Error.Code != nil {
			code = *c.Error.Code
		}
		t.fail(code, c.Error.Message)
		return
	}
	t.start(c.ID, c.Created, c.Model)
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if d := ch.Delta.Content; d != nil && *d != "" {
			t.delta(responsesapi.PartOutputText, *d)
		}
		if d := ch.Delta.Refusal; d != nil && *d != "" {
			t.delta(responsesapi.PartRefusal, *d)
		}
		for _, tc := range ch.Delta.ToolCalls {
			t.toolCall(tc)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			t.finish = *ch.FinishReason
		}
	}
	if c.Usage != nil {
		t.usage = responsesUsage(*c.Usage)
	}
	t.flush()
}

// start sends response.created and response.in_progress, once.
func (t *eventTranslator) start(id string, created int64, model string) {
	if t.started {
		return
	}
	t.started = true
	t.resp = t.rx.echo()
	t.resp.ID = responseID(id)
	t.resp.CreatedAt = created
	if created == 0 {
		t.resp.CreatedAt = t.now.Unix()
	}
	if model != "" {
		t.resp.Model = model
	}
	t.resp.Status = responsesapi.StatusInProgress
	r := t.resp
	t.emit(responsesapi.Event{Type: responsesapi.EventCreated, Response: &r})
	t.emit(responsesapi.Event{Type: responsesapi.EventInProgress, Response: &r})
}

// delta adds text to the message's open part of type typ (output_text or
// refusal), opening the message and the part as needed.
func (t *eventTranslator) delta(typ, text string) {
	t.closeCall()
	if t.msg < 0 {
		t.msg = len(t.items)
		t.add(responsesapi.Item{Type: responsesapi.ItemMessage, ID: itemID("msg_", t.resp.ID, t.msgs),
			Status: responsesapi.StatusInProgress, Role: "assistant", Content: responsesapi.Content{Parts: []responsesapi.ContentPart{}}})
		t.msgs++
		added := t.items[t.msg]
		t.emit(responsesapi.Event{Type: responsesapi.EventOutputItemAdded, OutputIndex: t.msg, Item: &added})
	}
	it := &t.items[t.msg]
	if t.part >= 0 && it.Content.Parts[t.part].Type != typ {
		t.closePart()
	}
	if t.part < 0 {
		t.part = len(it.Content.Parts)
		it.Content.Parts = append(it.Content.Parts, responsesapi.ContentPart{Type: typ})
		added := it.Content.Parts[t.part]
		t.emit(responsesapi.Event{Type: responsesapi.EventContentPartAdded, ItemID: it.ID, OutputIndex: t.msg, ContentIndex: t.part, Part: &added})
	}
	t.texts[t.msg].WriteString(text)
	ev := responsesapi.Event{Type: responsesapi.EventOutputTextDelta, ItemID: it.ID, OutputIndex: t.msg, ContentIndex: t.part, Delta: text}
	if typ == responsesapi.PartRefusal {
		ev.Type = responsesapi.EventRefusalDelta
	}
	t.emit(ev)
}

// closePart sends the open part's done events.
func (t *eventTranslator) closePart() {
	if t.part < 0 {
		return
	}
	it := &t.items[t.msg]
	p := &it.Content.Parts[t.part]
	text := t.texts[t.msg]
	if p.Type == responsesapi.PartRefusal {
		p.Refusal = text.String()
	} else {
		p.Text = text.String()
	}
	text.Reset()
	if p.Type == responsesapi.PartRefusal {
		t.emit(responsesapi.Event{Type: responsesapi.EventRefusalDone, ItemID: it.ID, OutputIndex: t.msg, ContentIndex: t.part, Refusal: p.Refusal})
	} else {
		t.emit(responsesapi.Event{Type: responsesapi.EventOutputTextDone, ItemID: it.ID, OutputIndex: t.msg, ContentIndex: t.part, Text: p.Text})
	}
	done := *p
	t.emit(responsesapi.Event{Type: responsesapi.EventContentPartDone, ItemID: it.ID, OutputIndex: t.msg, ContentIndex: t.part, Part: &done})
	t.part = -1
}

// closeMessage sends the open message item's done events.
func (t *eventTranslator) closeMessage(status string) {
	if t.msg < 0 {
		return
	}
	t.closePart()
	it := &t.items[t.msg]
	it.Status = status
	done := *it
	t.emit(responsesapi.Event{Type: responsesapi.EventOutputItemDone, OutputIndex: t.msg, Item: &done})
	t.msg = -1
}

// toolCall adds a tool call's piece: a new call opens a function_call
// item, its arguments come as deltas.
func (t *eventTranslator) toolCall(tc openaiwire.ToolCall) {
	idx := 0
	if tc.Index != nil {
		idx = *tc.Index
	}
	i, ok := t.calls[idx]
	if !ok {
		t.closeMessage(responsesapi.StatusCompleted)
		t.closeCall()
		i = len(t.items)
		t.calls[idx] = i
		t.add(responsesapi.Item{Type: responsesapi.ItemFunctionCall, ID: itemID("fc_", tc.ID, 0),
			CallID: tc.ID, Name: tc.Function.Name, Status: responsesapi.StatusInProgress})
		added := t.items[i]
		t.emit(responsesapi.Event{Type: responsesapi.EventOutputItemAdded, OutputIndex: i, Item: &added})
		t.call = i
	}
	it := &t.items[i]
	if it.CallID == "" {
		it.CallID = tc.ID
	}
	if it.Name == "" {
		it.Name = tc.Function.Name
	}
	if a := tc.Function.Arguments; a != "" {
		if i == t.call {
			t.texts[i].WriteString(a)
		} else {
			it.Arguments += a // a call closed already: the final response has it all
		}
		t.emit(responsesapi.Event{Type: responsesapi.EventFunctionCallArgumentsDelta, ItemID: it.ID, OutputIndex: i, Delta: a})
	}
}

// add appends an output item.
func (t *eventTranslator) add(it responsesapi.Item) {
	t.items = append(t.items, it)
	t.texts = append(t.texts, new(strings.Builder))
}

// closeCall sends the open function_call item's done events.
func (t *eventTranslator) closeCall() {
	if t.call < 0 {
		return
	}
	it := &t.items[t.call]
	it.Arguments = t.texts[t.call].String()
	t.emit(responsesapi.Event{Type: responsesapi.EventFunctionCallArgumentsDone, ItemID: it.ID, OutputIndex: t.call, Name: it.Name, Arguments: it.Arguments})
	if it.Status == responsesapi.StatusInProgress {
		it.Status = responsesapi.StatusCompleted
	}
	done := *it
	t.emit(responsesapi.Event{Type: responsesapi.EventOutputItemDone, OutputIndex: t.call, Item: &done})
	t.call = -1
}

// complete closes the open items and sends response.completed (or
// response.incomplete) with the whole response.
func (t *eventTranslator) complete() {
	if t.ended {
		return
	}
	t.start("", 0, "")
	status, details := finishStatus(t.finish)
	t.closeMessage(status)
	if t.call >= 0 && status != responsesapi.StatusCompleted {
		t.items[t.call].Status = status
	}
	t.closeCall()
	r := t.resp
	r.Status, r.IncompleteDetails, r.Output, r.Usage = status, details, t.items, t.usage
	typ := responsesapi.EventCompleted
	if status == responsesapi.StatusCompleted {
		done := t.now.Unix()
		r.CompletedAt = &done
	} else {
		typ = responsesapi.EventIncomplete
	}
	t.emit(responsesapi.Event{Type: typ, Response: &r})
	t.ended = true
	t.flush()
}

// fail ends the stream with an error event.
func (t *eventTranslator) fail(code, msg string) {
	if t.ended {
		return
	}
	t.emit(responsesapi.Event{Type: responsesapi.EventError, Code: &code, Message: msg})
	t.ended = true
	t.flush()
}

// end is called when the chat stream is over: an event still unread is
// read, and a stream that ended without [DONE] is completed when its
// finish reason came, else ended with an error event.
func (t *eventTranslator) end() {
	if len(t.line) > 0 {
		t.readLine(t.line)
		t.line = t.line[:0]
	}
	t.readLine(nil)
	switch {
	case t.ended:
	case t.finish != "":
		t.complete()
	default:
		t.fail("stream_interrupted", "The upstream's stream ended before its answer was complete.")
	}
}

func (t *eventTranslator) emit(ev responsesapi.Event) {
	if t.err != nil {
		return
	}
	ev.SequenceNumber = t.seq
	t.seq++
	var err error
	if t.buf, err = responsesapi.AppendEvent(t.buf[:0], ev); err != nil {
		t.err = err
		return
	}
	if _, err := t.w.Write(t.buf); err != nil {
		t.err = err
	}
}

func (t *eventTranslator) flush() {
	if w, ok := t.w.(http.ResponseWriter); ok && t.err == nil {
		_ = http.NewResponseController(w).Flush()
	}
}

// responsesStreamUsage reads the usage of a Responses API stream: the
// response of its response.completed (or .incomplete) event.
func responsesStreamUsage(data []byte) (reask.Usage, bool) {
	var ev struct {
		Response *struct {
			Usage *responsesapi.Usage `json:"usage"`
		} `json:"response"`
	}
	if json.Unmarshal(data, &ev) != nil || ev.Response == nil || ev.Response.Usage == nil {
		return reask.Usage{}, false
	}
	return chatUsage(*ev.Response.Usage), true
}

// chatUsage is u in reask's (Chat Completions') words.
func chatUsage(u responsesapi.Usage) reask.Usage {
	total := u.TotalTokens
	if total == 0 {
		total = u.InputTokens + u.OutputTokens
	}
	return reask.Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: total,
		CachedPromptTokens: u.InputTokensDetails.CachedTokens}
}
