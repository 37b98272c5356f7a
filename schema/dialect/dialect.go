// Package dialect rewrites a JSON Schema (draft 2020-12) into the subset a
// provider accepts, and says what the rewrite relaxed.
//
// Every provider takes a different part of JSON Schema: OpenAI's strict
// structured outputs want every property required and every object closed
// and refuse allOf, not and patternProperties; Anthropic's strict tools
// drop numeric and length bounds and recursion; Gemini's responseJsonSchema
// keeps a short list of keywords and its legacy responseSchema is an
// OpenAPI 3.0 subset with no references at all. Rewrite turns the user's
// schema into the strongest one the dialect takes — optional properties
// become required and nullable for OpenAI strict, const a one-value enum
// for Gemini, references are inlined where they are not allowed — and
// moves what the dialect cannot say into the description text (format,
// pattern, bounds), so the model still reads it. Each constraint the
// provider will not enforce is listed in Result.Relaxed with its JSON
// Pointer and the reason.
//
// Nothing is lost: reask validates every answer against the user's own
// schema, so a relaxed constraint is still enforced, by local validation
// and the re-ask's feedback. The null that stands for an absent optional
// property in OpenAI's strict form is taken out again by Result.Absent
// before that validation.
//
// Check implements each provider's published rules for the schemas it
// accepts; every schema Rewrite returns for a dialect passes its check
// (Result.Problems says otherwise when no rewrite could), and Select uses
// the check to turn strict mode on only where it holds.
//
// The rules follow the providers' documentation: OpenAI's Structured
// Outputs "Supported schemas", Anthropic's structured outputs "JSON Schema
// limitations" (shared by strict tool use), and the Gemini API reference
// for GenerationConfig.responseJsonSchema and its Schema object.
package dialect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Dialect is a provider's subset of JSON Schema. The zero value is no
// dialect: Rewrite returns the schema as it is.
type Dialect int

// The dialects.
const (
	// OpenAI is a chat completions json_schema response format or function
	// parameters without strict: any JSON Schema, which the model is asked,
	// not forced, to follow.
	OpenAI Dialect = iota + 1
	// OpenAIStrict is the same with strict: true: decoding is constrained
	// to the schema, which must follow OpenAI's rules.
	OpenAIStrict
	// Anthropic is a tool's input_schema: any JSON Schema whose root is an
	// object.
	Anthropic
	// AnthropicStrict is a tool with strict: true (Anthropic's structured
	// outputs).
	AnthropicStrict
	// GeminiJSONSchema is generationConfig.responseJsonSchema.
	GeminiJSONSchema
	// GeminiSchema is generationConfig.responseSchema, Gemini's legacy
	// OpenAPI 3.0 Schema object.
	GeminiSchema
)

var dialectNames = map[Dialect]string{
	OpenAI:           "openai",
	OpenAIStrict:     "openai-strict",
	Anthropic:        "anthropic",
	AnthropicStrict:  "anthropic-strict",
	GeminiJSONSchema: "gemini",
	GeminiSchema:     "gemini-legacy",
}

// ErrUnknown is matched by the error for an unknown dialect or strict
// mode name.
var ErrUnknown = errors.New("dialect: unknown name")

// String returns the dialect's name: "openai", "openai-strict",
// "anthropic", "anthropic-strict", "gemini" (responseJsonSchema) or
// "gemini-legacy" (responseSchema).
func (d Dialect) String() string {
	if n, ok := dialectNames[d]; ok {
		return n
	}
	return fmt.Sprintf("dialect(%d)", int(d))
}

// words names the dialect in a change's reason.
func (d Dialect) words() string {
	switch d {
	case OpenAI:
		return "OpenAI without strict"
	case OpenAIStrict:
		return "OpenAI's strict mode"
	case Anthropic:
		return "Anthropic's input_schema"
	case AnthropicStrict:
		return "Anthropic's strict tool use"
	case GeminiJSONSchema:
		return "Gemini's responseJsonSchema"
	case GeminiSchema:
		return "Gemini's legacy responseSchema"
	}
	return d.String()
}

// Parse reads a dialect's name as String writes it.
func Parse(s string) (Dialect, error) {
	for d, n := range dialectNames {
		if n == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w %q: want openai, openai-strict, anthropic, anthropic-strict, gemini or gemini-legacy", ErrUnknown, s)
}

// MarshalText writes the dialect's name.
func (d Dialect) MarshalText() ([]byte, error) {
	if _, ok := dialectNames[d]; !ok {
		return nil, fmt.Errorf("%w: dialect %d", ErrUnknown, int(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads a dialect's name (see Parse).
func (d *Dialect) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// IsStrict reports whether d is a strict form (OpenAIStrict,
// AnthropicStrict).
func (d Dialect) IsStrict() bool { return d == OpenAIStrict || d == AnthropicStrict }

// Strict returns the strict form of d's provider (OpenAIStrict for OpenAI),
// d itself when it has none (the Gemini dialects).
func (d Dialect) Strict() Dialect {
	switch d {
	case OpenAI:
		return OpenAIStrict
	case Anthropic:
		return AnthropicStrict
	}
	return d
}

// Loose returns the form of d's provider without strict (OpenAI for
// OpenAIStrict), d itself when it has no strict form.
func (d Dialect) Loose() Dialect {
	switch d {
	case OpenAIStrict:
		return OpenAI
	case AnthropicStrict:
		return Anthropic
	}
	return d
}

// Strict says when to ask a provider for strict decoding. The zero value,
// StrictAuto, turns it on when the rewritten schema qualifies.
type Strict int

const (
	// StrictAuto asks for strict decoding when the schema, rewritten,
	// passes the strict dialect's check, and otherwise sends the loose
	// form with a note (an Action Blocked change) saying why.
	StrictAuto Strict = iota
	// StrictOn always asks for it: a schema that cannot qualify is an
	// error (*NotStrictError).
	StrictOn
	// StrictOff never asks for it: the loose form is sent.
	StrictOff
)

var strictNames = [...]string{StrictAuto: "auto", StrictOn: "on", StrictOff: "off"}

// String returns "auto", "on" or "off".
func (s Strict) String() string {
	if s >= 0 && int(s) < len(strictNames) {
		return strictNames[s]
	}
	return fmt.Sprintf("strict(%d)", int(s))
}

// ParseStrict reads "auto", "on" or "off"; "" is auto.
func ParseStrict(s string) (Strict, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return StrictAuto, nil
	case "on", "true":
		return StrictOn, nil
	case "off", "false":
		return StrictOff, nil
	}
	return 0, fmt.Errorf("%w %q: want auto, on or off", ErrUnknown, s)
}

// MarshalText writes the mode's name.
func (s Strict) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a mode's name (see ParseStrict).
func (s *Strict) UnmarshalText(b []byte) error {
	v, err := ParseStrict(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Action is what a rewrite did to a constraint.
type Action string

// The actions of Result.Relaxed — the provider does not enforce the
// constraint, reask does — and of Result.Rewritten, which keep the
// schema's meaning.
const (
	// Dropped: the constraint is not sent.
	Dropped Action = "dropped"
	// Described: the constraint is not sent as a keyword but written into
	// the description, so the model reads it.
	Described Action = "described"
	// Loosened: a weaker form is sent (oneOf as anyOf, minItems 3 as 1,
	// a recursion cut at a depth).
	Loosened Action = "loosened"
	// Blocked: strict decoding is off because of this place in the
	// schema; nothing of the schema is enforced while decoding.
	Blocked Action = "strict_off"

	// Nullable: an optional property became required and nullable; a
	// null in the answer is read as the property absent (Result.Absent).
	Nullable Action = "nullable"
	// Restated: the same constraint in the dialect's words (const as a
	// one-value enum, allOf merged, a type list as nullable, an exclusive
	// integer bound as an inclusive one).
	Restated Action = "restated"
	// Inlined: a reference was replaced by the schema it points to.
	Inlined Action = "inlined"
)

// Change is one thing a rewrite did to the user's schema.
type Change struct {
	// Pointer is a JSON Pointer into the user's schema document: the
	// keyword concerned ("/properties/email/format") or, for a change to a
	// whole subschema, the subschema.
	Pointer string `json:"pointer"`
	// Keyword is the JSON Schema keyword concerned.
	Keyword string `json:"keyword"`
	// Action is what was done.
	Action Action `json:"action"`
	// Reason says why, in a few words.
	Reason string `json:"reason"`
}

func (c Change) String() string {
	p := c.Pointer
	if p == "" {
		p = "(root)"
	}
	return fmt.Sprintf("%s: %s %s: %s", p, c.Keyword, c.Action, c.Reason)
}

// Result is a schema rewritten for a dialect.
type Result struct {
	// Dialect is the dialect Schema is written in: with Select, the loose
	// form when strict could not be used.
	Dialect Dialect
	// Schema is the document to send, compact JSON with the user's order
	// of properties.
	Schema json.RawMessage
	// Strict reports whether to ask for strict decoding (Dialect is a
	// strict form and Schema passes its check).
	Strict bool
	// Relaxed lists the user's constraints that the provider will not
	// enforce, in document order: reask's own validation does.
	Relaxed []Change
	// Rewritten lists the changes that keep the schema's meaning.
	Rewritten []Change
	// Problems is what the dialect's check still finds in Schema: empty
	// unless the schema holds something the dialect cannot say at all (a
	// map type for Gemini's legacy schema, a root that is not an object
	// for Anthropic), which the provider is likely to refuse.
	Problems []Problem

	// absent maps a place in Schema (a JSON Pointer to an object
	// subschema) to its properties whose null means absent.
	absent map[*object][]string
	tree   any // Schema, parsed, for Absent
}

// NotStrictError is returned by Select with StrictOn for a schema that
// cannot be made to pass the strict dialect's check.
type NotStrictError struct {
	Dialect Dialect
	// Blockers are the places that keep strict mode off.
	Blockers []Change
}

// ErrNotStrict is matched by *NotStrictError.
var ErrNotStrict = errors.New("dialect: the schema cannot be sent strict")

func (e *NotStrictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s", ErrNotStrict, e.Dialect)
	for i, c := range e.Blockers {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Blockers)-3)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// Is makes errors.Is match ErrNotStrict.
func (e *NotStrictError) Is(target error) bool { return target == ErrNotStrict }

// Target is how a provider takes a schema: the dialect of its API and when
// to ask for strict decoding. Providers give theirs to reask's loop, which
// sends the schema rewritten (see Select).
type Target struct {
	Dialect Dialect
	Strict  Strict
}

// Select is Select(doc, t.Dialect, t.Strict).
func (t Target) Select(doc []byte) (*Result, error) { return Select(doc, t.Dialect, t.Strict) }

// Select rewrites doc for the provider whose dialect d is, deciding strict
// mode: with StrictAuto it rewrites for d.Strict() and keeps that when the
// result passes Check, else rewrites for d.Loose() and adds to Relaxed, as
// Blocked changes, what kept strict mode off; StrictOn returns a
// *NotStrictError instead of falling back; StrictOff rewrites for
// d.Loose(). Dialects without a strict form (Gemini's) ignore s.
func Select(doc []byte, d Dialect, s Strict) (*Result, error) {
	strict := d.Strict()
	if s == StrictOff || !strict.IsStrict() {
		return Rewrite(doc, d.Loose())
	}
	r, err := Rewrite(doc, strict)
	if err != nil {
		return nil, err
	}
	if r.Strict {
		return r, nil
	}
	blockers := r.blockers()
	if s == StrictOn {
		return nil, &NotStrictError{Dialect: strict, Blockers: blockers}
	}
	loose, err := Rewrite(doc, d.Loose())
	if err != nil {
		return nil, err
	}
	loose.Relaxed = append(blockers, loose.Relaxed...)
	return loose, nil
}

// blockers lists what keeps a strict rewrite from qualifying: its Blocked
// changes, and each problem its check found.
func (r *Result) blockers() []Change {
	var out []Change
	for _, c := range r.Relaxed {
		if c.Action == Blocked {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		for _, p := range r.Problems {
			out = append(out, Change{Pointer: p.Pointer, Keyword: p.Keyword, Action: Blocked, Reason: p.Message})
		}
	}
	return out
}
