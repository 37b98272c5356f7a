package main

import (
	"strings"
	"testing"
)

// stats refuses a file that is not batch output, saying what it expected
// and which line is not a record, instead of showing "0.0% success"; a
// file with records and a few foreign lines names them and counts the rest.
func TestStatsRefusesWhatIsNotBatchOutput(t *testing.T) {
	input := writeFile(t, "in.jsonl", threeItems)
	stdout, stderr, code := runCLI(t, nil, "", "stats", input)
	if code != 1 || stdout != "" || !oneParagraph(stderr) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1, one paragraph on stderr and nothing on stdout", code, stdout, stderr)
	}
	for _, want := range []string{input, "not the output of reask batch", `a JSON object with "id" and "ok"`, `line 1: no "ok" field`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}

	const rec = `{"id":"a","ok":true,"data":{},"attempts":1,"calls":1,"outcome":"ok"}` + "\n"
	mixed := writeFile(t, "out.jsonl", rec+strings.Repeat("not a record\n", 8))
	stdout, stderr, code = runCLI(t, nil, "", "stats", mixed)
	if code != 0 || !strings.Contains(stdout, "unreadable lines       8") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "not JSON (skipped)"); n != maxLineErrors || !strings.Contains(stderr, "line 2: not JSON") ||
		!strings.Contains(stderr, "3 more line(s) that are not records (skipped)") {
		t.Errorf("stderr names %d lines, want %d and a count of the 3 others:\n%s", n, maxLineErrors, stderr)
	}
}
