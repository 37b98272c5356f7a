package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/sim"
)

// Exit codes: 0 when every extraction succeeded, 3 when one failed (batch:
// any item of the output; --allow-failures turns it into 0), 1 when the
// command could not run at all.
func TestExitCodes(t *testing.T) {
	stubborn := newLoopbackSim(t, sim.Config{Seed: 1, Profile: stubbornSimProfile(t)})
	clean := newLoopbackSim(t, sim.Config{Seed: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/v1" // nothing listens there once closed
	ln.Close()
	schemaFile := writeFile(t, "person.json", personSchema)
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		code     int
		inStderr string
	}{
		{"extract, valid", func(*testing.T) []string {
			return []string{"extract", "--schema", schemaFile, "--base-url", clean.URL + "/v1", "Mike (45)"}
		}, 0, ""},
		{"extract, no valid answer", func(*testing.T) []string {
			return []string{"extract", "--schema", schemaFile, "--base-url", stubborn.URL + "/v1", "Mike (45)"}
		}, 3, "no valid answer"},
		{"extract, connection refused", func(*testing.T) []string {
			return []string{"extract", "--schema", schemaFile, "--base-url", refused, "Mike (45)"}
		}, 3, "refused the connection"},
		{"extract, unreadable schema", func(*testing.T) []string {
			return []string{"extract", "--schema", filepath.Join(t.TempDir(), "nope.json"), "Mike (45)"}
		}, 1, "--schema"},
		{"batch, every item ok", func(t *testing.T) []string {
			in, s, out := batchFiles(t, threeItems)
			return []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", clean.URL + "/v1"}
		}, 0, ""},
		{"batch, items failed", func(t *testing.T) []string {
			in, s, out := batchFiles(t, threeItems)
			return []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", stubborn.URL + "/v1", "--max-attempts", "1"}
		}, 3, "3 of 3 items in"},
		{"batch, one bad line", func(t *testing.T) []string {
			in, s, out := batchFiles(t, threeItems+"{broken\n")
			return []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", clean.URL + "/v1"}
		}, 3, "1 of 4 items in"},
		{"batch, items failed, --allow-failures", func(t *testing.T) []string {
			in, s, out := batchFiles(t, threeItems)
			return []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", stubborn.URL + "/v1", "--max-attempts", "1", "--allow-failures"}
		}, 0, ""},
		{"batch, provider unreachable", func(t *testing.T) []string {
			in, s, out := batchFiles(t, threeItems)
			return []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", refused}
		}, 3, "3 of 3 items in"},
		{"batch, missing input", func(t *testing.T) []string {
			_, s, out := batchFiles(t, threeItems)
			return []string{"batch", "--schema", s, "--in", filepath.Join(t.TempDir(), "none.jsonl"), "--out", out}
		}, 1, "--in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "", tt.args(t)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.inStderr)
			}
		})
	}

	// Interrupted (the context ends, as on Ctrl-C): 130.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, errb bytes.Buffer
	args := []string{"extract", "--schema", schemaFile, "--base-url", clean.URL + "/v1", "Mike (45)"}
	if code := runWithEnv(ctx, args, strings.NewReader(""), &stdout, &errb, func(string) string { return "" }); code != 130 {
		t.Errorf("interrupted extract: exit %d, want 130: %s", code, errb.String())
	}

	// A resumed run that adds nothing still answers for the whole output.
	in, s, out := batchFiles(t, threeItems)
	args = []string{"batch", "--schema", s, "--in", in, "--out", out, "--base-url", stubborn.URL + "/v1", "--max-attempts", "1"}
	if _, stderr, code := runCLI(t, nil, "", args...); code != 3 {
		t.Fatalf("first run: exit %d, want 3: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "", append(args, "--resume")...); code != 3 || !strings.Contains(stderr, "3 of 3 items") {
		t.Errorf("resumed run: exit %d, want 3: %s", code, stderr)
	}
}

// Every command that extracts documents its exit codes in its help.
func TestHelpDocumentsExitCodes(t *testing.T) {
	for _, c := range [][]string{{}, {"extract"}, {"batch"}} {
		stdout, _, code := runCLI(t, nil, "", append(c, "--help")...)
		if code != 0 {
			t.Fatalf("reask %s --help: exit %d", strings.Join(c, " "), code)
		}
		for _, want := range []string{"Exit status:", "  3    an extraction failed", "--allow-failures", "  130  interrupted"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("reask %s --help lacks %q:\n%s", strings.Join(c, " "), want, stdout)
			}
		}
	}
}
