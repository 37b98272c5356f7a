package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

const geminiModel = "gemini-2.5-flash"

// geminiGateway is a gateway whose one upstream is the simulator's Gemini
// API, serving geminiModel.
func geminiGateway(t *testing.T, p sim.Profile) (*httptest.Server, *recorder) {
	t.Helper()
	up, rec := newSim(t, p)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{{Name: "gemini", BaseURL: up.URL + "/v1beta", APIKey: upstreamKey, API: gateway.APIGemini, Models: []string{geminiModel}}}
	})
	return gw, rec
}

func geminiRequest(body string) string {
	return strings.Replace(body, `"model":"`+model+`"`, `"model":"`+geminiModel+`"`, 1)
}

// TestGeminiUpstream: OpenAI-shaped client requests answered from a Gemini
// upstream — a json_schema response format and a forced tool, re-asked
// until valid, and a request without a schema — each call to
// generateContent with the key in x-goog-api-key.
func TestGeminiUpstream(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		tool       bool
		attempts   int
	}{
		{"json_schema, re-asked", geminiRequest(schemaRequest("")), false, 2},
		{"forced tool, re-asked", geminiRequest(toolRequest("")), true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw, rec := geminiGateway(t, reasked)
			status, h, body := call(t, gw, tc.body)
			if status != 200 {
				t.Fatalf("%d %s", status, body)
			}
			c := decode[completion](t, body)
			msg := c.Choices[0].Message
			doc := ""
			if tc.tool {
				if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "record_person" || *c.Choices[0].FinishReason != "tool_calls" {
					t.Fatalf("answer %s", body)
				}
				doc = msg.ToolCalls[0].Function.Arguments
			} else if msg.Content != nil {
				doc = *msg.Content
			}
			if p := validPerson(t, doc); p.Name != "John Doe" || p.Age != 30 {
				t.Errorf("person %+v", p)
			}
			if header(h, "X-Reask-Attempts") != tc.attempts || c.Model != geminiModel || c.Usage == nil || c.Usage.TotalTokens == 0 {
				t.Errorf("attempts %s, model %q, usage %+v", h.Get("X-Reask-Attempts"), c.Model, c.Usage)
			}
			reqs := rec.requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("%d upstream requests", len(reqs))
			}
			for _, r := range reqs {
				if r.path != "/v1beta/models/"+geminiModel+":generateContent" || r.header.Get("x-goog-api-key") != upstreamKey || r.header.Get("Authorization") != "" {
					t.Errorf("upstream request %s %v", r.path, r.header)
				}
			}
			if strings.Contains(string(body), upstreamKey) {
				t.Error("the upstream key reached the client")
			}
		})
	}
}

// TestGeminiUpstreamPassthrough: a request without a schema is answered
// from generateContent as a chat completion; one the gateway cannot
// translate without a schema (a stream, tools) is refused with 400.
func TestGeminiUpstreamPassthrough(t *testing.T) {
	gw, rec := geminiGateway(t, clean)
	status, _, body := call(t, gw, geminiRequest(plainRequest(`,"temperature":0.2,"max_tokens":50`)))
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	c := decode[completion](t, body)
	if c.Object != "chat.completion" || len(c.Choices) != 1 || c.Choices[0].Message.Content == nil || *c.Choices[0].Message.Content == "" ||
		*c.Choices[0].FinishReason != "stop" || c.Usage == nil {
		t.Errorf("answer %s", body)
	}
	if r := rec.requests(); len(r) != 1 || !strings.Contains(string(r[0].body), `"generationConfig":{"temperature":0.2,"maxOutputTokens":50}`) {
		t.Errorf("upstream requests %d: %s", len(r), r[0].body)
	}
	for _, extra := range []string{`,"stream":true`, `,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`} {
		status, _, body := call(t, gw, geminiRequest(plainRequest(extra)))
		if e := decode[errorBody](t, body); status != 400 || !strings.Contains(e.Error.Message, "a Gemini upstream answers chat completions without streaming or tools") {
			t.Errorf("%s: %d %s", extra, status, body)
		}
	}
}

// TestGeminiUpstreamErrors: the upstream's errors read as Gemini's — a
// spent daily quota is not retried and reaches the client as a 429 naming
// the quota; a refused key is the gateway's credentials, not the client's.
func TestGeminiUpstreamErrors(t *testing.T) {
	gw, rec := geminiGateway(t, sim.Profile{InsufficientQuota: true})
	status, _, body := call(t, gw, geminiRequest(schemaRequest("")))
	e := decode[errorBody](t, body)
	if status != http.StatusTooManyRequests || e.Error.Type != "RESOURCE_EXHAUSTED" || code(e) != "GenerateRequestsPerDayPerProjectPerModel" || len(rec.requests()) != 1 {
		t.Errorf("%d %s after %d upstream requests", status, body, len(rec.requests()))
	}
	up, _ := newSim(t, clean)
	gw2, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{{Name: "gemini", BaseURL: up.URL + "/v1beta", APIKey: "AIza-wrong-key-0123", API: gateway.APIGemini}}
	})
	status, _, body = call(t, gw2, geminiRequest(schemaRequest("")))
	if e := decode[errorBody](t, body); status != 400 || !strings.Contains(e.Error.Message, "The upstream refused the gateway's credentials") {
		t.Errorf("a wrong upstream key: %d %s", status, body)
	}
	if status, _, body := do(t, gw2, http.MethodGet, "/v1/models", clientKey, ""); status != 200 || !strings.Contains(string(body), `"data":[]`) {
		t.Errorf("GET /v1/models with a catch-all Gemini upstream: %d %s", status, body)
	}
}

// TestGeminiUpstreamConfig: "api": "gemini" in the configuration file.
func TestGeminiUpstreamConfig(t *testing.T) {
	c, err := gateway.ParseConfig([]byte(`{"upstreams":[{"name":"g","base_url":"https://generativelanguage.googleapis.com/v1beta","api":"gemini","api_key_env":"GEMINI_API_KEY","models":["gemini-2.5-flash"]}]}`),
		func(k string) string { return map[string]string{"GEMINI_API_KEY": "AIza-0123456789"}[k] })
	if err != nil || c.Upstreams[0].API != gateway.APIGemini || c.Upstreams[0].APIKey != "AIza-0123456789" {
		t.Fatalf("%+v %v", c.Upstreams, err)
	}
	_, err = gateway.ParseConfig([]byte(`{"upstreams":[{"name":"g","base_url":"https://x.example/v1","api":"vertex"}]}`), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), `upstreams[0].api: "vertex": want chat (the default), responses or gemini`) {
		t.Errorf("error %v", err)
	}
}
