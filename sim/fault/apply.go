package fault

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/reask/reask/sim/extract"
)

// draft is an answer Render is making: the value while value faults
// change it, the style the encoder will write it in, then the text.
type draft struct {
	value     any
	schema    *extract.Schema
	style     extract.Style
	text      string
	truncated bool
	used      map[string]bool // members already hit
	r         *rand.Rand
}

// hitMember is the apply of a fault that hits one member of the value: a
// member the fault's Path names, or else one chosen by the random source
// among those eligible and not hit yet, which change then changes. val is
// the member's value.
func hitMember(eligible func(m member, val any) bool, change func(m member, val any)) func(*draft, Fault) (Fault, bool) {
	return func(d *draft, f Fault) (Fault, bool) {
		var cands []member
		for _, m := range members(d.value, d.schema, "", 0, nil) {
			val, _ := m.parent.Get(m.key)
			if d.used[m.path] || !eligible(m, val) {
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
		m := cands[d.r.IntN(len(cands))]
		d.used[m.path] = true
		val, _ := m.parent.Get(m.key)
		change(m, val)
		return Fault{Kind: f.Kind, Path: m.path}, true
	}
}

// liberty is the apply of a liberty the encoder takes, which set makes
// in the style, when the value shows it (strings to quote, members whose
// keys go bare).
func liberty(shows func(v any) bool, set func(st *extract.Style, d *draft)) func(*draft, Fault) (Fault, bool) {
	return func(d *draft, f Fault) (Fault, bool) {
		if !shows(d.value) {
			return f, false
		}
		set(&d.style, d)
		return f, true
	}
}

// hasMembers reports whether v is an object with members.
func hasMembers(v any) bool {
	o, ok := v.(*extract.Object)
	return ok && len(o.Keys) > 0
}

var extraNames = []string{"confidence", "notes", "source", "extracted_at", "explanation"}

// addMember is ExtraField's apply: it adds to the top-level object the
// member the fault's Path names, or else one of extraNames the schema does
// not declare.
func addMember(d *draft, f Fault) (Fault, bool) {
	o, ok := d.value.(*extract.Object)
	if !ok {
		return f, false
	}
	name := strings.TrimPrefix(f.Path, "/")
	if name == "" {
		for _, i := range d.r.Perm(len(extraNames)) {
			if d.schema.Property(extraNames[i]) == nil {
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
		o.Set(name, []string{"Extracted from the provided text.", "high"}[d.r.IntN(2)])
	}
	return Fault{Kind: f.Kind, Path: "/" + escape(name)}, true
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

// member is a place in the answer a value fault can hit.
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
