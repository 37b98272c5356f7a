package dialect

import (
	"maps"
	"slices"
	"strconv"
)

// Absent takes out of an answer the nulls that stand for absent optional
// properties: OpenAI's strict form has every property required, so the
// rewrite made each optional one nullable (an Action Nullable change), and
// the model writes null where the text has nothing. v is the decoded answer
// (map[string]any, []any, …) and text its JSON, or nil; Absent returns them
// with those members removed — v copied where it changes, never modified;
// text rewritten compactly, its order of members kept — and the JSON
// Pointers of the members removed. With nothing to remove it returns v and
// text as given. Only a null where the user's schema did not allow one is
// removed, so the answer is then validated against the user's schema as
// the model meant it.
func (r *Result) Absent(v any, text []byte) (any, []byte, []string) {
	if r == nil || len(r.absent) == 0 {
		return v, text, nil
	}
	a := absenter{r: r}
	out, _ := a.walk(v, r.tree, "", 0)
	if len(a.removed) == 0 {
		return v, text, nil
	}
	if text != nil {
		text = removeMembers(text, a.removed)
	}
	return out, text, a.removed
}

type absenter struct {
	r       *Result
	removed []string
}

// deref follows the references of schema s inside the rewritten document.
func (a *absenter) deref(s any) *object {
	for range 32 {
		o, ok := s.(*object)
		if !ok {
			return nil
		}
		ref, isRef := o.vals["$ref"].(string)
		if !isRef || len(o.keys) > 1 {
			return o
		}
		t, _, found := resolve(a.r.tree, ref)
		if !found {
			return nil
		}
		s = t
	}
	return nil
}

// walk returns v with the nulls under it removed, and whether anything
// was.
func (a *absenter) walk(v any, sch any, path string, depth int) (any, bool) {
	s := a.deref(sch)
	if s == nil || depth > MaxDepth {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		m := x
		changed := false
		own := func() {
			if !changed {
				m, changed = maps.Clone(x), true
			}
		}
		for _, name := range a.r.absent[s] {
			if val, ok := m[name]; ok && val == nil {
				own()
				delete(m, name)
				a.removed = append(a.removed, join(path, name))
			}
		}
		if props, ok := s.vals["properties"].(*object); ok {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				ps, ok := props.get(k)
				if !ok {
					continue
				}
				if nv, ch := a.walk(m[k], ps, join(path, k), depth+1); ch {
					own()
					m[k] = nv
				}
			}
		}
		if b := a.branch(s, m); b != nil {
			if nv, ch := a.walk(m, b, path, depth+1); ch {
				return nv, true
			}
		}
		return m, changed
	case []any:
		items, hasItems := s.vals["items"]
		if !hasItems {
			if b := a.branch(s, x); b != nil {
				return a.walk(x, b, path, depth+1)
			}
			return x, false
		}
		out := x
		changed := false
		for i, e := range x {
			if ne, ch := a.walk(e, items, path+"/"+strconv.Itoa(i), depth+1); ch {
				if !changed {
					out, changed = slices.Clone(x), true
				}
				out[i] = ne
			}
		}
		return out, changed
	}
	return v, false
}

// branch picks the alternative of s's anyOf that an object or array answer
// follows: the first that describes its kind and, for an object, declares
// every member it has (a strict object lists them all).
func (a *absenter) branch(s *object, v any) any {
	alts, ok := s.vals["anyOf"].([]any)
	if !ok {
		return nil
	}
	for _, alt := range alts {
		b := a.deref(alt)
		if b == nil {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			props, _ := b.vals["properties"].(*object)
			if props == nil {
				if b.has("anyOf") {
					return alt
				}
				continue
			}
			fits := true
			for k := range x {
				if !props.has(k) {
					fits = false
					break
				}
			}
			if fits {
				return alt
			}
		case []any:
			if b.has("items") || b.has("anyOf") {
				return alt
			}
		}
	}
	return nil
}

// removeMembers deletes from the JSON text the object members at the
// pointers given, keeping everything else in order; on a text it cannot
// read it returns nil, and the caller writes the value instead.
func removeMembers(text []byte, pointers []string) []byte {
	tree, err := parse(text)
	if err != nil {
		return nil
	}
	for _, p := range pointers {
		toks := splitPointer(p)
		if len(toks) == 0 {
			continue
		}
		var at any = tree
		for _, t := range toks[:len(toks)-1] {
			switch x := at.(type) {
			case *object:
				at = x.vals[t]
			case []any:
				i, err := strconv.Atoi(t)
				if err != nil || i < 0 || i >= len(x) {
					at = nil
				} else {
					at = x[i]
				}
			default:
				at = nil
			}
		}
		if o, ok := at.(*object); ok {
			o.del(toks[len(toks)-1])
		}
	}
	return marshal(tree)
}
