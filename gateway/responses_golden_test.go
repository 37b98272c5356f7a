package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/gateway"
)

// responsesAnswer is a Responses API upstream's answer: content as an
// assistant message's output_text, or (tool) as a function call's
// arguments.
func responsesAnswer(id, content string, tool bool) string {
	item := fmt.Sprintf(`{"type":"message","id":"msg_%s","status":"completed","role":"assistant","content":[{"type":"output_text","text":%q,"annotations":[]}]}`, id, content)
	if tool {
		item = fmt.Sprintf(`{"type":"function_call","id":"fc_%s","call_id":"call_%s","name":"record_person","arguments":%q,"status":"completed"}`, id, id, content)
	}
	return fmt.Sprintf(`{"id":"resp_%s","object":"response","created_at":1767225600,"status":"completed","model":"gpt-4o-mini-2024-07-18","output":[%s],`+
		`"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":0},"output_tokens":10,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":60}}`, id, item)
}

// TestGoldenResponses records what Responses API clients see, with an
// upstream of each kind: a re-asked answer, a forced tool, a validated
// stream, an exhausted request, a refused member, a pass-through.
func TestGoldenResponses(t *testing.T) {
	missingAge := `{"name":"John Doe","email":"john@email.com"}`
	fenced := "```json\n{\"name\": \"John Doe\", \"age\": \"30\", \"email\": \"john@email.com\"}\n```"
	good := `{"name":"John Doe","age":30,"email":"john@email.com"}`
	schema := responsesBody(`"input":`+personItems, personFormat)
	tool := responsesBody(`"input":`+personItems, personTool)
	for _, api := range upstreamAPIs {
		ans := answer
		if api == gateway.APIResponses {
			ans = responsesAnswer
		}
		for _, tc := range []struct {
			name, body string
			answers    []string
		}{
			{"reasked", schema, []string{ans("a1", missingAge, false), ans("a2", fenced, false)}},
			{"tool", tool, []string{ans("t1", good, true)}},
			{"stream", responsesBody(`"input":`+personItems, personFormat, `"stream":true`), []string{ans("s1", good, false)}},
			{"exhausted", schema, []string{ans("e1", missingAge, false)}},
			{"previous_response_id", responsesBody(`"input":"and now?"`, `"previous_response_id":"resp_0"`), []string{ans("p1", "Fine.", false)}},
			{"passthrough", responsesBody(`"input":"Say hello"`), []string{ans("h1", "Hello!", false)}},
		} {
			t.Run(string(api)+"/"+tc.name, func(t *testing.T) {
				gw, _ := newGateway(t, scripted(t, tc.answers...), func(c *gateway.Config) {
					c.Upstreams[0].API = api
					c.MaxAttempts = 2
					c.Clock = clock.NewFake(time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC))
				})
				status, h, b := respond(t, gw, tc.body)
				checkGolden(t, "responses_"+string(api)+"_"+tc.name, status, h, b)
			})
		}
	}
}
