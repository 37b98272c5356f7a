package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/reask/reask"
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

// FuzzEachMember: on any valid JSON object the member scan finds exactly
// the members encoding/json decodes (the last of duplicates winning), with
// values equal to theirs.
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}], "d":"x\"y", "e\u00e9":null, "f":true } `,
		`{"a":{"b":{"c":[[],{}]}},"a":2}`, `{"k\\"":"v"}`, `[1]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		got := map[string]json.RawMessage{}
		err := eachMember(data, func(key, rawKey, value []byte) {
			var k string
			if json.Unmarshal(rawKey, &k) != nil || k != string(key) {
				t.Fatalf("key %q written %s", key, rawKey)
			}
			got[string(key)] = value
		})
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: members %v, want %v", data, got, want)
		}
		for k, v := range want {
			var a, b any
			if json.Unmarshal(v, &a) != nil || json.Unmarshal(got[k], &b) != nil {
				t.Fatalf("%s: member %q: %s vs %s", data, k, v, got[k])
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("%s: member %q: %s, want %s", data, k, got[k], v)
			}
		}
	})
}

// FuzzEachElement: on any valid JSON array the element scan finds exactly
// the elements encoding/json decodes, as written.
func FuzzEachElement(f *testing.F) {
	for _, s := range []string{
		`[]`, ` [ 1 , "a]" , {"b":[2]} ,[[]], null,true,-1.5e3 ] `, `["\"]"]`, `{}`, `1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		var got []json.RawMessage
		if err := eachElement(data, func(e []byte) { got = append(got, e) }); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d elements, want %d", data, len(got), len(want))
		}
		for i := range want {
			if string(got[i]) != string(bytes.TrimSpace(want[i])) {
				t.Fatalf("%s: element %d is %s, want %s", data, i, got[i], want[i])
			}
		}
	})
}

// FuzzUnquote: any JSON string decodes as encoding/json decodes it.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"abc"`, `"a\"b"`, `"\u00e9\n"`, "\"\xff\"", `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil || len(data) == 0 || data[0] != '"' {
			return
		}
		got, err := unquote(data)
		if err != nil || got != want {
			t.Fatalf("unquote(%s) = %q, %v; want %q", data, got, err, want)
		}
	})
}

// FuzzReadAnswer: an upstream answer is read as encoding/json decodes it
// into the same struct, wherever encoding/json's own leniencies (names
// matched ignoring case, duplicate names merged) do not apply.
func FuzzReadAnswer(f *testing.F) {
	for _, s := range []string{
		`{"id":"c1","object":"chat.completion","created":17,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"a\":1}","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp"}`,
		`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		`{"choices":[{"message":{"refusal":"no"}}],"usage":null,"created":1.5}`,
		`{"choices":[null,{}],"id":5}`, `null`, `[]`, `{"usage":{"total_tokens":-1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got upstreamAnswer
		gotErr := got.read(data)
		if !plainNames(data, answerNames) {
			return
		}
		var want upstreamAnswer
		wantErr := json.Unmarshal(data, &want)
		if wantErr != nil || isNull(bytes.TrimSpace(data)) {
			if gotErr == nil {
				t.Fatalf("%s: read, while encoding/json says %v", data, wantErr)
			}
			return
		}
		if gotErr != nil {
			t.Fatalf("%s: %v, while encoding/json reads it", data, gotErr)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%s:\nread         %s\nencoding/json %s", data, g, w)
		}
	})
}

var answerNames = []string{"id", "created", "model", "system_fingerprint", "choices", "usage", "message", "finish_reason",
	"content", "refusal", "tool_calls", "index", "type", "function", "name", "arguments",
	"prompt_tokens", "completion_tokens", "total_tokens"}

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
		if !plainNames(data, []string{"type", "json_schema", "name", "schema", "strict"}) {
			return
		}
		got, ok := readResponseFormat(data)
		var want responseFormat
		err := json.Unmarshal(data, &want)
		if trimmed := bytes.TrimSpace(data); err == nil && trimmed[0] != '{' {
			err = errNotObject // null and other non-objects: refused as not an object
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

// plainNames reports whether data is valid JSON whose objects have no
// duplicate names and no name that differs from a known one only by
// case.
func plainNames(data []byte, known []string) bool {
	ok := true
	var walk func(v []byte)
	walk = func(v []byte) {
		switch {
		case len(v) > 0 && v[0] == '{':
			seen := map[string]bool{}
			_ = eachMember(v, func(rawName, _, val []byte) {
				key := string(rawName)
				if seen[key] {
					ok = false
				}
				seen[key] = true
				for _, k := range known {
					if key != k && strings.EqualFold(key, k) {
						ok = false
					}
				}
				walk(val)
			})
		case len(v) > 0 && v[0] == '[':
			_ = eachElement(v, walk)
		}
	}
	if !json.Valid(data) {
		return false
	}
	walk(bytes.TrimSpace(data))
	return ok
}
