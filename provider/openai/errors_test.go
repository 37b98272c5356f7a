package openai_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
)

// TestErrorKinds: the provider reads each error answer of OpenAI's error
// codes guide into the kind reask acts on (issue 14): reask itself knows
// no code. Bodies are the API's, ids and numbers aside.
func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   reask.Kind
	}{
		{"insufficient_quota", 429,
			`{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			reask.KindQuota},
		{"rate_limit_exceeded on requests", 429,
			`{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			reask.KindRateLimit},
		{"rate_limit_exceeded on tokens", 429,
			`{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 1200. Please try again in 1.4s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			reask.KindRateLimit},
		{"rate_limit_exceeded: Request too large", 429,
			`{"error":{"message":"Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Requested 45000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			reask.KindBadRequest},
		{"500 server_error", 500,
			`{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`,
			reask.KindServer},
		{"503 overloaded", 503,
			`{"error":{"message":"The engine is currently overloaded, please try again later.","type":"server_error","param":null,"code":null}}`,
			reask.KindServer},
		{"401 invalid_api_key", 401,
			`{"error":{"message":"Incorrect API key provided: sk-proj-****wxyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			reask.KindAuth},
		{"403 unsupported_country_region_territory", 403,
			`{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}`,
			reask.KindAuth},
		{"400 context_length_exceeded", 400,
			`{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			reask.KindContextLength},
		{"404 model_not_found", 404,
			`{"error":{"message":"The model ` + "`gpt-4o-typo`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			reask.KindBadRequest},
		{"400 invalid_request_error", 400,
			`{"error":{"message":"Invalid schema for response_format 'result': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'age'.","type":"invalid_request_error","param":"response_format","code":null}}`,
			reask.KindBadRequest},
		{"502 from a proxy, not JSON", 502,
			"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n",
			reask.KindServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := openai.NewProvider(openai.Config{BaseURL: srv.URL, APIKey: "sk-test", Model: "m"})
			_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			var pe *reask.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *reask.ProviderError", err, err)
			}
			if pe.Kind != tt.want || pe.StatusCode != tt.status {
				t.Errorf("kind %q status %d, want %q %d (%v)", pe.Kind, pe.StatusCode, tt.want, tt.status, pe)
			}
			if got := openai.Classify(pe); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}
