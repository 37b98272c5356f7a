package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/schema"
)

const orderSchema = `{
  "title": "Order Info",
  "type": "object",
  "properties": {
    "customer": {"type": "string", "minLength": 1},
    "status": {"type": "string", "enum": ["new", "shipped"]},
    "rating": {"type": "number", "minimum": 1, "maximum": 5},
    "email": {"type": "string", "format": "email"},
    "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    "note": {"type": ["string", "null"]}
  },
  "required": ["customer", "status", "items"],
  "additionalProperties": false,
  "$defs": {
    "item": {
      "type": "object",
      "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}},
      "required": ["name", "qty"],
      "additionalProperties": false
    }
  }
}`

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestViolations(t *testing.T) {
	s := schema.MustCompile(orderSchema)
	tests := []struct {
		name, value string
		want        []string
	}{
		{"valid", `{"customer":"Ann","status":"new","items":[]}`, nil},
		{"missing fields", `{"items":[]}`, []string{
			"/customer: missing required field; expected string (at least 1 characters)",
			`/status: missing required field; expected one of "new", "shipped"`,
		}},
		{"wrong type", `{"customer":42,"status":"new","items":[]}`, []string{
			"/customer: wrong type: got 42 (number); expected string (at least 1 characters)",
		}},
		{"enum", `{"customer":"Ann","status":"New","items":[]}`, []string{
			`/status: not one of the allowed values: got "New"; expected one of "new", "shipped"`,
		}},
		{"extra field", `{"customer":"Ann","status":"new","items":[],"phone":"555"}`, []string{
			`/phone: unexpected field: got "555"; expected no such field; allowed fields: customer, email, items, note, rating, status`,
		}},
		{"nested through $ref", `{"customer":"Ann","status":"new","items":[{"name":"W","qty":"two"},{"qty":1}]}`, []string{
			`/items/0/qty: wrong type: got "two" (string); expected integer`,
			"/items/1/name: missing required field; expected string",
		}},
		{"range", `{"customer":"Ann","status":"new","items":[],"rating":7}`, []string{
			"/rating: too large: got 7 (number); expected number >= 1 and <= 5",
		}},
		{"format", `{"customer":"Ann","status":"new","items":[],"email":"nope"}`, []string{
			`/email: not a valid email: got "nope"; expected a string in email format`,
		}},
		{"nullable", `{"customer":"Ann","status":"new","items":[],"note":5}`, []string{
			"/note: wrong type: got 5 (number); expected string or null",
		}},
		{"root type", `[1]`, []string{"(root): wrong type: got [1] (array); expected object with fields customer, email, items, note, rating, status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range s.Validate(decode(t, tt.value)) {
				got = append(got, v.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			err := s.Check(decode(t, tt.value))
			var ve *schema.ValidationError
			if (err == nil) != (tt.want == nil) || (err != nil && !errors.As(err, &ve)) {
				t.Errorf("Check = %v", err)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{``, "the document is empty"},
		{`{"type":`, "not JSON"},
		{`[1,2]`, "must be a JSON object, got array"},
		{`{"type":"strin"}`, "at /type"},
		{`{"$ref":"https://example.com/s.json"}`, "only references inside the document"},
	}
	for _, tt := range tests {
		_, err := schema.Compile([]byte(tt.doc))
		if !errors.Is(err, schema.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%q) = %v, want ErrInvalid mentioning %q", tt.doc, err, tt.want)
		}
	}
}

func TestNameAndStrict(t *testing.T) {
	s := schema.MustCompile(orderSchema)
	if s.Name() != "Order_Info" {
		t.Errorf("name %q", s.Name())
	}
	if s.Strict() {
		t.Error("a schema with optional fields is not strict")
	}
	strict := schema.MustCompile(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`)
	if !strict.Strict() || strict.Name() != "result" {
		t.Errorf("strict %v name %q", strict.Strict(), strict.Name())
	}
}

type Person struct {
	Name     string    `json:"name" jsonschema:"description=Full name"`
	Age      int       `json:"age"`
	Nick     string    `json:"nick,omitempty"`
	Tags     []string  `json:"tags"`
	Born     time.Time `json:"born"`
	Address  *Address  `json:"address"`
	internal int       // unexported: not in the schema
}

var _ = Person{internal: 0}

type Address struct {
	City string `json:"city"`
}

func TestFor(t *testing.T) {
	s, err := schema.For[Person]()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "person" {
		t.Errorf("name %q", s.Name())
	}
	root := s.At("")
	if strings.Join(root.Required(), ",") != "name,age,tags,born,address" {
		t.Errorf("required %v", root.Required())
	}
	if got := s.At("/address/city").Describe(); got != "string" {
		t.Errorf("address/city: %q", got)
	}
	if got := s.At("/born").Describe(); got != "string (format date-time)" {
		t.Errorf("born: %q", got)
	}
	if strings.Contains(string(s.JSON()), "$schema") || strings.Contains(string(s.JSON()), "$id") {
		t.Errorf("schema carries $schema/$id: %s", s.JSON())
	}
	_, err = schema.For[struct{ C chan int }]()
	if !errors.Is(err, schema.ErrUnsupportedType) || !strings.Contains(err.Error(), ".C has type chan int") {
		t.Errorf("chan: %v", err)
	}
	_, err = schema.For[struct{ M map[float64]int }]()
	if !errors.Is(err, schema.ErrUnsupportedType) {
		t.Errorf("float keys: %v", err)
	}
	if _, err := schema.For[[]Person](); !errors.Is(err, schema.ErrUnsupportedType) {
		t.Errorf("slice root: %v", err)
	}
}

func TestExampleAndFragment(t *testing.T) {
	s := schema.MustCompile(orderSchema)
	tests := []struct{ path, example, fragment string }{
		{"/status", `"new"`, `{"enum":["new","shipped"],"type":"string"}`},
		{"/rating", `1`, `{"maximum":5,"minimum":1,"type":"number"}`},
		{"/email", `"name@example.com"`, `{"format":"email","type":"string"}`},
		{"/items/3/qty", `42`, `{"type":"integer"}`},
		{"/items", `[{"name":"text","qty":42}]`, `{"items":{"$ref":"#/$defs/item"},"type":"array"}`},
	}
	for _, tt := range tests {
		ex, _ := json.Marshal(s.At(tt.path).Example())
		if string(ex) != tt.example {
			t.Errorf("Example(%s) = %s, want %s", tt.path, ex, tt.example)
		}
		if frag := string(s.Fragment(tt.path)); frag != tt.fragment {
			t.Errorf("Fragment(%s) = %s, want %s", tt.path, frag, tt.fragment)
		}
	}
	if !s.At("/nope").IsZero() || s.Fragment("/nope") != nil {
		t.Error("unknown path resolved")
	}
}

func TestSubset(t *testing.T) {
	s := schema.MustCompile(orderSchema)
	sub, err := s.Subset([]string{"items", "status"})
	if err != nil {
		t.Fatal(err)
	}
	if vs := sub.Validate(decode(t, `{"items":[{"name":"W","qty":1}],"status":"new"}`)); vs != nil {
		t.Errorf("valid patch rejected: %v", vs)
	}
	if vs := sub.Validate(decode(t, `{"items":[],"status":"new","customer":"Ann"}`)); len(vs) != 1 || vs[0].Path != "/customer" {
		t.Errorf("patch with another field: %v", vs)
	}
	if _, err := s.Subset([]string{"nope"}); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestPointers(t *testing.T) {
	if got := schema.SplitPointer("/a~1b/c~0d/0"); strings.Join(got, "|") != "a/b|c~d|0" {
		t.Errorf("split %v", got)
	}
	if got := schema.JoinPointer("/x", "a/b~"); got != "/x/a~1b~0" {
		t.Errorf("join %q", got)
	}
	v := decode(t, `{"a":[{"b":1}]}`)
	if x, ok := schema.Lookup(v, "/a/0/b"); !ok || x.(json.Number) != "1" {
		t.Errorf("lookup %v %v", x, ok)
	}
	if _, ok := schema.Lookup(v, "/a/1"); ok {
		t.Error("out of range found")
	}
	if got := schema.Shorten("héllo wörld", 2); got != "h…" {
		t.Errorf("shorten %q", got)
	}
}

// TestZeroSchemaRefusesEverything: a Schema that was never compiled does
// not panic; it reports every value invalid, saying why.
func TestZeroSchemaRefusesEverything(t *testing.T) {
	for _, s := range []*schema.Schema{nil, {}} {
		vs := s.Validate(map[string]any{"a": 1})
		if len(vs) != 1 || !strings.Contains(vs[0].Problem, "never compiled") {
			t.Errorf("%v: violations %v", s, vs)
		}
	}
}
