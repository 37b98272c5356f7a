package dialect

import (
	"regexp"
	"strings"
)

// handling is what a dialect does with a keyword it meets.
type handling int

const (
	keep     handling = iota // sent as it is
	drop                     // not sent; a Relaxed change
	describe                 // written into the description; a Relaxed change
	silent                   // not sent, unrecorded: an annotation the dialect has no use for
	note                     // written into the description, unrecorded: an annotation (default, examples)
	special                  // handled by the rewriter itself
)

// The keywords every transforming dialect handles itself.
var specialKeywords = map[string]bool{
	"$ref": true, "$defs": true, "definitions": true, "type": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "prefixItems": true, "additionalItems": true,
	"anyOf": true, "oneOf": true, "allOf": true, "enum": true, "const": true, "format": true,
	"pattern": true, "description": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minItems": true, "patternProperties": true,
}

// Keywords that are annotations in JSON Schema 2020-12 (or OpenAPI) and
// that no dialect needs.
var annotationKeywords = map[string]bool{
	"$schema": true, "$id": true, "$anchor": true, "$comment": true, "$dynamicRef": true, "$dynamicAnchor": true,
	"$vocabulary": true, "readOnly": true, "writeOnly": true, "deprecated": true, "contentEncoding": true,
	"contentMediaType": true, "contentSchema": true, "discriminator": true, "xml": true, "externalDocs": true,
	"nullable": true,
}

// Keywords that only constrain together with others, or that no dialect
// takes: dropped with a Relaxed change.
var droppedKeywords = map[string]bool{
	"not": true, "if": true, "then": true, "else": true, "dependentSchemas": true, "dependencies": true,
	"propertyNames": true, "unevaluatedProperties": true, "unevaluatedItems": true,
}

// rule says how dialect d handles keyword k (for the four transforming
// dialects; OpenAI and Anthropic send every schema as it is).
func rule(d Dialect, k string) handling {
	if specialKeywords[k] {
		return special
	}
	switch k {
	case "title":
		return keep
	case "default":
		if d == AnthropicStrict || d == GeminiSchema {
			return keep
		}
		return note
	case "examples", "example":
		if d == GeminiSchema {
			return special // example: the first
		}
		return note
	}
	if d == GeminiJSONSchema && (k == "$id" || k == "$anchor") {
		return keep
	}
	if annotationKeywords[k] || strings.HasPrefix(k, "x-") {
		return silent
	}
	if droppedKeywords[k] {
		return drop
	}
	switch k {
	case "minLength", "maxLength", "minProperties", "maxProperties":
		if d == GeminiSchema {
			return keep
		}
		return describe
	case "minimum", "maximum":
		if d == AnthropicStrict {
			return describe
		}
		return keep
	case "multipleOf":
		if d == OpenAIStrict {
			return keep
		}
		return describe
	case "maxItems":
		if d == AnthropicStrict {
			return describe
		}
		return keep
	case "uniqueItems", "contains", "minContains", "maxContains", "dependentRequired":
		return describe
	}
	// Any other keyword is an annotation in 2020-12 (an unknown keyword):
	// it constrains nothing, and a dialect's check may refuse it.
	return silent
}

// Formats each dialect takes; nil takes every format.
var (
	openAIFormats    = setOf("date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid")
	anthropicFormats = setOf("date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid")
	// Gemini's legacy schema: the Gemini API takes these formats per type.
	geminiStringFormats  = setOf("enum", "date-time")
	geminiNumberFormats  = setOf("float", "double")
	geminiIntegerFormats = setOf("int32", "int64")
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

// formatOK reports whether d takes format f on a schema of JSON types
// types (nil when unsaid).
func formatOK(d Dialect, f string, types []string) bool {
	switch d {
	case OpenAIStrict:
		return openAIFormats[f]
	case AnthropicStrict:
		return anthropicFormats[f]
	case GeminiSchema:
		if len(types) != 1 {
			return false
		}
		switch types[0] {
		case "string":
			return geminiStringFormats[f]
		case "number":
			return geminiNumberFormats[f]
		case "integer":
			return geminiIntegerFormats[f]
		}
		return false
	}
	return true
}

var (
	// lookaround matches the regular expression features OpenAI's and
	// Anthropic's grammars refuse: lookahead and lookbehind, and
	// backreferences.
	lookaround = regexp.MustCompile(`\(\?[=!]|\(\?<[=!]|\\[1-9]`)
	// wordBoundary: Anthropic's patterns also refuse \b and \B.
	wordBoundary = regexp.MustCompile(`\\[bB]`)
	// largeRepeat finds {n,m} quantifiers; Anthropic takes "simple" ones.
	largeRepeat = regexp.MustCompile(`\{(\d+)(?:,(\d*))?\}`)
)

// maxAnthropicRepeat is the largest bound of a {n,m} quantifier that a
// pattern sent to Anthropic's strict tools may hold: its documentation
// takes "simple {n,m} cases" and refuses "complex quantifiers with large
// ranges", without a number; reask takes 100 as large.
const maxAnthropicRepeat = 100

// patternOK reports whether d takes the regular expression p.
func patternOK(d Dialect, p string) bool {
	switch d {
	case OpenAIStrict:
		return !hasUnescaped(p, lookaround)
	case AnthropicStrict:
		if hasUnescaped(p, lookaround) || hasUnescaped(p, wordBoundary) {
			return false
		}
		for _, m := range largeRepeat.FindAllStringSubmatch(p, -1) {
			for _, n := range m[1:] {
				if len(n) > 3 || (n != "" && atoiSmall(n) > maxAnthropicRepeat) {
					return false
				}
			}
		}
		return true
	case GeminiJSONSchema:
		return false
	}
	return true
}

// hasUnescaped reports whether re matches p at a place not preceded by an
// escaping backslash.
func hasUnescaped(p string, re *regexp.Regexp) bool {
	for _, loc := range re.FindAllStringIndex(p, -1) {
		n := 0
		for i := loc[0] - 1; i >= 0 && p[i] == '\\'; i-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
	}
	return false
}

func atoiSmall(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
		if n > 1_000_000 {
			return n
		}
	}
	return n
}
