package main

import (
	"strings"
	"testing"
)

// Backticks with nothing between them are an empty code block: no JSON,
// exit 1, not an empty string.
func TestRepairEmptyCodeBlock(t *testing.T) {
	for _, in := range []string{"``", "``````", "```json\n```\n"} {
		stdout, stderr, code := runCLI(t, nil, in, "repair")
		if code != 1 || stdout != "" || !strings.Contains(stderr, "no JSON value found: the text is an empty Markdown code block") {
			t.Errorf("repair %q: exit %d, stdout %q, stderr %q", in, code, stdout, stderr)
		}
	}
}

// --max-fixes bounds the fixes an input may need.
func TestRepairMaxFixes(t *testing.T) {
	in := "{" + strings.Repeat("a:b,", 50) + "}" // 101 fixes
	if _, stderr, code := runCLI(t, nil, in, "repair", "--max-fixes", "100"); code != 1 || !strings.Contains(stderr, "too many fixes: more than 100") {
		t.Errorf("--max-fixes 100: exit %d, stderr %q", code, stderr)
	}
	for _, limit := range []string{"101", "-1"} {
		if stdout, stderr, code := runCLI(t, nil, in, "repair", "--max-fixes", limit); code != 0 || !strings.HasPrefix(stdout, `{"a":"b"`) {
			t.Errorf("--max-fixes %s: exit %d, stdout %q, stderr %q", limit, code, stdout, stderr)
		}
	}
	if _, stderr, code := runCLI(t, nil, in, "repair", "--max-fixes", "-2"); code != 1 || !strings.Contains(stderr, "--max-fixes") {
		t.Errorf("--max-fixes -2: exit %d, stderr %q", code, stderr)
	}
}
