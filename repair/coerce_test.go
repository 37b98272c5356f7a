package repair

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/reask/reask/repair/internal/corpus"
	"github.com/reask/reask/schema"
)

// coerceSchema exercises every rule: plain types, an enum, a nullable
// field, a $ref into $defs, nested arrays of objects, closed objects.
const coerceSchema = `{
	"type": "object",
	"additionalProperties": false,
	"properties": {
		"age": {"type": "integer"},
		"price": {"type": "number"},
		"active": {"type": "boolean"},
		"zip": {"type": "string"},
		"tags": {"type": "array", "items": {"type": "string"}},
		"mood": {"enum": ["positive", "negative", "neutral"]},
		"size": {"enum": ["S", "s", "M"]},
		"level": {"const": "high"},
		"score": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
		"id": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[a-z]+$"}]},
		"owner": {"$ref": "#/$defs/person"},
		"people": {"type": "array", "items": {"$ref": "#/$defs/person"}},
		"meta": {"type": "object"},
		"range": {"type": "integer", "maximum": 10}
	},
	"$defs": {
		"person": {
			"type": "object",
			"required": ["name", "age"],
			"additionalProperties": false,
			"properties": {"name": {"type": "string"}, "age": {"type": "integer"}}
		}
	}
}`

func TestCoerce(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	tests := []struct {
		name  string
		in    string
		want  string
		kinds []Kind
	}{
		// The rules.
		{"string to integer", `{"age": "30"}`, `{"age": 30}`, k(KindStringToInteger)},
		{"string to integer with spaces", `{"age": " 30 "}`, `{"age": 30}`, k(KindStringToInteger)},
		{"string to number", `{"price": "4.5"}`, `{"price": 4.5}`, k(KindStringToNumber)},
		{"currency and thousands", `{"price": "$1,299.50"}`, `{"price": 1299.5}`, k(KindStringToNumber)},
		{"negative euro", `{"price": "-€3"}`, `{"price": -3}`, k(KindStringToNumber)},
		{"exponent", `{"price": "1e3"}`, `{"price": 1000}`, k(KindStringToNumber)},
		{"yes", `{"active": "yes"}`, `{"active": true}`, k(KindStringToBoolean)},
		{"TRUE", `{"active": "TRUE"}`, `{"active": true}`, k(KindStringToBoolean)},
		{"no", `{"active": "No"}`, `{"active": false}`, k(KindStringToBoolean)},
		{"false", `{"active": "false"}`, `{"active": false}`, k(KindStringToBoolean)},
		{"number to string", `{"zip": 12345}`, `{"zip": "12345"}`, k(KindNumberToString)},
		{"wrap in array", `{"tags": "a"}`, `{"tags": ["a"]}`, k(KindWrapInArray)},
		{"wrap and coerce the item", `{"tags": 7}`, `{"tags": ["7"]}`, k(KindWrapInArray, KindNumberToString)},
		{"enum case", `{"mood": "Positive"}`, `{"mood": "positive"}`, k(KindEnumCase)},
		{"enum spaces", `{"mood": " neutral  "}`, `{"mood": "neutral"}`, k(KindEnumCase)},
		{"const case", `{"level": "HIGH"}`, `{"level": "high"}`, k(KindEnumCase)},
		{"unknown field dropped", `{"age": 3, "nickname": "x"}`, `{"age": 3}`, k(KindDropUnknownField)},
		{"nullable", `{"score": "7"}`, `{"score": 7}`, k(KindStringToInteger)},
		{"anyOf first that works", `{"id": "42"}`, `{"id": 42}`, k(KindStringToInteger)},
		{"ref", `{"owner": {"name": "Ada", "age": "36"}}`, `{"owner": {"name": "Ada", "age": 36}}`, k(KindStringToInteger)},
		{"array of refs", `{"people": [{"name": "A", "age": 1}, {"name": "B", "age": "2", "x": 0}]}`,
			`{"people": [{"name": "A", "age": 1}, {"name": "B", "age": 2}]}`, k(KindStringToInteger, KindDropUnknownField)},
		{"embedded object", `{"meta": "{\"a\": 1}"}`, `{"meta": {"a": 1}}`, k(KindParseEmbedded)},
		{"converted but out of range", `{"range": "30"}`, `{"range": 30}`, k(KindStringToInteger)},

		// The never rules.
		{"never thirty", `{"age": "thirty"}`, `{"age": "thirty"}`, nil},
		{"never a fraction for an integer", `{"age": "4.5"}`, `{"age": "4.5"}`, nil},
		{"never a number with trailing words", `{"price": "12 dollars"}`, `{"price": "12 dollars"}`, nil},
		{"never badly grouped thousands", `{"price": "1,29"}`, `{"price": "1,29"}`, nil},
		{"never maybe", `{"active": "maybe"}`, `{"active": "maybe"}`, nil},
		{"never a leading zero", `{"age": "007", "price": "000"}`, `{"age": "007", "price": "000"}`, nil},
		{"never a number to boolean", `{"active": 1}`, `{"active": 1}`, nil},
		{"never guess between enum values", `{"size": "S"}`, `{"size": "S"}`, nil},
		{"never guess between two matches", `{"size": " s"}`, `{"size": " s"}`, nil},
		{"never an enum near-miss", `{"mood": "positiv"}`, `{"mood": "positiv"}`, nil},
		{"never fill a missing field", `{"owner": {"name": "Ada"}}`, `{"owner": {"name": "Ada"}}`, nil},
		{"never touch a valid value", `{"zip": "007", "age": 7, "tags": ["1"]}`, `{"zip": "007", "age": 7, "tags": ["1"]}`, nil},
		{"never wrap null", `{"tags": null}`, `{"tags": null}`, nil},
		{"never null to a string", `{"zip": null}`, `{"zip": null}`, nil},
		{"never a valid anyOf alternative", `{"id": "abc"}`, `{"id": "abc"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustDecode(t, tt.in)
			got, fixes := Coerce(in, s)
			if !corpus.Equal(got, mustDecode(t, tt.want)) {
				t.Errorf("Coerce(%s) = %s, want %s", tt.in, mustJSON(got), tt.want)
			}
			if !slices.Equal(kinds(fixes), tt.kinds) {
				t.Errorf("kinds = %v, want %v", kinds(fixes), tt.kinds)
			}
			for _, f := range fixes {
				if f.Offset != -1 || f.Path == "" {
					t.Errorf("fix %s: want a path and offset -1", f)
				}
			}
			if !corpus.Equal(in, mustDecode(t, tt.in)) {
				t.Errorf("Coerce changed its input to %s", mustJSON(in))
			}
		})
	}
}

func TestCoerceFixRecord(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	_, fixes := Coerce(mustDecode(t, `{"people": [{"name": "B", "age": "2"}]}`), s)
	want := []Fix{{Path: "/people/0/age", Offset: -1, Kind: KindStringToInteger, Before: `"2"`, After: "2"}}
	if !slices.Equal(fixes, want) {
		t.Errorf("fixes = %v, want %v", fixes, want)
	}
	if got := fixes[0].String(); got != `/people/0/age: string_to_integer: "2" → 2` {
		t.Errorf("String() = %q", got)
	}
}

// TestCoerceSharesUnchanged: Coerce returns its input when nothing
// changes, and shares unchanged parts otherwise.
func TestCoerceSharesUnchanged(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	in := mustDecode(t, `{"age": 1, "people": [{"name": "A", "age": 1}]}`).(map[string]any)
	out, fixes := Coerce(in, s)
	if fixes != nil || out.(map[string]any)["people"].([]any)[0].(map[string]any)["age"] != in["people"].([]any)[0].(map[string]any)["age"] {
		t.Fatalf("valid value changed: %v", fixes)
	}
	in["age"] = "2"
	out, _ = Coerce(in, s)
	if in["age"] != "2" {
		t.Error("input modified")
	}
	people := out.(map[string]any)["people"].([]any)
	if &people[0] != &in["people"].([]any)[0] {
		t.Error("unchanged array not shared")
	}
}

func TestCoerceRoot(t *testing.T) {
	tests := []struct {
		schema, in, want string
		kinds            []Kind
	}{
		{`{"type": "integer"}`, `"12"`, `12`, k(KindStringToInteger)},
		{`{"type": "array", "items": {"type": "integer"}}`, `"3"`, `[3]`, k(KindWrapInArray, KindStringToInteger)},
		{`{"type": ["integer", "null"]}`, `"5"`, `5`, k(KindStringToInteger)},
		{`{"type": "object"}`, `"[1]"`, `"[1]"`, nil},
		{`{"type": "array"}`, `"[1]"`, `[1]`, k(KindParseEmbedded)},
		{`{"enum": [1, 2, 3]}`, `"2"`, `2`, k(KindStringToNumber)},
		{`{"enum": ["1", "2"]}`, `2`, `"2"`, k(KindNumberToString)},
		{`{"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"required": ["a"]}]}`, `{"a": "1"}`, `{"a": 1}`, k(KindStringToInteger)},
		{`{"oneOf": [{"type": "boolean"}, {"type": "integer"}]}`, `"yes"`, `true`, k(KindStringToBoolean)},
		{`{"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": {"type": "boolean"}}`,
			`["1", 2, "no"]`, `[1, "2", false]`, k(KindStringToInteger, KindNumberToString, KindStringToBoolean)},
		{`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "items": [{"type": "integer"}], "additionalItems": {"type": "string"}}`,
			`["1", 2]`, `[1, "2"]`, k(KindStringToInteger, KindNumberToString)},
		{`{"enum": [{"a": 1}, [1, 2], "x"]}`, `{"a": 1}`, `{"a": 1}`, nil},
		{`{"enum": [{"a": 1}, [1, 2], "x"]}`, `" X "`, `"x"`, k(KindEnumCase)},
		{`{"type": "object", "patternProperties": {"^n_": {"type": "number"}}, "additionalProperties": false}`,
			`{"n_a": "1.5", "other": 1}`, `{"n_a": 1.5}`, k(KindStringToNumber, KindDropUnknownField)},
		{`{"type": "object", "additionalProperties": {"type": "integer"}}`, `{"a": "1"}`, `{"a": 1}`, k(KindStringToInteger)},
	}
	for _, tt := range tests {
		s := schema.MustCompile(tt.schema)
		got, fixes := Coerce(mustDecode(t, tt.in), s)
		if !corpus.Equal(got, mustDecode(t, tt.want)) || !slices.Equal(kinds(fixes), tt.kinds) {
			t.Errorf("%s with %s: got %s %v, want %s %v", tt.in, tt.schema, mustJSON(got), kinds(fixes), tt.want, tt.kinds)
		}
	}
	if v, fixes := Coerce("x", nil); v != "x" || fixes != nil {
		t.Error("nil schema changed something")
	}
}

// TestCoerceGoValues: values decoded without UseNumber (float64) work too.
func TestCoerceGoValues(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	var v any
	if err := json.Unmarshal([]byte(`{"zip": 12345, "age": "3"}`), &v); err != nil {
		t.Fatal(err)
	}
	got, _ := Coerce(v, s)
	if m := got.(map[string]any); m["zip"] != "12345" || m["age"] != json.Number("3") {
		t.Errorf("got %#v", got)
	}
}

// TestParseCoercesAndKeepsOrder: Parse applies coercion and writes the
// document with its members in their original order.
func TestParseCoercesAndKeepsOrder(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	res, err := Parse([]byte(`{"zip": 1, "age": "30", "tags": "x", "extra": true, "mood": "Positive"}`), Options{Schema: s})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.JSON) != `{"zip":"1","age":30,"tags":["x"],"mood":"positive"}` {
		t.Errorf("JSON = %s", res.JSON)
	}
	if got := kinds(res.Fixes); !slices.Equal(got, k(KindStringToInteger, KindDropUnknownField, KindEnumCase, KindWrapInArray, KindNumberToString)) {
		t.Errorf("kinds = %v", got)
	}
	if vs := s.Validate(res.Value); len(vs) != 0 {
		t.Errorf("still invalid: %v", vs)
	}
}

func TestIsIntegral(t *testing.T) {
	for n, want := range map[string]bool{
		"30": true, "30.0": true, "30.5": false, "3e1": true, "3.5e1": true, "3.55e1": false,
		"300e-2": true, "310e-2": false, "0e-5": true, "1e999999999": true, "1.5e-999999999": false,
		"0.0": true, "-0": true, "100e-3": false, "1000e-3": true, "1e99999999999999999999": false,
	} {
		if got := isIntegral(json.Number(n)); got != want {
			t.Errorf("isIntegral(%s) = %v", n, got)
		}
	}
}

// TestCoerceHugeExponent: numbers with absurd exponents are handled
// without computing them.
func TestCoerceHugeExponent(t *testing.T) {
	s := schema.MustCompile(`{"type": "object", "properties": {"a": {"type": "integer"}, "e": {"enum": [1, 2]}}}`)
	got, fixes := Coerce(mustDecode(t, `{"a": "1e999999999", "e": 1e999999999}`), s)
	if m := got.(map[string]any); m["a"] != json.Number("1e999999999") || len(fixes) != 1 {
		t.Errorf("got %v %v", got, fixes)
	}
}

// TestParseReportsValid checks Result.Valid, which lets the caller skip a
// second validation: true only when the value was checked against the
// schema and passed as it stands.
func TestParseReportsValid(t *testing.T) {
	s := schema.MustCompile(coerceSchema)
	cases := []struct {
		name  string
		input string
		opts  Options
		want  bool
	}{
		{"valid as sent", `{"age": 30}`, Options{Schema: s}, true},
		{"valid after repairing syntax", "```json\n{'age': 30,}\n```", Options{Schema: s}, true},
		{"valid inside a double-encoded document", `"{\"age\": 30}"`, Options{Schema: s}, true},
		{"coerced: not checked after the change", `{"age": "30"}`, Options{Schema: s}, false},
		{"invalid, cannot coerce", `{"age": "thirty"}`, Options{Schema: s}, false},
		{"no schema", `{"age": 30}`, Options{}, false},
		{"syntax only: no coercion, no check", `{"age": 30}`, Options{Schema: s, Level: SyntaxOnly}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Parse([]byte(c.input), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid != c.want {
				t.Errorf("Valid = %v, want %v", res.Valid, c.want)
			}
			if res.Valid {
				if vs := s.Validate(res.Value); len(vs) != 0 {
					t.Errorf("Valid but the value fails: %v", vs)
				}
			}
		})
	}
}
