package repair

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/repair/internal/corpus"
	"github.com/reask/reask/schema"
)

// kinds lists the kinds of fixes, in order.
func kinds(fixes []Fix) []Kind {
	out := make([]Kind, len(fixes))
	for i, f := range fixes {
		out[i] = f.Kind
	}
	return out
}

// k is shorthand for a list of kinds.
func k(ks ...Kind) []Kind { return ks }

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := corpus.Decode([]byte(s))
	if err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return v
}

// checkResult asserts that res holds want (as a value), that its JSON is
// valid and decodes to Value, and that its fixes have the given kinds.
func checkResult(t *testing.T, res *Result, want string, wantKinds []Kind) {
	t.Helper()
	if !json.Valid(res.JSON) {
		t.Fatalf("JSON is not valid: %s", res.JSON)
	}
	if !corpus.Equal(res.Value, mustDecode(t, want)) {
		t.Errorf("value = %s, want %s", mustJSON(res.Value), want)
	}
	if got := mustDecode(t, string(res.JSON)); !corpus.Equal(got, res.Value) {
		t.Errorf("JSON %s does not decode to Value %s", res.JSON, mustJSON(res.Value))
	}
	if got := kinds(res.Fixes); !slices.Equal(got, wantKinds) {
		t.Errorf("fix kinds = %v, want %v", got, wantKinds)
		for _, f := range res.Fixes {
			t.Logf("  %s", f)
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// TestParseRepairs covers each syntax repair: the value it gives and the
// exact fixes it records.
func TestParseRepairs(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		kinds []Kind
	}{
		// Valid JSON: unchanged, nothing recorded.
		{"valid object", `{"a": [1, 2.5e3, "x", true, null]}`, `{"a": [1, 2500, "x", true, null]}`, nil},
		{"valid scalar", `  12345678901234567890  `, `12345678901234567890`, nil},
		{"valid string with escapes", `"tab\tquote\" \u00e9 \ud83d\ude00"`, `"tab\tquote\" é 😀"`, nil},

		// Where the JSON is.
		{"fence", "```json\n{\"a\": 1}\n```", `{"a": 1}`, k(KindMarkdownFence, KindMarkdownFence)},
		{"fence any case and tag", "```JSON5\n[1]\n```", `[1]`, k(KindMarkdownFence, KindMarkdownFence)},
		{"fence without tag", "```\n{\"a\": 1}\n```", `{"a": 1}`, k(KindMarkdownFence, KindMarkdownFence)},
		{"prose before and after", "Here is the JSON:\n{\"a\": 1}\nHope this helps!", `{"a": 1}`, k(KindSurroundingProse, KindSurroundingProse)},
		{"prose and fence", "Sure.\n```json\n{\"a\": 1}\n```\nDone.", `{"a": 1}`,
			k(KindSurroundingProse, KindMarkdownFence, KindMarkdownFence, KindSurroundingProse)},
		{"largest candidate", `{"a": 1} or rather {"a": 1, "b": 2}`, `{"a": 1, "b": 2}`, k(KindSurroundingProse, KindCandidateChosen)},
		{"stray bracket in prose after", "{\"a\": 1}\nFor details see [the documentation of the long and winding API", `{"a": 1}`,
			k(KindSurroundingProse)},
		{"jsonp", `callback({"a": 1});`, `{"a": 1}`, k(KindFunctionCall, KindSurroundingProse)},
		{"double-encoded", `"{\"a\": [1, 2]}"`, `{"a": [1, 2]}`, k(KindDoubleEncoded)},
		{"escaped document", `{\"a\": \"b\"}`, `{"a": "b"}`, k(KindDoubleEncoded)},
		{"string that only looks like JSON", `"{a: b}"`, `"{a: b}"`, nil},

		// Strings.
		{"single quotes", `{'a': 'b'}`, `{"a": "b"}`, k(KindSingleQuotes, KindSingleQuotes)},
		{"smart quotes", `{“a”: “b”}`, `{"a": "b"}`, k(KindSmartQuotes, KindSmartQuotes)},
		{"smart quotes inside a string stay", `{"a": "say “hi”"}`, `{"a": "say “hi”"}`, nil},
		{"unquoted key", `{name: "John"}`, `{"name": "John"}`, k(KindUnquotedKey)},
		{"unquoted value", `{"a": hello world}`, `{"a": "hello world"}`, k(KindUnquotedString)},
		{"unquoted value with brackets", `{"a": f[1] and g{x}}`, `{"a": "f[1] and g{x}"}`, k(KindUnquotedString)},
		{"unquoted value with commas up to its closing quote", `{"a": one, two, three.", "b": 1}`, `{"a": "one, two, three.", "b": 1}`, k(KindMissingQuote)},
		{"unquoted values stay apart", `{"a": one, "b": two}`, `{"a": "one", "b": "two"}`, k(KindUnquotedString, KindUnquotedString)},
		{"raw newline", "{\"a\": \"line\nbreak\"}", `{"a": "line\nbreak"}`, k(KindControlCharacter)},
		{"raw tab", "{\"a\": \"x\ty\"}", `{"a": "x\ty"}`, k(KindControlCharacter)},
		{"invalid escape keeps the backslash", `{"re": "\d+\s"}`, `{"re": "\\d+\\s"}`, k(KindInvalidEscape)},
		{"windows path", `{"p": "C:\Users\x"}`, `{"p": "C:\\Users\\x"}`, k(KindInvalidEscape)},
		{"escaped single quote", `{"a": "it\'s"}`, `{"a": "it's"}`, k(KindInvalidEscape)},
		{"unescaped inner quote", `{"a": "the 24" screen"}`, `{"a": "the 24\" screen"}`, k(KindUnescapedQuote)},
		{"missing closing quote", `{"a": "b, "c": 1}`, `{"a": "b", "c": 1}`, k(KindMissingQuote)},
		{"quotation before a comma", `{"a": "lorem "ipsum", sic.", "b": 1}`, `{"a": "lorem \"ipsum\", sic.", "b": 1}`, k(KindUnescapedQuote)},
		{"quotation after a comma", `{"a": "He said, "hi" and left"}`, `{"a": "He said, \"hi\" and left"}`, k(KindUnescapedQuote)},
		{"quotation after a colon", `{"a": "Note: "x" is y"}`, `{"a": "Note: \"x\" is y"}`, k(KindUnescapedQuote)},
		{"sentence without its closing quote", `{"a": "one, two "and" three}`, `{"a": "one, two \"and\" three"}`, k(KindUnescapedQuote, KindMissingQuote)},
		{"element after a closed string", `["value1" value2", "value3"]`, `["value1", "value2", "value3"]`, k(KindMissingComma, KindMissingQuote)},
		{"bare element after a closed string", `["a" b]`, `["a", "b"]`, k(KindMissingComma, KindUnquotedString)},
		{"quotation in an element", `["He said "hi" to me", "x"]`, `["He said \"hi\" to me", "x"]`, k(KindUnescapedQuote)},
		{"object literal quoted in a sentence", `{"x": "the answer {"a": "music"}, which is wrong"}`, `{"x": "the answer {\"a\": \"music\"}, which is wrong"}`, k(KindUnescapedQuote)},
		{"markdown link with a quoted URL", `{"c": "[LINK]("https://example.com")"}`, `{"c": "[LINK](\"https://example.com\")"}`, k(KindUnescapedQuote)},
		{"object literal before the next member", `{"x": "a, {"k": 1}, "y": 2}`, `{"x": "a, {\"k\": 1}", "y": 2}`, k(KindUnescapedQuote, KindMissingQuote)},
		{"brackets alone stay strings", `{'a': '(', 'b': ')'}`, `{"a": "(", "b": ")"}`, k(KindSingleQuotes, KindSingleQuotes, KindSingleQuotes, KindSingleQuotes)},
		{"doubled quotes", `{""name"": ""Ada"", 'n': ''1''}`, `{"name": "Ada", "n": "1"}`,
			k(KindStrayQuote, KindStrayQuote, KindStrayQuote, KindStrayQuote, KindSingleQuotes, KindSingleQuotes, KindStrayQuote, KindStrayQuote)},
		{"quotation at the start of a value", `{"a": ""Hi" she said", "b": ""x""}`, `{"a": "\"Hi\" she said", "b": "\"x\""}`, k(KindUnescapedQuote, KindUnescapedQuote)},
		{"empty strings stay", `{"a": "", "b": ['', ""]}`, `{"a": "", "b": ["", ""]}`, k(KindSingleQuotes)},
		{"bracket and line break in a string", "{\"a\": \"see [1, \"z\"]\n\", \"b\": 1}", `{"a": "see [1, \"z\"]", "b": 1}`, k(KindUnescapedQuote, KindControlCharacter)},
		{"words after a quote in an element", `["the brown" fox jumps", "x"]`, `["the brown\" fox jumps", "x"]`, k(KindUnescapedQuote)},
		{"inches in an element", `["the 24" screen", "x"]`, `["the 24\" screen", "x"]`, k(KindUnescapedQuote)},
		{"missing opening quote", `{"a": b", "c": 1}`, `{"a": "b", "c": 1}`, k(KindMissingQuote)},
		{"key quote after its colon", `{"key:"value"}`, `{"key": "value"}`, k(KindMissingQuote)},
		{"key without closing quote", `{"key:value}`, `{"key": "value"}`, k(KindMissingQuote, KindUnquotedString)},
		{"key without closing quote before a member", `{"a: 1, "b": 2}`, `{"a": 1, "b": 2}`, k(KindMissingQuote)},
		{"key ending in a colon", `{"a:": 1}`, `{"a:": 1}`, nil},
		{"concatenation", `{"a": "x" + "y"}`, `{"a": "xy"}`, k(KindStringConcatenation)},
		{"invalid UTF-8", "{\"a\": \"x\xffy\"}", `{"a": "x\ufffdy"}`, k(KindInvalidUTF8)},
		{"quote on the next line", "{\"a\": \"x\n\"}", `{"a": "x"}`, k(KindControlCharacter)},

		// Numbers and literals.
		{"python literals", `[True, False, None]`, `[true, false, null]`, k(KindPythonLiteral, KindPythonLiteral, KindPythonLiteral)},
		{"literal case", `[TRUE, Null]`, `[true, null]`, k(KindLiteralCase, KindLiteralCase)},
		{"NaN and Infinity", `[NaN, -Infinity, Infinity]`, `[null, null, null]`, k(KindNonFiniteNumber, KindNonFiniteNumber, KindNonFiniteNumber)},
		{"undefined", `{"a": undefined}`, `{"a": null}`, k(KindUndefined)},
		{"leading dot and plus", `[.5, +1, 1_000]`, `[0.5, 1, 1000]`, k(KindInvalidNumber, KindInvalidNumber, KindInvalidNumber)},
		{"not a number", `[0.0.1, 2024-01-02, 0789]`, `["0.0.1", "2024-01-02", "0789"]`, k(KindUnquotedString, KindUnquotedString, KindUnquotedString)},
		{"python tuple", `{"a": (1, 2)}`, `{"a": [1, 2]}`, k(KindPythonTuple)},
		{"python set", `{"tags": {'red', 'green',}}`, `{"tags": ["red", "green"]}`, k(KindPythonSet, KindSingleQuotes, KindSingleQuotes, KindTrailingComma)},
		{"python set of one", `{"a"}`, `["a"]`, k(KindPythonSet)},

		// Structure.
		{"line comment", "{\"a\": 1 // one\n}", `{"a": 1}`, k(KindComment)},
		{"block comment", `{/* c */ "a": 1}`, `{"a": 1}`, k(KindComment)},
		{"hash comment", "{\"a\": 1, # one\n\"b\": 2}", `{"a": 1, "b": 2}`, k(KindComment)},
		{"comment inside a string stays", `{"a": "/* x */"}`, `{"a": "/* x */"}`, nil},
		{"trailing comma in object", `{"a": 1,}`, `{"a": 1}`, k(KindTrailingComma)},
		{"trailing comma in array", `[1, 2, ]`, `[1, 2]`, k(KindTrailingComma)},
		{"leading and double comma", `[, 1,, 2]`, `[1, 2]`, k(KindExtraComma, KindExtraComma)},
		{"missing comma between members", `{"name": "John" "age": 30}`, `{"name": "John", "age": 30}`, k(KindMissingComma)},
		{"missing comma between elements", "[1\n2]", `[1, 2]`, k(KindMissingComma)},
		{"missing colon", `{"a" 1}`, `{"a": 1}`, k(KindMissingColon)},
		{"missing value", `{"a": , "b": 2}`, `{"a": null, "b": 2}`, k(KindMissingValue)},
		{"missing bracket before the parent closes", `{"a": [1, 2}`, `{"a": [1, 2]}`, k(KindMissingBracket)},
		{"mismatched bracket", `[1, 2}`, `[1, 2]`, k(KindMismatchedBracket)},
		{"object left open in an array", `[{"a": 1}, {"a": 2 {"a": 3}]`, `[{"a": 1}, {"a": 2}, {"a": 3}]`, k(KindMissingBracket, KindMissingComma)},
		{"ellipsis", `[1, 2, ...]`, `[1, 2]`, k(KindEllipsis)},
		{"array closed too early", `{"a": [1], [2, 3], "b": 4}`, `{"a": [1, 2, 3], "b": 4}`, k(KindMismatchedBracket)},
		{"array of arrays closed too early", `{"a": [[1], "x"], [[2]]}`, `{"a": [[1], "x", [2]]}`, k(KindMismatchedBracket)},
		{"row without its opening bracket", `{"rows": [["a", 1], "b", 2], ["c", 3]]}`, `{"rows": [["a", 1], ["b", 2], ["c", 3]]}`,
			k(KindMissingBracket, KindMismatchedBracket, KindMismatchedBracket)},
		{"extra closer before the last", `{"a": 1]}`, `{"a": 1}`, k(KindMismatchedBracket)},
		{"stray colon", `{:}`, `{}`, k(KindStrayColon)},
		{"stray colon after a comma", `{"a": 1, :}`, `{"a": 1}`, k(KindStrayColon)},
		{"no-break space", "{\"a\":\u00a01}", `{"a": 1}`, k(KindUnicodeWhitespace)},
		{"byte order mark", "\ufeff{\"a\": 1}", `{"a": 1}`, k(KindUnicodeWhitespace)},
		{"brackets left open before a closing fence", "```json\n{\"a\": [1, 2\n```", `{"a": [1, 2]}`,
			k(KindMarkdownFence, KindMissingBracket, KindMissingBracket, KindMarkdownFence)},
		{"stray word", `{"a": 1, NOTE "b": 2}`, `{"a": 1, "b": 2}`, k(KindSurroundingProse)},
		{"stray words", `{"a": 1, and then. "b": 2}`, `{"a": 1, "b": 2}`, k(KindSurroundingProse)},
		{"stray quote", "{\"a\": \"x\"\n\",\n\"b\": 1}", `{"a": "x", "b": 1}`, k(KindStrayQuote)},
		{"function call", `{"_id": ObjectId("abc")}`, `{"_id": "abc"}`, k(KindFunctionCall)},
		{"regular expression", `{"re": /^a[/]b$/i}`, `{"re": "/^a[/]b$/i"}`, k(KindRegex)},

		// Everything at once.
		{"llm answer", "Here you go:\n```json\n{name: 'John', age: 30, tags: ['a', 'b',], // note\n active: True,}\n```",
			`{"name": "John", "age": 30, "tags": ["a", "b"], "active": true}`,
			k(KindSurroundingProse, KindMarkdownFence, KindUnquotedKey, KindSingleQuotes, KindUnquotedKey, KindUnquotedKey,
				KindSingleQuotes, KindSingleQuotes, KindTrailingComma, KindComment, KindUnquotedKey, KindPythonLiteral,
				KindTrailingComma, KindMarkdownFence)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.in), Options{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			checkResult(t, res, tt.want, tt.kinds)
		})
	}
}

// TestParseValidUnchanged: valid JSON comes back as written, without its
// surrounding whitespace, sharing the input's memory.
func TestParseValidUnchanged(t *testing.T) {
	in := []byte(" \n{\"b\": 1,  \"a\": \"\\u00e9\"}\t\n")
	res, err := Parse(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.JSON) != `{"b": 1,  "a": "\u00e9"}` || len(res.Fixes) != 0 {
		t.Errorf("got %s with %v", res.JSON, res.Fixes)
	}
	if &res.JSON[0] != &in[2] {
		t.Error("JSON does not share the input's memory")
	}
}

// TestParseKeepsFormattingAroundProse: when only text around the JSON is
// removed, the JSON keeps its layout.
func TestParseKeepsFormattingAroundProse(t *testing.T) {
	in := "Result:\n```json\n{\n  \"a\": 1\n}\n```"
	res, err := Parse([]byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.JSON) != "{\n  \"a\": 1\n}" {
		t.Errorf("JSON = %q", res.JSON)
	}
}

func TestParseFixDetails(t *testing.T) {
	res, err := Parse([]byte(`{"user": {'name': 'John',}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Fix{
		{Path: "/user/name", Offset: 10, Kind: KindSingleQuotes, Before: "'name'", After: `"name"`},
		{Path: "/user/name", Offset: 18, Kind: KindSingleQuotes, Before: "'John'", After: `"John"`},
		{Path: "/user", Offset: 24, Kind: KindTrailingComma, Before: ",", After: ""},
	}
	if !slices.Equal(res.Fixes, want) {
		t.Errorf("fixes:\n got %v\nwant %v", res.Fixes, want)
	}
	if got := res.Fixes[2].String(); got != "/user: trailing_comma at byte 24: , → (nothing)" {
		t.Errorf("String() = %q", got)
	}
}

// TestParseErrors covers what repair refuses, and how it says so.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts Options
		want error
		msg  string // a part of the message
	}{
		{"empty", "  \n ", Options{}, ErrNoJSON, "empty"},
		{"prose only", "I cannot help with that.", Options{}, ErrNoJSON, "no JSON"},
		{"two backticks", "``", Options{}, ErrNoJSON, "empty Markdown code block"},
		{"three backticks", "```", Options{}, ErrNoJSON, "empty Markdown code block"},
		{"six backticks", "``````", Options{}, ErrNoJSON, "empty Markdown code block"},
		{"empty fence with a tag", "```json\n```\n", Options{}, ErrNoJSON, "empty Markdown code block"},
		{"double-backtick code span", "``a``", Options{}, ErrNoJSON, "no JSON"},
		{"truncated object", `{"name": "John", "age": 3`, Options{}, ErrTruncated, `"}" never closed`},
		{"truncated string", `{"name": "Jo`, Options{}, ErrTruncated, "inside a string in an object"},
		{"truncated nested", `{"a": [{"b": 1}, {"c": `, Options{}, ErrTruncated, `"}]}"`},
		{"truncated after prose", "Here it is: {\"a\": [1, 2", Options{}, ErrTruncated, "inside an array"},
		{"truncated number", `[1, 2.`, Options{}, ErrTruncated, "truncated"},
		{"missing key", `{: 1}`, Options{}, ErrSyntax, "expected an object key"},
		{"set mixed with members", `{"a", "b": 1}`, Options{}, ErrSyntax, "members and elements do not mix"},
		{"set of bare words", `{a, b}`, Options{}, ErrSyntax, "expected ':' after object key"},
		{"array where a key belongs", `{"a": 1, [2]}`, Options{}, ErrSyntax, "expected an object key"},
		{"array after a braceless object's array", `["k": [1], [2]]`, Options{}, ErrSyntax, "expected an object key"},
		{"several stray words before the end", `{"a": 1, quick brown fox}`, Options{}, ErrSyntax, "expected ':' after object key"},
		{"truncated set", `{"a", "b",`, Options{}, ErrTruncated, `"}" never closed`},
		{"thousands separator in an object", `{"n": 1,000}`, Options{}, ErrSyntax, "expected ':' after object key"},
		{"too large", `[1, 2, 3]`, Options{MaxBytes: 4}, ErrTooLarge, "9 bytes, the limit is 4"},
		{"too deep", `[[[[1]]]]`, Options{MaxDepth: 3}, ErrTooDeep, "more than 3 levels"},
		{"too deep broken", `[[[[1,]]]]`, Options{MaxDepth: 3}, ErrTooDeep, "more than 3 levels"},
		{"too deep after prose", "Result: " + strings.Repeat("[{'a': ", 600), Options{}, ErrTooDeep, "more than 512 levels"},
		{"off: fence", "```json\n{}\n```", Options{Level: Off}, ErrSyntax, "line 1, column 1"},
		{"off: trailing comma", `[1,]`, Options{Level: Off}, ErrSyntax, "unexpected character ']'"},
		{"off: invalid UTF-8", "\"\xff\"", Options{Level: Off}, ErrSyntax, "invalid UTF-8"},
		{"off: text after", `{} {}`, Options{Level: Off}, ErrSyntax, "unexpected text after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.in), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.in, res, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if _, _, err2 := Repair([]byte(tt.in), tt.opts); !errors.Is(err2, tt.want) {
				t.Errorf("Repair: %v", err2)
			}
		})
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse([]byte("{\n  \"a\": 1,\n  : 2\n}"), Options{})
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SyntaxError", err)
	}
	if se.Offset != 14 || se.Line != 3 || se.Column != 3 {
		t.Errorf("position = byte %d, line %d, column %d; want 14, 3, 3", se.Offset, se.Line, se.Column)
	}
	want := `line 3, column 3: unexpected character ':', expected an object key, near {\n  "a": 1,\n  : 2\n}`
	if se.Error() != want {
		t.Errorf("Error() = %q\nwant     %q", se.Error(), want)
	}
}

func TestTruncatedErrorPartial(t *testing.T) {
	_, err := Parse([]byte(`{"items": [{"id": 1}, {"id": 2, "name": "Wid`), Options{})
	var te *TruncatedError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TruncatedError", err)
	}
	if te.Open != `"}]}` || te.Offset != 44 {
		t.Errorf("Open = %q, Offset = %d", te.Open, te.Offset)
	}
	if string(te.Partial) != `{"items":[{"id":1},{"id":2}]}` {
		t.Errorf("Partial = %s", te.Partial)
	}
}

func TestLevels(t *testing.T) {
	s := schema.MustCompile(`{"type": "object", "properties": {"age": {"type": "integer"}}}`)
	in := []byte(`{age: "30"}`)
	tests := []struct {
		level Level
		want  string
		kinds []Kind
	}{
		{SyntaxAndCoercion, `{"age":30}`, k(KindUnquotedKey, KindStringToInteger)},
		{SyntaxOnly, `{"age":"30"}`, k(KindUnquotedKey)},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			res, err := Parse(in, Options{Level: tt.level, Schema: s})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.JSON) != tt.want || !slices.Equal(kinds(res.Fixes), tt.kinds) {
				t.Errorf("got %s %v", res.JSON, kinds(res.Fixes))
			}
		})
	}
	if _, err := Parse(in, Options{Level: Off, Schema: s}); !errors.Is(err, ErrSyntax) {
		t.Errorf("Off: %v", err)
	}
	res, err := Parse([]byte(`{"age": "30"}`), Options{Level: Off, Schema: s})
	if err != nil || string(res.JSON) != `{"age": "30"}` || len(res.Fixes) != 0 {
		t.Errorf("Off on valid JSON: %v %v", res, err)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"": SyntaxAndCoercion, "coerce": SyntaxAndCoercion, "Syntax": SyntaxOnly, "off": Off} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
		if got, _ := ParseLevel(want.String()); got != want {
			t.Errorf("round trip of %v", want)
		}
	}
	if _, err := ParseLevel("maximum"); err == nil {
		t.Error("ParseLevel accepted an unknown level")
	}
}

// TestSchemaChoosesCandidate: with several JSON values, the one valid
// against the schema wins over a larger one.
func TestSchemaChoosesCandidate(t *testing.T) {
	s := schema.MustCompile(`{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}`)
	in := `Example: {"id": 1, "title": "an example"}. Answer: {"name": "Ada"}`
	res, err := Parse([]byte(in), Options{Schema: s})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, `{"name": "Ada"}`, k(KindSurroundingProse, KindCandidateChosen))
	if !strings.Contains(res.Fixes[1].After, "valid against the schema") {
		t.Errorf("candidate fix: %s", res.Fixes[1])
	}
	res, err = Parse([]byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, `{"id": 1, "title": "an example"}`, k(KindSurroundingProse, KindCandidateChosen, KindSurroundingProse))
}

// TestSchemaKeepsStringDocument: a root string stays a string when the
// schema asks for one.
func TestSchemaKeepsStringDocument(t *testing.T) {
	s := schema.MustCompile(`{"type": "string"}`)
	res, err := Parse([]byte(`"{\"a\": 1}"`), Options{Schema: s})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, `"{\"a\": 1}"`, nil)
}

func TestRepairMatchesParse(t *testing.T) {
	for _, in := range []string{`{"a": 1}`, "```\n{a: 'b',}\n```", `[1, 2`} {
		res, perr := Parse([]byte(in), Options{})
		out, fixes, rerr := Repair([]byte(in), Options{})
		if (perr == nil) != (rerr == nil) {
			t.Fatalf("%q: Parse err %v, Repair err %v", in, perr, rerr)
		}
		if perr == nil && (string(out) != string(res.JSON) || !slices.Equal(fixes, res.Fixes)) {
			t.Errorf("%q: Repair gave %s %v, Parse %s %v", in, out, fixes, res.JSON, res.Fixes)
		}
	}
}
