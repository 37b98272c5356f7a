package dialect

import (
	"strings"
)

// refCycles knows which references of a document close a cycle. The
// document is cut into units — the root and every definition ($defs or
// definitions member, at any depth) — and a reference leads from the unit
// that holds it to the unit that holds its target.
type refCycles struct {
	units []string            // unit pointers, longest first
	edges map[string][]string // unit → units its references lead to
	reach map[string]map[string]bool
}

// schemaKeywords hold one subschema; schemaLists an array of them;
// schemaMaps an object of named ones. They are where findCycles looks.
var (
	schemaKeywords = []string{"items", "additionalProperties", "additionalItems", "not", "contains", "if", "then", "else",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	schemaLists = []string{"anyOf", "oneOf", "allOf", "prefixItems", "items"}
	schemaMaps  = []string{"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)

// findCycles maps the references of the document tree.
func findCycles(tree any) refCycles {
	c := refCycles{edges: map[string][]string{}, reach: map[string]map[string]bool{}}
	c.units = append(c.units, "")
	var collectUnits func(v any, at string, depth int)
	collectUnits = func(v any, at string, depth int) {
		o, ok := v.(*object)
		if !ok || depth > MaxDepth {
			return
		}
		eachSub(o, at, func(sub any, p string, defs bool) {
			if defs {
				c.units = append(c.units, p)
			}
			collectUnits(sub, p, depth+1)
		})
	}
	collectUnits(tree, "", 0)
	// Longest first, so that unitOf finds the innermost.
	for i := 1; i < len(c.units); i++ {
		for j := i; j > 0 && len(c.units[j]) > len(c.units[j-1]); j-- {
			c.units[j], c.units[j-1] = c.units[j-1], c.units[j]
		}
	}
	var collectRefs func(unit string, v any, at string, depth int)
	collectRefs = func(unit string, v any, at string, depth int) {
		o, ok := v.(*object)
		if !ok || depth > MaxDepth {
			return
		}
		if ref, ok := o.vals["$ref"].(string); ok {
			if t, found := refTarget(ref); found {
				c.edges[unit] = append(c.edges[unit], c.unitOf(t))
			}
		}
		eachSub(o, at, func(sub any, p string, defs bool) {
			if defs {
				collectRefs(p, sub, p, depth+1)
			} else {
				collectRefs(unit, sub, p, depth+1)
			}
		})
	}
	collectRefs("", tree, "", 0)
	for _, u := range c.units {
		seen := map[string]bool{}
		var dfs func(string)
		dfs = func(x string) {
			for _, y := range c.edges[x] {
				if !seen[y] {
					seen[y] = true
					dfs(y)
				}
			}
		}
		dfs(u)
		c.reach[u] = seen
	}
	return c
}

// eachSub calls f with every subschema of o and its pointer; defs is true
// for the members of $defs and definitions.
func eachSub(o *object, at string, f func(sub any, p string, defs bool)) {
	for _, k := range schemaKeywords {
		if s, ok := o.vals[k].(*object); ok {
			f(s, join(at, k), false)
		}
	}
	for _, k := range schemaLists {
		if a, ok := o.vals[k].([]any); ok {
			for i, s := range a {
				f(s, join(join(at, k), itoa(i)), false)
			}
		}
	}
	for _, k := range schemaMaps {
		if m, ok := o.vals[k].(*object); ok {
			for _, name := range m.keys {
				f(m.vals[name], join(join(at, k), name), k == "$defs" || k == "definitions")
			}
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// refTarget is the pointer a local reference names.
func refTarget(ref string) (string, bool) {
	if ref == "#" {
		return "", true
	}
	if !strings.HasPrefix(ref, "#/") {
		return "", false
	}
	// Normalise the escapes as a pointer: split and join again.
	p := ""
	for _, t := range splitPointer(ref[1:]) {
		p = join(p, t)
	}
	return p, true
}

// unitOf returns the unit holding pointer p.
func (c refCycles) unitOf(p string) string {
	for _, u := range c.units {
		if u == "" || p == u || strings.HasPrefix(p, u+"/") {
			return u
		}
	}
	return ""
}

// closes reports whether the reference ref, held in unit, closes a cycle:
// its target leads back to unit.
func (c refCycles) closes(unit, ref string) bool {
	t, ok := refTarget(ref)
	if !ok {
		return false
	}
	to := c.unitOf(t)
	return to == unit || c.reach[to][unit]
}

// recursive reports whether the document has any cycle.
func (c refCycles) recursive() bool {
	for _, u := range c.units {
		if c.reach[u][u] {
			return true
		}
	}
	return false
}

// through reports whether the subschema v, inside unit, holds a reference
// that closes a cycle without another property between: the property
// whose schema v is then holds the recursion.
func (c refCycles) through(unit string, v any) bool {
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		o, ok := v.(*object)
		if !ok || depth > MaxDepth {
			return false
		}
		if ref, ok := o.vals["$ref"].(string); ok && c.closes(unit, ref) {
			return true
		}
		found := false
		eachSub(o, "", func(sub any, p string, defs bool) {
			if found || defs || strings.HasPrefix(p, "/properties/") || strings.HasPrefix(p, "/patternProperties/") ||
				strings.HasPrefix(p, "/additionalProperties") || strings.HasPrefix(p, "/dependentSchemas/") {
				return
			}
			found = walk(sub, depth+1)
		})
		return found
	}
	return walk(v, 0)
}
