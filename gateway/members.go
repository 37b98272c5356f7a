package gateway

import (
	"encoding/json"
	"errors"

	"github.com/reask/reask/repair"
)

// errNotObject is returned by eachMember for anything but a JSON object.
var errNotObject = errors.New("not a JSON object")

// errNotArray is returned by eachElement for anything but a JSON array.
var errNotArray = errors.New("not a JSON array")

// eachMember calls f with the key (decoded), the key as written (quoted)
// and the value (as written) of each member of the JSON object obj, in
// order. obj must be valid JSON — the gateway has validated it before —
// so the scan only finds where tokens end. It allocates nothing but keys
// with escapes or non-ASCII bytes: the key passed is otherwise a slice of
// obj, to compare (switch string(key) allocates nothing) or copy. Rewriting
// a body this way keeps the client's members, their order and their bytes.
func eachMember(obj []byte, f func(key, rawKey, value []byte)) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errNotObject
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return errNotObject
		}
		kEnd := stringEnd(obj, i)
		if kEnd < 0 {
			return errNotObject
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
			return errNotObject
		}
		vStart := skipSpace(obj, i+1)
		vEnd := valueEnd(obj, vStart)
		if vEnd < 0 {
			return errNotObject
		}
		f(key, rawKey, obj[vStart:vEnd])
		i = skipSpace(obj, vEnd)
		if i >= len(obj) {
			return errNotObject
		}
		if obj[i] == '}' {
			return nil
		}
		if obj[i] != ',' {
			return errNotObject
		}
		i = skipSpace(obj, i+1)
	}
	return errNotObject
}

// validJSON is encoding/json's Valid, taking the faster strict scan of
// repair first: the two agree but for invalid UTF-8 in strings, which
// only encoding/json accepts.
func validJSON(b []byte) bool { return repair.Valid(b) || json.Valid(b) }

// eachElement calls f with each element (as written) of the JSON array
// arr, in order. arr must be valid JSON, as for eachMember.
func eachElement(arr []byte, f func(elem []byte)) error {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return errNotArray
	}
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for i < len(arr) {
		end := valueEnd(arr, i)
		if end < 0 || end == i {
			return errNotArray
		}
		f(arr[i:end])
		i = skipSpace(arr, end)
		if i >= len(arr) {
			return errNotArray
		}
		if arr[i] == ']' {
			return nil
		}
		if arr[i] != ',' {
			return errNotArray
		}
		i = skipSpace(arr, i+1)
	}
	return errNotArray
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
