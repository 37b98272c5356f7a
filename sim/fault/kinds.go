package fault

import (
	"errors"
	"fmt"
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

// table is every fault the simulator makes, one row a kind: whether it
// breaks JSON syntax, how Render makes it (apply, at its stage and rank),
// how Classify finds it in an earlier answer (parsed, from what the
// lenient parser reports; differs, from a member that differs from the
// clean answer's), and the words by which feedback names it (Addressed).
// The rows are in the order the rates are drawn (Kinds, Draw): a seed
// gives the same answers only while the rows keep their order.
//
// To add a fault:
//  1. declare its Kind above;
//  2. add its row at the end of the table: apply, built with the helpers
//     of apply.go (hitMember for a fault that hits one member, liberty
//     for a liberty of the encoder, a rewrite of d.text for the text); a
//     stage and a rank, which orders it among the faults Render makes;
//     differs, or parsed with a new extract.Syntax flag when the lenient
//     parser must learn to see it; the words feedback uses for it;
//  3. name it in sim.Profile's doc comment and, if the built-in profiles
//     should make it, give it rates in sim/profile.go;
//  4. test what is particular to it.
//
// TestTableComplete fails while a Kind has no row or a row lacks a
// column, TestRenderClassifyRoundTrip renders every row alone and finds it
// again, TestWordsAddressTheirFault checks its words and the sim package's
// tests check that its name is documented. A new row adds a draw to every
// answer, so every seeded answer changes (tool call ids too): re-record
// what pins them (golden files, benchmark figures).
var table = []row{
	{
		kind: Fence, syntax: true, wrapper: true, repairable: true, stage: inText, rank: 130,
		apply: func(d *draft, f Fault) (Fault, bool) {
			d.text = "```json\n" + d.text + "\n```"
			return f, true
		},
		parsed: func(s extract.Syntax) bool { return s.Fence },
		words:  []string{"markdown", "fence", "backtick", "```", "code block"},
	},
	{
		kind: Prose, syntax: true, wrapper: true, repairable: true, stage: inText, rank: 140,
		apply: func(d *draft, f Fault) (Fault, bool) {
			pre := []string{"Here is the extracted information:\n\n", "Sure! Here's the JSON:\n\n", "Based on the text, the result is:\n\n"}[d.r.IntN(3)]
			post := []string{"", "\n\nLet me know if you need anything else.", "\n\nNote: all values were taken from the text."}[d.r.IntN(3)]
			d.text = pre + d.text + post
			return f, true
		},
		parsed: func(s extract.Syntax) bool { return s.Prose },
		words:  []string{"prose", "explanation", "only the json", "only json", "text before", "text after", "extra text", "no text", "json only"},
	},
	{
		kind: TrailingComma, syntax: true, repairable: true, stage: inEncoding, rank: 100,
		apply:  liberty(hasMembers, func(st *extract.Style, _ *draft) { st.TrailingCommas = true }),
		parsed: func(s extract.Syntax) bool { return s.TrailingComma },
		words:  []string{"trailing comma", "comma"},
	},
	{
		kind: SingleQuotes, syntax: true, repairable: true, stage: inEncoding, rank: 80,
		apply:  liberty(hasStrings, func(st *extract.Style, _ *draft) { st.SingleQuotes = true }),
		parsed: func(s extract.Syntax) bool { return s.SingleQuotes },
		words:  []string{"single quote", "double quote", "double-quote", "quote*"},
	},
	{
		kind: UnquotedKeys, syntax: true, repairable: true, stage: inEncoding, rank: 90,
		apply:  liberty(hasMembers, func(st *extract.Style, _ *draft) { st.UnquotedKeys = true }),
		parsed: func(s extract.Syntax) bool { return s.UnquotedKeys },
		words:  []string{"quote*", "property name", "unquoted", "key*"},
	},
	{
		kind: Comments, syntax: true, repairable: true, stage: inEncoding, rank: 110,
		apply: liberty(hasMembers, func(st *extract.Style, d *draft) {
			st.Comment = []string{"extracted from the text", "inferred", "from the input", "TODO: verify"}[d.r.IntN(4)]
		}),
		parsed: func(s extract.Syntax) bool { return s.Comments },
		words:  []string{"comment*"},
	},
	{
		kind: PythonLiterals, syntax: true, repairable: true, stage: inEncoding, rank: 120,
		apply:  liberty(hasLiterals, func(st *extract.Style, _ *draft) { st.PythonLiterals = true }),
		parsed: func(s extract.Syntax) bool { return s.PythonLiterals },
		words:  []string{"python", "literal*", "true", "false", "null"},
	},
	{
		kind: MissingField, stage: inValue, rank: 10,
		apply: hitMember(func(m member, _ any) bool { return m.depth == 0 && m.required },
			func(m member, _ any) { m.parent.Delete(m.key) }),
		differs: func(s site) bool { return s.inWant && !s.inGot && s.depth == 0 },
		words:   []string{"missing", "required", "absent", "omitted", "left out"},
	},
	{
		kind: NullField, stage: inValue, rank: 20,
		apply: hitMember(func(m member, val any) bool { return m.required && !m.schema.Nullable && val != nil },
			func(m member, _ any) { m.parent.Set(m.key, nil) }),
		differs: func(s site) bool { return s.inWant && s.inGot && s.got == nil && s.want != nil },
		words:   []string{"null", "none", "nil", "must not be empty", "integer", "number", "string", "boolean", "type"},
	},
	{
		kind: NumberAsString, repairable: true, stage: inValue, rank: 30,
		apply: hitMember(func(_ member, val any) bool {
			_, ok := val.(extract.Number)
			return ok
		}, func(m member, val any) { m.parent.Set(m.key, string(val.(extract.Number))) }),
		differs: func(s site) bool {
			w, ok := s.want.(extract.Number)
			g, isString := s.got.(string)
			if !ok || !isString {
				return false
			}
			n, err := strconv.ParseFloat(strings.TrimSpace(g), 64)
			return err == nil && n == w.Float()
		},
		words: []string{"integer", "number", "numeric", "int", "float", "type", "digits"},
	},
	{
		kind: NumberAsWords, repairable: true, stage: inValue, rank: 40,
		apply: hitMember(func(_ member, val any) bool {
			n, ok := val.(extract.Number)
			f := n.Float()
			return ok && f == float64(int64(f)) && f >= 0 && f < 10000
		}, func(m member, val any) { m.parent.Set(m.key, Words(int(val.(extract.Number).Float()))) }),
		differs: func(s site) bool {
			w, ok := s.want.(extract.Number)
			g, isString := s.got.(string)
			f := w.Float()
			return ok && isString && f == float64(int(f)) && strings.EqualFold(g, Words(int(f)))
		},
		words: []string{"integer", "number", "numeric", "int", "float", "type", "digits"},
	},
	{
		kind: EnumCase, repairable: true, stage: inValue, rank: 50,
		apply: hitMember(func(m member, val any) bool {
			str, ok := val.(string)
			return ok && len(m.schema.Enum) > 0 && strings.ToUpper(str) != strings.ToLower(str)
		}, func(m member, val any) { m.parent.Set(m.key, miscase(val.(string))) }),
		differs: func(s site) bool {
			w, ok := s.want.(string)
			g, isString := s.got.(string)
			return ok && isString && g != w && strings.EqualFold(g, w)
		},
		words: []string{"enum", "one of", "allowed value", "permitted", "case", "lowercase", "uppercase", "must be"},
	},
	{
		kind: ExtraField, repairable: true, stage: inValue, rank: 60,
		apply:   addMember,
		differs: func(s site) bool { return s.inGot && !s.inWant && !s.declared },
		words: []string{"extra", "additional", "unexpected field", "unexpected key", "unknown field", "unknown key", "not allowed",
			"not permitted", "unrecognized", "not defined"},
	},
	{
		kind: NestedMissing, stage: inValue, rank: 70,
		apply: hitMember(func(m member, _ any) bool { return m.depth > 0 && m.required },
			func(m member, _ any) { m.parent.Delete(m.key) }),
		differs: func(s site) bool { return s.inWant && !s.inGot && s.depth > 0 },
		words:   []string{"missing", "required", "absent", "omitted", "left out"},
	},
	{
		kind: Truncated, syntax: true, repairable: true, stage: inText, rank: 150,
		apply: func(d *draft, f Fault) (Fault, bool) {
			if len(d.text) <= 2 {
				return f, false
			}
			d.text = Cut(d.text, 0.35+0.5*d.r.Float64())
			d.truncated = true
			return f, true
		},
		parsed: func(s extract.Syntax) bool { return s.Truncated },
		words: []string{"truncat*", "cut off", "cut short", "incomplete", "unterminated", "unexpected end", "end of input",
			"end of json", "eof", "too long", "shorter", "max_tokens", "finish_reason", "length"},
	},
}

// row is one fault kind in the table.
type row struct {
	kind Kind
	// syntax: the fault breaks JSON syntax (truncation does too).
	syntax bool
	// wrapper: the fault writes text around the JSON, which a model does
	// in message content, never in tool arguments (Options.Wrappers).
	wrapper bool
	// repairable: a local repair with the schema in hand undoes the fault.
	repairable bool
	// stage is what the fault changes: a member of the value, the
	// encoder's style, or the encoded text.
	stage stage
	// rank orders Render's work: rows apply in increasing rank, which
	// must follow the stages, and are listed so in Answer.Faults. A value
	// fault's rank decides which draws of the random source it takes.
	rank int
	// apply makes the fault in the answer being drafted and returns it
	// with the member it hit, or false when it cannot apply (no enum to
	// miscase). A value fault's apply runs for each fault of its kind,
	// the others' once.
	apply func(d *draft, f Fault) (Fault, bool)
	// parsed finds a syntax fault in what the lenient parser reports.
	parsed func(extract.Syntax) bool
	// differs finds a value fault at a site where an earlier answer
	// differs from the clean answer; the first row that matches names
	// the site's fault.
	differs func(site) bool
	// words are the plain words feedback uses for the problem the fault
	// causes; a trailing "*" makes a word match as a stem.
	words []string
}

// stage is what a fault changes.
type stage int

const (
	inValue    stage = iota // a member of the value, before it is encoded
	inEncoding              // a liberty the encoder takes
	inText                  // the encoded text
)

// byKind and byRank index the table.
var (
	byKind = func() map[Kind]*row {
		m := make(map[Kind]*row, len(table))
		for i := range table {
			m[table[i].kind] = &table[i]
		}
		return m
	}()
	byRank = func() []*row {
		rs := make([]*row, len(table))
		for i := range table {
			rs[i] = &table[i]
		}
		slices.SortStableFunc(rs, func(a, b *row) int { return a.rank - b.rank })
		return rs
	}()
)

// Kinds returns every fault kind, in the order they are drawn.
func Kinds() []Kind {
	ks := make([]Kind, len(table))
	for i, r := range table {
		ks[i] = r.kind
	}
	return ks
}

// Known reports whether k is a fault kind.
func Known(k Kind) bool { return byKind[k] != nil }

// Syntax reports whether the fault breaks JSON syntax (truncation does too).
func (k Kind) Syntax() bool { return byKind[k] != nil && byKind[k].syntax }

// Wrapper reports whether the fault writes text around the JSON (a fence,
// prose), which a model does in message content but never in tool
// arguments.
func (k Kind) Wrapper() bool { return byKind[k] != nil && byKind[k].wrapper }

// Repairable reports whether a local repair with the schema in hand can
// undo the fault: every syntax fault, and the schema faults that keep the
// value.
func (k Kind) Repairable() bool { return byKind[k] != nil && byKind[k].repairable }

// ErrUnknownKind is matched by ParseKind's error.
var ErrUnknownKind = errors.New("unknown fault kind")

// ParseKind reads a fault kind's name.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !Known(k) {
		names := make([]string, len(table))
		for i, r := range table {
			names[i] = string(r.kind)
		}
		return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, s, strings.Join(names, ", "))
	}
	return k, nil
}
