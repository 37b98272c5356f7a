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
	var out []Fault
	if err != nil {
		if strings.TrimSpace(text) != "" {
			out = append(out, Fault{Kind: Prose})
		}
		return out
	}
	for _, f := range []struct {
		on bool
		k  Kind
	}{
		{syn.Fence, Fence}, {syn.Prose, Prose}, {syn.TrailingComma, TrailingComma},
		{syn.SingleQuotes, SingleQuotes}, {syn.UnquotedKeys, UnquotedKeys}, {syn.Comments, Comments},
		{syn.PythonLiterals, PythonLiterals}, {syn.Truncated, Truncated},
	} {
		if f.on {
			out = append(out, Fault{Kind: f.k})
		}
	}
	if syn.Truncated {
		return out
	}
	return diff(v, clean, s, "", 0, out)
}

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
			mp := path + "/" + escape(k)
			gv, present := g.Get(k)
			if !present {
				if depth == 0 {
					out = append(out, Fault{Kind: MissingField, Path: mp})
				} else {
					out = append(out, Fault{Kind: NestedMissing, Path: mp})
				}
				continue
			}
			var ps *extract.Schema
			if s != nil {
				if p := s.Property(k); p != nil {
					ps = p.Schema
				}
			}
			out = diffValue(gv, w.Values[i], ps, mp, depth, out)
		}
		for _, k := range g.Keys {
			if _, declared := w.Get(k); declared {
				continue
			}
			if s != nil && s.Property(k) != nil {
				continue
			}
			out = append(out, Fault{Kind: ExtraField, Path: path + "/" + escape(k)})
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
			out = diffValue(g[i], w[i], items, path+"/"+strconv.Itoa(i), depth, out)
		}
	}
	return out
}

func diffValue(got, want any, s *extract.Schema, path string, depth int, out []Fault) []Fault {
	switch w := want.(type) {
	case extract.Number:
		switch g := got.(type) {
		case nil:
			return append(out, Fault{Kind: NullField, Path: path})
		case string:
			if n, err := strconv.ParseFloat(strings.TrimSpace(g), 64); err == nil && n == w.Float() {
				return append(out, Fault{Kind: NumberAsString, Path: path})
			}
			if f := w.Float(); f == float64(int(f)) && strings.EqualFold(g, Words(int(f))) {
				return append(out, Fault{Kind: NumberAsWords, Path: path})
			}
		}
	case string:
		switch g := got.(type) {
		case nil:
			return append(out, Fault{Kind: NullField, Path: path})
		case string:
			if g != w && strings.EqualFold(g, w) {
				return append(out, Fault{Kind: EnumCase, Path: path})
			}
		}
	case bool:
		if got == nil {
			return append(out, Fault{Kind: NullField, Path: path})
		}
	case *extract.Object, []any:
		if got == nil {
			return append(out, Fault{Kind: NullField, Path: path})
		}
		return diff(got, want, s, path, depth+1, out)
	}
	return out
}
