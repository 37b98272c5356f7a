package partial

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/prefixes.golden")

// personSchema has an enum, so that its strings are atomic, and nested
// arrays and objects.
var personSchema = schema.MustCompile(`{
	"type": "object",
	"properties": {
		"name": {"type": "string"},
		"age": {"type": "integer"},
		"mood": {"enum": ["happy", "sad"]},
		"tags": {"type": "array", "items": {"type": "string"}},
		"grid": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
		"pet": {"type": "object", "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}}}
	}
}`)

// goldenAnswers are the answers whose every prefix the golden file shows.
var goldenAnswers = []struct {
	name   string
	schema *schema.Schema
	in     string
}{
	{"flat", nil, `{"name": "Ada", "age": 36, "ok": true, "none": null}`},
	{"escapes", nil, `{"q": "say \"hi\"\n\ttab \\ \/ \u00e9 \ud83d\ude00 é 😀"}`},
	{"nested arrays", nil, `{"grid": [[1, 2.5], [], [-3e2, [true, false]]], "end": "x"}`},
	{"numbers split", nil, `[12345, -0.5, 6E+7, 0]`},
	{"enum and const", personSchema, `{"name": "Bo", "mood": "happy", "pet": {"kind": "cat", "lives": 9}, "tags": ["a", "b"]}`},
	{"integer as string", personSchema, `{"age": "30", "name": "C"}`},
	{"fence and prose", personSchema, "Sure! Here it is:\n```json\n{\"name\": \"Di\", \"tags\": []}\n```\nAnything else?"},
	{"trailing commas", nil, `{"a": [1, 2,], "b": {"c": 3,},}`},
	{"root string", nil, `"streamed text"`},
	{"root number", nil, `-12.5`},
	{"empty containers", nil, `{"a": {}, "b": [], "c": [{}]}`},
}

// states feeds in byte by byte and returns, at each change of what shows,
// the prefix length, the text and the open pointers.
func states(t *testing.T, s *schema.Schema, in string) []string {
	t.Helper()
	p := New(Options{Schema: s})
	var out []string
	ver := 0
	for i := 0; i < len(in); i++ {
		if _, err := p.Write([]byte{in[i]}); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
		if p.Version() != ver {
			ver = p.Version()
			out = append(out, fmt.Sprintf("%d\t%s\topen=%q", i+1, p.AppendJSON(nil), p.Open(nil)))
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if p.Version() != ver {
		out = append(out, fmt.Sprintf("close\t%s\topen=%q", p.AppendJSON(nil), p.Open(nil)))
	}
	return out
}

func TestGoldenPrefixes(t *testing.T) {
	var b strings.Builder
	for _, a := range goldenAnswers {
		fmt.Fprintf(&b, "== %s: %s\n", a.name, a.in)
		for _, line := range states(t, a.schema, a.in) {
			b.WriteString(line + "\n")
		}
	}
	path := filepath.Join("testdata", "prefixes.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("partials differ from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

// TestEveryPrefix checks the partial semantics on every prefix of the
// golden answers: what shows is JSON, never changes except an open string
// growing and open containers gaining members, agrees with the full
// parse, and numbers and enums show only whole.
func TestEveryPrefix(t *testing.T) {
	for _, a := range goldenAnswers {
		t.Run(a.name, func(t *testing.T) {
			checkPrefixes(t, a.schema, []byte(a.in), finalOf(t, a.in))
		})
	}
}

// finalOf is the full parse of a golden answer: the JSON in it.
func finalOf(t *testing.T, in string) any {
	t.Helper()
	start := strings.IndexAny(in, "{[\"-0123456789")
	end := strings.LastIndexAny(in, "}]\"0123456789")
	text := in[start : end+1]
	text = strings.ReplaceAll(strings.ReplaceAll(text, ",]", "]"), ",}", "}")
	var v any
	if err := decode([]byte(text), &v); err != nil {
		t.Fatalf("golden answer %q: %v", text, err)
	}
	return v
}

// checkPrefixes feeds in byte by byte, and checks every partial against
// the one before and against final (nil: not known).
func checkPrefixes(t *testing.T, s *schema.Schema, in []byte, final any) {
	t.Helper()
	p := New(Options{Schema: s})
	var prev any
	var prevOpen []string
	started := false
	for i := range in {
		if _, err := p.Write(in[i : i+1]); err != nil {
			return // not JSON this parser reads: nothing more to check
		}
		text := p.AppendJSON(nil)
		if !p.Started() {
			if len(text) != 0 {
				t.Fatalf("prefix %d: %q shows before anything started", i+1, text)
			}
			continue
		}
		if !json.Valid(text) {
			t.Fatalf("prefix %d: shows %q, not JSON", i+1, text)
		}
		var cur any
		if err := decode(text, &cur); err != nil {
			t.Fatal(err)
		}
		if started {
			if err := extends(prev, cur, prevOpen, ""); err != nil {
				t.Fatalf("prefix %d: %s then %s: %v", i+1, prevText(prev), text, err)
			}
		}
		open := p.Open(nil)
		if final != nil {
			if err := extends(cur, final, open, ""); err != nil {
				t.Fatalf("prefix %d: %s does not lead to the final value: %v", i+1, text, err)
			}
		}
		if s != nil {
			if err := atomsWhole(s, cur, open, ""); err != nil {
				t.Fatalf("prefix %d: %s: %v", i+1, text, err)
			}
		}
		prev, prevOpen, started = cur, open, true
	}
}

func prevText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// extends reports how next is not what prev can become: objects and
// arrays open in prev may gain members, the open string may grow, and
// nothing else may change.
func extends(prev, next any, open []string, path string) error {
	isOpen := slices.Contains(open, path)
	switch pv := prev.(type) {
	case map[string]any:
		nv, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object became %T", path, next)
		}
		if !isOpen && len(nv) != len(pv) {
			return fmt.Errorf("%s: a closed object changed its members", path)
		}
		for k, v := range pv {
			w, ok := nv[k]
			if !ok {
				return fmt.Errorf("%s: member %q vanished", path, k)
			}
			if err := extends(v, w, open, schema.JoinPointer(path, k)); err != nil {
				return err
			}
		}
	case []any:
		nv, ok := next.([]any)
		if !ok {
			return fmt.Errorf("%s: an array became %T", path, next)
		}
		if len(nv) < len(pv) || (!isOpen && len(nv) != len(pv)) {
			return fmt.Errorf("%s: array of %d elements became %d", path, len(pv), len(nv))
		}
		for i, v := range pv {
			if err := extends(v, nv[i], open, fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	case string:
		nv, ok := next.(string)
		switch {
		case !ok:
			return fmt.Errorf("%s: a string became %T", path, next)
		case isOpen && !strings.HasPrefix(nv, pv):
			return fmt.Errorf("%s: open string %q became %q", path, pv, nv)
		case !isOpen && nv != pv:
			return fmt.Errorf("%s: closed string %q became %q", path, pv, nv)
		}
	default:
		if prev != next {
			return fmt.Errorf("%s: %v became %v", path, prev, next)
		}
	}
	return nil
}

// atomsWhole reports a string shown while open although its schema makes
// it atomic (an enum, a const, a value that must not be a string).
func atomsWhole(s *schema.Schema, v any, open []string, path string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, w := range x {
			if err := atomsWhole(s, w, open, schema.JoinPointer(path, k)); err != nil {
				return err
			}
		}
	case []any:
		for i, w := range x {
			if err := atomsWhole(s, w, open, fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	case string:
		n := s.At(path)
		if slices.Contains(open, path) && (len(n.Enum()) > 0 || (len(n.Types()) > 0 && !slices.Contains(n.Types(), "string"))) {
			return fmt.Errorf("%s: atomic string %q shown while open", path, x)
		}
		if len(n.Enum()) > 0 && !slices.Contains(n.Enum(), any(x)) {
			return fmt.Errorf("%s: %q is not a whole enum value", path, x)
		}
	}
	return nil
}

// Chunks may split anything — a number, an escape, a UTF-8 sequence, a
// key: what shows after a prefix does not depend on how it was cut.
func TestChunkingDoesNotMatter(t *testing.T) {
	for _, a := range goldenAnswers {
		in := []byte(a.in)
		for cut := 0; cut <= len(in); cut++ {
			whole := New(Options{Schema: a.schema})
			whole.Write(in[:cut])
			bytewise := New(Options{Schema: a.schema})
			for i := range cut {
				bytewise.Write(in[i : i+1])
			}
			if w, b := whole.AppendJSON(nil), bytewise.AppendJSON(nil); !bytes.Equal(w, b) {
				t.Fatalf("%s, prefix %d: one chunk shows %s, byte by byte %s", a.name, cut, w, b)
			}
			if w, b := whole.Open(nil), bytewise.Open(nil); !slices.Equal(w, b) {
				t.Fatalf("%s, prefix %d: one chunk has open %q, byte by byte %q", a.name, cut, w, b)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
		in   string
		want error // from Write, else from Close
	}{
		{"truncated object", Options{}, `{"a": [1, 2`, ErrTruncated},
		{"truncated string", Options{}, `{"a": "b`, ErrTruncated},
		{"truncated key", Options{}, `{"a`, ErrTruncated},
		{"truncated number", Options{}, `[1`, ErrTruncated},
		{"prose only", Options{}, `I cannot help with that.`, ErrNoJSON},
		{"empty", Options{}, ``, ErrNoJSON},
		{"missing colon", Options{}, `{"a" 1}`, ErrSyntax},
		{"bad number", Options{}, `[01]`, ErrSyntax},
		{"bad escape", Options{}, `["\x"]`, ErrSyntax},
		{"bad literal", Options{}, `[nul]`, ErrSyntax},
		{"too deep", Options{MaxDepth: 2}, `[[[1]]]`, ErrTooDeep},
		{"too large", Options{MaxBytes: 4}, `[1, 2]`, ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := New(c.opts)
			_, err := p.WriteString(c.in)
			if err == nil {
				err = p.Close()
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if _, again := p.WriteString("1"); !errors.Is(again, c.want) {
				t.Errorf("a later Write returned %v, want the same error", again)
			}
		})
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	p := New(Options{})
	_, err := p.WriteString(`{"a": 1 "b"}`)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 8 {
		t.Fatalf("got %v, want a *SyntaxError at offset 8", err)
	}
}

// OnClose hears every object and array as it closes, innermost first, with
// its own text.
func TestOnClose(t *testing.T) {
	var got []string
	p := New(Options{OnClose: func(path string, text []byte) {
		got = append(got, path+" "+string(text))
	}})
	p.WriteString(`{"a": [1, {"b": "c"}], "d~/": {}}`)
	want := []string{`/a/1 {"b":"c"}`, `/a [1,{"b":"c"}]`, `/d~0~1 {}`, ` {"a":[1,{"b":"c"}],"d~/":{}}`}
	if !slices.Equal(got, want) {
		t.Fatalf("closed %q, want %q", got, want)
	}
}

// Value decodes what shows; nothing shows before the value starts, and
// the prose after it is ignored.
func TestValue(t *testing.T) {
	p := New(Options{})
	p.WriteString("Here: ")
	if _, ok := p.Value(); ok {
		t.Fatal("a value before any JSON began")
	}
	p.WriteString(`{"n": 4`)
	v, _ := p.Value()
	if m := v.(map[string]any); len(m) != 0 {
		t.Fatalf("an unfinished number shows: %v", v)
	}
	p.WriteString(`2} and that is all {"x": 1}`)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	v, _ = p.Value()
	if m := v.(map[string]any); len(m) != 1 || m["n"] != json.Number("42") {
		t.Fatalf("got %v, want {n: 42}", v)
	}
}
