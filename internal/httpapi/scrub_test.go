package httpapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
)

const (
	key    = "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78wxyz"
	hexKey = "41f3a9c0d2e4b6a8c0d2e4f6a8b0c2d4" // an Azure-style key
)

// openAIMasked is the key as OpenAI's 401 quotes it: the first eight
// characters, asterisks, the last four.
var openAIMasked = key[:8] + strings.Repeat("*", len(key)-12) + key[len(key)-4:]

func TestScrubber(t *testing.T) {
	s := httpapi.NewScrubber(key, hexKey, "")
	for _, tc := range []struct {
		name, in, want string
	}{
		{"whole", "Bearer " + key, "Bearer [redacted]"},
		{"twice", key + "," + key, "[redacted],[redacted]"},
		{"OpenAI's 401", "Incorrect API key provided: " + openAIMasked + ". You can find your API key at https://platform.openai.com/account/api-keys.",
			"Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys."},
		{"short asterisks", "key sk-proj-Ab1***wxyz rejected", "key [redacted] rejected"},
		{"asterisks and dots", "sk-proj-****...wxyz", "[redacted]"},
		{"dots", "(sk-...wxyz)", "([redacted])"},
		{"ellipsis", "sk-proj…wxyz", "[redacted]"},
		{"prefix only", "key sk-proj-Ab12*** is invalid", "key [redacted] is invalid"},
		{"suffix only", "key ending ****Op56Qr78wxyz", "key ending [redacted]"},
		{"in a JSON string", `{"error":{"message":"bad key ` + openAIMasked + `"}}`, `{"error":{"message":"bad key [redacted]"}}`},
		{"after an escape", `"\n` + openAIMasked + `"`, `"\n[redacted]"`},
		{"glued to a word", "xx" + key[:8] + "****wxyz", "xx[redacted]"},
		{"hex key whole", "api-key: " + hexKey, "api-key: [redacted]"},
		// Text that only looks like a mask stays.
		{"documentation", `export OPENAI_API_KEY="sk-..."`, `export OPENAI_API_KEY="sk-..."`},
		{"another key", "sk-other****abcd", "sk-other****abcd"},
		{"prose", "Wait... the end.", "Wait... the end."},
		{"one asterisk", "sk-proj-Ab12*wxyz", "sk-proj-Ab12*wxyz"},
		{"too little shown", "sk-...yz", "sk-...yz"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.String(tc.in); got != tc.want {
				t.Errorf("String(%q)\n = %q\nwant %q", tc.in, got, tc.want)
			}
			if got := string(s.Bytes([]byte(tc.in))); got != tc.want {
				t.Errorf("Bytes(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestScrubberIgnoresShortKeys: a placeholder key ("k") is not removed
// from the text, which it would otherwise corrupt.
func TestScrubberIgnoresShortKeys(t *testing.T) {
	s := httpapi.NewScrubber("k", "none")
	in := `{"usage":{"input_tokens":12},"text":"ok, none"}`
	if got := s.String(in); got != in {
		t.Errorf("String(%q) = %q, want it unchanged", in, got)
	}
}

// TestScrubberKeepsJSONValid: a key that begins inside an escape sequence
// (\u0041 then the rest of an Azure-style key) is cut after the escape.
func TestScrubberKeepsJSONValid(t *testing.T) {
	s := httpapi.NewScrubber(hexKey)
	in := `{"c":"\u00` + hexKey + `"}`
	out := s.Bytes([]byte(in))
	if !json.Valid(out) || strings.Contains(string(out), hexKey) {
		t.Errorf("%s → %s", in, out)
	}
}

func TestScrubberHeaderAndError(t *testing.T) {
	s := httpapi.NewScrubber(key)
	h := http.Header{"X-Request-Id": {"req_1 Bearer " + key}, "Content-Type": {"application/json"}}
	s.Header(h)
	if h.Get("X-Request-Id") != "req_1 Bearer [redacted]" || h.Get("Content-Type") != "application/json" {
		t.Errorf("header %v", h)
	}
	base := io.ErrUnexpectedEOF
	err := s.Error(&wrapped{"dial: " + openAIMasked, base})
	if err.Error() != "dial: [redacted]" || !errors.Is(err, base) {
		t.Errorf("error %q (is the cause: %v)", err, errors.Is(err, base))
	}
	if clean := errors.New("clean"); s.Error(clean) != clean {
		t.Error("an error without a key was wrapped")
	}
	var none *httpapi.Scrubber
	if none.String(key) != key || none.Error(base) != base {
		t.Error("a nil scrubber changed something")
	}
}

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

func TestScrubberAllocatesNothingOnCleanText(t *testing.T) {
	s := httpapi.NewScrubber(key, hexKey)
	body := []byte(`{"choices":[{"message":{"content":"{\"name\":\"John Doe\",\"note\":\"sk... wait...\"}"}}],"usage":{"prompt_tokens":3}}`)
	if n := testing.AllocsPerRun(100, func() { s.Bytes(body) }); n != 0 {
		t.Errorf("%v allocations scrubbing a clean body", n)
	}
}

func TestCompleteScrubsMessageAndRequestID(t *testing.T) {
	pe := &reask.ProviderError{StatusCode: 400, Message: "bad key " + openAIMasked, RequestID: "Bearer " + key}
	httpapi.Complete(pe, http.Header{}, time.Time{}, key)
	if pe.Message != "bad key [redacted]" || pe.RequestID != "Bearer [redacted]" {
		t.Errorf("%+v", pe)
	}
}

// FuzzScrubber: scrubbing leaves no key whole and keeps valid JSON valid.
func FuzzScrubber(f *testing.F) {
	for _, s := range []string{`{"a":"` + openAIMasked + `"}`, `"\u00` + hexKey + `"`, "sk-...wxyz", key + key, `"\\` + key + `"`, "…*.…"} {
		f.Add([]byte(s))
	}
	s := httpapi.NewScrubber(key, hexKey)
	f.Fuzz(func(t *testing.T, in []byte) {
		out := s.Bytes(in)
		for _, k := range []string{key, hexKey} {
			if strings.Contains(string(out), k) {
				t.Fatalf("%q → %q holds a key", in, out)
			}
		}
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid JSON %q → invalid %q", in, out)
		}
	})
}

// BenchmarkScrubberClean is the cost the gateway adds to every upstream
// answer without a key in it.
func BenchmarkScrubberClean(b *testing.B) {
	s := httpapi.NewScrubber(key)
	for _, size := range []int{1 << 10, 1 << 20} {
		body := []byte(strings.Repeat(`{"content":"Wait... the answer is 42."} `, size/40))
		b.Run(formatSize(size), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s.Bytes(body)
			}
		})
	}
}

func formatSize(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return "1KiB"
}
