// Package jsonscan reads valid JSON in place: the members of an object
// and the elements of an array as written, strings, numbers and booleans
// decoded one value at a time. The gateway reads its clients' requests
// and the OpenAI wire decoder (internal/openaiwire) the upstreams'
// answers with it: one scan that copies and decodes nothing it does not
// need, and keeps a body's members, their order and their bytes.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/reask/reask/repair"
)

// ErrNotObject is returned by EachMember for anything but a JSON object.
var ErrNotObject = errors.New("not a JSON object")

// ErrNotArray is returned by EachElement for anything but a JSON array.
var ErrNotArray = errors.New("not a JSON array")

// EachMember calls f with the key (decoded), the key as written (quoted)
// and the value (as written) of each member of the JSON object obj, in
// order. obj must be valid JSON — the gateway has validated it before —
// so the scan only finds where tokens end. It allocates nothing but keys
// with escapes or non-ASCII bytes: the key passed is otherwise a slice of
// obj, to compare (switch string(key) allocates nothing) or copy. Rewriting
// a body this way keeps the client's members, their order and their bytes.
func EachMember(obj []byte, f func(key, rawKey, value []byte)) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ErrNotObject
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return ErrNotObject
		}
		kEnd := stringEnd(obj, i)
		if kEnd < 0 {
			return ErrNotObject
		}
		rawKey := obj[i:kEnd]
		key := rawKey[1 : len(rawKey)-1]
		for _, c := range key {
			if c == '\\' || c >= 0x80 { // escapes, and invalid UTF-8 as encoding/json reads it
				var k string
				if err := json.Unmarshal(rawKey, &k); err != nil {
					return err
				}
				key = []byte(k)
				break
			}
		}
		i = skipSpace(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return ErrNotObject
		}
		vStart := skipSpace(obj, i+1)
		vEnd := valueEnd(obj, vStart)
		if vEnd < 0 {
			return ErrNotObject
		}
		f(key, rawKey, obj[vStart:vEnd])
		i = skipSpace(obj, vEnd)
		if i >= len(obj) {
			return ErrNotObject
		}
		if obj[i] == '}' {
			return nil
		}
		if obj[i] != ',' {
			return ErrNotObject
		}
		i = skipSpace(obj, i+1)
	}
	return ErrNotObject
}

// Valid is encoding/json's Valid, taking the faster strict scan of
// repair first: the two agree but for invalid UTF-8 in strings, which
// only encoding/json accepts.
func Valid(b []byte) bool { return repair.Valid(b) || json.Valid(b) }

// EachElement calls f with each element (as written) of the JSON array
// arr, in order. arr must be valid JSON, as for EachMember.
func EachElement(arr []byte, f func(elem []byte)) error {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return ErrNotArray
	}
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for i < len(arr) {
		end := valueEnd(arr, i)
		if end < 0 || end == i {
			return ErrNotArray
		}
		f(arr[i:end])
		i = skipSpace(arr, end)
		if i >= len(arr) {
			return ErrNotArray
		}
		if arr[i] == ']' {
			return nil
		}
		if arr[i] != ',' {
			return ErrNotArray
		}
		i = skipSpace(arr, i+1)
	}
	return ErrNotArray
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] ('"'),
// or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// Unquote decodes a JSON string as written (valid JSON): directly when it
// has no escape, control character or non-ASCII byte, else as
// encoding/json does (invalid UTF-8 becomes U+FFFD).
func Unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' {
		plain := true
		for _, c := range raw[1 : len(raw)-1] {
			if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain && raw[len(raw)-1] == '"' {
			return string(raw[1 : len(raw)-1]), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// IsNull reports whether raw is the JSON null.
func IsNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

// Reader decodes member values in place, as encoding/json decodes them
// into Go values of the same types, keeping the first error: a value of
// the wrong type is "<what> has the wrong type". A null leaves the
// destination as it was (a pointer becomes nil), as encoding/json does.
type Reader struct {
	// Err is the first error met, or nil.
	Err error
}

// Fail records that what has the wrong type, unless an error came first.
func (r *Reader) Fail(what string) {
	if r.Err == nil {
		r.Err = fmt.Errorf("%s has the wrong type", what)
	}
}

// String decodes the string v into dst.
func (r *Reader) String(what string, v []byte, dst *string) {
	if IsNull(v) {
		return
	}
	if v[0] != '"' {
		r.Fail(what)
		return
	}
	s, err := Unquote(v)
	if err != nil {
		r.Fail(what)
		return
	}
	*dst = s
}

// StringPtr decodes the string or null v into dst.
func (r *Reader) StringPtr(what string, v []byte, dst **string) {
	if IsNull(v) {
		*dst = nil
		return
	}
	var s string
	r.String(what, v, &s)
	*dst = &s
}

// BoolPtr decodes the boolean or null v into dst.
func (r *Reader) BoolPtr(what string, v []byte, dst **bool) {
	switch string(v) {
	case "null":
		*dst = nil
	case "true", "false":
		b := v[0] == 't'
		*dst = &b
	default:
		r.Fail(what)
	}
}

// Int64 decodes the integer v into dst.
func (r *Reader) Int64(what string, v []byte, dst *int64) {
	if IsNull(v) {
		return
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		r.Fail(what)
		return
	}
	*dst = n
}

// Int decodes the integer v into dst.
func (r *Reader) Int(what string, v []byte, dst *int) {
	var n int64
	r.Int64(what, v, &n)
	if n != int64(int(n)) {
		r.Fail(what)
		return
	}
	if !IsNull(v) {
		*dst = int(n)
	}
}

// PlainNames reports whether data is valid JSON whose objects have no
// duplicate names and no name that differs from one of known only by
// case: where encoding/json's leniencies (names matched ignoring case,
// duplicates merged) do not apply, so that a reading with this package
// must equal encoding/json's. The fuzz targets of the readers built on
// it compare the two there.
func PlainNames(data []byte, known []string) bool {
	ok := true
	var walk func(v []byte)
	walk = func(v []byte) {
		switch {
		case len(v) > 0 && v[0] == '{':
			seen := map[string]bool{}
			_ = EachMember(v, func(rawName, _, val []byte) {
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
			_ = EachElement(v, walk)
		}
	}
	if !json.Valid(data) {
		return false
	}
	walk(bytes.TrimSpace(data))
	return ok
}
