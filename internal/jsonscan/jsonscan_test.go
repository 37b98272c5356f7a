package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

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
		err := EachMember(data, func(key, rawKey, value []byte) {
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
		if err := EachElement(data, func(e []byte) { got = append(got, e) }); err != nil {
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
		got, err := Unquote(data)
		if err != nil || got != want {
			t.Fatalf("Unquote(%s) = %q, %v; want %q", data, got, err, want)
		}
	})
}
