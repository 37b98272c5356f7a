package anthropic_test

import (
	"net/http/httptest"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
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
	p := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "k", Model: "claude-sonnet-4-5"})
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
