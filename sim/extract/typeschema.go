package extract

import (
	"errors"
	"fmt"
	"strings"
)

// Some clients describe the answer's shape not with a JSON Schema but with
// a TypeScript-like sketch, as BAML's output_format does:
//
//	Answer in JSON using this schema:
//	{
//	  name: string,
//	  age: int,
//	  sentiment: "positive" | "negative" | "neutral",
//	  items: [
//	    {
//	      name: string,
//	      quantity: int,
//	    }
//	  ],
//	  phone: string or null,
//	}
//
// with enums possibly defined apart:
//
//	Sentiment
//	----
//	- POSITIVE
//	- NEGATIVE
//
// A model reads these as well as it reads JSON Schemas; so does the
// simulator.

var errTypeSchema = errors.New("not a type sketch")

// maxSketch bounds a type sketch's length, so that a prompt full of braces
// costs linear time.
const maxSketch = 16 << 10

// FindTypeSchema finds a type sketch in a prompt and returns its span and
// the schema it describes.
func FindTypeSchema(text string) (int, int, *Schema, bool) {
	enums := enumDefinitions(text)
	for off := 0; off < len(text); {
		i := strings.IndexAny(text[off:], "{[")
		if i < 0 {
			return 0, 0, nil, false
		}
		i += off
		end := min(len(text), i+maxSketch)
		p := typeParser{s: text[:end], i: i, enums: enums}
		s, err := p.typ(0)
		if err == nil && p.fields > 0 && p.typed {
			return i, p.i, s, true
		}
		off = i + 1
	}
	return 0, 0, nil, false
}

// enumDefinitions reads "Name\n----\n- VALUE\n- VALUE" blocks.
func enumDefinitions(text string) map[string][]string {
	if !strings.Contains(text, "\n---") {
		return nil
	}
	lines := strings.Split(text, "\n")
	out := map[string][]string{}
	for i := 0; i+2 < len(lines); i++ {
		name := strings.TrimSpace(lines[i])
		dash := strings.TrimSpace(lines[i+1])
		if name == "" || strings.ContainsAny(name, " :{}") || len(dash) < 3 || strings.Trim(dash, "-") != "" {
			continue
		}
		var vals []string
		for j := i + 2; j < len(lines); j++ {
			l := strings.TrimSpace(lines[j])
			if !strings.HasPrefix(l, "- ") {
				break
			}
			v := strings.TrimSpace(strings.TrimPrefix(l, "- "))
			if k := strings.IndexAny(v, ":"); k > 0 {
				v = strings.TrimSpace(v[:k])
			}
			vals = append(vals, v)
		}
		if len(vals) > 0 {
			out[name] = vals
		}
	}
	return out
}

type typeParser struct {
	s      string
	i      int
	enums  map[string][]string
	fields int  // fields read
	typed  bool // a primitive type name was seen
}

func (p *typeParser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case c == '/' && p.i+1 < len(p.s) && p.s[p.i+1] == '/':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *typeParser) ident() string {
	j := p.i
	for j < len(p.s) && (isWordByte(p.s[j]) || p.s[j] == '-' && j > p.i) {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

func (p *typeParser) typ(depth int) (*Schema, error) {
	if depth > 16 {
		return nil, errTypeSchema
	}
	var alts []*Schema
	for {
		a, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		for {
			p.space()
			if strings.HasPrefix(p.s[p.i:], "[]") {
				p.i += 2
				a = &Schema{Type: "array", Items: a}
				continue
			}
			break
		}
		alts = append(alts, a)
		p.space()
		switch {
		case strings.HasPrefix(p.s[p.i:], "|"):
			p.i++
			p.space()
			continue
		case strings.HasPrefix(p.s[p.i:], "or ") || strings.HasPrefix(p.s[p.i:], "or\n"):
			p.i += 2
			p.space()
			continue
		}
		break
	}
	return union(alts), nil
}

// union folds alternatives: literals become an enum, null makes the rest
// nullable, otherwise the first alternative wins.
func union(alts []*Schema) *Schema {
	if len(alts) == 1 {
		return alts[0]
	}
	out := &Schema{}
	var enum []any
	for _, a := range alts {
		switch {
		case a.Type == "null":
			out.Nullable = true
		case len(a.Enum) > 0 && a.Type == "string":
			enum = append(enum, a.Enum...)
		case out.Type == "" && len(enum) == 0:
			n := out.Nullable
			*out = *a
			out.Nullable = out.Nullable || n
		}
	}
	if len(enum) > 0 && out.Type == "" {
		out.Type, out.Enum = "string", enum
	}
	if out.Type == "" {
		out.Type = "null"
	}
	return out
}

func (p *typeParser) atom(depth int) (*Schema, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, errTypeSchema
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		p.i++
		el, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			p.space()
		}
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			return nil, errTypeSchema
		}
		p.i++
		return &Schema{Type: "array", Items: el}, nil
	case c == '"' || c == '\'':
		end := strings.IndexByte(p.s[p.i+1:], c)
		if end < 0 || end > 80 {
			return nil, errTypeSchema
		}
		lit := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return &Schema{Type: "string", Enum: []any{lit}}, nil
	}
	w := p.ident()
	switch strings.ToLower(w) {
	case "string", "str", "date", "datetime":
		p.typed = true
		s := &Schema{Type: "string"}
		if strings.EqualFold(w, "date") {
			s.Format = "date"
		}
		return s, nil
	case "int", "integer":
		p.typed = true
		return &Schema{Type: "integer"}, nil
	case "float", "number", "double", "decimal":
		p.typed = true
		return &Schema{Type: "number"}, nil
	case "bool", "boolean":
		p.typed = true
		return &Schema{Type: "boolean"}, nil
	case "null", "none":
		return &Schema{Type: "null"}, nil
	case "":
		return nil, errTypeSchema
	}
	if vals, ok := p.enums[w]; ok {
		p.typed = true
		s := &Schema{Type: "string"}
		for _, v := range vals {
			s.Enum = append(s.Enum, v)
		}
		return s, nil
	}
	return &Schema{Type: "string", Title: w}, nil
}

func (p *typeParser) object(depth int) (*Schema, error) {
	p.i++ // {
	s := &Schema{Type: "object", AdditionalProperties: true}
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, errTypeSchema
		}
		if p.s[p.i] == '}' {
			p.i++
			return s, nil
		}
		var name string
		if c := p.s[p.i]; c == '"' || c == '\'' {
			end := strings.IndexByte(p.s[p.i+1:], c)
			if end < 0 {
				return nil, errTypeSchema
			}
			name = p.s[p.i+1 : p.i+1+end]
			p.i += end + 2
		} else {
			name = p.ident()
		}
		if name == "" {
			return nil, errTypeSchema
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, errTypeSchema
		}
		p.i++
		ft, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if s.Property(name) != nil {
			return nil, fmt.Errorf("%w: field %q twice", errTypeSchema, name)
		}
		s.Properties = append(s.Properties, &Property{Name: name, Required: !ft.Nullable, Schema: ft})
		p.fields++
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		}
	}
}
