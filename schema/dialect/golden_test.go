package dialect_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var allDialects = []dialect.Dialect{dialect.OpenAI, dialect.OpenAIStrict, dialect.Anthropic, dialect.AnthropicStrict,
	dialect.GeminiJSONSchema, dialect.GeminiSchema}

// families are the dialects a provider starts from (Select picks the
// strict or loose form).
var families = []dialect.Dialect{dialect.OpenAI, dialect.Anthropic, dialect.GeminiJSONSchema, dialect.GeminiSchema}

// expectedProblems are the corpus schemas that a dialect cannot say at
// all, and the keyword its check names: a map or a free-form object for
// Gemini's legacy schema, a root that is not an object for Anthropic.
var expectedProblems = map[string]map[dialect.Dialect]string{
	"map-labels":         {dialect.GeminiSchema: "properties"},
	"free-form-metadata": {dialect.GeminiSchema: "properties"},
	"root-array":         {dialect.Anthropic: "type"},
}

func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/schemas/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("the corpus has %d schemas, want at least 30", len(files))
	}
	out := map[string][]byte{}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = doc
	}
	return out
}

type goldenResult struct {
	Dialect   string            `json:"dialect"`
	Strict    bool              `json:"strict"`
	Schema    json.RawMessage   `json:"schema"`
	Relaxed   []dialect.Change  `json:"relaxed,omitempty"`
	Rewritten []dialect.Change  `json:"rewritten,omitempty"`
	Problems  []dialect.Problem `json:"problems,omitempty"`
}

// TestGolden rewrites every schema of the corpus for every dialect and
// compares with testdata/golden (go test -update rewrites them). Every
// rewrite that a provider would be sent — Select with StrictAuto for each
// provider — passes that dialect's check, but for the few schemas a
// dialect cannot say (expectedProblems); a strict result passes the strict
// check; and the rewrites in JSON Schema dialects are valid JSON Schemas.
func TestGolden(t *testing.T) {
	for name, doc := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := schema.Compile(doc); err != nil {
				t.Fatalf("the corpus schema does not compile: %v", err)
			}
			var results []goldenResult
			for _, d := range allDialects {
				r, err := dialect.Rewrite(doc, d)
				if err != nil {
					t.Fatalf("%s: %v", d, err)
				}
				results = append(results, goldenResult{Dialect: d.String(), Strict: r.Strict, Schema: r.Schema,
					Relaxed: r.Relaxed, Rewritten: r.Rewritten, Problems: r.Problems})
				probs, err := dialect.Check(r.Schema, d)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(probs, r.Problems) {
					t.Errorf("%s: Result.Problems %v, Check %v", d, r.Problems, probs)
				}
				if d != dialect.GeminiSchema {
					if _, err := schema.Compile(r.Schema); err != nil {
						t.Errorf("%s: the rewrite is not a valid JSON Schema: %v\n%s", d, err, r.Schema)
					}
				}
			}
			for _, f := range families {
				r, err := dialect.Select(doc, f, dialect.StrictAuto)
				if err != nil {
					t.Fatalf("Select %s: %v", f, err)
				}
				results = append(results, goldenResult{Dialect: "select " + f.String() + " → " + r.Dialect.String(), Strict: r.Strict})
				probs, _ := dialect.Check(r.Schema, r.Dialect)
				want := expectedProblems[name][r.Dialect]
				switch {
				case want == "" && len(probs) > 0:
					t.Errorf("Select %s: the %s rewrite breaks its rules: %v\n%s", f, r.Dialect, probs, r.Schema)
				case want != "" && (len(probs) == 0 || probs[0].Keyword != want):
					t.Errorf("Select %s: want a %q problem, got %v", f, want, probs)
				}
				if r.Strict != r.Dialect.IsStrict() {
					t.Errorf("Select %s: Strict %v for dialect %s", f, r.Strict, r.Dialect)
				}
			}
			got, err := json.MarshalIndent(results, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the rewrites differ from %s (go test -update rewrites it after review):\n%s", path, got)
			}
		})
	}
}

// TestStrictCorpus pins which corpus schemas qualify for each strict mode:
// a change in the rules that turns strict off (or on) for one of them
// shows here.
func TestStrictCorpus(t *testing.T) {
	notOpenAI := []string{"free-form-metadata", "map-labels", "pattern-properties", "root-array", "deep-nesting"}
	notAnthropic := []string{"free-form-metadata", "map-labels", "pattern-properties", "root-array",
		"pydantic-recursive", "linked-list", "tree-root-recursion"}
	for name, doc := range corpus(t) {
		for _, c := range []struct {
			d   dialect.Dialect
			not []string
		}{{dialect.OpenAIStrict, notOpenAI}, {dialect.AnthropicStrict, notAnthropic}} {
			r, err := dialect.Rewrite(doc, c.d)
			if err != nil {
				t.Fatal(err)
			}
			if want := !slices.Contains(c.not, name); r.Strict != want {
				t.Errorf("%s %s: Strict %v, want %v (relaxed %v, problems %v)", name, c.d, r.Strict, want, r.Relaxed, r.Problems)
			}
		}
	}
}
