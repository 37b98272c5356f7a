package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Violation is one way a value fails its schema, precise enough to be fed
// back to a model: where (a JSON Pointer into the value), what is wrong,
// what was received and what the schema expects.
type Violation struct {
	// Path is a JSON Pointer (RFC 6901) into the validated value; "" is the
	// value itself.
	Path string `json:"path"`
	// Keyword is the schema keyword that failed ("required", "type",
	// "enum", "additionalProperties", …).
	Keyword string `json:"keyword"`
	// Problem says what is wrong, e.g. "missing required field".
	Problem string `json:"problem"`
	// Got is the received value as shortened JSON; empty when the value is
	// absent.
	Got string `json:"got,omitempty"`
	// Expected describes what the schema wants, e.g. "integer" or
	// `one of "positive", "negative", "neutral"`.
	Expected string `json:"expected,omitempty"`
}

// String renders the violation on one line:
//
//	/age: wrong type: got "thirty" (string); expected integer
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(displayPath(v.Path))
	b.WriteString(": ")
	b.WriteString(v.Problem)
	if v.Got != "" {
		b.WriteString(": got ")
		b.WriteString(v.Got)
	}
	if v.Expected != "" {
		b.WriteString("; expected ")
		b.WriteString(v.Expected)
	}
	return b.String()
}

// displayPath shows the root pointer "" as "(root)".
func displayPath(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// ValidationError holds every violation of one value. It is what Check
// returns; errors.As finds it.
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		lines[i] = v.String()
	}
	return "schema violation: " + strings.Join(lines, "; ")
}

// Validate returns every violation of v, nil when v is valid. v is a decoded
// JSON value: nil, bool, json.Number or float64, string, []any,
// map[string]any.
func (s *Schema) Validate(v any) []Violation {
	if s == nil || s.root == nil {
		return []Violation{{Problem: "the schema was never compiled (use schema.Compile or schema.For)"}}
	}
	err := s.root.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Violation{{Problem: err.Error()}}
	}
	return s.violations(ve, v)
}

// Check is Validate as an error: nil, or a *ValidationError.
func (s *Schema) Check(v any) error {
	if vs := s.Validate(v); len(vs) > 0 {
		return &ValidationError{Violations: vs}
	}
	return nil
}

var printer = message.NewPrinter(language.English)

func (s *Schema) violations(ve *jsonschema.ValidationError, instance any) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch e.ErrorKind.(type) {
		case *kind.AnyOf, *kind.OneOf:
			// The causes are one failure per alternative; a single line
			// naming the alternatives reads better than all of them.
			out = append(out, s.leaf(e, instance))
			return
		}
		if len(e.Causes) == 0 {
			out = append(out, s.expand(e, instance)...)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	// Stable, readable order: by path, then keyword; no duplicates.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	uniq := out[:0]
	seen := map[string]bool{}
	for _, v := range out {
		key := v.Path + "\x00" + v.Keyword + "\x00" + v.Problem
		if seen[key] {
			continue
		}
		seen[key] = true
		uniq = append(uniq, v)
	}
	return uniq
}

// violationsOf renders a validation error without a Schema (used for
// meta-schema errors at compile time).
func violationsOf(ve *jsonschema.ValidationError, _ error) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Violation{
				Path:    pointer(e.InstanceLocation),
				Keyword: keyword(e.ErrorKind),
				Problem: e.ErrorKind.LocalizedString(printer),
			})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// expand turns one leaf error into violations; "required" and
// "additionalProperties" name several fields at once and become one
// violation per field, so each line of feedback names exactly one path.
func (s *Schema) expand(e *jsonschema.ValidationError, instance any) []Violation {
	base := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]Violation, 0, len(k.Missing))
		for _, name := range k.Missing {
			p := base + "/" + escape(name)
			out = append(out, Violation{
				Path:     p,
				Keyword:  "required",
				Problem:  "missing required field",
				Expected: s.describeAt(p),
			})
		}
		return out
	case *kind.AdditionalProperties:
		allowed := s.allowedFields(base)
		exp := "no such field"
		if len(allowed) > 0 {
			exp += "; allowed fields: " + strings.Join(allowed, ", ")
		}
		out := make([]Violation, 0, len(k.Properties))
		for _, name := range k.Properties {
			p := base + "/" + escape(name)
			out = append(out, Violation{
				Path:     p,
				Keyword:  "additionalProperties",
				Problem:  "unexpected field",
				Got:      shorten(lookup(instance, p)),
				Expected: exp,
			})
		}
		return out
	case *kind.DependentRequired:
		out := make([]Violation, 0, len(k.Missing))
		for _, name := range k.Missing {
			p := base + "/" + escape(name)
			out = append(out, Violation{Path: p, Keyword: "dependentRequired",
				Problem: "missing field, required when " + strconv.Quote(k.Prop) + " is present", Expected: s.describeAt(p)})
		}
		return out
	}
	return []Violation{s.leaf(e, instance)}
}

func (s *Schema) leaf(e *jsonschema.ValidationError, instance any) Violation {
	p := pointer(e.InstanceLocation)
	got := lookup(instance, p)
	v := Violation{Path: p, Keyword: keyword(e.ErrorKind), Got: shortenTyped(got)}
	if len(v.Got) > maxShown+12 {
		v.Got = shorten(got)
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		v.Problem = "wrong type"
		v.Expected = s.describeAt(p)
	case *kind.Enum:
		v.Problem = "not one of the allowed values"
		v.Got = shorten(got)
		v.Expected = describeEnum(k.Want)
	case *kind.Const:
		v.Problem = "not the required constant"
		v.Got = shorten(got)
		v.Expected = "exactly " + shorten(k.Want)
	case *kind.AnyOf:
		v.Problem = "matches none of the allowed alternatives"
		v.Expected = s.describeAt(p)
	case *kind.OneOf:
		if k.Subschemas != nil {
			v.Problem = fmt.Sprintf("matches more than one alternative (%v); exactly one is allowed", k.Subschemas)
		} else {
			v.Problem = "matches none of the allowed alternatives"
		}
		v.Expected = s.describeAt(p)
	case *kind.Format:
		v.Problem = "not a valid " + k.Want
		v.Got = shorten(got)
		v.Expected = "a string in " + k.Want + " format"
	case *kind.FalseSchema:
		v.Problem = "no value is allowed here"
	case *kind.Minimum, *kind.ExclusiveMinimum:
		v.Problem, v.Expected = "too small", s.describeAt(p)
	case *kind.Maximum, *kind.ExclusiveMaximum:
		v.Problem, v.Expected = "too large", s.describeAt(p)
	case *kind.MultipleOf:
		v.Problem, v.Expected = "not an allowed multiple", s.describeAt(p)
	case *kind.MinLength:
		v.Problem, v.Expected = "too short", s.describeAt(p)
	case *kind.MaxLength:
		v.Problem, v.Expected = "too long", s.describeAt(p)
	case *kind.Pattern:
		v.Problem, v.Expected = "does not match the pattern", s.describeAt(p)
	case *kind.MinItems:
		v.Problem, v.Expected = fmt.Sprintf("too few items (%d)", k.Got), fmt.Sprintf("at least %d items", k.Want)
		v.Got = ""
	case *kind.MaxItems:
		v.Problem, v.Expected = fmt.Sprintf("too many items (%d)", k.Got), fmt.Sprintf("at most %d items", k.Want)
		v.Got = ""
	default:
		v.Problem = e.ErrorKind.LocalizedString(printer)
	}
	return v
}

func keyword(k jsonschema.ErrorKind) string {
	kp := k.KeywordPath()
	if len(kp) == 0 {
		return "schema"
	}
	return kp[0]
}

// pointer joins path tokens into a JSON Pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

func unescape(token string) string {
	if !strings.Contains(token, "~") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}

// SplitPointer splits a JSON Pointer into unescaped tokens; "" gives none.
func SplitPointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range parts {
		parts[i] = unescape(t)
	}
	return parts
}

// JoinPointer appends a token to a JSON Pointer, escaping it.
func JoinPointer(p, token string) string { return p + "/" + escape(token) }

// lookup finds the value at pointer p inside v, or nil.
func lookup(v any, p string) any {
	for _, t := range SplitPointer(p) {
		switch x := v.(type) {
		case map[string]any:
			v = x[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Lookup returns the value at JSON Pointer p inside v and whether it exists.
func Lookup(v any, p string) (any, bool) {
	for _, t := range SplitPointer(p) {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// maxShown bounds how much of a received value feedback repeats.
const maxShown = 80

// shorten renders v as JSON of at most maxShown bytes.
func shorten(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return Shorten(string(b), maxShown)
}

// shortenTyped is shorten followed by the JSON type: `"thirty" (string)`.
func shortenTyped(v any) string {
	return shorten(v) + " (" + jsonType(v) + ")"
}

// Shorten cuts s to at most n bytes on a rune boundary, marking the cut
// with "…".
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
