package extract

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is matched by every error of Parse and ParseLenient.
var ErrSyntax = errors.New("invalid JSON")

// SyntaxError says where a text stopped being JSON.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Syntax records the liberties a text took with JSON, as ParseLenient
// found them.
type Syntax struct {
	Fence          bool // wrapped in a Markdown code fence
	Prose          bool // text before or after the JSON value
	TrailingComma  bool // a comma before } or ]
	SingleQuotes   bool // 'strings'
	UnquotedKeys   bool // {key: 1}
	Comments       bool // // line, /* block */ or # comments
	PythonLiterals bool // True, False, None
	Truncated      bool // the text ends inside the value
}

// Any reports whether any liberty was taken.
func (s Syntax) Any() bool { return s != Syntax{} }

// Parse parses one strict JSON value, keeping the order of object members.
// Nothing but white space may surround it.
func Parse(data []byte) (any, error) {
	p := parser{s: string(data), strict: true}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.fail("text after the value")
	}
	return v, nil
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 200

// ParseLenient reads a JSON value the way a forgiving reader does: it
// skips a Markdown fence and prose around the value, accepts single
// quotes, bare keys, comments, trailing commas and Python literals, and
// closes whatever a truncated text left open. It reports each liberty it
// took; the error is non-nil only when no value could be read at all.
func ParseLenient(text string) (any, Syntax, error) {
	var syn Syntax
	s := strings.TrimSpace(text)
	startsWithValue := s != "" && (s[0] == '{' || s[0] == '[')
	if strings.HasPrefix(s, "```") {
		syn.Fence = true
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			s = s[nl+1:]
		} else {
			s = strings.TrimLeft(s, "`")
		}
		if end := strings.LastIndex(s, "```"); end >= 0 {
			s = s[:end]
		}
		s = strings.TrimSpace(s)
	} else if i := strings.Index(s, "```"); i >= 0 && !startsWithValue {
		// (A text that starts with the value is read as such: backticks
		// further on may well be inside one of its strings.)
		syn.Fence = true
		syn.Prose = true
		rest := s[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		if end := strings.Index(rest, "```"); end >= 0 {
			rest = rest[:end]
		}
		s = strings.TrimSpace(rest)
	}
	start := strings.IndexAny(s, "{[")
	if start < 0 {
		return nil, syn, &SyntaxError{Offset: 0, Msg: "no JSON value"}
	}
	if start > 0 {
		syn.Prose = true
	}
	p := parser{s: s, i: start}
	v, err := p.value(0)
	if err != nil {
		return nil, syn, err
	}
	syn.SingleQuotes = p.syn.SingleQuotes
	syn.UnquotedKeys = p.syn.UnquotedKeys
	syn.TrailingComma = p.syn.TrailingComma
	syn.Comments = p.syn.Comments
	syn.PythonLiterals = p.syn.PythonLiterals
	syn.Truncated = p.syn.Truncated
	if !syn.Truncated {
		p.space()
		if p.i < len(p.s) {
			syn.Prose = true
		}
	}
	return v, syn, nil
}

type parser struct {
	s      string
	i      int
	strict bool
	syn    Syntax
}

func (p *parser) fail(msg string) error { return &SyntaxError{Offset: p.i, Msg: msg} }

// eof reports a truncated text: an error when strict, a note otherwise.
func (p *parser) eof() error {
	if p.strict {
		return p.fail("unexpected end of input")
	}
	p.syn.Truncated = true
	return nil
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case !p.strict && c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '/',
			!p.strict && c == '#':
			p.syn.Comments = true
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case !p.strict && c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '*':
			p.syn.Comments = true
			end := strings.Index(p.s[p.i+2:], "*/")
			if end < 0 {
				p.i = len(p.s)
				return
			}
			p.i += end + 4
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.fail("nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		if err := p.eof(); err != nil {
			return nil, err
		}
		return nil, nil
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'' && !p.strict:
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	default:
		return p.literal()
	}
}

func (p *parser) literal() (any, error) {
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z') {
		j++
	}
	w := p.s[p.i:j]
	switch w {
	case "true", "false", "null":
	case "True", "False", "None":
		if p.strict {
			return nil, p.fail("invalid literal " + strconv.Quote(w))
		}
		p.syn.PythonLiterals = true
	default:
		if !p.strict && j == len(p.s) && w != "" && (strings.HasPrefix("true", w) || strings.HasPrefix("false", w) || strings.HasPrefix("null", w)) {
			p.i = j
			return nil, p.eof()
		}
		return nil, p.fail("invalid character")
	}
	p.i = j
	switch w {
	case "true", "True":
		return true, nil
	case "false", "False":
		return false, nil
	}
	return nil, nil
}

func (p *parser) number() (any, error) {
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	digits := j
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E' || (p.s[j] == '+' || p.s[j] == '-') && (p.s[j-1] == 'e' || p.s[j-1] == 'E')) {
		j++
	}
	lit := p.s[p.i:j]
	if j == digits {
		if j == len(p.s) {
			p.i = j
			return nil, p.eof()
		}
		return nil, p.fail("invalid number")
	}
	// A valid literal beyond float64's range (ErrRange) is still a number:
	// JSON sets no limit, and the text is kept as written.
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange) && validNumber(lit)) || p.strict && !validNumber(lit) {
		if !p.strict && j == len(p.s) {
			p.i = j
			return nil, p.eof()
		}
		return nil, p.fail("invalid number " + strconv.Quote(lit))
	}
	p.i = j
	if !p.strict && !validNumber(lit) {
		// "00", "1.", "+1": keep the value, write it as JSON does
		if math.IsInf(f, 0) {
			return nil, p.fail("invalid number " + strconv.Quote(lit))
		}
		return Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
	}
	return Number(lit), nil
}

// validNumber applies JSON's grammar, stricter than ParseFloat's.
func validNumber(s string) bool {
	i := 0
	if s[0] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else {
		n := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == n {
			return false
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		n := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == n {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == n {
			return false
		}
	}
	return i == len(s)
}

func (p *parser) str() (any, error) {
	q := p.s[p.i]
	if q == '\'' {
		p.syn.SingleQuotes = true
	}
	p.i++
	var b []byte
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			var out string
			if b == nil {
				out = p.s[start:p.i]
			} else {
				out = string(append(b, p.s[start:p.i]...))
			}
			p.i++
			return out, nil
		case c == '\\':
			b = append(b, p.s[start:p.i]...)
			if p.i+1 >= len(p.s) {
				p.i = len(p.s)
				return string(b), p.eof()
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/', '\'':
				if e == '\'' && p.strict {
					return nil, p.fail("invalid escape")
				}
				b = append(b, e)
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'u':
				if p.i+4 > len(p.s) {
					p.i = len(p.s)
					return string(b), p.eof()
				}
				r, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
				if err != nil {
					return nil, p.fail("invalid \\u escape")
				}
				p.i += 4
				ru := rune(r)
				if ru >= 0xD800 && ru < 0xDC00 && p.i+6 <= len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					if r2, err := strconv.ParseUint(p.s[p.i+2:p.i+6], 16, 32); err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
						ru = (ru-0xD800)<<10 + (rune(r2) - 0xDC00) + 0x10000
						p.i += 6
					}
				}
				b = utf8.AppendRune(b, ru)
			default:
				if p.strict {
					return nil, p.fail("invalid escape")
				}
				b = append(b, e)
			}
			start = p.i
		case c < 0x20 && p.strict:
			return nil, p.fail("control character in string")

		default:
			p.i++
		}
	}
	b = append(b, p.s[start:]...)
	return string(b), p.eof()
}

func (p *parser) key() (string, error) {
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'' && !p.strict) {
		v, err := p.str()
		s, _ := v.(string)
		return s, err
	}
	if p.strict {
		return "", p.fail("object key must be a string")
	}
	j := p.i
	for j < len(p.s) {
		c := p.s[j]
		if c == '_' || c == '$' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			j++
			continue
		}
		break
	}
	if j == p.i {
		return "", p.fail("invalid object key")
	}
	p.syn.UnquotedKeys = true
	k := p.s[p.i:j]
	p.i = j
	return k, nil
}

func (p *parser) object(depth int) (any, error) {
	p.i++ // {
	o := &Object{}
	for {
		p.space()
		if p.i >= len(p.s) {
			return o, p.eof()
		}
		if p.s[p.i] == '}' {
			if len(o.Keys) > 0 && p.s[p.prevSolid()] == ',' {
				if p.strict {
					return nil, p.fail("trailing comma")
				}
				p.syn.TrailingComma = true
			}
			p.i++
			return o, nil
		}
		if len(o.Keys) > 0 {
			if p.s[p.i] != ',' {
				return nil, p.fail("expected , or }")
			}
			p.i++
			p.space()
			if p.i >= len(p.s) {
				return o, p.eof()
			}
			if p.s[p.i] == '}' {
				continue
			}
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if p.syn.Truncated {
			return o, nil
		}
		p.space()
		if p.i >= len(p.s) {
			return o, p.eof()
		}
		if p.s[p.i] != ':' {
			return nil, p.fail("expected :")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.syn.Truncated {
			o.Set(k, v)
			return o, nil
		}
		o.Keys = append(o.Keys, k)
		o.Values = append(o.Values, v)
	}
}

// prevSolid is the index of the last non-space, non-comment byte before
// p.i; good enough to see a trailing comma.
func (p *parser) prevSolid() int {
	j := p.i - 1
	for j > 0 && (p.s[j] == ' ' || p.s[j] == '\n' || p.s[j] == '\t' || p.s[j] == '\r') {
		j--
	}
	return j
}

func (p *parser) array(depth int) (any, error) {
	p.i++ // [
	a := []any{}
	for {
		p.space()
		if p.i >= len(p.s) {
			return a, p.eof()
		}
		if p.s[p.i] == ']' {
			if len(a) > 0 && p.s[p.prevSolid()] == ',' {
				if p.strict {
					return nil, p.fail("trailing comma")
				}
				p.syn.TrailingComma = true
			}
			p.i++
			return a, nil
		}
		if len(a) > 0 {
			if p.s[p.i] != ',' {
				return nil, p.fail("expected , or ]")
			}
			p.i++
			p.space()
			if p.i >= len(p.s) {
				return a, p.eof()
			}
			if p.s[p.i] == ']' {
				continue
			}
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if p.syn.Truncated {
			return a, nil
		}
	}
}
