package reask_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/repair"
)

// outcomes returns the outcome of each attempt of a report.
func outcomes(rep *reask.Report) []reask.Kind {
	var kinds []reask.Kind
	for _, r := range rep.Records {
		kinds = append(kinds, r.Outcome)
	}
	return kinds
}

func TestTextModeSwitchesAfterRepeatedSyntaxFailures(t *testing.T) {
	garbage := step{content: "Sure! Here it is: name John Doe, age thirty"}
	for _, tc := range []struct {
		name     string
		fallback reask.Mode // Config.ModeFallback
		answer   step       // the answer in the fallback mode
		want     reask.Mode
	}{
		{"to json_schema by default", "", step{content: johnJSON}, reask.ModeJSONSchema},
		{"to tools when asked", reask.ModeTools, step{content: johnJSON, tool: true}, reask.ModeTools},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, []step{garbage, garbage, tc.answer}, reask.Config{Mode: reask.ModeText, MaxAttempts: 3, ModeFallback: tc.fallback})
			got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil || got.Name != "John Doe" {
				t.Fatalf("got %+v, %v", got, err)
			}
			wantSwitches := []reask.Switch{{After: 2, What: "mode", From: "text", To: string(tc.want), Reason: "two JSON syntax failures in a row"}}
			if !slices.Equal(rep.Switches, wantSwitches) {
				t.Errorf("switches %+v\nwant %+v", rep.Switches, wantSwitches)
			}
			wantKinds := []reask.Kind{reask.KindJSONSyntax, reask.KindJSONSyntax, reask.KindOK}
			if k := outcomes(rep); !slices.Equal(k, wantKinds) {
				t.Errorf("outcomes %v, want %v", k, wantKinds)
			}
			modes := []reask.Mode{rep.Records[0].Mode, rep.Records[1].Mode, rep.Records[2].Mode}
			if want := []reask.Mode{reask.ModeText, reask.ModeText, tc.want}; !slices.Equal(modes, want) || rep.Mode != tc.want {
				t.Errorf("attempt modes %v (report %s), want %v", modes, rep.Mode, want)
			}
			// The first two requests are plain text; the third asks for the
			// structure the fallback mode provides.
			for i := range 2 {
				if req := f.script.request(i); req["response_format"] != nil || req["tools"] != nil {
					t.Errorf("request %d in text mode: response_format %v tools %v", i, req["response_format"], req["tools"])
				}
			}
			third := f.script.request(2)
			switch tc.want {
			case reask.ModeJSONSchema:
				if rf, _ := third["response_format"].(map[string]any); rf["type"] != "json_schema" {
					t.Errorf("third request response_format %v", third["response_format"])
				}
			case reask.ModeTools:
				if tools, _ := third["tools"].([]any); len(tools) != 1 {
					t.Errorf("third request tools %v", third["tools"])
				}
			}
		})
	}
}

func TestSharperFeedbackIsASwitch(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	noEmail := step{content: `{"name":"John Doe","age":"thirty"}`}
	f := newFixture(t, []step{bad, bad, noEmail, noEmail, {content: johnJSON}}, reask.Config{MaxAttempts: 5})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	// No fallback provider: the field that keeps failing stays on the same
	// model, and each field is sharpened once, when it fails the second
	// time.
	want := []reask.Switch{
		{After: 2, What: "feedback", From: "field list", To: "schema fragment for /age", Reason: "the same field failed twice"},
		{After: 4, What: "feedback", From: "field list", To: "schema fragment for /email", Reason: "the same field failed twice"},
	}
	if !slices.Equal(rep.Switches, want) {
		t.Errorf("switches %+v\nwant %+v", rep.Switches, want)
	}
	if fb := f.lastFeedback(t, 1); strings.Contains(fb, "failed more than once") {
		t.Errorf("first re-ask sharpened: %q", fb)
	}
	if fb := f.lastFeedback(t, 2); !strings.Contains(fb, "- /age: schema") {
		t.Errorf("second re-ask lacks the schema of /age: %q", fb)
	}
	if fb := f.lastFeedback(t, 4); !strings.Contains(fb, "- /email: schema") {
		t.Errorf("fourth re-ask lacks the schema of /email: %q", fb)
	}
}

func TestSharperFeedbackForTwoFieldsIsOneSwitch(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty"}`}
	f := newFixture(t, []step{bad, bad, {content: johnJSON}}, reask.Config{})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	want := []reask.Switch{{After: 2, What: "feedback", From: "field list", To: "schema fragments for /age, /email", Reason: "the same field failed twice"}}
	if !slices.Equal(rep.Switches, want) {
		t.Errorf("switches %+v\nwant %+v", rep.Switches, want)
	}
}

func TestNoFeedbackSwitchWithoutAdaptive(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	f := newFixture(t, []step{bad, bad, {content: johnJSON}}, reask.Config{NoAdaptive: true})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Switches) != 0 {
		t.Errorf("switches %+v without the adaptive strategy", rep.Switches)
	}
	if fb := f.lastFeedback(t, 2); strings.Contains(fb, "failed more than once") {
		t.Errorf("feedback sharpened without the adaptive strategy: %q", fb)
	}
}

func TestPatchSwitchesAreRecorded(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	goodPatch := step{content: `{"age":30}`}
	badPatch := step{content: `{"age":"thirty"}`}
	full := step{content: `{"name":"John Doe","age":30,"email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	toPatch := reask.Switch{After: 1, What: "feedback", From: "full re-ask", To: "patch re-ask", Reason: "only a few fields are invalid"}
	for _, tc := range []struct {
		name  string
		steps []step
		want  []reask.Switch
	}{
		{"a patch that validates", []step{bad, goodPatch}, []reask.Switch{toPatch}},
		{"a patch that does not falls back to full re-asks", []step{bad, badPatch, full}, []reask.Switch{
			toPatch,
			{After: 2, What: "feedback", From: "patch re-ask", To: "full re-ask", Reason: "the patched answer did not validate"},
			// /age failed in the answer and in the patch.
			{After: 2, What: "feedback", From: "field list", To: "schema fragment for /age", Reason: "the same field failed twice"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.steps, reask.Config{Patch: true})
			got, rep, err := reask.Extract[Contact](t.Context(), f.client, johnText)
			if err != nil || got.Age != 30 {
				t.Fatalf("got %+v, %v", got, err)
			}
			if !slices.Equal(rep.Switches, tc.want) {
				t.Errorf("switches %+v\nwant %+v", rep.Switches, tc.want)
			}
			if len(tc.steps) == 3 {
				if fb := f.lastFeedback(t, 2); !strings.HasPrefix(fb, "Your answer does not match the schema.") || !strings.Contains(fb, "- /age: schema") {
					t.Errorf("full re-ask feedback %q", fb)
				}
			}
		})
	}
}

func TestSwitchesReachTheObserver(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	var seen []reask.Switch
	f := newFixture(t, []step{bad, bad, {content: johnJSON}}, reask.Config{Observer: func(_ context.Context, e reask.Event) {
		if e.Kind == reask.EventSwitch {
			seen = append(seen, *e.Switch)
		}
	}})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !slices.Equal(seen, rep.Switches) {
		t.Errorf("observer saw %+v, report has %+v", seen, rep.Switches)
	}
}

func TestRepairOffThroughTheLoop(t *testing.T) {
	fenced := step{content: "```json\n" + johnJSON + "\n```"}
	for _, tc := range []struct {
		name      string
		level     repair.Level
		steps     []step
		wantKinds []reask.Kind
		wantFixes []repair.Kind
	}{
		{"off: a fence is a syntax failure, re-asked", repair.Off, []step{fenced, {content: johnJSON}}, []reask.Kind{reask.KindJSONSyntax, reask.KindOK}, nil},
		{"off: prose around JSON is a syntax failure", repair.Off, []step{{content: "Here you go: " + johnJSON}, {content: johnJSON}}, []reask.Kind{reask.KindJSONSyntax, reask.KindOK}, nil},
		{"off: valid JSON passes", repair.Off, []step{{content: johnJSON}}, []reask.Kind{reask.KindOK}, nil},
		{"off: surrounding whitespace is valid JSON", repair.Off, []step{{content: "\n  " + johnJSON + "\n"}}, []reask.Kind{reask.KindOK}, nil},
		{"default: the same fence is repaired locally", repair.SyntaxAndCoercion, []step{fenced}, []reask.Kind{reask.KindOK}, []repair.Kind{repair.KindMarkdownFence, repair.KindMarkdownFence}}, // opening and closing fence
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.steps, reask.Config{RepairLevel: tc.level})
			got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil || got != (UserInfo{"John Doe", 30, "john@email.com"}) {
				t.Fatalf("got %+v, %v", got, err)
			}
			if k := outcomes(rep); !slices.Equal(k, tc.wantKinds) {
				t.Errorf("outcomes %v, want %v", k, tc.wantKinds)
			}
			var fixes []repair.Kind
			for _, fx := range rep.Repairs() {
				fixes = append(fixes, fx.Kind)
			}
			if !slices.Equal(fixes, tc.wantFixes) {
				t.Errorf("repairs %v, want %v", fixes, tc.wantFixes)
			}
			if f.script.calls() != len(tc.steps) {
				t.Errorf("%d calls, want %d", f.script.calls(), len(tc.steps))
			}
			if len(tc.steps) == 2 {
				if fb := f.lastFeedback(t, 1); !strings.HasPrefix(fb, "Your answer is not valid JSON") {
					t.Errorf("re-ask feedback %q", fb)
				}
			}
		})
	}
}
