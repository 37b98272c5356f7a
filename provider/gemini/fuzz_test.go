package gemini_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/gemini"
)

// FuzzParseError: any error body gets a classified *reask.ProviderError
// with a kind, never a panic, and a wait only for a rate limit.
func FuzzParseError(f *testing.F) {
	f.Add(429, `{"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"},{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"PerDay"}]}]}}`)
	f.Add(400, `[{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}]`)
	f.Add(503, `<html>`)
	f.Add(429, `{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-1s"}]}}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		pe := gemini.ParseError("gemini/m", status, http.Header{}, []byte(body), time.Unix(0, 0), "AIza-fuzz-key-0123")
		if pe == nil || pe.Kind == "" || pe.StatusCode != status {
			t.Fatalf("%d %q: %+v", status, body, pe)
		}
		if pe.RetryAfter < 0 || pe.RetryAfter > 0 && pe.Kind != reask.KindRateLimit {
			t.Fatalf("%d %q: wait %s for %s", status, body, pe.RetryAfter, pe.Kind)
		}
	})
}

// FuzzPrepareSchema: any schema is rewritten or refused with an error,
// never a panic; what is sent is JSON, and preparing what it sends again
// is accepted and, in the legacy dialect, changes nothing.
func FuzzPrepareSchema(f *testing.F) {
	f.Add(`{"$schema":"x","type":"object","properties":{"a":{"type":["string","null"],"format":"email"}},"additionalProperties":false}`, true)
	f.Add(`{"$defs":{"n":{"type":"object","properties":{"k":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}`, true)
	f.Add(`{"anyOf":[{"type":"null"},{"const":"x"}],"oneOf":[{"enum":[1,null]}]}`, true)
	f.Add(`{"type":"object"}`, false)
	f.Fuzz(func(t *testing.T, in string, legacy bool) {
		d := gemini.DialectJSONSchema
		if legacy {
			d = gemini.DialectLegacy
		}
		out, _, err := gemini.PrepareSchema(json.RawMessage(in), d)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("%q: sent %q, not JSON", in, out)
		}
		again, changes, err := gemini.PrepareSchema(out, d)
		if err != nil {
			t.Fatalf("%q: the rewrite %s is refused: %v", in, out, err)
		}
		if legacy && (string(again) != string(out) || len(changes) > 0) {
			t.Fatalf("%q: rewritten twice: %s then %s (%v)", in, out, again, changes)
		}
	})
}
