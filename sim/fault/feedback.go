package fault

import "strings"

// Addressed reports whether feedback names fault f: the member it hit (by
// name, JSON Pointer or dotted path) or the problem it causes. A model
// told exactly what is wrong fixes it far more often than one told only
// that something is. The words looked for are the plain words anyone
// would use — "missing", "not valid JSON", "cut off", the type — not any
// one tool's phrasing.
func Addressed(f Fault, feedback string) bool {
	fb := strings.ToLower(feedback)
	if name := f.field(); name != "" {
		if containsWord(fb, strings.ToLower(name)) || strings.Contains(fb, strings.ToLower(f.Path)) {
			return true
		}
		if dotted := strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(f.Path), "/"), "/", "."); strings.Contains(fb, dotted) {
			return true
		}
	}
	if f.Kind.Syntax() && invalidJSON(fb) {
		return true
	}
	return containsAny(fb, problemWords[f.Kind]...)
}

var problemWords = map[Kind][]string{
	Fence:          {"markdown", "fence", "backtick", "```", "code block"},
	Prose:          {"prose", "explanation", "only the json", "only json", "text before", "text after", "extra text", "no text", "json only"},
	TrailingComma:  {"trailing comma", "comma"},
	SingleQuotes:   {"single quote", "double quote", "double-quote", "quote"},
	UnquotedKeys:   {"quote", "property name", "unquoted", "key"},
	Comments:       {"comment"},
	PythonLiterals: {"python", "literal", "true", "false", "null"},
	Truncated: {"truncat", "cut off", "cut short", "incomplete", "unterminated", "unexpected end", "end of input",
		"end of json", "eof", "too long", "shorter", "max_tokens", "finish_reason", "length"},
	MissingField:   {"missing", "required", "absent", "omitted", "left out"},
	NestedMissing:  {"missing", "required", "absent", "omitted", "left out"},
	NullField:      {"null", "none", "nil", "must not be empty", "integer", "number", "string", "boolean", "type"},
	NumberAsString: {"integer", "number", "numeric", "int", "float", "type", "digits"},
	NumberAsWords:  {"integer", "number", "numeric", "int", "float", "type", "digits"},
	EnumCase:       {"enum", "one of", "allowed value", "permitted", "case", "lowercase", "uppercase", "must be"},
	ExtraField:     {"extra", "additional", "unexpected field", "unexpected key", "unknown field", "unknown key", "not allowed", "not permitted", "unrecognized", "not defined"},
}

// invalidJSON reports whether feedback says the answer was not JSON.
func invalidJSON(fb string) bool {
	if strings.Contains(fb, "json") && containsAny(fb, "valid", "invalid", "pars", "decod", "syntax", "malformed", "well-formed", "proper", "only") {
		return true
	}
	return containsAny(fb, "expecting value", "expecting property", "expecting ','", "unexpected token", "unexpected character",
		"invalid character", "unterminated", "delimiter", "syntax error")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if containsWord(s, sub) {
			return true
		}
	}
	return false
}

// containsWord finds w in s not glued to letters on either side (so "int"
// does not match "print", yet "truncat" matches "truncated" as a stem).
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		before := i == 0 || !isLetter(s[i-1])
		end := i + len(w)
		after := end == len(s) || !isLetter(s[end]) || stems[w]
		if before && after {
			return true
		}
		off = i + 1
	}
	return false
}

var stems = map[string]bool{"truncat": true, "pars": true, "decod": true, "quote": true, "comment": true, "key": true, "literal": true}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' }
