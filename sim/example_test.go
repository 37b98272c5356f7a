package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// A simulated provider in a test: point any OpenAI client at ts.URL+"/v1".
func Example() {
	srv, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	body := `{"model": "gpt-4o-mini", "temperature": 0,
	  "response_format": {"type": "json_object"},
	  "messages": [{"role": "user", "content": "Extract user info as JSON:\nSchema: {\"properties\": {\"name\": {\"type\": \"string\"}, \"age\": {\"type\": \"integer\"}, \"email\": {\"type\": \"string\"}}, \"required\": [\"name\", \"age\", \"email\"], \"type\": \"object\"}\nText: Contact John Doe, age 30, at john@email.com\nReturn only JSON."}]}`
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", bytes.NewBufferString(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message      struct{ Content string }
			FinishReason string `json:"finish_reason"`
		}
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, out.Choices[0].FinishReason)
	fmt.Println(out.Choices[0].Message.Content)
	// Output:
	// 200 stop
	// {
	//   "name": "John Doe",
	//   "age": 30,
	//   "email": "john@email.com"
	// }
}

// The Responses API: a json_schema text format, and the answer as the
// response's one output message. A stateless server refuses
// previous_response_id.
func Example_responses() {
	srv, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	body := `{"model": "gpt-4o-mini", "temperature": 0,
	  "instructions": "Extract the person.",
	  "input": "Contact John Doe, age 30, at john@email.com",
	  "text": {"format": {"type": "json_schema", "name": "person", "strict": true, "schema": {"type": "object",
	    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}},
	    "required": ["name", "age", "email"], "additionalProperties": false}}}}`
	resp, err := http.Post(ts.URL+"/v1/responses", "application/json", bytes.NewBufferString(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string
		Output []struct {
			Type    string
			Content []struct{ Type, Text string }
		}
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, out.Status, out.Output[0].Type, out.Output[0].Content[0].Type)
	fmt.Println(out.Output[0].Content[0].Text)

	resp, err = http.Post(ts.URL+"/v1/responses", "application/json",
		bytes.NewBufferString(`{"model": "gpt-4o-mini", "input": "and now?", "previous_response_id": "resp_1"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var refusal struct{ Error struct{ Code, Param string } }
	data, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &refusal); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, refusal.Error.Code, refusal.Error.Param)
	// Output:
	// 200 completed message output_text
	// {"name":"John Doe","age":30,"email":"john@email.com"}
	// 400 previous_response_not_found previous_response_id
}

// A profile that makes every first answer miss a required field, and
// fixes it whenever the feedback names the problem.
func ExampleParseProfile() {
	p, err := sim.ParseProfile([]byte(`{"faults": {"missing_field": 1}, "feedback": {"fix_specific": 1, "fix_generic": 0}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.Faults[fault.MissingField], p.Feedback.FixSpecific)

	_, err = sim.ParseProfile([]byte(`{"faults": {"fence": 1.5}}`))
	fmt.Println(err)
	// Output:
	// custom 1 1
	// sim profile: faults.fence: rate 1.5 outside [0, 1]
}

func ExampleBuiltinProfile() {
	for _, name := range sim.ProfileNames() {
		p, _ := sim.BuiltinProfile(name)
		fmt.Printf("%s: missing_field %.2f, server_error %.2f, fix_specific %.2f\n",
			p.Name, p.Faults[fault.MissingField], p.Transport.ServerError, p.Feedback.FixSpecific)
	}
	// Output:
	// clean: missing_field 0.00, server_error 0.00, fix_specific 1.00
	// flaky: missing_field 0.04, server_error 0.01, fix_specific 0.90
	// hostile: missing_field 0.10, server_error 0.04, fix_specific 0.70
}

// OpenAI's Batch API on a fake clock: upload a JSONL file of requests,
// create a batch, and once it has completed (3 seconds by default) read
// the output file, whose lines come in the order they ran; match them by
// custom_id.
func Example_batch() {
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := sim.New(sim.Config{Seed: 1, Clock: clk})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var file bytes.Buffer
	for _, p := range []struct{ id, text string }{{"ann", "Ann Lee, age 41"}, {"bob", "Bob Stone, age 35"}} {
		line, _ := json.Marshal(map[string]any{"custom_id": p.id, "method": "POST", "url": "/v1/chat/completions",
			"body": map[string]any{"model": "gpt-4o-mini", "temperature": 0, "response_format": map[string]any{"type": "json_object"},
				"messages": []map[string]any{{"role": "user", "content": `Extract as JSON: {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}` + "\nText: " + p.text}}}})
		file.Write(append(line, '\n'))
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("purpose", "batch")
	fw, _ := mw.CreateFormFile("file", "requests.jsonl")
	_, _ = fw.Write(file.Bytes())
	_ = mw.Close()
	var f, b struct {
		ID, Status   string
		OutputFileID string `json:"output_file_id"`
	}
	call := func(method, path, contentType string, body io.Reader, v any) []byte {
		req, _ := http.NewRequest(method, ts.URL+path, body)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if v != nil {
			if err := json.Unmarshal(data, v); err != nil {
				panic(err)
			}
		}
		return data
	}
	call(http.MethodPost, "/v1/files", mw.FormDataContentType(), &form, &f)
	call(http.MethodPost, "/v1/batches", "application/json",
		strings.NewReader(`{"input_file_id": "`+f.ID+`", "endpoint": "/v1/chat/completions", "completion_window": "24h"}`), &b)
	fmt.Println(b.Status)
	clk.Advance(3 * time.Second)
	call(http.MethodGet, "/v1/batches/"+b.ID, "", nil, &b)
	fmt.Println(b.Status)
	out := call(http.MethodGet, "/v1/files/"+b.OutputFileID+"/content", "", nil, nil)
	for line := range bytes.Lines(out) {
		var l struct {
			CustomID string `json:"custom_id"`
			Response struct {
				StatusCode int `json:"status_code"`
				Body       struct {
					Choices []struct{ Message struct{ Content string } }
				}
			}
		}
		if err := json.Unmarshal(line, &l); err != nil {
			panic(err)
		}
		fmt.Println(l.CustomID, l.Response.StatusCode, strings.Join(strings.Fields(l.Response.Body.Choices[0].Message.Content), " "))
	}
	// Output:
	// validating
	// completed
	// bob 200 { "name": "Bob Stone", "age": 35 }
	// ann 200 { "name": "Ann Lee", "age": 41 }
}
