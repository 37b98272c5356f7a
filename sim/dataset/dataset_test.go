package dataset

import (
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
