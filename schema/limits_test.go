package schema_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/reask/reask/schema"
)

// nestedItems is n arrays of arrays around a string schema.
func nestedItems(n int) string {
	return strings.Repeat(`{"type":"array","items":`, n) + `{"type":"string"}` + strings.Repeat("}", n)
}

// nestedProperties is n objects each holding the next as property "a".
func nestedProperties(n int) string {
	return strings.Repeat(`{"type":"object","properties":{"a":`, n) + `{"type":"string"}` + strings.Repeat("}}", n)
}

// flatProperties is one object with n string properties.
func flatProperties(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d":{"type":"string"}`, i)
	}
	b.WriteString(`}}`)
	return b.String()
}

// sharedLevels is a chain of definitions, each an anyOf of two references
// to the next: 2^n paths through n+1 subschemas.
func sharedLevels(n int) string {
	var b strings.Builder
	b.WriteString(`{"$ref":"#/$defs/d0","$defs":{`)
	for i := range n {
		fmt.Fprintf(&b, `"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]},`, i, i+1, i+1)
	}
	fmt.Fprintf(&b, `"d%d":{"type":"string"}}}`, n)
	return b.String()
}

// The shapes of the report (issue 12, item 2): each took seconds to minutes
// and gigabytes to compile; now each is refused before compilation, by the
// limit it passes.
func TestCompileRefusesReportedShapes(t *testing.T) {
	tests := []struct {
		name, doc, limit string
	}{
		{"50 KB of nested items", nestedItems(2000), schema.LimitMaxDepth},
		{"100 KB of nested items", nestedItems(4000), schema.LimitMaxDepth},
		{"1,000 nested properties", nestedProperties(1000), schema.LimitMaxDepth},
		{"20k properties", flatProperties(20_000), schema.LimitMaxSubschemas},
		{"2^40 paths through shared definitions", sharedLevels(40), schema.LimitMaxSubschemas},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.Compile([]byte(tt.doc))
			var le *schema.LimitError
			if !errors.As(err, &le) {
				t.Fatalf("Compile: %v, want a *LimitError", err)
			}
			if le.Limit != tt.limit {
				t.Errorf("limit %s, want %s (%v)", le.Limit, tt.limit, err)
			}
			if !errors.Is(err, schema.ErrLimit) || !errors.Is(err, schema.ErrInvalid) {
				t.Errorf("%v matches neither ErrLimit nor ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.limit) {
				t.Errorf("%q does not name the limit", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name   string
		limits schema.Limits
		doc    string
		limit  string // "" when the document compiles
	}{
		{"default depth admits 15 levels of objects", schema.Limits{}, nestedProperties(15), ""},
		{"default depth refuses 16", schema.Limits{}, nestedProperties(16), schema.LimitMaxDepth},
		{"depth raised", schema.Limits{MaxDepth: 40}, nestedProperties(19), ""},
		{"depth off", schema.Limits{MaxDepth: -1}, nestedItems(300), ""},
		{"depth lowered", schema.Limits{MaxDepth: 3}, nestedItems(3), schema.LimitMaxDepth},
		{"bytes", schema.Limits{MaxBytes: 100}, flatProperties(10), schema.LimitMaxBytes},
		{"bytes raised", schema.Limits{MaxBytes: 2 << 20}, flatProperties(4000), ""},
		{"bytes exact", schema.Limits{MaxBytes: len(flatProperties(2))}, flatProperties(2), ""},
		{"subschemas exact: object and its properties", schema.Limits{MaxSubschemas: 4}, flatProperties(3), ""},
		{"subschemas one over", schema.Limits{MaxSubschemas: 3}, flatProperties(3), schema.LimitMaxSubschemas},
		{"subschemas off", schema.Limits{MaxSubschemas: -1}, flatProperties(6000), ""},
		{"shared definitions within the limit", schema.Limits{}, sharedLevels(8), ""},
		{"shared definitions over a lowered limit", schema.Limits{MaxSubschemas: 100}, sharedLevels(8), schema.LimitMaxSubschemas},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.Config{Limits: tt.limits}.Compile([]byte(tt.doc))
			var le *schema.LimitError
			switch {
			case tt.limit == "" && err != nil:
				t.Fatalf("Compile: %v", err)
			case tt.limit != "" && !errors.As(err, &le):
				t.Fatalf("Compile: %v, want a *LimitError for %s", err, tt.limit)
			case tt.limit != "" && le.Limit != tt.limit:
				t.Fatalf("limit %s, want %s", le.Limit, tt.limit)
			}
		})
	}
}

// What counts as a subschema: schemas, booleans in schema places and
// objects in data (a $ref can point there), not the maps of named
// subschemas. Each document holds exactly n: it compiles with
// MaxSubschemas n and not n-1.
func TestSubschemaCount(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		n    int
	}{
		{"root only", `{"type":"string"}`, 1},
		{"properties map not counted", `{"properties":{"a":{},"b":true}}`, 3},
		{"$defs and items", `{"$defs":{"x":{"type":"integer"}},"items":{"$ref":"#/$defs/x"}}`, 3},
		{"anyOf array", `{"anyOf":[{"type":"string"},{"type":"null"}]}`, 3},
		{"objects in data count", `{"enum":[{"a":1},{"b":{"c":2}}]}`, 4},
		{"objects under unknown keywords count", `{"x-extra":{"properties":{"a":{}}},"$ref":"#/x-extra"}`, 4},
		{"dependencies: arrays of names are no schemas", `{"dependencies":{"a":["b"],"c":{"required":["d"]}}}`, 2},
		{"booleans in data do not count", `{"const":true,"default":false}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := (schema.Config{Limits: schema.Limits{MaxSubschemas: tt.n}}).Compile([]byte(tt.doc)); err != nil {
				t.Errorf("with MaxSubschemas %d: %v", tt.n, err)
			}
			_, err := schema.Config{Limits: schema.Limits{MaxSubschemas: tt.n - 1}}.Compile([]byte(tt.doc))
			if tt.n > 1 && !errors.Is(err, schema.ErrLimit) {
				t.Errorf("with MaxSubschemas %d: %v, want ErrLimit", tt.n-1, err)
			}
		})
	}
}

func TestLimitErrorSaysWhere(t *testing.T) {
	_, err := schema.Config{Limits: schema.Limits{MaxDepth: 4}}.Compile([]byte(nestedProperties(3)))
	var le *schema.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("Compile: %v", err)
	}
	if le.At != "/properties/a/properties/a" || le.Max != 4 {
		t.Errorf("At %q, Max %d; want /properties/a/properties/a, 4", le.At, le.Max)
	}
	want := "schema: invalid JSON Schema: objects and arrays nest deeper than 4 levels (limit max_depth = 4) at /properties/a/properties/a"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

// A $ref cycle that never reaches a constraint (issue 12, item 6) is refused
// at compile time; recursion through properties or items is a tree and
// compiles.
func TestRefCycles(t *testing.T) {
	refused := []struct{ name, doc string }{
		{"the report's", `{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`},
		{"to itself", `{"type":"object","$ref":"#"}`},
		{"through allOf", `{"$defs":{"a":{"allOf":[{"type":"object"},{"$ref":"#/$defs/a"}]}},"properties":{"x":{"$ref":"#/$defs/a"}}}`},
		{"under a property", `{"properties":{"x":{"$defs":{"a":{"$ref":"#/properties/x/$defs/a"}},"$ref":"#/properties/x/$defs/a"}}}`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.Compile([]byte(tt.doc))
			if !errors.Is(err, schema.ErrRefCycle) || !errors.Is(err, schema.ErrInvalid) {
				t.Fatalf("Compile: %v, want ErrRefCycle", err)
			}
		})
	}
	_, err := schema.Compile([]byte(refused[0].doc))
	if want := "/$defs/a → /$defs/b → /$defs/a"; !strings.Contains(err.Error(), want) {
		t.Errorf("%q does not show the cycle %s", err, want)
	}

	kept := []struct{ name, doc, valid string }{
		{"tree through items", `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]}`,
			`{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}`},
		{"linked list through $defs", `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}}}`,
			`{"next":{"next":{}}}`},
		{"anyOf with itself is a choice, not a cycle", `{"anyOf":[{"$ref":"#"},{"type":"string"}]}`, `"x"`},
	}
	for _, tt := range kept {
		t.Run(tt.name, func(t *testing.T) {
			s, err := schema.Compile([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if vs := s.Validate(decode(t, tt.valid)); vs != nil {
				t.Errorf("Validate(%s): %v", tt.valid, vs)
			}
		})
	}
}

// At, Describe and Example on definitions shared by many alternatives do
// bounded work: 2^40 paths lead to the leaf, and each walk looks at each
// definition a bounded number of times. Before, At took time exponential in
// the levels (0.06 s at 18, days at 40), and this test did not finish.
func TestWalksOfSharedDefinitions(t *testing.T) {
	unlimited := schema.Config{Limits: schema.Limits{MaxSubschemas: -1}}
	s, err := unlimited.Compile([]byte(sharedLevels(40)))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.At("/no/such/path"); !got.IsZero() {
		t.Errorf("At found %s", got.Describe())
	}
	if got := s.At(""); got.IsZero() {
		t.Error("At(\"\") = nil")
	}
	if d := s.Root().Describe(); len(d) > 1000 {
		t.Errorf("Describe: %d bytes", len(d))
	}

	// Objects whose required fields share one definition: the example
	// would hold 50^4 values.
	var b strings.Builder
	b.WriteString(`{"$ref":"#/$defs/o0","$defs":{`)
	for i := range 4 {
		fmt.Fprintf(&b, `"o%d":{"type":"object","required":[`, i)
		for j := range 50 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"f%d"`, j)
		}
		b.WriteString(`],"properties":{`)
		for j := range 50 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"f%d":{"$ref":"#/$defs/o%d"}`, j, i+1)
		}
		b.WriteString(`}},`)
	}
	b.WriteString(`"o4":{"type":"string"}}}`)
	s, err = unlimited.Compile([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := countValues(s.Root().Example()); n > 1000 {
		t.Errorf("Example holds %d values", n)
	}
}

func countValues(v any) int {
	n := 1
	if m, ok := v.(map[string]any); ok {
		for _, x := range m {
			n += countValues(x)
		}
	}
	return n
}

// BenchmarkCompileAtLimits compiles the costliest shapes the default limits
// admit: 5,000 flat properties, and 4,985 properties under 14 levels of
// objects (depth 31).
func BenchmarkCompileAtLimits(b *testing.B) {
	docs := map[string]string{
		"flat":      flatProperties(4998),
		"deep+wide": strings.Repeat(`{"type":"object","properties":{"a":`, 14) + flatProperties(4985) + strings.Repeat("}}", 14),
	}
	for name, doc := range docs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := schema.Compile([]byte(doc)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
