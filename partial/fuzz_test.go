package partial

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzPrefixes feeds any input byte by byte. Whatever it is, the parser
// never panics and what it shows is always JSON. When the input is one
// valid JSON document, every partial extends the one before and leads to
// the full parse, and the last one, after Close, is the full parse
// (encoding/json's, with UseNumber). Crashers go to testdata/fuzz.
func FuzzPrefixes(f *testing.F) {
	for _, a := range goldenAnswers {
		f.Add([]byte(a.in))
	}
	for _, s := range []string{`{}`, `[]`, `""`, `0`, `-1e-7`, `"\ud800"`, `"\udc00\ud800\ud800\udc00"`, "\"\xe2\x82\"",
		"[\"\xff\"]", `{"a":{"b":[[],[{}]]}}`, `true`, ` null `, `{"a":1,"a":2}`, `{"\u0000":"\u001f"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var final any
		valid := json.Valid(in) && !duplicateKeys(in)
		if valid {
			if err := decode(in, &final); err != nil {
				t.Skip()
			}
		}
		p := New(Options{})
		for i := range in {
			if _, err := p.Write(in[i : i+1]); err != nil {
				if valid && !errors.Is(err, ErrTooDeep) {
					t.Fatalf("valid JSON %q: byte %d: %v", in, i, err)
				}
				break
			}
			if text := p.AppendJSON(nil); p.Started() && !json.Valid(text) {
				t.Fatalf("%q: prefix %d shows %q, not JSON", in, i+1, text)
			}
		}
		err := p.Close()
		if !valid {
			return
		}
		if errors.Is(err, ErrTooDeep) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON %q: close: %v", in, err)
		}
		got, ok := p.Value()
		if !ok || !reflect.DeepEqual(got, final) {
			t.Fatalf("valid JSON %q: last partial %s, full parse %#v", in, p.AppendJSON(nil), final)
		}
		checkPrefixes(t, nil, in, final)
	})
}

// duplicateKeys reports whether an object of the valid JSON text in has a
// key twice: the later value replaces the earlier, which a partial cannot
// foresee.
func duplicateKeys(in []byte) bool {
	d := json.NewDecoder(bytes.NewReader(in))
	type level struct {
		obj  bool
		keys map[string]bool
		key  bool // the next string token is a key
	}
	var stack []*level
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, isKey := tok.(string); isKey && top != nil && top.obj && top.key {
			if top.keys[s] {
				return true
			}
			top.keys[s] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{obj: true, keys: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}
