package repair

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Every error Parse, Repair and Coerce return matches one
// of them with errors.Is; the typed errors below carry the details.
var (
	// ErrNoJSON: the text holds no JSON value (only prose, or nothing).
	ErrNoJSON = errors.New("no JSON value found")
	// ErrSyntax: the JSON is broken in a way repair does not fix. The
	// error is a *SyntaxError.
	ErrSyntax = errors.New("invalid JSON")
	// ErrTruncated: the input ends inside a value (an unclosed string,
	// array or object). The error is a *TruncatedError. Repair reports
	// truncation instead of closing it, because a silently shortened value
	// looks complete and is not: the caller should ask again.
	ErrTruncated = errors.New("truncated JSON")
	// ErrTooLarge: the input is longer than Options.MaxBytes.
	ErrTooLarge = errors.New("input too large")
	// ErrTooDeep: arrays and objects nest deeper than Options.MaxDepth.
	ErrTooDeep = errors.New("JSON nested too deeply")
	// ErrTooManyFixes: reading the text took more fixes than
	// Options.MaxFixes.
	ErrTooManyFixes = errors.New("too many fixes")
)

// SyntaxError is broken JSON that repair cannot fix. Its message names the
// position and quotes the text around it, so it can be shown to a person
// or fed back to the model as is:
//
//	line 1, column 9: expected ':' after object key, near {"name" 'John'…
type SyntaxError struct {
	Offset  int    // byte offset in the input
	Line    int    // 1-based line
	Column  int    // 1-based column, in characters
	Msg     string // what is wrong, e.g. "expected ',' or '}' after object member"
	Excerpt string // the input around Offset, on one line

	// expected, while Msg is empty, makes Msg "unexpected <the character
	// at Offset>, <expected>" once the input is at hand.
	expected string
}

func (e *SyntaxError) Error() string {
	msg := e.Msg
	if msg == "" && e.expected != "" {
		msg = "unexpected text, " + e.expected
	}
	s := fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, msg)
	if e.Excerpt != "" {
		s += ", near " + e.Excerpt
	}
	return s
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// TruncatedError is input that ends inside a value.
type TruncatedError struct {
	// Offset is where the input ends (its length).
	Offset int
	// Open lists what was left open, innermost first, as the characters
	// that would close it: `"` for a string, `]` and `}` for containers.
	Open string
	// Partial is the value parsed so far with its containers closed, as
	// JSON; nil when nothing was complete. It is for diagnostics only: a
	// partial value is not an answer.
	Partial []byte
}

func (e *TruncatedError) Error() string {
	var what []string
	for _, c := range e.Open {
		switch c {
		case '"':
			what = append(what, "a string")
		case ']':
			what = append(what, "an array")
		case '}':
			what = append(what, "an object")
		case ')':
			what = append(what, "a parenthesis")
		}
	}
	if len(what) == 0 {
		return fmt.Sprintf("truncated JSON: the input ends at byte %d before the value is complete", e.Offset)
	}
	return fmt.Sprintf("truncated JSON: the input ends at byte %d inside %s (%q never closed)",
		e.Offset, strings.Join(what, " in "), e.Open)
}

// Is makes errors.Is(err, ErrTruncated) true.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// excerptRadius is how many bytes of context a SyntaxError shows on each
// side of the offset.
const excerptRadius = 24

// completeSyntaxError fills in the line, column and excerpt of a
// SyntaxError made by the parser.
func completeSyntaxError(src []byte, err error) error {
	var se *SyntaxError
	if errors.As(err, &se) && se.Line == 0 {
		msg := se.Msg
		if msg == "" && se.expected != "" {
			msg = "unexpected " + describeByte(src, se.Offset) + ", " + se.expected
		}
		*se = *newSyntaxError(src, se.Offset, msg)
	}
	return err
}

// newSyntaxError builds a SyntaxError at byte off of src.
func newSyntaxError(src []byte, off int, msg string) *SyntaxError {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	lineStart := 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	col = utf8.RuneCount(src[lineStart:off]) + 1
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: msg, Excerpt: excerpt(src, off)}
}

// excerpt returns the text around off on one line: control characters are
// shown as escapes, cuts are marked with "…".
func excerpt(src []byte, off int) string {
	lo, hi := off-excerptRadius, off+excerptRadius
	if lo < 0 {
		lo = 0
	}
	if hi > len(src) {
		hi = len(src)
	}
	for lo > 0 && lo < len(src) && !utf8.RuneStart(src[lo]) {
		lo--
	}
	for hi < len(src) && !utf8.RuneStart(src[hi]) {
		hi++
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString("…")
	}
	b.WriteString(oneLine(src[lo:hi]))
	if hi < len(src) {
		b.WriteString("…")
	}
	return b.String()
}

// oneLine renders b as readable text on one line: newlines, tabs and other
// control characters as escapes, invalid UTF-8 as U+FFFD.
func oneLine(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
