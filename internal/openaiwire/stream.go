package openaiwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/reask/reask"
)

// Stream assembles a streamed chat completion (stream: true) from the data
// of its server-sent events, and tells the caller each piece of the answer
// as it comes. Its zero value is ready; set Tools before the first Add.
type Stream struct {
	// Tools says that the answer is a tool call: the pieces Add returns are
	// the first call's arguments. Otherwise they are the content, or the
	// first call's arguments when the model calls a tool before it writes
	// any content.
	Tools bool

	id, model, fingerprint string
	created                int64
	content                strings.Builder
	refusal                strings.Builder
	calls                  []reask.ToolCall
	finish                 string
	usage                  *reask.Usage
	done                   bool
	follows                byte // what the pieces follow: 0 not known yet, 'c' content, 't' the first tool call
}

// chunk is one chat.completion.chunk, limited to what reask reads.
type chunk struct {
	ID                string `json:"id"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Index int `json:"index"`
		Delta struct {
			Content   *string    `json:"content"`
			Refusal   *string    `json:"refusal"`
			ToolCalls []ToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *reask.Usage    `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// ErrorEvent is Add's error for an event that reports an error instead of
// a chunk ({"error": {...}}, which some servers send mid-stream): Data is
// the event's data, for the caller to parse as its error answers.
type ErrorEvent struct{ Data []byte }

func (e *ErrorEvent) Error() string { return "the stream reported an error: " + string(e.Data) }

// Add reads the data of one event: a chunk, or "[DONE]". It returns the
// piece of the answer the chunk adds ("" for none).
func (s *Stream) Add(data []byte) (string, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("[DONE]")) {
		s.done = true
		return "", nil
	}
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("an event that is not a chunk: %w", err)
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return "", &ErrorEvent{Data: append([]byte(nil), data...)}
	}
	if c.ID != "" {
		s.id = c.ID
	}
	if c.Created != 0 {
		s.created = c.Created
	}
	if c.Model != "" {
		s.model = c.Model
	}
	if c.SystemFingerprint != "" {
		s.fingerprint = c.SystemFingerprint
	}
	if c.Usage != nil {
		s.usage = c.Usage
	}
	var piece strings.Builder
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue // reask asks for one choice
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
		}
		if ch.Delta.Refusal != nil {
			s.refusal.WriteString(*ch.Delta.Refusal)
		}
		if t := ch.Delta.Content; t != nil && *t != "" {
			s.content.WriteString(*t)
			if s.follows == 0 && !s.Tools {
				s.follows = 'c'
			}
			if s.follows == 'c' {
				piece.WriteString(*t)
			}
		}
		for _, tc := range ch.Delta.ToolCalls {
			i := len(s.calls)
			if tc.Index != nil {
				i = *tc.Index
			}
			if i < 0 || i > 128 {
				return "", fmt.Errorf("a tool call delta with index %d", i)
			}
			for len(s.calls) <= i {
				s.calls = append(s.calls, reask.ToolCall{})
			}
			call := &s.calls[i]
			if tc.ID != "" {
				call.ID = tc.ID
			}
			call.Name += tc.Function.Name
			call.Arguments += tc.Function.Arguments
			if i == 0 && tc.Function.Arguments != "" {
				if s.follows == 0 {
					s.follows = 't'
				}
				if s.follows == 't' {
					piece.WriteString(tc.Function.Arguments)
				}
			}
		}
	}
	return piece.String(), nil
}

// Done reports whether the stream's end ([DONE]) came.
func (s *Stream) Done() bool { return s.done }

// Answer is the chat completion the stream assembled, as a whole answer
// would have been. A stream that ended before [DONE] was cut off: its
// error matches io.ErrUnexpectedEOF, whatever it held, so that a cut
// answer is never taken for a short one.
func (s *Stream) Answer() (*Answer, error) {
	if !s.done {
		return nil, fmt.Errorf("the stream ended without [DONE] after %d bytes of answer: %w", s.content.Len()+s.argumentsLen(), io.ErrUnexpectedEOF)
	}
	msg := ChoiceMessage{}
	if s.content.Len() > 0 || len(s.calls) == 0 {
		c := s.content.String()
		msg.Content = &c
	}
	if s.refusal.Len() > 0 {
		r := s.refusal.String()
		msg.Refusal = &r
	}
	for _, c := range s.calls {
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: c.ID, Type: "function", Function: Function{Name: c.Name, Arguments: c.Arguments}})
	}
	return &Answer{ID: s.id, Created: s.created, Model: s.model, SystemFingerprint: s.fingerprint,
		Choices: []Choice{{Message: msg, FinishReason: s.finish}}, Usage: s.usage}, nil
}

// Response is reask's view of the answer the stream assembled (see Answer
// and Answer.Response).
func (s *Stream) Response() (*reask.Response, error) {
	a, err := s.Answer()
	if err != nil {
		return nil, err
	}
	return a.Response()
}

func (s *Stream) argumentsLen() int {
	n := 0
	for _, c := range s.calls {
		n += len(c.Arguments)
	}
	return n
}
