package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/responsesapi"
	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// respBody is a Responses request for model gpt-4o-mini at temperature 0.
func respBody(input any, extra ...any) map[string]any {
	b := map[string]any{"model": "gpt-4o-mini", "input": input, "temperature": 0}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

func schemaFormat(strict bool) msg {
	return msg{"format": msg{"type": "json_schema", "name": "account", "schema": rawJSON(accountSchema), "strict": strict}}
}

func saveTool(strict any) []msg {
	t := msg{"type": "function", "name": "save_account", "description": "Save the account.", "parameters": rawJSON(accountSchema)}
	if strict != nil {
		t["strict"] = strict
	}
	return []msg{t}
}

func decodeResponse(t *testing.T, r result) responsesapi.Response {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var resp responsesapi.Response
	decodeJSON(t, r.body, &resp)
	if len(resp.Output) != 1 {
		t.Fatalf("output %s", r.body)
	}
	return resp
}

// answer is the response's output text, or its function call's arguments.
func answer(resp responsesapi.Response) string {
	it := resp.Output[0]
	if it.Type == responsesapi.ItemFunctionCall {
		return it.Arguments
	}
	if len(it.Content.Parts) == 0 {
		return ""
	}
	return it.Content.Parts[0].Text
}

func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	g, err := extract.Parse([]byte(got))
	w, _ := extract.Parse([]byte(want))
	return err == nil && extract.Equal(g, w)
}

// TestResponsesShapes sends one request per shape of the Responses API and
// checks the response object a client reads.
func TestResponsesShapes(t *testing.T) {
	userParts := []msg{{"role": "user", "content": []msg{{"type": "input_text", "text": "Text: " + accountText}}}}
	tests := []struct {
		name     string
		body     map[string]any
		item     string // output item type
		strict   bool   // the tool's strict, as echoed
		wantText string // the exact text, when formatting is fixed
	}{
		{"string input, json_schema", respBody("Text: "+accountText, "text", schemaFormat(true)), responsesapi.ItemMessage, false, accountClean},
		{"items with instructions, json_schema", respBody(userParts, "instructions", "Extract the account.", "text", schemaFormat(false)), responsesapi.ItemMessage, false, accountClean},
		{"developer message, json_object", respBody([]msg{{"role": "developer", "content": "Extract the account as JSON.\nSchema: " + accountSchema}, {"role": "user", "content": "Text: " + accountText}},
			"text", msg{"format": msg{"type": "json_object"}}), responsesapi.ItemMessage, false, ""},
		{"forced function tool", respBody(userParts, "tools", saveTool(nil), "tool_choice", msg{"type": "function", "name": "save_account"}), responsesapi.ItemFunctionCall, true, accountClean},
		{"required tool, strict false", respBody(userParts, "tools", saveTool(false), "tool_choice", "required"), responsesapi.ItemFunctionCall, false, accountClean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTest(t, Config{Seed: 1})
			r := post(t, ts, "/v1/responses", tt.body)
			resp := decodeResponse(t, r)
			if resp.Object != "response" || !strings.HasPrefix(resp.ID, "resp_") || resp.Status != "completed" || resp.CompletedAt == nil ||
				resp.IncompleteDetails != nil || resp.Error != nil || resp.Model != "gpt-4o-mini" || resp.CreatedAt != t0.Unix() {
				t.Errorf("response %s", r.body)
			}
			if r.header.Get("x-request-id") == "" {
				t.Errorf("headers %v", r.header)
			}
			it := resp.Output[0]
			if it.Type != tt.item || it.Status != "completed" {
				t.Fatalf("item %+v", it)
			}
			switch it.Type {
			case responsesapi.ItemMessage:
				if !strings.HasPrefix(it.ID, "msg_") || it.Role != "assistant" || len(it.Content.Parts) != 1 || it.Content.Parts[0].Type != "output_text" {
					t.Errorf("message %s", r.body)
				}
				if !strings.Contains(string(r.body), `"annotations":[]`) {
					t.Errorf("no annotations: %s", r.body)
				}
			case responsesapi.ItemFunctionCall:
				if !strings.HasPrefix(it.ID, "fc_") || !strings.HasPrefix(it.CallID, "call_") || it.Name != "save_account" {
					t.Errorf("function call %+v", it)
				}
				if len(resp.Tools) != 1 || resp.Tools[0].Strict == nil || *resp.Tools[0].Strict != tt.strict || resp.Tools[0].Name != "save_account" {
					t.Errorf("tools echoed %s", r.body)
				}
			}
			got := answer(resp)
			if tt.wantText != "" && got != tt.wantText {
				t.Errorf("answer %s, want %s", got, tt.wantText)
			}
			if !sameJSON(t, got, accountClean) {
				t.Errorf("answer %s is not the account", got)
			}
			u := resp.Usage
			if u == nil || u.InputTokens == 0 || u.OutputTokens == 0 || u.TotalTokens != u.InputTokens+u.OutputTokens {
				t.Errorf("usage %+v", u)
			}
			if strings.Contains(string(r.body), `"output_text":`) {
				t.Errorf("output_text is an SDK convenience, not on the wire: %s", r.body)
			}
		})
	}
}

// TestResponsesEchoesSettings: the response object carries the request's
// settings with the API's defaults, as the SDKs read them.
func TestResponsesEchoesSettings(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	r := post(t, ts, "/v1/responses", respBody("Text: "+accountText, "text", schemaFormat(true), "instructions", "Be exact.",
		"max_output_tokens", 500, "store", true, "metadata", msg{"k": "v"}, "include", []string{"reasoning.encrypted_content"}))
	var got map[string]any
	decodeJSON(t, r.body, &got)
	want := map[string]any{
		"instructions": "Be exact.", "max_output_tokens": 500.0, "temperature": 0.0, "top_p": 1.0, "parallel_tool_calls": true,
		"tool_choice": "auto", "tools": []any{}, "truncation": "disabled", "store": false, "previous_response_id": nil,
		"metadata": map[string]any{"k": "v"}, "service_tier": "default", "background": false, "error": nil, "user": nil,
		"reasoning": map[string]any{"effort": nil, "summary": nil},
		"text":      map[string]any{"format": map[string]any{"type": "json_schema", "name": "account", "schema": got["text"].(map[string]any)["format"].(map[string]any)["schema"], "strict": true}, "verbosity": "medium"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

// TestResponsesRefusals: what the Responses API refuses, with OpenAI's
// error shape — including what a stateless server cannot honour.
func TestResponsesRefusals(t *testing.T) {
	user := msg{"role": "user", "content": "Text: " + accountText}
	call := msg{"type": "function_call", "call_id": "call_1", "name": "save_account", "arguments": "{}"}
	tests := []struct {
		name   string
		body   any
		status int
		param  string
		code   string
		msg    string
	}{
		{"previous_response_id", respBody("hi", "previous_response_id", "resp_123"), 400, "previous_response_id", "previous_response_not_found", "Previous response with id 'resp_123' not found"},
		{"conversation", respBody("hi", "conversation", "conv_1"), 400, "conversation", "", "stores no responses"},
		{"background", respBody("hi", "background", true), 400, "background", "", "Background mode"},
		{"item reference", respBody([]msg{{"type": "item_reference", "id": "msg_1"}, user}), 400, "input[0]", "", "Item with id 'msg_1' not found"},
		{"bare item reference", respBody([]msg{{"id": "msg_1"}, user}), 400, "input[0]", "", "Item with id 'msg_1' not found"},
		{"unknown parameter", respBody("hi", "seed", 1), 400, "seed", "unknown_parameter", "Unknown parameter: 'seed'."},
		{"chat parameter", respBody("hi", "response_format", msg{"type": "json_object"}), 400, "response_format", "unknown_parameter", "Unknown parameter"},
		{"no model", map[string]any{"input": "hi"}, 400, "model", "missing_required_parameter", "'model'"},
		{"no input", map[string]any{"model": "m"}, 400, "input", "missing_required_parameter", "'input'"},
		{"empty input", respBody([]msg{}), 400, "input", "empty_array", "empty array"},
		{"input of the wrong type", respBody(msg{"role": "user"}), 400, "input", "invalid_type", "expected a string or an array of input items, but got an object"},
		{"content of the wrong type", respBody([]msg{{"role": "user", "content": 5}}), 400, "input[0].content", "invalid_type", "Invalid type for 'input[0].content'"},
		{"bad role", respBody([]msg{{"role": "tool", "content": "x"}}), 400, "input[0].role", "invalid_value", "Supported values are: 'assistant', 'system', 'developer', and 'user'."},
		{"assistant input_text", respBody([]msg{user, {"role": "assistant", "content": []msg{{"type": "input_text", "text": "{}"}}}, user}), 400, "input[1].content[0].type", "invalid_value", "'output_text' and 'refusal'"},
		{"user output_text", respBody([]msg{{"role": "user", "content": []msg{{"type": "output_text", "text": "x"}}}}), 400, "input[0].content[0].type", "invalid_value", "'input_text'"},
		{"call without output", respBody([]msg{user, call}, "tools", saveTool(nil)), 400, "input", "", "No tool output found for function call call_1."},
		{"output without call", respBody([]msg{user, {"type": "function_call_output", "call_id": "call_9", "output": "x"}}), 400, "input", "", "No tool call found for function call output with call_id call_9."},
		{"hosted tool call item", respBody([]msg{{"type": "web_search_call", "id": "ws_1", "status": "completed"}, user}), 400, "input[0].type", "invalid_value", "not supported by this server"},
		{"json_object without json", respBody("Text: "+accountText, "text", msg{"format": msg{"type": "json_object"}}), 400, "input", "", "must contain the word 'json'"},
		{"json_schema without name", respBody("hi", "text", msg{"format": msg{"type": "json_schema", "schema": rawJSON(accountSchema)}}), 400, "text.format.name", "missing_required_parameter", ""},
		{"json_schema without schema", respBody("hi", "text", msg{"format": msg{"type": "json_schema", "name": "a"}}), 400, "text.format.schema", "missing_required_parameter", ""},
		{"strict schema not strict", respBody("hi", "text", msg{"format": msg{"type": "json_schema", "name": "a", "strict": true, "schema": msg{"type": "object", "properties": msg{"a": msg{"type": "string"}}}}}), 400, "text.format.schema", "invalid_json_schema", ""},
		{"bad format type", respBody("hi", "text", msg{"format": msg{"type": "xml"}}), 400, "text.format.type", "invalid_value", ""},
		{"max_output_tokens below 16", respBody("hi", "max_output_tokens", 15), 400, "max_output_tokens", "integer_below_min_value", "Expected a value >= 16, but got 15 instead."},
		{"temperature above 2", respBody("hi", "temperature", 2.5), 400, "temperature", "decimal_above_max_value", ""},
		{"hosted tool", respBody("hi", "tools", []msg{{"type": "web_search"}}), 400, "tools[0].type", "invalid_value", "function tools"},
		{"nested chat tool", respBody("hi", "tools", []msg{{"type": "function", "function": msg{"name": "f"}}}), 400, "tools[0].name", "missing_required_parameter", ""},
		{"named tool not in tools", respBody("hi", "tools", saveTool(nil), "tool_choice", msg{"type": "function", "name": "other"}), 400, "tool_choice", "", "function 'other' not found"},
		{"required without tools", respBody("hi", "tool_choice", "required"), 400, "tool_choice", "", "'tools'"},
		{"bad tool choice", respBody("hi", "tools", saveTool(nil), "tool_choice", "always"), 400, "tool_choice", "invalid_value", ""},
		{"not JSON", "{", 400, "", "", "could not parse the JSON body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := newTest(t, Config{Seed: 1})
			r := post(t, ts, "/v1/responses", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			var e struct {
				Error apiError `json:"error"`
			}
			decodeJSON(t, r.body, &e)
			if e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("error %+v, want a message with %q", e.Error, tt.msg)
			}
			if got := deref(e.Error.Param); got != tt.param {
				t.Errorf("param %q, want %q (%s)", got, tt.param, e.Error.Message)
			}
			if got := deref(e.Error.Code); got != tt.code {
				t.Errorf("code %q, want %q (%s)", got, tt.code, e.Error.Message)
			}
			if st := srv.Stats(); st.ByStatus[tt.status] != 1 || st.Completions != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestResponsesRoutes: a stored response cannot be fetched, the endpoint
// takes only POST, and Config.Models restricts it like the chat endpoint.
func TestResponsesRoutes(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1, Models: []string{"sim-1"}})
	resp, err := ts.Client().Get(ts.URL + "/v1/responses/resp_1")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error apiError }
	decodeResp(t, resp, &e)
	if resp.StatusCode != 404 || !strings.Contains(e.Error.Message, "Response with id 'resp_1' not found") {
		t.Errorf("GET a response: %d %+v", resp.StatusCode, e.Error)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/responses")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /v1/responses: %d", resp.StatusCode)
	}
	r := post(t, ts, "/v1/responses", respBody("hi"))
	if r.status != 400 || !contains(r.body, `"code":"model_not_found"`) || !contains(r.body, "sim-1") {
		t.Errorf("unknown model: %d %s", r.status, r.body)
	}
	body := respBody("hi")
	body["model"] = "sim-1"
	if r := post(t, ts, "/v1/responses", body); r.status != 200 {
		t.Errorf("served model: %d %s", r.status, r.body)
	}
}

// TestResponsesTruncation: an answer cut by max_output_tokens, or by the
// truncation fault, is "incomplete" for max_output_tokens.
func TestResponsesTruncation(t *testing.T) {
	tests := []struct {
		name    string
		profile Profile
		body    map[string]any
		tokens  int // output tokens, when fixed
	}{
		{"max_output_tokens", Profile{}, respBody("Text: "+accountText, "text", schemaFormat(true), "max_output_tokens", 16), 16},
		{"truncation fault", Profile{Faults: map[fault.Kind]float64{fault.Truncated: 1}}, respBody("Text: "+accountText, "text", schemaFormat(true)), 0},
		{"function call cut", Profile{}, respBody("Text: "+accountText, "tools", saveTool(nil), "max_output_tokens", 16), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTest(t, Config{Seed: 3, Profile: tt.profile})
			resp := decodeResponse(t, post(t, ts, "/v1/responses", tt.body))
			if resp.Status != "incomplete" || resp.IncompleteDetails == nil || resp.IncompleteDetails.Reason != "max_output_tokens" || resp.CompletedAt != nil {
				t.Errorf("status %q, details %+v", resp.Status, resp.IncompleteDetails)
			}
			if resp.Output[0].Status != "incomplete" {
				t.Errorf("item status %q", resp.Output[0].Status)
			}
			got := answer(resp)
			if got == "" || sameJSON(t, got, accountClean) || !strings.HasPrefix(accountClean, got) && tt.name != "truncation fault" {
				t.Errorf("answer %q is not a cut account", got)
			}
			if tt.tokens > 0 && resp.Usage.OutputTokens != tt.tokens {
				t.Errorf("output tokens %d, want %d", resp.Usage.OutputTokens, tt.tokens)
			}
		})
	}
}

// TestResponsesDeterminism: at temperature 0 the same request gets the
// same answer, faults included; the chat endpoint's conversation with the
// same messages gets the same faults.
func TestResponsesDeterminism(t *testing.T) {
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 0.5, fault.TrailingComma: 0.5, fault.NumberAsString: 0.5}}
	prompt := "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + accountText
	_, ts := newTest(t, Config{Seed: 11, Profile: p})
	body := respBody(prompt, "text", msg{"format": msg{"type": "json_object"}})
	a := answer(decodeResponse(t, post(t, ts, "/v1/responses", body)))
	b := answer(decodeResponse(t, post(t, ts, "/v1/responses", body)))
	if a != b {
		t.Errorf("retry changed the answer:\n%s\n%s", a, b)
	}
	chat := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest())).content()
	if chat != a {
		t.Errorf("chat answered %s, responses %s", chat, a)
	}
	// above temperature 0 the samples differ
	body["temperature"] = 1
	seen := map[string]bool{}
	for range 8 {
		seen[answer(decodeResponse(t, post(t, ts, "/v1/responses", body)))] = true
	}
	if len(seen) < 2 {
		t.Errorf("8 samples at temperature 1 gave %d answers", len(seen))
	}
}

// respFixRate is fixRate for the Responses API: the first answer, replayed
// as the assistant's output item, then a user turn with the feedback.
func respFixRate(t *testing.T, k fault.Kind, seeds int, feedback func(f fault.Fault) string) float64 {
	t.Helper()
	s, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{k: 1}, Feedback: Feedback{FixSpecific: 0.9, FixGeneric: 0.15}}
	user := msg{"role": "user", "content": []msg{{"type": "input_text", "text": "Text: " + accountText}}}
	fixed := 0
	for seed := range int64(seeds) {
		_, ts := newTest(t, Config{Seed: seed, Profile: p})
		first := decodeResponse(t, post(t, ts, "/v1/responses", respBody([]msg{user}, "text", schemaFormat(false))))
		faults := fault.Classify(answer(first), clean, s)
		if len(faults) != 1 {
			t.Fatalf("seed %d: first answer %s faults %v", seed, answer(first), faults)
		}
		replay, _ := json.Marshal(first.Output[0])
		input := []any{user, json.RawMessage(replay), msg{"role": "user", "content": feedback(faults[0])}}
		second := decodeResponse(t, post(t, ts, "/v1/responses", respBody(input, "text", schemaFormat(false))))
		if len(fault.Classify(answer(second), clean, s)) == 0 {
			fixed++
		}
	}
	return float64(fixed) / float64(seeds)
}

// TestResponsesFeedback: the reaction to feedback is the chat endpoint's —
// named problems are fixed about 90% of the time, generic feedback about
// 15%.
func TestResponsesFeedback(t *testing.T) {
	const n = 200
	tests := []struct {
		name     string
		kind     fault.Kind
		feedback func(fault.Fault) string
		lo, hi   float64
	}{
		{"missing/field named", fault.MissingField, func(f fault.Fault) string {
			return "1 validation error for Account\n" + field(f) + "\n  Field required [type=missing]"
		}, 0.84, 0.96},
		{"missing/generic", fault.MissingField, func(fault.Fault) string { return "invalid, try again" }, 0.08, 0.23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate := respFixRate(t, tt.kind, n, tt.feedback)
			t.Logf("fixed %.3f", rate)
			if rate < tt.lo || rate > tt.hi {
				t.Errorf("fixed %.2f of %d, want within [%.2f, %.2f]", rate, n, tt.lo, tt.hi)
			}
		})
	}
}

// TestResponsesFeedbackThroughToolOutput: with a function tool, the re-ask
// is the function_call replayed and a function_call_output carrying the
// feedback; the named fault is fixed.
func TestResponsesFeedbackThroughToolOutput(t *testing.T) {
	s, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{fault.NullField: 1}, Feedback: Feedback{FixSpecific: 1, FixGeneric: 0}}
	_, ts := newTest(t, Config{Seed: 2, Profile: p})
	user := msg{"role": "user", "content": "Text: " + accountText}
	// strict false: a strict tool's arguments follow the schema
	first := decodeResponse(t, post(t, ts, "/v1/responses", respBody([]msg{user}, "tools", saveTool(false), "tool_choice", "required")))
	call := first.Output[0]
	faults := fault.Classify(call.Arguments, clean, s)
	if call.Type != "function_call" || len(faults) != 1 || faults[0].Kind != fault.NullField {
		t.Fatalf("first call %+v: %v", call, faults)
	}
	input := []any{user, call, msg{"type": "function_call_output", "call_id": call.CallID, "output": "error: " + faults[0].Path + " must not be null"}}
	second := decodeResponse(t, post(t, ts, "/v1/responses", respBody(input, "tools", saveTool(false), "tool_choice", "required")))
	if got := fault.Classify(answer(second), clean, s); len(got) != 0 {
		t.Errorf("second arguments %s still show %v", answer(second), got)
	}
	// a strict tool (strict omitted, the schema allows it) shows no such fault
	strict := decodeResponse(t, post(t, ts, "/v1/responses", respBody([]msg{user}, "tools", saveTool(nil))))
	if got := answer(strict); got != accountClean {
		t.Errorf("strict tool arguments %s", got)
	}
}

// TestResponsesTransportFaults: the chat endpoint's transport faults, in
// OpenAI's shape, on the Responses endpoint.
func TestResponsesTransportFaults(t *testing.T) {
	tests := []struct {
		name      string
		transport Transport
		status    int
		contains  string
		header    string
	}{
		{"rate_limited", Transport{RateLimited: 1}, 429, `"code":"rate_limit_exceeded"`, "retry-after"},
		{"server_error", Transport{ServerError: 1}, 500, `"type":"server_error"`, ""},
		{"bad_gateway", Transport{BadGateway: 1}, 502, "<title>502 Bad Gateway</title>", ""},
		{"unavailable", Transport{Unavailable: 1}, 503, "overloaded", ""},
		{"drop", Transport{Drop: 1}, -1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := newTest(t, Config{Seed: 1, Profile: Profile{Transport: tt.transport}})
			r := post(t, ts, "/v1/responses", respBody("Text: "+accountText, "text", schemaFormat(true)))
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if !strings.Contains(string(r.body), tt.contains) {
				t.Errorf("body %s lacks %s", r.body, tt.contains)
			}
			if tt.header != "" && r.header.Get(tt.header) == "" {
				t.Errorf("no %s header", tt.header)
			}
			if srv.Stats().Transport[tt.name] != 1 {
				t.Errorf("stats %+v", srv.Stats().Transport)
			}
		})
	}
}

// TestResponsesSharesTheLimiter: one rate limiter serves every endpoint,
// and the Responses endpoint's 429 carries OpenAI's headers.
func TestResponsesSharesTheLimiter(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Seed: 1, Clock: fc, RPM: 2})
	if r := post(t, ts, "/v1/chat/completions", accountRequest()); r.status != 200 {
		t.Fatalf("chat: %d", r.status)
	}
	body := respBody("Text: "+accountText, "text", schemaFormat(true))
	r := post(t, ts, "/v1/responses", body)
	if r.status != 200 || r.header.Get("x-ratelimit-remaining-requests") != "0" || r.header.Get("x-ratelimit-limit-requests") != "2" {
		t.Fatalf("second request: %d %v", r.status, r.header)
	}
	r = post(t, ts, "/v1/responses", body)
	if r.status != 429 || !contains(r.body, `"code":"rate_limit_exceeded"`) || !contains(r.body, "requests per min (RPM): Limit 2") {
		t.Fatalf("third request: %d %s", r.status, r.body)
	}
	if r.header.Get("retry-after") == "" || r.header.Get("retry-after-ms") == "" || r.header.Get("x-ratelimit-reset-requests") == "" {
		t.Errorf("429 headers %v", r.header)
	}
	fc.Advance(time.Minute)
	if r := post(t, ts, "/v1/responses", body); r.status != 200 {
		t.Errorf("after a minute: %d", r.status)
	}
}

// TestResponsesOutageAndQuota: outages and an exhausted quota answer the
// Responses endpoint as they answer the chat endpoint.
func TestResponsesOutageAndQuota(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, Profile: Profile{Outages: []Outage{{Start: 0, Duration: Duration(time.Minute)}}}})
	if r := post(t, ts, "/v1/responses", respBody("hi")); r.status != 503 || !contains(r.body, `"type":"server_error"`) {
		t.Errorf("outage: %d %s", r.status, r.body)
	}
	_, ts = newTest(t, Config{Profile: Profile{InsufficientQuota: true}})
	if r := post(t, ts, "/v1/responses", respBody("hi")); r.status != 429 || !contains(r.body, `"code":"insufficient_quota"`) {
		t.Errorf("quota: %d %s", r.status, r.body)
	}
	_, ts = newTest(t, Config{APIKey: "k"})
	if r := post(t, ts, "/v1/responses", respBody("hi")); r.status != 401 || !contains(r.body, `"code":"invalid_api_key"`) {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	if r := post(t, ts, "/v1/responses", respBody("hi"), "Authorization", "Bearer k"); r.status != 200 {
		t.Errorf("key: %d %s", r.status, r.body)
	}
}

// readEvents parses a Responses stream: every event is named by an
// "event:" line equal to its data's type, and numbered from 0.
func readEvents(t *testing.T, body []byte) []responsesapi.Event {
	t.Helper()
	var out []responsesapi.Event
	for i, raw := range parseSSE(t, body) {
		var ev responsesapi.Event
		decodeJSON(t, []byte(raw.data), &ev)
		if raw.name != ev.Type || ev.SequenceNumber != i {
			t.Errorf("event %d: name %q, type %q, sequence_number %d", i, raw.name, ev.Type, ev.SequenceNumber)
		}
		out = append(out, ev)
	}
	return out
}

// sameResponse compares two responses but for the ids, which number the
// requests.
func sameResponse(t *testing.T, got, want responsesapi.Response) {
	t.Helper()
	got.ID, want.ID = "", ""
	for i := range got.Output {
		got.Output[i].ID, got.Output[i].Raw = "", nil
		for j := range got.Output[i].Content.Parts {
			got.Output[i].Content.Parts[j].Raw = nil
		}
	}
	for i := range want.Output {
		want.Output[i].ID, want.Output[i].Raw = "", nil
		for j := range want.Output[i].Content.Parts {
			want.Output[i].Content.Parts[j].Raw = nil
		}
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("streamed response\n%s\nwant the non-streamed\n%s", g, w)
	}
}

// TestResponsesStream: the Responses stream's events in order, the deltas
// adding up to the answer, no "[DONE]", and a last event whose response
// equals the non-streamed one.
func TestResponsesStream(t *testing.T) {
	user := []msg{{"role": "user", "content": "Text: " + accountText}}
	tests := []struct {
		name  string
		body  map[string]any
		types []string // the events, with "delta" standing for one or more deltas
	}{
		{"message", respBody(user, "text", schemaFormat(true)), []string{"response.created", "response.in_progress", "response.output_item.added",
			"response.content_part.added", "delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"}},
		{"function call", respBody(user, "tools", saveTool(nil)), []string{"response.created", "response.in_progress", "response.output_item.added",
			"delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"}},
		{"incomplete", respBody(user, "text", schemaFormat(true), "max_output_tokens", 16), []string{"response.created", "response.in_progress", "response.output_item.added",
			"response.content_part.added", "delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTest(t, Config{Seed: 1})
			plain := decodeResponse(t, post(t, ts, "/v1/responses", tt.body))
			tt.body["stream"] = true
			r := post(t, ts, "/v1/responses", tt.body)
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
			}
			if contains(r.body, "[DONE]") {
				t.Errorf("a Responses stream has no [DONE]")
			}
			evs := readEvents(t, r.body)
			var types []string
			var deltas strings.Builder
			var itemID string
			for _, ev := range evs {
				typ := ev.Type
				if strings.HasSuffix(typ, ".delta") {
					deltas.WriteString(ev.Delta)
					if ev.ItemID != itemID {
						t.Errorf("delta for item %q, want %q", ev.ItemID, itemID)
					}
					typ = "delta"
					if len(types) > 0 && types[len(types)-1] == "delta" {
						continue
					}
				}
				if typ == "response.output_item.added" {
					itemID = ev.Item.ID
					if ev.Item.Status != "in_progress" || ev.Item.Arguments != "" || len(ev.Item.Content.Parts) != 0 {
						t.Errorf("added item %+v", ev.Item)
					}
				}
				types = append(types, typ)
			}
			if !reflect.DeepEqual(types, tt.types) {
				t.Fatalf("events %v\nwant %v", types, tt.types)
			}
			first, last := evs[0].Response, evs[len(evs)-1].Response
			if first.Status != "in_progress" || len(first.Output) != 0 || first.Usage != nil || first.ID != last.ID {
				t.Errorf("created %+v", first)
			}
			if deltas.String() != answer(*last) {
				t.Errorf("deltas %q, answer %q", deltas.String(), answer(*last))
			}
			if tt.name == "function call" {
				if done := evs[len(evs)-3]; done.Arguments != answer(*last) || done.Name != "save_account" {
					t.Errorf("arguments done %+v", done)
				}
			} else if done := evs[len(evs)-4]; done.Text != answer(*last) {
				t.Errorf("text done %+v", done)
			}
			sameResponse(t, *last, plain)
		})
	}
}

// TestResponsesSlowAndDroppedStreams: the stream faults of the chat
// endpoint — a crawl on the injected clock, a cut connection.
func TestResponsesSlowAndDroppedStreams(t *testing.T) {
	body := respBody("Text: "+accountText, "text", schemaFormat(true), "stream", true)
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, Profile: Profile{Stream: Streaming{SlowRate: 1, SlowDelay: Duration(40 * time.Millisecond), ChunkChars: 16}}})
	evs := readEvents(t, post(t, ts, "/v1/responses", body).body)
	if sl := fc.Sleeps(); len(sl) == 0 || sl[0] != 40*time.Millisecond || evs[len(evs)-1].Type != "response.completed" {
		t.Errorf("slow stream: sleeps %v, last event %v", sl, evs[len(evs)-1].Type)
	}
	srv, ts := newTest(t, Config{Profile: Profile{Stream: Streaming{DropRate: 1}}})
	r := post(t, ts, "/v1/responses", body)
	if contains(r.body, "response.completed") || r.status == -1 {
		t.Errorf("dropped stream ended cleanly: %d %s", r.status, r.body)
	}
	if st := srv.Stats(); st.Transport["stream_drop"] != 1 || st.Dropped != 1 || st.Streams != 1 {
		t.Errorf("stats %+v", st)
	}
}
