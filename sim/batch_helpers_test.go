package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

// batchEnv is a server on a fake clock, for the batch APIs' tests.
type batchEnv struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	clk *clock.Fake
}

func newBatchEnv(t *testing.T, cfg Config) *batchEnv {
	t.Helper()
	clk := clock.NewFake(t0)
	cfg.Clock = clk
	srv, ts := newTest(t, cfg)
	return &batchEnv{t: t, srv: srv, ts: ts, clk: clk}
}

// do sends a request and returns the status and the body.
func (e *batchEnv) do(method, path string, body io.Reader, contentType string, headers ...string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// must decodes a 200 answer into v.
func (e *batchEnv) must(status int, data []byte, v any) {
	e.t.Helper()
	if status != http.StatusOK {
		e.t.Fatalf("status %d: %s", status, data)
	}
	if v != nil {
		decodeJSON(e.t, data, v)
	}
}

// upload sends content as a batch input file.
func (e *batchEnv) upload(purpose, content string) (int, []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if purpose != "" {
		_ = mw.WriteField("purpose", purpose)
	}
	fw, err := mw.CreateFormFile("file", "input.jsonl")
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	return e.do(http.MethodPost, "/v1/files", &buf, mw.FormDataContentType())
}

// fileObj and batchObj are what the tests read of the objects.
type fileObj struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Bytes   int    `json:"bytes"`
	Purpose string `json:"purpose"`
}

type batchObj struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Model         string `json:"model"`
	OutputFileID  string `json:"output_file_id"`
	ErrorFileID   string `json:"error_file_id"`
	InProgressAt  *int64 `json:"in_progress_at"`
	ExpiresAt     int64  `json:"expires_at"`
	ExpiredAt     *int64 `json:"expired_at"`
	CancelledAt   *int64 `json:"cancelled_at"`
	RequestCounts struct {
		Total, Completed, Failed int
	} `json:"request_counts"`
	Errors *struct {
		Data []struct {
			Code    string  `json:"code"`
			Message string  `json:"message"`
			Param   *string `json:"param"`
			Line    *int    `json:"line"`
		} `json:"data"`
	} `json:"errors"`
	Usage *struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// submit uploads lines and creates a batch of them on endpoint.
func (e *batchEnv) submit(endpoint string, lines ...string) batchObj {
	e.t.Helper()
	var f fileObj
	st, data := e.upload("batch", strings.Join(lines, "\n")+"\n")
	e.must(st, data, &f)
	var b batchObj
	st, data = e.createBatch(f.ID, endpoint, "24h")
	e.must(st, data, &b)
	return b
}

func (e *batchEnv) createBatch(fileID, endpoint, window string) (int, []byte) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"input_file_id": fileID, "endpoint": endpoint, "completion_window": window})
	return e.do(http.MethodPost, "/v1/batches", bytes.NewReader(body), "application/json")
}

func (e *batchEnv) batch(id string) batchObj {
	e.t.Helper()
	var b batchObj
	st, data := e.do(http.MethodGet, "/v1/batches/"+id, nil, "")
	e.must(st, data, &b)
	return b
}

// outputLine is a line of an output or error file.
type outputLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fileLines downloads file id's lines; an empty id has none.
func (e *batchEnv) fileLines(id string) []outputLine {
	e.t.Helper()
	if id == "" {
		return nil
	}
	st, data := e.do(http.MethodGet, "/v1/files/"+id+"/content", nil, "")
	if st != http.StatusOK {
		e.t.Fatalf("content of %s: %d %s", id, st, data)
	}
	return jsonLines[outputLine](e.t, data)
}

// jsonLines decodes each line of a JSONL file.
func jsonLines[T any](t *testing.T, data []byte) []T {
	t.Helper()
	var out []T
	for line := range bytes.Lines(data) {
		var v T
		decodeJSON(t, line, &v)
		out = append(out, v)
	}
	return out
}

// batchLineJSON writes an input file line.
func batchLineJSON(customID, url string, body any) string {
	b, _ := json.Marshal(map[string]any{"custom_id": customID, "method": "POST", "url": url, "body": body})
	return string(b)
}

// accountVariant is the account request with the age i, so that lines
// differ.
func accountVariant(i int, temp float64) map[string]any {
	text := strings.Replace(accountText, "age 30", fmt.Sprintf("age %d", 20+i), 1)
	return chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + text}},
		"temperature", temp, "response_format", msg{"type": "json_object"})
}

// chatLines writes n account lines for the chat endpoint, custom_ids
// "item-0" to "item-(n-1)".
func chatLines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = batchLineJSON(fmt.Sprintf("item-%d", i), "/v1/chat/completions", accountVariant(i, 0))
	}
	return out
}

// completionContent is a chat completion body's first choice's content.
func completionContent(t *testing.T, body []byte) string {
	t.Helper()
	var c completion
	decodeJSON(t, body, &c)
	if len(c.Choices) == 0 {
		t.Fatalf("no choices: %s", body)
	}
	return c.content()
}

// anthBatchReq is a message batch request.
func anthBatchReq(customID string, params any) msg {
	return msg{"custom_id": customID, "params": params}
}

// accountParams is the account request on the Messages API, age 20+i.
func accountParams(i int) msg {
	text := strings.Replace(accountText, "age 30", fmt.Sprintf("age %d", 20+i), 1)
	return msg{"model": "claude-3-5-haiku-latest", "max_tokens": 1024, "temperature": 0,
		"messages": []msg{{"role": "user", "content": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + text}}}
}

type msgBatchObj struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	ProcessingStatus string `json:"processing_status"`
	RequestCounts    struct {
		Processing, Succeeded, Errored, Canceled, Expired int
	} `json:"request_counts"`
	EndedAt           *string `json:"ended_at"`
	CancelInitiatedAt *string `json:"cancel_initiated_at"`
	ResultsURL        *string `json:"results_url"`
}

func (e *batchEnv) anth(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	return e.do(method, path, r, "application/json", anthHeaders...)
}

func (e *batchEnv) createMsgBatch(reqs ...msg) msgBatchObj {
	e.t.Helper()
	var b msgBatchObj
	st, data := e.anth(http.MethodPost, "/v1/messages/batches", msg{"requests": reqs})
	e.must(st, data, &b)
	return b
}

func (e *batchEnv) msgBatch(id string) msgBatchObj {
	e.t.Helper()
	var b msgBatchObj
	st, data := e.anth(http.MethodGet, "/v1/messages/batches/"+id, nil)
	e.must(st, data, &b)
	return b
}

// msgResult is a line of a message batch's results.
type msgResult struct {
	CustomID string `json:"custom_id"`
	Result   struct {
		Type    string `json:"type"`
		Message *struct {
			ID      string `json:"id"`
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			StopReason string `json:"stop_reason"`
		} `json:"message"`
		Error *struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"error"`
	} `json:"result"`
}

// text is a succeeded result's text.
func (r msgResult) text() string {
	if r.Result.Message == nil || len(r.Result.Message.Content) == 0 {
		return ""
	}
	return r.Result.Message.Content[0].Text
}

// results downloads a message batch's results from its results_url.
func (e *batchEnv) results(b msgBatchObj) []msgResult {
	e.t.Helper()
	if b.ResultsURL == nil {
		e.t.Fatalf("batch %s has no results_url", b.ID)
	}
	path := strings.TrimPrefix(*b.ResultsURL, e.ts.URL)
	if path == *b.ResultsURL {
		e.t.Fatalf("results_url %s is not under %s", *b.ResultsURL, e.ts.URL)
	}
	st, data := e.anth(http.MethodGet, path, nil)
	if st != http.StatusOK {
		e.t.Fatalf("results: %d %s", st, data)
	}
	return jsonLines[msgResult](e.t, data)
}

// fastBatches is a profile's batch section with round durations, for
// tests that step the clock: 1s validating, 10s in progress, 1s
// finalizing, 1s cancelling.
var fastBatches = BatchAPI{Validating: Duration(time.Second), InProgress: Duration(10 * time.Second),
	Finalizing: Duration(time.Second), Cancelling: Duration(time.Second)}
