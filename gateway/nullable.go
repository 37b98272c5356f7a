package gateway

import (
	"bytes"

	"github.com/reask/reask/internal/jsonscan"
)

// rewriteNullable reads OpenAPI's "nullable": true in a client's schema as
// OpenAI's API does — the value may also be null — and writes it in JSON
// Schema, which has no such keyword: "null" joins the type ("type":
// "string" becomes ["string", "null"]) and the enum, and a schema with no
// type becomes {"anyOf": [schema, {"type": "null"}]}. The keyword itself is
// dropped. The openai npm SDK's zod helper writes it for every .nullable()
// of zod 3 (zod-to-json-schema's nullableStrategy "property"), and so does
// LangChain's; without the rewrite the gateway's validator would refuse
// the null OpenAI allows, and an upstream that reads only JSON Schema
// (vLLM, the simulator) would answer "" where the text has nothing.
//
// Only members where JSON Schema has subschemas are looked into
// (properties, items, anyOf, $defs, ...), never data (enum, const,
// default, examples), so a property named "nullable" or an example holding
// one is left alone, and so is what nests deeper than maxNullableDepth
// (the schema limits refuse such a document unless they are off).
// Everything else keeps its bytes and order (a model answers in its
// schema's order of properties). doc must be valid JSON; a doc without the
// word nullable is returned as is.
func rewriteNullable(doc []byte) ([]byte, error) {
	if !bytes.Contains(doc, []byte(`"nullable"`)) {
		return doc, nil
	}
	return nullableSchema(nil, doc, 0)
}

// maxNullableDepth bounds the schemas rewriteNullable looks into: the
// rewrite runs before the schema limits are checked.
const maxNullableDepth = 256

// Where JSON Schema (2020-12 and draft-07) has subschemas.
var (
	// schemaMembers hold one subschema (or, for items, an array of them:
	// draft-07's tuples).
	schemaMembers = map[string]bool{"items": true, "additionalProperties": true, "additionalItems": true,
		"not": true, "contains": true, "if": true, "then": true, "else": true, "propertyNames": true,
		"unevaluatedItems": true, "unevaluatedProperties": true, "contentSchema": true}
	// schemaArrays hold an array of subschemas.
	schemaArrays = map[string]bool{"anyOf": true, "oneOf": true, "allOf": true, "prefixItems": true}
	// schemaMaps hold an object whose members are subschemas.
	schemaMaps = map[string]bool{"properties": true, "patternProperties": true, "$defs": true,
		"definitions": true, "dependentSchemas": true, "dependencies": true}
)

// nullableSchema appends the schema s at depth (the root's is 0),
// rewritten, to b. A schema that is not an object (true, false) is
// appended as is, and so is a nullable root that a type does not say
// (wrapping it would move the definitions its references point to).
func nullableSchema(b, s []byte, depth int) ([]byte, error) {
	s = bytes.TrimSpace(s)
	if len(s) == 0 || s[0] != '{' || depth > maxNullableDepth {
		return append(b, s...), nil
	}
	nullable, typed, constant := false, false, false
	var members []member
	var err error
	scanErr := jsonscan.EachMember(s, func(key, rawKey, value []byte) {
		if err != nil {
			return
		}
		k := string(key)
		v := bytes.TrimSpace(value)
		switch {
		case k == "nullable" && string(v) == "true":
			nullable = true
			return
		case k == "type":
			typed = true
		case k == "const":
			constant = true
		case schemaMembers[k] && len(v) > 0 && v[0] == '[':
			v, err = nullableArray(v, depth+1)
		case schemaMembers[k]:
			v, err = nullableSchema(nil, v, depth+1)
		case schemaArrays[k]:
			v, err = nullableArray(v, depth+1)
		case schemaMaps[k] && len(v) > 0 && v[0] == '{':
			v, err = nullableMap(v, depth+1)
		}
		members = append(members, member{key: k, raw: rawKey, value: v})
	})
	if scanErr != nil {
		return nil, scanErr
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !nullable:
		return appendObject(b, members), nil
	case depth == 0 && (!typed || constant):
		return append(b, s...), nil
	case !typed || constant:
		// Null joins the schema as an alternative: a const (or, without
		// a type, an enum or a reference) would refuse it.
		b = append(b, `{"anyOf":[`...)
		b = appendObject(b, members)
		return append(b, `,{"type":"null"}]}`...), nil
	}
	for i, m := range members {
		switch m.key {
		case "type":
			members[i].value = withNull(m.value, `"null"`)
		case "enum":
			members[i].value = withNull(m.value, `null`)
		}
	}
	return appendObject(b, members), nil
}

// nullableArray rewrites an array of subschemas at depth.
func nullableArray(a []byte, depth int) ([]byte, error) {
	b := []byte{'['}
	var err error
	n := 0
	scanErr := jsonscan.EachElement(a, func(e []byte) {
		if err != nil {
			return
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b, err = nullableSchema(b, e, depth)
	})
	if scanErr != nil {
		return a, nil // not an array: not a place for subschemas, left as is
	}
	if err != nil {
		return nil, err
	}
	return append(b, ']'), nil
}

// nullableMap rewrites an object whose members are subschemas at depth.
func nullableMap(m []byte, depth int) ([]byte, error) {
	var members []member
	var err error
	scanErr := jsonscan.EachMember(m, func(key, rawKey, value []byte) {
		if err != nil {
			return
		}
		var v []byte
		v, err = nullableSchema(nil, value, depth)
		members = append(members, member{key: string(key), raw: rawKey, value: v})
	})
	if scanErr != nil {
		return nil, scanErr
	}
	if err != nil {
		return nil, err
	}
	return appendObject(nil, members), nil
}

// member is an object member: its key decoded and as written, its value.
type member struct {
	key        string
	raw, value []byte
}

func appendObject(b []byte, members []member) []byte {
	b = append(b, '{')
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, m.raw...), ':'), m.value...)
	}
	return append(b, '}')
}

// withNull returns the type or enum v with null (written null) added: a
// string becomes an array of it and null; an array gains null unless it
// has it. Anything else is left as is (the schema compiler will say what
// is wrong with it).
func withNull(v []byte, null string) []byte {
	switch {
	case len(v) > 0 && v[0] == '"':
		if string(v) == null {
			return v
		}
		return append(append(append(append([]byte{'['}, v...), ','), null...), ']')
	case len(v) > 0 && v[0] == '[':
		has, n := false, 0
		if jsonscan.EachElement(v, func(e []byte) {
			n++
			has = has || string(bytes.TrimSpace(e)) == null
		}) != nil || has {
			return v
		}
		out := append([]byte(nil), bytes.TrimRight(v[:len(v)-1], " \t\r\n")...) // without the closing bracket
		if n > 0 {
			out = append(out, ',')
		}
		return append(append(out, null...), ']')
	}
	return v
}
