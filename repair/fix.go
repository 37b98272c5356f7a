package repair

import (
	"strconv"
	"strings"
)

// Kind names one sort of fix. Its string values are stable: reports,
// statistics and tests count by them.
type Kind string

// Syntax fixes, made while finding and parsing the JSON.
const (
	// Where the JSON is.
	KindMarkdownFence    Kind = "markdown_fence"    // ```json … ``` around the JSON
	KindSurroundingProse Kind = "surrounding_prose" // text before or after the JSON
	KindCandidateChosen  Kind = "candidate_chosen"  // several JSON values; one was chosen
	KindDoubleEncoded    Kind = "double_encoded"    // a JSON document inside a JSON string, or escaped
	KindFunctionCall     Kind = "function_call"     // callback({…}), ObjectId("…"): the call dropped

	// Strings.
	KindSingleQuotes        Kind = "single_quotes"        // 'text'
	KindSmartQuotes         Kind = "smart_quotes"         // “text”, ‘text’, `text´
	KindUnquotedKey         Kind = "unquoted_key"         // {name: …}
	KindUnquotedString      Kind = "unquoted_string"      // a bare word or a malformed number, quoted
	KindMissingQuote        Kind = "missing_quote"        // a string's opening or closing quote added
	KindUnescapedQuote      Kind = "unescaped_quote"      // a quote inside a string, escaped
	KindStrayQuote          Kind = "stray_quote"          // a lone quote after a member, or a doubled one (""a""), dropped
	KindControlCharacter    Kind = "control_character"    // a raw newline or tab inside a string, escaped
	KindInvalidEscape       Kind = "invalid_escape"       // \d kept as \\d; \' read as '
	KindInvalidUTF8         Kind = "invalid_utf8"         // bytes that are not UTF-8, replaced by U+FFFD
	KindStringConcatenation Kind = "string_concatenation" // "a" + "b"
	KindRegex               Kind = "regex"                // /pattern/ as a string

	// Numbers and literals.
	KindInvalidNumber   Kind = "invalid_number"    // .5, +1, 1., 1e: written as JSON numbers
	KindNonFiniteNumber Kind = "non_finite_number" // NaN, Infinity: null
	KindPythonLiteral   Kind = "python_literal"    // True, False, None
	KindLiteralCase     Kind = "literal_case"      // TRUE, Null, …
	KindUndefined       Kind = "undefined"         // undefined: null
	KindPythonTuple     Kind = "python_tuple"      // (1, 2) as [1, 2]; (1) as 1
	KindPythonSet       Kind = "python_set"        // {'a', 'b'} as ["a", "b"]

	// Structure.
	KindComment           Kind = "comment"            // // … and /* … */ and # …
	KindTrailingComma     Kind = "trailing_comma"     // [1, 2,]
	KindExtraComma        Kind = "extra_comma"        // [, 1] and [1,, 2]
	KindMissingComma      Kind = "missing_comma"      // {"a": 1 "b": 2}
	KindMissingColon      Kind = "missing_colon"      // {"a" 1}
	KindMissingValue      Kind = "missing_value"      // {"a": } read as null
	KindStrayColon        Kind = "stray_colon"        // {:}: a colon with no key and no value, dropped
	KindMissingBracket    Kind = "missing_bracket"    // a container closed where its parent closes
	KindMismatchedBracket Kind = "mismatched_bracket" // [1, 2} closed as [1, 2]
	KindEllipsis          Kind = "ellipsis"           // [1, 2, ...]
	KindUnicodeWhitespace Kind = "unicode_whitespace" // non-breaking space, BOM, … between tokens
)

// Coercion fixes, made with a schema (Offset -1).
const (
	KindStringToInteger  Kind = "string_to_integer"  // "30" → 30
	KindStringToNumber   Kind = "string_to_number"   // "4.5" → 4.5, "$1,299.50" → 1299.5
	KindStringToBoolean  Kind = "string_to_boolean"  // "yes" → true
	KindNumberToString   Kind = "number_to_string"   // 30 → "30"
	KindWrapInArray      Kind = "wrap_in_array"      // "a" → ["a"]
	KindEnumCase         Kind = "enum_case"          // " Positive" → "positive"
	KindDropUnknownField Kind = "drop_unknown_field" // a field additionalProperties forbids
	KindParseEmbedded    Kind = "parse_embedded"     // "{\"a\":1}" → {"a":1} where an object is expected
)

// Fix records one change made to the answer. Fixes are reported, counted
// and shown to people; none of them invents data.
type Fix struct {
	// Path is the JSON Pointer (RFC 6901) of the value touched in the
	// result; "" is the whole document.
	Path string `json:"path"`
	// Offset is the byte offset in the input where a syntax fix applies;
	// -1 for coercions, which act on values rather than text.
	Offset int `json:"offset"`
	// Kind says what was done.
	Kind Kind `json:"kind"`
	// Before and After are short excerpts: the text or value as it was
	// and as it became ("" when something was added or removed).
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// String renders the fix on one line:
//
//	/items: trailing_comma at byte 27: , → (nothing)
//	/age: string_to_integer: "30" → 30
func (f Fix) String() string {
	var b strings.Builder
	if f.Path == "" {
		b.WriteString("(root)")
	} else {
		b.WriteString(f.Path)
	}
	b.WriteString(": ")
	b.WriteString(string(f.Kind))
	if f.Offset >= 0 {
		b.WriteString(" at byte ")
		b.WriteString(strconv.Itoa(f.Offset))
	}
	if f.Before != "" || f.After != "" {
		b.WriteString(": ")
		b.WriteString(quoteExcerpt(f.Before))
		b.WriteString(" → ")
		b.WriteString(quoteExcerpt(f.After))
	}
	return b.String()
}

// maxExcerpt bounds Before and After.
const maxExcerpt = 40

// shortText cuts s to at most maxExcerpt bytes on a rune boundary.
func shortText(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	cut := maxExcerpt
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func quoteExcerpt(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return oneLine([]byte(s))
}
