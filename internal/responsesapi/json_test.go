package responsesapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// TestEncodeShapes: each item, part, tool choice and event encodes with
// exactly the fields its type has on the wire.
func TestEncodeShapes(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"output message", Item{Type: ItemMessage, ID: "msg_1", Status: StatusCompleted, Role: "assistant",
			Content: Content{Parts: []ContentPart{{Type: PartOutputText, Text: "hi"}}}},
			`{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[]}]}`},
		{"easy message", Item{Role: "user", Content: Content{Text: ptr("hello")}}, `{"role":"user","content":"hello"}`},
		{"message without content", Item{Type: ItemMessage, Role: "assistant"}, `{"type":"message","role":"assistant","content":[]}`},
		{"function call, empty arguments", Item{Type: ItemFunctionCall, ID: "fc_1", CallID: "call_1", Name: "save", Status: StatusInProgress},
			`{"type":"function_call","id":"fc_1","call_id":"call_1","name":"save","arguments":"","status":"in_progress"}`},
		{"function call output", Item{Type: ItemFunctionCallOutput, CallID: "call_1", Output: Content{Text: ptr("age is missing")}},
			`{"type":"function_call_output","call_id":"call_1","output":"age is missing"}`},
		{"unmodelled item", Item{Type: ItemReasoning, Raw: json.RawMessage(`{"type":"reasoning","id":"rs_1","summary":[]}`)},
			`{"type":"reasoning","id":"rs_1","summary":[]}`},
		{"input text", ContentPart{Type: PartInputText, Text: "x"}, `{"type":"input_text","text":"x"}`},
		{"output text with logprobs", ContentPart{Type: PartOutputText, Logprobs: []json.RawMessage{}}, `{"type":"output_text","text":"","annotations":[],"logprobs":[]}`},
		{"refusal", ContentPart{Type: PartRefusal, Refusal: "no"}, `{"type":"refusal","refusal":"no"}`},
		{"tool choice zero", ToolChoice{}, `"auto"`},
		{"tool choice string", ToolChoice{Mode: "required"}, `"required"`},
		{"tool choice function", ToolChoice{Type: "function", Name: "save"}, `{"type":"function","name":"save"}`},
		{"function tool", Tool{Type: "function", Name: "save", Parameters: json.RawMessage(`{"type":"object"}`), Strict: ptr(true)},
			`{"type":"function","name":"save","description":null,"parameters":{"type":"object"},"strict":true}`},
		{"input string", Input{Text: ptr("hi")}, `"hi"`},
		{"created", Event{Type: EventCreated, Response: &Response{ID: "resp_1", Object: "response", Status: StatusInProgress}},
			`{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":0,"status":"in_progress","background":false,"completed_at":null,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"","output":[],"parallel_tool_calls":false,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"","store":false,"temperature":0,"text":{},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":0,"truncation":"","usage":null,"user":null,"metadata":{}}}`},
		{"item added", Event{Type: EventOutputItemAdded, SequenceNumber: 2, Item: &Item{Type: ItemMessage, ID: "msg_1", Status: StatusInProgress, Role: "assistant", Content: Content{Parts: []ContentPart{}}}},
			`{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"message","id":"msg_1","status":"in_progress","role":"assistant","content":[]}}`},
		{"part added", Event{Type: EventContentPartAdded, SequenceNumber: 3, ItemID: "msg_1", Part: &ContentPart{Type: PartOutputText}},
			`{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}`},
		{"text delta", Event{Type: EventOutputTextDelta, SequenceNumber: 4, ItemID: "msg_1", Delta: "{\""},
			`{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"{\"","logprobs":[]}`},
		{"text done, empty", Event{Type: EventOutputTextDone, ItemID: "msg_1"},
			`{"type":"response.output_text.done","sequence_number":0,"item_id":"msg_1","output_index":0,"content_index":0,"text":"","logprobs":[]}`},
		{"arguments delta", Event{Type: EventFunctionCallArgumentsDelta, ItemID: "fc_1", OutputIndex: 1, Delta: "{"},
			`{"type":"response.function_call_arguments.delta","sequence_number":0,"item_id":"fc_1","output_index":1,"delta":"{"}`},
		{"arguments done", Event{Type: EventFunctionCallArgumentsDone, ItemID: "fc_1", Name: "save", Arguments: "{}"},
			`{"type":"response.function_call_arguments.done","sequence_number":0,"item_id":"fc_1","output_index":0,"name":"save","arguments":"{}"}`},
		{"error", Event{Type: EventError, Message: "boom"}, `{"type":"error","sequence_number":0,"code":null,"message":"boom","param":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDecodeRequest reads a request as the SDKs send it: items of every
// modelled kind, content as a string and as parts, a flat function tool
// and a forced tool choice.
func TestDecodeRequest(t *testing.T) {
	body := `{"model":"gpt-4o-mini","instructions":"Be brief.","input":[
		{"role":"system","content":"Extract the person."},
		{"type":"message","role":"user","content":[{"type":"input_text","text":"John, 30"},{"type":"input_image","image_url":"https://x/y.png","detail":"auto"}]},
		{"role":"assistant","content":[{"type":"output_text","text":"{}","annotations":[]}],"id":"msg_1"},
		{"type":"function_call","call_id":"call_1","name":"save","arguments":"{\"age\":30}"},
		{"type":"function_call_output","call_id":"call_1","output":"name is missing"},
		{"id":"msg_0"}],
		"text":{"format":{"type":"json_schema","name":"person","schema":{"type":"object"},"strict":true}},
		"tools":[{"type":"function","name":"save","parameters":{"type":"object"},"strict":null},{"type":"web_search"}],
		"tool_choice":{"type":"function","name":"save"},"max_output_tokens":64,"stream":true,"store":false}`
	var req Request
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	in := req.Input.Items
	if len(in) != 6 {
		t.Fatalf("%d items", len(in))
	}
	if in[0].Role != "system" || *in[0].Content.Text != "Extract the person." {
		t.Errorf("item 0: %+v", in[0])
	}
	if p := in[1].Content.Parts; len(p) != 2 || p[0].Text != "John, 30" || p[1].ImageURL != "https://x/y.png" {
		t.Errorf("item 1 parts: %+v", p)
	}
	if in[3].Type != ItemFunctionCall || in[3].Arguments != `{"age":30}` || in[3].CallID != "call_1" {
		t.Errorf("item 3: %+v", in[3])
	}
	if in[4].Type != ItemFunctionCallOutput || *in[4].Output.Text != "name is missing" {
		t.Errorf("item 4: %+v", in[4])
	}
	if in[5].Type != "" || in[5].Role != "" || in[5].ID != "msg_0" {
		t.Errorf("item 5: %+v", in[5])
	}
	if f := req.Text.Format; f.Type != FormatJSONSchema || f.Name != "person" || !*f.Strict {
		t.Errorf("format %+v", f)
	}
	if len(req.Tools) != 2 || req.Tools[0].Strict != nil || req.Tools[1].Type != "web_search" {
		t.Errorf("tools %+v", req.Tools)
	}
	if tc := req.ToolChoice; tc.Type != "function" || tc.Name != "save" {
		t.Errorf("tool choice %+v", tc)
	}
	// and back: the unmodelled items and tools come out as they went in
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var again Request
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if len(again.Input.Items) != 6 || again.Input.Items[5].ID != "msg_0" || string(again.Tools[1].Raw) != `{"type":"web_search"}` {
		t.Errorf("round trip %s", out)
	}
}

// TestDecodeErrors: a value of the wrong type is a *DecodeError that names
// the field from the top of the body.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		body  string
		field string
		got   string
	}{
		{`{"input":{"role":"user"}}`, "input", "an object"},
		{`{"input":[7]}`, "input[0]", "a number"},
		{`{"input":[{"role":"user","content":5}]}`, "input[0].content", "a number"},
		{`{"input":["x",{"role":"user","content":[{"type":"input_text","text":3}]}]}`, "input[0]", "a string"},
		{`{"input":[{"role":"user","content":[{"type":"input_text","text":3}]}]}`, "input[0].content[0].text", "a number"},
		{`{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":{"a":1}}]}`, "input[0].arguments", "an object"},
		{`{"input":[{"type":"function_call_output","call_id":"c","output":true}]}`, "input[0].output", "a boolean"},
		{`{"tool_choice":3}`, "tool_choice", "a number"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var req Request
			err := json.Unmarshal([]byte(tt.body), &req)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DecodeError", err, err)
			}
			if de.Field != tt.field || de.Got != tt.got {
				t.Errorf("field %q got %q, want %q %q (%v)", de.Field, de.Got, tt.field, tt.got, err)
			}
		})
	}
}

// TestEventRoundTrip: events decode back to what was encoded.
func TestEventRoundTrip(t *testing.T) {
	evs := []Event{
		{Type: EventOutputTextDelta, SequenceNumber: 5, ItemID: "msg_1", Delta: "ab", Logprobs: []json.RawMessage{}},
		{Type: EventFunctionCallArgumentsDone, SequenceNumber: 9, ItemID: "fc_1", OutputIndex: 0, Name: "save", Arguments: `{"a":1}`},
		{Type: EventCompleted, SequenceNumber: 12, Response: &Response{ID: "resp_1", Object: "response", Status: StatusCompleted,
			Output: []Item{{Type: ItemMessage, ID: "msg_1", Status: StatusCompleted, Role: "assistant", Content: Content{Parts: []ContentPart{{Type: PartOutputText, Text: "x"}}}}},
			Usage:  &Usage{InputTokens: 3, OutputTokens: 1, TotalTokens: 4}}},
	}
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("round trip:\n%s\n%s", b, b2)
		}
	}
	sse, err := AppendEvent(nil, Event{Type: EventInProgress, SequenceNumber: 1, Response: &Response{ID: "r"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"sequence_number\":1,"; string(sse[:len(want)]) != want || string(sse[len(sse)-3:]) != "}\n\n" {
		t.Errorf("SSE %q", sse)
	}
}

// FuzzRequest: any body that decodes re-encodes to one that decodes to the
// same request.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","input":"hi"}`))
	f.Add([]byte(`{"input":[{"role":"user","content":[{"type":"input_text","text":"a"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"x"}]},{"id":"r"}],"tool_choice":"auto","tools":[{"type":"function","name":"f","parameters":null}]}`))
	f.Add([]byte(`{"text":{"format":{"type":"json_schema","name":"n","schema":{}}},"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Request
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		enc, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("encode %+v: %v", a, err)
		}
		var b Request
		if err := json.Unmarshal(enc, &b); err != nil {
			t.Fatalf("decode %s: %v", enc, err)
		}
		enc2, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if string(enc) != string(enc2) {
			t.Fatalf("not stable:\n%s\n%s", enc, enc2)
		}
		if !reflect.DeepEqual(kept(a), kept(b)) {
			t.Fatalf("changed:\n%+v\n%+v", kept(a), kept(b))
		}
	})
}

// kept is what encoding keeps of a request's input: each item's fields
// that its type has on the wire.
func kept(r Request) []string {
	if r.Input == nil {
		return nil
	}
	if r.Input.Text != nil {
		return []string{*r.Input.Text}
	}
	var out []string
	text := func(c Content) string {
		if c.Text != nil {
			return "s:" + *c.Text
		}
		var s string
		for _, p := range c.Parts {
			s += "|" + p.Type + ":" + p.Text + p.Refusal
		}
		return s
	}
	for _, it := range r.Input.Items {
		switch it.Type {
		case "", ItemMessage:
			if it.Type == "" && it.Role == "" {
				out = append(out, "ref:"+it.ID)
				continue
			}
			out = append(out, it.Type+"/"+it.Role+"/"+it.ID+"/"+it.Status+"/"+text(it.Content))
		case ItemFunctionCall:
			out = append(out, it.Type+"/"+it.ID+"/"+it.CallID+"/"+it.Name+"/"+it.Arguments+"/"+it.Status)
		case ItemFunctionCallOutput:
			out = append(out, it.Type+"/"+it.ID+"/"+it.CallID+"/"+text(it.Output)+"/"+it.Status)
		default:
			out = append(out, it.Type+"/"+it.ID+"/"+it.Status)
		}
	}
	return out
}
