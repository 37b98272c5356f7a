package openai_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/provider/openai"
)

func TestRequestCarriesHeaders(t *testing.T) {
	var got map[string]any
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			t.Errorf("path %s", r.URL.Path)
		}
		hdr = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
		w.Header().Set("x-request-id", "req_1")
		w.Header().Set("x-ratelimit-remaining-requests", "9")
		io.WriteString(w, `{"model":"m","choices":[{"message":{"content":"{}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`)
	}))
	defer srv.Close()
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL + "/v1/", APIKey: "sk-secret", Model: "m",
		Headers: map[string]string{"X-Route": "eu"}})
	resp, err := p.Complete(t.Context(), &reask.Request{
		Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Get("Authorization") != "Bearer sk-secret" || hdr.Get("X-Route") != "eu" {
		t.Errorf("headers %v", hdr)
	}
	if got["model"] != "m" {
		t.Errorf("model %v, want the configured m", got["model"])
	}
	if resp.RequestID != "req_1" || resp.Usage.TotalTokens != 5 || !resp.RateLimit.Requests.HasRemaining || resp.RateLimit.Requests.Remaining != 9 {
		t.Errorf("response %+v", resp)
	}
}

func TestSecretsStayOut(t *testing.T) {
	cfg := openai.Config{APIKey: "sk-very-secret", Model: "m"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{buf.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), fmt.Sprint(cfg.APIKey)} {
		if strings.Contains(s, "sk-very-secret") {
			t.Errorf("secret leaked: %s", s)
		}
	}
	b, _ := json.Marshal(struct{ Key reask.Secret }{cfg.APIKey})
	if strings.Contains(string(b), "sk-very-secret") {
		t.Errorf("secret leaked in JSON: %s", b)
	}
}

func TestResponseLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"choices":[{"message":{"content":"`+strings.Repeat("x", 2000)+`"}}]}`)
	}))
	defer srv.Close()
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m", MaxResponseBytes: 1000})
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
	if err == nil || !strings.Contains(err.Error(), "1000-byte limit") {
		t.Fatalf("error %v", err)
	}
}

func TestMalformedAnswers(t *testing.T) {
	for _, body := range []string{`not json`, `{"choices":[]}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
		p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m"})
		_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "unreadable body") {
			t.Errorf("%s: error %v", body, err)
		}
	}
}

func TestEchoedKeyIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"bad key `+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`","type":"invalid_request_error"}}`)
	}))
	defer srv.Close()
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL, APIKey: "sk-echoed-secret", Model: "m"})
	_, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
	if err == nil || strings.Contains(err.Error(), "sk-echoed-secret") || !strings.Contains(err.Error(), "bad key [redacted]") {
		t.Errorf("error %v", err)
	}
}

// TestEchoedKeyIsScrubbed: a key the server echoes — whole or masked as
// OpenAI's 401 quotes it, in an error, a request id or the content —
// reaches neither the error nor the response (issue 12, item 5).
func TestEchoedKeyIsScrubbed(t *testing.T) {
	const key = "sk-proj-Ab12Cd34Ef56Gh78Ij90wxyz"
	masked := key[:8] + strings.Repeat("*", len(key)-12) + key[len(key)-4:]
	for _, tc := range []struct {
		name, status, body string
	}{
		{"masked in a 400", "400", `{"error":{"message":"Incorrect API key provided: ` + masked + `.","type":"invalid_request_error"}}`},
		{"masked in a 404 that is not JSON", "404", "no such key " + masked},
		{"whole in a 500", "500", `{"error":{"message":"` + key + `","type":"server_error"}}`},
		{"in the content", "200", `{"choices":[{"message":{"content":"the key is ` + key + ` (` + masked + `)"},"finish_reason":"stop"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-request-id", "req_1 "+r.Header.Get("Authorization"))
				code := map[string]int{"200": 200, "400": 400, "404": 404, "500": 500}[tc.status]
				w.WriteHeader(code)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			p := openai.NewProvider(openai.Config{BaseURL: srv.URL, APIKey: key, Model: "m"})
			resp, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
			text := fmt.Sprintf("%v %+v", err, resp)
			for _, secret := range []string{key, masked, key[:8] + "***"} {
				if strings.Contains(text, secret) {
					t.Fatalf("%q reached the caller: %s", secret, text)
				}
			}
			if !strings.Contains(text, "[redacted]") {
				t.Errorf("nothing redacted: %s", text)
			}
		})
	}
}

// The provider reads an answer with the gateway's decoder
// (internal/openaiwire): the same response for the same body, and the
// same error for an answer without a choice.
func TestAnswerIsReadAsTheGatewayReadsIt(t *testing.T) {
	for _, body := range []string{
		`{"id":"c","created":17,"model":"m","choices":[{"message":{"content":"{}","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4},"system_fingerprint":"fp"}`,
		`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		`{"choices":[]}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
		p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m"})
		got, err := p.Complete(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}})
		srv.Close()
		var a openaiwire.Answer
		if rerr := a.Read([]byte(body)); rerr != nil {
			t.Fatal(rerr)
		}
		want, werr := a.Response()
		if werr != nil {
			if !errors.Is(err, werr) {
				t.Errorf("%s: error %v, want one matching %v", body, err, werr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		got.RateLimit, got.RequestID = want.RateLimit, want.RequestID
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\nprovider %+v\ngateway  %+v", body, got, want)
		}
	}
}
