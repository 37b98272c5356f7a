package openai_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
)

// sseServer answers every request with the given event stream and keeps
// the last request body.
func sseServer(t *testing.T, events string, got *map[string]any) *openai.Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if got != nil {
			_ = json.Unmarshal(b, got)
		}
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("x-request-id", "req_s")
		io.WriteString(w, events)
	}))
	t.Cleanup(srv.Close)
	return openai.NewProvider(openai.Config{BaseURL: srv.URL + "/v1", APIKey: "sk-k", Model: "m"})
}

func chunkEvent(delta string) string {
	return `data: {"model":"m","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
}

func TestStreamContent(t *testing.T) {
	var body map[string]any
	events := chunkEvent(`{"role":"assistant","content":""}`) + chunkEvent(`{"content":"{\"a\":"}`) + chunkEvent(`{"content":" 1}"}`) +
		`data: {"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" +
		`data: {"model":"m","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}` + "\n\n" +
		"data: [DONE]\n\n"
	p := sseServer(t, events, &body)
	var pieces []string
	resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}},
		OnDelta: func(s string) { pieces = append(pieces, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pieces, "|") != `{"a":| 1}` {
		t.Errorf("pieces %q", pieces)
	}
	if resp.Content != `{"a": 1}` || resp.FinishReason != "stop" || resp.Usage.TotalTokens != 10 || resp.RequestID != "req_s" || resp.Model != "m" {
		t.Errorf("response %+v", resp)
	}
	if body["stream"] != true || body["stream_options"].(map[string]any)["include_usage"] != true || body["model"] != "m" {
		t.Errorf("request %v", body)
	}
}

// In tools mode the pieces are the first tool call's argument deltas.
func TestStreamToolCall(t *testing.T) {
	events := chunkEvent(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"person","arguments":""}}]}`) +
		chunkEvent(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"n\""}}]}`) +
		chunkEvent(`{"tool_calls":[{"index":0,"function":{"arguments":":2}"}}]}`) +
		`data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n"
	p := sseServer(t, events, nil)
	var pieces []string
	resp, err := p.Complete(t.Context(), &reask.Request{Mode: reask.ModeTools, Schema: json.RawMessage(`{"type":"object"}`),
		Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(s string) { pieces = append(pieces, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pieces, "|") != `{"n"|:2}` {
		t.Errorf("pieces %q", pieces)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0] != (reask.ToolCall{ID: "call_9", Name: "person", Arguments: `{"n":2}`}) || resp.FinishReason != "tool_calls" {
		t.Errorf("response %+v", resp)
	}
}

// A stream that ends without [DONE] is cut off, whatever it held — even a
// whole-looking answer with a finish reason: an error that matches
// io.ErrUnexpectedEOF, never a short answer.
func TestStreamCutIsAnError(t *testing.T) {
	for name, events := range map[string]string{
		"mid answer":     chunkEvent(`{"content":"{\"a\": [1,"}`),
		"mid event":      chunkEvent(`{"content":"{}"}`) + `data: {"choices":[{"ind`,
		"no done":        chunkEvent(`{"content":"{}"}`) + `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n",
		"nothing at all": "",
		"only a comment": ": keep-alive\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := sseServer(t, events, nil)
			resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(string) {}})
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %+v, %v; want an error matching io.ErrUnexpectedEOF", resp, err)
			}
		})
	}
}

// An error event in a 200 stream is the provider's error, classified.
func TestStreamErrorEvent(t *testing.T) {
	p := sseServer(t, chunkEvent(`{"content":"{"}`)+`data: {"error":{"message":"overloaded","type":"server_error","code":null}}`+"\n\n", nil)
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(string) {}})
	var pe *reask.ProviderError
	if !errors.As(err, &pe) || pe.Kind != reask.KindServer || pe.Message != "overloaded" {
		t.Fatalf("got %v, want a server ProviderError", err)
	}
}

// A server that ignores stream: true and answers whole is read as usual.
func TestStreamServerAnswersWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"model":"m","choices":[{"message":{"content":"{}"},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m"})
	resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}, OnDelta: func(string) {}})
	if err != nil || resp.Content != "{}" {
		t.Fatalf("got %+v, %v", resp, err)
	}
}
