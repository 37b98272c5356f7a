package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A mistake in the command line says what is wrong, then the command's
// usage line and where its help is — the same way for every command.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args  []string
		msg   string // the first line, after "reask: "
		usage string // the command's usage line
	}{
		{[]string{"extract"}, `missing TEXT: the text to extract from, or "-" to read it from stdin`, "reask extract [flags] TEXT|-"},
		{[]string{"extract", "Mike", "45"}, `extract takes one argument, TEXT, got 2: "Mike" "45"; quote an argument that holds spaces`, "reask extract [flags] TEXT|-"},
		{[]string{"stats"}, `missing OUT.jsonl: the output file of "reask batch" to summarise`, "reask stats [flags] OUT.jsonl"},
		{[]string{"stats", "a.jsonl", "b.jsonl"}, `stats takes one argument, OUT.jsonl, got 2: "a.jsonl" "b.jsonl"; quote an argument that holds spaces`, "reask stats [flags] OUT.jsonl"},
		{[]string{"repair", "a.txt", "b.txt"}, `repair takes one argument, FILE, got 2: "a.txt" "b.txt"; quote an argument that holds spaces`, "reask repair [flags] [FILE|-]"},
		{[]string{"batch", "in.jsonl"}, `batch takes no arguments, got "in.jsonl"`, "reask batch (--schema FILE | --schema-dir DIR) --in IN.jsonl --out OUT.jsonl [flags]"},
		{[]string{"batch", "--in", "in.jsonl"}, "missing --schema FILE (or --schema-dir DIR), --out OUT.jsonl", "reask batch (--schema FILE | --schema-dir DIR)"},
		{[]string{"demo", "now"}, `demo takes no arguments, got "now"`, "reask demo [flags]"},
		{[]string{"sim", "start"}, `sim takes no arguments, got "start" (its commands: dataset)`, "reask sim [flags]"},
		{[]string{"sim", "dataset", "data/"}, `dataset takes no arguments, got "data/"`, "reask sim dataset --n N --seed S --out DIR [flags]"},
		{[]string{"sim", "dataset"}, "missing --out DIR: the directory to write the data set to", "reask sim dataset"},
		{[]string{"serve", "8080"}, `serve takes no arguments, got "8080"`, "reask serve --upstream URL [flags]"},
		{[]string{"version", "-v2"}, "unknown shorthand flag: 'v' in -v2", "reask version [flags]"},
		{[]string{"version", "now"}, `version takes no arguments, got "now"`, "reask version [flags]"},
		{[]string{"extract", "--nope", "x"}, "unknown flag: --nope", "reask extract [flags] TEXT|-"},
		{[]string{"batch", "--concurrency", "many"}, `invalid argument "many" for "--concurrency" flag`, "reask batch"},
		{[]string{"extrct"}, `unknown command "extrct" for "reask"`, "reask COMMAND [flags]"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, "", tt.args...)
			if code != codeError || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, stdout)
			}
			if !strings.HasPrefix(stderr, "reask: "+tt.msg) {
				t.Errorf("stderr %q, want it to start with %q", stderr, "reask: "+tt.msg)
			}
			path := "reask " + strings.Fields(tt.usage)[1]
			if tt.args[0] == "sim" && len(tt.args) > 1 && tt.args[1] == "dataset" {
				path = "reask sim dataset"
			}
			if tt.args[0] == "extrct" {
				path = "reask"
			}
			if !strings.Contains(stderr, "\nUsage: "+tt.usage) || !strings.HasSuffix(stderr, "\nRun '"+path+" --help' for more.\n") {
				t.Errorf("stderr lacks the usage line %q and the help hint for %q:\n%s", tt.usage, path, stderr)
			}
		})
	}
}

// Every command checks its arguments (cobra accepts any without a check).
func TestEveryCommandChecksItsArguments(t *testing.T) {
	a := &app{getenv: func(string) string { return "" }}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Args == nil {
			t.Errorf("%s: no argument check", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}
