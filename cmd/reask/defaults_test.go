package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// One default per setting: commands that share a flag (or the simulator's
// profile under another name) give it the same default, and the help says
// what is required as it is.
func TestDefaultsAgree(t *testing.T) {
	a := &app{getenv: func(string) string { return "" }}
	root := a.rootCommand()
	find := func(path ...string) *cobra.Command {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	def := func(c *cobra.Command, flag string) string {
		f := c.Flags().Lookup(flag)
		if f == nil {
			t.Fatalf("%s has no --%s", c.CommandPath(), flag)
		}
		return f.DefValue
	}
	extract, batch, demo, simCmd := find("extract"), find("batch"), find("demo"), find("sim")
	for _, tt := range []struct {
		what      string
		got, want string
		why       string
	}{
		{"extract --sim-profile", def(extract, "sim-profile"), "clean", "a first try shows what the schema and text give"},
		{"batch --sim-profile", def(batch, "sim-profile"), "clean", "the same as extract"},
		{"demo --profile", def(demo, "profile"), "flaky", "the demo shows the retry system"},
		{"sim --profile", def(simCmd, "profile"), "flaky", "the simulator stands in for a real provider"},
		{"extract --mode", def(extract, "mode"), "json_schema", "the library's default"},
		{"batch --mode", def(batch, "mode"), "json_schema", "the library's default"},
		{"demo --mode", def(demo, "mode"), "json_schema", "the same as every command"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s defaults to %q, want %q (%s)", tt.what, tt.got, tt.want, tt.why)
		}
	}

	// --schema-dir alone is enough: the help must not call --schema required.
	usage := batch.UseLine()
	schemaHelp := batch.Flags().Lookup("schema").Usage
	if !strings.Contains(usage, "--schema FILE | --schema-dir DIR") || strings.HasSuffix(schemaHelp, "(required)") || !strings.Contains(schemaHelp, "--schema-dir") {
		t.Errorf("batch usage %q, --schema help %q: want --schema-dir given as the alternative", usage, schemaHelp)
	}
}
