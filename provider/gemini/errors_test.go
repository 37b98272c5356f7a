package gemini_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/gemini"
)

// TestErrorKinds: the provider reads each error answer of the Gemini API
// into the kind reask acts on, with the wait a rate limit's RetryInfo asks
// for; reask itself knows no Gemini status or reason. Bodies are the
// API's, ids and numbers aside.
func TestErrorKinds(t *testing.T) {
	const help = `{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]}`
	quota := func(ids ...string) string {
		var vs []string
		for _, id := range ids {
			vs = append(vs, `{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"`+id+`","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"}}`)
		}
		return `{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[` + strings.Join(vs, ",") + `]}`
	}
	retry := func(d string) string {
		return `{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"` + d + `"}`
	}
	exhausted := func(msg string, details ...string) string {
		return `{"error":{"code":429,"message":"` + msg + `","status":"RESOURCE_EXHAUSTED","details":[` + strings.Join(details, ",") + `]}}`
	}
	const over = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   reask.Kind
		code   string
		wait   time.Duration
	}{
		{"per-minute quota with RetryInfo", 429, nil,
			exhausted(over, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), help, retry("39s")),
			reask.KindRateLimit, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 39 * time.Second},
		{"per-minute quota, fractional delay", 429, nil,
			exhausted(over, quota("GenerateContentInputTokensPerModelPerMinute-FreeTier"), retry("0.339209s")),
			reask.KindRateLimit, "GenerateContentInputTokensPerModelPerMinute-FreeTier", 339209 * time.Microsecond},
		{"Retry-After header wins over RetryInfo", 429, map[string]string{"Retry-After": "2"},
			exhausted(over, quota("GenerateRequestsPerMinutePerProjectPerModel"), retry("39s")),
			reask.KindRateLimit, "GenerateRequestsPerMinutePerProjectPerModel", 2 * time.Second},
		{"per-day quota", 429, nil,
			exhausted(over, quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), help, retry("14s")),
			reask.KindQuota, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", 0},
		{"per-minute and per-day quotas, the daily one decides", 429, nil,
			exhausted(over, quota("GenerateContentInputTokensPerModelPerMinute-FreeTier", "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
				"GenerateRequestsPerDayPerProjectPerModel-FreeTier"), help, retry("20s")),
			reask.KindQuota, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", 0},
		{"a quota whose limit is 0", 429, nil,
			exhausted("You exceeded your current quota, please check your plan and billing details.\\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro\\nPlease retry in 25.11s.",
				quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), retry("25s")),
			reask.KindQuota, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 0},
		{"RESOURCE_EXHAUSTED without details", 429, nil,
			`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
			reask.KindRateLimit, "", 0},
		{"503 UNAVAILABLE overloaded", 503, nil,
			`{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`,
			reask.KindServer, "", 0},
		{"500 INTERNAL", 500, nil,
			`{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}`,
			reask.KindServer, "", 0},
		{"504 DEADLINE_EXCEEDED", 504, nil,
			`{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}`,
			reask.KindServer, "", 0},
		{"400 API_KEY_INVALID", 400, nil,
			`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}`,
			reask.KindAuth, "API_KEY_INVALID", 0},
		{"403 PERMISSION_DENIED", 403, nil,
			`{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}`,
			reask.KindAuth, "", 0},
		{"400 INVALID_ARGUMENT", 400, nil,
			`{"error":{"code":400,"message":"* GenerateContentRequest.generation_config.response_schema.properties[email].format: only 'enum' and 'date-time' are supported for STRING type\n","status":"INVALID_ARGUMENT"}}`,
			reask.KindBadRequest, "", 0},
		{"400 input over the model's limit", 400, nil,
			`{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`,
			reask.KindContextLength, "", 0},
		{"400 FAILED_PRECONDITION billing", 400, nil,
			`{"error":{"code":400,"message":"Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.","status":"FAILED_PRECONDITION"}}`,
			reask.KindQuota, "", 0},
		{"404 NOT_FOUND model", 404, nil,
			`{"error":{"code":404,"message":"models/gemini-typo is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}`,
			reask.KindBadRequest, "", 0},
		{"a list holding the error", 503, nil,
			`[{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}]`,
			reask.KindServer, "", 0},
		{"502 from a proxy, not JSON", 502, nil,
			"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
			reask.KindServer, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&server{answers: []answer{{status: tt.status, header: tt.header, body: tt.body}}})
			defer srv.Close()
			p := gemini.NewProvider(gemini.Config{BaseURL: srv.URL, APIKey: "AIza-test-key-0123", Model: "m"})
			_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			var pe *reask.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *reask.ProviderError", err, err)
			}
			if pe.Kind != tt.want || pe.StatusCode != tt.status || pe.Code != tt.code || pe.RetryAfter != tt.wait {
				t.Errorf("kind %q status %d code %q wait %s, want %q %d %q %s (%v)", pe.Kind, pe.StatusCode, pe.Code, pe.RetryAfter,
					tt.want, tt.status, tt.code, tt.wait, pe)
			}
			if got := gemini.Classify(pe); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}
