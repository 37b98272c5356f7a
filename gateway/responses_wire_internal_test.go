package gateway

import (
	"encoding/json"
	"testing"
)

// TestResponsesTranslation: a Responses request's members become the chat
// completion they stand for, and what a chat upstream cannot serve is
// noted by name.
func TestResponsesTranslation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string
		// want maps chat members to their JSON; "-" wants the member absent.
		want        map[string]string
		unsupported string
	}{
		{"string input and instructions", `"instructions":"Be brief.","input":"hi"`,
			map[string]string{"messages": `[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]`, "instructions": "-", "input": "-"}, ""},
		{"parts", `"input":[{"role":"developer","content":[{"type":"input_text","text":"a"}]},{"role":"user","content":[{"type":"input_text","text":"b"},` +
			`{"type":"input_image","image_url":"https://x/i.png","detail":"low"},{"type":"input_file","file_data":"ZGF0YQ==","filename":"f.txt"}]},` +
			`{"role":"assistant","content":[{"type":"output_text","text":"c","annotations":[]},{"type":"refusal","refusal":"no"}]}]`,
			map[string]string{"messages": `[{"role":"system","content":[{"type":"text","text":"a"}]},{"role":"user","content":[{"type":"text","text":"b"},` +
				`{"type":"image_url","image_url":{"url":"https://x/i.png","detail":"low"}},{"type":"file","file":{"file_data":"ZGF0YQ==","filename":"f.txt"}}]},` +
				`{"role":"assistant","content":[{"type":"text","text":"c"},{"type":"refusal","refusal":"no"}]}]`}, ""},
		{"function calls", `"input":[{"role":"user","content":"x"},{"role":"assistant","content":"let me see"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},` +
			`{"type":"function_call","call_id":"c2","name":"g","arguments":"{\"a\":1}"},{"type":"function_call_output","call_id":"c1","output":"one"},` +
			`{"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"two"}]},{"type":"reasoning","id":"rs_1","summary":[]}]`,
			map[string]string{"messages": `[{"role":"user","content":"x"},{"role":"assistant","content":"let me see","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},` +
				`{"id":"c2","type":"function","function":{"name":"g","arguments":"{\"a\":1}"}}]},{"role":"tool","content":"one","tool_call_id":"c1"},` +
				`{"role":"tool","content":[{"type":"text","text":"two"}],"tool_call_id":"c2"}]`}, ""},
		{"settings", `"input":"x","max_output_tokens":50,"reasoning":{"effort":"low","summary":"auto"},"text":{"verbosity":"low"},"store":true,"metadata":{"a":"b"},"include":["x"],"truncation":"auto","seed":4,"stream":true`,
			map[string]string{"max_tokens": "50", "reasoning_effort": `"low"`, "verbosity": `"low"`, "store": "-", "metadata": "-", "include": "-", "truncation": "-",
				"seed": "4", "stream": "true", "stream_options": `{"include_usage":true}`}, ""},
		{"json_schema", `"input":"x","text":{"format":{"type":"json_schema","name":"p","description":"d","schema":{"type":"object"},"strict":true}}`,
			map[string]string{"response_format": `{"type":"json_schema","json_schema":{"name":"p","description":"d","schema":{"type":"object"},"strict":true}}`}, ""},
		{"json_object", `"input":"x","text":{"format":{"type":"json_object"}}`, map[string]string{"response_format": `{"type":"json_object"}`}, ""},
		{"forced tool", `"input":"x","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"}},{"type":"function","name":"g","parameters":{"type":"object"}}],"tool_choice":{"type":"function","name":"f"}`,
			map[string]string{"tools": `[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}},{"type":"function","function":{"name":"g","parameters":{"type":"object"}}}]`,
				"tool_choice": `{"type":"function","function":{"name":"f"}}`}, ""},
		{"required", `"input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":false}],"tool_choice":"required"`,
			map[string]string{"tools": `[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":false}}]`, "tool_choice": `"required"`}, ""},
		{"hosted tool", `"input":"x","tools":[{"type":"function","name":"f"},{"type":"file_search"}]`, map[string]string{"tools": `[{"type":"function","function":{"name":"f"}}]`}, "tools[1].type"},
		{"hosted tool choice", `"input":"x","tool_choice":{"type":"web_search"}`, map[string]string{"tool_choice": "-"}, "tool_choice"},
		{"previous response", `"input":"x","previous_response_id":"resp_1"`, map[string]string{"previous_response_id": "-"}, "previous_response_id"},
		{"empty previous response", `"input":"x","previous_response_id":""`, nil, ""},
		{"prompt", `"prompt":{"id":"pmpt_1"}`, map[string]string{"messages": `[]`}, "prompt"},
		{"item reference", `"input":[{"id":"msg_1"}]`, nil, "input[0]"},
		{"hosted tool call", `"input":[{"type":"web_search_call","id":"ws_1","status":"completed"}]`, nil, "input[0].type"},
		{"image by file id", `"input":[{"role":"user","content":[{"type":"input_image","file_id":"file_1"}]}]`, nil, "input[0].content[0]"},
		{"image in tool output", `"input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x/i.png"}]}]`,
			nil, "input[1].output[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr, err := parseResponsesRequest([]byte(`{"model":"m",` + tc.members + `}`))
			if err != nil {
				t.Fatal(err)
			}
			var chat map[string]json.RawMessage
			if err := json.Unmarshal(rr.chat, &chat); err != nil {
				t.Fatalf("%s: %v", rr.chat, err)
			}
			for k, v := range tc.want {
				got, ok := chat[k]
				if v == "-" {
					if ok {
						t.Errorf("%s: %s, want none", k, got)
					}
				} else if string(got) != v {
					t.Errorf("%s:\n got %s\nwant %s", k, got, v)
				}
			}
			switch got := rr.chatRefusal; {
			case tc.unsupported == "" && got != nil:
				t.Errorf("refused: %v", got)
			case tc.unsupported != "" && (got == nil || got.param != tc.unsupported || got.code != "unsupported_parameter"):
				t.Errorf("refusal %+v, want one for %s", got, tc.unsupported)
			}
			if _, err := parseChatRequest(rr.chat); err != nil {
				t.Errorf("the chat body %s: %v", rr.chat, err)
			}
		})
	}
}
