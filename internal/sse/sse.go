// Package sse reads server-sent events (text/event-stream, as the WHATWG
// HTML standard defines them, lines ending in \n or \r\n) the way the OpenAI and Anthropic streaming
// APIs send them, for the providers' streaming calls.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEvent bounds one event's data: 1 MiB, far above the few
// hundred bytes a streamed chunk takes.
const DefaultMaxEvent = 1 << 20

// ErrTooLarge is Next's error for an event or a stream over its bound.
var ErrTooLarge = errors.New("sse: event stream too large")

// Event is one server-sent event.
type Event struct {
	// Type is the event's "event:" field, "" when it has none.
	Type string
	// Data is its "data:" lines joined by "\n"; valid until the next call
	// of Next.
	Data []byte
}

// Reader reads the events of a stream. Its zero value is not ready: use
// NewReader.
type Reader struct {
	br       *bufio.Reader
	maxEvent int
	left     int64 // bytes the stream may still take; < 0: no bound
	data     []byte
	typ      string
	hasData  bool
}

// NewReader reads events from r. maxEvent bounds one event's data (0:
// DefaultMaxEvent), maxStream the whole stream (0: no bound).
func NewReader(r io.Reader, maxEvent int, maxStream int64) *Reader {
	if maxEvent <= 0 {
		maxEvent = DefaultMaxEvent
	}
	if maxStream <= 0 {
		maxStream = -1
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), maxEvent: maxEvent, left: maxStream}
}

// Next returns the next event that has data. It returns io.EOF when the
// stream ends between events, io.ErrUnexpectedEOF when it ends inside
// one, ErrTooLarge past a bound, or the reading error.
func (r *Reader) Next() (Event, error) {
	r.data, r.typ, r.hasData = r.data[:0], "", false
	pending := false // a field of an event not yet dispatched
	for {
		line, err := r.line()
		if err != nil {
			if err == io.EOF && pending {
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if r.hasData {
				return Event{Type: r.typ, Data: r.data}, nil
			}
			r.typ, pending = "", false
			continue
		}
		if line[0] == ':' {
			continue // a comment (keep-alive)
		}
		pending = true
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			r.hasData = true
			if len(r.data) > r.maxEvent {
				return Event{}, fmt.Errorf("%w: an event of more than %d bytes", ErrTooLarge, r.maxEvent)
			}
		case "event":
			r.typ = string(value)
		}
	}
}

// line reads one line without its end (\n or \r\n; a lone \r, which the
// standard allows and no provider sends, is not a line end here).
func (r *Reader) line() ([]byte, error) {
	var out []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if r.left >= 0 {
			r.left -= int64(len(chunk))
			if r.left < 0 {
				return nil, fmt.Errorf("%w: the stream is over its bound", ErrTooLarge)
			}
		}
		if len(out)+len(chunk) > r.maxEvent+64 {
			return nil, fmt.Errorf("%w: a line of more than %d bytes", ErrTooLarge, r.maxEvent)
		}
		switch {
		case err == nil:
			out = append(out, chunk...)
			out = bytes.TrimSuffix(out[:len(out)-1], []byte("\r"))
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			out = append(out, chunk...)
			continue
		case err == io.EOF && len(out)+len(chunk) > 0:
			return nil, io.ErrUnexpectedEOF // a line cut off
		}
		return nil, err
	}
}
