// Package corpus reads the JSON-repair conformance corpora (../shared/corpora
// beside the module: input → expected value, from the public test suites of
// other repair libraries) and compares repair results with them as JSON
// values. The corpus test and the benchmark program share it.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Files are the corpus files, in the order reports list them.
var Files = []string{"jsonrepair-js.jsonl", "json_repair-py.jsonl", "kaptinlin-go.jsonl"}

// Case is one line of a corpus.
type Case struct {
	ID       string          `json:"id"`
	Category string          `json:"category"`
	Input    string          `json:"input"`
	Expect   json.RawMessage `json:"expect"`
	// ExpectError: the suite asserts that repair fails.
	ExpectError bool `json:"expect_error"`
	// EmptyOutput: the library found no JSON; an error is as good.
	EmptyOutput bool `json:"empty_output"`
	// AltersValidJSON: the input is valid JSON that the library changes.
	AltersValidJSON bool `json:"alters_valid_json"`
}

// Load reads one corpus file.
func Load(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", filepath.Base(path), line, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// Check compares one result with the case's expectation: value is the
// repaired document's decoded value (numbers as json.Number), err the
// repair error. It returns "" when they agree, else what differs.
func (c Case) Check(value any, err error) string {
	switch {
	case c.ExpectError:
		if err != nil {
			return ""
		}
		return "expected an error, got " + show(value)
	case c.EmptyOutput:
		if err != nil {
			return ""
		}
		if s, ok := value.(string); ok && s == "" {
			return ""
		}
		return "expected no JSON (an error), got " + show(value)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	want, derr := Decode(c.Expect)
	if derr != nil {
		return "bad expectation: " + derr.Error()
	}
	if Equal(value, want) {
		return ""
	}
	return "got " + show(value) + ", want " + string(c.Expect)
}

// Decode parses JSON with numbers as json.Number.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Equal compares two decoded JSON values; numbers are compared by value.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		rx, okx := rat(string(x))
		ry, oky := rat(string(y))
		return okx && oky && rx.Cmp(ry) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// rat is the exact value of a number, refused for exponents beyond 400
// (which only fuzzing produces), where computing it would be slow.
func rat(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Tally counts results per corpus.
type Tally struct {
	Cases  int `json:"cases"`
	Passed int `json:"passed"`
}

// Rate is Passed/Cases as a percentage.
func (t Tally) Rate() float64 {
	if t.Cases == 0 {
		return 0
	}
	return 100 * float64(t.Passed) / float64(t.Cases)
}

// Sorted returns the keys of m in order.
func Sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Name is a corpus file's short name: "js", "py", "go".
func Name(file string) string {
	switch {
	case strings.HasPrefix(file, "jsonrepair-js"):
		return "js"
	case strings.HasPrefix(file, "json_repair-py"):
		return "py"
	case strings.HasPrefix(file, "kaptinlin-go"):
		return "go"
	}
	return file
}
