package openai_test

import (
	"net/http/httptest"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

// A re-ask mid-stream, end to end against the simulator's chat API in
// each mode: the first answer lacks a field (but in strict json_schema), the stream says so and
// streams the re-asked answer, which validates.
func TestStreamAgainstSimulator(t *testing.T) {
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
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	// Strict structured outputs keep every field: no re-ask there. Tools
	// go strict too when the schema qualifies, so they are sent loose here
	// to stream tool-call arguments through a re-ask.
	for mode, reasks := range map[reask.Mode]int{reask.ModeJSONSchema: 0, reask.ModeTools: 1, reask.ModeJSONObject: 1} {
		t.Run(string(mode), func(t *testing.T) {
			strict := dialect.StrictAuto
			if mode == reask.ModeTools {
				strict = dialect.StrictOff
			}
			c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: "sk-test-key", Model: "gpt-4o-mini", Strict: strict}),
				reask.Config{MaxAttempts: 4, Mode: mode})
			partials := map[int]int{}
			restarts := 0
			var final reask.Partial[Person]
			for p, err := range reask.Stream[Person](t.Context(), c, "Sarah, age 25") {
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case p.Restart:
					restarts++
				case p.Final:
					final = p
				default:
					partials[p.Attempt]++
				}
			}
			if restarts != reasks || partials[1] < 2 || (reasks > 0 && partials[2] < 2) || final.Value != (Person{Name: "Sarah", Age: 25}) {
				t.Fatalf("restarts %d, partials per attempt %v, final %+v", restarts, partials, final.Value)
			}
			if u := final.Report.Usage; u.PromptTokens == 0 || u.CompletionTokens == 0 {
				t.Errorf("usage %+v: the streams' include_usage chunks were not read", u)
			}
		})
	}
}

// A stream the simulator ends cleanly midway — status 200, no [DONE] — is
// never taken for an answer: the call is retried, and when every stream
// is cut the extraction fails in transport rather than with a short value.
func TestTruncatedStreamIsNotAnAnswer(t *testing.T) {
	prof, err := sim.ParseProfile([]byte(`{"stream":{"truncate_rate":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 1, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", APIKey: "sk-test-key", Model: "gpt-4o-mini"}),
		reask.Config{MaxTransportRetries: 1, Random: func() float64 { return 0 }})
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	var last reask.Partial[Person]
	var lastErr error
	restarts := 0
	for p, err := range reask.Stream[Person](t.Context(), c, "Sarah, age 25") {
		last, lastErr = p, err
		if p.Restart {
			restarts++
		}
	}
	if lastErr == nil || last.Final || last.Report.Calls != 2 || last.Report.Outcome != reask.KindConnection || restarts != 1 {
		t.Fatalf("last %+v, err %v, %d restarts; want a connection failure after 2 calls and 1 restart", last, lastErr, restarts)
	}
	if got := srv.Stats().Transport["stream_truncate"]; got != 2 {
		t.Errorf("%d truncated streams, want 2", got)
	}
}
