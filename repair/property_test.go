package repair

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/repair/internal/corpus"
)

// randomValue builds a random JSON value of at most the given depth, with
// strings that contain what trips parsers: quotes, backslashes, brackets,
// comment markers, fences, non-ASCII and escaped control characters.
func randomValue(r *rand.Rand, depth int) any {
	kind := r.IntN(8)
	if depth <= 0 {
		kind = r.IntN(5)
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		nums := []string{"0", "-0", "12345678901234567890", "1.5e-7", "-2.25", "3E+2", strconv.Itoa(r.IntN(1000))}
		return json.Number(nums[r.IntN(len(nums))])
	case 3, 4:
		parts := []string{"a", "é", "😀", `"`, `\`, "/*", "//", "{", "]", ",", ":", "'", "```", "\n", "\t", "\u2028", " ", "True", "NaN", "http://x"}
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		return b.String()
	case 5:
		arr := make([]any, r.IntN(4))
		for i := range arr {
			arr[i] = randomValue(r, depth-1)
		}
		return arr
	default:
		obj := map[string]any{}
		for range r.IntN(4) {
			obj[fmt.Sprint(randomValue(r, 0), r.IntN(9))] = randomValue(r, depth-1)
		}
		return obj
	}
}

// randomDocument is a random object or array written in one of several
// layouts.
func randomDocument(r *rand.Rand) []byte {
	var v any
	if r.IntN(2) == 0 {
		v = map[string]any{"k": randomValue(r, 4), "l": randomValue(r, 3)}
	} else {
		v = []any{randomValue(r, 4), randomValue(r, 3)}
	}
	var b []byte
	switch r.IntN(3) {
	case 0:
		b, _ = json.Marshal(v)
	case 1:
		b, _ = json.MarshalIndent(v, "", "  ")
	default:
		b, _ = json.MarshalIndent(v, " ", "\t")
		b = append([]byte("\n  "), append(b, " \n"...)...)
	}
	return b
}

// breakDocument applies a few edits models make, at random places.
func breakDocument(r *rand.Rand, doc []byte) []byte {
	out := slices.Clone(doc)
	edits := []string{",", "'", `"`, "}", "]", "{", "[", ":", "// x\n", "/* y */", "```json\n", "\n```", "True", "NaN", "\\", "\n", "…", "“", " "}
	for range 1 + r.IntN(4) {
		i := r.IntN(len(out) + 1)
		switch r.IntN(3) {
		case 0: // insert
			out = slices.Insert(out, i, []byte(edits[r.IntN(len(edits))])...)
		case 1: // delete
			if i < len(out) {
				out = slices.Delete(out, i, i+1)
			}
		default: // cut the end off, or swap quotes
			if r.IntN(4) == 0 {
				out = out[:i]
			} else {
				out = bytes.ReplaceAll(out, []byte(`"`), []byte(`'`))
			}
		}
	}
	return out
}

// checkRepairProperties asserts, for any input: an answer is valid JSON
// that decodes to Value; an error is one of the package's; Repair agrees
// with Parse; and repairing the answer again changes nothing.
func checkRepairProperties(t *testing.T, in []byte) {
	t.Helper()
	res, err := Parse(in, Options{})
	out, fixes, rerr := Repair(in, Options{})
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%q: Parse error %v, Repair error %v", in, err, rerr)
	}
	if err != nil {
		if !isRepairError(err) {
			t.Fatalf("%q: unexpected error %v", in, err)
		}
		return
	}
	if !json.Valid(res.JSON) {
		t.Fatalf("%q: invalid JSON out: %q", in, res.JSON)
	}
	if got, derr := corpus.Decode(res.JSON); derr != nil || !corpus.Equal(got, res.Value) {
		t.Fatalf("%q: JSON %s does not decode to Value %s", in, res.JSON, mustJSON(res.Value))
	}
	if !bytes.Equal(out, res.JSON) || !slices.Equal(fixes, res.Fixes) {
		t.Fatalf("%q: Repair gave %s, Parse %s", in, out, res.JSON)
	}
	again, err := Parse(res.JSON, Options{})
	if err != nil {
		t.Fatalf("%q: repairing the output %s failed: %v", in, res.JSON, err)
	}
	if !bytes.Equal(again.JSON, res.JSON) || len(again.Fixes) != 0 {
		t.Fatalf("%q: not idempotent: %s became %s with %v", in, res.JSON, again.JSON, again.Fixes)
	}
}

// TestValidUnchanged: valid JSON comes back byte for byte (trimmed), with
// no fix, and decodes to the same value as encoding/json gives.
func TestValidUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 3000 {
		doc := randomDocument(r)
		res, err := Parse(doc, Options{})
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if !bytes.Equal(res.JSON, bytes.TrimSpace(doc)) || len(res.Fixes) != 0 {
			t.Fatalf("%s came back as %s with %v", doc, res.JSON, res.Fixes)
		}
		want, _ := corpus.Decode(doc)
		if !corpus.Equal(res.Value, want) {
			t.Fatalf("%s decoded to %s", doc, mustJSON(res.Value))
		}
	}
}

// TestBrokenProperties: randomly broken documents give valid JSON or a
// clear error, Repair agrees with Parse, and repair is idempotent.
func TestBrokenProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range 5000 {
		checkRepairProperties(t, breakDocument(r, randomDocument(r)))
	}
}

// TestCorpusProperties checks the same properties on every corpus input.
func TestCorpusProperties(t *testing.T) {
	for _, f := range corpus.Files {
		cases, err := corpus.Load(filepath.Join(corpusDir, f))
		if err != nil {
			t.Skipf("corpora not available (%v): they live in ../shared/corpora beside the module", err)
		}
		for _, c := range cases {
			checkRepairProperties(t, []byte(c.Input))
		}
	}
}

// TestParseConcurrent: Parse is safe for concurrent use (its parser state
// is pooled) and gives every goroutine the same answers.
func TestParseConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	inputs := make([][]byte, 200)
	want := make([]string, len(inputs))
	for i := range inputs {
		inputs[i] = breakDocument(r, randomDocument(r))
		want[i] = outcomeOf(inputs[i])
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i, in := range inputs {
				if got := outcomeOf(in); got != want[i] {
					t.Errorf("%q: concurrently %s, alone %s", in, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

func outcomeOf(in []byte) string {
	res, err := Parse(in, Options{})
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%s %v", res.JSON, res.Fixes)
}
