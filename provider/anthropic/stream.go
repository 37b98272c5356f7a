package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/sse"
	"github.com/reask/reask/ratelimit"
)

// stream sends a request body with "stream": true, hands each piece of
// the answer to req.OnDelta as it arrives (content_block_delta events: the
// text_delta of a text block, or the input_json_delta of a tool_use block,
// whichever block writes first) and returns the whole answer. A stream
// that ends before message_stop fails with an error matching
// io.ErrUnexpectedEOF, which reask retries like a dropped connection: it
// is never taken for a short answer. An error event is the API's error
// (overloaded_error mid-stream, say), classified as its error answers are.
func (p *Provider) stream(ctx context.Context, req *reask.Request, body []byte) (*reask.Response, error) {
	streamed := make([]byte, 0, len(body)+16)
	streamed = append(append(streamed, `{"stream":true,`...), body[1:]...)
	hresp, err := p.post(ctx, streamed)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	if ct, _, _ := mime.ParseMediaType(hresp.Header.Get("Content-Type")); hresp.StatusCode/100 != 2 || ct != "text/event-stream" {
		return p.answer(hresp)
	}
	m := message{follows: -1}
	events := sse.NewReader(hresp.Body, 0, p.cfg.MaxResponseBytes)
	for !m.stopped {
		e, err := events.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading the stream: %w", p.name, p.scrub.Error(err))
		}
		data := p.scrub.Bytes(e.Data)
		piece, apiErr, err := m.add(data)
		if apiErr {
			return nil, ParseError(p.name, eventStatus(data), hresp.Header, data, p.cfg.Clock.Now(), p.cfg.APIKey)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading the stream: %w", p.name, err)
		}
		if piece != "" {
			req.OnDelta(piece)
		}
	}
	if !m.stopped {
		return nil, fmt.Errorf("%s: the stream ended without message_stop: %w", p.name, io.ErrUnexpectedEOF)
	}
	resp := m.response()
	resp.RequestID = hresp.Header.Get("request-id")
	resp.RateLimit, _ = ratelimit.ParseAnthropic(hresp.Header, p.cfg.Clock.Now())
	return resp, nil
}

// message assembles a streamed message from its events.
type message struct {
	model      string
	stopReason string
	usage      struct{ input, output int }
	blocks     []block
	follows    int // the block whose deltas are the answer's pieces; -1 none yet
	stopped    bool
}

type block struct {
	typ, id, name string
	text          strings.Builder
}

// event is what reask reads of a streamed event.
type event struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Message *struct {
		Model string `json:"model"`
		Usage struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	} `json:"message"`
	ContentBlock *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"content_block"`
	Delta *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *struct {
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// add reads one event's data and returns the piece of the answer it adds,
// or whether it is an error event.
func (m *message) add(data []byte) (piece string, apiErr bool, err error) {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return "", false, fmt.Errorf("an event that is not JSON: %w", err)
	}
	switch e.Type {
	case "error":
		return "", true, nil
	case "message_start":
		if e.Message != nil {
			m.model = e.Message.Model
			m.usage.input, m.usage.output = e.Message.Usage.InputTokens, e.Message.Usage.OutputTokens
		}
	case "content_block_start":
		if e.ContentBlock == nil || e.Index < 0 || e.Index > 128 {
			return "", false, fmt.Errorf("a content_block_start without a block at index %d", e.Index)
		}
		for len(m.blocks) <= e.Index {
			m.blocks = append(m.blocks, block{})
		}
		b := &m.blocks[e.Index]
		b.typ, b.id, b.name = e.ContentBlock.Type, e.ContentBlock.ID, e.ContentBlock.Name
		b.text.WriteString(e.ContentBlock.Text)
	case "content_block_delta":
		if e.Delta == nil || e.Index < 0 || e.Index >= len(m.blocks) {
			return "", false, fmt.Errorf("a content_block_delta for block %d, which did not start", e.Index)
		}
		t := e.Delta.Text
		if e.Delta.Type == "input_json_delta" {
			t = e.Delta.PartialJSON
		}
		m.blocks[e.Index].text.WriteString(t)
		if t != "" && m.follows < 0 {
			m.follows = e.Index
		}
		if m.follows == e.Index {
			piece = t
		}
	case "message_delta":
		if e.Delta != nil && e.Delta.StopReason != "" {
			m.stopReason = e.Delta.StopReason
		}
		if e.Usage != nil {
			m.usage.output = e.Usage.OutputTokens
		}
	case "message_stop":
		m.stopped = true
	}
	return piece, false, nil
}

// response is the assembled answer, as decodeResponse reads a whole one.
func (m *message) response() *reask.Response {
	resp := &reask.Response{Model: m.model, FinishReason: m.stopReason}
	if fr, ok := stopReasons[m.stopReason]; ok {
		resp.FinishReason = fr
	}
	var text strings.Builder
	for _, b := range m.blocks {
		switch b.typ {
		case "text":
			text.WriteString(b.text.String())
		case "tool_use":
			args := b.text.String()
			if args == "" {
				args = "{}"
			}
			resp.ToolCalls = append(resp.ToolCalls, reask.ToolCall{ID: b.id, Name: b.name, Arguments: args})
		}
	}
	resp.Content = text.String()
	if m.stopReason == "refusal" {
		resp.Refusal = "the model declined (stop_reason \"refusal\")"
	}
	resp.Usage = reask.Usage{PromptTokens: m.usage.input, CompletionTokens: m.usage.output, TotalTokens: m.usage.input + m.usage.output}
	return resp
}

// eventStatus is the HTTP status an error event stands for, from its
// error type (errorStatus); a server error for a type it does not list.
func eventStatus(data []byte) int {
	var e struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	if st, ok := errorStatus[e.Error.Type]; ok {
		return st
	}
	return http.StatusInternalServerError
}
