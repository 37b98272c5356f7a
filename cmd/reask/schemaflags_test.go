package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
)

func TestSchemaFlags(t *testing.T) {
	tests := []struct {
		limits, formats string
		want            schema.Config
		err             string
	}{
		{"", "", schema.Config{}, ""},
		{"max_depth=16", "", schema.Config{Limits: schema.Limits{MaxDepth: 16}}, ""},
		{"max_bytes=2048, max_subschemas=-1", "strict", schema.Config{Limits: schema.Limits{MaxBytes: 2048, MaxSubschemas: -1}, Formats: schema.FormatStrict}, ""},
		{"", "annotate", schema.Config{Formats: schema.FormatAnnotate}, ""},
		{"depth=3", "", schema.Config{}, "--schema-limits"},
		{"max_depth=deep", "", schema.Config{}, "not a whole number"},
		{"", "loose", schema.Config{}, "--formats"},
	}
	for _, tt := range tests {
		f := schemaFlags{limits: tt.limits, formats: tt.formats}
		got, err := f.config()
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q %q: %v, want an error about %s", tt.limits, tt.formats, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%q %q: %+v, %v; want %+v", tt.limits, tt.formats, got, err, tt.want)
		}
	}
}

// extract and batch refuse a schema beyond the limits, naming the limit,
// before any call; --schema-limits moves the limit.
func TestSchemaLimitFlags(t *testing.T) {
	deep := writeFile(t, "deep.json", strings.Repeat(`{"type":"object","properties":{"a":`, 20)+`{"type":"string"}`+strings.Repeat("}}", 20))
	in := writeFile(t, "in.jsonl", `{"id":"1","text":"x"}`+"\n")
	lp := newLoopbackSim(t, sim.Config{Seed: 1})
	env := map[string]string{"OPENAI_BASE_URL": lp.URL + "/v1"}
	for _, args := range [][]string{
		{"extract", "--schema", deep, "text"},
		{"batch", "--schema", deep, "--in", in, "--out", filepath.Join(t.TempDir(), "out.jsonl")},
		{"batch", "--schema", deep, "--in", in, "--out", filepath.Join(t.TempDir(), "out.jsonl"), "--schema-limits", "max_depth=42,max_subschemas=20"},
	} {
		_, stderr, code := runCLI(t, env, "", args...)
		want := "(limit max_depth = 32)"
		if len(args) > 7 {
			want = "(limit max_subschemas = 20)"
		}
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args, code, stderr, want)
		}
	}
	if n := len(lp.requests()); n != 0 {
		t.Errorf("%d provider calls", n)
	}
}

// serve's flags override the file's "schema" field by field.
func TestServeSchemaFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1"}],"schema":{"max_depth":8,"max_bytes":4096,"formats":"strict"}}`), 0o600)
	o := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		configFile: file, schema: schemaFlags{limits: "max_depth=12", formats: "annotate"}}
	cfg, err := serveConfig(o, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Config{Limits: schema.Limits{MaxDepth: 12, MaxBytes: 4096}, Formats: schema.FormatAnnotate}
	if cfg.Schema != want {
		t.Errorf("schema config %+v, want %+v", cfg.Schema, want)
	}
}
