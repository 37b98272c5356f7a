package repair

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
)

// The lenient parser reads one JSON value the way a person would read a
// model's attempt at one: it accepts what models get wrong, builds the value
// as a tree of nodes that point back into the input, and records a Fix for
// each departure from JSON. It reads every byte a bounded number of times
// and never rewrites output, so its cost is linear in the input; the output
// is written once, from the tree, at the end.
//
// Recursion is one level per array or object and stops at the depth limit.

// nodeKind is the JSON type of a node.
type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is one value of the tree. Nodes live in parser.nodes and refer to
// each other by index; the children of an object alternate key, value.
type node struct {
	kind nodeKind
	aux  bool  // the text is in parser.aux rather than the input
	off  int32 // input offset of the value's first byte
	// For numbers and strings, lo and hi delimit the value's JSON text
	// (strings with their quotes). For arrays and objects they are the
	// first and last child, -1 when empty.
	lo, hi int32
	next   int32 // the next sibling, -1 for the last
}

// segment is one step of the path to the value being parsed: an object
// member (key is its key node) or an array element (key -1, index).
type segment struct {
	key    int32
	index  int32
	ptrLen int32 // length of parser.ptrBuf before this segment
}

// parser holds the state of one repair.
type parser struct {
	src      []byte // the whole input; offsets are into it
	end      int    // end of the text being parsed
	pos      int
	maxDepth int
	depth    int

	nodes []node
	aux   []byte // text of values that differ from the input
	fixes fixList
	// maxFixes bounds the fixes held at once; a fix past it is not kept,
	// and overFixes is where the first such was made (-1: none).
	maxFixes, overFixes int

	path    []segment
	ptrBuf  []byte // the JSON Pointer of path
	pathVer int    // changes whenever path does
	ptr     string // the pointer of path at version ptrVer
	ptrVer  int
	srcStr  string      // src as a string, for fix excerpts; made when needed
	synErr  SyntaxError // the error slot; see syntaxError
	open    []byte      // closers of the open containers, outermost first
	fenced  bool        // a closing Markdown fence ended the structure at end
	strict  bool        // the text is valid JSON: read strings by JSON's rule
	doubled bool        // the string being read opened with a doubled quote
	// csvQuotes: a key was quoted CSV-style, ""key""; values may be too.
	csvQuotes bool

	// quoteEOF[c] is the lowest offset from which a string opened with
	// quote class c was scanned to the end without finding its closing
	// quote; later strings of that class starting after it need not scan
	// again. It keeps string repair linear.
	quoteEOF [4]int
	// retryFrom[c] and retryTo[c]: a string of class c opened at
	// retryFrom was read up to the quote at retryTo and then read again
	// up to its first delimiter.
	retryFrom, retryTo [4]int

	// Look-ahead memories; see blockEnd, lineEnd and endsWithDelimiter.
	noBlockEnd           int
	noSnippet            int       // see quotedSnippet
	prose                proseLook // see proseFollows
	breakFrom, nextBreak int
	last, lastEnd        int
}

// parsers keeps parser state between runs: most of what a repair
// allocates is the node tree, the rewritten text and the fixes, and
// reusing them halves the work of the garbage collector. Nothing a run
// returns refers to this memory.
var parsers = sync.Pool{New: func() any { return new(parser) }}

// maxPooled bounds the buffers a pooled parser keeps.
const maxPooled = 4 << 20

func newParser(src []byte, maxDepth, maxFixes int) *parser {
	p := parsers.Get().(*parser)
	p.src, p.end, p.maxDepth = src, len(src), maxDepth
	p.maxFixes, p.overFixes = maxFixes, -1
	if p.nodes == nil {
		p.nodes = make([]node, 0, len(src)/16+8)
		p.aux = make([]byte, 0, len(src)/2+16)
	}
	p.nodes, p.aux = p.nodes[:0], p.aux[:0]
	p.ptr, p.ptrVer = "", -1
	p.reset()
	return p
}

// release returns the parser to the pool; p must not be used after.
func (p *parser) release() {
	p.fixes.clear()
	p.src, p.srcStr, p.ptr = nil, "", ""
	if cap(p.aux) > maxPooled || cap(p.nodes) > maxPooled/16 {
		return
	}
	parsers.Put(p)
}

// reset prepares the parser for another value.
func (p *parser) reset() {
	for i := range p.quoteEOF {
		p.quoteEOF[i] = len(p.src) + 1
		p.retryFrom[i], p.retryTo[i] = 0, 0
	}
	p.noBlockEnd = len(p.src) + 1
	p.noSnippet = 0
	p.prose = proseLook{}
	p.csvQuotes = false
	p.breakFrom, p.nextBreak = 0, 0
	p.lastEnd = -1
	p.path = p.path[:0]
	p.ptrBuf = p.ptrBuf[:0]
	p.pathVer++
	p.open = p.open[:0]
	p.depth = 0
	p.fenced = false
	p.strict = false
}

// ---- tree building -------------------------------------------------------

func (p *parser) add(n node) int32 {
	n.next = -1
	if len(p.nodes) == cap(p.nodes) {
		// Double, where append grows a large slice by a quarter: the
		// copies would come to five times the final size.
		grown := make([]node, len(p.nodes), 2*cap(p.nodes)+64)
		copy(grown, p.nodes)
		p.nodes = grown
	}
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1)
}

// growAux makes room for n more bytes in aux, doubling its capacity
// when it must grow (append grows a large slice by a quarter, which
// copies five times the final size).
func (p *parser) growAux(n int) {
	if cap(p.aux)-len(p.aux) >= n {
		return
	}
	grown := make([]byte, len(p.aux), max(2*cap(p.aux), len(p.aux)+n))
	copy(grown, p.aux)
	p.aux = grown
}

func (p *parser) addLiteral(k nodeKind, off int) int32 {
	return p.add(node{kind: k, off: int32(off)})
}

// addText adds a number or string whose JSON text is src[lo:hi].
func (p *parser) addText(k nodeKind, off, lo, hi int) int32 {
	return p.add(node{kind: k, off: int32(off), lo: int32(lo), hi: int32(hi)})
}

// addAux adds a number or string whose JSON text is aux[lo:].
func (p *parser) addAux(k nodeKind, off, lo int) int32 {
	return p.add(node{kind: k, aux: true, off: int32(off), lo: int32(lo), hi: int32(len(p.aux))})
}

func (p *parser) addContainer(k nodeKind, off int) int32 {
	return p.add(node{kind: k, off: int32(off), lo: -1, hi: -1})
}

// appendChild links child as the last child of container c.
func (p *parser) appendChild(c, child int32) {
	n := &p.nodes[c]
	if n.hi < 0 {
		n.lo = child
	} else {
		p.nodes[n.hi].next = child
	}
	n.hi = child
}

// text returns the JSON text of a number or string node.
func (p *parser) text(n *node) []byte {
	if n.aux {
		return p.aux[n.lo:n.hi]
	}
	return p.src[n.lo:n.hi]
}

// ---- fixes ----------------------------------------------------------------

// push and pop maintain the path to the value being parsed, and its JSON
// Pointer text beside it.
func (p *parser) push(s segment) {
	s.ptrLen = int32(len(p.ptrBuf))
	p.path = append(p.path, s)
	p.pathVer++
	p.ptrBuf = append(p.ptrBuf, '/')
	if s.key < 0 {
		p.ptrBuf = strconv.AppendInt(p.ptrBuf, int64(s.index), 10)
		return
	}
	t := p.text(&p.nodes[s.key])
	t = t[1 : len(t)-1]
	if bytes.IndexByte(t, '\\') >= 0 {
		t = []byte(unquote(p.text(&p.nodes[s.key])))
	}
	for _, c := range t {
		switch c {
		case '~':
			p.ptrBuf = append(p.ptrBuf, '~', '0')
		case '/':
			p.ptrBuf = append(p.ptrBuf, '~', '1')
		default:
			p.ptrBuf = append(p.ptrBuf, c)
		}
	}
}

func (p *parser) pop() {
	p.ptrBuf = p.ptrBuf[:p.path[len(p.path)-1].ptrLen]
	p.path = p.path[:len(p.path)-1]
	p.pathVer++
}

// fix records a fix at the current path. before and after should be
// substrings of p.text or constants, so that recording costs no copy.
func (p *parser) fix(k Kind, off int, before, after string) {
	if p.fixes.len() >= p.maxFixes {
		if p.overFixes < 0 {
			p.overFixes = off
		}
		return
	}
	p.fixes.add(Fix{Path: p.pointer(), Offset: off, Kind: k, Before: shortText(before), After: shortText(after)})
}

// limitErr reports a run past the fixes limit.
func (p *parser) limitErr() error {
	if p.overFixes < 0 {
		return nil
	}
	return fmt.Errorf("%w: more than %d by byte %d (Options.MaxFixes); the text is too broken to repair", ErrTooManyFixes, p.maxFixes, p.overFixes)
}

// parserMark is the length of the parser's lists at one moment.
type parserMark struct{ nodes, aux, fixes int }

func (p *parser) mark() parserMark {
	return parserMark{len(p.nodes), len(p.aux), p.fixes.len()}
}

// rollback drops the nodes, text and fixes added since m: a candidate
// that will not be chosen. Nothing before m refers to them.
func (p *parser) rollback(m parserMark) {
	p.nodes, p.aux = p.nodes[:m.nodes], p.aux[:m.aux]
	p.fixes.truncate(m.fixes)
}

// auxText returns the start of aux[lo:] as a string, as much as an
// excerpt shows.
func (p *parser) auxText(lo int) string {
	return string(p.aux[lo:min(len(p.aux), lo+maxExcerpt+4)])
}

// srcText returns src[lo:hi] as a string without copying more than once:
// it slices a string copy of the whole input, made at the first call.
func (p *parser) srcText(lo, hi int) string {
	if p.srcStr == "" && len(p.src) > 0 {
		p.srcStr = string(p.src)
	}
	return p.srcStr[lo:hi]
}

// pointer renders the current path as a JSON Pointer. Fixes at the same
// path share one string.
func (p *parser) pointer() string {
	if len(p.path) == 0 {
		return ""
	}
	if p.ptrVer != p.pathVer || p.ptr == "" {
		p.ptr, p.ptrVer = string(p.ptrBuf), p.pathVer
	}
	return p.ptr
}

// slice returns src[lo:hi], cut to an excerpt's length, for a fix.
func (p *parser) slice(lo, hi int) string {
	if hi > len(p.src) {
		hi = len(p.src)
	}
	if lo < 0 {
		lo = 0
	}
	if hi-lo > 2*maxExcerpt {
		hi = lo + 2*maxExcerpt
	}
	return p.srcText(lo, hi)
}

// ---- errors ---------------------------------------------------------------

// syntaxError returns a SyntaxError without its line, column and excerpt:
// failed candidates are many and cheap; the document completes the one it
// returns (see completeSyntaxError).
//
// The error is the parser's one slot, p.synErr, reused by the next: a text
// of many broken candidates then allocates nothing per candidate. Errors
// propagate straight up the parser, never held across another parse; one
// that outlives the candidate it ended goes through own.
func (p *parser) syntaxError(off int, format string, args ...any) error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	p.synErr = SyntaxError{Offset: off, Msg: msg}
	return &p.synErr
}

// unexpected is the SyntaxError "unexpected <the character at off>,
// expected …"; the character is described when the error is completed,
// since most such errors end a candidate that is dropped.
func (p *parser) unexpected(off int, expected string) error {
	p.synErr = SyntaxError{Offset: off, expected: expected}
	return &p.synErr
}

// own returns err, copied out of the parser's error slot if it is there,
// so that it survives the next parse and the parser's return to the pool.
func (p *parser) own(err error) error {
	if se, ok := err.(*SyntaxError); ok && se == &p.synErr {
		cp := *se
		return &cp
	}
	return err
}

// truncated reports the end of the input inside a value; inString adds the
// string being read to what is open.
func (p *parser) truncated(inString bool) error {
	var b []byte
	if inString {
		b = append(b, '"')
	}
	for i := len(p.open) - 1; i >= 0; i-- {
		b = append(b, p.open[i])
	}
	return &TruncatedError{Offset: len(p.src), Open: string(b)}
}

func (p *parser) tooDeep(off int) error {
	return fmt.Errorf("%w: more than %d levels of arrays and objects at byte %d", ErrTooDeep, p.maxDepth, off)
}

// atEnd reports whether the text to parse is used up. When it is, callers
// that still expect something report truncation — unless a closing fence
// ended the structure, in which case the model finished its answer and
// only left brackets open.
func (p *parser) atEnd() bool { return p.pos >= p.end }

// ---- whitespace and comments ----------------------------------------------

// space skips whitespace and comments between tokens. A closing Markdown
// fence (```) where a token is expected ends the structure: the parser
// treats it as the end of the text.
func (p *parser) space() {
	for p.pos < p.end {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			p.pos++
		case c == '/' && p.pos+1 < p.end && p.src[p.pos+1] == '/':
			p.lineComment(p.pos)
		case c == '/' && p.pos+1 < p.end && p.src[p.pos+1] == '*':
			start := p.pos
			end := indexFrom(p.src[:p.end], p.pos+2, "*/")
			if end < 0 {
				p.pos = p.end
			} else {
				p.pos = end + 2
			}
			p.fix(KindComment, start, p.slice(start, p.pos), "")
		case c == '#' && (p.pos+1 >= p.end || isSpace(p.src[p.pos+1]) || p.src[p.pos+1] == '#'):
			p.lineComment(p.pos)
		case c == '`' && p.pos+2 < p.end && p.src[p.pos+1] == '`' && p.src[p.pos+2] == '`':
			p.fenced = true
			p.end = p.pos
			return
		case c >= 0x80:
			w := unicodeSpace(p.src[p.pos:p.end])
			if w == 0 {
				return
			}
			start := p.pos
			for w > 0 {
				p.pos += w
				w = unicodeSpace(p.src[p.pos:p.end])
			}
			p.fix(KindUnicodeWhitespace, start, p.srcText(start, p.pos), " ")
		default:
			return
		}
	}
}

func (p *parser) lineComment(start int) {
	i := p.lineEnd(start)
	p.pos = i
	p.fix(KindComment, start, p.slice(start, i), "")
}

// indexFrom returns the index of sep in b at or after from, or -1.
func indexFrom(b []byte, from int, sep string) int {
	if from > len(b) {
		return -1
	}
	i := bytes.Index(b[from:], []byte(sep))
	if i < 0 {
		return -1
	}
	return from + i
}

// unicodeSpace returns the width of the Unicode space character at the
// start of b (no-break space, en quad … zero-width space, narrow no-break
// space, medium mathematical space, ideographic space, byte order mark),
// or 0.
func unicodeSpace(b []byte) int {
	if len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xA0 {
		return 2
	}
	if len(b) < 3 {
		return 0
	}
	switch {
	case b[0] == 0xE1 && b[1] == 0xA0 && b[2] == 0x8E, // U+180E
		b[0] == 0xE2 && b[1] == 0x80 && b[2] >= 0x80 && b[2] <= 0x8B, // U+2000–U+200B
		b[0] == 0xE2 && b[1] == 0x80 && b[2] == 0xAF,                 // U+202F
		b[0] == 0xE2 && b[1] == 0x81 && b[2] == 0x9F,                 // U+205F
		b[0] == 0xE3 && b[1] == 0x80 && b[2] == 0x80,                 // U+3000
		b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:                 // U+FEFF
		return 3
	}
	return 0
}

// ---- values ---------------------------------------------------------------

// value parses one value at p.pos (after space). The caller has checked
// that the text is not used up.
func (p *parser) value() (int32, error) {
	if p.overFixes >= 0 {
		// Past the fixes limit: stop here rather than read on for nothing.
		return -1, p.limitErr()
	}
	c := p.src[p.pos]
	switch {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '-' || c == '+' || c == '.' || isDigit(c):
		return p.number()
	case c == '/':
		return p.regex()
	case c == '(':
		return p.tuple()
	}
	if _, _, ok := quoteAt(p.src, p.pos, p.end); ok {
		return p.stringValue()
	}
	if isStop(c) || c == ':' || c == ')' {
		return -1, p.unexpected(p.pos, "expected a value")
	}
	return p.word()
}

// object parses an object starting at '{'.
func (p *parser) object() (int32, error) {
	start := p.pos
	if p.depth >= p.maxDepth {
		return -1, p.tooDeep(start)
	}
	p.depth++
	defer func() { p.depth-- }()
	obj := p.addContainer(kindObject, start)
	p.pos++
	p.open = append(p.open, '}')
	defer func() { p.open = p.open[:len(p.open)-1] }()
	return obj, p.members(obj, -1)
}

// members parses the members of object obj up to its closing brace.
// When key is not -1 it is the first member's key, already read, and the
// colon is next (["key": "value"], where the braces were forgotten).
func (p *parser) members(obj, key int32) error {
	tail := arrayTail{key: -1, arr: -1} // the last member, while its value is an array
	for {
		if key < 0 {
			p.space()
			if p.atEnd() {
				return p.unclosed(obj, '}')
			}
		}
		c := p.src[p.pos]
		switch {
		case key >= 0:
		case c == '}':
			p.pos++
			return nil
		case c == ']' || c == ')':
			if done := p.wrongCloser(obj, '}'); done {
				return nil
			}
			continue
		case c == ',':
			p.fix(KindExtraComma, p.pos, ",", "")
			p.pos++
			continue
		case c == '[' && tail.arr >= 0 && p.src[p.nodes[obj].off] == '{':
			// Not in a braceless object: ["k": [1], [2]] has two elements.
			if err := p.continueArray(&tail); err != nil {
				return err
			}
			p.space()
			if !p.atEnd() && p.src[p.pos] == ',' {
				comma := p.pos
				p.pos++
				p.space()
				if !p.atEnd() && p.src[p.pos] == '}' {
					p.fix(KindTrailingComma, comma, ",", "")
				}
			}
			continue
		case c == ':' && p.strayColon():
			continue
		case p.ellipsis():
			continue
		case c == '{' && p.inArray():
			// [{"a": 1, {"a": 2}]: the object was left open.
			p.fix(KindMissingBracket, p.pos, "", "}")
			return nil
		case p.strayWord():
			continue
		}

		// The key.
		from := p.fixes.len()
		if key < 0 {
			var err error
			if key, err = p.key(); err != nil {
				return err
			}
		}
		p.push(segment{key: key})
		if p.fixes.len() > from {
			ptr := p.pointer()
			for i := from; i < p.fixes.len(); i++ {
				p.fixes.at(i).Path = ptr
			}
		}
		p.space()
		if p.atEnd() {
			p.pop()
			return p.unclosed(obj, '}')
		}
		c = p.src[p.pos]
		switch {
		case c == ':':
			p.pos++
		case (c == ',' || c == '}') && p.nodes[obj].lo < 0 && p.quotedNode(key):
			// {'a', 'b'}: a Python set, written as the array it holds.
			p.pop()
			return p.set(obj, key)
		case startsValue(p.src, p.pos, p.end):
			p.fix(KindMissingColon, p.pos, "", ":")
		default:
			p.pop()
			return p.syntaxError(p.pos, "expected ':' after object key")
		}

		// The value.
		p.space()
		if p.atEnd() {
			p.pop()
			return p.unclosed(obj, '}')
		}
		c = p.src[p.pos]
		if c == ',' || c == '}' || c == ']' {
			p.fix(KindMissingValue, p.pos, "", "null")
			p.appendChild(obj, key)
			p.appendChild(obj, p.addLiteral(kindNull, p.pos))
		} else if val, err := p.value(); err != nil {
			p.pop()
			if val >= 0 { // what was read of it, for TruncatedError.Partial
				p.appendChild(obj, key)
				p.appendChild(obj, val)
			}
			return err
		} else {
			p.appendChild(obj, key)
			p.appendChild(obj, val)
		}
		tail = arrayTail{key: key, arr: -1, last: -1, row: -1}
		if val := p.nodes[obj].hi; p.nodes[val].kind == kindArray {
			tail.arr = val
		}
		key = -1

		// After the member.
		p.space()
		p.pop()
		if p.strayQuote() {
			p.space()
		}
		if p.atEnd() {
			return p.unclosed(obj, '}')
		}
		c = p.src[p.pos]
		switch {
		case c == ',':
			comma := p.pos
			p.pos++
			p.space()
			if !p.atEnd() && p.src[p.pos] == '}' {
				p.fix(KindTrailingComma, comma, ",", "")
			}
		case c == '}' || c == ']' || c == ')':
			// Handled at the top of the loop.
		case c == '{' && p.inArray():
			// [{"a": 1 {"a": 2}]: the object was left open.
			p.fix(KindMissingBracket, p.pos, "", "}")
			return nil
		case p.strayWord():
		case startsKey(p.src, p.pos, p.end):
			p.fix(KindMissingComma, p.pos, "", ",")
		default:
			return p.syntaxError(p.pos, "expected ',' or '}' after object member")
		}
	}
}

// array parses an array starting at '['.
func (p *parser) array() (int32, error) {
	start := p.pos
	if p.depth >= p.maxDepth {
		return -1, p.tooDeep(start)
	}
	p.depth++
	defer func() { p.depth-- }()
	arr := p.addContainer(kindArray, start)
	_, err := p.elements(arr, 0)
	return arr, err
}

// elements parses the elements of an array from its '[' at p.pos to its
// closing bracket, appending them to arr; index is the index of the first
// one. It returns the index after the last.
func (p *parser) elements(arr, index int32) (int32, error) {
	p.pos++
	p.open = append(p.open, ']')
	defer func() { p.open = p.open[:len(p.open)-1] }()
	for {
		p.space()
		if p.atEnd() {
			return index, p.unclosed(arr, ']')
		}
		c := p.src[p.pos]
		switch {
		case c == ']':
			p.pos++
			return index, nil
		case c == '}' || c == ')':
			if done := p.wrongCloser(arr, ']'); done {
				return index, nil
			}
			continue
		case c == ',':
			p.fix(KindExtraComma, p.pos, ",", "")
			p.pos++
			continue
		case p.ellipsis():
			continue
		}

		p.push(segment{key: -1, index: index})
		val, err := p.value()
		if err != nil {
			p.pop()
			if val >= 0 {
				p.appendChild(arr, val)
			}
			return index, err
		}
		p.space()
		if !p.atEnd() && p.src[p.pos] == ':' && p.nodes[val].kind == kindString {
			// ["key": "value"]: an object without its braces.
			if val, err = p.bracelessObject(val); err != nil {
				p.pop()
				p.appendChild(arr, val)
				return index, err
			}
			p.space()
		}
		p.appendChild(arr, val)
		index++
		p.pop()
		if p.atEnd() {
			return index, p.unclosed(arr, ']')
		}
		c = p.src[p.pos]
		switch {
		case c == ',':
			comma := p.pos
			p.pos++
			p.space()
			if !p.atEnd() && p.src[p.pos] == ']' {
				p.fix(KindTrailingComma, comma, ",", "")
			}
		case c == ']' || c == '}' || c == ')':
			// Handled at the top of the loop.
		case startsValue(p.src, p.pos, p.end):
			p.fix(KindMissingComma, p.pos, "", ",")
		default:
			return index, p.syntaxError(p.pos, "expected ',' or ']' after array element")
		}
	}
}

// arrayTail is the last member of an object being parsed, while its value
// is an array that a continuation may extend (see continueArray).
type arrayTail struct {
	key, arr int32 // the member's key and value; arr -1 when not an array
	// What continuations have looked at: the array's length, its last
	// element looked at and its last element that is an array (row), with
	// that one's index; -1 for none.
	len, last, row, rowIdx int32
}

// catchUp looks at the elements of the array that it has not seen.
func (t *arrayTail) catchUp(p *parser) {
	c := p.nodes[t.arr].lo
	if t.last >= 0 {
		c = p.nodes[t.last].next
	}
	for ; c >= 0; c = p.nodes[c].next {
		if p.nodes[c].kind == kindArray {
			t.row, t.rowIdx = c, t.len
		}
		t.last = c
		t.len++
	}
}

// continueArray handles an array where a key belongs, after a member
// whose value is an array: {"a": [1, 2], [3, 4]}. The model closed the
// array too early, and what follows continues it — nothing is lost and
// nothing made up, where the alternative is to refuse the answer:
//
//   - An array of rows ([["a", "b"], …]) continued by a row has lost the
//     opening bracket of the row before: {"rows": [["a"], "b", "c"],
//     ["d"]]} is {"rows": [["a"], ["b", "c"], ["d"]]}. The elements after
//     the last row are gathered into one, and the continuation is the
//     next row.
//   - Otherwise the continuation's elements are appended: {"a": [1],
//     [2, 3]} is {"a": [1, 2, 3]}.
//
// Each element is looked at once over all continuations of an array, so
// that many of them stay linear.
func (p *parser) continueArray(t *arrayTail) error {
	start := p.pos
	t.catchUp(p)
	// The bracket that closed the array, for the fix.
	from := start
	for k := start - 1; k >= 0 && k > start-maxKeyLookahead; k-- {
		if c := p.src[k]; c == ']' {
			from = k
			break
		} else if !isSpace(c) && c != ',' {
			break
		}
	}
	p.push(segment{key: t.key})
	defer p.pop()
	p.fix(KindMismatchedBracket, from, p.srcText(from, start+1), ",")
	if p.depth >= p.maxDepth {
		return p.tooDeep(start)
	}
	p.depth++
	defer func() { p.depth-- }()

	first := p.skipQuiet(start+1, true)
	lo := p.nodes[t.arr].lo
	if lo < 0 || p.nodes[lo].kind != kindArray || first >= p.end || p.src[first] == '[' || p.src[first] == ']' {
		// Append the elements.
		cont := p.addContainer(kindArray, start)
		_, err := p.elements(cont, t.len)
		if c := p.nodes[cont]; c.lo >= 0 {
			if hi := p.nodes[t.arr].hi; hi < 0 {
				p.nodes[t.arr].lo = c.lo
			} else {
				p.nodes[hi].next = c.lo
			}
			p.nodes[t.arr].hi = c.hi
		}
		return err
	}

	// Rows: gather the elements after the last row into one.
	if loose := p.nodes[t.row].next; loose >= 0 {
		off := int(p.nodes[loose].off)
		row := p.addContainer(kindArray, off)
		p.fix(KindMissingBracket, off, "", "[")
		p.nodes[row].lo, p.nodes[row].hi = loose, p.nodes[t.arr].hi
		p.nodes[t.row].next = row
		p.nodes[t.arr].hi = row
		t.len = t.rowIdx + 2
		t.row, t.rowIdx, t.last = row, t.rowIdx+1, row
	}
	p.push(segment{key: -1, index: t.len})
	defer p.pop()
	row, err := p.array()
	if row >= 0 {
		p.appendChild(t.arr, row)
	}
	return err
}

// set reads the rest of a Python set, {'a', 'b'}, whose first element,
// first, was read as the key of object obj: obj becomes the array of the
// elements. Only a set that starts with a quoted string is read so — {a, b}
// is not a set but broken members — and an element followed by a colon
// ends it with an error: members and elements do not mix.
func (p *parser) set(obj, first int32) error {
	nd := &p.nodes[obj]
	nd.kind = kindArray
	p.fix(KindPythonSet, int(nd.off), "{", "[")
	p.appendChild(obj, first)
	index := int32(1)
	after := true // an element was just read
	for {
		p.space()
		if p.atEnd() {
			return p.unclosed(obj, '}')
		}
		c := p.src[p.pos]
		switch {
		case c == '}':
			p.pos++
			return nil
		case c == ']' || c == ')':
			if done := p.wrongCloser(obj, '}'); done {
				return nil
			}
			after = false
			continue
		case c == ',':
			if !after {
				p.fix(KindExtraComma, p.pos, ",", "")
				p.pos++
				continue
			}
			comma := p.pos
			p.pos++
			p.space()
			if !p.atEnd() && p.src[p.pos] == '}' {
				p.fix(KindTrailingComma, comma, ",", "")
			}
			after = false
			continue
		case c == ':':
			return p.syntaxError(p.pos, "unexpected ':' in a set: members and elements do not mix")
		case after && startsValue(p.src, p.pos, p.end):
			p.fix(KindMissingComma, p.pos, "", ",")
		case after:
			return p.syntaxError(p.pos, "expected ',' or '}' after a set element")
		}
		p.push(segment{key: -1, index: index})
		val, err := p.value()
		p.pop()
		if err != nil {
			if val >= 0 {
				p.appendChild(obj, val)
			}
			return err
		}
		p.appendChild(obj, val)
		index++
		after = true
	}
}

// bracelessObject parses the object whose first key, key, was read as an
// array element and whose colon is next.
func (p *parser) bracelessObject(key int32) (int32, error) {
	if p.depth >= p.maxDepth {
		return -1, p.tooDeep(p.pos)
	}
	p.depth++
	defer func() { p.depth-- }()
	obj := p.addContainer(kindObject, int(p.nodes[key].off))
	p.fix(KindMissingBracket, int(p.nodes[key].off), "", "{")
	p.open = append(p.open, '}')
	defer func() { p.open = p.open[:len(p.open)-1] }()
	return obj, p.members(obj, key)
}

// unclosed handles the end of the text inside container c: a closing fence
// means the model finished and left brackets open, which is repaired; the
// end of the input means the answer was cut off.
func (p *parser) unclosed(c int32, closer byte) error {
	if p.fenced {
		p.fix(KindMissingBracket, p.end, "", string(closer))
		return nil
	}
	return p.truncated(false)
}

// wrongCloser handles a closing bracket at p.pos that does not match the
// container being parsed (want), and reports whether that container is
// done.
//
// When the bracket closes an enclosing container, this one was left open
// ({"a": [1, 2}): it is closed here and the bracket left to the enclosing
// one — unless the enclosing one is the outermost and a comma follows, as
// in {"a": [1, 2}, "b": 3}, where the bracket was a typo for want. A
// bracket that closes nothing open is a typo for want, or, before a comma,
// one too many ([{"a": 1}}, {"a": 2}]) and dropped.
func (p *parser) wrongCloser(c int32, want byte) bool {
	got := p.src[p.pos]
	enclosing := -1
	for i := len(p.open) - 2; i >= 0; i-- {
		if p.open[i] == got {
			enclosing = i
			break
		}
	}
	j := p.pos + 1
	for j < p.end && isSpace(p.src[j]) {
		j++
	}
	comma := j < p.end && p.src[j] == ','
	switch {
	case enclosing > 0 || (enclosing == 0 && !comma):
		p.fix(KindMissingBracket, p.pos, "", string(want))
		return true
	case enclosing < 0 && comma:
		p.fix(KindMismatchedBracket, p.pos, string(got), "")
		p.pos = j + 1
		return false
	case enclosing < 0 && len(p.open) == 1 && j < p.end && p.src[j] == want:
		// {"a": 1]}: one too many, before the outermost closer.
		p.fix(KindMismatchedBracket, p.pos, string(got), "")
		p.pos++
		return false
	}
	p.fix(KindMismatchedBracket, p.pos, string(got), string(want))
	p.pos++
	return true
}

// maxKeyLookahead bounds how far strayWord looks for the end of a key.
const maxKeyLookahead = 256

// inArray reports whether the container being parsed is directly inside
// an array.
func (p *parser) inArray() bool {
	return len(p.open) >= 2 && p.open[len(p.open)-2] == ']'
}

// strayWord skips bare words in an object where a key belongs when a
// quoted key follows them ({"a": 1, COMMENT "b": 2}, {"a": "x", quick
// brown fox. "b": 2}), or one bare word when the object ends ({"a": 1
// AAAA}): text on one line that is neither key nor value. It reports
// whether it skipped some.
func (p *parser) strayWord() bool {
	s := p.pos
	if c := p.src[s]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false // digits are data: {"n": 1,000} must not lose its 000
	}
	i, limit := s, min(p.end, s+maxKeyLookahead)
	for i < limit && (isWordByte(p.src[i]) && p.src[i] < 0x80 || isProsePunct(p.src[i])) {
		i++
	}
	if i >= limit && limit < p.end {
		return false
	}
	j := i
	for i > s && (p.src[i-1] == ' ' || p.src[i-1] == '\t') {
		i--
	}
	if j >= p.end {
		return false
	}
	switch {
	case p.src[j] == '}' && !bytes.ContainsAny(p.src[s:i], " \t.!?;-"):
		// One word only: several before the end may be a value's text.
	case p.src[j] == '"' || p.src[j] == '\'':
		cls, w, _ := quoteAt(p.src, j, p.end)
		k := j + w
		limit := min(p.end, k+maxKeyLookahead)
		for k < limit && closeAt(p.src, k, p.end, cls) == 0 && p.src[k] != '\n' {
			k++
		}
		if k >= limit || p.src[k] == '\n' {
			return false
		}
		k = p.skipQuiet(k+1, false)
		if k >= p.end || p.src[k] != ':' {
			return false
		}
	default:
		return false
	}
	p.fix(KindSurroundingProse, s, p.srcText(s, i), "")
	p.pos = j
	return true
}

// quotedNode reports whether string node n was written in quotes.
func (p *parser) quotedNode(n int32) bool {
	_, _, ok := quoteAt(p.src, int(p.nodes[n].off), p.end)
	return ok
}

// strayColon skips a colon where a key belongs when nothing is on either
// side of it — {:} or {"a": 1, :} — and reports whether it did. A colon
// before a value ({: 1}) is a missing key, which is not made up: the
// caller reports it.
func (p *parser) strayColon() bool {
	j := p.skipQuiet(p.pos+1, true)
	if j < p.end && p.src[j] != '}' && p.src[j] != ',' {
		return false
	}
	// A comma before it went with it: {"a": 1, :}.
	from := p.pos
	for k := p.pos - 1; k >= 0 && k > p.pos-maxKeyLookahead; k-- {
		if p.src[k] == ',' {
			from = k
		}
		if !isSpace(p.src[k]) {
			break
		}
	}
	p.fix(KindStrayColon, from, p.srcText(from, p.pos+1), "")
	p.pos++
	return true
}

// isProsePunct reports whether c joins the words of a sentence: spaces
// and the punctuation that ends or splits one, but not a comma or a colon,
// which are JSON's.
func isProsePunct(c byte) bool {
	switch c {
	case ' ', '\t', '.', '!', '?', ';', '-':
		return true
	}
	return false
}

// strayQuote skips a lone quote after an object member, followed by a
// comma or the end of the object — {"a": "x"\n",} — which starts no key,
// and reports whether it did.
func (p *parser) strayQuote() bool {
	if p.atEnd() {
		return false
	}
	c := p.src[p.pos]
	if c != '"' && c != '\'' {
		return false
	}
	j := p.skipQuiet(p.pos+1, true)
	if j < p.end && p.src[j] != ',' && p.src[j] != '}' {
		return false
	}
	p.fix(KindStrayQuote, p.pos, p.srcText(p.pos, p.pos+1), "")
	p.pos++
	return true
}

// ellipsis skips "..." standing for omitted elements, with a comma after
// it, and reports whether it did.
func (p *parser) ellipsis() bool {
	i := p.pos
	if i+3 > p.end || p.src[i] != '.' || p.src[i+1] != '.' || p.src[i+2] != '.' {
		return false
	}
	start := i
	p.pos = i + 3
	p.space()
	if !p.atEnd() && p.src[p.pos] == ',' {
		p.pos++
	}
	p.fix(KindEllipsis, start, "...", "")
	return true
}

// key parses an object key: a string in any quotes, or a bare word.
func (p *parser) key() (int32, error) {
	if _, _, ok := quoteAt(p.src, p.pos, p.end); ok {
		return p.str(true)
	}
	c := p.src[p.pos]
	if isStop(c) || c == ':' {
		return -1, p.unexpected(p.pos, "expected an object key")
	}
	return p.unquoted(p.pos, true)
}

// startsValue reports whether a value can start at b[i] (for a missing
// comma or colon).
func startsValue(b []byte, i, end int) bool {
	c := b[i]
	if c == '{' || c == '[' || c == '-' || isDigit(c) || isWordByte(c) {
		return true
	}
	_, _, ok := quoteAt(b, i, end)
	return ok
}

// startsKey reports whether an object key can start at b[i].
func startsKey(b []byte, i, end int) bool {
	c := b[i]
	if isDigit(c) || isWordByte(c) {
		return true
	}
	_, _, ok := quoteAt(b, i, end)
	return ok
}

// isWordByte reports whether c can be part of a bare word: letters, digits,
// '_', '$' and any non-ASCII byte.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c >= 0x80
}

// isStop reports whether c ends a bare word or a number.
func isStop(c byte) bool {
	switch c {
	case ',', '[', ']', '{', '}', '\n', '\r':
		return true
	}
	return false
}
