package extract

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks the strict parser against encoding/json and the
// round trip: what Parse accepts, Marshal writes back to the same value,
// and ParseLenient reads it with no liberty taken.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2,{"b":null}]`, `"x\u00e9\n"`, `{"a":[true,false],"b":{"c":-1.5e3}}`, `{"a":1,}`, `{a:1}`, `{'a':'b'}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse([]byte(s))
		if (err == nil) != json.Valid([]byte(s)) {
			t.Fatalf("Parse(%q) error %v, json.Valid %v", s, err, json.Valid([]byte(s)))
		}
		if err != nil {
			return
		}
		if !utf8.ValidString(s) {
			return // encoding/json accepts it too, but reads U+FFFD back
		}
		out := Marshal(v)
		w, err := Parse(out)
		if err != nil || !Equal(v, w) {
			t.Fatalf("round trip of %q: %s (%v)", s, out, err)
		}
		if _, isObj := v.(*Object); isObj {
			lv, syn, err := ParseLenient(string(out))
			if err != nil || syn.Any() || !Equal(v, lv) {
				t.Fatalf("lenient read of %s: %v %+v", out, err, syn)
			}
		}
	})
}

// FuzzParseLenient: the forgiving parser never panics, and what it reads
// encodes to valid JSON.
func FuzzParseLenient(f *testing.F) {
	for _, s := range []string{"```json\n{\"a\": 1,}\n```", "Here: {a: 'b', c: True} thanks", `{"a": [1, 2`, `{"a": 1 // c` + "\n}", `{"a": "x\"} `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, _, err := ParseLenient(s)
		if err != nil {
			return
		}
		if !json.Valid(Marshal(v)) {
			t.Fatalf("ParseLenient(%q) gave %s", s, Marshal(v))
		}
	})
}

// FuzzSchemaAndExtract: any schema document and text give an answer of
// the schema's shape, or a schema error; never a panic.
func FuzzSchemaAndExtract(f *testing.F) {
	f.Add(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`, "Contact John Doe, age 30")
	f.Add(`{"$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}},"required":["next"]}},"$ref":"#/$defs/N"}`, "x")
	f.Add(`{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"quantity":{"type":"integer"},"price":{"type":"number"}}}}}}`, "Items: 2x Widget ($10 each), 1x Gadget ($25)")
	f.Add(`{"type":"object","properties":{"d":{"type":"string","format":"date"},"ok":{"type":"boolean"},"e":{"enum":["a","b"]}}}`, "On March 3, 2024 it was not ok: b")
	f.Fuzz(func(t *testing.T, schema, text string) {
		s, err := ParseSchema([]byte(schema))
		if err != nil {
			return
		}
		v := Extract(s, text)
		if !json.Valid(Marshal(v)) {
			t.Fatalf("answer %s is not JSON", Marshal(v))
		}
		if s.Type == "object" {
			o, ok := v.(*Object)
			if !ok {
				t.Fatalf("object schema, answer %s", Marshal(v))
			}
			for _, p := range s.Properties {
				if _, has := o.Get(p.Name); p.Required && !has {
					t.Fatalf("answer %s lacks required %s", Marshal(v), p.Name)
				}
			}
		}
	})
}

func TestSchemaReferenceCycles(t *testing.T) {
	for _, doc := range []string{`{"$ref":"#"}`, `{"allOf":[{"$ref":"#"}]}`, `{"anyOf":[{"$ref":"#/anyOf/0"}]}`} {
		if _, err := ParseSchema([]byte(doc)); err == nil {
			t.Errorf("ParseSchema(%s) accepted a cycle", doc)
		}
	}
	// a recursive type through properties is fine
	s, err := ParseSchema([]byte(`{"$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}},"required":["next"]}},"$ref":"#/$defs/N"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(Marshal(Extract(s, "x"))); !strings.HasPrefix(got, `{"next":{"next":`) {
		t.Errorf("recursive answer %s", got)
	}
}

// FuzzFindTypeSchema: any prompt can be searched for a type sketch.
func FuzzFindTypeSchema(f *testing.F) {
	f.Add("Answer in JSON using this schema:\n{\n  name: string,\n  tags: string[],\n  kind: \"a\" | \"b\",\n  n: int or null,\n}")
	f.Add("S\n----\n- A\n- B\n{ s: S, x: [ { y: float } ] }")
	f.Fuzz(func(t *testing.T, prompt string) {
		from, to, s, ok := FindTypeSchema(prompt)
		if !ok {
			return
		}
		if from < 0 || to > len(prompt) || from >= to || s == nil {
			t.Fatalf("span [%d, %d) of %d", from, to, len(prompt))
		}
		Extract(s, prompt)
	})
}
