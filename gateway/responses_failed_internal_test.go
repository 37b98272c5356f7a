package gateway

import (
	"errors"
	"testing"

	"github.com/reask/reask"
)

// A Responses upstream's failed response is classified as its provider
// classifies the error in it, not by the 500 it is given for want of a
// status: a spent quota is not retried as a server error would be.
func TestFailedResponsesAnswerKind(t *testing.T) {
	tests := []struct {
		name string
		body string
		want reask.Kind
	}{
		{"no error object", `{"id":"resp_1","status":"failed"}`, reask.KindServer},
		{"server error", `{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"}}`, reask.KindServer},
		{"quota", `{"id":"resp_1","status":"failed","error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}`, reask.KindQuota},
		{"context length", `{"id":"resp_1","status":"failed","error":{"code":"context_length_exceeded","message":"too long"}}`, reask.KindContextLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readResponsesAnswer([]byte(tc.body))
			var pe *reask.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *reask.ProviderError", err)
			}
			if pe.Kind != tc.want {
				t.Errorf("kind %q, want %q", pe.Kind, tc.want)
			}
		})
	}
}
