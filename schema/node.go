package schema

import (
	"errors"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Node is one subschema of a compiled Schema, for code that walks a value
// and its schema together (repair's coercion, feedback's examples). It
// keeps the validator behind the package's own API, so that another
// implementation can stand behind it. The zero Node is no schema: it
// accepts everything and says nothing. Nodes are immutable and safe for
// concurrent use.
type Node struct{ s *jsonschema.Schema }

// Root returns the schema's root, as compiled ($ref not followed).
func (s *Schema) Root() Node {
	if s == nil {
		return Node{}
	}
	return Node{s.root}
}

// At returns the subschema that governs the value at JSON Pointer p, $ref
// followed, or the zero Node when the schema says nothing about it. It
// follows properties, patternProperties, additionalProperties, prefixItems
// and items, and looks into allOf/anyOf/oneOf alternatives for the first
// that knows the path.
func (s *Schema) At(p string) Node {
	if s == nil {
		return Node{}
	}
	return Node{s.at(p)}
}

// IsZero reports whether n is no schema.
func (n Node) IsZero() bool { return n.s == nil }

// Deref follows a chain of $ref (bounded) to the schema it leads to. A
// schema with a $ref beside other keywords is returned as is: both apply
// (see Ref).
func (n Node) Deref() Node { return Node{deref(n.s)} }

// Ref returns the schema a $ref points to, the zero Node without one.
func (n Node) Ref() Node {
	if n.s == nil {
		return Node{}
	}
	return Node{n.s.Ref}
}

// AllOf, AnyOf and OneOf return the alternatives of those keywords; nil
// when there are none.
func (n Node) AllOf() []Node {
	if n.s == nil {
		return nil
	}
	return nodes(n.s.AllOf)
}

// AnyOf: see AllOf.
func (n Node) AnyOf() []Node {
	if n.s == nil {
		return nil
	}
	return nodes(n.s.AnyOf)
}

// OneOf: see AllOf.
func (n Node) OneOf() []Node {
	if n.s == nil {
		return nil
	}
	return nodes(n.s.OneOf)
}

func nodes(ss []*jsonschema.Schema) []Node {
	if len(ss) == 0 {
		return nil
	}
	out := make([]Node, len(ss))
	for i, s := range ss {
		out[i] = Node{s}
	}
	return out
}

// Types lists the JSON types the "type" keyword allows ("integer",
// "string", …), nil when it does not say.
func (n Node) Types() []string {
	if n.s == nil || n.s.Types == nil || n.s.Types.IsEmpty() {
		return nil
	}
	return n.s.Types.ToStrings()
}

// Enum returns the values "enum" or "const" allows, nil when neither is
// set. The caller must not modify them.
func (n Node) Enum() []any {
	switch {
	case n.s == nil:
		return nil
	case n.s.Enum != nil:
		return n.s.Enum.Values
	case n.s.Const != nil:
		return []any{*n.s.Const}
	}
	return nil
}

// Properties returns the names of the properties the schema declares,
// sorted.
func (n Node) Properties() []string {
	if n.s == nil || len(n.s.Properties) == 0 {
		return nil
	}
	names := make([]string, 0, len(n.s.Properties))
	for name := range n.s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Required returns the properties the schema requires. The caller must not
// modify them.
func (n Node) Required() []string {
	if n.s == nil {
		return nil
	}
	return n.s.Required
}

// Property returns the schema of an object's property name — from
// properties, patternProperties or additionalProperties — and whether
// additionalProperties: false forbids it. Both are zero when the schema
// says nothing of it.
func (n Node) Property(name string) (sub Node, forbidden bool) {
	if n.s == nil {
		return Node{}, false
	}
	if sub, ok := n.s.Properties[name]; ok {
		return Node{sub}, false
	}
	for re, sub := range n.s.PatternProperties {
		if re.MatchString(name) {
			return Node{sub}, false
		}
	}
	switch ap := n.s.AdditionalProperties.(type) {
	case bool:
		return Node{}, !ap
	case *jsonschema.Schema:
		return Node{ap}, false
	}
	return Node{}, false
}

// Item returns the schema of an array's element i, from prefixItems,
// items or additionalItems; the zero Node when the schema says nothing of
// it.
func (n Node) Item(i int) Node {
	if n.s == nil || i < 0 {
		return Node{}
	}
	s := n.s
	if i < len(s.PrefixItems) {
		return Node{s.PrefixItems[i]}
	}
	if s.Items2020 != nil {
		return Node{s.Items2020}
	}
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		return Node{it}
	case []*jsonschema.Schema:
		if i < len(it) {
			return Node{it[i]}
		}
		if ai, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
			return Node{ai}
		}
	}
	return Node{}
}

// Accepts reports whether v, a decoded JSON value, is valid against n.
func (n Node) Accepts(v any) bool { return n.s == nil || n.s.Validate(v) == nil }

// Failures validates v against n and returns the places that failed: the
// JSON Pointer, relative to v, of every error and of every cause under it,
// with each pointer's prefixes. It returns nil when v is valid.
func (n Node) Failures(v any) map[string]bool {
	if n.s == nil {
		return nil
	}
	err := n.s.Validate(v)
	if err == nil {
		return nil
	}
	failed := map[string]bool{"": true}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		markFailed(ve, failed)
	}
	return failed
}

func markFailed(e *jsonschema.ValidationError, failed map[string]bool) {
	p := ""
	for _, t := range e.InstanceLocation {
		p = JoinPointer(p, t)
		failed[p] = true
	}
	for _, cause := range e.Causes {
		markFailed(cause, failed)
	}
}

// Describe says in a few words what n accepts: "integer",
// `one of "a", "b"`, "number between 1 and 5", "array of string",
// "object with fields a, b". It returns "" for the zero Node or an empty
// schema.
func (n Node) Describe() string {
	left := describeBudget
	return describe(n.s, 0, &left)
}

// Example returns a value valid against the simplest reading of n, for
// feedback that shows a model what a field should look like: the schema's
// own examples, default, const or first enum value when it has them, else a
// typical value of its type (42, 4.5, "text", true, …). It returns nil when
// it cannot tell.
func (n Node) Example() any {
	left := exampleBudget
	return example(n.s, 0, &left)
}
