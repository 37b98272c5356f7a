package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/sim/extract"
)

// TestCleanModelAccuracy runs the simulator's heuristics, without faults,
// over the data set: they must answer at least 98% of the items exactly.
func TestCleanModelAccuracy(t *testing.T) {
	items := Generate(1000, 7)
	parsed := map[string]*extract.Schema{}
	for _, name := range SchemaNames() {
		raw, _ := Schema(name)
		s, err := extract.ParseSchema(raw)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = s
	}
	exact := 0
	shown := 0
	for _, it := range items {
		want, err := extract.Parse(it.Gold)
		if err != nil {
			t.Fatal(err)
		}
		got := extract.Extract(parsed[it.Schema], it.Text)
		if extract.Equal(got, want) {
			exact++
			continue
		}
		if shown < 15 {
			shown++
			t.Logf("%s\ntext: %q\n got: %s\nwant: %s", it.ID, it.Text, extract.Marshal(got), it.Gold)
		}
	}
	rate := float64(exact) / float64(len(items))
	t.Logf("exact: %d/%d (%.1f%%)", exact, len(items), 100*rate)
	if rate < 0.98 {
		t.Errorf("exact answers %.1f%%, want at least 98%%", 100*rate)
	}
}

func TestGenerateIsPrefixStableAndDeterministic(t *testing.T) {
	a := Generate(40, 3)
	b := Generate(80, 3)
	for i := range a {
		if a[i].Text != b[i].Text || string(a[i].Gold) != string(b[i].Gold) || a[i].ID != b[i].ID {
			t.Fatalf("item %d differs between n=40 and n=80", i)
		}
	}
	c := Generate(40, 4)
	same := 0
	for i := range a {
		if a[i].Text == c[i].Text {
			same++
		}
	}
	if same > 4 {
		t.Errorf("%d of 40 texts equal across seeds", same)
	}
}

func TestGoldMatchesSchemas(t *testing.T) {
	for _, it := range Generate(200, 9) {
		raw, ok := Schema(it.Schema)
		if !ok {
			t.Fatalf("%s: unknown schema %q", it.ID, it.Schema)
		}
		s, err := extract.ParseSchema(raw)
		if err != nil {
			t.Fatal(err)
		}
		if msg := extract.StrictProblem(s); msg != "" {
			t.Fatalf("schema %s is not strict-compatible: %s", it.Schema, msg)
		}
		v, err := extract.Parse(it.Gold)
		if err != nil {
			t.Fatalf("%s: gold is not JSON: %v", it.ID, err)
		}
		o := v.(*extract.Object)
		for _, p := range s.Properties {
			if _, ok := o.Get(p.Name); !ok {
				t.Errorf("%s: gold lacks %s", it.ID, p.Name)
			}
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, 12, 5); err != nil {
		t.Fatal(err)
	}
	items, err := os.ReadFile(filepath.Join(dir, "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	gold, err := os.ReadFile(filepath.Join(dir, "gold.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	il := strings.Split(strings.TrimSpace(string(items)), "\n")
	gl := strings.Split(strings.TrimSpace(string(gold)), "\n")
	if len(il) != 12 || len(gl) != 12 {
		t.Fatalf("%d item lines, %d gold lines", len(il), len(gl))
	}
	want := Generate(12, 5)
	for i, line := range il {
		var got struct{ ID, Schema, Text string }
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != want[i].ID || got.Text != want[i].Text || got.Schema != want[i].Schema {
			t.Errorf("line %d: %+v", i, got)
		}
	}
	for _, name := range SchemaNames() {
		data, err := os.ReadFile(filepath.Join(dir, "schemas", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			t.Errorf("schemas/%s.json is not JSON", name)
		}
	}
}

func TestBrokenAnswers(t *testing.T) {
	bs := BrokenAnswers(300, 2)
	if len(bs) < 250 {
		t.Fatalf("only %d broken answers", len(bs))
	}
	kinds := map[string]int{}
	for _, b := range bs {
		for _, k := range strings.Split(b.Fault, "+") {
			kinds[k]++
		}
		if json.Valid([]byte(b.Text)) && !strings.Contains(b.Fault, "number_as") && !strings.Contains(b.Fault, "enum_case") && !strings.Contains(b.Fault, "extra_field") {
			t.Errorf("%s (%s) is valid JSON: %s", b.ID, b.Fault, b.Text)
		}
		if b.Recoverable == strings.Contains(b.Fault, "truncated") {
			t.Errorf("%s: recoverable %v with faults %s", b.ID, b.Recoverable, b.Fault)
		}
	}
	for _, k := range repairable {
		if kinds[string(k)] == 0 {
			t.Errorf("no broken answer with %s", k)
		}
	}
	again := BrokenAnswers(300, 2)
	for i := range bs {
		if bs[i].Text != again[i].Text || bs[i].Fault != again[i].Fault {
			t.Fatalf("BrokenAnswers is not deterministic at %d", i)
		}
	}
}
