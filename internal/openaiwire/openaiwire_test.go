package openaiwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/jsonscan"
)

// FuzzReadAnswer: a chat completion is read as encoding/json decodes it
// into the same struct, wherever encoding/json's own leniencies (names
// matched ignoring case, duplicate names merged) do not apply.
func FuzzReadAnswer(f *testing.F) {
	for _, s := range []string{
		`{"id":"c1","object":"chat.completion","created":17,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"a\":1}","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp"}`,
		`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		`{"choices":[{"message":{"refusal":"no"}}],"usage":null,"created":1.5}`,
		`{"choices":[{}],"usage":{"prompt_tokens":30,"prompt_tokens_details":{"cached_tokens":24,"audio_tokens":0}}}`,
		`{"choices":[{}],"usage":{"prompt_tokens_details":null}}`, `{"choices":[{}],"usage":{"prompt_tokens_details":7}}`,
		`{"choices":[null,{}],"id":5}`, `null`, `[]`, `{"usage":{"total_tokens":-1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Answer
		gotErr := got.Read(data)
		if !jsonscan.PlainNames(data, answerNames) {
			return
		}
		var want Answer
		wantErr := json.Unmarshal(data, &want)
		if wantErr != nil || jsonscan.IsNull(bytes.TrimSpace(data)) {
			if gotErr == nil {
				t.Fatalf("%s: read, while encoding/json says %v", data, wantErr)
			}
			return
		}
		if gotErr != nil {
			t.Fatalf("%s: %v, while encoding/json reads it", data, gotErr)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("%s:\nread         %s\nencoding/json %s", data, g, w)
		}
	})
}

var answerNames = []string{"id", "created", "model", "system_fingerprint", "choices", "usage", "message", "finish_reason",
	"content", "refusal", "tool_calls", "index", "type", "function", "name", "arguments",
	"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "cached_tokens"}

// benchAnswer is an OpenAI chat completion as the simulator writes it.
var benchAnswer = []byte(`{"id":"chatcmpl-c3bdc9ed3fe54a051cc52098","object":"chat.completion","created":1795763193,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{\"name\":\"John Doe\",\"age\":30,\"email\":\"john@email.com\"}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":73,"completion_tokens":14,"total_tokens":87,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_sim"}`)

// BenchmarkReadAnswer is the reading of an upstream's answer, one of the two
// JSON documents on the gateway's hot path.
func BenchmarkReadAnswer(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		var a Answer
		if err := a.Read(benchAnswer); err != nil {
			b.Fatal(err)
		}
	}
}

// Response is the first choice in reask's terms, the total of the usage
// summed when the server left it out; an answer without a choice is
// ErrNoChoices.
func TestResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       reask.Response
		err        error
	}{
		{"content", `{"model":"m","choices":[{"message":{"content":"{}"},"finish_reason":"stop"},{"message":{"content":"second"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}`,
			reask.Response{Content: "{}", FinishReason: "stop", Model: "m", Usage: reask.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}}, nil},
		{"tool call and refusal", `{"choices":[{"message":{"content":null,"refusal":"no","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"total_tokens":9}}`,
			reask.Response{Refusal: "no", FinishReason: "tool_calls", ToolCalls: []reask.ToolCall{{ID: "c", Name: "f", Arguments: `{"a":1}`}}, Usage: reask.Usage{TotalTokens: 9}}, nil},
		{"cached prompt tokens", `{"choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":30,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":24}}}`,
			reask.Response{Content: "{}", Usage: reask.Usage{PromptTokens: 30, CompletionTokens: 2, TotalTokens: 32, CachedPromptTokens: 24}}, nil},
		{"no choices", `{"choices":[]}`, reask.Response{}, ErrNoChoices},
		{"no choices member", `{"id":"x"}`, reask.Response{}, ErrNoChoices},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Answer
			if err := a.Read([]byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			resp, err := a.Response()
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(*resp, tc.want) {
				t.Errorf("response %+v\nwant %+v", *resp, tc.want)
			}
		})
	}
}

// Read refuses what is not a chat completion, saying what is wrong.
func TestReadErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{"choices":[`:                       "unexpected end of JSON input",
		`[]`:                                 "not a JSON object",
		`{"created":"yesterday"}`:            "created has the wrong type",
		`{"choices":[{"message":"hi"}]}`:     "message has the wrong type",
		`{"usage":{"prompt_tokens":"many"}}`: "prompt_tokens has the wrong type",
	} {
		var a Answer
		if err := a.Read([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}
