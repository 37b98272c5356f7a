package dialect_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
)

const optionalSchema = `{"type":"object","properties":{
 "name":{"type":"string"},
 "nick":{"type":"string","maxLength":10},
 "tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"},"note":{"enum":["a","b"]}},"required":["k"]}},
 "pet":{"$ref":"#/$defs/Pet"},
 "maybe":{"type":["string","null"]}},
 "required":["name"],
 "$defs":{"Pet":{"type":"object","properties":{"kind":{"const":"cat"},"age":{"type":"integer"}},"required":["kind"]}}}`

// TestAbsent: OpenAI's strict form makes optional properties required and
// nullable; Absent removes the nulls the model writes for them, and only
// those — a null the user's schema allows stays — so that the answer is
// valid against the user's schema.
func TestAbsent(t *testing.T) {
	r, err := dialect.Rewrite([]byte(optionalSchema), dialect.OpenAIStrict)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Strict {
		t.Fatalf("not strict: %v %v", r.Relaxed, r.Problems)
	}
	answer := `{"name":"Ann","nick":null,"tags":[{"k":"x","note":null},{"k":"y","note":"a"}],"pet":{"kind":"cat","age":null},"maybe":null}`
	strictSchema := schema.MustCompile(string(r.Schema))
	var v any
	if err := json.Unmarshal([]byte(answer), &v); err != nil {
		t.Fatal(err)
	}
	if vs := strictSchema.Validate(v); len(vs) > 0 {
		t.Fatalf("the answer is not valid against the strict rewrite: %v", vs)
	}
	user := schema.MustCompile(optionalSchema)
	if vs := user.Validate(v); len(vs) == 0 {
		t.Fatal("the answer with nulls is valid against the user's schema; the test proves nothing")
	}
	before, _ := json.Marshal(v)
	got, text, removed := r.Absent(v, []byte(answer))
	if after, _ := json.Marshal(v); string(after) != string(before) {
		t.Errorf("Absent modified its input: %s", after)
	}
	want := []string{"/nick", "/pet/age", "/tags/0/note"}
	slices.Sort(removed)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	if vs := user.Validate(got); len(vs) > 0 {
		t.Errorf("after Absent the answer is still invalid: %v", vs)
	}
	if m := got.(map[string]any); m["maybe"] != nil || !hasKey(m, "maybe") {
		t.Errorf("a null the user's schema allows was removed: %v", m)
	}
	wantText := `{"name":"Ann","tags":[{"k":"x"},{"k":"y","note":"a"}],"pet":{"kind":"cat"},"maybe":null}`
	if string(text) != wantText {
		t.Errorf("text %s\nwant %s", text, wantText)
	}
	// Nothing to remove: the input comes back as it is.
	clean := map[string]any{"name": "Bo"}
	if got, text, removed := r.Absent(clean, []byte(`{"name": "Bo"}`)); removed != nil || string(text) != `{"name": "Bo"}` || got.(map[string]any)["name"] != "Bo" {
		t.Errorf("clean answer changed: %v %s %v", got, text, removed)
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// TestAbsentLooseDialects: only OpenAI's strict form adds nulls.
func TestAbsentLooseDialects(t *testing.T) {
	for _, d := range []dialect.Dialect{dialect.OpenAI, dialect.AnthropicStrict, dialect.GeminiJSONSchema, dialect.GeminiSchema} {
		r, err := dialect.Rewrite([]byte(optionalSchema), d)
		if err != nil {
			t.Fatal(err)
		}
		v := map[string]any{"name": "Ann", "nick": nil}
		if _, _, removed := r.Absent(v, nil); removed != nil {
			t.Errorf("%s removed %v", d, removed)
		}
	}
}

func TestSelect(t *testing.T) {
	mapSchema := []byte(`{"type":"object","properties":{"labels":{"type":"object","additionalProperties":{"type":"string"}}},"required":["labels"]}`)
	plain := []byte(`{"type":"object","properties":{"a":{"type":"string","minLength":2}},"required":["a"]}`)
	cases := []struct {
		name    string
		doc     []byte
		d       dialect.Dialect
		s       dialect.Strict
		dialect dialect.Dialect
		strict  bool
		blocked string // pointer of a Blocked change, if any
		err     bool
	}{
		{"auto qualifies", plain, dialect.OpenAI, dialect.StrictAuto, dialect.OpenAIStrict, true, "", false},
		{"auto from the strict form", plain, dialect.OpenAIStrict, dialect.StrictAuto, dialect.OpenAIStrict, true, "", false},
		{"auto falls back", mapSchema, dialect.OpenAI, dialect.StrictAuto, dialect.OpenAI, false, "/properties/labels/additionalProperties", false},
		{"anthropic auto falls back", mapSchema, dialect.Anthropic, dialect.StrictAuto, dialect.Anthropic, false, "/properties/labels/additionalProperties", false},
		{"off", plain, dialect.OpenAI, dialect.StrictOff, dialect.OpenAI, false, "", false},
		{"on refuses", mapSchema, dialect.OpenAI, dialect.StrictOn, 0, false, "", true},
		{"on qualifies", plain, dialect.Anthropic, dialect.StrictOn, dialect.AnthropicStrict, true, "", false},
		{"gemini ignores strict", plain, dialect.GeminiJSONSchema, dialect.StrictOn, dialect.GeminiJSONSchema, false, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := dialect.Select(c.doc, c.d, c.s)
			if c.err {
				var ne *dialect.NotStrictError
				if !errors.As(err, &ne) || !errors.Is(err, dialect.ErrNotStrict) || len(ne.Blockers) == 0 {
					t.Fatalf("err %v, want a *NotStrictError", err)
				}
				if !strings.Contains(err.Error(), "/properties/labels") {
					t.Errorf("the error does not say where: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Dialect != c.dialect || r.Strict != c.strict {
				t.Errorf("dialect %s strict %v, want %s %v", r.Dialect, r.Strict, c.dialect, c.strict)
			}
			var blocked []string
			for _, ch := range r.Relaxed {
				if ch.Action == dialect.Blocked {
					blocked = append(blocked, ch.Pointer)
				}
			}
			if c.blocked == "" && blocked != nil || c.blocked != "" && !slices.Contains(blocked, c.blocked) {
				t.Errorf("blocked at %v, want %q", blocked, c.blocked)
			}
			if len(r.Problems) > 0 {
				t.Errorf("problems: %v", r.Problems)
			}
		})
	}
}

// TestRewriteKeepsOrder: a model answers in its schema's order of
// properties, so no rewrite reorders them.
func TestRewriteKeepsOrder(t *testing.T) {
	doc := []byte(`{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"string"},"m":{"type":"integer"}},"required":["z","a","m"]}`)
	for _, d := range []dialect.Dialect{dialect.OpenAIStrict, dialect.AnthropicStrict, dialect.GeminiJSONSchema, dialect.GeminiSchema} {
		r, err := dialect.Rewrite(doc, d)
		if err != nil {
			t.Fatal(err)
		}
		s := string(r.Schema)
		if !(strings.Index(s, `"z"`) < strings.Index(s, `"a"`) && strings.Index(s, `"a"`) < strings.Index(s, `"m"`)) {
			t.Errorf("%s reordered the properties: %s", d, s)
		}
	}
}

func TestRewriteErrors(t *testing.T) {
	if _, err := dialect.Rewrite([]byte(`{"type":`), dialect.OpenAIStrict); !errors.Is(err, dialect.ErrNotJSON) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := dialect.Rewrite([]byte(`{} {}`), dialect.OpenAIStrict); !errors.Is(err, dialect.ErrNotJSON) {
		t.Errorf("two values: %v", err)
	}
	deep := strings.Repeat(`{"items":`, dialect.MaxDepth+1) + `{}` + strings.Repeat(`}`, dialect.MaxDepth+1)
	if _, err := dialect.Rewrite([]byte(deep), dialect.GeminiSchema); !errors.Is(err, dialect.ErrTooDeep) {
		t.Errorf("deep: %v", err)
	}
	if _, err := dialect.Parse("gpt"); !errors.Is(err, dialect.ErrUnknown) {
		t.Errorf("Parse: %v", err)
	}
	if _, err := dialect.ParseStrict("maybe"); !errors.Is(err, dialect.ErrUnknown) {
		t.Errorf("ParseStrict: %v", err)
	}
	for _, d := range []dialect.Dialect{dialect.OpenAI, dialect.OpenAIStrict, dialect.Anthropic, dialect.AnthropicStrict, dialect.GeminiJSONSchema, dialect.GeminiSchema} {
		if p, err := dialect.Parse(d.String()); err != nil || p != d {
			t.Errorf("Parse(%q) = %v, %v", d, p, err)
		}
	}
}

// TestProblemContext renders pointers as OpenAI's messages do.
func TestProblemContext(t *testing.T) {
	for p, want := range map[string]string{"": "()", "/items": "('items',)", "/properties/a~1b/items": "('properties', 'a/b', 'items')"} {
		if got := (dialect.Problem{Pointer: p}).Context(); got != want {
			t.Errorf("%q: %s, want %s", p, got, want)
		}
	}
}

// FuzzRewrite: for any input, Rewrite and Check do not panic; what Rewrite
// returns is JSON, and the same each time.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte(optionalSchema))
	f.Add([]byte(`{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`))
	f.Add([]byte(`{"allOf":[{"$ref":"#"},{"properties":{"x":{"oneOf":[true,false]}}}],"prefixItems":[{}],"items":false}`))
	f.Add([]byte(`{"type":["integer","null"],"exclusiveMinimum":1.5,"const":3,"enum":[1,null,{"a":1}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, d := range []dialect.Dialect{dialect.OpenAI, dialect.OpenAIStrict, dialect.Anthropic, dialect.AnthropicStrict, dialect.GeminiJSONSchema, dialect.GeminiSchema} {
			r, err := dialect.Rewrite(doc, d)
			if _, cerr := dialect.Check(doc, d); (cerr == nil) != (err == nil) {
				t.Fatalf("%s: Rewrite %v, Check %v", d, err, cerr)
			}
			if err != nil {
				continue
			}
			if !json.Valid(r.Schema) {
				t.Fatalf("%s: not JSON: %s", d, r.Schema)
			}
			again, _ := dialect.Rewrite(doc, d)
			if string(again.Schema) != string(r.Schema) {
				t.Fatalf("%s: not deterministic:\n%s\n%s", d, r.Schema, again.Schema)
			}
			var v any
			_ = json.Unmarshal(doc, &v)
			r.Absent(v, doc)
		}
	})
}

// doublingDefs is a schema whose definitions each use the next twice:
// inlined, it would hold 2^n subschemas.
func doublingDefs(n int, wrap string) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{"x":{"$ref":"#/$defs/a0"}},"required":["x"],"$defs":{`)
	for i := 0; i < n; i++ {
		if wrap == "anyOf" {
			fmt.Fprintf(&b, `"a%d":{"anyOf":[{"$ref":"#/$defs/a%d"},{"$ref":"#/$defs/a%d"}]},`, i, i+1, i+1)
		} else {
			fmt.Fprintf(&b, `"a%d":{"type":"object","properties":{"l":{"$ref":"#/$defs/a%d"},"r":{"$ref":"#/$defs/a%d"}}},`, i, i+1, i+1)
		}
	}
	fmt.Fprintf(&b, `"a%d":{"type":"string"}}}`, n)
	return []byte(b.String())
}

// TestInliningIsBounded: Gemini's legacy schema inlines references, which
// grows exponentially for definitions that use one another; past
// MaxInlined the rewrite stops and says the schema is too large, and the
// checks stay linear (each definition counted once).
func TestInliningIsBounded(t *testing.T) {
	r, err := dialect.Rewrite(doublingDefs(40, "object"), dialect.GeminiSchema)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) == 0 || !strings.Contains(r.Problems[len(r.Problems)-1].Message, "too large") {
		t.Errorf("problems %v, want the schema too large", r.Problems)
	}
	for _, d := range []dialect.Dialect{dialect.OpenAIStrict, dialect.AnthropicStrict, dialect.GeminiJSONSchema} {
		if _, err := dialect.Check(doublingDefs(60, "anyOf"), d); err != nil {
			t.Fatal(err)
		}
	}
}
