package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// at is At's compiled subschema, nil when the schema says nothing about p.
func (s *Schema) at(p string) *jsonschema.Schema {
	return at(s.root, SplitPointer(p), 0, map[atStep]bool{})
}

// atStep is one (schema, remaining path, depth) At has looked into. A
// subschema shared by alternatives ($defs reached by several $refs under
// allOf/anyOf/oneOf) is looked into once per step, which keeps At linear in
// the schema instead of exponential in how often alternatives share
// definitions.
type atStep struct {
	sch         *jsonschema.Schema
	left, depth int
}

// maxRefDepth bounds $ref chains when walking the schema.
const maxRefDepth = 64

func at(sch *jsonschema.Schema, tokens []string, depth int, seen map[atStep]bool) *jsonschema.Schema {
	if sch == nil || depth > maxRefDepth {
		return nil
	}
	sch = deref(sch)
	if len(tokens) == 0 {
		return sch
	}
	// A pair seen before found nothing: a find returns at once.
	step := atStep{sch, len(tokens), depth}
	if seen[step] {
		return nil
	}
	seen[step] = true
	t, rest := tokens[0], tokens[1:]
	if sub := child(sch, t); sub != nil {
		if r := at(sub, rest, depth+1, seen); r != nil {
			return r
		}
	}
	for _, group := range [][]*jsonschema.Schema{sch.AllOf, sch.AnyOf, sch.OneOf} {
		for _, alt := range group {
			if r := at(alt, tokens, depth+1, seen); r != nil {
				return r
			}
		}
	}
	return nil
}

// deref follows $ref chains (bounded) and returns the schema they lead to.
// A schema with a $ref and sibling keywords is returned as is.
func deref(sch *jsonschema.Schema) *jsonschema.Schema {
	for i := 0; sch != nil && sch.Ref != nil && i < maxRefDepth; i++ {
		if sch.Types != nil || sch.Properties != nil || sch.Enum != nil {
			break
		}
		sch = sch.Ref
	}
	return sch
}

// child returns the subschema for one step (a property name or an index).
func child(sch *jsonschema.Schema, token string) *jsonschema.Schema {
	if sub, ok := sch.Properties[token]; ok {
		return sub
	}
	for re, sub := range sch.PatternProperties {
		if re.MatchString(token) {
			return sub
		}
	}
	if sub, ok := sch.AdditionalProperties.(*jsonschema.Schema); ok && sch.Items2020 == nil {
		return sub
	}
	if i, err := strconv.Atoi(token); err == nil && i >= 0 {
		if i < len(sch.PrefixItems) {
			return sch.PrefixItems[i]
		}
		if sch.Items2020 != nil {
			return sch.Items2020
		}
		switch it := sch.Items.(type) {
		case *jsonschema.Schema:
			return it
		case []*jsonschema.Schema:
			if i < len(it) {
				return it[i]
			}
		}
	}
	return nil
}

func (s *Schema) describeAt(p string) string { return s.At(p).Describe() }

func (s *Schema) allowedFields(p string) []string { return s.At(p).Properties() }

// describeBudget bounds the subschemas one Describe looks into: alternatives
// that share definitions would otherwise make the description, and the time
// to write it, grow with the product of their counts.
const describeBudget = 64

func describe(sch *jsonschema.Schema, depth int, left *int) string {
	sch = deref(sch)
	if sch == nil || depth > 3 || *left <= 0 {
		return ""
	}
	*left--
	if sch.Enum != nil {
		return describeEnum(sch.Enum.Values)
	}
	if sch.Const != nil {
		return "exactly " + shorten(*sch.Const)
	}
	var alts []string
	if sch.Types != nil {
		nullable := false
		for _, t := range sch.Types.ToStrings() {
			if t == "null" {
				nullable = true
				continue
			}
			alts = append(alts, describeType(sch, t, depth, left))
		}
		if nullable {
			alts = append(alts, "null")
		}
	}
	for _, group := range [][]*jsonschema.Schema{sch.AnyOf, sch.OneOf} {
		for _, alt := range group {
			if d := describe(alt, depth+1, left); d != "" {
				alts = append(alts, d)
			}
		}
	}
	if len(alts) == 0 {
		for _, all := range sch.AllOf {
			if d := describe(all, depth+1, left); d != "" {
				return d
			}
		}
		if len(sch.Properties) > 0 {
			return describeType(sch, "object", depth, left)
		}
		return ""
	}
	return strings.Join(alts, " or ")
}

func describeType(sch *jsonschema.Schema, t string, depth int, left *int) string {
	switch t {
	case "integer", "number":
		return t + describeRange(sch)
	case "string":
		d := "string"
		var parts []string
		if sch.Format != nil {
			parts = append(parts, "format "+sch.Format.Name)
		}
		if sch.MinLength != nil && *sch.MinLength > 0 {
			parts = append(parts, fmt.Sprintf("at least %d characters", *sch.MinLength))
		}
		if sch.MaxLength != nil {
			parts = append(parts, fmt.Sprintf("at most %d characters", *sch.MaxLength))
		}
		if sch.Pattern != nil {
			parts = append(parts, "matching "+sch.Pattern.String())
		}
		if len(parts) > 0 {
			d += " (" + strings.Join(parts, ", ") + ")"
		}
		return d
	case "array":
		d := "array"
		if item := sch.Items2020; item != nil {
			if in := describe(item, depth+1, left); in != "" {
				d += " of " + in
			}
		}
		if sch.MinItems != nil && *sch.MinItems > 0 {
			d += fmt.Sprintf(" (at least %d items)", *sch.MinItems)
		}
		return d
	case "object":
		if len(sch.Properties) == 0 {
			return "object"
		}
		names := make([]string, 0, len(sch.Properties))
		for n := range sch.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		return "object with fields " + strings.Join(names, ", ")
	default:
		return t
	}
}

func describeRange(sch *jsonschema.Schema) string {
	var parts []string
	if sch.Minimum != nil {
		parts = append(parts, ">= "+ratString(sch.Minimum))
	}
	if sch.ExclusiveMinimum != nil {
		parts = append(parts, "> "+ratString(sch.ExclusiveMinimum))
	}
	if sch.Maximum != nil {
		parts = append(parts, "<= "+ratString(sch.Maximum))
	}
	if sch.ExclusiveMaximum != nil {
		parts = append(parts, "< "+ratString(sch.ExclusiveMaximum))
	}
	if sch.MultipleOf != nil {
		parts = append(parts, "multiple of "+ratString(sch.MultipleOf))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " and ")
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func describeEnum(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = shorten(v)
	}
	if len(parts) == 1 {
		return "exactly " + parts[0]
	}
	return "one of " + strings.Join(parts, ", ")
}

// Fragment returns the part of the schema document that governs the value at
// JSON Pointer p, as compact JSON, or nil. Sharper feedback quotes it.
func (s *Schema) Fragment(p string) json.RawMessage {
	sch := s.at(p)
	if sch == nil {
		return nil
	}
	_, frag, _ := strings.Cut(sch.Location, "#")
	v, ok := Lookup(s.doc, frag)
	if !ok {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// Strict reports whether the schema meets the rules of OpenAI's strict
// structured outputs: every object lists all its properties as required and
// forbids additional properties. Providers send strict: true only then.
func (s *Schema) Strict() bool {
	return strict(s.root, map[*jsonschema.Schema]bool{})
}

func strict(sch *jsonschema.Schema, seen map[*jsonschema.Schema]bool) bool {
	if sch == nil || seen[sch] {
		return true
	}
	seen[sch] = true
	if sch.Ref != nil && !strict(sch.Ref, seen) {
		return false
	}
	isObject := len(sch.Properties) > 0 || (sch.Types != nil && contains(sch.Types.ToStrings(), "object"))
	if isObject {
		if ap, ok := sch.AdditionalProperties.(bool); !ok || ap {
			return false
		}
		req := map[string]bool{}
		for _, r := range sch.Required {
			req[r] = true
		}
		for name, sub := range sch.Properties {
			if !req[name] || !strict(sub, seen) {
				return false
			}
		}
	}
	if sch.Items2020 != nil && !strict(sch.Items2020, seen) {
		return false
	}
	for _, group := range [][]*jsonschema.Schema{sch.AnyOf, sch.AllOf, sch.OneOf} {
		for _, alt := range group {
			if !strict(alt, seen) {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
