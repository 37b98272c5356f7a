package sim

import (
	"fmt"
	"testing"

	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// fixRate sends, for many seeds, a first request whose answer has fault k,
// then the conversation with that answer and feedback(f) after it, and
// returns the share of second answers without faults.
func fixRate(t *testing.T, k fault.Kind, seeds int, feedback func(f fault.Fault) string) float64 {
	t.Helper()
	s, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{k: 1}, Feedback: Feedback{FixSpecific: 0.9, FixGeneric: 0.15}}
	fixed := 0
	for seed := range int64(seeds) {
		_, ts := newTest(t, Config{Seed: seed, Profile: p})
		first := accountRequest()
		c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", first))
		faults := fault.Classify(c.content(), clean, s)
		if len(faults) != 1 {
			t.Fatalf("seed %d: first answer faults %v", seed, faults)
		}
		msgs := append(first["messages"].([]msg), msg{"role": "assistant", "content": c.content()},
			msg{"role": "user", "content": feedback(faults[0])})
		second := accountRequest()
		second["messages"] = msgs
		c2 := decodeCompletion(t, post(t, ts, "/v1/chat/completions", second))
		if len(fault.Classify(c2.content(), clean, s)) == 0 {
			fixed++
		}
	}
	return float64(fixed) / float64(seeds)
}

func field(f fault.Fault) string {
	return f.Path[1:]
}

// TestFeedbackReaction: feedback that names the faulty field or the
// problem fixes it about 90% of the time; generic feedback about 15%.
func TestFeedbackReaction(t *testing.T) {
	const n = 300
	tests := []struct {
		name     string
		kind     fault.Kind
		feedback func(fault.Fault) string
		lo, hi   float64
	}{
		{"missing/field named", fault.MissingField, func(f fault.Fault) string {
			return fmt.Sprintf("1 validation error for Account\n%s\n  Field required [type=missing]", field(f))
		}, 0.84, 0.96},
		{"missing/problem named", fault.MissingField, func(fault.Fault) string { return "A required field is missing from your answer." }, 0.84, 0.96},
		{"missing/generic", fault.MissingField, func(fault.Fault) string { return "invalid, try again" }, 0.08, 0.23},
		{"fence/not valid JSON", fault.Fence, func(fault.Fault) string { return "Your response was not valid JSON. Please return ONLY valid JSON." }, 0.84, 0.96},
		{"fence/generic", fault.Fence, func(fault.Fault) string { return "That didn't work. Try again." }, 0.08, 0.23},
		{"number_as_string/type named", fault.NumberAsString, func(fault.Fault) string { return "Input should be a valid integer" }, 0.84, 0.96},
		{"truncated/cut off", fault.Truncated, func(fault.Fault) string { return "Your answer was cut off before the end." }, 0.84, 0.96},
		{"enum_case/pointer", fault.EnumCase, func(f fault.Fault) string { return f.Path + ": value is not allowed" }, 0.84, 0.96},
		{"missing/zod issues", fault.MissingField, func(f fault.Fault) string {
			return `[{"code": "invalid_type", "expected": "string", "received": "undefined", "path": ["` + field(f) + `"], "message": "Required"}]`
		}, 0.84, 0.96},
		{"missing/generic with the answer quoted", fault.MissingField, func(fault.Fault) string {
			return "invalid: {\"name\": \"John Doe\", \"age\": 30, \"plan\": \"pro\", \"active\": true, \"address\": {\"city\": \"Boston\", \"zip\": \"02118\"}}, try again"
		}, 0.08, 0.23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate := fixRate(t, tt.kind, n, tt.feedback)
			if rate < tt.lo || rate > tt.hi {
				t.Errorf("fixed %.2f of %d, want within [%.2f, %.2f]", rate, n, tt.lo, tt.hi)
			}
		})
	}
}

// TestPlainRetryRepeatsFault: retrying the same request at temperature 0
// gets the same faulty answer.
func TestPlainRetryRepeatsFault(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 9, Profile: Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}}})
	a := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest())).content()
	b := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest())).content()
	if a != b {
		t.Errorf("retry changed the answer:\n%s\n%s", a, b)
	}
}

// TestFeedbackThroughToolMessage: in tools mode the feedback comes back as
// the tool's result.
func TestFeedbackThroughToolMessage(t *testing.T) {
	s, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{fault.NullField: 1}, Feedback: Feedback{FixSpecific: 1, FixGeneric: 0}}
	_, ts := newTest(t, Config{Seed: 2, Profile: p})
	tools := []msg{{"type": "function", "function": msg{"name": "save", "parameters": rawJSON(accountSchema)}}}
	user := msg{"role": "user", "content": "Text: " + accountText}
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "temperature", 0, "tools", tools, "tool_choice", "required")))
	tc := c.Choices[0].Message.ToolCalls[0]
	faults := fault.Classify(tc.Function.Arguments, clean, s)
	if len(faults) != 1 || faults[0].Kind != fault.NullField {
		t.Fatalf("first arguments %s: %v", tc.Function.Arguments, faults)
	}
	msgs := []msg{user,
		{"role": "assistant", "content": nil, "tool_calls": []msg{{"id": tc.ID, "type": "function", "function": msg{"name": "save", "arguments": tc.Function.Arguments}}}},
		{"role": "tool", "tool_call_id": tc.ID, "content": "error: " + faults[0].Path + " must not be null"}}
	c = decodeCompletion(t, post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", msgs, "temperature", 0, "tools", tools, "tool_choice", "required")))
	if got := fault.Classify(c.content(), clean, s); len(got) != 0 {
		t.Errorf("second arguments %s still show %v", c.content(), got)
	}
}
