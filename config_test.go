package reask_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/ratelimit"
)

// An unusable Config is New's error, matching ErrInvalidInput and saying
// which setting: no client is returned to fail every call later.
func TestNewRejectsAnUnusableConfig(t *testing.T) {
	p := openai.NewProvider(openai.Config{BaseURL: "http://127.0.0.1:1", Model: "m"})
	for _, tc := range []struct {
		name string
		cfg  reask.Config
		want string
	}{
		{"negative attempts", reask.Config{MaxAttempts: -1}, "max attempts is -1"},
		{"unknown mode", reask.Config{Mode: "yaml"}, `unknown mode "yaml"`},
		{"unknown fallback mode", reask.Config{ModeFallback: "yaml"}, `unknown fallback mode "yaml"`},
		{"negative max tokens", reask.Config{MaxTokens: -1}, "max tokens is -1"},
		{"negative timeout", reask.Config{Timeout: -time.Second}, "timeout is -1s"},
		{"backoff", reask.Config{Backoff: backoff.Policy{Base: -time.Second}}, "negative base"},
		{"nil fallback", reask.Config{Fallbacks: []reask.Provider{p, nil}}, "fallback provider 2 is nil"},
		{"breaker", reask.Config{Breaker: breaker.Settings{Window: -time.Second}}, "negative window"},
		{"retry budget", reask.Config{RetryBudget: budget.Config{MaxTokens: budget.MaxMaxTokens + 1}}, "max tokens 1001"},
		{"rate limit", reask.Config{RateLimit: ratelimit.Config{RPM: -1}}, "negative limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := reask.New(p, tc.cfg)
			if !errors.Is(err, reask.ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) || c != nil {
				t.Errorf("New: %v, %v; want ErrInvalidInput saying %q", c, err, tc.want)
			}
		})
	}
}

// Zero fields mean the defaults, negative limits mean none: a Config
// without ContextBudget checks the conversation against 100,000 tokens,
// one with -1 checks nothing; a negative MaxRetryAfter waits out an hour's
// Retry-After that the default cap of 2 minutes refuses.
func TestConfigZeroIsTheDefaultNegativeIsOff(t *testing.T) {
	long := strings.Repeat("word ", 100_001) // about 125,000 tokens
	t.Run("context budget", func(t *testing.T) {
		f := newFixture(t, []step{{content: johnJSON}}, reask.Config{})
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, long); !errors.Is(err, reask.ErrContextBudget) {
			t.Errorf("zero: error %v, want ErrContextBudget", err)
		}
		f = newFixture(t, []step{{content: johnJSON}}, reask.Config{ContextBudget: -1})
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, long); err != nil {
			t.Errorf("negative: %v", err)
		}
	})
	t.Run("retry-after cap", func(t *testing.T) {
		hour := step{status: 429, header: map[string]string{"Retry-After": "3600"}, body: apiError("requests", "rate_limit_exceeded", "slow down")}
		f := newFixture(t, []step{hour, {content: johnJSON}}, reask.Config{MaxRetryAfter: -1, NoRateLimit: true})
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
			t.Fatal(err)
		}
		if sl := f.clock.Sleeps(); len(sl) != 1 || sl[0] != time.Hour {
			t.Errorf("slept %v, want [1h]", sl)
		}
	})
	t.Run("retry budget", func(t *testing.T) {
		f := newFixture(t, []step{{content: johnJSON}}, reask.Config{})
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
			t.Fatal(err)
		}
		if got := f.client.Status(f.clock.Now()).RetryTokens["openai/test-model"]; got != 50 {
			t.Errorf("retry tokens %v, want the default 50", got)
		}
	})
}

// Each per-call Option overrides its Config field for that call only: the
// request shows it, and the next call is back to the Config.
func TestOptionsOverrideTheConfigForOneCall(t *testing.T) {
	schemaFailure := step{content: `{"name":"John Doe"}`}
	for _, tc := range []struct {
		name  string
		cfg   reask.Config
		opt   reask.Option
		steps []step                                    // of the call with the option; the next call gets a valid answer at once
		check func(t *testing.T, f *fixture, calls int) // calls of the call with the option
	}{
		{"WithMode", reask.Config{}, reask.WithMode(reask.ModeTools), []step{{content: johnJSON, tool: true}},
			func(t *testing.T, f *fixture, calls int) {
				if _, ok := f.script.request(0)["tool_choice"]; !ok {
					t.Errorf("first request has no tool_choice: %v", f.script.request(0))
				}
				if _, ok := f.script.request(calls)["tool_choice"]; ok {
					t.Errorf("next request still in tools mode")
				}
			}},
		{"WithMaxTokens", reask.Config{MaxTokens: 100}, reask.WithMaxTokens(7), []step{{content: johnJSON}},
			func(t *testing.T, f *fixture, calls int) {
				if got := f.script.request(0)["max_tokens"]; got != 7.0 {
					t.Errorf("max_tokens %v, want 7", got)
				}
				if got := f.script.request(calls)["max_tokens"]; got != 100.0 {
					t.Errorf("next max_tokens %v, want 100", got)
				}
			}},
		{"WithMaxAttempts", reask.Config{MaxAttempts: 1}, reask.WithMaxAttempts(2), []step{schemaFailure, {content: johnJSON}},
			func(t *testing.T, f *fixture, calls int) {
				if calls != 2 {
					t.Errorf("%d calls, want 2", calls)
				}
			}},
		{"WithInstructions", reask.Config{Instructions: "client"}, reask.WithInstructions("call"), []step{{content: johnJSON}},
			func(t *testing.T, f *fixture, calls int) {
				if got := f.script.messages(0)[0]["content"]; got != "call" {
					t.Errorf("system message %q, want the call's", got)
				}
				if got := f.script.messages(calls)[0]["content"]; got != "client" {
					t.Errorf("next system message %q, want the client's", got)
				}
			}},
		{"WithModeFallback", reask.Config{Mode: reask.ModeText}, reask.WithModeFallback(reask.ModeText),
			[]step{{content: "no JSON"}, {content: "no JSON"}, {content: johnJSON}},
			func(t *testing.T, f *fixture, calls int) {
				if _, ok := f.script.request(2)["response_format"]; ok {
					t.Errorf("the call switched to json_schema: %v", f.script.request(2))
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, append(append([]step(nil), tc.steps...), step{content: johnJSON}), tc.cfg)
			if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, tc.opt); err != nil {
				t.Fatalf("call with the option: %v", err)
			}
			calls := f.script.calls()
			if calls != len(tc.steps) {
				t.Fatalf("%d calls, want %d", calls, len(tc.steps))
			}
			if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); err != nil {
				t.Fatalf("next call: %v", err)
			}
			tc.check(t, f, calls)
		})
	}
}

// A per-call option with a value no call can run with is that call's
// error, before anything is sent.
func TestUnusableOptionFailsTheCall(t *testing.T) {
	f := newFixture(t, nil, reask.Config{})
	for _, o := range []reask.Option{reask.WithMaxAttempts(0), reask.WithMode("yaml"), reask.WithModeFallback("yaml"), reask.WithMaxTokens(-1)} {
		if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, o); !errors.Is(err, reask.ErrInvalidInput) {
			t.Errorf("error %v, want ErrInvalidInput", err)
		}
	}
	if f.script.calls() != 0 {
		t.Errorf("%d calls", f.script.calls())
	}
}
