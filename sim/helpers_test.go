package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/sim/fault"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newTest starts a server with cfg on a fake clock (unless cfg has one).
func newTest(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = clock.NewFake(t0)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func post(t *testing.T, ts *httptest.Server, path string, body any, headers ...string) result {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return result{status: -1}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{status: -2, header: resp.Header, body: out}
	}
	return result{status: resp.StatusCode, header: resp.Header, body: out}
}

// completion is the part of a chat completion the tests read.
type completion struct {
	ID      string `json:"id"`
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func decodeCompletion(t *testing.T, r result) completion {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var c completion
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if len(c.Choices) == 0 {
		t.Fatalf("no choices: %s", r.body)
	}
	return c
}

// content is the first choice's text, or its first tool call's arguments.
func (c completion) content() string {
	m := c.Choices[0].Message
	if len(m.ToolCalls) > 0 {
		return m.ToolCalls[0].Function.Arguments
	}
	if m.Content == nil {
		return ""
	}
	return *m.Content
}

type msg = map[string]any

func chatBody(model string, msgs []msg, extra ...any) map[string]any {
	b := map[string]any{"model": model, "messages": msgs}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

type faultKind = fault.Kind

func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

func newRand(i uint64) *rand.Rand { return rand.New(rand.NewPCG(i, 99)) }

func decodeJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func decodeResp(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, data, v)
}
