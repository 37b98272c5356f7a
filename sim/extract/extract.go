package extract

import (
	"math"
	"strconv"
)

// maxNesting bounds how deep the extractor follows a recursive schema.
const maxNesting = 8

// Extract answers schema s from text. The answer always has the schema's
// shape: required members are present, typed as the schema says; a member
// the text says nothing about gets null when the schema allows it, its
// default, or an empty value of its type.
func Extract(s *Schema, text string) any {
	x := extractor{d: newDoc(text)}
	return x.value("", s, x.whole(), 0)
}

type scope struct {
	from, to int // token range
	segment  bool
	item     *lineItem
}

type extractor struct {
	d           *doc
	ratingScale int // the scale of the last rating read, when the text gives one ("/10")
}

func (x *extractor) whole() scope { return scope{0, len(x.d.toks), false, nil} }

func (x *extractor) value(name string, s *Schema, sc scope, depth int) any {
	v, ok := x.field(name, s, sc, depth, nil)
	if !ok {
		return defaultFor(s, 0)
	}
	return v
}

// defaultFor is what a model writes for a field the text says nothing
// about.
func defaultFor(s *Schema, depth int) any {
	if s == nil {
		return nil
	}
	if s.HasDefault {
		return Clone(s.Default)
	}
	if s.Nullable {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.Type {
	case "string":
		return ""
	case "integer":
		if s.HasMinimum && s.Minimum > 0 {
			return Int(int64(math.Ceil(s.Minimum)))
		}
		return Int(0)
	case "number":
		if s.HasMinimum && s.Minimum > 0 {
			return Float(s.Minimum)
		}
		return Float(0)
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		o := &Object{}
		if depth > maxNesting {
			return o
		}
		for _, p := range s.Properties {
			if p.Required {
				o.Set(p.Name, defaultFor(p.Schema, depth+1))
			}
		}
		return o
	}
	return nil
}

// field extracts one value; ok is false when the text says nothing.
func (x *extractor) field(name string, s *Schema, sc scope, depth int, kws []string) (any, bool) {
	if s == nil || depth > maxNesting {
		return nil, false
	}
	c := conceptOf(name, s)
	if kws == nil {
		kws = keywords(name, c)
	}
	if len(s.Enum) > 0 {
		return x.enum(name, s, c, kws, sc)
	}
	switch s.Type {
	case "object":
		return x.object(name, s, sc, depth), true
	case "array":
		return x.array(name, s, c, sc, depth)
	case "string", "":
		str, ok := x.str(name, s, c, kws, sc)
		if !ok {
			return nil, false
		}
		return str, true
	case "integer", "number":
		f, ok := x.num(name, s, c, kws, sc)
		if !ok {
			return nil, false
		}
		if s.Type == "integer" {
			return Int(int64(math.Round(f))), true
		}
		return Float(f), true
	case "boolean":
		return x.boolean(name, kws, sc)
	case "null":
		return nil, true
	}
	return nil, false
}

func (x *extractor) object(name string, s *Schema, sc scope, depth int) *Object {
	o, _ := x.objectFound(name, s, sc, depth)
	return o
}

// objectFound extracts an object and counts the members the text gave.
func (x *extractor) objectFound(name string, s *Schema, sc scope, depth int) (*Object, int) {
	if x.addressLike(name, s) {
		if a, ok := x.address(sc); ok {
			return x.addressObject(s, a), len(s.Properties)
		}
	}
	found := 0
	// the words siblings share do not tell them apart: issue_date and
	// due_date are found by "issue" and "due", not by "date".
	// Only siblings of one concept compete for a word: "due" finds both
	// amount_due's money and due_date's date.
	count := map[string]int{}
	for _, p := range s.Properties {
		seen := map[string]bool{}
		c := conceptOf(p.Name, p.Schema)
		for _, w := range keywords(p.Name, c) {
			if !seen[w] {
				seen[w] = true
				count[strconv.Itoa(int(c))+w]++
			}
		}
	}
	o := &Object{Keys: make([]string, 0, len(s.Properties)), Values: make([]any, 0, len(s.Properties))}
	dates := x.assignDates(s, sc, count)
	for _, p := range s.Properties {
		c := conceptOf(p.Name, p.Schema)
		kws := keywords(p.Name, c)
		distinct := kws[:0:0]
		for _, w := range kws {
			if count[strconv.Itoa(int(c))+w] < 2 {
				distinct = append(distinct, w)
			}
		}
		if len(distinct) > 0 {
			kws = distinct
		}
		var v any
		var ok bool
		if dt, isDate := dates[p.Name]; isDate {
			v, ok = formatDate(dt, p.Schema), !dt.IsZero()
		} else {
			v, ok = x.field(p.Name, p.Schema, sc, depth+1, kws)
		}
		if ok {
			found++
		} else {
			switch {
			case p.Schema.Nullable:
				v = nil
			case p.Required:
				v = defaultFor(p.Schema, depth+1)
			default:
				continue
			}
		}
		o.Keys = append(o.Keys, p.Name)
		o.Values = append(o.Values, v)
	}
	return o, found
}

func (x *extractor) addressLike(name string, s *Schema) bool {
	if conceptOf(name, s) == cAddress {
		return true
	}
	n := 0
	for _, p := range s.Properties {
		switch conceptOf(p.Name, p.Schema) {
		case cStreet, cCity, cState, cZip:
			n++
		}
	}
	return n >= 2
}

func (x *extractor) address(sc scope) (address, bool) {
	for _, a := range x.d.addrs {
		if a.tok >= sc.from && a.tok < sc.to {
			return a, true
		}
	}
	return address{}, false
}

func (x *extractor) addressObject(s *Schema, a address) *Object {
	o := &Object{}
	for _, p := range s.Properties {
		var v any
		switch conceptOf(p.Name, p.Schema) {
		case cStreet:
			v = a.street
		case cCity:
			v = a.city
		case cState:
			v = a.state
		case cZip:
			v = a.zp
		case cCountry:
			if a.state != "" {
				v = "USA"
			} else {
				v = ""
			}
		case cAddress:
			v = x.d.text[a.start:a.end]
		default:
			if !p.Required {
				continue
			}
			v = defaultFor(p.Schema, 0)
		}
		if str, _ := v.(string); str == "" && p.Schema.Nullable {
			v = nil
		}
		if p.Schema.Type != "string" && p.Schema.Type != "" {
			if str, isStr := v.(string); isStr {
				if p.Schema.Type == "integer" || p.Schema.Type == "number" {
					if n, err := strconv.Atoi(str); err == nil {
						v = Int(int64(n))
					} else {
						v = defaultFor(p.Schema, 0)
					}
				}
			}
		}
		o.Set(p.Name, v)
	}
	return o
}
