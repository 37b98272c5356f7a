// Package benchgen generates the benchmark inputs of package repair: a
// valid JSON answer and a broken one as language models write them, of a
// given size, the same bytes every time. The Go benchmarks and the
// comparison with npm jsonrepair (bench/repair) use the same inputs.
package benchgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// Valid returns a pretty-printed JSON document of about size bytes: an
// object holding an array of records with strings, numbers, booleans,
// nulls and nested arrays and objects.
func Valid(size int) []byte {
	return generate(size, false, true)
}

// Broken returns the same kind of document as a model breaks it: prose
// before and after, a Markdown fence, unquoted keys, single-quoted
// strings, trailing commas, // and /* */ comments, Python literals and
// a raw line break in strings, spread through the whole document.
func Broken(size int) []byte {
	return generate(size, true, true)
}

// BrokenNoProse is Broken without the prose around the fence, for repair
// libraries that stop at prose.
func BrokenNoProse(size int) []byte {
	return generate(size, true, false)
}

var (
	words  = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"}
	cities = []string{"New York", "Paris", "Tokyo", "Lagos", "São Paulo", "Zürich", "Mumbai", "Sydney"}
)

func generate(size int, broken, prose bool) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(size + 1024)
	if broken {
		if prose {
			b.WriteString("Sure! Here is the data you asked for, extracted from the document:\n\n")
		}
		b.WriteString("```json\n")
	}
	key := func(k string) string {
		if broken {
			return k
		}
		return `"` + k + `"`
	}
	str := func(s string, i int) string {
		if broken && i%2 == 0 {
			return "'" + s + "'"
		}
		return `"` + s + `"`
	}
	b.WriteString("{\n  " + key("source") + ": " + str("quarterly report", 0) + ",\n  " + key("records") + ": [\n")
	tail := "  ]\n}"
	for i := 0; ; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		if broken && i%5 == 3 {
			b.WriteString("    // the next record was checked by hand\n")
		}
		w1, w2 := words[r.IntN(len(words))], words[r.IntN(len(words))]
		fmt.Fprintf(&b, "    {\n      %s: %d,\n", key("id"), 1000+i)
		fmt.Fprintf(&b, "      %s: %s,\n", key("name"), str(w1+" "+w2, i))
		fmt.Fprintf(&b, "      %s: %s,\n", key("city"), str(cities[r.IntN(len(cities))], i+1))
		fmt.Fprintf(&b, "      %s: %d.%02d,\n", key("amount"), r.IntN(100000), r.IntN(100))
		active, none := "true", "null"
		if broken {
			active, none = "True", "None"
		}
		if r.IntN(2) == 0 {
			active = map[bool]string{true: "False", false: "false"}[broken]
		}
		fmt.Fprintf(&b, "      %s: %s,\n", key("active"), active)
		if broken && i%4 == 1 {
			fmt.Fprintf(&b, "      %s: %s, /* unknown */\n", key("manager"), none)
		} else {
			fmt.Fprintf(&b, "      %s: %s,\n", key("manager"), "null")
		}
		fmt.Fprintf(&b, "      %s: [%s, %s, %s", key("tags"), str(w1, i), str(w2, i+1), str(words[i%len(words)], i))
		if broken && i%3 == 0 {
			b.WriteString(",")
		}
		b.WriteString("],\n")
		note := "checked " + w1 + " against the ledger"
		if broken && i%6 == 2 {
			note = "first line\nsecond line" // a raw line break
		}
		fmt.Fprintf(&b, "      %s: {%s: %s, %s: %d}", key("meta"), key("note"), str(note, i+1), key("score"), r.IntN(10))
		if broken && i%2 == 1 {
			b.WriteString(",")
		}
		b.WriteString("\n    }")
		if b.Len()+len(tail)+200 >= size {
			break
		}
	}
	if broken {
		b.WriteString(",")
	}
	b.WriteString("\n" + tail)
	if broken {
		b.WriteString("\n```")
		if prose {
			b.WriteString("\n\nLet me know if you need anything else!")
		}
	}
	b.WriteString("\n")
	return b.Bytes()
}
