package jsonesc

import (
	"encoding/json"
	"testing"
)

// TestAppendRune: every ASCII rune and a few others, escaped, is a JSON
// string that reads back as the rune; the escapes are the short ones
// where JSON has them.
func TestAppendRune(t *testing.T) {
	runes := []rune{'é', '€', '😀', 0x7f, 0x2028, 0xFFFD}
	for r := rune(0); r < 0x80; r++ {
		runes = append(runes, r)
	}
	for _, r := range runes {
		b := append(AppendRune([]byte{'"'}, r), '"')
		var s string
		if err := json.Unmarshal(b, &s); err != nil || s != string(r) {
			t.Errorf("U+%04X: %s reads as %q, %v", r, b, s, err)
		}
	}
	for r, want := range map[rune]string{'"': `\"`, '\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`,
		0: `\u0000`, 0x1f: `\u001f`, '/': `/`, 'a': `a`} {
		if got := string(AppendRune(nil, r)); got != want {
			t.Errorf("U+%04X: %s, want %s", r, got, want)
		}
	}
}
