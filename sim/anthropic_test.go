package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

type anthMsg struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Role       string `json:"role"`
	StopReason string `json:"stop_reason"`
	Content    []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	Usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

var anthHeaders = []string{"anthropic-version", "2023-06-01", "x-api-key", "k"}

func anthTools() []msg {
	return []msg{{"name": "save_account", "description": "Save it.", "input_schema": rawJSON(accountSchema)}}
}

func anthRequest(msgs []msg, extra ...any) map[string]any {
	b := map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": msgs, "temperature": 0,
		"tools": anthTools(), "tool_choice": msg{"type": "tool", "name": "save_account"}}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

func TestAnthropicToolUse(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	r := post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}}), anthHeaders...)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var m anthMsg
	decodeJSON(t, r.body, &m)
	if m.Type != "message" || m.Role != "assistant" || m.StopReason != "tool_use" || len(m.Content) != 1 || r.header.Get("request-id") == "" {
		t.Fatalf("message %s", r.body)
	}
	b := m.Content[0]
	if b.Type != "tool_use" || b.Name != "save_account" || !strings.HasPrefix(b.ID, "toolu_") || string(b.Input) != accountClean {
		t.Errorf("block %+v", b)
	}
	if m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 {
		t.Errorf("usage %+v", m.Usage)
	}
}

// TestAnthropicToolResultRule: the turn after a tool_use must answer
// every tool_use id with a tool_result block, or the API answers 400.
func TestAnthropicToolResultRule(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	user := msg{"role": "user", "content": "Text: " + accountText}
	assistant := msg{"role": "assistant", "content": []msg{{"type": "tool_use", "id": "toolu_1", "name": "save_account", "input": msg{"name": "John Doe"}}}}
	tests := []struct {
		name   string
		next   msg
		status int
		want   string
	}{
		{"plain text", msg{"role": "user", "content": "age is missing, try again"}, 400, "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"},
		{"wrong id", msg{"role": "user", "content": []msg{{"type": "tool_result", "tool_use_id": "toolu_2", "content": "age is missing"}}}, 400, "toolu_1"},
		{"answered", msg{"role": "user", "content": []msg{{"type": "tool_result", "tool_use_id": "toolu_1", "content": "age is missing", "is_error": true}}}, 200, "tool_use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts, "/v1/messages", anthRequest([]msg{user, assistant, tt.next}), anthHeaders...)
			if r.status != tt.status || !contains(r.body, tt.want) {
				t.Errorf("status %d: %s", r.status, r.body)
			}
			if tt.status == 400 && !contains(r.body, `"type":"invalid_request_error"`) {
				t.Errorf("error body %s", r.body)
			}
		})
	}
}

func TestAnthropicValidationAndErrors(t *testing.T) {
	user := msg{"role": "user", "content": "hello"}
	_, ts := newTest(t, Config{})
	tests := []struct {
		name    string
		body    any
		headers []string
		status  int
		want    string
	}{
		{"no version header", anthRequest([]msg{user}), []string{"x-api-key", "k"}, 400, "anthropic-version: header is required"},
		{"no max_tokens", msg{"model": "claude-sonnet-4-5", "messages": []msg{user}}, anthHeaders, 400, "max_tokens: Field required"},
		{"unknown field", anthRequest([]msg{user}, "response_format", msg{}), anthHeaders, 400, "response_format: Extra inputs are not permitted"},
		{"bad role", anthRequest([]msg{{"role": "system", "content": "x"}}), anthHeaders, 400, "messages.0.role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts, "/v1/messages", tt.body, tt.headers...)
			if r.status != tt.status || !contains(r.body, tt.want) || !contains(r.body, `"type":"error"`) {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		})
	}
	_, ts = newTest(t, Config{Profile: Profile{Transport: Transport{Unavailable: 1}}})
	if r := post(t, ts, "/v1/messages", anthRequest([]msg{user}), anthHeaders...); r.status != 529 || !contains(r.body, "overloaded_error") {
		t.Errorf("overloaded: %d %s", r.status, r.body)
	}
}

func TestAnthropicRateLimitHeaders(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, RPM: 2, TPM: 100000})
	req := anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}})
	r := post(t, ts, "/v1/messages", req, anthHeaders...)
	h := r.header
	if h.Get("anthropic-ratelimit-requests-limit") != "2" || h.Get("anthropic-ratelimit-requests-remaining") != "1" ||
		h.Get("anthropic-ratelimit-requests-reset") != t0.Add(30*time.Second).Format(time.RFC3339) {
		t.Errorf("headers %v", h)
	}
	if _, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-tokens-reset")); err != nil || h.Get("anthropic-ratelimit-tokens-limit") != "100000" {
		t.Errorf("token headers %v", h)
	}
	post(t, ts, "/v1/messages", req, anthHeaders...)
	r = post(t, ts, "/v1/messages", req, anthHeaders...)
	if r.status != 429 || r.header.Get("retry-after") != "30" || !contains(r.body, "rate_limit_error") {
		t.Errorf("429: %d %v %s", r.status, r.header, r.body)
	}
}

func TestAnthropicMaxTokensAndFaults(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 4, Profile: Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1, fault.Fence: 1}}})
	r := post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}}), anthHeaders...)
	var m anthMsg
	decodeJSON(t, r.body, &m)
	s, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	got := fault.Classify(string(m.Content[0].Input), clean, s)
	if len(got) != 1 || got[0].Kind != fault.MissingField {
		t.Errorf("tool input %s: faults %v (fences cannot occur in a tool input)", m.Content[0].Input, got)
	}
	_, ts = newTest(t, Config{Seed: 4})
	r = post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Say hello"}}, "max_tokens", 3, "tools", nil, "tool_choice", nil), anthHeaders...)
	decodeJSON(t, r.body, &m)
	if m.StopReason != "max_tokens" || m.Content[0].Type != "text" || m.Usage.OutputTokens != 3 {
		t.Errorf("max_tokens answer %s", r.body)
	}
}

func TestAnthropicStream(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	r := post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}}, "stream", true), anthHeaders...)
	evs := parseSSE(t, r.body)
	var names []string
	var input strings.Builder
	for _, ev := range evs {
		names = append(names, ev.name)
		var e struct {
			Type  string `json:"type"`
			Delta struct {
				Type        string `json:"type"`
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
		}
		decodeJSON(t, []byte(ev.data), &e)
		if e.Type != ev.name {
			t.Errorf("event %q carries type %q", ev.name, e.Type)
		}
		if e.Delta.Type == "input_json_delta" {
			input.WriteString(e.Delta.PartialJSON)
		}
		if ev.name == "message_delta" && e.Delta.StopReason != "tool_use" {
			t.Errorf("stop_reason %q", e.Delta.StopReason)
		}
	}
	got := strings.Join(names, ",")
	if !strings.HasPrefix(got, "message_start,content_block_start,ping,content_block_delta") || !strings.HasSuffix(got, "content_block_stop,message_delta,message_stop") {
		t.Errorf("events %s", got)
	}
	if input.String() != accountClean {
		t.Errorf("streamed input %s", input.String())
	}
}

// TestAnthropicPrefill: a last assistant turn "{" is continued, not
// repeated.
func TestAnthropicPrefill(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1, Profile: Profile{Faults: map[fault.Kind]float64{fault.Fence: 1}}})
	req := anthRequest([]msg{
		{"role": "user", "content": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + accountText},
		{"role": "assistant", "content": "{"}}, "tools", nil, "tool_choice", nil)
	r := post(t, ts, "/v1/messages", req, anthHeaders...)
	var m anthMsg
	decodeJSON(t, r.body, &m)
	if m.StopReason != "end_turn" || len(m.Content) != 1 {
		t.Fatalf("message %s", r.body)
	}
	got, err := extract.Parse([]byte("{" + m.Content[0].Text))
	want, _ := extract.Parse([]byte(accountClean))
	if err != nil || !extract.Equal(got, want) {
		t.Errorf("prefilled answer %q", m.Content[0].Text)
	}
}
