package gemini_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/gemini"
	"github.com/reask/reask/sim"
)

// The provider against the simulator's Gemini endpoint, in each mode and
// dialect, with faults that make re-asks necessary (every first answer
// lacks a field) and transport faults (RESOURCE_EXHAUSTED with RetryInfo,
// INTERNAL, UNAVAILABLE): every extraction recovers, the simulator (which
// checks requests as the API does: the legacy Schema object, function
// responses, Gemini 3's thought signatures) refuses none, and the waits
// are the ones RetryInfo asked for.
func TestAgainstSimulator(t *testing.T) {
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0},
		"transport":{"rate_limited":0.2,"server_error":0.1,"unavailable":0.1}}`))
	if err != nil {
		t.Fatal(err)
	}
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	texts := []string{"John is 30 years old", "Sarah, age 25", "Mike (45)", "Anna Berg, 52", "Tom (19)", "Lia, aged 33"}
	for _, tc := range []struct {
		name   string
		model  string
		mode   reask.Mode
		legacy bool
	}{
		{"responseJsonSchema", "gemini-2.5-flash", reask.ModeJSONSchema, false},
		{"responseSchema", "gemini-2.5-flash", reask.ModeJSONSchema, true},
		{"tools", "gemini-2.5-flash", reask.ModeTools, false},
		{"tools on Gemini 3, signed calls", "gemini-3-pro-preview", reask.ModeTools, false},
		{"tools, legacy parameters", "gemini-2.5-flash", reask.ModeTools, true},
		{"json_object", "gemini-2.5-flash", reask.ModeJSONObject, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := sim.New(sim.Config{Seed: 1, Profile: prof, APIKey: "AIza-sim-key-0123"})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			clk := clock.NewFake(time.Unix(1700000000, 0))
			p := gemini.NewProvider(gemini.Config{BaseURL: ts.URL + "/v1beta", APIKey: "AIza-sim-key-0123", Model: tc.model, LegacySchema: tc.legacy})
			c := reasktest.NewClient(t, p, reask.Config{Mode: tc.mode, MaxAttempts: 4, Clock: clk, Random: func() float64 { return 0.5 }})
			reasked, transport := 0, map[reask.Kind]int{}
			for _, text := range texts {
				got, rep, err := reask.Extract[Person](t.Context(), c, text)
				if err != nil {
					t.Fatalf("%q: %v", text, err)
				}
				if got.Name == "" || got.Age == 0 {
					t.Errorf("%q: %+v", text, got)
				}
				for _, a := range rep.Records {
					for _, call := range a.Calls {
						if call.Status == 400 || call.Status == 403 {
							t.Errorf("%q: the simulator refused a request: %s", text, call.Message)
						}
						if call.Outcome != reask.KindOK {
							transport[call.Outcome]++
						}
					}
				}
				if rep.Attempts > 1 {
					reasked++
				}
			}
			if reasked != len(texts) {
				t.Errorf("%d of %d extractions re-asked; the profile makes every first answer lack a field", reasked, len(texts))
			}
			if transport[reask.KindRateLimit] == 0 || transport[reask.KindServer] == 0 {
				t.Errorf("transport failures met %v; want rate limits and server errors, all recovered", transport)
			}
			if st := srv.Stats(); st.ByStatus[400]+st.ByStatus[403] != 0 {
				t.Errorf("simulator statuses %v", st.ByStatus)
			}
		})
	}
}
