// Package partial parses a JSON answer while it streams in, and says at
// every point what is known of it for sure.
//
// A Parser is fed the answer in chunks as a provider sends them. After each
// chunk it can render the value so far as JSON text (AppendJSON) with the
// semantics of BAML's partial types:
//
//   - an object member is absent until its value has started;
//   - numbers, true, false and null appear only once finished, so that a
//     partial never shows 4 of what will be 42;
//   - strings stream: an open string is shown as far as it has come, and
//     Open lists it, so that it is never taken for the final text; strings
//     the schema restricts to a set of values (enum, const) or wants as
//     another type appear only once closed, like numbers;
//   - objects and arrays appear as soon as they open and are known closed
//     when they close (OnClose is told, with their text, so that they can
//     be validated at once).
//
// What a partial shows never changes later, except that an open string
// grows and open objects and arrays gain members. Each chunk costs time in
// proportion to its own length, not to the answer's: the prefix is never
// parsed again.
package partial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/reask/reask/internal/jsonesc"
	"github.com/reask/reask/schema"
)

// Default limits, used where Options leaves a limit at zero.
const (
	// DefaultMaxBytes bounds the answer: 16 MiB, as package repair's.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxDepth bounds nesting: 512 levels, as package repair's.
	DefaultMaxDepth = 512
)

// Sentinel errors; the error of Write or Close matches one of them.
var (
	// ErrSyntax: the answer is not JSON this parser reads (the error is a
	// *SyntaxError). Local repair may still fix the whole answer.
	ErrSyntax = errors.New("partial: invalid JSON")
	// ErrTruncated: the answer ended (Close) inside a value.
	ErrTruncated = errors.New("partial: truncated JSON")
	// ErrNoJSON: the answer ended before any value began.
	ErrNoJSON = errors.New("partial: no JSON value found")
	// ErrTooLarge: the answer is longer than Options.MaxBytes.
	ErrTooLarge = errors.New("partial: answer too large")
	// ErrTooDeep: objects and arrays nest deeper than Options.MaxDepth.
	ErrTooDeep = errors.New("partial: JSON nested too deeply")
)

// SyntaxError says where the answer stopped being JSON.
type SyntaxError struct {
	Offset int64  // byte offset in the answer
	Msg    string // what was expected, e.g. "expected ':' after object key"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("partial: offset %d: %s", e.Offset, e.Msg)
}

// Is makes a *SyntaxError match ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Options configure a Parser. The zero value is ready to use.
type Options struct {
	// Schema, if set, decides which strings stream: one whose schema is an
	// enum or a const, or allows no string at all (a model that writes
	// "30" for an integer), appears only once closed. It also says what to
	// look for behind leading prose: a schema whose root is an object skips
	// everything before the first '{', one whose root is an array before
	// the first '['.
	Schema *schema.Schema
	// OnClose, if set, is called as each object and array closes, the root
	// included, with its JSON Pointer and its JSON text (compact, members
	// in the model's order). text is valid only during the call.
	OnClose func(path string, text []byte)
	// MaxBytes bounds the answer's length; 0 means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds the nesting of objects and arrays; 0 means
	// DefaultMaxDepth.
	MaxDepth int
}

// state is where the parser is in the grammar.
type state uint8

const (
	sProse     state = iota // before the value: skipping prose and fences
	sValue                  // a value is expected
	sKeyOrEnd               // after '{': a key or '}'
	sKey                    // after ',' in an object: a key (or '}' after a trailing comma)
	sKeyString              // inside a key
	sColon                  // after a key: ':'
	sAfter                  // after a member or element: ',' or the closing bracket
	sString                 // inside a string value
	sNumber                 // inside a number
	sLiteral                // inside true, false or null
	sDone                   // the value is complete; the rest is ignored
	sFailed                 // a syntax error or limit stopped the parser
)

// escape is where a string is in an escape sequence.
type escape uint8

const (
	escNone      escape = iota // plain text
	escBackslash               // after '\'
	escHex                     // reading the 4 hex digits of \u
	escLow                     // after a high surrogate: hoping for '\' of its low half
	escLowU                    // after the high surrogate's following '\': hoping for 'u'
)

// frame is an open object or array.
type frame struct {
	obj   bool
	path  string
	start int // offset of its opening bracket in out
	n     int // members or elements shown
}

// Parser reads one JSON value, chunk by chunk. Its zero value is not
// ready: use New. A Parser is not safe for concurrent use.
type Parser struct {
	opts  Options
	st    state
	stack []frame
	out   []byte // what is shown, open values not closed: append-only
	read  int64  // bytes written so far
	err   error
	ver   int // counts the changes of what is shown

	// The value being read.
	memberKey []byte // the current member's key, quoted, until its value shows
	keyText   []byte // the current key, decoded, while it is read
	path      string // the pointer of the value being read
	atomic    bool   // the string being read shows only once closed
	strOpen   bool   // a shown string is open (its quote not closed in out)
	atom      []byte // an atomic string's quoted text, or a number's, while read
	literal   string // the literal being matched
	litPos    int

	// String decoding.
	esc   escape
	hex   rune
	hexN  int
	high  rune              // a high surrogate waiting for its low half
	pend  [utf8.UTFMax]byte // the bytes of an incomplete UTF-8 sequence
	pendN int

	// Leading prose.
	proseStart bool // no byte other than white space seen yet
	want       byte // the bracket prose skips to; 0: any value may start
}

// New returns a parser configured by opts.
func New(opts Options) *Parser {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	p := &Parser{opts: opts, proseStart: true}
	if opts.Schema != nil {
		switch types := opts.Schema.At("").Types(); {
		case len(types) == 1 && types[0] == "object":
			p.want = '{'
		case len(types) == 1 && types[0] == "array":
			p.want = '['
		}
	}
	return p
}

// Write feeds the next chunk of the answer. It returns len(b) and nil, or
// the error that stopped the parser (then and on every later call): a
// *SyntaxError, ErrTooLarge or ErrTooDeep. Bytes after the value has ended
// (a closing fence, prose) are ignored.
func (p *Parser) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.read+int64(len(b)) > int64(p.opts.MaxBytes) {
		return 0, p.fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, p.opts.MaxBytes))
	}
	for i := 0; i < len(b); i++ {
		if p.st == sDone {
			break
		}
		if (p.st == sString || p.st == sKeyString) && p.esc == escNone && p.pendN == 0 {
			// The common case, plain text in a string, in one run.
			j := i
			for j < len(b) && plain(b[j]) {
				j++
			}
			if j > i {
				p.text(b[i:j])
				p.read += int64(j - i)
				i = j - 1
				continue
			}
		}
		if err := p.step(b[i]); err != nil {
			return 0, err
		}
		p.read++
	}
	return len(b), nil
}

// WriteString is Write for a string.
func (p *Parser) WriteString(s string) (int, error) { return p.Write([]byte(s)) }

// Close ends the answer. A number at the end of the answer is finished
// now. It returns nil when one whole value was read, ErrNoJSON when none
// began, ErrTruncated when the answer ended inside one, or the error that
// stopped the parser.
func (p *Parser) Close() error {
	if p.err != nil {
		return p.err
	}
	switch p.st {
	case sDone:
		return nil
	case sNumber:
		if len(p.stack) == 0 {
			if err := p.endNumber(); err != nil {
				return err
			}
			return nil
		}
	case sProse:
		return p.fail(ErrNoJSON)
	case sValue:
		if len(p.stack) == 0 {
			return p.fail(ErrNoJSON)
		}
	}
	return p.fail(fmt.Errorf("%w: the answer ends inside %s", ErrTruncated, p.inside()))
}

// inside names the innermost open value, for truncation errors.
func (p *Parser) inside() string {
	switch p.st {
	case sString, sKeyString:
		return "a string"
	case sNumber:
		return "a number"
	case sLiteral:
		return "a literal"
	}
	if len(p.stack) > 0 && p.stack[len(p.stack)-1].obj {
		return "an object"
	}
	return "an array"
}

// Done reports whether the whole value has been read.
func (p *Parser) Done() bool { return p.st == sDone }

// Started reports whether anything of the value shows yet.
func (p *Parser) Started() bool { return len(p.out) > 0 }

// Version counts the changes of what the parser shows — AppendJSON's text
// or Open's list — so that a caller redraws only when it changed.
func (p *Parser) Version() int { return p.ver }

// Err returns the error that stopped the parser, or nil.
func (p *Parser) Err() error { return p.err }

// AppendJSON appends the value so far to dst as compact JSON text: what has
// shown, with open strings, arrays and objects closed. It appends nothing
// while nothing shows.
func (p *Parser) AppendJSON(dst []byte) []byte {
	dst = append(dst, p.out...)
	if p.strOpen {
		dst = append(dst, '"')
	}
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i].obj {
			dst = append(dst, '}')
		} else {
			dst = append(dst, ']')
		}
	}
	return dst
}

// Value returns the value so far, decoded as encoding/json decodes into an
// interface value with UseNumber: nil, bool, json.Number, string, []any,
// map[string]any. ok is false while nothing shows.
func (p *Parser) Value() (v any, ok bool) {
	if !p.Started() {
		return nil, false
	}
	if err := decode(p.AppendJSON(nil), &v); err != nil {
		return nil, false // cannot happen: what shows is always JSON (the fuzz target checks it)
	}
	return v, true
}

// Open appends to dst the JSON Pointers of the values still open, outermost
// first: the objects and arrays not closed, and the string that is
// streaming, if any. Every shown value not in the list is final.
func (p *Parser) Open(dst []string) []string {
	for _, f := range p.stack {
		dst = append(dst, f.path)
	}
	if p.strOpen {
		dst = append(dst, p.path)
	}
	return dst
}

// Len is the length of the shown text without its closing brackets; it
// only grows.
func (p *Parser) Len() int { return len(p.out) }

func (p *Parser) fail(err error) error {
	p.err = err
	p.st = sFailed
	return err
}

func (p *Parser) syntax(msg string) error {
	return p.fail(&SyntaxError{Offset: p.read, Msg: msg})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// plain reports whether c stands for itself inside a string.
func plain(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }

// step reads one byte.
func (p *Parser) step(c byte) error {
	switch p.st {
	case sProse:
		return p.prose(c)
	case sValue:
		if isSpace(c) {
			return nil
		}
		return p.begin(c)
	case sKeyOrEnd, sKey:
		switch {
		case isSpace(c):
			return nil
		case c == '"':
			p.st = sKeyString
			p.keyText = p.keyText[:0]
			return nil
		case c == '}':
			// sKey: a trailing comma, which repair tolerates too.
			return p.closeContainer()
		}
		return p.syntax(fmt.Sprintf("expected a quoted key or '}', found %q", c))
	case sKeyString:
		return p.stringByte(c)
	case sColon:
		switch {
		case isSpace(c):
			return nil
		case c == ':':
			p.st = sValue
			return nil
		}
		return p.syntax(fmt.Sprintf("expected ':' after object key, found %q", c))
	case sAfter:
		return p.after(c)
	case sString:
		return p.stringByte(c)
	case sNumber:
		if numberByte(c) {
			p.atom = append(p.atom, c)
			return nil
		}
		if err := p.endNumber(); err != nil {
			return err
		}
		if p.st == sDone {
			return nil
		}
		return p.step(c)
	case sLiteral:
		if c != p.literal[p.litPos] {
			if len(p.stack) == 0 && p.want == 0 {
				// "the answer is…": prose that began like a literal.
				p.st = sProse
				return p.prose(c)
			}
			return p.syntax(fmt.Sprintf("expected %q, found %q", p.literal, c))
		}
		p.litPos++
		if p.litPos == len(p.literal) {
			p.showScalar([]byte(p.literal))
		}
		return nil
	}
	return nil
}

// prose skips what comes before the value: white space, a Markdown fence,
// a sentence. Without a schema to say which bracket to look for, a value
// may also start at once.
func (p *Parser) prose(c byte) error {
	if isSpace(c) {
		return nil
	}
	start := p.proseStart
	p.proseStart = false
	switch {
	case p.want != 0:
		if c == p.want {
			return p.begin(c)
		}
	case c == '{' || c == '[':
		return p.begin(c)
	case start && (c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n'):
		return p.begin(c)
	}
	return nil
}

// begin starts a value at its first byte c.
func (p *Parser) begin(c byte) error {
	if c == '{' || c == '[' || c == '"' {
		p.path = p.childPath() // scalars need none: they are never open
	}
	switch {
	case c == '{' || c == '[':
		if len(p.stack) >= p.opts.MaxDepth {
			return p.fail(fmt.Errorf("%w: more than %d levels", ErrTooDeep, p.opts.MaxDepth))
		}
		p.showPrefix()
		p.stack = append(p.stack, frame{obj: c == '{', path: p.path, start: len(p.out)})
		p.out = append(p.out, c)
		p.ver++
		if c == '{' {
			p.st = sKeyOrEnd
		} else {
			p.st = sValue
			p.proseStart = false
		}
		return nil
	case c == ']' && len(p.stack) > 0 && !p.stack[len(p.stack)-1].obj:
		// An empty array, or a trailing comma.
		return p.closeContainer()
	case c == '"':
		p.st = sString
		p.atomic = p.isAtomic()
		if p.atomic {
			p.atom = append(p.atom[:0], '"')
		} else {
			p.showPrefix()
			p.out = append(p.out, '"')
			p.strOpen = true
			p.ver++
		}
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		p.st = sNumber
		p.atom = append(p.atom[:0], c)
		return nil
	case c == 't' || c == 'f' || c == 'n':
		p.st = sLiteral
		switch c {
		case 't':
			p.literal = "true"
		case 'f':
			p.literal = "false"
		default:
			p.literal = "null"
		}
		p.litPos = 1
		return nil
	}
	return p.syntax(fmt.Sprintf("expected a value, found %q", c))
}

// childPath is the pointer of the value starting in the innermost open
// container.
func (p *Parser) childPath() string {
	if len(p.stack) == 0 {
		return ""
	}
	f := &p.stack[len(p.stack)-1]
	if f.obj {
		return schema.JoinPointer(f.path, string(p.keyText))
	}
	return f.path + "/" + strconv.Itoa(f.n)
}

// isAtomic reports whether the string starting at p.path shows only once
// closed: the schema allows it a fixed set of values, or no string at all.
func (p *Parser) isAtomic() bool {
	if p.opts.Schema == nil {
		return false
	}
	n := p.opts.Schema.At(p.path)
	if n.IsZero() {
		return false
	}
	if len(n.Enum()) > 0 {
		return true
	}
	types := n.Types()
	if len(types) == 0 {
		return false
	}
	for _, t := range types {
		if t == "string" {
			return false
		}
	}
	return true
}

// showPrefix writes what goes before a value that starts showing: the
// comma after the previous member or element, and the member's key.
func (p *Parser) showPrefix() {
	if len(p.stack) == 0 {
		return
	}
	f := &p.stack[len(p.stack)-1]
	if f.n > 0 {
		p.out = append(p.out, ',')
	}
	if f.obj {
		p.out = append(p.out, p.memberKey...)
		p.out = append(p.out, ':')
	}
	f.n++
}

// showScalar shows a finished number, literal or atomic string.
func (p *Parser) showScalar(text []byte) {
	p.showPrefix()
	p.out = append(p.out, text...)
	p.ver++
	p.valueEnded()
}

// valueEnded moves on after a value: to the root's end, or to what may
// follow it in its container.
func (p *Parser) valueEnded() {
	if len(p.stack) == 0 {
		p.st = sDone
		return
	}
	p.st = sAfter
}

func (p *Parser) after(c byte) error {
	if isSpace(c) {
		return nil
	}
	f := p.stack[len(p.stack)-1]
	switch {
	case c == ',':
		if f.obj {
			p.st = sKey
		} else {
			p.st = sValue
		}
		return nil
	case c == '}' && f.obj, c == ']' && !f.obj:
		return p.closeContainer()
	}
	if f.obj {
		return p.syntax(fmt.Sprintf("expected ',' or '}' after object member, found %q", c))
	}
	return p.syntax(fmt.Sprintf("expected ',' or ']' after array element, found %q", c))
}

func (p *Parser) closeContainer() error {
	f := p.stack[len(p.stack)-1]
	if f.obj {
		p.out = append(p.out, '}')
	} else {
		p.out = append(p.out, ']')
	}
	p.stack = p.stack[:len(p.stack)-1]
	p.ver++
	if p.opts.OnClose != nil {
		p.opts.OnClose(f.path, p.out[f.start:])
	}
	p.valueEnded()
	return nil
}

// numberByte reports whether c may be part of a number.
func numberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// endNumber shows the number read, once a byte that cannot belong to it
// (or the end of the answer) says it is finished.
func (p *Parser) endNumber() error {
	if !validNumber(p.atom) {
		return p.syntax(fmt.Sprintf("invalid number %q", p.atom))
	}
	p.showScalar(p.atom)
	return nil
}

// validNumber checks JSON's number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// text takes bytes that stand for themselves inside a string: a run of
// plain ASCII, or one valid UTF-8 encoded rune.
func (p *Parser) text(b []byte) {
	switch {
	case p.st == sKeyString:
		p.keyText = append(p.keyText, b...)
	case p.atomic:
		p.atom = append(p.atom, b...)
	default:
		p.out = append(p.out, b...)
		p.ver++
	}
}

// stringByte reads one byte of a key or string value.
func (p *Parser) stringByte(c byte) error {
	switch p.esc {
	case escBackslash:
		p.esc = escNone
		switch c {
		case '"', '\\', '/':
			p.rune(rune(c))
		case 'b':
			p.rune('\b')
		case 'f':
			p.rune('\f')
		case 'n':
			p.rune('\n')
		case 'r':
			p.rune('\r')
		case 't':
			p.rune('\t')
		case 'u':
			p.esc, p.hex, p.hexN = escHex, 0, 0
		default:
			return p.syntax(fmt.Sprintf("invalid escape \\%c in string", c))
		}
		return nil
	case escHex:
		d, ok := hexDigit(c)
		if !ok {
			return p.syntax(fmt.Sprintf("invalid \\u escape: %q is not a hex digit", c))
		}
		p.hex = p.hex<<4 | d
		p.hexN++
		if p.hexN == 4 {
			p.esc = escNone
			p.unicode(p.hex)
		}
		return nil
	case escLow:
		if c == '\\' {
			p.esc = escLowU
			return nil
		}
		p.high = 0
		p.rune(utf8.RuneError)
		p.esc = escNone
		return p.stringByte(c)
	case escLowU:
		p.esc = escNone
		if c == 'u' {
			p.esc, p.hex, p.hexN = escHex, 0, 0
			return nil
		}
		// Not a \u escape: the high surrogate stands alone.
		p.high = 0
		p.rune(utf8.RuneError)
		p.esc = escBackslash
		return p.stringByte(c)
	}
	switch {
	case c >= 0x80:
		p.pend[p.pendN] = c
		p.pendN++
		for p.pendN > 0 && utf8.FullRune(p.pend[:p.pendN]) {
			r, size := utf8.DecodeRune(p.pend[:p.pendN])
			if r == utf8.RuneError && size == 1 {
				p.rune(utf8.RuneError)
			} else {
				p.text(p.pend[:size])
			}
			p.pendN = copy(p.pend[:], p.pend[size:p.pendN])
		}
		return nil
	case p.pendN > 0:
		// An incomplete sequence before an ASCII byte: each of its bytes
		// is invalid, as encoding/json reads it.
		for range p.pendN {
			p.rune(utf8.RuneError)
		}
		p.pendN = 0
	}
	switch c {
	case '\\':
		p.esc = escBackslash
	case '"':
		return p.endString()
	default:
		p.rune(rune(c)) // a control character, which repair tolerates: written escaped
	}
	return nil
}

// unicode takes the code point of a \u escape.
func (p *Parser) unicode(r rune) {
	switch {
	case p.high != 0:
		high := p.high
		p.high = 0
		if r >= 0xDC00 && r <= 0xDFFF {
			p.rune((high-0xD800)<<10 | (r - 0xDC00) + 0x10000)
			return
		}
		p.rune(utf8.RuneError)
		p.unicode(r)
	case r >= 0xD800 && r <= 0xDBFF:
		p.high = r
		p.esc = escLow
	case r >= 0xDC00 && r <= 0xDFFF:
		p.rune(utf8.RuneError)
	default:
		p.rune(r)
	}
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

// rune takes one decoded rune of a string.
func (p *Parser) rune(r rune) {
	switch {
	case p.st == sKeyString:
		p.keyText = utf8.AppendRune(p.keyText, r)
	case p.atomic:
		p.atom = jsonesc.AppendRune(p.atom, r)
	default:
		p.out = jsonesc.AppendRune(p.out, r)
		p.ver++
	}
}

// endString ends a key or a string value at its closing quote.
func (p *Parser) endString() error {
	switch {
	case p.st == sKeyString:
		p.memberKey = append(p.memberKey[:0], '"')
		for _, r := range string(p.keyText) {
			p.memberKey = jsonesc.AppendRune(p.memberKey, r)
		}
		p.memberKey = append(p.memberKey, '"')
		p.st = sColon
	case p.atomic:
		p.atom = append(p.atom, '"')
		p.atomic = false
		p.showScalar(p.atom)
	default:
		p.out = append(p.out, '"')
		p.strOpen = false
		p.ver++
		p.valueEnded()
	}
	return nil
}

// decode reads JSON text as encoding/json does with UseNumber.
func decode(text []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	return d.Decode(v)
}
