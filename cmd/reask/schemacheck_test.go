package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reask/reask/sim"
)

const checkSchema = `{"type":"object","properties":{
 "name":{"type":"string","maxLength":40},
 "age":{"type":"integer","minimum":0},
 "nick":{"type":"string"},
 "kind":{"const":"person"}},
 "required":["name","age","kind"]}`

// TestSchemaCheck: reask schema check prints the schema each provider is
// sent, on stdout, and what it relaxed, on stderr (or all of it with
// --json), and fails where the provider would refuse the schema or strict
// "on" cannot be met.
func TestSchemaCheck(t *testing.T) {
	file := writeFile(t, "person.json", checkSchema)
	mapFile := writeFile(t, "map.json", `{"type":"object","properties":{"tags":{"type":"object","additionalProperties":{"type":"string"}}},"required":["tags"]}`)
	cases := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		inStdout []string
		inStderr []string
	}{
		{"openai strict", []string{"--provider", "openai", file}, "", 0,
			[]string{`"additionalProperties": false`, `"maxLength: 40"`, `"null"`},
			[]string{"dialect openai-strict, strict on", "/properties/name/maxLength", "/properties/nick: required nullable"}},
		{"openai off", []string{"--provider", "openai", "--strict", "off", file}, "", 0,
			[]string{`"maxLength": 40`}, []string{"dialect openai, strict off", "relaxed: nothing"}},
		{"anthropic strict drops the bounds", []string{"--provider", "anthropic", file}, "", 0,
			[]string{`"minimum: 0"`}, []string{"anthropic-strict", "/properties/age/minimum"}},
		{"gemini const", []string{"--provider", "gemini", "-"}, checkSchema, 0,
			[]string{`"enum": [`}, []string{"/properties/kind/const: const restated"}},
		{"gemini-legacy refuses a map", []string{"--provider", "gemini-legacy", mapFile}, "", 1,
			nil, []string{"properties: should be non-empty for OBJECT type", "gemini-legacy would refuse this schema"}},
		{"strict on cannot", []string{"--provider", "openai", "--strict", "on", mapFile}, "", 1,
			nil, []string{"cannot be sent strict", "/properties/tags/additionalProperties"}},
		{"unknown provider", []string{"--provider", "bard", file}, "", 1, nil, []string{`--provider "bard"`}},
		{"not a schema", []string{writeFile(t, "bad.json", `{"type": 3}`)}, "", 1, nil, []string{"invalid JSON Schema"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, c.stdin, append([]string{"schema", "check"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, c.code, stdout, stderr)
			}
			for _, s := range c.inStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range c.inStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

func TestSchemaCheckJSON(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "", "schema", "check", "--provider", "openai", "--json", writeFile(t, "p.json", checkSchema))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Dialect string          `json:"dialect"`
		Strict  bool            `json:"strict"`
		Schema  json.RawMessage `json:"schema"`
		Relaxed []struct {
			Pointer, Action string
		} `json:"relaxed"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.Dialect != "openai-strict" || !got.Strict || len(got.Schema) == 0 || len(got.Relaxed) != 1 || got.Relaxed[0].Pointer != "/properties/name/maxLength" {
		t.Errorf("%+v", got)
	}
	if stderr != "" {
		t.Errorf("stderr %q with --json", stderr)
	}
}

// TestStrictFlag: --strict reaches the provider: off sends the schema as it
// is and not strict, auto its strict form; a bad value is refused.
func TestStrictFlag(t *testing.T) {
	schemaFile := writeFile(t, "s.json", checkSchema)
	for _, c := range []struct {
		strict string
		want   string // in the request body
		not    string
	}{
		{"off", `"maxLength":40`, `"strict":true`},
		{"auto", `"strict":true`, `"maxLength":40`},
	} {
		lp := newLoopbackSim(t, sim.Config{Seed: 1})
		_, stderr, code := runCLI(t, nil, "", "extract", "--base-url", lp.URL+"/v1", "--api-key", "k", "--strict", c.strict, "--schema", schemaFile, "Ann, 30")
		if code != 0 && code != 3 {
			t.Fatalf("--strict %s: exit %d: %s", c.strict, code, stderr)
		}
		reqs := lp.requests()
		if len(reqs) == 0 {
			t.Fatalf("--strict %s: no request", c.strict)
		}
		if body := reqs[0].Body; !strings.Contains(body, c.want) || strings.Contains(body, c.not) {
			t.Errorf("--strict %s: request %s", c.strict, body)
		}
	}
	if _, stderr, code := runCLI(t, nil, "", "extract", "--provider", "sim", "--strict", "maybe", "--schema", schemaFile, "x"); code != 1 || !strings.Contains(stderr, "--strict") {
		t.Errorf("bad --strict: exit %d, %s", code, stderr)
	}
}
