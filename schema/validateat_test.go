package schema

import (
	"slices"
	"testing"
)

func TestValidateAt(t *testing.T) {
	s := MustCompile(`{
		"type": "object",
		"properties": {
			"people": {"type": "array", "items": {
				"type": "object",
				"required": ["name"],
				"properties": {"name": {"type": "string"}, "age": {"type": "integer"}}
			}}
		}
	}`)
	got := s.ValidateAt("/people/2", map[string]any{"age": "old"})
	var lines []string
	for _, v := range got {
		lines = append(lines, v.String())
	}
	want := []string{
		`/people/2/age: wrong type: got "old" (string); expected integer`,
		`/people/2/name: missing required field; expected string`,
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("got %q\nwant %q", lines, want)
	}
	if vs := s.ValidateAt("/people/0", map[string]any{"name": "Ann"}); vs != nil {
		t.Errorf("a valid element: %v", vs)
	}
	if vs := s.ValidateAt("/unknown", 3); vs != nil {
		t.Errorf("a path the schema says nothing of: %v", vs)
	}
}
