package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// streamLine is one line of extract --stream's output when stdout is not
// a terminal (newline-delimited JSON): a partial answer, a restart, or the
// final value.
type streamLine struct {
	Attempt int `json:"attempt"`
	// Partial is the answer so far (open strings, arrays and objects
	// closed); Open the JSON Pointers still streaming; Invalid the
	// violations of the objects and arrays closed so far.
	Partial json.RawMessage    `json:"partial,omitempty"`
	Open    []string           `json:"open,omitempty"`
	Invalid []schema.Violation `json:"invalid,omitempty"`
	// Restart: what showed is discarded; Failed says why when the answer
	// failed its check (a re-ask follows), with its Violations.
	Restart    bool               `json:"restart,omitempty"`
	Failed     string             `json:"failed,omitempty"`
	Violations []schema.Violation `json:"violations,omitempty"`
	// Final: Value is the valid answer.
	Final bool            `json:"final,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// extractStreamed runs t through client.RunStream and shows the answer as
// it grows: on a terminal, one line redrawn in place on stderr, then the
// final value on stdout as extract prints it; otherwise newline-delimited
// JSON on stdout, a line per partial, restart and the final value. It
// returns the report and the extraction's error.
func (a *app) extractStreamed(ctx context.Context, client *reask.Client, t reask.Task) (*reask.Report, error) {
	tty := isTerminal(a.stdout)
	var show func(p reask.Partial[json.RawMessage]) error
	if tty {
		r := redrawer{w: a.stderr, width: terminalWidth(a.stderr)}
		show = r.show
		defer r.clear()
	} else {
		enc := json.NewEncoder(a.stdout)
		show = func(p reask.Partial[json.RawMessage]) error { return enc.Encode(lineOf(p)) }
	}
	for p, err := range client.RunStream(ctx, t) {
		if err != nil {
			return p.Report, err
		}
		if p.Final && tty {
			var out bytes.Buffer
			if err := json.Indent(&out, p.Value, "", "  "); err != nil {
				return p.Report, err
			}
			out.WriteByte('\n')
			_, err := out.WriteTo(a.stdout)
			return p.Report, err
		}
		if err := show(p); err != nil {
			return p.Report, err
		}
		if p.Final {
			return p.Report, nil
		}
	}
	return nil, fmt.Errorf("the stream ended without a result") // RunStream always yields one
}

func lineOf(p reask.Partial[json.RawMessage]) streamLine {
	l := streamLine{Attempt: p.Attempt, Restart: p.Restart, Final: p.Final}
	switch {
	case p.Final:
		l.Value = p.Value
	case p.Restart:
		if p.Failed != nil {
			l.Failed, l.Violations = p.Failed.Message, p.Failed.Violations
		}
	default:
		l.Partial, l.Open, l.Invalid = p.JSON, p.Open, p.Invalid
	}
	return l
}

// redrawer shows the answer so far on one terminal line, redrawn in place,
// and each restart on a line of its own.
type redrawer struct {
	w     io.Writer
	width int
	drawn bool
}

func (r *redrawer) show(p reask.Partial[json.RawMessage]) error {
	if p.Restart {
		r.clear()
		msg := "the call broke off; sending it again"
		if p.Failed != nil {
			msg = p.Failed.Message
		}
		_, err := fmt.Fprintf(r.w, "reask: retrying (attempt %d): %s\n", p.Attempt, msg)
		return err
	}
	line := fmt.Sprintf("attempt %d: %s", p.Attempt, p.JSON)
	if len(p.Open) > 0 {
		line += " …"
	}
	if len(line) > r.width-1 {
		// The end is what grows: show it.
		tail := line[len(line)-(r.width-2):]
		for len(tail) > 0 && tail[0]&0xC0 == 0x80 {
			tail = tail[1:] // not in the middle of a character
		}
		line = "…" + tail
	}
	r.drawn = true
	_, err := fmt.Fprint(r.w, "\r\x1b[2K"+line)
	return err
}

// clear erases the drawn line.
func (r *redrawer) clear() {
	if r.drawn {
		fmt.Fprint(r.w, "\r\x1b[2K")
		r.drawn = false
	}
}

// terminalWidth is w's width in columns, 80 when it cannot tell.
func terminalWidth(w io.Writer) int {
	if c, ok := w.(*checkedWriter); ok {
		w = c.w
	}
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 10 {
			return cols
		}
	}
	return 80
}
