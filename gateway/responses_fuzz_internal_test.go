package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/responsesapi"
)

var responsesSeeds = []string{
	`{"model":"m","input":"hi"}`,
	`{"model":"m","instructions":"Be brief.","input":[{"role":"developer","content":"x"},{"type":"message","role":"user","content":[{"type":"input_text","text":"t"},{"type":"input_image","image_url":"https://x/i.png"}]}],"stream":true}`,
	`{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"p","schema":{"type":"object","properties":{"a":{"type":"string"}}},"strict":true},"verbosity":"low"}}`,
	`{"model":"m","input":"x","text":{"format":{"type":"json_object"}},"max_output_tokens":100,"reasoning":{"effort":"low"}}`,
	`{"model":"m","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}],` +
		`"tools":[{"type":"function","name":"f","parameters":{"type":"object"}},{"type":"web_search"}],"tool_choice":{"type":"function","name":"f"}}`,
	`{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"required"}`,
	`{"model":"m","input":[{"type":"item_reference","id":"msg_1"},{"type":"reasoning","id":"rs_1","summary":[]}],"previous_response_id":"resp_1","conversation":"c","prompt":{"id":"p"}}`,
	`{"model":"m","input":"x","background":true}`,
	`{"model":"m","model":"n","input":"x"}`,
	`{"model":"m","Input":"x"}`,
	`{"input":[{"content":3}]}`,
	`{"model":"m","input":"x","messages":[]}`,
}

// FuzzResponsesRequest: reading a Responses request never panics; a
// refusal is a *requestError with a message; an accepted request
// translates to a chat body the chat path reads, and on the schema path
// its Responses upstream body (after a failed answer and feedback) is one
// JSON object.
func FuzzResponsesRequest(f *testing.F) {
	for _, s := range responsesSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rr, err := parseResponsesRequest(body)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || re.msg == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if !json.Valid(rr.chat) {
			t.Fatalf("chat body %s is not JSON", rr.chat)
		}
		cr, err := parseChatRequest(rr.chat)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) {
				t.Fatalf("chat body %s: %T %v", rr.chat, err, err)
			}
			return
		}
		if cr.form == "" {
			return
		}
		msgs := append(append([]reask.Message(nil), cr.converted...),
			reask.Message{Role: reask.RoleAssistant, Content: "{", ToolCalls: []reask.ToolCall{{ID: "c", Name: "n", Arguments: "{"}}},
			reask.Message{Role: reask.RoleTool, ToolCallID: "c", Content: "fix it"},
			reask.Message{Role: reask.RoleUser, Content: "fix it"})
		for _, mode := range []reask.Mode{reask.ModeJSONSchema, reask.ModeJSONObject, reask.ModeTools, reask.ModeText} {
			for _, m := range [][]reask.Message{msgs, msgs[:len(msgs)/2]} {
				req := &reask.Request{Messages: m, Mode: mode, Schema: json.RawMessage(`{"type":"object"}`), SchemaName: cr.schemaName, Strict: true}
				b, err := rr.encode(cr, req, "model")
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(b, &obj); err != nil {
					t.Fatalf("%s body %s: %v", mode, b, err)
				}
				var in []json.RawMessage
				if err := json.Unmarshal(obj["input"], &in); err != nil || string(obj["model"]) != `"model"` {
					t.Fatalf("%s body %s: input %v", mode, b, err)
				}
			}
		}
	})
}

// testNow is the translator's clock reading in the fuzz targets.
var testNow = time.Unix(1_800_000_000, 0)

// FuzzEventTranslator: translating any chat event stream, cut anywhere,
// never panics and writes well-formed Responses events: types matching
// their event lines, sequence numbers counting from 0, at most one final
// event (completed, incomplete or error) and nothing after it.
func FuzzEventTranslator(f *testing.F) {
	f.Add([]byte("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"+
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\\\"a\\\":1}\"}}]}\n\n"+
		"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"+
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n"), uint8(7))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"+
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n"+
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"no\"},\"finish_reason\":\"length\"}]}\n\n"), uint8(3))
	f.Add([]byte("data: {\"error\":{\"message\":\"boom\",\"code\":\"x\"}}\n\n"), uint8(1))
	f.Add([]byte(": comment\r\nevent: x\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, stream []byte, cut uint8) {
		var out bytes.Buffer
		tr := newEventTranslator(&out, &responsesExchange{rr: &responsesRequest{}}, testNow)
		step := int(cut)%13 + 1
		for i := 0; i < len(stream); i += step {
			if _, err := tr.Write(stream[i:min(i+step, len(stream))]); err != nil {
				t.Fatal(err)
			}
		}
		tr.end()
		final := false
		for i, ev := range strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n") {
			name, data, ok := strings.Cut(ev, "\ndata: ")
			name, ok1 := strings.CutPrefix(name, "event: ")
			var e struct {
				Type string `json:"type"`
				Seq  int    `json:"sequence_number"`
			}
			if !ok || !ok1 || json.Unmarshal([]byte(data), &e) != nil || e.Type != name || e.Seq != i {
				t.Fatalf("event %d: %q", i, ev)
			}
			if final {
				t.Fatalf("event %q after the final one", ev)
			}
			final = e.Type == responsesapi.EventCompleted || e.Type == responsesapi.EventIncomplete || e.Type == responsesapi.EventError
		}
		if !final {
			t.Fatalf("no final event in %q", out.String())
		}
	})
}

// FuzzReadResponsesAnswer: reading any Responses answer never panics, and
// an answer read gives reask a response.
func FuzzReadResponsesAnswer(f *testing.F) {
	f.Add([]byte(`{"id":"resp_1","created_at":1,"model":"m","status":"completed","output":[{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"{}","annotations":[]}]}],"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}`))
	f.Add([]byte(`{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"function_call","call_id":"c","name":"f","arguments":"{"},{"type":"reasoning","id":"r"}]}`))
	f.Add([]byte(`{"status":"failed","error":{"code":"server_error","message":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := readResponsesAnswer(data)
		if err != nil {
			return
		}
		if _, err := a.Response(); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
	})
}
