package reask_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
)

func providerFor(s *script, f *fixture, model string) reask.Provider {
	return openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: model, Clock: f.clock})
}

func TestBreakerOpensAndFailsFast(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	f := newFixture(t, []step{e503, e503, e503}, reask.Config{MaxTransportRetries: -1, Breaker: breaker.Settings{MinCalls: 3, Threshold: 0.5, CoolDown: time.Minute}, NoRetryBudget: true})
	for i := range 3 {
		_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
		if providerStatus(err) != 503 {
			t.Fatalf("call %d: %v", i, err)
		}
		// The third failure opens the breaker: its report says so.
		if want := map[bool]int{true: 1}[i == 2]; rep.BreakerTrips != want {
			t.Errorf("call %d: report counts %d breaker trips, want %d", i, rep.BreakerTrips, want)
		}
	}
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrCircuitOpen) {
		t.Fatalf("error %v, want ErrCircuitOpen", err)
	}
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || !oe.Until.Equal(start.Add(time.Minute)) {
		t.Errorf("open error %+v", oe)
	}
	if f.script.calls() != 3 || rep.Calls != 0 || rep.Outcome != reask.KindCircuitOpen || rep.BreakerTrips != 0 {
		t.Errorf("server calls %d, report calls %d, outcome %s", f.script.calls(), rep.Calls, rep.Outcome)
	}
	if st := f.client.Status(f.clock.Now()); st.BreakerTrips != 1 || st.Breakers[0].State != breaker.Open {
		t.Errorf("status %+v", st)
	}
}

func TestContentFailuresDoNotTripBreaker(t *testing.T) {
	bad := step{content: `{"name":"x"}`}
	f := newFixture(t, []step{bad, bad, bad, bad, bad, bad}, reask.Config{MaxAttempts: 2, Breaker: breaker.Settings{MinCalls: 2, Threshold: 0.5}})
	for range 3 {
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); !errors.Is(err, reask.ErrExhausted) {
			t.Fatal(err)
		}
	}
	if st := f.client.Status(f.clock.Now()); st.BreakerTrips != 0 {
		t.Errorf("content failures tripped the breaker: %+v", st)
	}
}

func TestFallbackProviderOnTransportFailure(t *testing.T) {
	e401 := step{status: 401, body: apiError("invalid_request_error", "invalid_api_key", "bad key")}
	f := newFixture(t, []step{e401}, reask.Config{})
	backup := newScript(t, step{content: johnJSON})
	c := reasktest.NewClient(t, providerFor(f.script, f, "primary"), reask.Config{Clock: f.clock, Fallbacks: []reask.Provider{providerFor(backup, f, "backup")}})
	got, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
	if err != nil || got.Name != "John Doe" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if rep.Provider != "openai/backup" || rep.Attempts != 1 || rep.Calls != 2 {
		t.Errorf("provider %s attempts %d calls %d", rep.Provider, rep.Attempts, rep.Calls)
	}
	if len(rep.Switches) != 1 || rep.Switches[0] != (reask.Switch{After: 0, What: "model", From: "openai/primary", To: "openai/backup", Reason: "auth"}) {
		t.Errorf("switches %+v", rep.Switches)
	}
}

func TestOpenCircuitProviderIsSkipped(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	f := newFixture(t, []step{e503}, reask.Config{})
	backup := newScript(t, step{content: johnJSON}, step{content: johnJSON})
	c := reasktest.NewClient(t, providerFor(f.script, f, "primary"), reask.Config{Clock: f.clock, Random: func() float64 { return 0 }, MaxTransportRetries: -1, Breaker: breaker.Settings{MinCalls: 1, CoolDown: time.Minute}, Fallbacks: []reask.Provider{providerFor(backup, f, "backup")}})
	if _, _, err := reask.Extract[UserInfo](t.Context(), c, johnText); err != nil {
		t.Fatal(err) // primary fails, its breaker opens, backup answers
	}
	_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if f.script.calls() != 1 || backup.calls() != 2 {
		t.Errorf("primary saw %d calls, backup %d: the open primary must be skipped", f.script.calls(), backup.calls())
	}
	if len(rep.Switches) != 1 || rep.Switches[0].Reason != "circuit open" || rep.Calls != 1 {
		t.Errorf("switches %+v calls %d", rep.Switches, rep.Calls)
	}
}

func TestRetryBudgetStopsRetryStorms(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	steps := make([]step, 100)
	for i := range steps {
		steps[i] = e503
	}
	f := newFixture(t, steps, reask.Config{NoBreaker: true, RetryBudget: budget.Config{MaxTokens: 10, TokenRatio: 0.1}})
	var budgetErrs int
	for range 20 {
		_, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
		if errors.Is(err, reask.ErrRetryBudget) {
			budgetErrs++
			if providerStatus(err) != 503 {
				t.Errorf("budget error does not carry the original error: %v", err)
			}
		}
	}
	// The budget allows 4 retries in all; then every call is one request.
	if calls := f.script.calls(); calls != 24 {
		t.Errorf("%d requests for 20 calls in a total outage, want 24", calls)
	}
	if budgetErrs != 20 {
		t.Errorf("%d calls stopped by the budget, want 20", budgetErrs)
	}
}

func TestModeSwitchAfterRepeatedSyntaxFailures(t *testing.T) {
	garbage := step{content: "Sure! Here it is: name John Doe, age thirty"}
	f := newFixture(t, []step{garbage, garbage, {content: johnJSON}}, reask.Config{Mode: reask.ModeJSONObject, MaxAttempts: 3})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Switches) != 1 || rep.Switches[0].What != "mode" || rep.Switches[0].To != "json_schema" || rep.Switches[0].After != 2 {
		t.Fatalf("switches %+v", rep.Switches)
	}
	if rf := f.script.request(2)["response_format"].(map[string]any); rf["type"] != "json_schema" {
		t.Errorf("third request response_format %v", rf)
	}
	if rf := f.script.request(1)["response_format"].(map[string]any); rf["type"] != "json_object" {
		t.Errorf("second request response_format %v", rf)
	}
	if rep.Mode != reask.ModeJSONSchema || rep.Records[2].Mode != reask.ModeJSONSchema {
		t.Errorf("report mode %s", rep.Mode)
	}
}

func TestSharperFeedbackThenNextModel(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	f := newFixture(t, []step{bad, bad, bad}, reask.Config{})
	backup := newScript(t, step{content: johnJSON})
	c := reasktest.NewClient(t, providerFor(f.script, f, "primary"), reask.Config{Clock: f.clock, MaxAttempts: 4, Fallbacks: []reask.Provider{providerFor(backup, f, "backup")}})
	_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
	if err != nil {
		t.Fatal(err)
	}
	first := f.lastFeedback(t, 1)
	if strings.Contains(first, "failed more than once") {
		t.Errorf("first re-ask already sharpened: %q", first)
	}
	second := f.lastFeedback(t, 2)
	want := "These fields failed more than once. Their exact schema, and an example of a valid value:\n- /age: schema {\"type\":\"integer\"}; example 42"
	if !strings.Contains(second, want) {
		t.Errorf("second re-ask:\n%s\nwant it to contain:\n%s", second, want)
	}
	if f.script.calls() != 3 || backup.calls() != 1 {
		t.Errorf("primary %d calls, backup %d", f.script.calls(), backup.calls())
	}
	wantSwitches := []reask.Switch{
		{After: 2, What: "feedback", From: "field list", To: "schema fragment for /age", Reason: "the same field failed twice"},
		{After: 3, What: "model", From: "openai/primary", To: "openai/backup", Reason: "a field still failing after sharper feedback"},
	}
	if !slices.Equal(rep.Switches, wantSwitches) {
		t.Errorf("switches %+v\nwant %+v", rep.Switches, wantSwitches)
	}
}

type Contact struct {
	Name    string `json:"name"`
	Age     int    `json:"age"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Company string `json:"company"`
}

func TestPatchReask(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	patch := step{content: `{"age":30}`}
	f := newFixture(t, []step{bad, patch}, reask.Config{Patch: true})
	got, rep, err := reask.Extract[Contact](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Contact{"John Doe", 30, "john@email.com", "555-0100", "Acme"}); got != want {
		t.Errorf("got %+v", got)
	}
	if rep.Attempts != 2 {
		t.Errorf("attempts %d", rep.Attempts)
	}
	req := f.script.request(1)
	js := req["response_format"].(map[string]any)["json_schema"].(map[string]any)
	props := js["schema"].(map[string]any)["properties"].(map[string]any)
	if len(props) != 1 || props["age"] == nil || js["name"] != "contact_patch" {
		t.Errorf("patch schema %v", js)
	}
	fb := f.lastFeedback(t, 1)
	want := "Most of your answer is right. Only these fields are wrong:\n- /age: wrong type: got \"thirty\" (string); expected integer\nAnswer with a JSON object that contains only the corrected fields: age."
	if fb != want {
		t.Errorf("patch feedback %q", fb)
	}
}

func TestPatchFallsBackToFullReask(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	badPatch := step{content: `{"age":"thirty"}`}
	full := step{content: `{"name":"John Doe","age":30,"email":"john@email.com","phone":"555-0100","company":"Acme"}`}
	f := newFixture(t, []step{bad, badPatch, full}, reask.Config{Patch: true})
	if _, _, err := reask.Extract[Contact](t.Context(), f.client, johnText); err != nil {
		t.Fatal(err)
	}
	js := f.script.request(2)["response_format"].(map[string]any)["json_schema"].(map[string]any)
	if js["name"] != "contact" {
		t.Errorf("third request should be a full re-ask, got schema %v", js["name"])
	}
}

func TestRateLimitSharingFollowsTheHeaders(t *testing.T) {
	quotaLeft := map[string]string{"Retry-After": "3", "x-ratelimit-remaining-requests": "40", "x-ratelimit-limit-requests": "60", "x-ratelimit-reset-requests": "20s"}
	exhausted := map[string]string{"Retry-After": "3", "x-ratelimit-remaining-requests": "0", "x-ratelimit-limit-requests": "60", "x-ratelimit-reset-requests": "3s"}
	for _, tt := range []struct {
		name   string
		header map[string]string
		shared bool
	}{
		{"quota left: only this call waits", quotaLeft, false},
		{"quota exhausted: every call waits", exhausted, true},
		{"no headers: every call waits", map[string]string{"Retry-After": "3"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, []step{{status: 429, header: tt.header, body: apiError("requests", "rate_limit_exceeded", "slow down")}, {content: johnJSON}}, reask.Config{})
			if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
				t.Fatal(err)
			}
			st := f.client.Status(f.clock.Now().Add(-time.Second))
			var blocked bool
			for _, l := range st.Limiters {
				blocked = blocked || l.BlockedUntil.After(f.clock.Now().Add(-time.Second))
			}
			if blocked != tt.shared {
				t.Errorf("limiter held for everyone: %v, want %v (%+v)", blocked, tt.shared, st.Limiters)
			}
			if sl := f.clock.Sleeps(); len(sl) != 1 || sl[0] != 3*time.Second {
				t.Errorf("sleeps %v, want the call itself to wait 3s either way", sl)
			}
		})
	}
}
