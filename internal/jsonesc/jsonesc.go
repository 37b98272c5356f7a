// Package jsonesc writes text as it goes inside a JSON string, for the
// packages that build JSON a byte or a rune at a time: repair (strings it
// mends) and partial (strings of an answer still streaming).
package jsonesc

import "unicode/utf8"

// short are the escapes JSON names: the letter after the backslash.
var short = [0x80]byte{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f'}

// AppendRune appends r as it goes inside a JSON string: a quote and a
// backslash escaped, the control characters below U+0020 too (\n, \r, \t,
// \b and \f by name, the others as \u00XX), any other rune as UTF-8.
func AppendRune(dst []byte, r rune) []byte {
	if r < 0 || r >= 0x80 {
		return utf8.AppendRune(dst, r)
	}
	if e := short[r]; e != 0 {
		return append(dst, '\\', e)
	}
	if r < 0x20 {
		const hex = "0123456789abcdef"
		return append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xF])
	}
	return append(dst, byte(r))
}
