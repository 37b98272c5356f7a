package reask_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

func TestWithInstructionsReplacesTheSystemMessage(t *testing.T) {
	const custom = "You are a careful clerk. Copy the contact details into JSON; never guess."
	tests := []struct {
		name     string
		cfg      reask.Config
		callOpts []reask.Option
		run      func(ctx context.Context, c *reask.Client, opts ...reask.Option) error
		// steps default to a schema failure, then a valid answer, so that
		// the re-ask is checked too.
		steps []step
		want  string
	}{
		{
			name: "default",
			want: reask.DefaultInstructions,
		},
		{
			name: "client option",
			cfg:  reask.Config{Instructions: custom},
			want: custom,
		},
		{
			name:     "call option",
			callOpts: []reask.Option{reask.WithInstructions(custom)},
			want:     custom,
		},
		{
			name:     "call option overrides the client's",
			cfg:      reask.Config{Instructions: "client-wide instructions"},
			callOpts: []reask.Option{reask.WithInstructions(custom)},
			want:     custom,
		},
		{
			name:     "empty text keeps the default",
			callOpts: []reask.Option{reask.WithInstructions("")},
			want:     reask.DefaultInstructions,
		},
		{
			name:     "Run",
			callOpts: []reask.Option{reask.WithInstructions(custom)},
			run: func(ctx context.Context, c *reask.Client, opts ...reask.Option) error {
				s, err := schema.For[UserInfo]()
				if err != nil {
					return err
				}
				_, _, err = c.Run(ctx, reask.Task{Schema: s, Input: johnText}, opts...)
				return err
			},
			want: custom,
		},
		{
			name:     "json_object mode",
			callOpts: []reask.Option{reask.WithInstructions(custom), reask.WithMode(reask.ModeJSONObject)},
			want:     custom,
		},
		{
			name:     "after the adaptive switch to json_schema mode",
			callOpts: []reask.Option{reask.WithInstructions(custom), reask.WithMode(reask.ModeJSONObject)},
			steps:    []step{{content: "Sure: name John Doe"}, {content: "Sure: age 30"}, {content: johnJSON}},
			want:     custom,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps
			if steps == nil {
				steps = []step{{content: `{"name":"John Doe"}`}, {content: johnJSON}}
			}
			f := newFixture(t, steps, tt.cfg)
			run := tt.run
			if run == nil {
				run = func(ctx context.Context, c *reask.Client, opts ...reask.Option) error {
					_, _, err := reask.Extract[UserInfo](ctx, c, johnText, opts...)
					return err
				}
			}
			if err := run(t.Context(), f.client, tt.callOpts...); err != nil {
				t.Fatalf("extraction: %v", err)
			}
			if f.script.calls() != len(steps) {
				t.Fatalf("server saw %d calls, want %d", f.script.calls(), len(steps))
			}
			for i := range steps {
				msgs := f.script.messages(i)
				if len(msgs) < 2 {
					t.Fatalf("request %d has %d messages", i+1, len(msgs))
				}
				if msgs[0]["role"] != "system" || msgs[0]["content"] != tt.want {
					t.Errorf("request %d's first message is %s %q, want system %q", i+1, msgs[0]["role"], msgs[0]["content"], tt.want)
				}
				for j, m := range msgs[1:] {
					if m["role"] == "system" {
						t.Errorf("request %d has a second system message at %d: %q", i+1, j+1, m["content"])
					}
				}
				user, _ := msgs[1]["content"].(string)
				if msgs[1]["role"] != "user" || !strings.Contains(user, johnText) {
					t.Errorf("request %d's second message is %s %q, want the user's text", i+1, msgs[1]["role"], user)
				}
				if tt.want != reask.DefaultInstructions && strings.Contains(user, reask.DefaultInstructions) {
					t.Errorf("request %d still carries the default instructions in %q", i+1, user)
				}
			}
		})
	}
}

// The instructions are data, not a format string: text with JSON, percent
// signs and newlines arrives byte for byte.
func TestWithInstructionsSentVerbatim(t *testing.T) {
	const text = "Rules:\n1. 100% of the fields are required.\n2. Dates as {\"iso\": \"2006-01-02\"}.\n\tTabs stay, and so do \"quotes\" and \\backslashes\\."
	f := newFixture(t, []step{{content: johnJSON}}, reask.Config{})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, reask.WithInstructions(text)); err != nil {
		t.Fatal(err)
	}
	sys := f.script.messages(0)[0]
	if sys["role"] != "system" || sys["content"] != text {
		t.Errorf("system message %s %q, want %q", sys["role"], sys["content"], text)
	}
}

// A Task's Messages are sent as they are: instructions for one call, which
// would replace the system message of a prompt reask builds, are refused
// rather than ignored, and nothing is sent.
func TestWithInstructionsOnMessagesIsAnError(t *testing.T) {
	f := newFixture(t, nil, reask.Config{Instructions: "client-wide"})
	s, err := schema.For[UserInfo]()
	if err != nil {
		t.Fatal(err)
	}
	task := reask.Task{Schema: s, Messages: []reask.Message{{Role: reask.RoleUser, Content: johnText}}}
	if _, _, err := f.client.Run(t.Context(), task, reask.WithInstructions("per call")); !errors.Is(err, reask.ErrInvalidInput) || !strings.Contains(err.Error(), "Messages are sent as they are") {
		t.Errorf("error %v, want ErrInvalidInput naming the Messages", err)
	}
	if f.script.calls() != 0 {
		t.Errorf("%d calls made", f.script.calls())
	}
}
