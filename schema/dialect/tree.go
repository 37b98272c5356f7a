package dialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// object is a JSON object that keeps its members in their order: a model
// writes its answer in the order of its schema's properties, so a rewrite
// must not reorder them. A document is read into nil, bool, json.Number,
// string, []any and *object.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *object) has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

// set adds k last, or replaces its value where it stands.
func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	o.keys = slices.DeleteFunc(o.keys, func(s string) bool { return s == k })
}

func (o *object) str(k string) string {
	s, _ := o.vals[k].(string)
	return s
}

// clone copies o's members (the values are shared).
func (o *object) clone() *object {
	c := &object{keys: slices.Clone(o.keys), vals: make(map[string]any, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
}

// MaxDepth bounds how deeply the documents that Rewrite, Check and
// Result.Absent read may nest; deeper input is refused with ErrTooDeep. The
// schema package's own limit (schema.DefaultMaxDepth, 32) is far below it.
const MaxDepth = 512

// ErrTooDeep is matched by the error for a document nested deeper than
// MaxDepth.
var ErrTooDeep = errors.New("dialect: document nested too deeply")

// ErrNotJSON is matched by the error for a schema that is not one JSON
// value.
var ErrNotJSON = errors.New("dialect: not a JSON document")

// parse reads one JSON document, keeping the order of object members and
// numbers as written.
func parse(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		if errors.Is(err, ErrTooDeep) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the value", ErrNotJSON)
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w (more than %d levels)", ErrTooDeep, MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v) // a repeated key keeps its first place, its last value, as encoding/json reads it
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // nil, bool, json.Number, string
	}
}

// marshal writes v as compact JSON, object members in order, without
// escaping <, > and & (a pattern stays readable).
func marshal(v any) []byte {
	var b bytes.Buffer
	write(&b, v)
	return b.Bytes()
}

func write(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(string(x))
	case string:
		writeString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			write(b, e)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			write(b, x.vals[k])
		}
		b.WriteByte('}')
	default:
		// Values the package builds itself: ints for bounds it writes.
		out, _ := json.Marshal(x)
		b.Write(out)
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // the encoder's newline
}

// text renders a value for a description: strings as they are, anything
// else as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(marshal(v))
}

// resolve finds the value at a local reference ("#", "#/$defs/a") in root.
func resolve(root any, ref string) (any, string, bool) {
	if ref != "#" && !strings.HasPrefix(ref, "#/") {
		return nil, "", false
	}
	p := strings.TrimPrefix(ref, "#")
	v := root
	for _, tok := range splitPointer(p) {
		switch x := v.(type) {
		case *object:
			var ok bool
			if v, ok = x.get(tok); !ok {
				return nil, "", false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, "", false
			}
			v = x[i]
		default:
			return nil, "", false
		}
	}
	return v, p, true
}

// splitPointer splits a JSON Pointer into unescaped tokens; "" gives none.
// A reference's tokens may also be percent-encoded (it is a URI fragment).
func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range parts {
		if strings.Contains(t, "%") {
			if u, err := unpercent(t); err == nil {
				t = u
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts
}

func unpercent(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("bad escape")
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

// join appends a token to a JSON Pointer, escaping it.
func join(p, tok string) string {
	return p + "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
