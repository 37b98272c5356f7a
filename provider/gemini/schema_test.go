package gemini_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask/provider/gemini"
)

// TestPrepareSchema: the default rewrite of each dialect — the schema
// sent, member order kept, and a note for every constraint not sent as
// written.
func TestPrepareSchema(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect gemini.Dialect
		in      string
		want    string
		notes   []string
	}{
		{"json schema: $schema removed, the rest as it is", gemini.DialectJSONSchema,
			`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"b":{"type":"string","format":"email"},"a":{"const":1}},"additionalProperties":false}`,
			`{"type":"object","properties":{"b":{"type":"string","format":"email"},"a":{"const":1}},"additionalProperties":false}`,
			[]string{"(root): $schema removed"}},
		{"json schema without $schema: unchanged", gemini.DialectJSONSchema,
			`{"type": "object", "properties": {"$schema": {"type": "string"}}}`,
			`{"type": "object", "properties": {"$schema": {"type": "string"}}}`, nil},
		{"legacy: references inlined, siblings win", gemini.DialectLegacy,
			`{"$defs":{"addr":{"type":"object","description":"an address","properties":{"city":{"type":"string"}}}},"type":"object","properties":{"home":{"$ref":"#/$defs/addr","description":"where they live"},"work":{"$ref":"#/$defs/addr"}}}`,
			`{"type":"object","properties":{"home":{"type":"object","description":"where they live","properties":{"city":{"type":"string"}}},"work":{"type":"object","description":"an address","properties":{"city":{"type":"string"}}}},"propertyOrdering":["home","work"]}`,
			nil},
		{"legacy: nulls become nullable", gemini.DialectLegacy,
			`{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"anyOf":[{"type":"integer"},{"type":"null"}]},"c":{"type":"string","enum":["x","y",null]}}}`,
			`{"type":"object","properties":{"a":{"type":"string","nullable":true},"b":{"nullable":true,"type":"integer"},"c":{"type":"string","enum":["x","y"],"nullable":true}},"propertyOrdering":["a","b","c"]}`,
			nil},
		{"legacy: what the Schema object lacks", gemini.DialectLegacy,
			`{"type":"object","properties":{"kind":{"const":"person"},"n":{"type":"integer","exclusiveMinimum":0,"enum":[1,2]},"at":{"type":"string","format":"date-time"},"mail":{"type":"string","format":"email","description":"work mail"},"u":{"oneOf":[{"type":"string"},{"type":"integer"}]},"v":{"type":["string","integer"]}},"additionalProperties":false,"allOf":[{"required":["kind"]}]}`,
			`{"type":"object","properties":{"kind":{"enum":["person"]},"n":{"type":"integer"},"at":{"type":"string","format":"date-time"},"mail":{"type":"string","description":"work mail (format: email)"},"u":{"anyOf":[{"type":"string"},{"type":"integer"}]},"v":{"anyOf":[{"type":"string"},{"type":"integer"}]}},"propertyOrdering":["kind","n","at","mail","u","v"]}`,
			[]string{"/properties/kind: const sent as a one-value enum", "/properties/n: exclusiveMinimum removed", "/properties/n: enum removed (only string enums are sent)",
				"/properties/mail: format moved into description", "/properties/u: oneOf sent as anyOf (one branch only is not enforced)", "/properties/v: type sent as an anyOf of its types",
				"(root): additionalProperties removed", "(root): allOf removed"}},
		{"legacy: property names are not keywords", gemini.DialectLegacy,
			`{"type":"object","properties":{"additionalProperties":{"type":"boolean"},"$ref":{"type":"string"}},"required":["$ref"]}`,
			`{"type":"object","properties":{"additionalProperties":{"type":"boolean"},"$ref":{"type":"string"}},"propertyOrdering":["additionalProperties","$ref"],"required":["$ref"]}`,
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := json.RawMessage(tc.in)
			before := string(in)
			got, notes, err := gemini.PrepareSchema(in, tc.dialect)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			var ns []string
			for _, n := range notes {
				ns = append(ns, n.String())
			}
			if strings.Join(ns, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(ns, "\n"), strings.Join(tc.notes, "\n"))
			}
			if string(in) != before {
				t.Error("the schema given was changed")
			}
		})
	}
}

// TestPrepareSchemaRefuses: what the legacy dialect cannot say is an
// error that says what and where, before anything is sent.
func TestPrepareSchemaRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		is             error
	}{
		{"recursion", `{"$defs":{"node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}`,
			"/$defs/node/properties/kids/items refers back to #/$defs/node", gemini.ErrRecursiveSchema},
		{"a remote reference", `{"type":"object","properties":{"a":{"$ref":"https://example.com/a.json"}}}`, `/properties/a: $ref "https://example.com/a.json"`, nil},
		{"a dangling reference", `{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}`, "points at no schema", nil},
		{"not JSON", `{"type":`, "reading the schema", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := gemini.PrepareSchema(json.RawMessage(tc.in), gemini.DialectLegacy)
			if err == nil || !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Many references to references: bounded, not exponential.
	defs := `"d0":{"type":"string"}`
	for i := 1; i <= 12; i++ {
		defs += `,"d` + itoa(i) + `":{"type":"object","properties":{"a":{"$ref":"#/$defs/d` + itoa(i-1) + `"},"b":{"$ref":"#/$defs/d` + itoa(i-1) + `"}}}`
	}
	_, _, err := gemini.PrepareSchema(json.RawMessage(`{"$defs":{`+defs+`},"$ref":"#/$defs/d12"}`), gemini.DialectLegacy)
	if err == nil || !strings.Contains(err.Error(), "more than 1000 copies") {
		t.Errorf("2^12 copies: %v", err)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
