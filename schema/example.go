package schema

import (
	"encoding/json"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// exampleBudget bounds the subschemas one Example looks into: objects whose
// required fields share definitions would otherwise make the example grow
// with the product of their field counts.
const exampleBudget = 256

func example(sch *jsonschema.Schema, depth int, left *int) any {
	sch = deref(sch)
	if sch == nil || depth > 4 || *left <= 0 {
		return nil
	}
	*left--
	switch {
	case len(sch.Examples) > 0:
		return sch.Examples[0]
	case sch.Default != nil:
		return *sch.Default
	case sch.Const != nil:
		return *sch.Const
	case sch.Enum != nil && len(sch.Enum.Values) > 0:
		return sch.Enum.Values[0]
	}
	var types []string
	if sch.Types != nil {
		types = sch.Types.ToStrings()
	}
	for _, alt := range append(append([]*jsonschema.Schema{}, sch.AnyOf...), sch.OneOf...) {
		if v := example(alt, depth+1, left); v != nil {
			return v
		}
	}
	if len(types) == 0 && len(sch.Properties) > 0 {
		types = []string{"object"}
	}
	for _, t := range types {
		switch t {
		case "integer":
			return json.Number(exampleNumber(sch, "42"))
		case "number":
			return json.Number(exampleNumber(sch, "4.5"))
		case "boolean":
			return true
		case "string":
			if sch.Format != nil {
				switch sch.Format.Name {
				case "email":
					return "name@example.com"
				case "date":
					return "2024-01-31"
				case "date-time":
					return "2024-01-31T09:30:00Z"
				case "uri", "url":
					return "https://example.com"
				}
			}
			return "text"
		case "array":
			if item := example(sch.Items2020, depth+1, left); item != nil {
				return []any{item}
			}
			return []any{}
		case "object":
			obj := map[string]any{}
			names := make([]string, 0, len(sch.Required))
			names = append(names, sch.Required...)
			sort.Strings(names)
			for _, n := range names {
				if v := example(sch.Properties[n], depth+1, left); v != nil {
					obj[n] = v
				}
			}
			return obj
		}
	}
	return nil
}

// exampleNumber picks a number inside the schema's bounds when it has any.
func exampleNumber(sch *jsonschema.Schema, typical string) string {
	if sch.Minimum != nil {
		return ratString(sch.Minimum)
	}
	if sch.Maximum != nil {
		return ratString(sch.Maximum)
	}
	return typical
}

// Subset returns a schema for an object holding only the named top-level
// fields of s, all required, with the same definitions — what a patch
// re-ask asks for. Unknown names are an error.
func (s *Schema) Subset(fields []string) (*Schema, error) {
	root, ok := s.doc.(map[string]any)
	if !ok {
		return nil, ErrInvalid
	}
	props, _ := root["properties"].(map[string]any)
	sub := map[string]any{}
	req := make([]any, 0, len(fields))
	for _, f := range fields {
		p, ok := props[f]
		if !ok {
			return nil, &unknownFieldError{field: f}
		}
		sub[f] = p
		req = append(req, f)
	}
	// Keep only what the fields' schemas may refer to: definitions.
	doc := map[string]any{}
	for _, k := range []string{"$schema", "$defs", "definitions"} {
		if v, ok := root[k]; ok {
			doc[k] = v
		}
	}
	doc["type"] = "object"
	doc["properties"] = sub
	doc["required"] = req
	doc["additionalProperties"] = false
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return s.cfg.CompileNamed(s.name+"_patch", b)
}

type unknownFieldError struct{ field string }

func (e *unknownFieldError) Error() string { return "schema: no top-level field " + e.field }
