package repair

import (
	"fmt"
	"unicode/utf8"
)

// The strict scanner checks RFC 8259 JSON without building anything. It is
// the fast path: most answers are valid, and for them repair costs one scan
// at about the speed of encoding/json's Valid — with a depth limit and a
// UTF-8 check that Valid does not make.

// strictError is where and why strict scanning stopped; the zero value
// means it did not. It is a value and its message is built on demand
// (message), so that a failed scan allocates nothing: the lenient parser
// tries one on every candidate.
type strictError struct {
	off int
	// msg says what is wrong; with describe set it is a format whose %s
	// is the character at off, with escape set the escape after it.
	msg              string
	describe, escape bool
	tooDeep          bool
}

// failed reports whether the scan stopped on an error.
func (e strictError) failed() bool { return e.msg != "" }

// message is the error's text; b is the input scanned.
func (e strictError) message(b []byte) string {
	switch {
	case e.describe:
		return fmt.Sprintf(e.msg, describeByte(b, e.off))
	case e.escape && e.off+2 <= len(b):
		return fmt.Sprintf(e.msg, oneLine(b[e.off+1:e.off+2]))
	}
	return e.msg
}

// plain[c] is true for string bytes that need no attention: printable
// ASCII other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Valid reports whether b is exactly one strict JSON value (RFC 8259, in
// UTF-8), surrounding whitespace allowed, nested at most MaxDepthCeiling
// deep. It accepts a subset of what encoding/json's Valid accepts (that
// also takes invalid UTF-8 inside strings) at a few times its speed, and
// allocates nothing below 64 levels of nesting.
func Valid(b []byte) bool {
	end, err := scanStrict(b, 0, MaxDepthCeiling)
	if err.failed() {
		return false
	}
	for end < len(b) && isSpace(b[end]) {
		end++
	}
	return end == len(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanStrict checks that b[i:] starts with one strict JSON value, nested at
// most maxDepth deep, and returns the offset just after it.
func scanStrict(b []byte, i, maxDepth int) (int, strictError) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // closers of the open containers
	n := len(b)
	var c byte
	var err strictError

value:
	for i < n && isSpace(b[i]) {
		i++
	}
	if i >= n {
		return i, strictError{off: i, msg: "unexpected end of input, expected a value"}
	}
	c = b[i]
	switch {
	case c == '{':
		if len(stack) >= maxDepth {
			return i, strictError{off: i, msg: "nesting too deep", tooDeep: true}
		}
		stack = append(stack, '}')
		i++
		for i < n && isSpace(b[i]) {
			i++
		}
		if i < n && b[i] == '}' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto key
	case c == '[':
		if len(stack) >= maxDepth {
			return i, strictError{off: i, msg: "nesting too deep", tooDeep: true}
		}
		stack = append(stack, ']')
		i++
		for i < n && isSpace(b[i]) {
			i++
		}
		if i < n && b[i] == ']' {
			i++
			stack = stack[:len(stack)-1]
			goto after
		}
		goto value
	case c == '"':
		if i, err = scanStrictString(b, i); err.failed() {
			return i, err
		}
	case c == '-' || isDigit(c):
		if i, err = scanStrictNumber(b, i); err.failed() {
			return i, err
		}
	case c == 't':
		if i, err = scanLiteral(b, i, "true"); err.failed() {
			return i, err
		}
	case c == 'f':
		if i, err = scanLiteral(b, i, "false"); err.failed() {
			return i, err
		}
	case c == 'n':
		if i, err = scanLiteral(b, i, "null"); err.failed() {
			return i, err
		}
	default:
		return i, strictError{off: i, msg: "unexpected %s, expected a value", describe: true}
	}

after:
	if len(stack) == 0 {
		return i, strictError{}
	}
	for i < n && isSpace(b[i]) {
		i++
	}
	if i >= n {
		return i, strictError{off: i, msg: endExpectingAfter(stack[len(stack)-1])}
	}
	c = b[i]
	if c == ',' {
		i++
		if stack[len(stack)-1] == '}' {
			goto key
		}
		goto value
	}
	if c == stack[len(stack)-1] {
		i++
		stack = stack[:len(stack)-1]
		goto after
	}
	return i, strictError{off: i, msg: expectAfter(stack[len(stack)-1])}

key:
	for i < n && isSpace(b[i]) {
		i++
	}
	if i >= n {
		return i, strictError{off: i, msg: "unexpected end of input, expected an object key"}
	}
	if b[i] != '"' {
		return i, strictError{off: i, msg: "unexpected %s, expected a double-quoted object key", describe: true}
	}
	if i, err = scanStrictString(b, i); err.failed() {
		return i, err
	}
	for i < n && isSpace(b[i]) {
		i++
	}
	if i >= n || b[i] != ':' {
		return i, strictError{off: i, msg: "expected ':' after object key"}
	}
	i++
	goto value
}

// endExpectingAfter is expectAfter at the end of the input; a constant, so
// that a failed scan allocates nothing.
func endExpectingAfter(closer byte) string {
	if closer == '}' {
		return "unexpected end of input, expected ',' or '}' after object member"
	}
	return "unexpected end of input, expected ',' or ']' after array element"
}

func expectAfter(closer byte) string {
	if closer == '}' {
		return "expected ',' or '}' after object member"
	}
	return "expected ',' or ']' after array element"
}

// scanStrictString scans the string starting with the quote at b[i].
func scanStrictString(b []byte, i int) (int, strictError) {
	start := i
	i++
	n := len(b)
	for {
		for i+8 <= n && plain[b[i]] && plain[b[i+1]] && plain[b[i+2]] && plain[b[i+3]] &&
			plain[b[i+4]] && plain[b[i+5]] && plain[b[i+6]] && plain[b[i+7]] {
			i += 8
		}
		for i < n && plain[b[i]] {
			i++
		}
		if i >= n {
			return i, strictError{off: start, msg: "unterminated string"}
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, strictError{}
		case c == '\\':
			if i+1 >= n {
				return i, strictError{off: start, msg: "unterminated string"}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > n || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, strictError{off: i, msg: "invalid \\u escape in string"}
				}
				i += 6
			default:
				return i, strictError{off: i, msg: "invalid escape \\%s in string", escape: true}
			}
		case c < 0x20:
			return i, strictError{off: i, msg: "control character in string (must be escaped)"}
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, strictError{off: i, msg: "invalid UTF-8 in string"}
			}
			i += size
		}
	}
}

// scanStrictNumber scans the number starting at b[i].
func scanStrictNumber(b []byte, i int) (int, strictError) {
	start := i
	n := len(b)
	if b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && b[i] >= '1' && b[i] <= '9':
		for i < n && isDigit(b[i]) {
			i++
		}
	default:
		return i, strictError{off: start, msg: "invalid number"}
	}
	if i < n && b[i] == '.' {
		i++
		if i >= n || !isDigit(b[i]) {
			return i, strictError{off: start, msg: "invalid number: digits expected after the decimal point"}
		}
		for i < n && isDigit(b[i]) {
			i++
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= n || !isDigit(b[i]) {
			return i, strictError{off: start, msg: "invalid number: digits expected in the exponent"}
		}
		for i < n && isDigit(b[i]) {
			i++
		}
	}
	return i, strictError{}
}

func scanLiteral(b []byte, i int, lit string) (int, strictError) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, strictError{off: i, msg: "unexpected %s, expected a value", describe: true}
	}
	return i + len(lit), strictError{}
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// describeByte names the character at b[i] for an error message.
func describeByte(b []byte, i int) string {
	if i >= len(b) {
		return "end of input"
	}
	r, size := utf8.DecodeRune(b[i:])
	if r == utf8.RuneError && size == 1 {
		return fmt.Sprintf("byte 0x%02x (invalid UTF-8)", b[i])
	}
	return fmt.Sprintf("character %q", r)
}
