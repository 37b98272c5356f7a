package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/reask/reask/schema/dialect"
)

// Dialect is the part of JSON Schema a request's schema is sent in.
type Dialect int

// The dialects of the Gemini API.
const (
	// DialectJSONSchema is generationConfig.responseJsonSchema (and a
	// function's parametersJsonSchema): JSON Schema, of which the API
	// reads a documented subset ($ref and $defs, anyOf, enum, bounds of
	// numbers and arrays, …).
	DialectJSONSchema Dialect = iota
	// DialectLegacy is generationConfig.responseSchema (and a function's
	// parameters): Gemini's Schema object, a subset of OpenAPI 3.0's, with
	// no references, nullable instead of a null type, and properties
	// ordered alphabetically unless propertyOrdering says otherwise.
	DialectLegacy
)

func (d Dialect) String() string {
	if d == DialectLegacy {
		return "responseSchema"
	}
	return "responseJsonSchema"
}

// schemaDialect is d in package schema/dialect's terms.
func (d Dialect) schemaDialect() dialect.Dialect {
	if d == DialectLegacy {
		return dialect.GeminiSchema
	}
	return dialect.GeminiJSONSchema
}

// SchemaFunc makes the schema a request sends from the schema it carries
// for dialect d, and lists each change it made (package schema/dialect's
// changes: relaxed constraints first, then restatements). The changes are
// informational: reask validates every answer against the task's own
// schema, so a relaxed constraint is still enforced, by local validation
// and the re-ask's feedback. An error stops the call before anything is
// sent (it matches reask.ErrInvalidInput). It must not change schema.
type SchemaFunc func(schema json.RawMessage, d Dialect) (json.RawMessage, []dialect.Change, error)

// PrepareSchema is the default SchemaFunc. The rewrite is package
// schema/dialect's: a schema already in dialect d — what reask's loop
// sends, having rewritten the task's schema for the dialect SchemaTarget
// names, or a schema written for Gemini — is sent as it is; any other (a
// caller of the provider without reask's loop) is rewritten with
// dialect.Rewrite. A schema is in d when it passes dialect.Check, or, for
// DialectLegacy, when it uses what only the Schema object has (an
// upper-case type name such as "OBJECT", nullable, propertyOrdering): the
// rewrite of a schema the legacy dialect cannot fully say (a map, an enum
// of numbers with no type) still has problems, and must not be rewritten
// twice, which would lose what the first rewrite wrote.
//
// What PrepareSchema adds of its own: in DialectLegacy, an object with
// more than one property and no propertyOrdering gets one in the order its
// properties are written, which the model then follows (the API otherwise
// orders them alphabetically).
func PrepareSchema(raw json.RawMessage, d Dialect) (json.RawMessage, []dialect.Change, error) {
	sd := d.schemaDialect()
	// Check first: it reads the schema within dialect.MaxDepth.
	problems, err := dialect.Check(raw, sd)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema: %w", err)
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema: %w", err)
	}
	root, ok := v.(*object)
	if !ok {
		return nil, nil, errors.New("the schema is not a JSON object")
	}
	if len(problems) == 0 || d == DialectLegacy && schemaObjectOnly(root, 0) {
		if d == DialectLegacy && addOrdering(root, 0) {
			return root.marshal(), nil, nil
		}
		return raw, nil, nil
	}
	r, err := dialect.Rewrite(raw, sd)
	if err != nil {
		return nil, nil, fmt.Errorf("rewriting the schema for %s: %w", d, err)
	}
	return r.Schema, slices.Concat(r.Relaxed, r.Rewritten), nil
}

// legacyTypes are the type names of the API's Schema object.
var legacyTypes = map[string]bool{"STRING": true, "NUMBER": true, "INTEGER": true, "BOOLEAN": true, "ARRAY": true, "OBJECT": true, "NULL": true}

// schemaObjectOnly reports whether s or a subschema of it uses what only
// the Schema object has, not JSON Schema: one of its type names, nullable
// or propertyOrdering.
func schemaObjectOnly(s *object, depth int) bool {
	if t, ok := s.vals["type"].(string); ok && legacyTypes[t] || s.has("nullable") || s.has("propertyOrdering") {
		return true
	}
	found := false
	eachSubschema(s, depth, func(sub *object, depth int) {
		found = found || schemaObjectOnly(sub, depth)
	})
	return found
}

// addOrdering sets propertyOrdering, in the properties' order, on every
// object of s with more than one property and none, and reports whether
// it set any.
func addOrdering(s *object, depth int) bool {
	added := false
	if props, ok := s.vals["properties"].(*object); ok && len(props.keys) > 1 && !s.has("propertyOrdering") {
		order := make([]any, len(props.keys))
		for i, k := range props.keys {
			order[i] = k
		}
		s.set("propertyOrdering", order)
		added = true
	}
	eachSubschema(s, depth, func(sub *object, depth int) {
		added = addOrdering(sub, depth) || added
	})
	return added
}

// eachSubschema calls f with the subschemas of a legacy Schema object: its
// properties, items and anyOf branches. depth bounds the walk at
// dialect.MaxDepth, as the schema was read.
func eachSubschema(s *object, depth int, f func(sub *object, depth int)) {
	if depth >= dialect.MaxDepth {
		return
	}
	if props, ok := s.vals["properties"].(*object); ok {
		for _, k := range props.keys {
			if sub, ok := props.vals[k].(*object); ok {
				f(sub, depth+1)
			}
		}
	}
	if sub, ok := s.vals["items"].(*object); ok {
		f(sub, depth+1)
	}
	if list, ok := s.vals["anyOf"].([]any); ok {
		for _, b := range list {
			if sub, ok := b.(*object); ok {
				f(sub, depth+1)
			}
		}
	}
}

// object is a JSON object that keeps its members' order: the model writes
// its answer in the order of the schema's properties.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) has(k string) bool { _, ok := o.vals[k]; return ok }

func (o *object) set(k string, v any) {
	if !o.has(k) {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// marshal writes o as JSON, members in order.
func (o *object) marshal() json.RawMessage {
	var b bytes.Buffer
	writeOrdered(&b, o)
	return b.Bytes()
}

func writeOrdered(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			writeOrdered(b, v.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeOrdered(b, e)
		}
		b.WriteByte(']')
	default:
		vb, _ := json.Marshal(v)
		b.Write(vb)
	}
}

// decodeOrdered reads one JSON document into nil, bool, json.Number,
// string, []any and *object.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}
