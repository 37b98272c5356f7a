package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/sim"
)

// extract --stream, piped: newline-delimited JSON, a line per partial
// answer, a restart naming the violation before the re-ask, the final
// value last.
func TestExtractStreamNDJSON(t *testing.T) {
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	lp := newLoopbackSim(t, sim.Config{Seed: 4, Profile: prof})
	schemaFile := writeFile(t, "person.json", personSchema)
	stdout, stderr, code := runCLI(t, map[string]string{"OPENAI_BASE_URL": lp.URL + "/v1", "OPENAI_API_KEY": "sk-test-key"}, "",
		"extract", "--stream", "--mode", "tools", "--strict", "off", "--schema", schemaFile, "--model", "gpt-4o-mini", "Mike (45)")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var lines []streamLine
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var sl streamLine
		d := json.NewDecoder(strings.NewReader(l))
		d.DisallowUnknownFields()
		if err := d.Decode(&sl); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, sl)
	}
	restarts, partials := 0, map[int]int{}
	for _, l := range lines[:len(lines)-1] {
		switch {
		case l.Restart:
			restarts++
			if l.Attempt != 2 || !strings.Contains(l.Failed, "required") || len(l.Violations) == 0 {
				t.Errorf("restart line %+v: want attempt 2 and the missing field", l)
			}
		case l.Final:
			t.Errorf("a final line before the last: %+v", l)
		default:
			partials[l.Attempt]++
			if !json.Valid(l.Partial) {
				t.Errorf("partial %q is not JSON", l.Partial)
			}
		}
	}
	last := lines[len(lines)-1]
	var value map[string]any
	if err := json.Unmarshal(last.Value, &value); err != nil || !last.Final || value["name"] != "Mike" || value["age"] != 45.0 {
		t.Errorf("last line %+v, want the final value", last)
	}
	if restarts != 1 || partials[1] == 0 || partials[2] == 0 {
		t.Errorf("%d restarts, partials per attempt %v: want 1 restart and both attempts streamed", restarts, partials)
	}
}

// On a terminal the answer is one line redrawn in place, each restart a
// line of its own, and the end erased.
func TestRedrawer(t *testing.T) {
	var b bytes.Buffer
	r := redrawer{w: &b, width: 30}
	r.show(reask.Partial[json.RawMessage]{Attempt: 1, JSON: json.RawMessage(`{"name":"Mi"}`), Open: []string{"", "/name"}})
	r.show(reask.Partial[json.RawMessage]{Attempt: 1, JSON: json.RawMessage(`{"name":"Mike, who is forty-five years old"}`), Open: []string{""}})
	r.show(reask.Partial[json.RawMessage]{Attempt: 2, Restart: true, Failed: &reask.Attempt{Message: "schema /age: missing required field"}})
	r.clear()
	want := "\r\x1b[2Kattempt 1: {\"name\":\"Mi\"} …" +
		"\r\x1b[2K…s forty-five years old\"} …" +
		"\r\x1b[2Kreask: retrying (attempt 2): schema /age: missing required field\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}
