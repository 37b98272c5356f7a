package reask_test

import (
	"context"
	"strings"
	"testing"

	"github.com/reask/reask"
)

func TestWithInstructionsReplacesTheSystemMessage(t *testing.T) {
	const custom = "You are a careful clerk. Copy the contact details into JSON; never guess."
	tests := []struct {
		name       string
		clientOpts []reask.Option
		callOpts   []reask.Option
		run        func(ctx context.Context, c *reask.Client, opts ...reask.Option) error
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
			name:       "client option",
			clientOpts: []reask.Option{reask.WithInstructions(custom)},
			want:       custom,
		},
		{
			name:     "call option",
			callOpts: []reask.Option{reask.WithInstructions(custom)},
			want:     custom,
		},
		{
			name:       "call option overrides the client's",
			clientOpts: []reask.Option{reask.WithInstructions("client-wide instructions")},
			callOpts:   []reask.Option{reask.WithInstructions(custom)},
			want:       custom,
		},
		{
			name:     "empty text keeps the default",
			callOpts: []reask.Option{reask.WithInstructions("")},
			want:     reask.DefaultInstructions,
		},
		{
			name:     "ExtractJSON",
			callOpts: []reask.Option{reask.WithInstructions(custom)},
			run: func(ctx context.Context, c *reask.Client, opts ...reask.Option) error {
				s, err := reask.SchemaFor[UserInfo]()
				if err != nil {
					return err
				}
				_, _, err = c.ExtractJSON(ctx, s, johnText, opts...)
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
			f := newFixture(t, steps, tt.clientOpts...)
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
	f := newFixture(t, []step{{content: johnJSON}})
	if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText, reask.WithInstructions(text)); err != nil {
		t.Fatal(err)
	}
	sys := f.script.messages(0)[0]
	if sys["role"] != "system" || sys["content"] != text {
		t.Errorf("system message %s %q, want %q", sys["role"], sys["content"], text)
	}
}
