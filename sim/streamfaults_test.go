package sim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

// tokens_per_second paces every chunk by its tokens: 16 characters are 4
// tokens, a tenth of a second at 40 tokens per second.
func TestStreamPace(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, Profile: Profile{Stream: Streaming{TokensPerSecond: 40, ChunkChars: 16}}})
	r := post(t, ts, "/v1/chat/completions", accountRequest("stream", true))
	sleeps := fc.Sleeps()
	if len(sleeps) < 2 || evsLast(t, r.body) != "[DONE]" {
		t.Fatalf("sleeps %v", sleeps)
	}
	for _, d := range sleeps {
		if d != 100*time.Millisecond {
			t.Fatalf("sleeps %v, want 100ms each", sleeps)
		}
	}
}

func evsLast(t *testing.T, body []byte) string {
	evs := parseSSE(t, body)
	return evs[len(evs)-1].data
}

// A truncated stream ends as a good response does — status 200, the body
// read to its end without an error — but without [DONE] or message_stop:
// the cut stream a proxy passes on.
func TestStreamTruncated(t *testing.T) {
	srv, ts := newTest(t, Config{Profile: Profile{Stream: Streaming{TruncateRate: 1}}})
	r := post(t, ts, "/v1/chat/completions", accountRequest("stream", true))
	if r.status != 200 || strings.Contains(string(r.body), "[DONE]") || !strings.Contains(string(r.body), "data: ") {
		t.Errorf("truncated chat stream: %d %s", r.status, r.body)
	}
	r = post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}}, "stream", true), anthHeaders...)
	if r.status != 200 || strings.Contains(string(r.body), "message_stop") || !strings.Contains(string(r.body), "content_block_delta") {
		t.Errorf("truncated messages stream: %d %s", r.status, r.body)
	}
	if st := srv.Stats(); st.Transport["stream_truncate"] != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A corrupted stream writes a stray token late in its answer, and
// otherwise ends well.
func TestStreamCorrupt(t *testing.T) {
	srv, ts := newTest(t, Config{Profile: Profile{Stream: Streaming{CorruptRate: 1}}})
	r := post(t, ts, "/v1/chat/completions", accountRequest("stream", true))
	var content strings.Builder
	evs := parseSSE(t, r.body)
	for _, ev := range evs[:len(evs)-1] {
		var ch streamChunk
		if err := json.Unmarshal([]byte(ev.data), &ch); err != nil {
			t.Fatal(err)
		}
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != nil {
			content.WriteString(*ch.Choices[0].Delta.Content)
		}
	}
	if !strings.Contains(content.String(), corruptToken) || evs[len(evs)-1].data != "[DONE]" {
		t.Errorf("corrupt stream: %s", content.String())
	}
	if st := srv.Stats(); st.Transport["stream_corrupt"] != 1 {
		t.Errorf("stats %+v", st)
	}
	at := strings.Index(streamPlan{corruptAt: 0.7}.corrupt(`{"a": 1, "b": 2, "c": 3}`), corruptToken)
	if at != len(`{"a": 1, "b": 2,`) {
		t.Errorf("the token went in at %d, want after the comma past 70%%", at)
	}
}

func TestStreamProfileFields(t *testing.T) {
	for _, c := range []struct{ doc, field string }{
		{`{"stream": {"truncate_rate": 2}}`, "stream.truncate_rate"},
		{`{"stream": {"corrupt_rate": -1}}`, "stream.corrupt_rate"},
		{`{"stream": {"tokens_per_second": -5}}`, "stream.tokens_per_second"},
	} {
		var pe *ProfileError
		if _, err := ParseProfile([]byte(c.doc)); !errors.As(err, &pe) || pe.Field != c.field {
			t.Errorf("%s: got %v, want an error naming %s", c.doc, err, c.field)
		}
	}
}
