package gateway_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/gateway"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// maskedUpstreamKey is the upstream key as OpenAI's 401 quotes it: the
// first eight characters, asterisks, the last four.
var maskedUpstreamKey = upstreamKey[:8] + strings.Repeat("*", len(upstreamKey)-12) + upstreamKey[len(upstreamKey)-4:]

// TestEchoedUpstreamKeyIsScrubbed: whatever an upstream echoes — the
// Authorization header in x-request-id, the key or a masked key in an
// error, the model's content, a stream, a model list — neither the key
// nor its masked form reaches the client (headers and body) or the log
// (issue 12, item 5).
func TestEchoedUpstreamKeyIsScrubbed(t *testing.T) {
	echoID := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_1; "+r.Header.Get("Authorization"))
	}
	content := func(c string) string { return answer("k", c, false) }
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		body     string
		upstream http.HandlerFunc
		want     string // what the client gets instead, to show the path was taken
	}{
		{"x-request-id on a retried 500", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			echoID(w, r)
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"boom","type":"server_error"}}`)
		}, "boom"},
		{"x-request-id on a pass-through", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			echoID(w, r)
			io.WriteString(w, content("hello"))
		}, "Bearer [redacted]"},
		{"x-request-id on a schema answer", "POST", "/v1/chat/completions", schemaRequest(""), func(w http.ResponseWriter, r *http.Request) {
			echoID(w, r)
			io.WriteString(w, content(`{"name":"John Doe","age":30,"email":"john@email.com"}`))
		}, "John Doe"},
		{"masked key in a 400", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"Invalid key `+maskedUpstreamKey+` for this project.","type":"invalid_request_error","code":"invalid_value"}}`)
		}, "Invalid key [redacted] for this project."},
		{"whole key in a 400", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"got `+r.Header.Get("Authorization")+`","type":"invalid_request_error"}}`)
		}, "got Bearer [redacted]"},
		{"masked key in a 404, no JSON", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "no route for key "+maskedUpstreamKey)
		}, "no route for key [redacted]"},
		{"key in pass-through content", "POST", "/v1/chat/completions", plainRequest(""), func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, content("your key is "+upstreamKey+" or "+maskedUpstreamKey))
		}, "your key is [redacted] or [redacted]"},
		{"key in a 422's last output", "POST", "/v1/chat/completions", schemaRequest(""), func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, content(`{"name":"`+upstreamKey+`","age":"`+maskedUpstreamKey+`"}`))
		}, `[redacted]`},
		{"key in a valid schema answer", "POST", "/v1/chat/completions", schemaRequest(""), func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, content(`{"name":"`+upstreamKey+`","age":30,"email":"john@email.com"}`))
		}, `[redacted]`},
		{"key in a stream", "POST", "/v1/chat/completions", plainRequest(`,"stream":true`), func(w http.ResponseWriter, r *http.Request) {
			echoID(w, r)
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"`+upstreamKey+`"}}]}`+"\n\n"+
				`data: {"choices":[{"index":0,"delta":{"content":"`+maskedUpstreamKey+`"}}]}`+"\n\ndata: [DONE]\n\n")
		}, `"content":"[redacted]"`},
		{"key in the model list", "GET", "/v1/models", "", func(w http.ResponseWriter, r *http.Request) {
			echoID(w, r)
			io.WriteString(w, `{"object":"list","data":[{"id":"m","object":"model","owned_by":"`+upstreamKey+`"}]}`)
		}, `"owned_by":"[redacted]"`},
		{"masked key in a failed model list", "GET", "/v1/models", "", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"key `+maskedUpstreamKey+`","type":"invalid_request_error"}}`)
		}, "key [redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if w.Header().Get("Content-Type") == "" {
					w.Header().Set("Content-Type", "application/json")
				}
				tc.upstream(w, r)
			})
			var log lockedBuffer
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
				c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
				c.MaxAttempts = 1
				reaskMaxRetries(&c.Reask, 1)
			})
			_, h, b := do(t, gw, tc.method, tc.path, clientKey, tc.body)
			var seen strings.Builder
			for k, vs := range h {
				seen.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
			}
			seen.Write(b)
			for what, text := range map[string]string{"the answer": seen.String(), "the log": log.String()} {
				for _, secret := range []string{upstreamKey, maskedUpstreamKey, upstreamKey[:8] + "***", "****" + upstreamKey[len(upstreamKey)-4:]} {
					if strings.Contains(text, secret) {
						t.Errorf("%s holds %q:\n%s", what, secret, text)
					}
				}
			}
			if !strings.Contains(seen.String(), tc.want) {
				t.Errorf("the answer lacks %q:\n%s", tc.want, seen.String())
			}
		})
	}
}

// TestHeaderCredentialsAreScrubbed: a credential configured as an upstream
// header (Azure's api-key, a token) is scrubbed like the upstream key from
// what the upstream sends back, while ordinary header values are not.
func TestHeaderCredentialsAreScrubbed(t *testing.T) {
	const azureKey, token = "azure-0123456789abcdef", "tok_9876543210"
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_1; "+r.Header.Get("Api-Key"))
		io.WriteString(w, answer("k", "key "+r.Header.Get("Api-Key")+", token "+r.Header.Get("X-Auth-Token")+", team "+r.Header.Get("OpenAI-Organization"), false))
	})
	var log lockedBuffer
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Upstreams[0].Headers = map[string]string{"api-key": azureKey, "X-Auth-Token": "Bearer " + token, "OpenAI-Organization": "org-plainname"}
	})
	_, h, b := call(t, gw, plainRequest(""))
	seen := string(b) + h.Get("X-Request-Id") + log.String()
	for _, secret := range []string{azureKey, token} {
		if strings.Contains(seen, secret) {
			t.Errorf("the answer or the log holds %q:\n%s", secret, seen)
		}
	}
	if want := "key [redacted], token Bearer [redacted], team org-plainname"; !strings.Contains(string(b), want) {
		t.Errorf("the answer lacks %q:\n%s", want, b)
	}
}
