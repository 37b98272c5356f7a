package repair

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/reask/reask/internal/jsonesc"
)

// Strings are where models break JSON most: other quotes, quotes inside
// the text, raw line breaks, Windows paths and regular expressions with
// lone backslashes, a closing quote forgotten. A string is read in two
// steps. The first finds where it ends, with the heuristics of the
// reference repair library (jsonrepair) — a quote ends the string when
// what follows it could follow a string; otherwise it is part of the text
// — refined by where the string stands (strPlace), because what can
// follow a string differs: in an object's value, a comma that a sentence
// rather than a member follows is text ({"a": "lorem "ipsum", sic."}); in
// an array, a word after a closing quote is the next element (["a" b]);
// a key ends at its colon. The second step writes the text as a JSON
// string, escaping what must be escaped. Each step reads the string once
// (the first at most twice), and each look-ahead is bounded
// (maxKeyLookahead) and stops at the next quote or line break, so the cost
// stays linear.

// quoteClass is the family of the quote that opened a string; it decides
// which quotes close it.
type quoteClass uint8

const (
	quoteDouble     quoteClass = iota // "…"
	quoteSingle                       // '…'
	quoteSingleLike                   // ‘…’, `…´ and mixtures, closed by any of ' ‘ ’ ` ´
	quoteDoubleLike                   // “…”, closed by any of " “ ”
)

// quoteAt reports whether a quote that can open a string is at b[i], its
// class and its width in bytes.
func quoteAt(b []byte, i, end int) (quoteClass, int, bool) {
	switch b[i] {
	case '"':
		return quoteDouble, 1, true
	case '\'':
		return quoteSingle, 1, true
	case '`':
		return quoteSingleLike, 1, true
	case 0xC2: // ´ U+00B4
		if i+1 < end && b[i+1] == 0xB4 {
			return quoteSingleLike, 2, true
		}
	case 0xE2:
		if i+2 < end && b[i+1] == 0x80 {
			switch b[i+2] {
			case 0x98, 0x99: // ‘ ’
				return quoteSingleLike, 3, true
			case 0x9C, 0x9D: // “ ”
				return quoteDoubleLike, 3, true
			}
		}
	}
	return 0, 0, false
}

// closeAt returns the width of a quote at b[i] that closes a string of
// class c, or 0.
func closeAt(b []byte, i, end int, c quoteClass) int {
	switch c {
	case quoteDouble:
		if b[i] == '"' {
			return 1
		}
		return 0
	case quoteSingle:
		if b[i] == '\'' {
			return 1
		}
		return 0
	}
	k, w, ok := quoteAt(b, i, end)
	if !ok {
		return 0
	}
	if c == quoteSingleLike && (k == quoteSingle || k == quoteSingleLike) {
		return w
	}
	if c == quoteDoubleLike && (k == quoteDouble || k == quoteDoubleLike) {
		return w
	}
	return 0
}

// stopBytes[c] marks the bytes the first step of string reading must look
// at for strings of class c: its closing quotes, the backslash, brackets.
var stopBytes = func() (t [4][256]bool) {
	for c := range t {
		for _, x := range []byte(`\()[]{}`) {
			t[c][x] = true
		}
	}
	t[quoteDouble]['"'] = true
	t[quoteSingle]['\''] = true
	for _, c := range []quoteClass{quoteSingleLike, quoteDoubleLike} {
		for _, x := range []byte{'"', '\'', '`', 0xC2, 0xE2} {
			t[c][x] = true
		}
	}
	return t
}()

// isDelimiter reports whether c, after a quote, shows the quote ends a
// string.
func isDelimiter(c byte) bool {
	switch c {
	case ',', ':', '[', ']', '/', '{', '}', '(', ')', '\n', '+':
		return true
	}
	return false
}

// strPlace is where a string stands; what may end a string whose closing
// quote is missing, or follow one, depends on it.
type strPlace uint8

const (
	inElement strPlace = iota // an array element, or a value outside any object
	inKey                     // an object key
	inValue                   // the value of an object member
)

// place returns where a string starting now stands.
func (p *parser) place(isKey bool) strPlace {
	switch {
	case isKey:
		return inKey
	case len(p.open) > 0 && p.open[len(p.open)-1] == '}':
		return inValue
	}
	return inElement
}

// Outcomes of finding a string's end.
const (
	strClosed = iota // the closing quote is at contentEnd
	strCut           // no closing quote: the text ends at contentEnd
	strEOF           // the input ends inside the string
)

// str parses a string token at p.pos.
func (p *parser) str(isKey bool) (int32, error) {
	s := p.pos
	cls, w, _ := quoteAt(p.src, s, p.end)
	a := s + w
	doubled := p.doubledAt(s, a, cls, isKey)
	if doubled {
		a++
		p.csvQuotes = p.csvQuotes || isKey
	}
	p.doubled = doubled
	status, contentEnd, next := p.stringEnd(a, cls, p.place(isKey))
	p.doubled = false
	if status == strEOF {
		p.pos = p.end
		return -1, p.truncated(true)
	}
	if doubled {
		p.fix(KindStrayQuote, s+1, p.srcText(s, s+2), p.srcText(s, s+1))
		if status == strClosed && contentEnd > a && p.src[contentEnd-1] == p.src[s] {
			contentEnd-- // and closes it doubled: ""value""
			p.fix(KindStrayQuote, contentEnd, p.srcText(contentEnd, contentEnd+2), p.srcText(s, s+1))
		}
	}
	n := p.emitString(s, a, contentEnd, cls, status == strClosed)
	p.pos = next
	return n, nil
}

// doubledAt reports whether the string whose quote is at s, with its text
// from a, is quoted CSV-style, with doubled quotes: {""name"": ""Ada""}.
// A key tells, for keys are never quotations; a value only once a key
// has told, for ""Hi" she said" is a quotation that starts a value. The
// doubled quote must be followed by a word and closed, doubled, on the
// same line within maxKeyLookahead bytes.
func (p *parser) doubledAt(s, a int, cls quoteClass, isKey bool) bool {
	b := p.src
	if !(isKey || p.csvQuotes) || (cls != quoteDouble && cls != quoteSingle) || a+1 >= p.end || b[a] != b[s] ||
		!isWordByte(b[a+1]) || b[a+1] >= 0x80 {
		return false
	}
	q := b[s]
	for k, limit := a+1, min(p.end, a+1+maxKeyLookahead); k < limit; k++ {
		switch b[k] {
		case q:
			return k+1 < p.end && b[k+1] == q
		case '\n', '\\':
			return false
		}
	}
	return false
}

// stringValue parses a string value and any strings joined to it with +.
func (p *parser) stringValue() (int32, error) {
	n, err := p.str(false)
	if err != nil {
		return n, err
	}
	for {
		j := p.skipQuiet(p.pos, true)
		if j >= p.end || p.src[j] != '+' {
			return n, nil
		}
		k := p.skipQuiet(j+1, true)
		if k < p.end && (p.src[k] == ',' || p.src[k] == ']' || p.src[k] == '}') {
			// "hello +]: a + with nothing to join.
			p.fix(KindStringConcatenation, j, "+", "")
			p.pos = j + 1
			return n, nil
		}
		if k >= p.end {
			return n, nil
		}
		if _, _, ok := quoteAt(p.src, k, p.end); !ok {
			return n, nil
		}
		plus := j
		// The joined text grows at the end of aux, so that joining many
		// strings costs their length once.
		if nd := &p.nodes[n]; !nd.aux || int(nd.hi) != len(p.aux) {
			lo := len(p.aux)
			p.aux = append(p.aux, p.text(nd)...)
			nd.aux, nd.lo, nd.hi = true, int32(lo), int32(len(p.aux))
		}
		p.pos = j + 1
		p.space()
		m, err := p.str(false)
		if err != nil {
			return n, err
		}
		joined := int(p.nodes[n].hi) - 1 // drop the closing quote
		if right := &p.nodes[m]; right.aux && int(right.lo) == joined+1 {
			// The right string was written just after: close the gap.
			copy(p.aux[joined:], p.aux[right.lo+1:right.hi])
			p.aux = p.aux[:joined+int(right.hi-right.lo)-1]
		} else {
			p.aux = append(p.aux[:joined], p.text(right)[1:]...)
		}
		p.nodes = p.nodes[:m] // the right string was the last node
		p.nodes[n].hi = int32(len(p.aux))
		p.fix(KindStringConcatenation, plus, "+", "")
	}
}

// skipQuiet returns the offset after the spaces (and, with newlines, line
// breaks) and comments at i, without recording anything: it looks ahead.
func (p *parser) skipQuiet(i int, newlines bool) int {
	b := p.src
	for i < p.end {
		c := b[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n'):
			i++
		case c == '/' && i+1 < p.end && b[i+1] == '*':
			e := p.blockEnd(i + 2)
			if e < 0 {
				return p.end
			}
			i = e + 2
		case c == '/' && i+1 < p.end && b[i+1] == '/':
			i = p.lineEnd(i)
		case c >= 0x80 && unicodeSpace(b[i:p.end]) > 0:
			i += unicodeSpace(b[i:p.end])
		default:
			return i
		}
	}
	return i
}

// scanStrictEnd finds the end of a string in valid JSON: the first quote
// not escaped.
func (p *parser) scanStrictEnd(a int) (status, contentEnd, next int) {
	b := p.src
	for i := a; i < p.end; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return strClosed, i, i + 1
		}
	}
	return strEOF, 0, 0
}

// blockEnd returns the offset of the first "*/" at or after i, or -1.
// It remembers where none is left, so that looking ahead at many comment
// starts stays linear.
func (p *parser) blockEnd(i int) int {
	if i >= p.noBlockEnd {
		return -1
	}
	e := indexFrom(p.src[:p.end], i, "*/")
	if e < 0 {
		p.noBlockEnd = i
	}
	return e
}

// lineEnd returns the offset of the line break ending the line at i, or
// the end; it remembers the last one found.
func (p *parser) lineEnd(i int) int {
	if i < p.nextBreak && i >= p.breakFrom {
		return p.nextBreak
	}
	e := bytes.IndexByte(p.src[i:p.end], '\n')
	if e < 0 {
		e = p.end
	} else {
		e += i
	}
	p.breakFrom, p.nextBreak = i, e
	return e
}

// stringEnd finds where the string whose text starts at a ends.
//
// Two memories keep this linear when many strings are broken: the first
// reading of a string that ran to the end (quoteEOF), and one that ended
// in a second reading (retryFrom, retryTo). A later string of the same
// class starting inside a span already read meets the same quotes, and
// the same outcome.
func (p *parser) stringEnd(a int, cls quoteClass, at strPlace) (status, contentEnd, next int) {
	if p.strict {
		return p.scanStrictEnd(a)
	}
	unclosed := true // the text after a holds no closing quote
	switch {
	case a >= p.quoteEOF[cls]:
		if !p.endsWithDelimiter(a) {
			return strEOF, 0, 0
		}
	case a > p.retryFrom[cls] && a < p.retryTo[cls]:
		unclosed = false
	default:
		st, ce, nx, retry := p.scanQuoted(a, cls, at)
		if !retry {
			return st, ce, nx
		}
		unclosed = a >= p.quoteEOF[cls]
	}
	return p.scanToDelimiter(a, cls, at, unclosed)
}

// scanQuoted is the first step: it looks for the quote that ends the
// string. A quote followed by something that can follow a string ends it;
// one preceded by a comma means the string ended before the comma and its
// closing quote is missing; one preceded by another delimiter means the
// closing quote is missing and the string must be read again up to the
// first delimiter (retry). Any other quote is part of the text.
func (p *parser) scanQuoted(a int, cls quoteClass, at strPlace) (status, contentEnd, next int, retry bool) {
	b := p.src
	end := p.end
	stops := &stopBytes[cls]
	var paren, square, curly int
	inner := 0 // quotes read as part of the text so far
	i := a
	for {
		for i < end && !stops[b[i]] {
			i++
		}
		if i >= end {
			break
		}
		c := b[i]
		if c == '\\' {
			i += 2
			continue
		}
		if w := closeAt(b, i, end, cls); w > 0 {
			if p.doubled && i+2*w <= end && b[i+w] == b[i] {
				// ""value"": closed as doubled as it was opened.
				return strClosed, i + w, i + 2*w, false
			}
			if at == inKey && i-1 > a && b[i-1] == ':' && i+w < end && isLetter(b[i+w]) {
				// {"key:"value"}: the key's closing quote is missing before
				// its colon, and this quote opens the value.
				return strCut, i - 1, i - 1, false
			}
			j := p.skipQuiet(i+w, false)
			if p.endsString(j, paren, square, curly) {
				if !(at == inValue && j < end && b[j] == ',' && p.proseFollows(j+1)) {
					return strClosed, i, i + w, false
				}
				// {"a": "lorem "ipsum", sic." }: a sentence goes on after
				// the comma, where the next member would start.
				inner++
				i += w
				continue
			}
			if at == inElement && inner%2 == 0 && p.closesBeforeElement(a, i, w, cls) {
				// ["value1" value2", "value3"]: an element follows, its
				// opening quote and comma forgotten.
				return strClosed, i, i + w, false
			}
			pv := i - 1
			for pv >= a && isSpace(b[pv]) {
				pv--
			}
			switch {
			case pv < a:
			case b[pv] == ',' && p.itemStarts(i, cls, at):
				if k := bytes.IndexByte(b[a:pv], ':'); at == inKey && k >= 0 {
					// {"a: 1, "b": 2}: a key ends at its colon.
					return strCut, trimSpaceEnd(b, a, a+k), a + k, false
				}
				return strCut, trimSpaceEnd(b, a, pv), pv, false
			case b[pv] == ',':
				// {"a": "lorem, "ipsum" sic"}: a quotation after a comma.
			case b[pv] == ':' && at == inValue && !p.keyBefore(a, pv):
				// {"a": "Note: "x" is y"}: a colon in the text.
			case isDelimiter(b[pv]):
				p.retryFrom[cls], p.retryTo[cls] = a, i
				return 0, 0, 0, true
			}
			inner++
			i += w
			continue
		}
		if c == '(' || c == '[' || c == '{' {
			if e := p.quotedSnippet(i, cls); e > i {
				// {"a": "the answer {"x": 1} is wrong"}: quoted text in
				// brackets inside the text is text, whole.
				i = e
				continue
			}
		}
		switch c {
		case '(':
			paren++
		case ')':
			paren--
		case '[':
			square++
		case ']':
			square--
		case '{':
			curly++
		case '}':
			curly--
		}
		i++
	}
	if a < p.quoteEOF[cls] {
		p.quoteEOF[cls] = a
	}
	if p.endsWithDelimiter(a) {
		return 0, 0, 0, true
	}
	return strEOF, 0, 0, false
}

// quotedSnippet returns the offset after a bracketed snippet that starts
// with a quotation, at i inside a string of class cls — an object literal
// or a Markdown link quoted in a sentence: {"blank_1": "music"},
// ("https://example.com") — when its brackets close on the same line
// within maxKeyLookahead bytes and it holds an even number of the
// string's quotes; else i. The opening bracket must be followed (after
// spaces) by a quote that opens a quotation — followed by a letter or
// digit, not by a comma or a bracket ({'a': '(', 'b': ')'} is two
// strings). A failed look-ahead is remembered, so that the text it read
// is not read again by another: the work stays linear.
func (p *parser) quotedSnippet(i int, cls quoteClass) int {
	b := p.src
	if i < p.noSnippet {
		return i
	}
	k := i + 1
	for k < p.end && (b[k] == ' ' || b[k] == '\t') {
		k++
	}
	w := 0
	if k < p.end {
		w = closeAt(b, k, p.end, cls)
	}
	if w == 0 || k+w >= p.end || !(isWordByte(b[k+w]) && b[k+w] < 0x80) {
		return i
	}
	depth, quotes := 0, 0
	limit := min(p.end, i+maxKeyLookahead)
	for k = i; k < limit; k++ {
		switch b[k] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if quotes%2 != 0 {
					p.noSnippet = k + 1
					return i
				}
				return k + 1
			}
		case '\n', '\r':
			p.noSnippet = k
			return i
		case '\\':
			k++
		default:
			if w := closeAt(b, k, p.end, cls); w > 0 {
				quotes++
				k += w - 1
			}
		}
	}
	p.noSnippet = k
	return i
}

// proseFollows reports whether the text after a comma at k-1, inside a
// string that is an object's value, reads as the rest of a sentence
// rather than the next member: words on the same line that reach neither
// a colon nor a quoted key, and end at the line's end, at a quote, or —
// several words — at the closing bracket. It looks at most
// maxKeyLookahead bytes ahead, and remembers where its last look ended,
// so that the commas of one sentence share one look: the work stays
// linear.
func (p *parser) proseFollows(k int) bool {
	b := p.src
	i := k
	for i < p.end && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= p.end || !(isLetter(b[i]) || b[i] >= 0x80) {
		return false
	}
	start := i
	m := &p.prose
	if i < m.from || i >= m.stop {
		*m = proseLook{from: i, stop: -1, lastSpace: -1}
		for limit := min(p.end, i+maxKeyLookahead); i < limit && m.stop < 0; i++ {
			switch c := b[i]; c {
			case ':', '{', '[', '\n', '\r', '}', ']':
				m.stop = i
			case ' ', '\t':
				m.lastSpace = i
			default:
				if _, w, ok := quoteAt(b, i, p.end); ok {
					// A key: quoted, or bare with a forgotten opening
					// quote ({"a": "x", b": 1}).
					j := p.skipQuiet(i+w, false)
					m.stop, m.notKey = i, !p.quotedKeyAt(i) && (j >= p.end || b[j] != ':')
				}
			}
		}
		if m.stop < 0 {
			*m = proseLook{}
			return false
		}
	}
	switch b[m.stop] {
	case ':', '{', '[':
		return false
	case '\n', '\r':
		return true
	case '}', ']':
		return m.lastSpace > start // several words
	}
	return m.notKey
}

// proseLook is what proseFollows last found: from from, the text reaches
// stop (a colon, a bracket, a line break or a quote) with its last space
// at lastSpace; at a quote, notKey says that no key starts there.
type proseLook struct {
	from, stop, lastSpace int
	notKey                bool
}

// quotedKeyAt reports whether a quoted key and its colon start at i, on
// one line and within maxKeyLookahead bytes.
func (p *parser) quotedKeyAt(i int) bool {
	cls, w, _ := quoteAt(p.src, i, p.end)
	k := i + w
	for limit := min(p.end, k+maxKeyLookahead); k < limit; k++ {
		if p.src[k] == '\n' {
			return false
		}
		if cw := closeAt(p.src, k, p.end, cls); cw > 0 {
			k = p.skipQuiet(k+cw, false)
			return k < p.end && p.src[k] == ':'
		}
	}
	return false
}

// itemStarts reports whether the quote at i, after a comma inside a
// string, opens the next item — the string lacked its closing quote
// before the comma — rather than a quotation in the text: a key
// followed by its colon in an object, an element followed by a comma or
// a closing bracket in an array. A quoted text that does not close on
// its line counts as an item, as it always did.
func (p *parser) itemStarts(i int, cls quoteClass, at strPlace) bool {
	b := p.src
	_, w, _ := quoteAt(b, i, p.end)
	k := i + w
	for limit := min(p.end, k+maxKeyLookahead); ; k++ {
		if k >= limit || b[k] == '\n' {
			return true
		}
		if b[k] == '\\' {
			k++
			continue
		}
		if cw := closeAt(b, k, p.end, cls); cw > 0 {
			k = p.skipQuiet(k+cw, false)
			break
		}
	}
	if k >= p.end {
		return true
	}
	if at != inElement {
		return b[k] == ':'
	}
	switch b[k] {
	case ',', ']', '}', ')', '\n', '\r':
		return true
	}
	return false
}

// keyBefore reports whether the colon at c, inside a string starting at
// a, follows a key: the string lacked its closing quote, and the next
// member started. The key is quoted ({"a": "b "c": "d"}) or a bare word
// after a comma, a brace or a quote ({"a": "b, c: "d"}); a word at the
// start of a line or after other text is prose ("Note: "x" is y").
func (p *parser) keyBefore(a, c int) bool {
	b := p.src
	k := c - 1
	for k >= a && isSpace(b[k]) {
		k--
	}
	if k < a {
		return false
	}
	if isQuoteEnd(b, k) {
		return true
	}
	w := k
	for k >= a && isWordByte(b[k]) && b[k] < 0x80 && w-k < maxKeyLookahead {
		k--
	}
	if k == w {
		return false
	}
	for k >= a && (b[k] == ' ' || b[k] == '\t') {
		k--
	}
	return k >= a && (b[k] == ',' || b[k] == '{' || isQuoteEnd(b, k))
}

// isQuoteEnd reports whether b[k] is the last byte of a quote.
func isQuoteEnd(b []byte, k int) bool {
	switch b[k] {
	case '"', '\'', '`':
		return true
	case 0xB4: // ´
		return k >= 1 && b[k-1] == 0xC2
	case 0x98, 0x99, 0x9C, 0x9D: // ‘ ’ “ ”
		return k >= 2 && b[k-2] == 0xE2 && b[k-1] == 0x80
	}
	return false
}

// closesBeforeElement reports whether the quote at i (w bytes wide) in an
// array element closes the string although more text follows, because
// that text is the next element, whose comma and opening quote were
// forgotten: ["value1" value2", "value3"] or ["a" b]. The quote must look
// like a closing one — after a letter, not after a number (12" is
// inches), and before a space — and one word must follow it, and then a
// quote followed by ',' or ']', or the array's end; several words are
// rather text with a stray quote in it.
func (p *parser) closesBeforeElement(a, i, w int, cls quoteClass) bool {
	b := p.src
	k := i + w
	if i == a || isSpace(b[i-1]) || k >= p.end || (b[k] != ' ' && b[k] != '\t') {
		return false
	}
	if n := i - 1; isDigit(b[n]) {
		for n >= a && (isDigit(b[n]) || b[n] == '.') {
			n--
		}
		if n < a || !isLetter(b[n]) {
			return false // 12" is inches
		}
	}
	for k < p.end && (b[k] == ' ' || b[k] == '\t') {
		k++
	}
	if k >= p.end || !(isLetter(b[k]) || b[k] >= 0x80) {
		return false
	}
	for limit := min(p.end, k+maxKeyLookahead); k < limit && (isWordByte(b[k]) || b[k] == '-'); {
		if b[k] >= 0x80 {
			if _, _, ok := quoteAt(b, k, p.end); ok {
				break
			}
		}
		k++
	}
	if k >= p.end {
		return false
	}
	if b[k] == ']' {
		return true
	}
	if cw := closeAt(b, k, p.end, cls); cw > 0 {
		j := p.skipQuiet(k+cw, false)
		return j >= p.end || b[j] == ',' || b[j] == ']'
	}
	return false
}

// endsWithDelimiter reports whether the text after a ends with a closing
// bracket (ignoring spaces and a closing fence): then a string that runs
// to the end lacks its closing quote rather than being cut off, as in
// ["abc]. Text ending otherwise — with a comma, a colon, a slash — was
// cut off.
func (p *parser) endsWithDelimiter(a int) bool {
	if p.lastEnd != p.end {
		i := p.end - 1
		for i >= 0 && (isSpace(p.src[i]) || p.src[i] == '`') { // and a closing fence
			i--
		}
		p.last, p.lastEnd = i, p.end
	}
	return p.last >= a && (p.src[p.last] == ']' || p.src[p.last] == '}' || p.src[p.last] == ')')
}

// endsString reports whether a quote followed by b[j] ends a string, given
// the brackets the string has left open.
func (p *parser) endsString(j, paren, square, curly int) bool {
	b := p.src
	if j >= p.end {
		return true
	}
	c := b[j]
	if isDelimiter(c) {
		switch {
		case (c == ')' && paren > 0 || c == ']' && square > 0 || c == '}' && curly > 0) && !p.structureFollows(j+1):
			// "(72") tall": the bracket closes one opened inside the
			// text, and the text goes on after it.
		default:
			return true
		}
	}
	if _, w, ok := quoteAt(b, j, p.end); ok {
		// Another quote: the next string starts, unless that quote itself
		// ends a string ("The TV is 72"").
		k := j + w
		for k < p.end && isSpace(b[k]) {
			k++
		}
		return !(k >= p.end || isDelimiter(b[k]))
	}
	return isDigit(c)
}

// structureFollows reports whether, after spaces, the text ends at i or
// goes on with a comma, a colon, a closing bracket or a line break: JSON
// structure rather than more text.
func (p *parser) structureFollows(i int) bool {
	for i < p.end && (p.src[i] == ' ' || p.src[i] == '\t' || p.src[i] == '\r') {
		i++
	}
	if i >= p.end {
		return true
	}
	switch p.src[i] {
	case ',', ':', ']', '}':
		return true
	case '\n':
		// A line break is structure unless a quote follows it that ends
		// the string: {"a": "see [1, "z"]\n", "b": 1}.
		j := p.skipQuiet(i, true)
		if j < p.end && p.src[j] == '"' && quoteThenDelimiter(p.src, j, p.end) {
			return false
		}
		return true
	}
	return false
}

// scanToDelimiter is the second reading of a string whose closing quote is
// missing: it ends at its closing quote or at the first delimiter, keeping
// a URL's "//" in the text.
func (p *parser) scanToDelimiter(a int, cls quoteClass, at strPlace, unclosed bool) (status, contentEnd, next int) {
	b := p.src
	// An object's value with no closing quote up to the end of an answer
	// that ends with a bracket ({"a": "one, two "and" three}) runs to that
	// bracket, past its quotations and past commas that a sentence follows.
	sentence := unclosed && at == inValue
	inner := 0
	for i := a; i < p.end; {
		c := b[i]
		if c == '\\' {
			i += 2
			continue
		}
		if w := closeAt(b, i, p.end, cls); w > 0 {
			if !sentence || p.quoteEndsValue(i+w) || inner%2 == 0 && i > a && !isSpace(b[i-1]) && i+w < p.end && isSpace(b[i+w]) {
				return strClosed, i, i + w
			}
			inner++
			i += w
			continue
		}
		if c == ':' && at == inKey {
			// {"key: 1}: a key ends at its colon.
			return strCut, trimSpaceEnd(b, a, i), i
		}
		if c == ',' && sentence && p.proseFollows(i+1) {
			i++
			continue
		}
		switch c {
		case ',', '[', ']', '/', '{', '}', '\n', '\r', '+':
			if c == '/' && urlStart(b[a:min(i+2, p.end)]) {
				for i < p.end && isURLByte(b[i]) {
					i++
				}
			}
			return strCut, trimSpaceEnd(b, a, i), i
		}
		i++
	}
	return strEOF, 0, 0
}

// quoteEndsValue reports whether a quote before j, in the second reading
// of an object's value, ends it: what follows is the end, a delimiter or
// another quote — not more words.
func (p *parser) quoteEndsValue(j int) bool {
	j = p.skipQuiet(j, false)
	if j >= p.end || isDelimiter(p.src[j]) {
		return true
	}
	_, _, ok := quoteAt(p.src, j, p.end)
	return ok
}

// urlStart reports whether s is a URL scheme and "://".
func urlStart(s []byte) bool {
	for _, scheme := range [...]string{"http", "https", "ftp", "mailto", "file", "data", "irc"} {
		if string(s) == scheme+"://" {
			return true
		}
	}
	return false
}

func isURLByte(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) {
		return true
	}
	switch c {
	case '-', '.', '_', '~', ':', '/', '?', '#', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ';', '=':
		return true
	}
	return false
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func trimSpaceEnd(b []byte, a, e int) int {
	for e > a && isSpace(b[e-1]) {
		e--
	}
	return e
}

// String-level fixes, recorded once per string.
// stringRepairs holds the offset of the first repair of each kind inside
// one string, -1 for none: a string records each kind once.
type stringRepairs struct {
	control, escape, quote, utf8 int
}

func note(at *int, off int) {
	if *at < 0 {
		*at = off
	}
}

// emitString writes the string whose opening quote is at s and whose text
// is src[a:e] as a JSON string, recording what it changed. A clean
// double-quoted string keeps its input text.
func (p *parser) emitString(s, a, e int, cls quoteClass, closed bool) int32 {
	b := p.src
	if cls == quoteDouble && closed && a == s+1 && cleanString(b[a:e]) {
		return p.addText(kindString, s, s, e+1)
	}
	closeAt := e // where the closing quote is, when closed
	if closed {
		// A raw line break right before the closing quote is layout: the
		// model put the quote on the next line.
		t := e
		for t > a && isSpace(b[t-1]) {
			t--
		}
		if bytesContain(b[t:e], '\n') {
			p.fix(KindControlCharacter, t, "raw line break before the closing quote", "")
			e = t
		}
	}
	p.growAux(e - a + 2)
	lo := len(p.aux)
	p.aux = append(p.aux, '"')
	sr := stringRepairs{-1, -1, -1, -1}
	for i := a; i < e; {
		c := b[i]
		switch {
		case c == '\\':
			if i+1 >= e {
				p.aux = append(p.aux, '\\', '\\')
				note(&sr.escape, i)
				i++
				continue
			}
			switch d := b[i+1]; d {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.aux = append(p.aux, '\\', d)
				i += 2
			case 'u':
				if i+6 <= e && isHex(b[i+2]) && isHex(b[i+3]) && isHex(b[i+4]) && isHex(b[i+5]) {
					p.aux = append(p.aux, b[i:i+6]...)
					i += 6
				} else {
					p.aux = append(p.aux, '\\', '\\')
					note(&sr.escape, i)
					i++
				}
			case '\'':
				p.aux = append(p.aux, '\'')
				note(&sr.escape, i)
				i += 2
			case '\n':
				p.aux = append(p.aux, '\\', 'n')
				note(&sr.escape, i)
				i += 2
			default:
				// \d, \s, C:\Users: the backslash is text.
				p.aux = append(p.aux, '\\', '\\')
				note(&sr.escape, i)
				i++
			}
		case c == '"':
			p.aux = append(p.aux, '\\', '"')
			if cls == quoteDouble || cls == quoteDoubleLike {
				note(&sr.quote, i)
			}
			i++
		case c < 0x20:
			p.growAux(6)
			p.aux = jsonesc.AppendRune(p.aux, rune(c))
			note(&sr.control, i)
			i++
		case c < 0x80:
			p.aux = append(p.aux, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:e])
			if r == utf8.RuneError && size == 1 {
				p.growAux(3)
				p.aux = append(p.aux, "\uFFFD"...)
				note(&sr.utf8, i)
			} else {
				p.aux = append(p.aux, b[i:i+size]...)
			}
			i += size
		}
	}
	p.aux = append(p.aux, '"')
	n := p.addAux(kindString, s, lo)

	out := p.auxText(lo)
	srcEnd := e
	if closed {
		_, w, _ := quoteAt(b, closeAt, p.end)
		srcEnd = closeAt + w
	}
	orig := p.srcText(s, srcEnd)
	switch cls {
	case quoteSingle:
		p.fix(KindSingleQuotes, s, orig, out)
	case quoteSingleLike, quoteDoubleLike:
		p.fix(KindSmartQuotes, s, orig, out)
	}
	if !closed {
		p.fix(KindMissingQuote, e, orig, out)
	}
	if i := sr.quote; i >= 0 {
		p.fix(KindUnescapedQuote, i, orig, out)
	}
	if i := sr.control; i >= 0 {
		p.fix(KindControlCharacter, i, fmt.Sprintf("raw U+%04X", b[i]), string(jsonesc.AppendRune(nil, rune(b[i]))))
	}
	if i := sr.escape; i >= 0 {
		p.fix(KindInvalidEscape, i, p.srcText(i, min(i+2, e)), escapeRepair(b, i, e))
	}
	if i := sr.utf8; i >= 0 {
		p.fix(KindInvalidUTF8, i, "", "\uFFFD")
	}
	return n
}

func bytesContain(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// escapeRepair shows how the invalid escape at b[i] was written.
func escapeRepair(b []byte, i, e int) string {
	if i+1 >= e {
		return `\\`
	}
	switch b[i+1] {
	case '\'':
		return "'"
	case '\n':
		return `\n`
	}
	return `\\` + string(b[i+1:i+2])
}

// cleanString reports whether s is the text of a valid JSON string.
func cleanString(s []byte) bool {
	for i := 0; i < len(s); {
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			return true
		}
		switch c := s[i]; {
		case c == '\\':
			if i+1 >= len(s) {
				return false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < 0x80: // '"' or a control character
			return false
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
		}
	}
	return true
}

// unquote decodes a valid JSON string token to a Go string. Lone
// surrogates become U+FFFD, as in encoding/json.
func unquote(t []byte) string {
	s := t[1 : len(t)-1]
	i := 0
	for i < len(s) && s[i] != '\\' {
		i++
	}
	if i == len(s) {
		return string(s)
	}
	out := make([]byte, 0, len(s))
	out = append(out, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		d := s[i+1]
		i += 2
		switch d {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(s[i:]))
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(s[i+2:]))); r2 != utf8.RuneError {
						r = r2
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, d)
		}
	}
	return string(out)
}

func hex4(s []byte) int {
	v := 0
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		v = v<<4 | int(c)
	}
	return v
}
