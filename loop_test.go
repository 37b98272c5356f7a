package reask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

type UserInfo struct {
	Name  string `json:"name"`
	Age   int    `json:"age"`
	Email string `json:"email"`
}

const johnText = "Contact John Doe, age 30, at john@email.com"

const johnJSON = `{"name":"John Doe","age":30,"email":"john@email.com"}`

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is a client on a scripted server with a fake clock and a fixed
// jitter source (0.5: full jitter waits half the exponential delay).
type fixture struct {
	script *script
	clock  *clock.Fake
	client *reask.Client
}

// newFixture returns a client for a scripted provider, configured by cfg
// on a fake clock, with a fixed jitter and a backoff of 1s to 1m unless
// cfg sets its own.
func newFixture(t *testing.T, steps []step, cfg reask.Config) *fixture {
	t.Helper()
	s := newScript(t, steps...)
	clk := clock.NewFake(start)
	p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL + "/v1", APIKey: "sk-test-secret", Model: "test-model", Clock: clk})
	return &fixture{script: s, clock: clk, client: reasktest.NewClient(t, p, testConfig(cfg, clk))}
}

// testConfig fills what cfg leaves zero with the tests' clock, a fixed
// jitter and a backoff of 1s to 1m.
func testConfig(cfg reask.Config, clk clock.Clock) reask.Config {
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	if cfg.Random == nil {
		cfg.Random = func() float64 { return 0.5 }
	}
	if cfg.Backoff == (backoff.Policy{}) {
		cfg.Backoff = backoff.Policy{Base: time.Second, Max: time.Minute}
	}
	return cfg
}

// providerStatus returns the HTTP status of the *reask.ProviderError in
// err, or 0.
func providerStatus(err error) int {
	var pe *reask.ProviderError
	if errors.As(err, &pe) {
		return pe.StatusCode
	}
	return 0
}

// lastFeedback returns the content of the last message of request i.
func (f *fixture) lastFeedback(t *testing.T, i int) string {
	t.Helper()
	msgs := f.script.messages(i)
	return msgs[len(msgs)-1]["content"].(string)
}

func TestExtractScenarios(t *testing.T) {
	tests := []struct {
		name       string
		steps      []step
		cfg        reask.Config
		wantCalls  int
		wantSleeps []time.Duration
		// wantFeedback is the exact last message of the second request.
		wantFeedback string
		wantRepairs  []repair.Kind
		wantKinds    []reask.Kind // outcome of each attempt
	}{
		{
			name:      "valid at once",
			steps:     []step{{content: johnJSON}},
			wantCalls: 1, wantKinds: []reask.Kind{reask.KindOK},
		},
		{
			name:      "invalid JSON is re-asked with the position and an excerpt",
			steps:     []step{{content: `{"name" "John" : : 30}`}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindJSONSyntax, reask.KindOK},
			wantFeedback: "Your answer is not valid JSON: line 1, column 16: expected ',' or '}' after object member, near {\"name\" \"John\" : : 30}.\n" +
				"Answer again with the complete JSON object only: no prose, no Markdown fences, double-quoted keys and strings, no trailing commas.",
		},
		{
			name:      "an answer without JSON",
			steps:     []step{{content: "I cannot help with that."}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindJSONSyntax, reask.KindOK},
			wantFeedback: "Your answer is not valid JSON: no JSON value found: the text holds no JSON object or array.\n" +
				"Answer again with the complete JSON object only: no prose, no Markdown fences, double-quoted keys and strings, no trailing commas.",
		},
		{
			name:      "missing field is re-asked with its path",
			steps:     []step{{content: `{"name":"John Doe","age":30}`}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindSchema, reask.KindOK},
			wantFeedback: "Your answer does not match the schema. Fix every problem below and answer again with the complete corrected JSON object only:\n" +
				"- /email: missing required field; expected string",
		},
		{
			name:      "wrong type that cannot be coerced",
			steps:     []step{{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindSchema, reask.KindOK},
			wantFeedback: "Your answer does not match the schema. Fix every problem below and answer again with the complete corrected JSON object only:\n" +
				"- /age: wrong type: got \"thirty\" (string); expected integer",
		},
		{
			name:      "every problem listed, one per line",
			steps:     []step{{content: `{"name":"John Doe","age":"thirty","phone":"555"}`}, {content: johnJSON}},
			cfg:       reask.Config{RepairLevel: repair.SyntaxOnly},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindSchema, reask.KindOK},
			wantFeedback: "Your answer does not match the schema. Fix every problem below and answer again with the complete corrected JSON object only:\n" +
				"- /age: wrong type: got \"thirty\" (string); expected integer\n" +
				"- /email: missing required field; expected string\n" +
				"- /phone: unexpected field: got \"555\"; expected no such field; allowed fields: age, email, name",
		},
		{
			name:      "number as string is coerced locally, no re-ask",
			steps:     []step{{content: `{"name":"John Doe","age":"30","email":"john@email.com"}`}},
			wantCalls: 1, wantKinds: []reask.Kind{reask.KindOK},
			wantRepairs: []repair.Kind{repair.KindStringToInteger},
		},
		{
			name:      "extra field dropped locally under additionalProperties false",
			steps:     []step{{content: `{"name":"John Doe","age":30,"email":"john@email.com","phone":"555"}`}},
			wantCalls: 1, wantKinds: []reask.Kind{reask.KindOK},
			wantRepairs: []repair.Kind{repair.KindDropUnknownField},
		},
		{
			name:      "extra field re-asked when coercion is off",
			steps:     []step{{content: `{"name":"John Doe","age":30,"email":"john@email.com","phone":"555"}`}, {content: johnJSON}},
			cfg:       reask.Config{RepairLevel: repair.SyntaxOnly},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindSchema, reask.KindOK},
			wantFeedback: "Your answer does not match the schema. Fix every problem below and answer again with the complete corrected JSON object only:\n" +
				"- /phone: unexpected field: got \"555\"; expected no such field; allowed fields: age, email, name",
		},
		{
			name:      "truncated answer is re-asked, never accepted",
			steps:     []step{{content: `{"name":"John Doe","age":30,"em`, finish: "length"}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindTruncated, reask.KindOK},
			wantFeedback: "Your answer was cut off after 31 characters, before the JSON was complete (the provider stopped at its token limit (finish_reason \"length\")).\n" +
				"Answer again with the complete JSON object; keep string values short so that it fits.",
		},
		{
			name: "refusal",
			steps: []step{{body: `{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}}`},
				{content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindRefusal, reask.KindOK},
			wantFeedback: "You declined to answer (I can't help with that.).\nThe task is only to copy information present in the text into the JSON object. Answer with the JSON object.",
		},
		{
			name:      "empty answer",
			steps:     []step{{content: ""}, {content: johnJSON}},
			wantCalls: 2, wantKinds: []reask.Kind{reask.KindEmpty, reask.KindOK},
			wantFeedback: "Your answer was empty.\nAnswer with the JSON object extracted from the text.",
		},
		{
			name: "429 waits for Retry-After, then succeeds",
			steps: []step{
				{status: 429, header: map[string]string{"Retry-After": "7"}, body: apiError("requests", "rate_limit_exceeded", "Rate limit reached")},
				{content: johnJSON},
			},
			wantCalls: 2, wantSleeps: []time.Duration{7 * time.Second}, wantKinds: []reask.Kind{reask.KindOK},
		},
		{
			name: "429 prefers retry-after-ms",
			steps: []step{
				{status: 429, header: map[string]string{"Retry-After": "7", "retry-after-ms": "1500"}, body: apiError("requests", "rate_limit_exceeded", "Rate limit reached")},
				{content: johnJSON},
			},
			wantCalls: 2, wantSleeps: []time.Duration{1500 * time.Millisecond}, wantKinds: []reask.Kind{reask.KindOK},
		},
		{
			name: "429 without Retry-After waits for the exhausted quota's reset",
			steps: []step{
				{status: 429, header: map[string]string{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2.5s", "x-ratelimit-limit-requests": "60"}, body: apiError("requests", "rate_limit_exceeded", "Rate limit reached")},
				{content: johnJSON},
			},
			wantCalls: 2, wantSleeps: []time.Duration{2500 * time.Millisecond}, wantKinds: []reask.Kind{reask.KindOK},
		},
		{
			name: "500, 502, 503 back off exponentially with jitter",
			steps: []step{
				{status: 500, body: apiError("server_error", "", "boom")},
				{status: 502, body: "<html>bad gateway</html>"},
				{status: 503, body: apiError("server_error", "", "overloaded")},
				{content: johnJSON},
			},
			wantCalls:  4,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
			wantKinds:  []reask.Kind{reask.KindOK},
		},
		{
			name:       "dropped connection is retried",
			steps:      []step{{drop: true}, {content: johnJSON}},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
			wantKinds:  []reask.Kind{reask.KindOK},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.steps, tt.cfg)
			got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if want := (UserInfo{"John Doe", 30, "john@email.com"}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if n := f.script.calls(); n != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", n, tt.wantCalls)
			}
			if rep.Calls != tt.wantCalls {
				t.Errorf("report.Calls = %d, want %d", rep.Calls, tt.wantCalls)
			}
			if sleeps := f.clock.Sleeps(); !slices.Equal(sleeps, tt.wantSleeps) {
				t.Errorf("slept %v, want %v", sleeps, tt.wantSleeps)
			}
			var kinds []reask.Kind
			for _, a := range rep.Records {
				kinds = append(kinds, a.Outcome)
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("attempt outcomes %v, want %v", kinds, tt.wantKinds)
			}
			if rep.Attempts != len(tt.wantKinds) {
				t.Errorf("report.Attempts = %d, want %d", rep.Attempts, len(tt.wantKinds))
			}
			if tt.wantFeedback != "" {
				if fb := f.lastFeedback(t, 1); fb != tt.wantFeedback {
					t.Errorf("feedback:\n%s\nwant:\n%s", fb, tt.wantFeedback)
				}
			}
			var repairs []repair.Kind
			for _, fix := range rep.Repairs() {
				repairs = append(repairs, fix.Kind)
			}
			if strings.Join(kindStrings(repairs), ",") != strings.Join(kindStrings(tt.wantRepairs), ",") {
				t.Errorf("repairs %v, want %v", repairs, tt.wantRepairs)
			}
			var backoff time.Duration
			for _, d := range tt.wantSleeps {
				backoff += d
			}
			if rep.Backoff != backoff {
				t.Errorf("report.Backoff = %s, want %s", rep.Backoff, backoff)
			}
			wantWasted := 120 * (len(tt.wantKinds) - 1)
			if rep.WastedTokens != wantWasted || rep.Usage.TotalTokens != 120*len(tt.wantKinds) {
				t.Errorf("tokens total %d wasted %d, want %d and %d", rep.Usage.TotalTokens, rep.WastedTokens, 120*len(tt.wantKinds), wantWasted)
			}
		})
	}
}

func TestNonRetryableErrorsStopAtOnce(t *testing.T) {
	tests := []struct {
		name     string
		step     step
		wantKind reask.Kind
		status   int
	}{
		{"insufficient quota", step{status: 429, header: map[string]string{"Retry-After": "1"}, body: apiError("insufficient_quota", "insufficient_quota", "You exceeded your current quota")}, reask.KindQuota, 429},
		{"bad request", step{status: 400, body: apiError("invalid_request_error", "", "Invalid schema")}, reask.KindBadRequest, 400},
		{"context length", step{status: 400, body: apiError("invalid_request_error", "context_length_exceeded", "too long")}, reask.KindContextLength, 400},
		{"unauthorized", step{status: 401, body: apiError("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-test-***")}, reask.KindAuth, 401},
		{"forbidden", step{status: 403, body: apiError("", "", "forbidden")}, reask.KindAuth, 403},
		{"not found", step{status: 404, body: apiError("invalid_request_error", "model_not_found", "no such model")}, reask.KindBadRequest, 404},
		{"payload too large", step{status: 413, body: "too large"}, reask.KindBadRequest, 413},
		{"unprocessable", step{status: 422, body: apiError("", "", "nope")}, reask.KindBadRequest, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, []step{tt.step}, reask.Config{})
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			var pe *reask.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ProviderError", err, err)
			}
			if pe.StatusCode != tt.status {
				t.Errorf("status %d, want %d", pe.StatusCode, tt.status)
			}
			if n := f.script.calls(); n != 1 {
				t.Errorf("server saw %d calls, want exactly 1", n)
			}
			if rep.Outcome != tt.wantKind || rep.Records[0].Calls[0].Outcome != tt.wantKind {
				t.Errorf("outcome %s / %s, want %s", rep.Outcome, rep.Records[0].Calls[0].Outcome, tt.wantKind)
			}
			if len(f.clock.Sleeps()) != 0 {
				t.Errorf("slept %v, want no wait", f.clock.Sleeps())
			}
			if strings.Contains(err.Error(), "sk-test-secret") {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestExhaustedReturnsBestEffort(t *testing.T) {
	bad := step{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`}
	f := newFixture(t, []step{bad, bad, bad, bad}, reask.Config{})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrExhausted) {
		t.Fatalf("error %v, want ErrExhausted", err)
	}
	var ee *reask.ExhaustedError
	if !errors.As(err, &ee) {
		t.Fatalf("error %T, want *ExhaustedError", err)
	}
	if ee.Report != rep || rep.Attempts != 4 || rep.Calls != 4 {
		t.Errorf("report attempts %d calls %d", rep.Attempts, rep.Calls)
	}
	if ee.LastKind != reask.KindSchema || ee.LastRaw != bad.content {
		t.Errorf("last kind %s raw %q", ee.LastKind, ee.LastRaw)
	}
	if m, ok := ee.LastValue.(map[string]any); !ok || m["name"] != "John Doe" {
		t.Errorf("last value %#v", ee.LastValue)
	}
	if len(ee.Violations) != 1 || ee.Violations[0].Path != "/age" {
		t.Errorf("violations %v", ee.Violations)
	}
	if rep.WastedTokens != 480 || rep.Outcome != reask.KindSchema {
		t.Errorf("wasted %d outcome %s", rep.WastedTokens, rep.Outcome)
	}
}

func TestConversationStaysBounded(t *testing.T) {
	bad := func(age string) step {
		return step{content: `{"name":"John Doe","age":"` + age + `","email":"john@email.com"}`}
	}
	f := newFixture(t, []step{bad("thirty"), bad("thirty-one"), bad("thirty-two"), bad("thirty-three"), {content: johnJSON}}, reask.Config{MaxAttempts: 5})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 5; i++ {
		msgs := f.script.messages(i)
		if len(msgs) != 4 {
			t.Fatalf("request %d has %d messages, want 4 (system, user, latest answer, feedback)", i+1, len(msgs))
		}
		if got, want := msgs[2]["content"], bad([]string{"thirty", "thirty-one", "thirty-two", "thirty-three"}[i-1]).content; got != want {
			t.Errorf("request %d replays %q, want the latest answer %q", i+1, got, want)
		}
	}
	last := f.lastFeedback(t, 4)
	if want := "Earlier answers failed too (attempt 1: schema /age: wrong type: got \"thirty\" (string); expected integer; attempt 2: schema /age: wrong type: got \"thirty-one\" (string); expected integer; attempt 3: schema /age: wrong type: got \"thirty-two\" (string); expected integer)."; !strings.HasSuffix(last, want) {
		t.Errorf("feedback of the 5th request:\n%s\nwant it to end with:\n%s", last, want)
	}
}

// TestDefaultAttemptsOutlastThreeMisses: by default an extraction has four
// attempts, so three answers that cannot be repaired, each wrong in a new
// way (no insisting stop), still end in the fourth, valid one.
func TestDefaultAttemptsOutlastThreeMisses(t *testing.T) {
	steps := []step{
		{content: `{"name":"John Doe","age":"thirty","email":"john@email.com"}`},
		{content: `{"name":"John Doe","email":"john@email.com"}`},
		{content: `{"name":"John Doe","age":30}`},
		{content: johnJSON},
	}
	f := newFixture(t, steps, reask.Config{})
	got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatalf("error %v after %d attempts, want the 4th answer", err, rep.Attempts)
	}
	if rep.Attempts != reask.DefaultMaxAttempts || reask.DefaultMaxAttempts != 4 || got.Age != 30 {
		t.Errorf("attempts %d (default %d), age %d; want 4 attempts and age 30", rep.Attempts, reask.DefaultMaxAttempts, got.Age)
	}
}

func TestMaxAttemptsOneNeverReasks(t *testing.T) {
	f := newFixture(t, []step{{content: `{"name":"John Doe"}`}}, reask.Config{MaxAttempts: 1})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrExhausted) || f.script.calls() != 1 || rep.Attempts != 1 {
		t.Fatalf("err %v, calls %d, attempts %d; want exhaustion after 1 call", err, f.script.calls(), rep.Attempts)
	}
}

func TestTransportRetriesDoNotUseAttempts(t *testing.T) {
	e500 := step{status: 500, body: apiError("server_error", "", "boom")}
	f := newFixture(t, []step{e500, {content: `{"name":"John Doe"}`}, e500, e500, {content: johnJSON}}, reask.Config{})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempts != 2 || rep.Calls != 5 {
		t.Errorf("attempts %d calls %d, want 2 and 5", rep.Attempts, rep.Calls)
	}
	if n := len(rep.Records[1].Calls); n != 3 {
		t.Errorf("second attempt made %d calls, want 3", n)
	}
}

func TestTransportRetriesAreBounded(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	f := newFixture(t, []step{e503, e503, e503}, reask.Config{MaxTransportRetries: 2})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if providerStatus(err) != 503 {
		t.Fatalf("error %v, want the 503 wrapped", err)
	}
	if rep.Calls != 3 || f.script.calls() != 3 {
		t.Errorf("calls %d, want 3 (1 + 2 retries)", rep.Calls)
	}
	if rep.Outcome != reask.KindServer {
		t.Errorf("outcome %s", rep.Outcome)
	}
}

func TestTimeoutBoundsBackoff(t *testing.T) {
	f := newFixture(t, []step{{status: 429, header: map[string]string{"Retry-After": "30"}, body: apiError("requests", "rate_limit_exceeded", "slow down")}}, reask.Config{Timeout: 10 * time.Second})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrDeadline) || providerStatus(err) != 429 {
		t.Fatalf("error %v, want ErrDeadline wrapping the 429", err)
	}
	if len(f.clock.Sleeps()) != 0 || rep.Calls != 1 {
		t.Errorf("slept %v after %d calls; a wait past the deadline must fail early", f.clock.Sleeps(), rep.Calls)
	}
}

func TestRetryAfterAboveCapFails(t *testing.T) {
	f := newFixture(t, []step{{status: 429, header: map[string]string{"Retry-After": "3600"}, body: apiError("requests", "rate_limit_exceeded", "slow down")}}, reask.Config{})
	_, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if providerStatus(err) != 429 || !strings.Contains(err.Error(), "asks to wait 1h0m0s") {
		t.Fatalf("error %v", err)
	}
}

func TestCanceledContextStops(t *testing.T) {
	f := newFixture(t, nil, reask.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := reask.Extract[UserInfo](ctx, f.client, johnText)
	if !errors.Is(err, context.Canceled) || f.script.calls() != 0 {
		t.Fatalf("err %v after %d calls", err, f.script.calls())
	}
}

func TestTokenBudget(t *testing.T) {
	bad := step{content: `{"name":"John Doe"}`}
	f := newFixture(t, []step{bad, bad, bad}, reask.Config{TokenBudget: 300})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrTokenBudget) {
		t.Fatalf("error %v, want ErrTokenBudget", err)
	}
	// Each call costs 120 tokens and a request is estimated at ~200: the
	// budget admits the first call and refuses the second before sending it.
	if rep.Usage.TotalTokens > 300 || rep.Calls != 1 || f.script.calls() != 1 {
		t.Errorf("spent %d tokens in %d calls", rep.Usage.TotalTokens, rep.Calls)
	}
}

// TestTokenBudgetCountsTheAnswer: the answer's tokens count against the
// budget. Without MaxTokens each request is capped at what the budget
// leaves after its prompt; with it, a call that could go over is not sent.
func TestTokenBudgetCountsTheAnswer(t *testing.T) {
	costly := step{body: strings.Replace(completion(`{"name":"John Doe"}`, "", false),
		`"total_tokens":120`, `"total_tokens":1000`, 1)}
	for _, tc := range []struct {
		name      string
		cfg       reask.Config
		wantCalls int
		maxTokens func(float64) bool
	}{
		{"capped at the budget's room", reask.Config{TokenBudget: 300}, 1,
			func(m float64) bool { return m >= 1 && m < 300 }},
		{"max tokens kept when it fits", reask.Config{TokenBudget: 300, MaxTokens: 50}, 1,
			func(m float64) bool { return m == 50 }},
		{"max tokens that cannot fit: nothing sent", reask.Config{TokenBudget: 300, MaxTokens: 290}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, []step{costly, costly}, tc.cfg)
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if !errors.Is(err, reask.ErrTokenBudget) {
				t.Fatalf("error %v, want ErrTokenBudget", err)
			}
			if f.script.calls() != tc.wantCalls || rep.Calls != tc.wantCalls {
				t.Fatalf("%d calls (report %d), want %d", f.script.calls(), rep.Calls, tc.wantCalls)
			}
			if tc.wantCalls > 0 {
				m, _ := f.script.request(0)["max_tokens"].(float64)
				if !tc.maxTokens(m) {
					t.Errorf("max_tokens %v", f.script.request(0)["max_tokens"])
				}
			}
		})
	}
}

func TestContextBudget(t *testing.T) {
	f := newFixture(t, nil, reask.Config{ContextBudget: 50})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, strings.Repeat("long text ", 100))
	if !errors.Is(err, reask.ErrContextBudget) || rep.Calls != 0 {
		t.Fatalf("err %v calls %d", err, rep.Calls)
	}
}

func TestToolsModeAnswersEveryToolCall(t *testing.T) {
	f := newFixture(t, []step{{content: `{"name":"John Doe","age":30}`, tool: true}, {content: johnJSON, tool: true}}, reask.Config{Mode: reask.ModeTools})
	got, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if err != nil || got.Name != "John Doe" {
		t.Fatalf("got %+v, %v", got, err)
	}
	first := f.script.request(0)
	if tc := first["tool_choice"].(map[string]any); tc["function"].(map[string]any)["name"] != "user_info" {
		t.Errorf("tool_choice %v", tc)
	}
	msgs := f.script.messages(1)
	if len(msgs) != 4 || msgs[2]["role"] != "assistant" || msgs[3]["role"] != "tool" || msgs[3]["tool_call_id"] != "call_1" {
		t.Fatalf("re-ask messages %v", msgs)
	}
	if !strings.Contains(msgs[3]["content"].(string), "- /email: missing required field") {
		t.Errorf("tool feedback %q", msgs[3]["content"])
	}
}

func TestRequestShapePerMode(t *testing.T) {
	for _, mode := range []reask.Mode{reask.ModeJSONSchema, reask.ModeJSONObject, reask.ModeText} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, []step{{content: johnJSON}}, reask.Config{Mode: mode})
			if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
				t.Fatal(err)
			}
			req := f.script.request(0)
			if req["temperature"] != 0.0 || req["model"] != "test-model" {
				t.Errorf("temperature %v model %v", req["temperature"], req["model"])
			}
			user := f.script.messages(0)[1]["content"].(string)
			rf, _ := req["response_format"].(map[string]any)
			switch mode {
			case reask.ModeJSONSchema:
				js := rf["json_schema"].(map[string]any)
				if rf["type"] != "json_schema" || js["strict"] != true || js["name"] != "user_info" {
					t.Errorf("response_format %v", rf)
				}
				if strings.Contains(user, `"properties"`) {
					t.Errorf("schema repeated in the prompt in json_schema mode")
				}
			case reask.ModeJSONObject:
				if rf["type"] != "json_object" || !strings.Contains(user, `"properties"`) {
					t.Errorf("response_format %v; prompt %q", rf, user)
				}
			case reask.ModeText:
				if rf != nil || !strings.Contains(user, `"properties"`) {
					t.Errorf("response_format %v; prompt %q", rf, user)
				}
			}
			if !strings.Contains(user, johnText) {
				t.Errorf("prompt lacks the input: %q", user)
			}
		})
	}
}

func TestSchemaInPrompt(t *testing.T) {
	f := newFixture(t, []step{{content: johnJSON}}, reask.Config{SchemaInPrompt: true})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
		t.Fatal(err)
	}
	if user := f.script.messages(0)[1]["content"].(string); !strings.Contains(user, `"properties"`) {
		t.Errorf("schema not in the prompt: %q", user)
	}
}

type Order struct {
	Items []Item  `json:"items"`
	Total float64 `json:"total"`
}

type Item struct {
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// Validate is a semantic rule no schema can say.
func (o Order) Validate(ctx context.Context) error {
	var sum float64
	for _, it := range o.Items {
		sum += it.Price
	}
	if a, ok := reask.AttemptFromContext(ctx); ok && a.Number == a.Max {
		return nil // relax on the last attempt
	}
	if sum != o.Total {
		return errors.New("/total: total is " + jsonString(o.Total) + " but the items sum to " + jsonString(sum))
	}
	return nil
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSemanticValidation(t *testing.T) {
	wrong := `{"items":[{"name":"Widget","price":20},{"name":"Gadget","price":25}],"total":40}`
	right := `{"items":[{"name":"Widget","price":20},{"name":"Gadget","price":25}],"total":45}`
	f := newFixture(t, []step{{content: wrong}, {content: right}}, reask.Config{})
	got, rep, err := reask.Extract[Order](t.Context(), f.client, "2 items")
	if err != nil || got.Total != 45 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if rep.Records[0].Outcome != reask.KindSemantic {
		t.Errorf("first outcome %s", rep.Records[0].Outcome)
	}
	want := "Your answer matches the schema but fails these checks. Fix every problem below and answer again with the complete corrected JSON object only:\n- /total: total is 40 but the items sum to 45"
	if fb := f.lastFeedback(t, 1); fb != want {
		t.Errorf("feedback %q", fb)
	}

	// On the last attempt the rule relaxes.
	f = newFixture(t, []step{{content: wrong}}, reask.Config{MaxAttempts: 1})
	if got, _, err := reask.Extract[Order](t.Context(), f.client, "2 items"); err != nil || got.Total != 40 {
		t.Errorf("last attempt: got %+v, %v", got, err)
	}
}

func TestBadInputFailsBeforeAnyCall(t *testing.T) {
	f := newFixture(t, nil, reask.Config{})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, "  \n"); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("empty input: %v", err)
	}
	if _, _, err := reask.Extract[int](t.Context(), f.client, johnText); !errors.Is(err, reask.ErrInvalidInput) || !strings.Contains(err.Error(), "must be a struct") {
		t.Errorf("unsupported type: %v", err)
	}
	type withChan struct{ C chan int }
	if _, _, err := reask.Extract[withChan](t.Context(), f.client, johnText); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("chan field: %v", err)
	}
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, reask.WithMaxAttempts(0)); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("zero attempts: %v", err)
	}
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, reask.WithMode("yaml")); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("bad mode: %v", err)
	}
	if f.script.calls() != 0 {
		t.Errorf("%d calls made for bad input", f.script.calls())
	}
}

func TestCallerMessagesNotMutated(t *testing.T) {
	f := newFixture(t, []step{{content: `{"name":"x"}`}, {content: johnJSON}}, reask.Config{})
	s, err := schema.For[UserInfo]()
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]reask.Message, 2, 10) // spare capacity invites aliasing bugs
	msgs[0] = reask.Message{Role: reask.RoleSystem, Content: "sys"}
	msgs[1] = reask.Message{Role: reask.RoleUser, Content: johnText}
	before := append([]reask.Message(nil), msgs...)
	if _, _, err := f.client.Run(t.Context(), reask.Task{Schema: s, Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !reflect.DeepEqual(msgs, before) || msgs[:3][2].Content != "" {
		t.Errorf("caller's messages changed: %+v", msgs[:3])
	}
}

func kindStrings[K ~string](ks []K) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestCallTimeoutIsRetried(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	var n atomic.Int32
	ts := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, completion(johnJSON, "", false))
	})
	clk := clock.NewFake(start)
	p := openai.NewProvider(openai.Config{BaseURL: ts.URL, Model: "m", Clock: clk})
	c := reasktest.NewClient(t, p, reask.Config{Clock: clk, CallTimeout: 50 * time.Millisecond, Random: func() float64 { return 0 }})
	_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 2 || rep.Records[0].Calls[0].Outcome != reask.KindTimeout {
		t.Errorf("calls %d, first %+v", rep.Calls, rep.Records[0].Calls[0])
	}
}

func httptestServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func TestNilClientIsAnError(t *testing.T) {
	var c *reask.Client
	if _, _, err := reask.Extract[UserInfo](t.Context(), c, johnText); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("error %v", err)
	}
	if _, _, err := (&reask.Client{}).Run(t.Context(), reask.Task{}); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("zero client: error %v", err)
	}
	if _, err := reask.New(nil, reask.Config{}); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("no provider: error %v", err)
	}
}

// TestRepairerReplacesTheBuiltInRepair: Config.Repair sees every answer; its
// truncation is a truncated attempt, its other errors a syntax failure,
// and its results are validated whatever it says of them.
func TestRepairerReplacesTheBuiltInRepair(t *testing.T) {
	strict := func(answer []byte, s *schema.Schema) (*repair.Result, error) {
		return repair.Parse(answer, repair.Options{Level: repair.Off, Schema: s})
	}
	cut := func(answer []byte, s *schema.Schema) (*repair.Result, error) {
		if !json.Valid(answer) {
			return nil, fmt.Errorf("cut short: %w", repair.ErrTruncated)
		}
		return repair.Parse(answer, repair.Options{Schema: s})
	}
	boastful := func(answer []byte, s *schema.Schema) (*repair.Result, error) {
		res, err := repair.Parse(answer, repair.Options{Level: repair.SyntaxOnly, Schema: s})
		if res != nil {
			res.Valid = true // not to be trusted
		}
		return res, err
	}
	fenced := step{content: "```json\n" + johnJSON + "\n```"}
	for _, tc := range []struct {
		name      string
		repairer  func([]byte, *schema.Schema) (*repair.Result, error)
		steps     []step
		wantKinds []reask.Kind
	}{
		{"strict: a fence is a syntax failure", strict, []step{fenced, {content: johnJSON}}, []reask.Kind{reask.KindJSONSyntax, reask.KindOK}},
		{"its truncation is truncation", cut, []step{{content: `{"name": "John`}, {content: johnJSON}}, []reask.Kind{reask.KindTruncated, reask.KindOK}},
		{"Valid is not trusted", boastful, []step{{content: `{"name":"John Doe"}`}, {content: johnJSON}}, []reask.Kind{reask.KindSchema, reask.KindOK}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.steps, reask.Config{Repair: tc.repairer})
			got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil || got.Name != "John Doe" {
				t.Fatalf("got %+v, %v", got, err)
			}
			var kinds []reask.Kind
			for _, r := range rep.Records {
				kinds = append(kinds, r.Outcome)
			}
			if !slices.Equal(kinds, tc.wantKinds) {
				t.Errorf("outcomes %v, want %v", kinds, tc.wantKinds)
			}
		})
	}
}
