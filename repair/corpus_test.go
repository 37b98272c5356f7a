package repair

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/repair/internal/corpus"
)

// corpusDir is where the conformance corpora are, from this directory:
// ../shared/corpora beside the module root.
const corpusDir = "../../shared/corpora"

// differencesFile lists, case by case, where repair differs from a corpus
// and why.
const differencesFile = "testdata/corpus-differences.md"

var update = flag.Bool("update", false, "rewrite "+differencesFile+" from the current results, keeping the reasons of cases still listed")

// Difference kinds, by category: deliberate (repair answers otherwise on
// purpose), reference (repair answers as the reference library, npm
// jsonrepair, does — checked by bench/repair/compare.mjs — where
// json_repair's suite expects its own heuristics) and limitation.
var differenceKinds = map[string]string{
	"truncation":         "deliberate", // the input ends inside a value: ErrTruncated, not closed
	"prose":              "deliberate", // bare text is prose, not a JSON string: ErrNoJSON
	"one-value":          "deliberate", // several values: one is chosen, not merged or refused
	"keeps-backslash":    "deliberate", // an invalid escape keeps its backslash as text
	"escapes-control":    "deliberate", // a raw control character in a string is escaped, not refused
	"valid-unchanged":    "deliberate", // valid JSON is returned as it is
	"no-invention":       "deliberate", // no value is made up ("-" is not 0)
	"suite-conflict":     "deliberate", // the suites disagree; repair follows the JS reference
	"follows-jsonrepair": "reference",
	"limitation":         "limitation",
}

type difference struct {
	id, kind, reason string
}

var diffLine = regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z-]+) \\| (.*) \\|$")

func readDifferences(t *testing.T) map[string]difference {
	t.Helper()
	f, err := os.Open(differencesFile)
	if err != nil {
		if os.IsNotExist(err) && *update {
			return map[string]difference{}
		}
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]difference{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := diffLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if differenceKinds[m[2]] == "" {
			t.Errorf("%s: %s has unknown kind %q", differencesFile, m[1], m[2])
		}
		out[m[1]] = difference{m[1], m[2], m[3]}
	}
	return out
}

// corpusResult is one corpus file's outcome.
type corpusResult struct {
	file                                 string
	cases, passed, deliberate, reference int
	limitations                          int
	failures                             map[string]string // id → what differs
	order                                []string          // failing ids in file order
}

func runCorpus(t *testing.T, file string) corpusResult {
	t.Helper()
	cases, err := corpus.Load(filepath.Join(corpusDir, file))
	if err != nil {
		t.Skipf("corpora not available (%v): they live in ../shared/corpora beside the module root", err)
	}
	r := corpusResult{file: file, cases: len(cases), failures: map[string]string{}}
	for _, c := range cases {
		res, err := Parse([]byte(c.Input), Options{})
		var v any
		if res != nil {
			v = res.Value
		}
		if msg := c.Check(v, err); msg != "" {
			r.failures[c.ID] = msg
			r.order = append(r.order, c.ID)
		} else {
			r.passed++
		}
	}
	return r
}

// TestCorpus runs the public test suites of jsonrepair (JS), json_repair
// (Python) and kaptinlin/jsonrepair (Go) and compares results as values.
// Every case that fails must be listed in testdata/corpus-differences.md
// with the reason, and every case listed must fail: the list is exact.
func TestCorpus(t *testing.T) {
	diffs := readDifferences(t)
	var results []corpusResult
	for _, f := range corpus.Files {
		results = append(results, runCorpus(t, f))
	}
	seen := map[string]bool{}
	for i := range results {
		r := &results[i]
		for _, id := range r.order {
			seen[id] = true
			d, ok := diffs[id]
			switch {
			case !ok && !*update:
				t.Errorf("%s fails and is not listed in %s: %s", id, differencesFile, r.failures[id])
			case differenceKinds[d.kind] == "deliberate":
				r.deliberate++
			case differenceKinds[d.kind] == "reference":
				r.reference++
			default:
				r.limitations++
			}
		}
	}
	for id := range diffs {
		if !seen[id] && !*update {
			t.Errorf("%s is listed in %s but now passes: remove it", id, differencesFile)
		}
	}
	for _, r := range results {
		t.Logf("%s", r.summary())
	}
	if *update {
		writeDifferences(t, results, diffs)
	}
	// The targets of issue 4 — 95% of the JS corpus, 90% of the Python
	// corpus — counting passes and deliberate differences only: answering
	// as npm jsonrepair does where json_repair expects otherwise is not a
	// pass. summary() gives the rates counted each way.
	for _, r := range results {
		target := map[string]float64{"js": 95, "py": 90}[corpus.Name(r.file)]
		if got := pct(r.passed+r.deliberate, r.cases); got < target {
			t.Errorf("%s: %.1f%% below the %.0f%% target", r.file, got, target)
		}
	}
}

func (r corpusResult) summary() string {
	return fmt.Sprintf("%s: %d cases; %d pass (%.1f%%); %d deliberate differences (%.1f%% with them); "+
		"%d where reask answers as npm jsonrepair (%.1f%% with them too); %d limitations",
		r.file, r.cases, r.passed, pct(r.passed, r.cases), r.deliberate, pct(r.passed+r.deliberate, r.cases),
		r.reference, pct(r.passed+r.deliberate+r.reference, r.cases), r.limitations)
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(max(of, 1)) }

// writeDifferences rewrites the differences file: cases still failing keep
// their kind and reason, new ones are listed as limitations with what
// differs, fixed ones go.
func writeDifferences(t *testing.T, results []corpusResult, old map[string]difference) {
	var b strings.Builder
	b.WriteString(differencesHeader)
	for _, r := range results {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", r.file, r.summary())
		b.WriteString("| id | kind | reason |\n|---|---|---|\n")
		ids := slices.Clone(r.order)
		for _, id := range ids {
			d, ok := old[id]
			if !ok {
				d = difference{id, "limitation", strings.ReplaceAll(r.failures[id], "|", "\\|")}
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", id, d.kind, d.reason)
		}
	}
	if err := os.WriteFile(differencesFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

const differencesHeader = `# Where repair differs from the corpora

TestCorpus (corpus_test.go) runs the public test suites of three JSON-repair
libraries, kept as data in ../shared/corpora, and compares results as JSON
values. Each case it fails is listed here with why; the test fails when a
listed case passes or an unlisted one fails. ` + "`go test ./repair -run TestCorpus -update`" + `
rewrites this file, keeping the reasons of cases still listed.

Deliberate differences — repair answers otherwise on purpose:

- **truncation**: the input ends inside a string, array, object or number.
  Repair reports ErrTruncated instead of closing it: a silently shortened value
  looks complete, and the loop should ask again.
- **prose**: bare text (` + "`abc`, `hello world`, `1,2,3`" + `) is prose, not a JSON
  string: ErrNoJSON. A model's answer that holds no object or array and no
  quoted value holds no JSON.
- **one-value**: several values in the text. Repair chooses one (valid against
  the schema, else the largest) and records candidate_chosen; it neither
  merges them into an array nor refuses.
- **keeps-backslash**: an invalid escape keeps its backslash as text (` + "`\\d` → `\\\\d`" + `,
  Windows paths, ` + "`\\u` without four hex digits" + `) instead of dropping it or failing.
- **escapes-control**: a raw control character inside a string is escaped,
  not refused.
- **valid-unchanged**: valid JSON is returned exactly as written.
- **no-invention**: repair does not make a value or a key up (a lone ` + "`-`" + ` is
  not 0; an array where a key belongs is refused, not made a key).
- **suite-conflict**: the suites disagree on the case; repair follows the JS
  reference (a missing value is null, not ""; ` + "`True`" + ` alone is true).

Not deliberate — the corpus test's targets count neither as an answer
(the rates are given both ways):

- **follows-jsonrepair**: reask answers as the reference library, npm
  jsonrepair 3.15, does (or refuses the input as it does), where json_repair's
  suite expects its own heuristics for ambiguous quotes and stray text.
  bench/repair/compare.mjs checks each of these claims against jsonrepair.
- **limitation**: a repair heuristic of that library that repair does not
  have, or a text that repair reads otherwise (the reason gives its answer).
`
