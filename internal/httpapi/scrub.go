package httpapi

import (
	"bytes"
	"net/http"
	"slices"

	"github.com/reask/reask"
)

// MinMaskedReveal is the fewest characters of a key a masked form must
// show, around its mask, to be taken for the key: OpenAI shows eight and
// four ("sk-abc12****wxyz"), proxies often three and four ("sk-...wxyz").
// Fewer would redact ordinary text ("sk-..." in documentation).
const MinMaskedReveal = 6

// Scrubber removes API keys from what a server sends back — bodies,
// headers, error texts — before any of it reaches a log, a report or a
// client: each key whole, and the masked forms providers quote, a prefix
// of the key, a mask of asterisks, dots or "…", and a suffix of the key
// ("Incorrect API key provided: sk-abc12***************wxyz",
// "sk-proj-****...wxyz", "sk-…wxyz"), with at least MinMaskedReveal of
// the key's characters shown. Each is replaced by "[redacted]".
//
// Replacing keeps a JSON text valid JSON: a key or mask has no quote or
// backslash, and a replacement never starts inside an escape sequence.
// A nil *Scrubber scrubs nothing; a Scrubber is safe for concurrent use.
type Scrubber struct {
	keys [][]byte
}

// MinScrubbedKey is the shortest key a Scrubber removes. A shorter one is
// no real provider's key (theirs are 30 characters and more) but a test's
// or a local server's placeholder ("k", "none"), and removing it would
// corrupt ordinary text: every "k" in an answer, the digits of its usage.
const MinScrubbedKey = 8

// NewScrubber returns a scrubber for keys; keys shorter than
// MinScrubbedKey are ignored.
func NewScrubber(keys ...reask.Secret) *Scrubber {
	s := &Scrubber{}
	for _, k := range keys {
		if len(k) >= MinScrubbedKey && !slices.ContainsFunc(s.keys, func(b []byte) bool { return string(b) == k.Reveal() }) {
			s.keys = append(s.keys, []byte(k.Reveal()))
		}
	}
	return s
}

var redacted = []byte(reask.Secret("-").String())

// Bytes returns b with the keys removed: b itself when there is nothing
// to remove (the common case, which allocates nothing), else a new slice.
func (s *Scrubber) Bytes(b []byte) []byte {
	out, _ := s.scrub(b)
	return out
}

// String is Bytes for a string.
func (s *Scrubber) String(v string) string {
	if s == nil || len(s.keys) == 0 || v == "" {
		return v
	}
	if out, changed := s.scrub([]byte(v)); changed {
		return string(out)
	}
	return v
}

func (s *Scrubber) scrub(b []byte) ([]byte, bool) {
	if s == nil || len(s.keys) == 0 {
		return b, false
	}
	var spans []span
	for _, k := range s.keys {
		spans = appendKeySpans(spans, b, k)
	}
	if s.mayHoldMasked(b) {
		spans = s.appendMaskedSpans(spans, b)
	}
	if len(spans) == 0 {
		return b, false
	}
	return replaceSpans(b, spans), true
}

// Header scrubs every value of h in place.
func (s *Scrubber) Header(h http.Header) {
	if s == nil || len(s.keys) == 0 {
		return
	}
	for _, vs := range h {
		for i, v := range vs {
			vs[i] = s.String(v)
		}
	}
}

// Error returns err with the keys removed from its text, or err itself
// when its text holds none; the original stays reachable with errors.As
// and errors.Is.
func (s *Scrubber) Error(err error) error {
	if err == nil || s == nil {
		return err
	}
	msg := err.Error()
	if clean := s.String(msg); clean != msg {
		return &scrubbed{msg: clean, err: err}
	}
	return err
}

// span is a half-open byte range to replace.
type span struct{ lo, hi int }

// appendKeySpans appends where key occurs whole in b.
func appendKeySpans(spans []span, b, key []byte) []span {
	for off := 0; ; {
		i := bytes.Index(b[off:], key)
		if i < 0 {
			return spans
		}
		lo := off + i
		hi := lo + len(key)
		if lo = escapeSafe(b, lo); lo < hi {
			spans = append(spans, span{lo, hi})
		}
		off = hi
	}
}

// mayHoldMasked reports whether b holds the first or last three
// characters of a key: a masked form shows at least one of them
// (MinMaskedReveal split between prefix and suffix), so without them the
// scan for masks is skipped.
func (s *Scrubber) mayHoldMasked(b []byte) bool {
	for _, k := range s.keys {
		if len(k) > MinMaskedReveal && (bytes.Contains(b, k[:3]) || bytes.Contains(b, k[len(k)-3:])) {
			return true
		}
	}
	return false
}

// appendMaskedSpans appends the masked forms of the keys in b.
func (s *Scrubber) appendMaskedSpans(spans []span, b []byte) []span {
	for i := 0; i < len(b); {
		start := indexMask(b, i)
		if start < 0 {
			break
		}
		end, weight := maskEnd(b, start)
		i = end
		if weight < 2 {
			continue
		}
		for _, k := range s.keys {
			if sp, ok := maskedSpan(b, start, end, k); ok {
				spans = append(spans, sp)
				break
			}
		}
	}
	return spans
}

// indexMask returns the index of the first mask character in b from i on,
// or -1.
func indexMask(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '*', '.':
			return i
		case 0xE2:
			if i+2 < len(b) && b[i+1] == 0x80 && b[i+2] == 0xA6 { // "…"
				return i
			}
		}
	}
	return -1
}

// maskEnd returns the end of the mask run starting at b[start] and its
// weight: one per '*' or '.', three per "…".
func maskEnd(b []byte, start int) (end, weight int) {
	i := start
	for i < len(b) {
		switch {
		case b[i] == '*' || b[i] == '.':
			i++
			weight++
		case b[i] == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2] == 0xA6:
			i += 3
			weight += 3
		default:
			return i, weight
		}
	}
	return i, weight
}

// keyChar reports whether c can be part of an API key as the mask scan
// reads one.
func keyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// maskedSpan returns the masked form of key around the mask b[start:end]:
// the longest end of the characters before it that begins key, the mask,
// and the longest start of the characters after it that ends key.
func maskedSpan(b []byte, start, end int, key []byte) (span, bool) {
	l := start
	for l > 0 && keyChar(b[l-1]) {
		l--
	}
	before := b[l:start]
	p := 0
	for n := min(len(before), len(key)-1); n > 0; n-- {
		if bytes.HasPrefix(key, before[len(before)-n:]) {
			p = n
			break
		}
	}
	r := end
	for r < len(b) && keyChar(b[r]) {
		r++
	}
	after := b[end:r]
	q := 0
	for n := min(len(after), len(key)-1); n > 0; n-- {
		if bytes.HasSuffix(key, after[:n]) {
			q = n
			break
		}
	}
	lo := escapeSafe(b, start-p)
	if start-lo+q < MinMaskedReveal {
		return span{}, false
	}
	return span{lo, end + q}, true
}

// escapeSafe moves a replacement's start i past a JSON escape sequence it
// would begin inside ("\n", "\u00e9"), so that replacing cannot break
// one. In valid JSON the nearest backslash before i is the only one whose
// escape can reach i.
func escapeSafe(b []byte, i int) int {
	for j := i - 1; j >= 0 && j >= i-5; j-- {
		if b[j] != '\\' {
			continue
		}
		if !escapeStart(b, j) {
			return i
		}
		n := 2 // \n
		if b[j+1] == 'u' {
			n = 6 // \uXXXX
		}
		return max(i, min(j+n, len(b)))
	}
	return i
}

// escapeStart reports whether the backslash at b[j] begins a JSON escape:
// an odd run of backslashes ends at it, and a valid escape follows.
func escapeStart(b []byte, j int) bool {
	n := 0
	for k := j; k >= 0 && b[k] == '\\'; k-- {
		n++
	}
	if n%2 == 0 || j+1 >= len(b) {
		return false
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if j+6 > len(b) {
			return false
		}
		for _, c := range b[j+2 : j+6] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

// replaceSpans replaces each span of b (merged where they overlap) with
// "[redacted]".
func replaceSpans(b []byte, spans []span) []byte {
	slices.SortFunc(spans, func(x, y span) int { return x.lo - y.lo })
	out := make([]byte, 0, len(b))
	pos := 0
	for i := 0; i < len(spans); {
		lo, hi := spans[i].lo, spans[i].hi
		for i++; i < len(spans) && spans[i].lo <= hi; i++ {
			hi = max(hi, spans[i].hi)
		}
		if lo < pos {
			lo = pos
		}
		out = append(append(out, b[pos:lo]...), redacted...)
		pos = hi
	}
	return append(out, b[pos:]...)
}
