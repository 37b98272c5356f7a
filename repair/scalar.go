package repair

import (
	"strings"
	"unicode/utf8"

	"github.com/reask/reask/internal/jsonesc"
)

// Scalars: numbers, bare words, literals in other languages' spellings,
// wrappers (function calls, Python tuples) and regular expressions. Strings
// are in string.go.
// tuple parses a Python tuple: (1, 2) is the array [1, 2], () the empty
// array, and (1) — parentheses around one value without a comma — the
// value itself.
func (p *parser) tuple() (int32, error) {
	start := p.pos
	if p.depth >= p.maxDepth {
		return -1, p.tooDeep(start)
	}
	p.depth++
	defer func() { p.depth-- }()
	arr := p.addContainer(kindArray, start)
	p.pos++
	p.open = append(p.open, ')')
	defer func() { p.open = p.open[:len(p.open)-1] }()
	var index int32
	commas := false
	for {
		p.space()
		if p.atEnd() {
			return arr, p.unclosed(arr, ')')
		}
		c := p.src[p.pos]
		if c == ')' {
			p.pos++
			break
		}
		if c == ',' {
			commas = true
			p.pos++
			continue
		}
		if c == ']' || c == '}' {
			return arr, p.syntaxError(p.pos, "unexpected %q inside parentheses", c)
		}
		p.push(segment{key: -1, index: index})
		val, err := p.value()
		p.pop()
		if err != nil {
			return arr, err
		}
		p.appendChild(arr, val)
		index++
	}
	if index == 1 && !commas {
		p.fix(KindPythonTuple, start, p.slice(start, p.pos), "")
		return p.nodes[arr].lo, nil
	}
	p.fix(KindPythonTuple, start, "(", "[")
	return arr, nil
}

// ---- numbers --------------------------------------------------------------

// number parses a number, repairing what has an obvious meaning (.5, +1,
// 1., 2e) and turning what is not a number (0.0.1, 2024-10-18, 1/3,
// 0789) into a string.
func (p *parser) number() (int32, error) {
	s := p.pos
	i := s
	b := p.src
	if b[i] == '-' || b[i] == '+' {
		i++
		if w := nonFinite(b, i, p.end); w > 0 {
			return p.nonFinite(s, i+w)
		}
	}
	intStart := i
	i, underscores := p.digits(i)
	intEnd := i
	fracStart, fracEnd := -1, -1
	if i < p.end && b[i] == '.' {
		i++
		fracStart = i
		var u bool
		i, u = p.digits(i)
		underscores = underscores || u
		fracEnd = i
	}
	expStart, expDigits := -1, 0
	if i < p.end && (b[i] == 'e' || b[i] == 'E') && (intEnd > intStart || fracEnd > fracStart) {
		expStart = i
		i++
		if i < p.end && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < p.end && isDigit(b[i]) {
			i++
		}
		expDigits = i - d
	}
	end := i
	// What follows must end the number; otherwise the token is text.
	if end < p.end && !p.endsNumber(end) {
		return p.unquoted(s, false)
	}
	intDigits := intEnd - intStart
	fracDigits := fracEnd - fracStart // 0 without a fraction too
	if intDigits == 0 && fracDigits == 0 {
		if end >= p.end && !p.fenced {
			return -1, p.truncated(false)
		}
		return p.unquoted(s, false)
	}
	if intDigits > 1 && b[intStart] == '0' {
		// A leading zero: an identifier or a code, not a number.
		return p.unquoted(s, false)
	}
	incomplete := (fracStart >= 0 && fracDigits == 0) || (expStart >= 0 && expDigits == 0)
	if incomplete && end >= p.end && !p.fenced {
		return -1, p.truncated(false)
	}
	p.pos = end
	if b[s] != '+' && intDigits > 0 && !incomplete && !underscores {
		n := p.addText(kindNumber, s, s, end)
		p.closingQuoteAfterToken()
		return n, nil
	}
	// Write the number as JSON.
	lo := len(p.aux)
	if b[s] == '-' {
		p.aux = append(p.aux, '-')
	}
	if intDigits == 0 {
		p.aux = append(p.aux, '0')
	} else {
		p.aux = appendDigits(p.aux, b[intStart:intEnd])
	}
	if fracDigits > 0 {
		p.aux = append(p.aux, '.')
		p.aux = appendDigits(p.aux, b[fracStart:fracEnd])
	}
	if expStart >= 0 && expDigits > 0 {
		p.aux = append(p.aux, b[expStart:end]...)
	}
	n := p.addAux(kindNumber, s, lo)
	p.fix(KindInvalidNumber, s, p.srcText(s, end), p.auxText(lo))
	p.closingQuoteAfterToken()
	return n, nil
}

// digits reads digits from i, with single underscores between digits as
// Python and Rust write them (1_000), and reports whether it saw one.
func (p *parser) digits(i int) (int, bool) {
	b := p.src
	underscore := false
	for i < p.end {
		if isDigit(b[i]) {
			i++
			continue
		}
		if b[i] == '_' && i > 0 && isDigit(b[i-1]) && i+1 < p.end && isDigit(b[i+1]) {
			underscore = true
			i++
			continue
		}
		break
	}
	return i, underscore
}

// appendDigits appends digits without underscores.
func appendDigits(dst, digits []byte) []byte {
	for _, c := range digits {
		if c != '_' {
			dst = append(dst, c)
		}
	}
	return dst
}

// endsNumber reports whether the byte at i can follow a number.
func (p *parser) endsNumber(i int) bool {
	c := p.src[i]
	switch c {
	case ' ', '\t', '\n', '\r', ',', ']', '}', ')', ';', '{', '[':
		return true
	case '/':
		return i+1 < p.end && (p.src[i+1] == '/' || p.src[i+1] == '*')
	case '"', '\'':
		return quoteThenDelimiter(p.src, i, p.end)
	}
	if c >= 0x80 {
		return unicodeSpace(p.src[i:p.end]) > 0
	}
	return false
}

// closingQuoteAfterToken drops a stray closing quote right after a bare
// token (`abc"`, `12"`): the model forgot the opening quote.
func (p *parser) closingQuoteAfterToken() {
	if p.pos < p.end && (p.src[p.pos] == '"' || p.src[p.pos] == '\'') && quoteThenDelimiter(p.src, p.pos, p.end) {
		p.fix(KindMissingQuote, p.pos, p.srcText(p.pos, p.pos+1), "")
		p.pos++
	}
}

// quoteThenDelimiter reports whether the quote at b[i] is followed (after
// spaces) by the end, ',', ':', '}' or ']'.
func quoteThenDelimiter(b []byte, i, end int) bool {
	j := i + 1
	for j < end && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	if j >= end {
		return true
	}
	switch b[j] {
	case ',', ':', '}', ']', '\n', '\r':
		return true
	}
	return false
}

// nonFinite returns the length of NaN or Infinity (in the spellings
// models use) at b[i], followed by a non-word byte, or 0.
func nonFinite(b []byte, i, end int) int {
	for _, w := range [...]string{"Infinity", "infinity", "NaN", "nan", "Inf", "inf"} {
		if end-i >= len(w) && string(b[i:i+len(w)]) == w && (i+len(w) >= end || !isWordByte(b[i+len(w)])) {
			return len(w)
		}
	}
	return 0
}

func (p *parser) nonFinite(s, end int) (int32, error) {
	p.pos = end
	p.fix(KindNonFiniteNumber, s, p.srcText(s, end), "null")
	return p.addLiteral(kindNull, s), nil
}

// ---- words ----------------------------------------------------------------

// word parses a bare word: a literal in another language's spelling, a
// function call wrapped around a value, or unquoted text.
func (p *parser) word() (int32, error) {
	s := p.pos
	i := s
	for i < p.end && (isWordByte(p.src[i]) && p.src[i] < 0x80) {
		i++
	}
	w := p.src[s:i]
	if i == p.end || !isWordByte(p.src[i]) {
		switch string(w) {
		case "true":
			p.pos = i
			return p.addLiteral(kindTrue, s), nil
		case "false":
			p.pos = i
			return p.addLiteral(kindFalse, s), nil
		case "null":
			p.pos = i
			return p.addLiteral(kindNull, s), nil
		case "True", "False", "None":
			p.pos = i
			lit := pythonLiterals[string(w)]
			p.fix(KindPythonLiteral, s, p.srcText(s, i), lit)
			return p.addLiteral(literalKinds[lit], s), nil
		case "undefined":
			p.pos = i
			p.fix(KindUndefined, s, "undefined", "null")
			return p.addLiteral(kindNull, s), nil
		}
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(w) == len(lit) && strings.EqualFold(string(w), lit) {
				p.pos = i
				p.fix(KindLiteralCase, s, p.srcText(s, i), lit)
				return p.addLiteral(literalKinds[lit], s), nil
			}
		}
		if nonFinite(p.src, s, p.end) == len(w) && len(w) > 0 {
			return p.nonFinite(s, i)
		}
	}
	// A function call: callback({...}), ObjectId("..."), NumberLong("2").
	if i > s {
		j := i
		for j < p.end && (p.src[j] == ' ' || p.src[j] == '\t') {
			j++
		}
		if j < p.end && p.src[j] == '(' {
			return p.call(s, j)
		}
	}
	return p.unquoted(s, false)
}

var pythonLiterals = map[string]string{"True": "true", "False": "false", "None": "null"}

var literalKinds = map[string]nodeKind{"true": kindTrue, "false": kindFalse, "null": kindNull}

// call parses name(value), keeping the value: JSONP callbacks and MongoDB
// types wrap JSON this way.
func (p *parser) call(s, paren int) (int32, error) {
	p.pos = paren + 1
	p.open = append(p.open, ')')
	defer func() { p.open = p.open[:len(p.open)-1] }()
	p.space()
	if p.atEnd() {
		if p.fenced {
			return -1, p.syntaxError(p.pos, "expected a value after %q", p.slice(s, paren+1))
		}
		return -1, p.truncated(false)
	}
	v, err := p.value()
	if err != nil {
		return v, err
	}
	p.space()
	if !p.atEnd() && p.src[p.pos] == ')' {
		p.pos++
	} else if p.atEnd() && !p.fenced {
		return v, p.truncated(false)
	}
	p.fix(KindFunctionCall, s, p.slice(s, paren+1)+"…)", "")
	return v, nil
}

// unquoted reads bare text starting at s as a string: up to a delimiter,
// a line end or a quote (and, for a key, a colon), without trailing
// spaces. A quote right after it that is followed by a delimiter is its
// forgotten closing quote, and is dropped.
func (p *parser) unquoted(s int, isKey bool) (int32, error) {
	b := p.src
	i := s
	value := !isKey && p.place(false) == inValue
	for i < p.end {
		c := b[i]
		if value && (c == '{' || c == '[') && i > s && isWordByte(b[i-1]) {
			// {"a": words{in braces}}: brackets glued to a word are text.
			if e := p.textBrackets(i); e > i {
				i = e
				continue
			}
		}
		if isStop(c) || (isKey && c == ':') {
			break
		}
		if c == '"' || c == '\'' {
			break
		}
		if c >= 0x80 {
			if _, _, ok := quoteAt(b, i, p.end); ok && i > s {
				break
			}
		}
		if c == '/' && i+1 < p.end && (b[i+1] == '*' || (b[i+1] == '/' && (i == s || b[i-1] != ':'))) {
			break
		}
		i++
	}
	closing := -1 // a forgotten opening quote's closing quote
	if value && i < p.end && b[i] == ',' {
		// {"a": one, two, three.",}: the text runs on to a closing quote.
		if q := p.closingQuoteAhead(i + 1); q > 0 {
			i, closing = q, q
		}
	}
	e := i
	for e > s && (b[e-1] == ' ' || b[e-1] == '\t') {
		e--
	}
	if e == s {
		return -1, p.unexpected(s, "expected a value")
	}
	p.pos = i
	kind := KindUnquotedString
	if isKey {
		kind = KindUnquotedKey
	}
	if !isKey && string(b[s:e]) == "undefined" {
		p.fix(KindUndefined, s, "undefined", "null")
		return p.addLiteral(kindNull, s), nil
	}
	lo := len(p.aux)
	p.aux = append(p.aux, '"')
	p.aux, _ = appendEscaped(p.aux, b[s:e])
	p.aux = append(p.aux, '"')
	n := p.addAux(kindString, s, lo)
	if closing >= 0 || i < p.end && (b[i] == '"' || b[i] == '\'') && quoteThenDelimiter(b, i, p.end) {
		p.pos = i + 1
		kind = KindMissingQuote
	}
	p.fix(kind, s, p.srcText(s, p.pos), p.auxText(lo))
	return n, nil
}

// textBrackets returns the offset after the bracket that closes the one
// at i, when it closes on the same line and what is between holds no
// quote, colon or comma — text such as words{in braces} or f[1], not
// JSON; else it returns i. It looks at most maxKeyLookahead bytes ahead.
func (p *parser) textBrackets(i int) int {
	depth := 0
	for k, limit := i, min(p.end, i+maxKeyLookahead); k < limit; k++ {
		switch p.src[k] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return k + 1
			}
		case '"', '\'', ':', ',', '\n', '\r':
			return i
		}
	}
	return i
}

// closingQuoteAhead looks, from i on the same line, for the closing quote
// of a value whose opening quote was forgotten and which holds commas:
// {"a": one, two, three.",}. It returns the quote's offset when one comes
// before any other quote, colon or bracket and is followed by ',' or '}',
// else -1. It looks at most maxKeyLookahead bytes ahead.
func (p *parser) closingQuoteAhead(i int) int {
	for k, limit := i, min(p.end, i+maxKeyLookahead); k < limit; k++ {
		switch c := p.src[k]; c {
		case '"', '\'':
			j := p.skipQuiet(k+1, true)
			if j >= p.end || p.src[j] == ',' || p.src[j] == '}' {
				return k
			}
			return -1
		case ':', '{', '}', '[', ']', '\n', '\r':
			return -1
		}
	}
	return -1
}

// regex reads a JavaScript regular expression literal /…/ as a string.
func (p *parser) regex() (int32, error) {
	s := p.pos
	i := s + 1
	class := false // inside [...], where '/' does not end the regex
	for i < p.end && (class || p.src[i] != '/') && p.src[i] != '\n' {
		switch p.src[i] {
		case '\\':
			i++
		case '[':
			class = true
		case ']':
			class = false
		}
		i++
	}
	if i >= p.end || p.src[i] != '/' {
		return p.unquoted(s, false)
	}
	i++
	for i < p.end && (p.src[i] >= 'a' && p.src[i] <= 'z') { // flags
		i++
	}
	p.pos = i
	lo := len(p.aux)
	p.aux = append(p.aux, '"')
	p.aux, _ = appendEscaped(p.aux, p.src[s:i])
	p.aux = append(p.aux, '"')
	p.fix(KindRegex, s, p.srcText(s, i), p.auxText(lo))
	return p.addAux(kindString, s, lo), nil
}

// appendEscaped appends s as the inside of a JSON string: quotes,
// backslashes and control characters escaped, invalid UTF-8 replaced. It
// reports whether it replaced anything.
func appendEscaped(dst, s []byte) ([]byte, bool) {
	replaced := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c == '"' || c == '\\' || c < 0x20 {
				dst = jsonesc.AppendRune(dst, rune(c))
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
			replaced = true
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst, replaced
}
