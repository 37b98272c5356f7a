package fault

import (
	"math/rand/v2"
	"testing"
)

// FuzzClassify: any earlier answer can be classified without a panic, and
// a rendered answer's faults are found again.
func FuzzClassify(f *testing.F) {
	f.Add("```json\n{'name': 'x',}\n```", uint64(1))
	f.Add(`{"name": "John Doe", "age": "thirty"`, uint64(2))
	f.Add("no json here", uint64(3))
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		clean, s := cleanValue(t)
		Classify(text, clean, s)
		r := rand.New(rand.NewPCG(seed, seed))
		faults := Draw(map[Kind]float64{Fence: 0.3, Prose: 0.3, TrailingComma: 0.3, MissingField: 0.3, EnumCase: 0.3, NumberAsWords: 0.3, SingleQuotes: 0.3}, 1, r)
		a := Render(clean, s, faults, Options{Indent: "  ", Wrappers: true}, r)
		got := map[Kind]bool{}
		for _, g := range Classify(a.Text, clean, s) {
			got[g.Kind] = true
		}
		for _, f := range a.Faults {
			if !got[f.Kind] {
				t.Fatalf("rendered %v as %q, classified %v", a.Faults, a.Text, got)
			}
		}
	})
}
