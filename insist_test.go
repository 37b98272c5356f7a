package reask_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

// TestStopWhenTheModelInsists runs the loop against scripted answers: a
// model that gives the same invalid value again after the sharper feedback,
// twice in a row, stops the extraction early with an *InsistedError; one that changes its
// value, or makes new mistakes beside the repeat, keeps being re-asked.
func TestStopWhenTheModelInsists(t *testing.T) {
	thirty := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	thirtyNoEmail := step{content: `{"name":"John Doe","age":"thirty"}`}
	good := step{content: johnJSON}
	age := func(v string) step {
		return step{content: `{"name":"John Doe","age":"` + v + `","email":"john@email.com"}`}
	}
	ageRepeat := func(times int) []reask.Repeat {
		return []reask.Repeat{{Path: "/age", Keyword: "type", Problem: "wrong type", Value: `"thirty"`, Times: times}}
	}
	tests := []struct {
		name     string
		steps    []step
		cfg      reask.Config   // MaxAttempts 6 unless set
		insisted []reask.Repeat // nil: the extraction must not stop early
		wantErr  error          // nil: success
	}{
		{"the same value after two sharper feedbacks stops", []step{thirty, thirty, thirty, thirty}, reask.Config{}, ageRepeat(4), reask.ErrInsisted},
		{"a repeat while the other fields are fixed stops", []step{thirtyNoEmail, thirtyNoEmail, thirty, thirty}, reask.Config{}, ageRepeat(4), reask.ErrInsisted},
		{"one sharper feedback ignored keeps going", []step{thirty, thirty, thirty, good}, reask.Config{}, nil, nil},
		{"a value that changes keeps going", []step{age("thirty"), age("thirty"), age("thirty years"), age("30 yrs"), good}, reask.Config{}, nil, nil},
		{"a new violation beside the repeat keeps going", []step{thirty, thirty, thirtyNoEmail, good}, reask.Config{}, nil, nil},
		{"a repeat before the sharper feedback keeps going", []step{thirty, thirty, good}, reask.Config{}, nil, nil},
		{"KeepOnRepeat spends every attempt", []step{thirty, thirty, thirty, thirty, thirty, thirty}, reask.Config{KeepOnRepeat: true}, nil, reask.ErrExhausted},
		{"without the adaptive strategy every attempt is spent", []step{thirty, thirty, thirty, thirty, thirty, thirty}, reask.Config{NoAdaptive: true}, nil, reask.ErrExhausted},
		{"the last attempt is no early stop", []step{thirty, thirty, thirty, thirty}, reask.Config{MaxAttempts: 4}, nil, reask.ErrExhausted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.MaxAttempts == 0 {
				cfg.MaxAttempts = 6
			}
			f := newFixture(t, tc.steps, cfg)
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if f.script.calls() != len(tc.steps) || rep.Attempts != len(tc.steps) {
				t.Errorf("%d calls, %d attempts; want %d", f.script.calls(), rep.Attempts, len(tc.steps))
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
			} else if !errors.Is(err, tc.wantErr) || !errors.Is(err, reask.ErrExhausted) {
				t.Fatalf("error %v, want %v (and ErrExhausted)", err, tc.wantErr)
			}
			if !slices.Equal(rep.Insisted, tc.insisted) {
				t.Errorf("report insisted %+v, want %+v", rep.Insisted, tc.insisted)
			}
			var ie *reask.InsistedError
			if tc.insisted == nil {
				if errors.Is(err, reask.ErrInsisted) || errors.As(err, &ie) || rep.AttemptsSaved != 0 {
					t.Errorf("stopped early: %v, %d attempts saved", err, rep.AttemptsSaved)
				}
				return
			}
			if !errors.As(err, &ie) || ie.Path != "/age" || ie.Value != `"thirty"` || !slices.Equal(ie.Repeats, tc.insisted) {
				t.Fatalf("InsistedError %+v", ie)
			}
			if want := 6 - len(tc.steps); rep.AttemptsSaved != want {
				t.Errorf("%d attempts saved, want %d", rep.AttemptsSaved, want)
			}
			var ee *reask.ExhaustedError
			if !errors.As(err, &ee) || ee.Report != rep || ee.LastKind != reask.KindSchema || rep.Outcome != reask.KindSchema {
				t.Errorf("exhausted %+v, outcome %s", ee, rep.Outcome)
			}
			msg := err.Error()
			for _, part := range []string{"insists at /age", `"thirty"`, "after sharper feedback", "stopped after 4 attempt(s) with 2 left"} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q lacks %q", msg, part)
				}
			}
			// The last request carried the sharper feedback for /age.
			if fb := f.lastFeedback(t, len(tc.steps)-1); !strings.Contains(fb, "- /age: schema") {
				t.Errorf("last re-ask lacks the sharper feedback: %q", fb)
			}
			// The batch record and the statistics keep it.
			rec := stats.FromReport("i1", nil, rep, err)
			if !slices.Equal(rec.Insisted, tc.insisted) || rec.AttemptsSaved != 2 || !strings.Contains(rec.Error, "insists at /age") {
				t.Errorf("record insisted %+v saved %d error %q", rec.Insisted, rec.AttemptsSaved, rec.Error)
			}
			var agg stats.Aggregator
			agg.Add(rec)
			if s := agg.Summary(); s.Insisted != 1 || s.AttemptsSaved != 2 || len(s.InsistedOn) != 1 || s.InsistedOn[0].Name != "/age type" {
				t.Errorf("summary insisted %d saved %d on %+v", s.Insisted, s.AttemptsSaved, s.InsistedOn)
			}
		})
	}
}

// TestPatchFeedbackIsNotTheSharperOne: a patch re-ask's feedback replaces
// the sharper one, so a value repeated in the patch does not stop the
// extraction; it stops once two full re-asks with the sharper feedback get
// the same value again.
func TestPatchFeedbackIsNotTheSharperOne(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	badPatch := step{content: `{"age":"thirty"}`}
	f := newFixture(t, []step{bad, badPatch, bad, bad}, reask.Config{Patch: true, MaxAttempts: 6})
	_, rep, err := reask.Extract[Contact](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrInsisted) || f.script.calls() != 4 {
		t.Fatalf("error %v after %d calls, want ErrInsisted after 4", err, f.script.calls())
	}
	if fb := f.lastFeedback(t, 1); strings.Contains(fb, "failed more than once") {
		t.Errorf("the patch re-ask was sharpened: %q", fb)
	}
	if len(rep.Insisted) != 1 || rep.Insisted[0].Times != 4 || rep.AttemptsSaved != 2 {
		t.Errorf("insisted %+v, saved %d", rep.Insisted, rep.AttemptsSaved)
	}
}

// TestInsistingWaitsForTheFallbackProvider: while a fallback provider
// remains, the adaptive strategy moves to it instead of stopping; a repeat
// counts only between answers of the same provider, so the fallback is
// stopped once it insists too.
func TestInsistingWaitsForTheFallbackProvider(t *testing.T) {
	thirty := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	f := newFixture(t, []step{thirty, thirty, thirty}, reask.Config{})
	backup := newScript(t, thirty, thirty, thirty)
	c := reasktest.NewClient(t, providerFor(f.script, f, "primary"), reask.Config{Clock: f.clock, MaxAttempts: 7, Fallbacks: []reask.Provider{providerFor(backup, f, "backup")}})
	_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
	if !errors.Is(err, reask.ErrInsisted) || f.script.calls() != 3 || backup.calls() != 3 {
		t.Fatalf("error %v; primary %d calls, backup %d; want ErrInsisted after 3 and 3", err, f.script.calls(), backup.calls())
	}
	if rep.Provider != "openai/backup" || rep.AttemptsSaved != 1 || len(rep.Insisted) != 1 || rep.Insisted[0].Times != 3 {
		t.Errorf("provider %s saved %d insisted %+v", rep.Provider, rep.AttemptsSaved, rep.Insisted)
	}
}

// TestRepeatsCompareCanonicalJSON: a value counts as the same whatever its
// spelling — numbers by value, object members in any order.
func TestRepeatsCompareCanonicalJSON(t *testing.T) {
	s := schema.MustCompile(`{"type":"object","properties":{
		"score":{"type":"number","maximum":5},
		"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"maxProperties":1}},
		"required":["score","point"]}`)
	tests := []struct {
		name    string
		answers []string
		insists bool
	}{
		{"spelled differently, the same values", []string{`{"score":7,"point":{"x":1,"y":2}}`, `{"score":7.0,"point":{"y":2,"x":1.0}}`, `{"score":70e-1,"point":{"y":2e0,"x":1}}`, `{"point":{"x":1e0,"y":2},"score":7}`}, true},
		{"a different number", []string{`{"score":7,"point":{"x":1,"y":2}}`, `{"score":7,"point":{"x":1,"y":2}}`, `{"score":8,"point":{"x":1,"y":2}}`, `{"score":1,"point":{"x":1}}`}, false},
		{"a different member", []string{`{"score":7,"point":{"x":1,"y":2}}`, `{"score":7,"point":{"x":1,"y":2}}`, `{"score":7,"point":{"x":1,"y":3}}`, `{"score":1,"point":{"x":1}}`}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var steps []step
			for _, a := range tc.answers {
				steps = append(steps, step{content: a})
			}
			f := newFixture(t, steps, reask.Config{MaxAttempts: 5})
			_, rep, err := f.client.Run(t.Context(), reask.Task{Schema: s, Input: "score 7 at (1, 2)"})
			if got := errors.Is(err, reask.ErrInsisted); got != tc.insists || f.script.calls() != len(steps) {
				t.Fatalf("insisted %v after %d calls (%v), want %v after %d", got, f.script.calls(), err, tc.insists, len(steps))
			}
			if tc.insists {
				want := []reask.Repeat{
					{Path: "/point", Keyword: "maxProperties", Problem: rep.Insisted[0].Problem, Value: `{"x":1,"y":2}`, Times: 4},
					{Path: "/score", Keyword: "maximum", Problem: rep.Insisted[1].Problem, Value: "7", Times: 4},
				}
				if !slices.Equal(rep.Insisted, want) {
					t.Errorf("insisted %+v\nwant %+v", rep.Insisted, want)
				}
			}
		})
	}
}

// The sharper feedback names a violation of the whole answer "(root)", as
// every other message does, not with an empty pointer.
func TestSharperFeedbackNamesTheRoot(t *testing.T) {
	list := step{content: `["John Doe", 30]`}
	f := newFixture(t, []step{list, list, step{content: johnJSON}}, reask.Config{MaxAttempts: 3})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
		t.Fatalf("error %v", err)
	}
	fb := f.lastFeedback(t, 2)
	if !strings.Contains(fb, "- (root): schema") || strings.Contains(fb, "\n- : schema") {
		t.Errorf("sharper feedback does not name the root: %q", fb)
	}
}
