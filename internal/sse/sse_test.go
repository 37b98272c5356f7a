package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	in := ": keep-alive\n\nevent: message_start\ndata: {\"a\":1}\n\ndata: one\r\ndata:two\n\nevent: ignored\n\ndata: [DONE]\n\n"
	r := NewReader(strings.NewReader(in), 0, 0)
	var got []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Type+"|"+string(e.Data))
	}
	want := []string{`message_start|{"a":1}`, "|one\ntwo", "|[DONE]"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A stream that ends inside an event, or inside a line, is cut off, not
// finished.
func TestReaderCut(t *testing.T) {
	for _, in := range []string{"data: {\"a\":1}\n", "data: {\"a\"", "event: x\n"} {
		r := NewReader(strings.NewReader(in), 0, 0)
		if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: got %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

func TestReaderBounds(t *testing.T) {
	r := NewReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 50, 0)
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("event bound: got %v", err)
	}
	r = NewReader(strings.NewReader(strings.Repeat("data: x\n\n", 100)), 0, 100)
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("stream bound: got %v", err)
	}
}
