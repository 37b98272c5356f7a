// Package fault makes a clean answer wrong the ways real models get JSON
// wrong — Markdown fences, prose, trailing commas, single quotes, bare
// keys, comments, Python literals, missing or null fields, numbers written
// as strings or words, enums in the wrong case, extra fields, truncation —
// and recognises those faults in an answer a model gave earlier, so that
// the simulator can react to feedback about them. Each fault is one row of
// a table (kinds.go) that says how it is made, found and named.
package fault

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/reask/reask/sim/extract"
)

// Fault is one fault in an answer: its kind and, for faults that hit one
// member, the member's JSON Pointer ("/age", "/items/0/quantity").
type Fault struct {
	Kind Kind
	Path string
}

func (f Fault) String() string {
	if f.Path == "" {
		return string(f.Kind)
	}
	return string(f.Kind) + " at " + f.Path
}

// field is the member's name: the last token of the path that is not an
// array index.
func (f Fault) field() string {
	parts := strings.Split(f.Path, "/")
	for i := len(parts) - 1; i > 0; i-- {
		if _, err := strconv.Atoi(parts[i]); err != nil {
			return parts[i]
		}
	}
	return ""
}

// Draw picks the faults of an answer: each kind independently, with the
// probability rates gives it (missing kinds have rate 0), scaled by scale.
// The members they hit are chosen when the answer is rendered.
func Draw(rates map[Kind]float64, scale float64, r *rand.Rand) []Fault {
	var out []Fault
	for _, row := range table {
		p := rates[row.kind] * scale
		// always draw, so that one kind's rate does not shift the others'
		if u := r.Float64(); u < p {
			out = append(out, Fault{Kind: row.kind})
		}
	}
	return out
}

// Options say where an answer goes.
type Options struct {
	// Indent, when not empty, writes one member per line (what models
	// write in JSON mode); compact otherwise (structured outputs and tool
	// arguments).
	Indent string
	// Wrappers allows Fence and Prose: true for message content, false
	// for tool arguments, where a model writes JSON only.
	Wrappers bool
}

// Answer is a rendered answer.
type Answer struct {
	// Text is what the model writes.
	Text string
	// Value is the answer after the schema faults, before the syntax
	// faults: what a tool_use block's input holds.
	Value any
	// Truncated is true when the text was cut off (finish_reason "length").
	Truncated bool
	// Faults are the faults applied, with the members they hit. Faults
	// that did not apply (no enum to miscase, no nested object) are left
	// out.
	Faults []Fault
}

// Render writes clean as an answer with faults. A fault whose Path is
// empty but needs a member gets one chosen by r; a fault that cannot apply
// is dropped. The faults are made in the table's rank order: the value's,
// then the encoder's, then the text's.
func Render(clean any, s *extract.Schema, faults []Fault, opt Options, r *rand.Rand) Answer {
	d := &draft{value: extract.Clone(clean), schema: s, style: extract.Style{Indent: opt.Indent}, used: map[string]bool{}, r: r}
	has := map[Kind]bool{}
	for _, f := range faults {
		has[f.Kind] = true
	}
	var applied []Fault
	encoded := false
	for _, row := range byRank {
		if row.stage == inText && !encoded {
			d.text, encoded = string(extract.Encode(d.value, d.style)), true
		}
		switch {
		case row.stage == inValue:
			for _, f := range faults {
				if f.Kind != row.kind {
					continue
				}
				if g, ok := row.apply(d, f); ok {
					applied = append(applied, g)
				}
			}
		case has[row.kind] && (!row.wrapper || opt.Wrappers):
			if g, ok := row.apply(d, Fault{Kind: row.kind}); ok {
				applied = append(applied, g)
			}
		}
	}
	if !encoded {
		d.text = string(extract.Encode(d.value, d.style))
	}
	return Answer{Text: d.text, Value: d.value, Truncated: d.truncated, Faults: applied}
}

// Cut truncates text to about frac of its length, on a rune boundary and
// never to nothing.
func Cut(text string, frac float64) string {
	n := int(float64(len(text)) * frac)
	if n < 1 {
		n = 1
	}
	if n >= len(text) {
		n = len(text) - 1
	}
	for n > 1 && (text[n]&0xC0) == 0x80 {
		n--
	}
	return text[:n]
}
