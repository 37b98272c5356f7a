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
