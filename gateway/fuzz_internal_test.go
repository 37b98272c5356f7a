package gateway

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
)

// FuzzParseChatRequest: any body is read or refused with a requestError,
// never a panic; a body read with a schema (or a json_object body taken
// for repair) re-encodes, with reask's turns
// appended, into valid JSON that keeps the client's messages first.
func FuzzParseChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]}],"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}}}`,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"required","stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[],"n":2,"max_tokens":-1}`,
		`{"model":"m","messages":[{"role":"user","content":"Say it in JSON"}],"response_format":{"type":"json_object"},"stream":true}`,
		`[1,2]`, `null`, `{"model":1}`, `{"messages":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseChatRequest(body)
		if err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("error %T %v, want a *requestError", err, err)
			}
			return
		}
		if _, err := r.takeJSONObject(); err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("json_object: error %T %v, want a *requestError", err, err)
			}
			return
		}
		if r.form == "" {
			return
		}
		if len(r.messages) == 0 || len(r.messages) != len(r.converted) {
			t.Fatalf("messages %d, converted %d", len(r.messages), len(r.converted))
		}
		ex := &exchange{req: r}
		msgs := append(append([]reask.Message(nil), r.converted...),
			reask.Message{Role: reask.RoleAssistant, Content: "{\"a\":"},
			reask.Message{Role: reask.RoleUser, Content: "fix \"it\"\n"})
		for _, mode := range []reask.Mode{reask.ModeJSONSchema, reask.ModeTools, reask.ModeJSONObject, reask.ModeText} {
			out, err := ex.encode(&reask.Request{Messages: msgs, Mode: mode, Schema: json.RawMessage(`{"type":"object"}`), SchemaName: "n\"x"}, "m\u2028")
			if err != nil {
				continue // a body whose members cannot be decoded (duplicate keys of odd shapes)
			}
			var got struct {
				Model    string            `json:"model"`
				Messages []json.RawMessage `json:"messages"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("mode %s: invalid JSON %s: %v", mode, out, err)
			}
			if got.Model != "m\u2028" || len(got.Messages) != len(r.messages)+2 {
				t.Fatalf("mode %s: %s", mode, out)
			}
		}
	})
}

// FuzzReadResponseFormat: a response_format is read as encoding/json
// decodes it, where its leniencies do not apply (see FuzzReadAnswer).
func FuzzReadResponseFormat(f *testing.F) {
	for _, s := range []string{
		`{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}}`,
		`{"type":"json_object"}`, `{"type":"json_schema","json_schema":null}`, `{"type":1}`,
		`{"json_schema":{"strict":"yes"}}`, `{"json_schema":{"schema":[1],"name":null,"strict":null}}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !jsonscan.PlainNames(data, []string{"type", "json_schema", "name", "schema", "strict"}) {
			return
		}
		got, ok := readResponseFormat(data)
		var want responseFormat
		err := json.Unmarshal(data, &want)
		if trimmed := bytes.TrimSpace(data); err == nil && trimmed[0] != '{' {
			err = jsonscan.ErrNotObject // null and other non-objects: refused as not an object
		}
		if ok != (err == nil) {
			t.Fatalf("%s: read %v, encoding/json %v", data, ok, err)
		}
		if !ok {
			return
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%s:\nread          %s\nencoding/json %s", data, g, w)
		}
	})
}
