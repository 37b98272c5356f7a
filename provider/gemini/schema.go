package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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

// SchemaFunc makes the schema a request sends from the task's JSON Schema
// (draft 2020-12, as reask validates with it) for dialect d, and lists
// each constraint it relaxed or removed. The notes are informational:
// reask validates every answer against the task's own schema, so a relaxed
// constraint is still enforced, by local validation and the re-ask's
// feedback. An error stops the call before anything is sent (it matches
// reask.ErrInvalidInput). It must not change schema.
type SchemaFunc func(schema json.RawMessage, d Dialect) (json.RawMessage, []Note, error)

// Note is a constraint of the task's schema that the schema sent does not
// carry, or carries in another form.
type Note struct {
	// Pointer is the schema, in the task's schema, that holds the
	// constraint (a JSON Pointer; "" for the root).
	Pointer string
	// Keyword is the constraint's keyword ("$schema", "additionalProperties").
	Keyword string
	// Change says what was done: "removed", "moved into description",
	// "turned into enum", ….
	Change string
}

func (n Note) String() string {
	p := n.Pointer
	if p == "" {
		p = "(root)"
	}
	return p + ": " + n.Keyword + " " + n.Change
}

// Limits of PrepareSchema's legacy rewrite, which inlines references.
const (
	// MaxInlined bounds the references inlined into one legacy schema: a
	// schema whose definitions refer to one another many times over would
	// grow without bound.
	MaxInlined = 1000
)

// ErrRecursiveSchema is matched by PrepareSchema's error for a recursive
// schema in the legacy dialect, which has no references.
var ErrRecursiveSchema = errors.New("gemini: the legacy responseSchema cannot express a recursive schema; send it as responseJsonSchema (the default)")

// PrepareSchema is the default SchemaFunc: the least rewrite each dialect
// needs to be accepted.
//
// For DialectJSONSchema it removes $schema, which versions of the API
// answer with 400, and leaves the rest as it is: the API reads the
// keywords it supports.
//
// For DialectLegacy it also inlines local references ("#/$defs/…",
// "#/definitions/…"; a recursive one is an error, ErrRecursiveSchema);
// turns a type list with "null", or an anyOf branch of type null, into
// nullable; const into a one-value enum; oneOf into anyOf; moves a format
// the API refuses (any but date-time and enum on strings, int32 and int64
// on integers, float and double on numbers) into the description; sets
// propertyOrdering to the properties' order, which the API otherwise makes
// alphabetical; and removes every keyword the Schema object does not have
// (additionalProperties, allOf, not, exclusiveMinimum, uniqueItems, …).
//
// Package schema/dialect rewrites for each provider more fully; this is
// the safe default of a provider that must work on its own.
func PrepareSchema(raw json.RawMessage, d Dialect) (json.RawMessage, []Note, error) {
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema: %w", err)
	}
	root, ok := v.(*object)
	if !ok {
		return nil, nil, errors.New("the schema is not a JSON object")
	}
	var notes []Note
	if d == DialectJSONSchema {
		if root.has("$schema") {
			root = root.clone()
			root.del("$schema")
			notes = append(notes, Note{Keyword: "$schema", Change: "removed"})
			return root.marshal(), notes, nil
		}
		return raw, nil, nil
	}
	lw := &legacyWriter{root: root}
	out, err := lw.rewrite(root, "", nil)
	if err != nil {
		return nil, nil, err
	}
	return out.marshal(), lw.notes, nil
}

// legacyKeywords are the members of the API's Schema object.
var legacyKeywords = map[string]bool{
	"type": true, "format": true, "title": true, "description": true, "nullable": true, "enum": true,
	"maxItems": true, "minItems": true, "properties": true, "required": true, "minProperties": true,
	"maxProperties": true, "minLength": true, "maxLength": true, "pattern": true, "example": true,
	"anyOf": true, "propertyOrdering": true, "default": true, "items": true, "minimum": true, "maximum": true,
}

// legacyFormats are the formats the Schema object takes, by type.
var legacyFormats = map[string][]string{
	"string":  {"date-time", "enum"},
	"integer": {"int32", "int64"},
	"number":  {"float", "double"},
}

// legacyWriter rewrites one schema into the legacy dialect.
type legacyWriter struct {
	root    *object
	notes   []Note
	inlined int
}

// note records a change once, however often the definition it is in was
// inlined.
func (lw *legacyWriter) note(ptr, keyword, change string) {
	n := Note{Pointer: ptr, Keyword: keyword, Change: change}
	if !slices.Contains(lw.notes, n) {
		lw.notes = append(lw.notes, n)
	}
}

// rewrite returns the legacy form of the schema s found at ptr; refs are
// the references being inlined above it, to catch recursion.
func (lw *legacyWriter) rewrite(s *object, ptr string, refs []string) (*object, error) {
	if ref := s.str("$ref"); ref != "" {
		target, err := lw.resolve(ref, ptr)
		if err != nil {
			return nil, err
		}
		if slices.Contains(refs, ref) {
			return nil, fmt.Errorf("%w (%s refers back to %s)", ErrRecursiveSchema, pointerText(ptr), ref)
		}
		if lw.inlined++; lw.inlined > MaxInlined {
			return nil, fmt.Errorf("gemini: inlining the schema's references for the legacy responseSchema takes more than %d copies; send it as responseJsonSchema (the default)", MaxInlined)
		}
		in, err := lw.rewrite(target, strings.TrimPrefix(ref, "#"), append(refs, ref))
		if err != nil {
			return nil, err
		}
		// The reference's siblings (a description) apply too, and win.
		out := in.clone()
		rest := s.clone()
		rest.del("$ref")
		sib, err := lw.rewrite(rest, ptr, refs)
		if err != nil {
			return nil, err
		}
		for _, k := range sib.keys {
			out.set(k, sib.vals[k])
		}
		return out, nil
	}
	out := newObject()
	for _, k := range s.keys {
		v := s.vals[k]
		at := ptr + "/" + escapePointer(k)
		switch k {
		case "properties":
			props, ok := v.(*object)
			if !ok {
				continue
			}
			np := newObject()
			for _, name := range props.keys {
				sub, ok := props.vals[name].(*object)
				if !ok {
					sub = newObject() // true: anything
				}
				r, err := lw.rewrite(sub, at+"/"+escapePointer(name), refs)
				if err != nil {
					return nil, err
				}
				np.set(name, r)
			}
			out.set(k, np)
			if !s.has("propertyOrdering") && len(props.keys) > 1 {
				order := make([]any, len(props.keys))
				for i, name := range props.keys {
					order[i] = name
				}
				out.set("propertyOrdering", order)
			}
		case "items":
			sub, ok := v.(*object)
			if !ok {
				lw.note(ptr, k, "removed (not a schema object)")
				continue
			}
			r, err := lw.rewrite(sub, at, refs)
			if err != nil {
				return nil, err
			}
			out.set(k, r)
		case "anyOf", "oneOf":
			branches, err := lw.branches(v, at, refs)
			if err != nil {
				return nil, err
			}
			if k == "oneOf" {
				lw.note(ptr, k, "sent as anyOf (one branch only is not enforced)")
			}
			var kept []any
			for _, b := range branches {
				if b.str("type") == "null" && len(b.keys) == 1 {
					out.set("nullable", true)
					continue
				}
				kept = append(kept, b)
			}
			if len(kept) == 1 {
				for _, bk := range kept[0].(*object).keys {
					if !out.has(bk) && !s.has(bk) {
						out.set(bk, kept[0].(*object).vals[bk])
					}
				}
				continue
			}
			if prev, ok := out.get("anyOf"); ok {
				kept = append(prev.([]any), kept...)
			}
			out.set("anyOf", kept)
		case "type":
			lw.legacyType(out, v, ptr)
		case "const":
			if str, ok := v.(string); ok {
				out.set("enum", []any{str})
				lw.note(ptr, k, "sent as a one-value enum")
			} else {
				lw.note(ptr, k, "removed (only string enums are sent)")
			}
		case "enum":
			vals, _ := v.([]any)
			var strs []any
			nullable := false
			for _, e := range vals {
				switch e := e.(type) {
				case string:
					strs = append(strs, e)
				case nil:
					nullable = true
				}
			}
			if len(strs)+boolInt(nullable) != len(vals) || len(strs) == 0 {
				lw.note(ptr, k, "removed (only string enums are sent)")
				continue
			}
			out.set(k, strs)
			if nullable {
				out.set("nullable", true)
			}
		case "format":
			f, _ := v.(string)
			if slices.Contains(legacyFormats[typeName(s)], f) {
				out.set(k, f)
				continue
			}
			lw.note(ptr, k, "moved into description")
			addDescription(out, s, "format: "+f)
		case "$defs", "definitions":
			if ptr != "" {
				lw.note(ptr, k, "removed")
			}
		default:
			if k == "description" && out.has(k) {
				continue // already there, with a note added to it
			}
			if legacyKeywords[k] {
				out.set(k, v)
				continue
			}
			lw.note(ptr, k, "removed")
		}
	}
	return out, nil
}

// branches rewrites the schemas of an anyOf or oneOf.
func (lw *legacyWriter) branches(v any, at string, refs []string) ([]*object, error) {
	list, _ := v.([]any)
	out := make([]*object, 0, len(list))
	for i, b := range list {
		sub, ok := b.(*object)
		if !ok {
			sub = newObject()
		}
		r, err := lw.rewrite(sub, at+"/"+strconv.Itoa(i), refs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// legacyType writes a type keyword: a list with "null" becomes the other
// type and nullable; a list of several others an anyOf of each.
func (lw *legacyWriter) legacyType(out *object, v any, ptr string) {
	list, ok := v.([]any)
	if !ok {
		out.set("type", v)
		return
	}
	var types []any
	nullable := false
	for _, t := range list {
		if t == "null" {
			nullable = true
			continue
		}
		types = append(types, t)
	}
	defer func() {
		if nullable {
			out.set("nullable", true)
		}
	}()
	switch len(types) {
	case 0:
		out.set("type", "null")
	case 1:
		out.set("type", types[0])
	default:
		branches := make([]any, len(types))
		for i, t := range types {
			b := newObject()
			b.set("type", t)
			branches[i] = b
		}
		out.set("anyOf", branches)
		lw.note(ptr, "type", "sent as an anyOf of its types")
	}
}

// resolve finds a local reference's target.
func (lw *legacyWriter) resolve(ref, ptr string) (*object, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("%s: $ref %q: only references inside the schema (#/…) can be inlined", pointerText(ptr), ref)
	}
	var cur any = lw.root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		o, ok := cur.(*object)
		if !ok {
			cur = nil
			break
		}
		cur, _ = o.get(tok)
	}
	if ref == "#" {
		cur = lw.root
	}
	o, ok := cur.(*object)
	if !ok {
		return nil, fmt.Errorf("%s: $ref %q points at no schema", pointerText(ptr), ref)
	}
	return o, nil
}

// typeName is a schema's one type, or "".
func typeName(s *object) string {
	if t, ok := s.vals["type"].(string); ok {
		return t
	}
	if list, ok := s.vals["type"].([]any); ok {
		for _, t := range list {
			if t != "null" {
				if ts, ok := t.(string); ok {
					return ts
				}
			}
		}
	}
	return ""
}

// addDescription appends a sentence to the description of out (whose
// source schema is s), so that the model still reads the constraint.
func addDescription(out, s *object, what string) {
	desc := out.str("description")
	if desc == "" {
		desc = s.str("description")
	}
	if desc != "" {
		desc += " "
	}
	out.set("description", desc+"("+what+")")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func pointerText(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// object is a JSON object that keeps its members' order: the model writes
// its answer in the order of the schema's properties.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) has(k string) bool { _, ok := o.vals[k]; return ok }

func (o *object) get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

func (o *object) str(k string) string { s, _ := o.vals[k].(string); return s }

func (o *object) set(k string, v any) {
	if !o.has(k) {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if o.has(k) {
		delete(o.vals, k)
		o.keys = slices.DeleteFunc(o.keys, func(s string) bool { return s == k })
	}
}

func (o *object) clone() *object {
	c := &object{keys: slices.Clone(o.keys), vals: make(map[string]any, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
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
