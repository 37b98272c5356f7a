package sim

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

// FuzzChatRequest: any body gets an answer — 200 or an API error — and
// never a panic, on every endpoint.
func FuzzChatRequest(f *testing.F) {
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Extract as JSON: {\"properties\":{\"a\":{\"type\":\"string\"}}} Text: hi"}],"response_format":{"type":"json_object"}}`)
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"n":2}`)
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]},{"role":"tool","tool_call_id":"a","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}}]}`)
	f.Add(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	f.Add(`{"model":"gpt-4o-mini","input":"Text: hi","text":{"format":{"type":"json_schema","name":"a","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}`)
	f.Add(`{"model":"gpt-4o-mini","input":[{"role":"user","content":[{"type":"input_text","text":"Extract as JSON: {\"properties\":{\"a\":{\"type\":\"string\"}}} Text: hi"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{"},{"type":"function_call_output","call_id":"c","output":"x"}],"tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}],"stream":true,"max_output_tokens":16}`)
	f.Add(`{"systemInstruction":{"parts":[{"text":"Extract."}]},"contents":[{"role":"user","parts":[{"text":"Text: hi"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"STRING","nullable":true}}},"maxOutputTokens":4}}`)
	f.Add(`{"contents":[{"parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"x":1}}}]},{"role":"user","parts":[{"function_response":{"name":"f","response":{"error":"x"}}}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object","properties":{"x":{"type":"integer"}}}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`)
	srv, err := New(Config{Clock: clock.NewFake(t0), Profile: Profile{Faults: map[faultKind]float64{"fence": 0.5, "truncated": 0.5, "missing_field": 0.5}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1beta/models/gemini-3-flash:generateContent"} {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
			req.Header.Set("anthropic-version", "2023-06-01")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != 200 && (w.Code < 400 || w.Code > 404) {
				t.Fatalf("%s: status %d for %q: %s", path, w.Code, body, w.Body)
			}
		}
	})
}

// FuzzBatchInput: any batch input file, and any message batch body, gets
// a batch or an API error — never a panic — and a batch runs to its end
// with every line accounted for.
func FuzzBatchInput(f *testing.F) {
	f.Add(batchLineJSON("a", "/v1/chat/completions", accountVariant(1, 0)) + "\n" + batchLineJSON("b", "/v1/chat/completions", msg{"model": "gpt-4o-mini"}))
	f.Add(batchLineJSON("a", "/v1/chat/completions", accountVariant(1, 1)) + "\n" + batchLineJSON("a", "/v1/responses", msg{}) + "\n{")
	f.Add(`{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}}`)
	f.Add(`{"requests":[{"custom_id":"a","params":{"model":"claude-3-5-haiku-latest","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}]}`)
	clk := clock.NewFake(t0)
	p := Profile{Faults: map[faultKind]float64{"fence": 0.5, "missing_field": 0.5}, Batch: fastBatches}
	p.Batch.FailedLines, p.Batch.Expire, p.Batch.MaxLines = 0.3, 0.3, 20
	srv, err := New(Config{Clock: clk, Profile: p})
	if err != nil {
		f.Fatal(err)
	}
	serve := func(t *testing.T, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("anthropic-version", "2023-06-01")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 && (w.Code < 400 || w.Code > 413) {
			t.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body)
		}
		return w
	}
	f.Fuzz(func(t *testing.T, content string) {
		srv.Reset()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("purpose", "batch")
		fw, _ := mw.CreateFormFile("file", "in.jsonl")
		_, _ = fw.Write([]byte(content))
		_ = mw.Close()
		var file, batch struct {
			ID            string                                 `json:"id"`
			OutputFileID  string                                 `json:"output_file_id"`
			ErrorFileID   string                                 `json:"error_file_id"`
			Status        string                                 `json:"status"`
			RequestCounts struct{ Total, Completed, Failed int } `json:"request_counts"`
		}
		w := serve(t, http.MethodPost, "/v1/files", mw.FormDataContentType(), buf.Bytes())
		decodeJSON(t, w.Body.Bytes(), &file)
		for _, endpoint := range []string{"/v1/chat/completions", "/v1/responses"} {
			body, _ := json.Marshal(msg{"input_file_id": file.ID, "endpoint": endpoint, "completion_window": "24h"})
			if w := serve(t, http.MethodPost, "/v1/batches", "application/json", body); w.Code == 200 {
				decodeJSON(t, w.Body.Bytes(), &batch)
				clk.Advance(time.Minute)
				decodeJSON(t, serve(t, http.MethodGet, "/v1/batches/"+batch.ID, "", nil).Body.Bytes(), &batch)
				lines := 0
				for _, id := range []string{batch.OutputFileID, batch.ErrorFileID} {
					if id != "" {
						lines += countLines(serve(t, http.MethodGet, "/v1/files/"+id+"/content", "", nil).Body.Bytes())
					}
				}
				if batch.Status != "failed" && (lines != batch.RequestCounts.Total || batch.RequestCounts.Completed+batch.RequestCounts.Failed != lines) {
					t.Fatalf("%s batch %+v with %d result lines", batch.Status, batch, lines)
				}
			}
		}
		if w := serve(t, http.MethodPost, "/v1/messages/batches", "application/json", []byte(content)); w.Code == 200 {
			decodeJSON(t, w.Body.Bytes(), &batch)
			clk.Advance(time.Minute)
			serve(t, http.MethodGet, "/v1/messages/batches/"+batch.ID+"/results", "", nil)
		}
	})
}
