package gemini_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/provider/gemini"
	"github.com/reask/reask/schema/dialect"
)

// TestPrepareSchema: a schema not yet in the dialect is sent as package
// schema/dialect rewrites it, with its changes; one already in it is sent
// as it is, but for the propertyOrdering the legacy dialect needs.
func TestPrepareSchema(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect gemini.Dialect
		in      string
		want    string // "" is dialect.Rewrite's output and changes
	}{
		{"json schema: rewritten ($schema out, additionalProperties false kept, const as an enum)", gemini.DialectJSONSchema,
			`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"b":{"type":"string","format":"email"},"a":{"const":1}},"additionalProperties":false}`,
			""},
		{"json schema already in the dialect: byte for byte", gemini.DialectJSONSchema,
			`{"type": "object", "properties": {"$schema": {"type": "string"}}}`,
			`{"type": "object", "properties": {"$schema": {"type": "string"}}}`},
		{"legacy: references inlined, nulls nullable, const an enum, formats described", gemini.DialectLegacy,
			`{"$defs":{"addr":{"type":"object","properties":{"city":{"type":["string","null"]}}}},"type":"object","properties":{"home":{"$ref":"#/$defs/addr"},"kind":{"const":"person"},"mail":{"type":"string","format":"email"}},"additionalProperties":false}`,
			""},
		{"legacy: a recursion is unrolled, not refused", gemini.DialectLegacy,
			`{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}`,
			""},
		{"legacy: a Schema object gets its propertyOrdering, and nothing else changes", gemini.DialectLegacy,
			`{"type":"OBJECT","properties":{"b":{"type":"STRING","nullable":true},"a":{"type":"ARRAY","items":{"type":"OBJECT","properties":{"y":{"type":"STRING"},"x":{"type":"STRING"}}}}},"required":["b"]}`,
			`{"type":"OBJECT","properties":{"b":{"type":"STRING","nullable":true},"a":{"type":"ARRAY","items":{"type":"OBJECT","properties":{"y":{"type":"STRING"},"x":{"type":"STRING"}},"propertyOrdering":["y","x"]}}},"required":["b"],"propertyOrdering":["b","a"]}`},
		{"legacy: a JSON Schema the Schema object takes as it is: only propertyOrdering", gemini.DialectLegacy,
			`{"type":"object","properties":{"additionalProperties":{"type":"boolean"},"$ref":{"type":"string"}},"required":["$ref"]}`,
			`{"type":"object","properties":{"additionalProperties":{"type":"boolean"},"$ref":{"type":"string"}},"required":["$ref"],"propertyOrdering":["additionalProperties","$ref"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := json.RawMessage(tc.in)
			before := string(in)
			got, changes, err := gemini.PrepareSchema(in, tc.dialect)
			if err != nil {
				t.Fatal(err)
			}
			want, wantChanges := tc.want, []dialect.Change(nil)
			if want == "" {
				d := dialect.GeminiJSONSchema
				if tc.dialect == gemini.DialectLegacy {
					d = dialect.GeminiSchema
				}
				r, err := dialect.Rewrite(in, d)
				if err != nil {
					t.Fatal(err)
				}
				want, wantChanges = string(r.Schema), append(r.Relaxed, r.Rewritten...)
				if want == tc.in || len(wantChanges) == 0 {
					t.Fatalf("the case is meant to need a rewrite: %s", want)
				}
			}
			if string(got) != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if g, w := changeText(changes), changeText(wantChanges); g != w {
				t.Errorf("changes:\n%s\nwant:\n%s", g, w)
			}
			if string(in) != before {
				t.Error("the schema given was changed")
			}
		})
	}
}

// TestPrepareSchemaKeepsTheLoopsRewrite: what reask's loop sends the
// provider — the task's schema rewritten by schema/dialect for the
// dialect SchemaTarget names — goes out byte for byte, for every schema
// of the dialect package's corpus, including the ones the legacy dialect
// cannot fully say (maps): rewriting it a second time would lose what the
// first rewrite wrote (nullable, the Schema object's formats).
func TestPrepareSchemaKeepsTheLoopsRewrite(t *testing.T) {
	files, err := filepath.Glob("../../schema/dialect/testdata/schemas/*.json")
	if err != nil || len(files) < 30 {
		t.Fatalf("the corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []gemini.Dialect{gemini.DialectJSONSchema, gemini.DialectLegacy} {
			sd := dialect.GeminiJSONSchema
			if d == gemini.DialectLegacy {
				sd = dialect.GeminiSchema
			}
			r, err := dialect.Rewrite(doc, sd)
			if err != nil {
				t.Fatal(err)
			}
			got, changes, err := gemini.PrepareSchema(r.Schema, d)
			if err != nil {
				t.Errorf("%s, %s: %v", filepath.Base(f), d, err)
				continue
			}
			if string(got) != string(r.Schema) || len(changes) > 0 {
				t.Errorf("%s, %s: the loop's rewrite was changed:\n sent %s\n  was %s\n%s", filepath.Base(f), d, got, r.Schema, changeText(changes))
			}
		}
	}
}

// TestPrepareSchemaRefuses: a schema that cannot be read is an error
// that says what, before anything is sent.
func TestPrepareSchemaRefuses(t *testing.T) {
	deep := strings.Repeat(`{"items":`, dialect.MaxDepth+1) + `{}` + strings.Repeat(`}`, dialect.MaxDepth+1)
	for _, tc := range []struct {
		name, in, want string
		is             error
	}{
		{"not JSON", `{"type":`, "reading the schema", dialect.ErrNotJSON},
		{"two values", `{} {}`, "reading the schema", dialect.ErrNotJSON},
		{"not an object", `[1]`, "not a JSON object", nil},
		{"nested too deeply", deep, "reading the schema", dialect.ErrTooDeep},
	} {
		for _, d := range []gemini.Dialect{gemini.DialectJSONSchema, gemini.DialectLegacy} {
			t.Run(tc.name+"/"+d.String(), func(t *testing.T) {
				_, _, err := gemini.PrepareSchema(json.RawMessage(tc.in), d)
				if err == nil || !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("error %v, want %q", err, tc.want)
				}
			})
		}
	}
}

func changeText(cs []dialect.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, "\n")
}
