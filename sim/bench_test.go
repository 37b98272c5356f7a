package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/sim/dataset"
	"github.com/reask/reask/sim/extract"
)

func benchServer(b *testing.B, p Profile) *Server {
	srv, err := New(Config{Seed: 1, Profile: p, Clock: clock.NewFake(t0)})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

func benchServe(b *testing.B, srv *Server, body []byte) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkChatSmall is the server's own cost for a small extraction
// request (no network, zero latency): what a gateway benchmark pays per
// request on top of its own work.
func BenchmarkChatSmall(b *testing.B) {
	body, _ := json.Marshal(chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract user info as JSON:\nSchema: " + userInfoSchema + "\nText: Contact John Doe, age 30, at john@email.com\nReturn only JSON."}},
		"temperature", 0, "response_format", msg{"type": "json_object"}))
	benchServe(b, benchServer(b, Profile{}), body)
}

func BenchmarkChatSmallFlaky(b *testing.B) {
	p, _ := BuiltinProfile("flaky")
	p.Latency, p.Transport = Latency{}, Transport{}
	body, _ := json.Marshal(chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Text: " + accountText}}, "temperature", 0,
		"response_format", msg{"type": "json_schema", "json_schema": msg{"name": "account", "schema": rawJSON(accountSchema)}}))
	benchServe(b, benchServer(b, p), body)
}

// BenchmarkChatVaried sends a different order text each time, so nothing
// comes from the answer cache.
func BenchmarkChatVaried(b *testing.B) {
	items := dataset.Generate(256, 1)
	schema, _ := dataset.Schema(dataset.Order)
	var bodies [][]byte
	for _, it := range items {
		if it.Schema != dataset.Order {
			continue
		}
		body, _ := json.Marshal(chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Text:\n" + it.Text}}, "temperature", 0,
			"response_format", msg{"type": "json_schema", "json_schema": msg{"name": "order", "strict": true, "schema": schema}}))
		bodies = append(bodies, body)
	}
	srv := benchServer(b, Profile{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		srv.cache = schemaCache{schemas: srv.cache.schemas}
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(bodies[i%len(bodies)]))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		i++
	}
}

func BenchmarkExtract(b *testing.B) {
	raw, _ := dataset.Schema(dataset.Order)
	s, _ := extract.ParseSchema(raw)
	text := dataset.Generate(3, 1)[2].Text
	b.ReportAllocs()
	for b.Loop() {
		extract.Extract(s, text)
	}
}

// BenchmarkChatSmallUncached is BenchmarkChatSmall with the answer cache
// emptied before every request: the full cost of reading the prompt and
// extracting.
func BenchmarkChatSmallUncached(b *testing.B) {
	body, _ := json.Marshal(chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract user info as JSON:\nSchema: " + userInfoSchema + "\nText: Contact John Doe, age 30, at john@email.com\nReturn only JSON."}},
		"temperature", 0, "response_format", msg{"type": "json_object"}))
	srv := benchServer(b, Profile{})
	b.ReportAllocs()
	for b.Loop() {
		srv.cache.mu.Lock()
		srv.cache.answers = nil
		srv.cache.mu.Unlock()
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
	}
}
