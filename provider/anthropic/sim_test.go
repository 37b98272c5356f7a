package anthropic_test

import (
	"net/http/httptest"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

// The provider against the simulator's Messages API, with faults that make
// re-asks necessary: every re-ask must answer each tool_use with a
// tool_result, or the simulator (like the real API) answers 400.
func TestAgainstSimulator(t *testing.T) {
	// Every first answer lacks a field; feedback naming it fixes it.
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 4, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	// Strict tools would decode every answer to the schema, leaving
	// nothing to re-ask: this test needs them off.
	p := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "k", Model: "claude-sonnet-4-5", Strict: dialect.StrictOff})
	c := reasktest.NewClient(t, p, reask.Config{MaxAttempts: 4})
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	reasked := 0
	for _, text := range []string{"John is 30 years old", "Sarah, age 25", "Mike (45)", "Anna Berg, 52", "Tom (19)", "Lia, aged 33"} {
		got, rep, err := reask.Extract[Person](t.Context(), c, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got.Name == "" || got.Age == 0 {
			t.Errorf("%q: %+v", text, got)
		}
		for _, a := range rep.Records {
			for _, call := range a.Calls {
				if call.Status == 400 {
					t.Errorf("%q: the simulator refused a request: %s", text, call.Message)
				}
			}
		}
		if rep.Attempts > 1 {
			reasked++
		}
	}
	if reasked != 6 {
		t.Errorf("%d of 6 extractions re-asked; the profile makes every first answer lack a field", reasked)
	}
}

// TestStrictToolsAgainstSimulator: by default a model with structured
// outputs gets its tool strict, the schema rewritten for Anthropic's rules
// (the bound on age moved into the description), which the simulator — as
// the API — checks and then decodes to; an older model gets the schema as
// it is, not strict. Either way the answer is checked against the task's
// own schema.
func TestStrictToolsAgainstSimulator(t *testing.T) {
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 4, Profile: prof, Models: []string{"claude-sonnet-4-5", "claude-3-5-haiku-latest"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age" jsonschema:"minimum=0,maximum=130"`
		Nick string `json:"nick,omitempty"`
	}
	for _, c := range []struct {
		model    string
		dialect  dialect.Dialect
		attempts int
	}{
		{"claude-sonnet-4-5", dialect.AnthropicStrict, 1}, // decoded to the schema: nothing missing
		{"claude-3-5-haiku-latest", dialect.Anthropic, 2},
	} {
		p := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "k", Model: c.model})
		cl := reasktest.NewClient(t, p, reask.Config{MaxAttempts: 3})
		got, rep, err := reask.Extract[Person](t.Context(), cl, "John is 30 years old")
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		if got.Name == "" || got.Age != 30 {
			t.Errorf("%s: %+v", c.model, got)
		}
		if rep.Dialect != c.dialect || rep.Attempts != c.attempts {
			t.Errorf("%s: dialect %s, %d attempts; want %s, %d", c.model, rep.Dialect, rep.Attempts, c.dialect, c.attempts)
		}
		if c.dialect == dialect.AnthropicStrict && !relaxed(rep, "/properties/age/maximum") {
			t.Errorf("%s: the report does not say the bound was relaxed: %v", c.model, rep.Relaxed)
		}
	}
}

func relaxed(rep *reask.Report, pointer string) bool {
	for _, c := range rep.Relaxed {
		if c.Pointer == pointer {
			return true
		}
	}
	return false
}
