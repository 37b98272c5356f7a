package fault

import (
	"strconv"
	"strings"

	"github.com/reask/reask/sim/extract"
)

// Classify finds the faults of an earlier answer by comparing it with the
// clean answer: the liberties it took with JSON syntax, then, when it
// parsed, the members that differ the ways Render makes them differ. An
// answer that differs otherwise (a wrong value) yields no fault: the
// simulator only knows its own mistakes.
func Classify(text string, clean any, s *extract.Schema) []Fault {
	v, syn, err := extract.ParseLenient(text)
	if err != nil {
		// no JSON value to be found: all of it is prose
		if strings.TrimSpace(text) != "" {
			return []Fault{{Kind: Prose}}
		}
		return nil
	}
	var out []Fault
	for _, row := range table {
		if row.parsed != nil && row.parsed(syn) {
			out = append(out, Fault{Kind: row.kind})
		}
	}
	if syn.Truncated {
		return out // what was cut off cannot be compared
	}
	return diff(v, clean, s, "", 0, out)
}

// site is a place where Classify compares an earlier answer with the
// clean answer: a member of an object or an element of an array.
type site struct {
	got, want     any
	inGot, inWant bool // the member is there (always, for an array element)
	declared      bool // the schema declares the member
	depth         int  // 0 for the members of the top-level object
}

// diff appends the faults of got, an answer's value at path, against want,
// the clean answer's.
func diff(got, want any, s *extract.Schema, path string, depth int, out []Fault) []Fault {
	if depth > 8 {
		return out
	}
	switch w := want.(type) {
	case *extract.Object:
		g, ok := got.(*extract.Object)
		if !ok {
			return out
		}
		for i, k := range w.Keys {
			gv, present := g.Get(k)
			out = compare(site{got: gv, want: w.Values[i], inGot: present, inWant: true, depth: depth}, property(s, k), path+"/"+escape(k), out)
		}
		for i, k := range g.Keys {
			if _, inWant := w.Get(k); inWant {
				continue
			}
			st := site{got: g.Values[i], inGot: true, declared: s != nil && s.Property(k) != nil, depth: depth}
			out = compare(st, nil, path+"/"+escape(k), out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return out
		}
		var items *extract.Schema
		if s != nil {
			items = s.Items
		}
		for i := range min(len(g), len(w)) {
			out = compare(site{got: g[i], want: w[i], inGot: true, inWant: true, depth: depth}, items, path+"/"+strconv.Itoa(i), out)
		}
	}
	return out
}

// compare appends the fault of the first row that the site differs by,
// or else, when both sides hold an object or an array, the faults within.
func compare(st site, s *extract.Schema, path string, out []Fault) []Fault {
	for _, row := range table {
		if row.differs != nil && row.differs(st) {
			return append(out, Fault{Kind: row.kind, Path: path})
		}
	}
	if st.inGot && st.inWant && st.got != nil {
		switch st.want.(type) {
		case *extract.Object, []any:
			return diff(st.got, st.want, s, path, st.depth+1, out)
		}
	}
	return out
}

// property is the schema of member k of s, or nil.
func property(s *extract.Schema, k string) *extract.Schema {
	if s == nil {
		return nil
	}
	if p := s.Property(k); p != nil {
		return p.Schema
	}
	return nil
}
