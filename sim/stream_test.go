package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

type sseEvent struct{ name, data string }

// parseSSE reads server-sent events back.
func parseSSE(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" || cur.name != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return out
}

type streamChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		TotalTokens int `json:"total_tokens"`
	} `json:"usage"`
}

func TestOpenAIStream(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	plain := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest()))
	r := post(t, ts, "/v1/chat/completions", accountRequest("stream", true, "stream_options", msg{"include_usage": true}))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
	}
	evs := parseSSE(t, r.body)
	if len(evs) < 4 || evs[len(evs)-1].data != "[DONE]" {
		t.Fatalf("events %v", evs)
	}
	var text strings.Builder
	var finish string
	var usage bool
	for i, ev := range evs[:len(evs)-1] {
		var ch streamChunk
		if err := json.Unmarshal([]byte(ev.data), &ch); err != nil {
			t.Fatalf("chunk %d %q: %v", i, ev.data, err)
		}
		if ch.Object != "chat.completion.chunk" || !strings.HasPrefix(ch.ID, "chatcmpl-") {
			t.Errorf("chunk %d: %+v", i, ch)
		}
		if !strings.Contains(ev.data, `"usage"`) {
			t.Errorf("chunk %d lacks usage (null until the last)", i)
		}
		if i == 0 && (len(ch.Choices) != 1 || ch.Choices[0].Delta.Role != "assistant") {
			t.Errorf("first chunk %s", ev.data)
		}
		if len(ch.Choices) == 0 {
			if ch.Usage == nil || ch.Usage.TotalTokens != plain.Usage.TotalTokens || i != len(evs)-2 {
				t.Errorf("usage chunk %s (at %d)", ev.data, i)
			}
			usage = true
			continue
		}
		if d := ch.Choices[0].Delta.Content; d != nil {
			text.WriteString(*d)
		}
		if f := ch.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	if text.String() != plain.content() {
		t.Errorf("streamed %q, want %q", text.String(), plain.content())
	}
	if finish != "stop" || !usage {
		t.Errorf("finish %q, usage chunk %v", finish, usage)
	}
}

func TestOpenAIStreamToolCall(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	req := chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Text: " + accountText}}, "temperature", 0, "stream", true,
		"tools", []msg{{"type": "function", "function": msg{"name": "save", "parameters": rawJSON(accountSchema)}}})
	evs := parseSSE(t, post(t, ts, "/v1/chat/completions", req).body)
	var args strings.Builder
	var name, id, finish string
	for _, ev := range evs[:len(evs)-1] {
		var ch streamChunk
		decodeJSON(t, []byte(ev.data), &ch)
		for _, tc := range ch.Choices[0].Delta.ToolCalls {
			if tc.Function.Name != "" {
				name, id = tc.Function.Name, tc.ID
			}
			args.WriteString(tc.Function.Arguments)
		}
		if f := ch.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	if name != "save" || !strings.HasPrefix(id, "call_") || finish != "tool_calls" || args.String() != accountClean {
		t.Errorf("name %q id %q finish %q args %s", name, id, finish, args.String())
	}
}

func TestSlowAndDroppedStreams(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, Profile: Profile{Stream: Streaming{SlowRate: 1, SlowDelay: Duration(40 * time.Millisecond), ChunkChars: 16}}})
	r := post(t, ts, "/v1/chat/completions", accountRequest("stream", true))
	evs := parseSSE(t, r.body)
	sleeps := fc.Sleeps()
	if len(sleeps) == 0 || sleeps[0] != 40*time.Millisecond || evs[len(evs)-1].data != "[DONE]" {
		t.Errorf("slow stream: sleeps %v, last event %v", sleeps, evs[len(evs)-1])
	}
	srv, ts := newTest(t, Config{Profile: Profile{Stream: Streaming{DropRate: 1}}})
	r = post(t, ts, "/v1/chat/completions", accountRequest("stream", true))
	if strings.Contains(string(r.body), "[DONE]") || r.status == -1 {
		t.Errorf("dropped stream ended cleanly: %d %s", r.status, r.body)
	}
	if st := srv.Stats(); st.Transport["stream_drop"] != 1 || st.Dropped != 1 {
		t.Errorf("stats %+v", st)
	}
}
