package extract

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSchema is matched by every error ParseSchema returns.
var ErrSchema = errors.New("unusable JSON Schema")

// Schema is the part of a JSON Schema a model needs to write an answer:
// types, properties in their order, required names, items, enums and a
// few hints. References are resolved: a Schema is a graph, possibly
// cyclic, never a $ref.
type Schema struct {
	// Type is "object", "array", "string", "integer", "number",
	// "boolean", "null" or "" when the schema does not say.
	Type string
	// Nullable is true when null is allowed besides Type.
	Nullable bool
	// Properties are the object's members, in the schema's order.
	Properties []*Property
	// Items is the schema of an array's elements.
	Items *Schema
	// Enum lists the allowed values (strings, Numbers, bools, nil).
	Enum []any
	// Format is the string format ("date", "date-time", "email", ...).
	Format string
	// Title and Description are hints about what the value is.
	Title, Description string
	// Minimum and Maximum bound numbers when Has* is set.
	Minimum, Maximum       float64
	HasMinimum, HasMaximum bool
	// AdditionalProperties is false when the schema forbids extra members.
	AdditionalProperties bool
	// Default is the schema's default value, when HasDefault.
	Default    any
	HasDefault bool
}

// Property is one member of an object schema.
type Property struct {
	Name     string
	Required bool
	Schema   *Schema
}

// Property returns the property called name, or nil.
func (s *Schema) Property(name string) *Property {
	for _, p := range s.Properties {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ParseSchema reads a JSON Schema document. Local references ("#",
// "#/$defs/X", "#/definitions/X" or any JSON Pointer into the document)
// are resolved; anyOf and oneOf collapse to their first non-null branch,
// with Nullable set when a null branch is present; allOf merges.
func ParseSchema(data []byte) (*Schema, error) {
	v, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	return SchemaOf(v)
}

// SchemaOf builds a Schema from a parsed JSON Schema document.
func SchemaOf(doc any) (*Schema, error) {
	root, ok := doc.(*Object)
	if !ok {
		if b, isBool := doc.(bool); isBool && b {
			return &Schema{}, nil
		}
		return nil, fmt.Errorf("%w: the schema must be a JSON object", ErrSchema)
	}
	c := compiler{root: root, done: map[*Object]*Schema{}}
	return c.compile(root, 0)
}

type compiler struct {
	root *Object
	done map[*Object]*Schema
}

const maxSchemaDepth = 64

func (c *compiler) resolve(ref string) (*Object, error) {
	if ref == "#" || ref == "" {
		return c.root, nil
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%w: only local references are supported, not %q", ErrSchema, ref)
	}
	var cur any = c.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case *Object:
			v, ok := x.Get(tok)
			if !ok {
				return nil, fmt.Errorf("%w: reference %q does not resolve", ErrSchema, ref)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%w: reference %q does not resolve", ErrSchema, ref)
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("%w: reference %q does not resolve", ErrSchema, ref)
		}
	}
	o, ok := cur.(*Object)
	if !ok {
		return nil, fmt.Errorf("%w: reference %q is not a schema object", ErrSchema, ref)
	}
	return o, nil
}

func (c *compiler) compile(o *Object, depth int) (*Schema, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("%w: nested more than %d levels", ErrSchema, maxSchemaDepth)
	}
	if s, ok := c.done[o]; ok {
		return s, nil
	}
	s := &Schema{AdditionalProperties: true}
	c.done[o] = s
	if err := c.fill(s, o, depth); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *compiler) fill(s *Schema, o *Object, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("%w: references nest more than %d levels (a reference cycle?)", ErrSchema, maxSchemaDepth)
	}
	if r, ok := o.Get("$ref"); ok {
		ref, _ := r.(string)
		target, err := c.resolve(ref)
		if err != nil {
			return err
		}
		if err := c.fill(s, target, depth+1); err != nil {
			return err
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, ok := o.Get(key)
		if !ok {
			continue
		}
		list, _ := alts.([]any)
		chosen := false
		for _, a := range list {
			ao, ok := a.(*Object)
			if !ok {
				continue
			}
			if t, _ := ao.Get("type"); t == "null" && len(ao.Keys) == 1 {
				s.Nullable = true
				continue
			}
			if chosen {
				continue
			}
			chosen = true
			if err := c.fill(s, ao, depth+1); err != nil {
				return err
			}
		}
	}
	if all, ok := o.Get("allOf"); ok {
		list, _ := all.([]any)
		for _, a := range list {
			if ao, ok := a.(*Object); ok {
				if err := c.fill(s, ao, depth+1); err != nil {
					return err
				}
			}
		}
	}
	for i, key := range o.Keys {
		val := o.Values[i]
		switch key {
		case "type":
			switch t := val.(type) {
			case string:
				s.Type = t
			case []any:
				for _, e := range t {
					if n, _ := e.(string); n == "null" {
						s.Nullable = true
					} else if n != "" && s.Type == "" {
						s.Type = n
					}
				}
			}
		case "title":
			s.Title, _ = val.(string)
		case "description":
			s.Description, _ = val.(string)
		case "format":
			s.Format, _ = val.(string)
		case "enum":
			list, _ := val.([]any)
			s.Enum = s.Enum[:0]
			for _, e := range list {
				if e == nil {
					s.Nullable = true
					continue
				}
				s.Enum = append(s.Enum, e)
			}
		case "const":
			s.Enum = []any{val}
		case "default":
			s.Default, s.HasDefault = val, true
		case "minimum", "exclusiveMinimum":
			if n, ok := val.(Number); ok {
				s.Minimum, s.HasMinimum = n.Float(), true
			}
		case "maximum", "exclusiveMaximum":
			if n, ok := val.(Number); ok {
				s.Maximum, s.HasMaximum = n.Float(), true
			}
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				s.AdditionalProperties = b
			}
		case "items":
			io, ok := val.(*Object)
			if !ok {
				continue
			}
			it, err := c.compile(io, depth+1)
			if err != nil {
				return err
			}
			s.Items = it
		case "properties":
			po, ok := val.(*Object)
			if !ok {
				return fmt.Errorf("%w: properties must be an object", ErrSchema)
			}
			for j, name := range po.Keys {
				pso, ok := po.Values[j].(*Object)
				var ps *Schema
				if ok {
					var err error
					if ps, err = c.compile(pso, depth+1); err != nil {
						return err
					}
				} else {
					ps = &Schema{}
				}
				if p := s.Property(name); p != nil {
					p.Schema = ps
				} else {
					s.Properties = append(s.Properties, &Property{Name: name, Schema: ps})
				}
			}
		}
	}
	if req, ok := o.Get("required"); ok {
		list, _ := req.([]any)
		for _, r := range list {
			name, _ := r.(string)
			if p := s.Property(name); p != nil {
				p.Required = true
			}
		}
	}
	if s.Type == "" {
		switch {
		case len(s.Properties) > 0:
			s.Type = "object"
		case s.Items != nil:
			s.Type = "array"
		case len(s.Enum) > 0:
			switch s.Enum[0].(type) {
			case string:
				s.Type = "string"
			case Number:
				s.Type = "number"
			case bool:
				s.Type = "boolean"
			}
		}
	}
	return nil
}

// StrictProblem reports why OpenAI's strict structured outputs would reject
// the schema (every object needs additionalProperties false and every
// property listed in required), or "" when it would accept it. The message
// follows the provider's wording.
func StrictProblem(s *Schema) string {
	return strictProblem(s, "()", map[*Schema]bool{})
}

func strictProblem(s *Schema, ctx string, seen map[*Schema]bool) string {
	if s == nil || seen[s] {
		return ""
	}
	seen[s] = true
	if s.Type == "object" {
		if s.AdditionalProperties {
			return "In context=" + ctx + ", 'additionalProperties' is required to be supplied and to be false."
		}
		for _, p := range s.Properties {
			if !p.Required {
				return "In context=" + ctx + ", 'required' is required to be supplied and to be an array including every key in properties. Missing '" + p.Name + "'."
			}
		}
		for _, p := range s.Properties {
			if m := strictProblem(p.Schema, "('properties', '"+p.Name+"')", seen); m != "" {
				return m
			}
		}
	}
	if s.Items != nil {
		return strictProblem(s.Items, "('items',)", seen)
	}
	return ""
}
