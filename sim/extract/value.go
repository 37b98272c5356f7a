package extract

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The values a model writes are kept in the order it writes them: a JSON
// value here is nil, bool, string, Number, []any or *Object. Go maps would
// sort the keys; a model writes them in the schema's order.

// Number is a JSON number literal, kept as written ("30", "45.0").
type Number string

// Float returns the number's value, or 0 when it is not a number.
func (n Number) Float() float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// Int returns a Number that writes i.
func Int(i int64) Number { return Number(strconv.FormatInt(i, 10)) }

// Float returns a Number that writes f the way a model writes a JSON
// Schema "number": always with a fraction ("45.0", "4.5").
func Float(f float64) Number {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return Number(s)
}

// Object is a JSON object whose members keep their order.
type Object struct {
	Keys   []string
	Values []any
}

// Get returns the member named key.
func (o *Object) Get(key string) (any, bool) {
	for i, k := range o.Keys {
		if k == key {
			return o.Values[i], true
		}
	}
	return nil, false
}

// Set replaces the member named key, or appends it.
func (o *Object) Set(key string, v any) {
	for i, k := range o.Keys {
		if k == key {
			o.Values[i] = v
			return
		}
	}
	o.Keys = append(o.Keys, key)
	o.Values = append(o.Values, v)
}

// Delete removes the member named key and reports whether it was there.
func (o *Object) Delete(key string) bool {
	for i, k := range o.Keys {
		if k == key {
			o.Keys = append(o.Keys[:i:i], o.Keys[i+1:]...)
			o.Values = append(o.Values[:i:i], o.Values[i+1:]...)
			return true
		}
	}
	return false
}

// Clone returns a deep copy of v, so that faults can change a copy of the
// clean answer.
func Clone(v any) any {
	switch x := v.(type) {
	case *Object:
		c := &Object{Keys: append([]string(nil), x.Keys...), Values: make([]any, len(x.Values))}
		for i, e := range x.Values {
			c.Values[i] = Clone(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = Clone(e)
		}
		return c
	}
	return v
}

// Equal reports whether two values are the same JSON value: numbers
// compare by value, objects regardless of member order.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Number:
		y, ok := b.(Number)
		return ok && x.Float() == y.Float()
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || len(x.Keys) != len(y.Keys) {
			return false
		}
		if sameMembers(x, y) {
			return true
		}
		for i, k := range x.Keys {
			w, ok := y.Get(k)
			if !ok || !Equal(x.Values[i], w) {
				return false
			}
		}
		return true
	}
	return false
}

// sameMembers reports whether x and y hold equal members in the same
// order, which also settles objects with duplicate names.
func sameMembers(x, y *Object) bool {
	for i := range x.Keys {
		if x.Keys[i] != y.Keys[i] || !Equal(x.Values[i], y.Values[i]) {
			return false
		}
	}
	return true
}

// Style says how to write a value. The zero Style writes compact, valid
// JSON; the other fields produce the syntax a sloppy model produces.
type Style struct {
	// Indent, when not empty, writes one member per line, indented.
	Indent string
	// SingleQuotes writes strings and keys in single quotes.
	SingleQuotes bool
	// UnquotedKeys writes keys bare.
	UnquotedKeys bool
	// PythonLiterals writes True, False and None.
	PythonLiterals bool
	// TrailingCommas adds a comma after the last member of every object.
	TrailingCommas bool
	// Comment, when not empty, is written as a comment after the first
	// member of the outermost object.
	Comment string
}

// Encode writes v as JSON text in style st.
func Encode(v any, st Style) []byte {
	e := encoder{st: st}
	e.value(v, 0)
	return e.buf
}

// Marshal writes v as compact, valid JSON.
func Marshal(v any) []byte { return Encode(v, Style{}) }

type encoder struct {
	buf       []byte
	st        Style
	commented bool
}

func (e *encoder) newline(depth int) {
	if e.st.Indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.st.Indent...)
	}
}

func (e *encoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		if e.st.PythonLiterals {
			e.buf = append(e.buf, "None"...)
		} else {
			e.buf = append(e.buf, "null"...)
		}
	case bool:
		switch {
		case e.st.PythonLiterals && x:
			e.buf = append(e.buf, "True"...)
		case e.st.PythonLiterals:
			e.buf = append(e.buf, "False"...)
		case x:
			e.buf = append(e.buf, "true"...)
		default:
			e.buf = append(e.buf, "false"...)
		}
	case Number:
		e.buf = append(e.buf, x...)
	case string:
		e.str(x)
	case []any:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(depth + 1)
			e.value(el, depth+1)
		}
		if len(x) > 0 {
			e.newline(depth)
		}
		e.buf = append(e.buf, ']')
	case *Object:
		e.buf = append(e.buf, '{')
		for i, k := range x.Keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
				if i == 1 && depth == 0 && e.st.Comment != "" && !e.commented {
					e.comment()
				}
			}
			e.newline(depth + 1)
			if e.st.UnquotedKeys && bareKey(k) {
				e.buf = append(e.buf, k...)
			} else {
				e.str(k)
			}
			e.buf = append(e.buf, ':')
			if e.st.Indent != "" {
				e.buf = append(e.buf, ' ')
			}
			e.value(x.Values[i], depth+1)
		}
		if len(x.Keys) > 0 {
			if e.st.TrailingCommas {
				e.buf = append(e.buf, ',')
			}
			if len(x.Keys) == 1 && depth == 0 && e.st.Comment != "" && !e.commented {
				e.comment()
			}
			e.newline(depth)
		}
		e.buf = append(e.buf, '}')
	default:
		e.buf = append(e.buf, "null"...)
	}
}

// comment writes the style's comment where the encoder stands: a line
// comment at the end of a line in indented output, a block comment in
// compact output (a line comment would swallow the rest of the line).
func (e *encoder) comment() {
	e.commented = true
	if e.st.Indent != "" {
		e.buf = append(e.buf, " // "...)
		e.buf = append(e.buf, e.st.Comment...)
		return
	}
	e.buf = append(e.buf, " /* "...)
	e.buf = append(e.buf, e.st.Comment...)
	e.buf = append(e.buf, " */ "...)
}

func bareKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

const hexDigits = "0123456789abcdef"

func (e *encoder) str(s string) {
	q := byte('"')
	if e.st.SingleQuotes {
		q = '\''
	}
	e.buf = append(e.buf, q)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == q || c == '\\':
				e.buf = append(e.buf, '\\', c)
			case c == '\n':
				e.buf = append(e.buf, '\\', 'n')
			case c == '\r':
				e.buf = append(e.buf, '\\', 'r')
			case c == '\t':
				e.buf = append(e.buf, '\\', 't')
			case c < 0x20:
				e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				e.buf = append(e.buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.buf = append(e.buf, `\ufffd`...)
		} else {
			e.buf = append(e.buf, s[i:i+size]...)
		}
		i += size
	}
	e.buf = append(e.buf, q)
}
