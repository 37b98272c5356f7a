package repair

import (
	"encoding/json"
	"testing"

	"github.com/reask/reask/repair/internal/benchgen"
	"github.com/reask/reask/repair/internal/corpus"
	"github.com/reask/reask/schema"
)

// The benchmarks measure throughput (b.SetBytes) on the same inputs the
// comparison with npm jsonrepair uses (bench/repair). Valid input takes
// the strict fast path; json.Valid runs beside it for scale.

var benchSizes = []struct {
	name string
	size int
}{{"10KB", 10 << 10}, {"100KB", 100 << 10}, {"1MB", 1 << 20}}

func BenchmarkValid(b *testing.B) {
	for _, s := range benchSizes {
		in := benchgen.Valid(s.size)
		b.Run("Repair/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := Repair(in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("json.Valid/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if !json.Valid(in) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run("Parse/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Parse(in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBroken(b *testing.B) {
	for _, s := range benchSizes {
		in := benchgen.Broken(s.size)
		b.Run("Repair/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := Repair(in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Parse/"+s.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Parse(in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestBenchInputs(t *testing.T) {
	for _, s := range benchSizes {
		if !json.Valid(benchgen.Valid(s.size)) {
			t.Errorf("Valid(%d) is not valid JSON", s.size)
		}
		out, fixes, err := Repair(benchgen.Broken(s.size), Options{})
		if err != nil {
			t.Fatalf("Broken(%d): %v", s.size, err)
		}
		if !json.Valid(out) || len(fixes) == 0 {
			t.Errorf("Broken(%d): repaired to invalid JSON or without fixes", s.size)
		}
	}
}

// BenchmarkCoerce measures coercion of a small answer with a value of
// each kind to fix, as the re-ask loop meets it.
func BenchmarkCoerce(b *testing.B) {
	s := schema.MustCompile(coerceSchema)
	v, err := corpus.Decode([]byte(`{"age": "30", "price": "$1,299.50", "active": "yes", "zip": 12345, "tags": "a",
		"mood": " Positive", "people": [{"name": "A", "age": "1"}, {"name": "B", "age": 2, "x": 1}], "extra": true}`))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, fixes := Coerce(v, s); len(fixes) != 9 {
			b.Fatalf("%d fixes", len(fixes))
		}
	}
}
