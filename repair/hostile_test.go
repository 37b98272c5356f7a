package repair

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/schema"
)

// hostileInputs are inputs built to break a parser: deep nesting, huge
// unterminated strings, invalid UTF-8, and patterns that make naive
// lenient parsers quadratic. Each must get an answer or a clear error.
func hostileInputs() []struct {
	name string
	in   []byte
	want error // nil: any answer or error will do
} {
	const mb = 1 << 20
	rep := func(s string, n int) []byte { return bytes.Repeat([]byte(s), n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	r := rand.New(rand.NewPCG(7, 7))
	noise := make([]byte, mb)
	for i := range noise {
		noise[i] = byte(r.IntN(256))
	}
	return []struct {
		name string
		in   []byte
		want error
	}{
		{"100k open brackets", rep("[", 100_000), ErrTooDeep},
		{"100k open braces", rep(`{"a":`, 100_000), ErrTooDeep},
		{"100k closed brackets", cat(rep("[", 100_000), rep("]", 100_000)), ErrTooDeep},
		{"100k broken brackets", cat(rep("[1,", 100_000), rep(",]", 100_000)), ErrTooDeep},
		{"5MB unterminated string", cat([]byte(`{"a": "`), rep("x", 5*mb)), ErrTruncated},
		{"5MB unterminated single-quoted string", cat([]byte(`['`), rep("it is, ", 5*mb/7)), nil},
		{"invalid UTF-8 noise", noise, nil},
		{"invalid UTF-8 in strings", cat([]byte(`{"a": "`), rep("\xff\xfe\xc3", mb/3), []byte(`"}`)), nil},
		{"many inner quotes", cat([]byte(`["x, `), rep(`a"b, `, mb/5), []byte(`{"z`)), nil},
		{"many unclosed smart quotes", cat([]byte("["), rep("‘a, ", mb/6)), nil},
		{"many unclosed single quotes", cat([]byte("["), rep("'a, ", mb/4)), nil},
		{"many comment starts", cat([]byte("["), rep(`"a"/*`, mb/5)), nil},
		{"many line comments on one line", cat([]byte("["), rep(`"a"//`, mb/5)), nil},
		{"many concatenations", cat([]byte("["), rep(`"a" + `, mb/6), []byte(`"b"]`)), nil},
		{"many open braces in prose", rep("{", mb), nil},
		{"many candidates", rep("see [1] and ", mb/12), nil},
		{"many stray words", cat([]byte("{"), rep(`a 'b `, mb/5)), nil},
		{"long unclosed block comment", cat([]byte(`{"a": 1 /*`), rep("x", mb)), nil},
		{"many fences", rep("```json\n{\n```\n", mb/13), nil},
		{"many escapes", cat([]byte(`"`), rep(`\q`, mb/2), []byte(`"`)), nil},
		{"many array continuations", cat([]byte(`{"a": [[1], 2]`), rep(`, [3]`, mb/5), []byte(`}`)), nil},
		{"many rows without brackets", cat([]byte(`{"a": [[1]`), rep(`], [[2], 3], [4`, mb/16), []byte(`]}`)), nil},
		{"many quotations before commas", cat([]byte(`{"a": "x`), rep(`", lorem ipsum "dolor`, mb/20), []byte(`"}`)), nil},
		{"many quotations after commas", cat([]byte(`{"a": "x`), rep(`, "dolor" sit amet`, mb/18), []byte(`"}`)), nil},
		{"many elements after closed strings", cat([]byte(`[`), rep(`"a" b c d e f g h i j k l m n o p q r s t u v w x y z", `, mb/57), []byte(`]`)), nil},
		{"many long words after inner quotes", cat([]byte(`["x`), rep(`a" `+strings.Repeat("b", 250)+` `, mb/254), []byte(`"]`)), nil},
		{"many sentences without quotes", cat([]byte(`{"a": "x`), rep(`, one two "three" `, mb/18), []byte(`}`)), nil},
		{"many quoted snippet starts", cat([]byte(`{"a": "x`), rep(`("a `, mb/4), []byte(`"}`)), nil},
		{"many quoted snippets", cat([]byte(`{"a": "x`), rep(`, see {"a": 1}`, mb/14), []byte(`"}`)), nil},
		{"many commas in sentences", cat([]byte(`{"a": "x`), rep(strings.Repeat(`,y`, 100)+"\n", mb/201), []byte(`}`)), nil},
		{"many sets", cat([]byte(`[`), rep(`{"a", "b"}, `, mb/12), []byte(`]`)), nil},
	}
}

func TestHostileInputs(t *testing.T) {
	s := schema.MustCompile(`{"type": "object", "properties": {"a": {"type": "integer"}}}`)
	for _, tt := range hostileInputs() {
		t.Run(tt.name, func(t *testing.T) {
			for _, opts := range []Options{{}, {Schema: s}, {MaxDepth: MaxDepthCeiling}} {
				start := time.Now()
				res, err := Parse(tt.in, opts)
				elapsed := time.Since(start)
				switch {
				case tt.want != nil && !errors.Is(err, tt.want):
					t.Errorf("err = %v, want %v", err, tt.want)
				case err == nil && !json.Valid(res.JSON):
					t.Errorf("invalid JSON out")
				case err != nil && !isRepairError(err):
					t.Errorf("unexpected error %v", err)
				}
				t.Logf("%d bytes in %v (%v)", len(tt.in), elapsed.Round(time.Millisecond), shortErr(err))
			}
		})
	}
}

func shortErr(err error) string {
	if err == nil {
		return "repaired"
	}
	return strings.SplitN(err.Error(), ",", 2)[0]
}

// isRepairError reports whether err is one of the package's errors.
func isRepairError(err error) bool {
	for _, target := range []error{ErrNoJSON, ErrSyntax, ErrTruncated, ErrTooLarge, ErrTooDeep, ErrTooManyFixes} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func TestMaxBytes(t *testing.T) {
	in := bytes.Repeat([]byte(" "), DefaultMaxBytes+1)
	if _, err := Parse(in, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("default limit: %v", err)
	}
	if _, err := Parse([]byte(`{"a": 1}`), Options{MaxBytes: 8}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// TestDeepButAllowed: nesting up to the ceiling works, valid or broken.
func TestDeepButAllowed(t *testing.T) {
	n := MaxDepthCeiling
	for _, in := range [][]byte{
		append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...),
		append(bytes.Repeat([]byte("['x',"), n), bytes.Repeat([]byte("]"), n)...),
	} {
		res, err := Parse(in, Options{MaxDepth: n})
		if err != nil || !json.Valid(res.JSON) {
			t.Errorf("depth %d: %v", n, err)
		}
	}
}
