package schema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Defaults for zero Limits fields. They are about OpenAI's own limits for
// strict structured outputs (5,000 properties, 10 levels of nesting), and
// the worst document within them compiles in under half a second on one
// core (BenchmarkCompileAtLimits).
const (
	DefaultMaxBytes      = 1 << 20
	DefaultMaxDepth      = 32
	DefaultMaxSubschemas = 5_000
)

// Limits bound the schema documents Compile accepts. The document is
// measured before it is compiled, because compiling costs more than linear
// time in its depth and subschema count (in the validator the package
// wraps), and the compiled schema is measured again before it is returned,
// because validation costs as much as the subschemas a value can reach
// through $ref, allOf, anyOf and oneOf. A zero field means its default; a
// negative one, no limit. The JSON names are those of the gateway's
// configuration file and of the errors.
type Limits struct {
	// MaxBytes bounds the document's size in bytes, surrounding white space
	// excluded. Default DefaultMaxBytes (1 MiB).
	MaxBytes int `json:"max_bytes,omitempty"`
	// MaxDepth bounds how deeply objects and arrays nest in the document;
	// the document itself is level 1. A level of nested properties takes
	// two ({"properties": {"a": …}}), a level of items one. Default
	// DefaultMaxDepth (32).
	MaxDepth int `json:"max_depth,omitempty"`
	// MaxSubschemas bounds both the subschemas of the document — every
	// schema object or boolean, and every other object outside the maps of
	// named subschemas (properties, $defs, …), since a $ref can make any of
	// them a schema — and the subschemas that validating one value visits
	// in one place, $ref, allOf, anyOf, oneOf, not and if/then/else
	// followed (a definition used twice counts twice). Default
	// DefaultMaxSubschemas (5,000).
	MaxSubschemas int `json:"max_subschemas,omitempty"`
}

// Names of the limits, as LimitError.Limit spells them.
const (
	LimitMaxBytes      = "max_bytes"
	LimitMaxDepth      = "max_depth"
	LimitMaxSubschemas = "max_subschemas"
)

// ErrLimit is matched by the error Compile returns for a document beyond
// its Limits. Such an error matches ErrInvalid too.
var ErrLimit = errors.New("schema limit exceeded")

// LimitError says which limit a document exceeds, and where.
type LimitError struct {
	// Limit is the limit's name: LimitMaxBytes, LimitMaxDepth or
	// LimitMaxSubschemas.
	Limit string
	// Max is the limit's value.
	Max int
	// At is a JSON Pointer into the document where the limit was passed;
	// "" for the document as a whole.
	At string
	// Problem says what passed the limit.
	Problem string
}

// maxShownPointer bounds the pointer an error repeats: a pointer past a
// depth limit is long by nature.
const maxShownPointer = 200

func (e *LimitError) Error() string {
	msg := fmt.Sprintf("schema: %v: %s (limit %s = %d)", ErrInvalid, e.Problem, e.Limit, e.Max)
	if e.At != "" {
		msg += " at " + Shorten(e.At, maxShownPointer)
	}
	return msg
}

// Is makes errors.Is match ErrLimit and ErrInvalid.
func (e *LimitError) Is(target error) bool { return target == ErrLimit || target == ErrInvalid }

// withDefaults returns l with its zero fields set.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxSubschemas == 0 {
		l.MaxSubschemas = DefaultMaxSubschemas
	}
	return l
}

// checkBytes refuses a document larger than MaxBytes.
func (l Limits) checkBytes(n int) error {
	if l.MaxBytes > 0 && n > l.MaxBytes {
		return &LimitError{Limit: LimitMaxBytes, Max: l.MaxBytes,
			Problem: fmt.Sprintf("the document has %d bytes", n)}
	}
	return nil
}

// Keywords whose value is one subschema, an array of subschemas, or an
// object whose member values are subschemas, in every draft the compiler
// reads. The value of any other member is data or unknown.
var (
	schemaKeywords = map[string]bool{
		"additionalProperties": true, "propertyNames": true, "contains": true,
		"additionalItems": true, "unevaluatedItems": true, "unevaluatedProperties": true,
		"not": true, "if": true, "then": true, "else": true, "contentSchema": true,
		"items": true, // a schema, or an array of them before 2020-12
	}
	schemaArrayKeywords = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true, "prefixItems": true}
	schemaMapKeywords   = map[string]bool{
		"properties": true, "patternProperties": true, "$defs": true, "definitions": true,
		"dependentSchemas": true, "dependencies": true,
	}
)

// measurer walks a decoded document, counting subschemas and depth against
// the limits; path is the pointer to the value being walked.
type measurer struct {
	limits     Limits
	subschemas int
	path       []string
}

// walk visits v, a schema when inSchema (a value a keyword of a schema
// holds as a subschema), data otherwise, at nesting level depth.
func (m *measurer) walk(v any, inSchema bool, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		if err := m.enter(depth); err != nil {
			return err
		}
		for k, sub := range x {
			m.path = append(m.path, k)
			var err error
			switch {
			case !inSchema:
				err = m.walk(sub, false, depth+1)
			case schemaKeywords[k]:
				err = m.walk(sub, true, depth+1)
			case schemaArrayKeywords[k]:
				err = m.walk(sub, true, depth+1)
			case schemaMapKeywords[k]:
				err = m.named(sub, depth+1)
			default:
				err = m.walk(sub, false, depth+1)
			}
			m.path = m.path[:len(m.path)-1]
			if err != nil {
				return err
			}
		}
	case []any:
		if err := m.deep(depth); err != nil {
			return err
		}
		for i, sub := range x {
			m.path = append(m.path, strconv.Itoa(i))
			err := m.walk(sub, inSchema, depth+1)
			m.path = m.path[:len(m.path)-1]
			if err != nil {
				return err
			}
		}
	case bool:
		if inSchema {
			return m.enter(depth)
		}
	}
	return nil
}

// named walks a map of named subschemas (the value of "properties",
// "$defs", …); the map itself is no subschema.
func (m *measurer) named(v any, depth int) error {
	x, ok := v.(map[string]any)
	if !ok {
		return m.walk(v, false, depth)
	}
	if err := m.deep(depth); err != nil {
		return err
	}
	for k, sub := range x {
		m.path = append(m.path, k)
		_, isArray := sub.([]any) // dependencies: an array of names
		err := m.walk(sub, !isArray, depth+1)
		m.path = m.path[:len(m.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// enter counts one subschema at level depth.
func (m *measurer) enter(depth int) error {
	if err := m.deep(depth); err != nil {
		return err
	}
	m.subschemas++
	if max := m.limits.MaxSubschemas; max > 0 && m.subschemas > max {
		return &LimitError{Limit: LimitMaxSubschemas, Max: max, At: pointer(m.path),
			Problem: fmt.Sprintf("the document holds more than %d subschemas", max)}
	}
	return nil
}

func (m *measurer) deep(depth int) error {
	if max := m.limits.MaxDepth; max > 0 && depth > max {
		return &LimitError{Limit: LimitMaxDepth, Max: max, At: pointer(m.path),
			Problem: fmt.Sprintf("objects and arrays nest deeper than %d levels", max)}
	}
	return nil
}

// ErrRefCycle is matched by the error Compile returns for a schema that
// refers to itself, through $ref and allOf only, without a keyword that
// steps into the value (properties, items, …) in between: every value that
// reaches it fails validation, whatever it is. Such an error matches
// ErrInvalid too.
var ErrRefCycle = errors.New("reference cycle")

// graph checks a compiled schema: no reference cycle, and no place where
// validation visits more than MaxSubschemas subschemas.
type graph struct {
	max int
	// weight is the subschemas validation visits at one place from a
	// schema, capped at max+1; -1 while the schema is being weighed.
	weight map[*jsonschema.Schema]int
	// state marks schemas during the cycle search: 1 on the path, 2 done.
	state map[*jsonschema.Schema]int8
	path  []*jsonschema.Schema
}

// checkGraph refuses reference cycles and schemas whose validation would
// visit more than l.MaxSubschemas subschemas at one place.
func (l Limits) checkGraph(root *jsonschema.Schema) error {
	g := &graph{max: l.MaxSubschemas, weight: map[*jsonschema.Schema]int{}, state: map[*jsonschema.Schema]int8{}}
	var err error
	visit(root, func(s *jsonschema.Schema) bool {
		if err == nil {
			err = g.cycle(s)
		}
		if err == nil && g.max > 0 && g.weigh(s) > g.max {
			err = &LimitError{Limit: LimitMaxSubschemas, Max: g.max, At: location(s),
				Problem: fmt.Sprintf("validating one value here visits more than %d subschemas once $ref, allOf, anyOf and oneOf are followed", g.max)}
		}
		return err == nil
	})
	return err
}

// cycle looks for a cycle of $ref and allOf edges through s.
func (g *graph) cycle(s *jsonschema.Schema) error {
	switch g.state[s] {
	case 2:
		return nil
	case 1:
		i := len(g.path) - 1
		for i > 0 && g.path[i] != s {
			i--
		}
		locs := make([]string, 0, len(g.path)-i+1)
		for _, p := range g.path[i:] {
			locs = append(locs, displayPath(location(p)))
		}
		locs = append(locs, displayPath(location(s)))
		return fmt.Errorf("schema: %w: %w: %s refer to one another through $ref and allOf only, so no value can ever be valid there",
			ErrInvalid, ErrRefCycle, strings.Join(locs, " → "))
	}
	g.state[s] = 1
	g.path = append(g.path, s)
	next := s.AllOf
	if s.Ref != nil {
		next = append([]*jsonschema.Schema{s.Ref}, next...)
	}
	for _, n := range next {
		if err := g.cycle(n); err != nil {
			return err
		}
	}
	g.path = g.path[:len(g.path)-1]
	g.state[s] = 2
	return nil
}

// weigh returns how many subschemas validation visits at one place from s,
// capped at max+1. An edge back to a schema being weighed adds nothing: the
// validator stops there.
func (g *graph) weigh(s *jsonschema.Schema) int {
	if w, ok := g.weight[s]; ok {
		return max(w, 0)
	}
	g.weight[s] = -1
	w := 1
	inPlace(s, func(c *jsonschema.Schema) {
		if w <= g.max {
			w += g.weigh(c)
		}
	})
	w = min(w, g.max+1)
	g.weight[s] = w
	return w
}

// inPlace calls f with each subschema of s that applies to the same value
// as s.
func inPlace(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	for _, c := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.Not, s.If, s.Then, s.Else} {
		if c != nil {
			f(c)
		}
	}
	if s.DynamicRef != nil && s.DynamicRef.Ref != nil {
		f(s.DynamicRef.Ref)
	}
	for _, group := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for _, c := range group {
			f(c)
		}
	}
	for _, c := range s.DependentSchemas {
		f(c)
	}
	for _, d := range s.Dependencies {
		if c, ok := d.(*jsonschema.Schema); ok {
			f(c)
		}
	}
}

// stepping calls f with each subschema of s that applies to a part of the
// value (a property, an item, a property name, decoded content).
func stepping(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	for _, c := range []*jsonschema.Schema{s.PropertyNames, s.UnevaluatedProperties, s.Contains,
		s.Items2020, s.UnevaluatedItems, s.ContentSchema} {
		if c != nil {
			f(c)
		}
	}
	for _, c := range s.Properties {
		f(c)
	}
	for _, c := range s.PatternProperties {
		f(c)
	}
	for _, c := range s.PrefixItems {
		f(c)
	}
	for _, v := range []any{s.AdditionalProperties, s.AdditionalItems, s.Items} {
		switch x := v.(type) {
		case *jsonschema.Schema:
			f(x)
		case []*jsonschema.Schema:
			for _, c := range x {
				f(c)
			}
		}
	}
}

// visit calls f once with every schema reachable from root, until f
// returns false.
func visit(root *jsonschema.Schema, f func(*jsonschema.Schema) bool) {
	seen := map[*jsonschema.Schema]bool{}
	stack := []*jsonschema.Schema{root}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == nil || seen[s] {
			continue
		}
		seen[s] = true
		if !f(s) {
			return
		}
		push := func(c *jsonschema.Schema) {
			if !seen[c] {
				stack = append(stack, c)
			}
		}
		inPlace(s, push)
		stepping(s, push)
	}
}

// location is the JSON Pointer of a compiled schema inside the document.
func location(s *jsonschema.Schema) string {
	_, frag, _ := strings.Cut(s.Location, "#")
	return frag
}
