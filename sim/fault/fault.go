// Package fault makes a clean answer wrong the ways real models get JSON
// wrong — Markdown fences, prose, trailing commas, single quotes, bare
// keys, comments, Python literals, missing or null fields, numbers written
// as strings or words, enums in the wrong case, extra fields, truncation —
// and recognises those faults in an answer a model gave earlier, so that
// the simulator can react to feedback about them.
package fault

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/reask/reask/sim/extract"
)

// Kind names a fault.
type Kind string

// The fault kinds. The first group breaks JSON syntax; the second keeps
// the JSON valid but breaks the schema; Truncated cuts the answer short
// and reports finish_reason "length".
const (
	Fence          Kind = "fence"           // ```json ... ```
	Prose          Kind = "prose"           // "Here is the JSON: ..."
	TrailingComma  Kind = "trailing_comma"  // {"a": 1,}
	SingleQuotes   Kind = "single_quotes"   // {'a': 'x'}
	UnquotedKeys   Kind = "unquoted_keys"   // {a: 1}
	Comments       Kind = "comments"        // {"a": 1, // note
	PythonLiterals Kind = "python_literals" // True, False, None

	MissingField   Kind = "missing_field"    // a required member left out
	NullField      Kind = "null_field"       // null for a required, non-nullable member
	NumberAsString Kind = "number_as_string" // "30"
	NumberAsWords  Kind = "number_as_words"  // "thirty"
	EnumCase       Kind = "enum_case"        // "Positive" for "positive"
	ExtraField     Kind = "extra_field"      // a member the schema does not declare
	NestedMissing  Kind = "nested_missing"   // a required member of a nested object left out

	Truncated Kind = "truncated" // cut off, finish_reason "length"
)

var kinds = []Kind{
	Fence, Prose, TrailingComma, SingleQuotes, UnquotedKeys, Comments, PythonLiterals,
	MissingField, NullField, NumberAsString, NumberAsWords, EnumCase, ExtraField, NestedMissing,
	Truncated,
}

// Kinds returns every fault kind, in the order they are drawn.
func Kinds() []Kind { return slices.Clone(kinds) }

// Known reports whether k is a fault kind.
func Known(k Kind) bool { return slices.Contains(kinds, k) }

// Syntax reports whether the fault breaks JSON syntax (truncation does too).
func (k Kind) Syntax() bool {
	switch k {
	case Fence, Prose, TrailingComma, SingleQuotes, UnquotedKeys, Comments, PythonLiterals, Truncated:
		return true
	}
	return false
}

// ErrUnknownKind is matched by ParseKind's error.
var ErrUnknownKind = errors.New("unknown fault kind")

// ParseKind reads a fault kind's name.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !Known(k) {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, s, strings.Join(names, ", "))
	}
	return k, nil
}

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
	for _, k := range kinds {
		p := rates[k] * scale
		// always draw, so that one kind's rate does not shift the others'
		if u := r.Float64(); u < p {
			out = append(out, Fault{Kind: k})
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

var extraNames = []string{"confidence", "notes", "source", "extracted_at", "explanation"}

// Render writes clean as an answer with faults. A fault whose Path is
// empty but needs a member gets one chosen by r; a fault that cannot apply
// is dropped.
func Render(clean any, s *extract.Schema, faults []Fault, opt Options, r *rand.Rand) Answer {
	v := extract.Clone(clean)
	var applied []Fault
	has := map[Kind]bool{}
	for _, f := range faults {
		has[f.Kind] = true
	}
	used := map[string]bool{} // members already hit
	for _, k := range kinds {
		if !has[k] || k.Syntax() {
			continue
		}
		for _, f := range faults {
			if f.Kind != k {
				continue
			}
			if g, ok := applyValue(&v, s, f, used, r); ok {
				applied = append(applied, g)
			}
		}
	}
	st := extract.Style{Indent: opt.Indent}
	if has[SingleQuotes] && hasStrings(v) {
		st.SingleQuotes = true
		applied = append(applied, Fault{Kind: SingleQuotes})
	}
	if o, ok := v.(*extract.Object); ok && len(o.Keys) > 0 {
		if has[UnquotedKeys] {
			st.UnquotedKeys = true
			applied = append(applied, Fault{Kind: UnquotedKeys})
		}
		if has[TrailingComma] {
			st.TrailingCommas = true
			applied = append(applied, Fault{Kind: TrailingComma})
		}
		if has[Comments] {
			st.Comment = []string{"extracted from the text", "inferred", "from the input", "TODO: verify"}[r.IntN(4)]
			applied = append(applied, Fault{Kind: Comments})
		}
	}
	if has[PythonLiterals] && hasLiterals(v) {
		st.PythonLiterals = true
		applied = append(applied, Fault{Kind: PythonLiterals})
	}
	text := string(extract.Encode(v, st))
	if opt.Wrappers && has[Fence] {
		text = "```json\n" + text + "\n```"
		applied = append(applied, Fault{Kind: Fence})
	}
	if opt.Wrappers && has[Prose] {
		pre := []string{"Here is the extracted information:\n\n", "Sure! Here's the JSON:\n\n", "Based on the text, the result is:\n\n"}[r.IntN(3)]
		post := []string{"", "\n\nLet me know if you need anything else.", "\n\nNote: all values were taken from the text."}[r.IntN(3)]
		text = pre + text + post
		applied = append(applied, Fault{Kind: Prose})
	}
	a := Answer{Text: text, Value: v}
	if has[Truncated] && len(text) > 2 {
		a.Text = Cut(text, 0.35+0.5*r.Float64())
		a.Truncated = true
		applied = append(applied, Fault{Kind: Truncated})
	}
	a.Faults = applied
	return a
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

func hasStrings(v any) bool {
	switch x := v.(type) {
	case string:
		return true
	case *extract.Object:
		return len(x.Keys) > 0
	case []any:
		for _, e := range x {
			if hasStrings(e) {
				return true
			}
		}
	}
	return false
}

func hasLiterals(v any) bool {
	switch x := v.(type) {
	case nil, bool:
		return true
	case *extract.Object:
		for _, e := range x.Values {
			if hasLiterals(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasLiterals(e) {
				return true
			}
		}
	}
	return false
}

// member is a place in the answer a schema fault can hit.
type member struct {
	path     string
	parent   *extract.Object
	key      string
	schema   *extract.Schema
	required bool
	depth    int
}

// members lists the object members of v, depth first, in order.
func members(v any, s *extract.Schema, path string, depth int, out []member) []member {
	if s == nil || depth > 8 {
		return out
	}
	switch x := v.(type) {
	case *extract.Object:
		for i, k := range x.Keys {
			p := s.Property(k)
			if p == nil {
				continue
			}
			mp := path + "/" + escape(k)
			out = append(out, member{path: mp, parent: x, key: k, schema: p.Schema, required: p.Required, depth: depth})
			out = members(x.Values[i], p.Schema, mp, depth+1, out)
		}
	case []any:
		for i, e := range x {
			out = members(e, s.Items, path+"/"+strconv.Itoa(i), depth+1, out)
		}
	}
	return out
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// eligible reports whether fault kind k can hit member m.
func eligible(k Kind, m member) bool {
	val, _ := m.parent.Get(m.key)
	switch k {
	case MissingField:
		return m.depth == 0 && m.required
	case NestedMissing:
		return m.depth > 0 && m.required
	case NullField:
		return m.required && !m.schema.Nullable && val != nil
	case NumberAsString:
		_, ok := val.(extract.Number)
		return ok
	case NumberAsWords:
		n, ok := val.(extract.Number)
		f := n.Float()
		return ok && f == float64(int64(f)) && f >= 0 && f < 10000
	case EnumCase:
		str, ok := val.(string)
		return ok && len(m.schema.Enum) > 0 && strings.ToUpper(str) != strings.ToLower(str)
	}
	return false
}

func applyValue(v *any, s *extract.Schema, f Fault, used map[string]bool, r *rand.Rand) (Fault, bool) {
	if f.Kind == ExtraField {
		o, ok := (*v).(*extract.Object)
		if !ok {
			return f, false
		}
		name := strings.TrimPrefix(f.Path, "/")
		if name == "" {
			for _, i := range r.Perm(len(extraNames)) {
				if s.Property(extraNames[i]) == nil {
					if _, taken := o.Get(extraNames[i]); !taken {
						name = extraNames[i]
						break
					}
				}
			}
		}
		if name == "" {
			return f, false
		}
		switch name {
		case "confidence":
			o.Set(name, extract.Number("0.95"))
		case "extracted_at":
			o.Set(name, "2024-01-01T00:00:00Z")
		default:
			o.Set(name, []string{"Extracted from the provided text.", "high"}[r.IntN(2)])
		}
		return Fault{Kind: ExtraField, Path: "/" + escape(name)}, true
	}
	ms := members(*v, s, "", 0, nil)
	var cands []member
	for _, m := range ms {
		if used[m.path] || !eligible(f.Kind, m) {
			continue
		}
		if f.Path != "" && m.path != f.Path {
			continue
		}
		cands = append(cands, m)
	}
	if len(cands) == 0 {
		return f, false
	}
	m := cands[r.IntN(len(cands))]
	used[m.path] = true
	val, _ := m.parent.Get(m.key)
	switch f.Kind {
	case MissingField, NestedMissing:
		m.parent.Delete(m.key)
	case NullField:
		m.parent.Set(m.key, nil)
	case NumberAsString:
		m.parent.Set(m.key, string(val.(extract.Number)))
	case NumberAsWords:
		m.parent.Set(m.key, Words(int(val.(extract.Number).Float())))
	case EnumCase:
		m.parent.Set(m.key, miscase(val.(string)))
	}
	return Fault{Kind: f.Kind, Path: m.path}, true
}

// miscase writes an enum value in another case: "positive" becomes
// "Positive", "USD" becomes "usd".
func miscase(s string) string {
	if strings.ToLower(s) == s {
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return strings.ToLower(s)
}

var ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
var tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

// Words writes n (0 to 9999) in English words: 45 is "forty-five".
func Words(n int) string {
	switch {
	case n < 0:
		return "minus " + Words(-n)
	case n < 20:
		return ones[n]
	case n < 100:
		if n%10 == 0 {
			return tens[n/10]
		}
		return tens[n/10] + "-" + ones[n%10]
	case n < 1000:
		if n%100 == 0 {
			return ones[n/100] + " hundred"
		}
		return ones[n/100] + " hundred " + Words(n%100)
	case n < 10000:
		if n%1000 == 0 {
			return ones[n/1000] + " thousand"
		}
		return ones[n/1000] + " thousand " + Words(n%1000)
	}
	return strconv.Itoa(n)
}
