package gateway

import (
	"testing"

	"github.com/reask/reask"
)

func TestUsageOf(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       reask.Usage
	}{
		{"last member", `{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`, reask.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}},
		{"spaces and no total", `{"usage" : {"prompt_tokens":3,"completion_tokens":4} , "x":1}`, reask.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}},
		{"the word in the content", `{"usage":{"prompt_tokens":1,"completion_tokens":1},"choices":[{"message":{"content":"say \"usage\": no"}}]}`, reask.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		{"a key in the content", `{"usage":{"prompt_tokens":2,"completion_tokens":2},"choices":[{"message":{"content":"{\"usage\":5}"}}]}`, reask.Usage{PromptTokens: 2, CompletionTokens: 2, TotalTokens: 4}},
		{"nested details", `{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}},"service_tier":"default"}`, reask.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		{"a string inside", `{"usage":{"prompt_tokens":1,"completion_tokens":2,"note":"}{"}}`, reask.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		{"none", `{"choices":[]}`, reask.Usage{}},
		{"null", `{"usage":null}`, reask.Usage{}},
		{"not JSON", `<html>`, reask.Usage{}},
	} {
		if got := usageOf([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
