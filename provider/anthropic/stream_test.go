package anthropic_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

func sseProvider(t *testing.T, events string) *anthropic.Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(string(b), `{"stream":true,`) {
			t.Errorf("request %s does not ask for a stream", b)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("request-id", "req_a")
		io.WriteString(w, events)
	}))
	t.Cleanup(srv.Close)
	return anthropic.NewProvider(anthropic.Config{BaseURL: srv.URL, APIKey: "sk-ant-test-key", Model: "claude"})
}

func ev(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

var toolStream = ev("message_start", `{"type":"message_start","message":{"model":"claude","usage":{"input_tokens":12,"output_tokens":1}}}`) +
	ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"person","input":{}}}`) +
	ev("ping", `{"type":"ping"}`) +
	ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"name\": "}}`) +
	ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"Al\"}"}}`) +
	ev("content_block_stop", `{"type":"content_block_stop","index":0}`) +
	ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}`)

func TestStreamToolUse(t *testing.T) {
	p := sseProvider(t, toolStream+ev("message_stop", `{"type":"message_stop"}`))
	var pieces []string
	resp, err := p.Complete(t.Context(), &reask.Request{Mode: reask.ModeTools, Schema: []byte(`{"type":"object"}`), SchemaName: "person",
		Messages: []reask.Message{{Role: reask.RoleUser, Content: "Al"}}, OnDelta: func(s string) { pieces = append(pieces, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pieces, "|") != `{"name": |"Al"}` {
		t.Errorf("pieces %q", pieces)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0] != (reask.ToolCall{ID: "toolu_1", Name: "person", Arguments: `{"name": "Al"}`}) ||
		resp.FinishReason != "tool_calls" || resp.Usage.TotalTokens != 21 || resp.RequestID != "req_a" {
		t.Errorf("response %+v", resp)
	}
}

// A stream without message_stop was cut off: an error matching
// io.ErrUnexpectedEOF, not a short answer.
func TestStreamWithoutMessageStop(t *testing.T) {
	for name, events := range map[string]string{
		"after message_delta": toolStream,
		"mid answer":          toolStream[:strings.Index(toolStream, "event: content_block_stop")],
		"mid event":           toolStream[:len(toolStream)-20],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sseProvider(t, events).Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(string) {}})
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

func TestStreamErrorEvent(t *testing.T) {
	p := sseProvider(t, ev("message_start", `{"type":"message_start","message":{"model":"claude","usage":{}}}`)+
		ev("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(string) {}})
	var pe *reask.ProviderError
	if !errors.As(err, &pe) || pe.StatusCode != 529 || pe.Kind != reask.KindServer {
		t.Fatalf("got %v, want an overloaded ProviderError", err)
	}
}

// A re-ask mid-stream, end to end against the simulator's Messages API:
// the first answer lacks a field, the stream says so and streams the
// re-asked answer. Strict tools would keep every field, so the tool is
// sent loose.
func TestStreamAgainstSimulator(t *testing.T) {
	prof, err := sim.ParseProfile([]byte(`{"faults":{"missing_field":1},"feedback":{"fix_specific":1,"fix_generic":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 4, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := reasktest.NewClient(t, anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "sk-ant-test-key", Model: "claude-sonnet-4-5", Strict: dialect.StrictOff}), reask.Config{MaxAttempts: 4})
	type Person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	partials := map[int]int{}
	restarts := 0
	var final Person
	for p, err := range reask.Stream[Person](t.Context(), c, "John is 30 years old") {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Restart:
			restarts++
			if p.Failed == nil || len(p.Failed.Violations) == 0 {
				t.Errorf("restart without the failed attempt's violations: %+v", p)
			}
		case p.Final:
			final = p.Value
		default:
			partials[p.Attempt]++
		}
	}
	if restarts != 1 || partials[1] < 2 || partials[2] < 2 || final != (Person{Name: "John", Age: 30}) {
		t.Fatalf("restarts %d, partials per attempt %v, final %+v; want 1 restart, streamed attempts 1 and 2, John 30", restarts, partials, final)
	}
}
