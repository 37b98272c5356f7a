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
	if row := byKind[f.Kind]; row != nil {
		return containsAny(fb, row.words...)
	}
	return false
}

// notJSONWords, beside "json", say an answer was not JSON; notJSONPhrases
// say so alone (a parser's messages).
var (
	notJSONWords   = []string{"valid", "invalid", "pars*", "decod*", "syntax", "malformed", "well-formed", "proper", "only"}
	notJSONPhrases = []string{"expecting value", "expecting property", "expecting ','", "unexpected token", "unexpected character",
		"invalid character", "unterminated", "delimiter", "syntax error"}
)

// invalidJSON reports whether feedback says the answer was not JSON.
func invalidJSON(fb string) bool {
	if strings.Contains(fb, "json") && containsAny(fb, notJSONWords...) {
		return true
	}
	return containsAny(fb, notJSONPhrases...)
}

// containsAny reports whether s contains one of words, each as
// containsWord finds it; a trailing "*" on a word is dropped (it marks a
// stem).
func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if containsWord(s, strings.TrimSuffix(w, "*")) {
			return true
		}
	}
	return false
}

// containsWord finds w in s not glued to letters on either side (so "int"
// does not match "print"), or only on the left when w is a stem, so that
// "truncat" matches "truncated".
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

// stems are the words marked with a trailing "*" in the table and in
// notJSONWords: they match as stems wherever they are looked for, a
// member's name included.
var stems = func() map[string]bool {
	m := map[string]bool{}
	add := func(words []string) {
		for _, w := range words {
			if stem, ok := strings.CutSuffix(w, "*"); ok {
				m[stem] = true
			}
		}
	}
	for _, r := range table {
		add(r.words)
	}
	add(notJSONWords)
	return m
}()

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' }
