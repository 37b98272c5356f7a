package repair

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/reask/reask/repair/internal/corpus"
	"github.com/reask/reask/schema"
)

// The fuzz targets follow encoding/json's round-trip pattern: whatever the
// input, repair must not panic; what it returns must be valid JSON that
// decodes to the value it reports; and repairing that output must give it
// back unchanged. Crashers go to testdata/fuzz.

func addSeeds(f *testing.F) {
	for _, s := range []string{
		`{"a": 1}`, "```json\n{a: 'b',}\n```", `[1, 2`, `{"a": "b\nc"}`, `"{\"a\": 1}"`,
		`{\"a\": 1}`, `[True, None, NaN]`, `{"a": [1, 2}`, `callback({"a": 1});`, "\xff\xfe",
		`{"a": "C:\dir"}`, `[‘a’, “b”]`, `{"a": 1} {"b": 2}`, `(1, 2)`, `/re/g`,
	} {
		f.Add([]byte(s))
	}
	for _, name := range corpus.Files {
		cases, err := corpus.Load(filepath.Join(corpusDir, name))
		if err != nil {
			return
		}
		for i, c := range cases {
			if i%3 == 0 { // a third of each corpus keeps seeding quick
				f.Add([]byte(c.Input))
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRepairProperties(t, in)
		// Valid JSON (in UTF-8, not a string holding a document) comes
		// back as it was.
		trimmed := bytes.TrimSpace(in)
		if json.Valid(in) && utf8.Valid(in) && trimmed[0] != '"' {
			res, err := Parse(in, Options{})
			if errors.Is(err, ErrTooDeep) {
				return
			}
			if err != nil || !bytes.Equal(res.JSON, trimmed) || len(res.Fixes) != 0 {
				t.Fatalf("valid JSON %q: %v %v", in, res, err)
			}
		}
	})
}

// FuzzValid: Valid is encoding/json's Valid restricted to UTF-8.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,true,null,"x\u00e9"]}`, ` [] `, `{"a":1,}`, "\"\xff\"", `1 2`, `"\u12"`, `-01`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := json.Valid(in) && utf8.Valid(in)
		if got := Valid(in); got != want {
			t.Fatalf("Valid(%q) = %v, want %v", in, got, want)
		}
	})
}

// FuzzCoerce feeds coercion random values against a schema that uses
// every rule: it must not panic, must not modify its input, and must be
// idempotent.
func FuzzCoerce(f *testing.F) {
	for _, s := range []string{
		`{"age": "30", "tags": "a", "mood": " Positive", "x": 1}`, `{"people": [{"age": "1", "q": 2}]}`,
		`{"score": "7", "id": "42", "meta": "{\"a\": 1}"}`, `[1, 2]`, `"30"`, `{"price": "$1,299.50"}`,
	} {
		f.Add([]byte(s))
	}
	s := schema.MustCompile(coerceSchema)
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := corpus.Decode(in)
		if err != nil {
			return
		}
		before := mustJSON(v)
		out, fixes := Coerce(v, s)
		if mustJSON(v) != before {
			t.Fatalf("Coerce modified its input %s", in)
		}
		if len(fixes) == 0 && mustJSON(out) != before {
			t.Fatalf("%s changed to %s without a fix", in, mustJSON(out))
		}
		again, fixes2 := Coerce(out, s)
		if len(fixes2) != 0 {
			t.Fatalf("not idempotent: %s → %s → %s (%v)", in, mustJSON(out), mustJSON(again), fixes2)
		}
	})
}
