package schema_test

import (
	"slices"
	"testing"

	"github.com/reask/reask/schema"
)

// A Node answers what a walk over a value needs — types, enum, the schema
// of a property or an element, alternatives, $ref — without the
// validator's types; the zero Node says nothing and accepts everything.
func TestNodeWalksTheSchema(t *testing.T) {
	s := schema.MustCompile(`{
		"$defs": {"level": {"enum": ["low", "high"]}},
		"type": "object",
		"properties": {
			"name": {"type": "string"},
			"level": {"$ref": "#/$defs/level"},
			"tags": {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
			"kind": {"const": "x"},
			"n": {"anyOf": [{"type": "null"}, {"type": "number"}]}
		},
		"patternProperties": {"^x-": {"type": "boolean"}},
		"additionalProperties": false,
		"required": ["name"]
	}`)
	root := s.Root()
	if root.IsZero() || !slices.Equal(root.Types(), []string{"object"}) || !slices.Equal(root.Required(), []string{"name"}) {
		t.Fatalf("root: zero %v, types %v, required %v", root.IsZero(), root.Types(), root.Required())
	}
	if got := root.Properties(); !slices.Equal(got, []string{"kind", "level", "n", "name", "tags"}) {
		t.Errorf("properties %v", got)
	}
	if sub, forbidden := root.Property("name"); forbidden || !slices.Equal(sub.Types(), []string{"string"}) {
		t.Errorf("name: %v %v", sub.Types(), forbidden)
	}
	if sub, forbidden := root.Property("x-flag"); forbidden || !slices.Equal(sub.Types(), []string{"boolean"}) {
		t.Errorf("x-flag (pattern): %v %v", sub.Types(), forbidden)
	}
	if sub, forbidden := root.Property("other"); !forbidden || !sub.IsZero() {
		t.Errorf("other: forbidden %v, zero %v", forbidden, sub.IsZero())
	}
	level, _ := root.Property("level")
	if !slices.Equal(level.Deref().Enum(), []any{"low", "high"}) || level.Deref().Describe() != `one of "low", "high"` {
		t.Errorf("level: enum %v, %q", level.Deref().Enum(), level.Deref().Describe())
	}
	if kind, _ := root.Property("kind"); !slices.Equal(kind.Enum(), []any{"x"}) {
		t.Errorf("const as enum: %v", kind.Enum())
	}
	tags, _ := root.Property("tags")
	if !slices.Equal(tags.Item(0).Types(), []string{"integer"}) || !slices.Equal(tags.Item(5).Types(), []string{"string"}) || !tags.Item(-1).IsZero() {
		t.Errorf("items: %v %v", tags.Item(0).Types(), tags.Item(5).Types())
	}
	n, _ := root.Property("n")
	if alts := n.AnyOf(); len(alts) != 2 || n.OneOf() != nil || n.AllOf() != nil {
		t.Errorf("alternatives %d", len(alts))
	}
	if !s.At("/level").Accepts("low") || s.At("/level").Accepts("mid") {
		t.Error("At(/level) follows the $ref")
	}

	valid := map[string]any{"name": "a", "tags": []any{1.0, "b"}}
	if !root.Accepts(valid) || root.Failures(valid) != nil {
		t.Errorf("valid value: accepts %v, failures %v", root.Accepts(valid), root.Failures(valid))
	}
	bad := map[string]any{"name": "a", "tags": []any{1.0, 2.0}}
	if f := root.Failures(bad); !f[""] || !f["/tags"] || !f["/tags/1"] || f["/name"] {
		t.Errorf("failures %v, want the root, /tags and /tags/1", f)
	}

	var zero schema.Node
	if !zero.IsZero() || !zero.Accepts(42) || zero.Failures(42) != nil || zero.Types() != nil || zero.Describe() != "" || zero.Example() != nil || !zero.Deref().IsZero() {
		t.Error("the zero Node says something")
	}
	if sub, forbidden := zero.Property("a"); !sub.IsZero() || forbidden || !zero.Item(0).IsZero() || !zero.Ref().IsZero() {
		t.Error("the zero Node has children")
	}
	var none *schema.Schema
	if !none.Root().IsZero() || !none.At("/a").IsZero() {
		t.Error("a nil *Schema has nodes")
	}
}
