package gateway

import (
	"bytes"
	"errors"
	"iter"
	"strings"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
	"github.com/reask/reask/repair"
)

// Finding the JSON Schema a client wrote into its prompt. Clients in JSON
// mode, or with no response format at all, put the schema in a system
// message: instructor-js ("json schema: {...}"), the AI SDK's prompt
// injection ("JSON schema:\n{...}\nYou MUST answer ..."), LangChain users
// of jsonMode ("... this schema: {...}"), in Markdown fences or bare. The
// finder reads such messages once, within a byte budget, and never copies
// what is not a candidate: it runs on every json_object request.

// DefaultPromptSchemaScanBytes is how many bytes of a request's system and
// developer messages are searched for a JSON Schema (see
// Config.PromptSchemaScanBytes).
const DefaultPromptSchemaScanBytes = 256 << 10

// maxPromptBraceDepth is the deepest nesting of braces whose openings the
// finder tracks; an object nested deeper (far beyond any schema within
// schema.DefaultMaxDepth) is not a candidate, and memory stays constant.
const maxPromptBraceDepth = 256

// maxPendingSpans bounds the objects held while an enclosing brace is
// still open (prose such as "a { b" before the schema); the oldest are
// dropped first.
const maxPendingSpans = 64

// roleDeveloper is OpenAI's name for system instructions on newer models.
const roleDeveloper reask.Role = "developer"

// errAmbiguousPromptSchema is returned when the system and developer
// messages hold more than one JSON Schema, different from one another:
// the gateway cannot tell which one the answer must match.
var errAmbiguousPromptSchema = errors.New("the system and developer messages hold more than one JSON Schema, and they differ")

// findPromptSchema returns the JSON Schema written in the system and
// developer messages of msgs, as written: a JSON object (strict JSON) with
// "properties", "$defs" or "definitions" objects or "type": "object", bare
// or inside other text. It reads at most budget bytes of those messages,
// in order. Nothing found is (nil, nil); the same schema written twice is
// one; two different ones are errAmbiguousPromptSchema. User messages are
// not searched: they hold the input, which may itself be a schema or data
// shaped like one.
func findPromptSchema(msgs []reask.Message, budget int) ([]byte, error) {
	var found string
	for text := range instructionTexts(msgs, budget) {
		ambiguous := false
		eachObjectSpan(text, func(span string) bool {
			if !looksLikeSchema(span) {
				return true
			}
			switch found {
			case "":
				found = span
			case span:
			default:
				ambiguous = true
				return false
			}
			return true
		})
		if ambiguous {
			return nil, errAmbiguousPromptSchema
		}
	}
	if found == "" {
		return nil, nil
	}
	return []byte(found), nil
}

// eachObjectSpan calls yield with each outermost brace-delimited span of
// s ("{" to its matching "}", braces in double-quoted strings inside it
// skipped), in order, until yield returns false. A span inside braces that
// never close (prose such as "use { carefully") is outermost too; a stray
// "}" outside braces and quotes outside braces are prose. It reads s once,
// in constant memory.
func eachObjectSpan(s string, yield func(span string) bool) {
	var opens [maxPromptBraceDepth]int // offsets of the innermost open braces, a ring
	top, held := 0, 0                  // the ring's next slot, and how many offsets it holds
	depth := 0                         // open braces, held or not
	type span struct{ from, to int }
	var pending []span // closed inside a brace still open; disjoint, in order
	for i := 0; i < len(s); i++ {
		// Jump to the next byte that matters: outside braces only an
		// opening one; inside, braces and the quotes of strings.
		var next int
		if depth == 0 {
			next = strings.IndexByte(s[i:], '{')
		} else {
			next = strings.IndexAny(s[i:], `{}"`)
		}
		if next < 0 {
			break
		}
		i += next
		switch s[i] {
		case '"':
			i = quoteEnd(s, i+1)
		case '{':
			depth++
			opens[top] = i
			top = (top + 1) % maxPromptBraceDepth
			held = min(held+1, maxPromptBraceDepth)
		case '}':
			depth--
			if held == 0 {
				continue // its opening was nested too deep to be held
			}
			top = (top - 1 + maxPromptBraceDepth) % maxPromptBraceDepth
			held--
			from := opens[top]
			for len(pending) > 0 && pending[len(pending)-1].from > from {
				pending = pending[:len(pending)-1] // inside this one
			}
			if depth == 0 {
				if !yield(s[from : i+1]) {
					return
				}
				continue
			}
			if len(pending) == maxPendingSpans {
				pending = append(pending[:0], pending[1:]...)
			}
			pending = append(pending, span{from, i + 1})
		}
	}
	for _, p := range pending {
		if !yield(s[p.from:p.to]) {
			return
		}
	}
}

// quoteEnd returns the offset of the quote that closes the JSON string
// whose content starts at i (backslash escapes skipped), or len(s).
func quoteEnd(s string, i int) int {
	for {
		j := strings.IndexAny(s[i:], `"\`)
		if j < 0 {
			return len(s)
		}
		i += j
		if s[i] == '"' {
			return i
		}
		i += 2 // the backslash and the byte it escapes
		if i >= len(s) {
			return len(s)
		}
	}
}

// schemaWords are the members one of which a JSON object must have to be
// taken for a schema, as quoted JSON strings.
var schemaWords = []string{`"properties"`, `"$defs"`, `"definitions"`, `"type"`}

// looksLikeSchema reports whether span is a JSON object (strict JSON) with
// a "properties", "$defs" or "definitions" object, or "type": "object", at
// its top level. Spans naming none of them are refused before they are
// validated.
func looksLikeSchema(span string) bool {
	if strings.IndexByte(span, '"') < 0 {
		return false // no member names: prose such as {name}
	}
	named := false
	for _, w := range schemaWords {
		if strings.Contains(span, w) {
			named = true
			break
		}
	}
	if !named {
		return false
	}
	b := []byte(span)
	if !repair.Valid(b) {
		return false
	}
	schemaLike := false
	_ = jsonscan.EachMember(b, func(key, _, value []byte) {
		switch string(key) {
		case "properties", "$defs", "definitions":
			schemaLike = schemaLike || value[0] == '{'
		case "type":
			schemaLike = schemaLike || bytes.Equal(value, []byte(`"object"`))
		}
	})
	return schemaLike
}

// asksForObject reports whether a prompt plainly asks for JSON shaped by
// doc, the schema found in it: doc describes a whole object ("type":
// "object" and a "properties" object at its top level) and the system or
// developer messages, within budget bytes, say "JSON" (in any case).
// PromptSchemaAuto holds a request with no response format to its prompt's
// schema only then, so that a chat prompt that shows a schema as an
// example, or one for a sub-value, is not answered with bare JSON.
func asksForObject(msgs []reask.Message, doc []byte, budget int) bool {
	object, props := false, false
	_ = jsonscan.EachMember(doc, func(key, _, value []byte) {
		switch string(key) {
		case "type":
			object = object || bytes.Equal(value, []byte(`"object"`))
		case "properties":
			props = props || value[0] == '{'
		}
	})
	if !object || !props {
		return false
	}
	for text := range instructionTexts(msgs, budget) {
		if containsFold(text, "json") {
			return true
		}
	}
	return false
}

// instructionTexts yields the contents of the system and developer
// messages of msgs, in order, cut so that together they hold at most
// budget bytes: what the prompt-schema finder reads.
func instructionTexts(msgs []reask.Message, budget int) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, m := range msgs {
			if m.Role != reask.RoleSystem && m.Role != roleDeveloper {
				continue
			}
			if budget <= 0 {
				return
			}
			text := m.Content
			if len(text) > budget {
				text = text[:budget]
			}
			budget -= len(text)
			if !yield(text) {
				return
			}
		}
	}
}

// containsFold reports whether s contains w in any case, without copying
// s.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}
