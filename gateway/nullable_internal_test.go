package gateway

import (
	"encoding/json"
	"testing"

	"github.com/reask/reask/schema"
)

func TestRewriteNullable(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no nullable", `{"type": "object", "properties": {"a": {"type": "string"}}}`,
			`{"type": "object", "properties": {"a": {"type": "string"}}}`},
		{"the openai SDK's zod helper", `{"type":"object","properties":{"name":{"type":"string"},"phone":{"type":"string","nullable":true,"description":"or null"}},"required":["name","phone"],"additionalProperties":false}`,
			`{"type":"object","properties":{"name":{"type":"string"},"phone":{"type":["string","null"],"description":"or null"}},"required":["name","phone"],"additionalProperties":false}`},
		{"a type array", `{"properties":{"a":{"type":["string","integer"],"nullable":true}}}`,
			`{"properties":{"a":{"type":["string","integer","null"]}}}`},
		{"already null", `{"properties":{"a":{"type":["string", "null"],"nullable":true},"b":{"type":"null","nullable":true}}}`,
			`{"properties":{"a":{"type":["string", "null"]},"b":{"type":"null"}}}`},
		{"an enum", `{"properties":{"s":{"type":"string","enum":["a","b"],"nullable":true}}}`,
			`{"properties":{"s":{"type":["string","null"],"enum":["a","b",null]}}}`},
		{"a reference, no type", `{"$defs":{"A":{"type":"object"}},"properties":{"a":{"allOf":[{"$ref":"#/$defs/A"}],"nullable":true}}}`,
			`{"$defs":{"A":{"type":"object"}},"properties":{"a":{"anyOf":[{"allOf":[{"$ref":"#/$defs/A"}]},{"type":"null"}]}}}`},
		{"a const", `{"properties":{"c":{"type":"string","const":"x","nullable":true}}}`,
			`{"properties":{"c":{"anyOf":[{"type":"string","const":"x"},{"type":"null"}]}}}`},
		{"nested everywhere", `{"$defs":{"D":{"type":"integer","nullable":true}},"items":{"type":"number","nullable":true},"anyOf":[{"type":"boolean","nullable":true}],"properties":{"o":{"type":"object","nullable":true,"additionalProperties":{"type":"string","nullable":true}}}}`,
			`{"$defs":{"D":{"type":["integer","null"]}},"items":{"type":["number","null"]},"anyOf":[{"type":["boolean","null"]}],"properties":{"o":{"type":["object","null"],"additionalProperties":{"type":["string","null"]}}}}`},
		{"draft-07 tuple items", `{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"type":"string","nullable":true},true]}`,
			`{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"type":["string","null"]},true]}`},
		{"a property named nullable", `{"type":"object","properties":{"nullable":true,"x":{"type":"string"}}}`,
			`{"type":"object","properties":{"nullable":true,"x":{"type":"string"}}}`},
		{"data is not a schema", `{"type":"object","default":{"type":"string","nullable":true},"enum":[{"nullable":true}],"examples":[{"type":"a","nullable":true}]}`,
			`{"type":"object","default":{"type":"string","nullable":true},"enum":[{"nullable":true}],"examples":[{"type":"a","nullable":true}]}`},
		{"nullable false", `{"properties":{"a":{"type":"string","nullable":false}}}`, `{"properties":{"a":{"type":"string","nullable":false}}}`},
		{"a root without a type", `{"$ref":"#/$defs/A","nullable":true,"$defs":{"A":{"type":"object"}}}`,
			`{"$ref":"#/$defs/A","nullable":true,"$defs":{"A":{"type":"object"}}}`},
		{"a nullable root", `{"type":"object","nullable":true}`, `{"type":["object","null"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rewriteNullable([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if _, err := schema.Compile(got); err != nil {
				t.Errorf("the rewritten schema does not compile: %v", err)
			}
		})
	}
}

// TestRewriteNullableValidates: a null is valid where the schema said
// nullable, and nothing else changes.
func TestRewriteNullableValidates(t *testing.T) {
	doc, err := rewriteNullable([]byte(`{"type":"object","properties":{"phone":{"type":"string","nullable":true},"tier":{"type":"string","enum":["a","b"],"nullable":true}},"required":["phone","tier"]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := schema.MustCompile(string(doc))
	for _, tc := range []struct {
		value string
		valid bool
	}{
		{`{"phone":null,"tier":null}`, true},
		{`{"phone":"1","tier":"a"}`, true},
		{`{"phone":1,"tier":"a"}`, false},
		{`{"phone":null,"tier":"c"}`, false},
		{`{"tier":null}`, false},
	} {
		var v any
		_ = json.Unmarshal([]byte(tc.value), &v)
		if vs := s.Validate(v); (len(vs) == 0) != tc.valid {
			t.Errorf("%s: violations %v, want valid %v", tc.value, vs, tc.valid)
		}
	}
}

// FuzzRewriteNullable: any valid JSON document rewrites into valid JSON,
// and a rewritten document rewrites into itself.
func FuzzRewriteNullable(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"type":"string","nullable":true}}}`,
		`{"items":[{"nullable":true},{"type":["a"],"nullable":true,"enum":[]}],"anyOf":[1,"x",{"const":1,"nullable":true}]}`,
		`{"$defs":{"x":{"nullable":true,"type":{}}},"properties":[1]}`, `[{"nullable":true}]`, `"nullable"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		out, err := rewriteNullable(doc)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if !json.Valid(out) {
			t.Fatalf("%s rewrote into invalid JSON %s", doc, out)
		}
		again, err := rewriteNullable(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %s -> %s -> %s (%v)", doc, out, again, err)
		}
	})
}
