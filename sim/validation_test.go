package sim

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestValidation: malformed requests get OpenAI's 400s (or 401, 404,
// 405), with its error object.
func TestRequestValidation(t *testing.T) {
	user := msg{"role": "user", "content": "Return JSON for: hi"}
	strictBad := `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		msg    string
		param  string
		code   string
	}{
		{"bad JSON", "/v1/chat/completions", `{"model": "gpt-4o-mini", "messages": [`, 400, "We could not parse the JSON body", "", ""},
		{"missing model", "/v1/chat/completions", msg{"messages": []msg{user}}, 400, "you must provide a model parameter", "", ""},
		{"missing messages", "/v1/chat/completions", msg{"model": "gpt-4o-mini"}, 400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"},
		{"empty messages", "/v1/chat/completions", msg{"model": "gpt-4o-mini", "messages": []msg{}}, 400, "empty array", "messages", "empty_array"},
		{"bad role", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{{"role": "robot", "content": "x"}}), 400, "Invalid value: 'robot'", "messages[0].role", "invalid_value"},
		{"unknown parameter", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "reask_attempt", 2), 400, "Unrecognized request argument supplied: reask_attempt", "", ""},
		{"wrong type", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "temperature", "hot"), 400, "Invalid type for 'temperature'", "temperature", "invalid_type"},
		{"temperature too high", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "temperature", 3), 400, "decimal above maximum value", "temperature", "decimal_above_max_value"},
		{"max_tokens zero", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "max_tokens", 0), 400, "integer below minimum value", "max_tokens", "integer_below_min_value"},
		{"unanswered tool call", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user,
			{"role": "assistant", "content": nil, "tool_calls": []msg{{"id": "call_1", "type": "function", "function": msg{"name": "f", "arguments": "{}"}}}},
			{"role": "user", "content": "again"}}), 400, "The following tool_call_ids did not have response messages: call_1", "messages.[2].role", ""},
		{"tool without call", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user, {"role": "tool", "tool_call_id": "call_9", "content": "x"}}), 400,
			"messages with role 'tool' must be a response to a preceeding message with 'tool_calls'", "messages.[1].role", ""},
		{"json_object without json", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "hello"}}, "response_format", msg{"type": "json_object"}), 400,
			"must contain the word 'json'", "messages", ""},
		{"json_schema without name", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "response_format", msg{"type": "json_schema", "json_schema": msg{"schema": rawJSON(strictBad)}}), 400,
			"Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name", "missing_required_parameter"},
		{"strict schema without additionalProperties", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "response_format", msg{"type": "json_schema", "json_schema": msg{"name": "x", "strict": true, "schema": rawJSON(strictBad)}}), 400,
			"'additionalProperties' is required to be supplied and to be false", "response_format", "invalid_json_schema"},
		{"bad response_format type", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "response_format", msg{"type": "yaml"}), 400, "Supported values are: 'json_object', 'json_schema', and 'text'.", "response_format.type", "invalid_value"},
		{"stream_options without stream", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "stream_options", msg{"include_usage": true}), 400, "only allowed when 'stream' is enabled", "stream_options", ""},
		{"tool_choice without tools", "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{user}, "tool_choice", "required"), 400, "only allowed when 'tools' are specified", "tool_choice", ""},
		{"unknown path", "/v1/embeddings", chatBody("gpt-4o-mini", []msg{user}), 404, "Invalid URL (POST /v1/embeddings)", "", ""},
	}
	_, ts := newTest(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			var e struct {
				Error apiError `json:"error"`
			}
			decodeJSON(t, r.body, &e)
			if !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("message %q lacks %q", e.Error.Message, tt.msg)
			}
			if e.Error.Type != "invalid_request_error" {
				t.Errorf("type %q", e.Error.Type)
			}
			if got := deref(e.Error.Param); got != tt.param {
				t.Errorf("param %q, want %q", got, tt.param)
			}
			if got := deref(e.Error.Code); got != tt.code {
				t.Errorf("code %q, want %q", got, tt.code)
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestAPIKey(t *testing.T) {
	_, ts := newTest(t, Config{APIKey: "sk-test"})
	body := chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "hi"}})
	if r := post(t, ts, "/v1/chat/completions", body); r.status != 401 || !contains(r.body, "invalid_api_key") {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	if r := post(t, ts, "/v1/chat/completions", body, "Authorization", "Bearer sk-wrong"); r.status != 401 {
		t.Errorf("wrong key: %d", r.status)
	}
	if r := post(t, ts, "/v1/chat/completions", body, "Authorization", "Bearer sk-test"); r.status != 200 {
		t.Errorf("right key: %d %s", r.status, r.body)
	}
}

func TestModelsAndStatsEndpoints(t *testing.T) {
	_, ts := newTest(t, Config{Models: []string{"m1", "m2"}})
	resp, err := ts.Client().Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string
		Data   []struct{ ID, Object string }
	}
	decodeResp(t, resp, &list)
	if list.Object != "list" || len(list.Data) != 2 || list.Data[1].ID != "m2" || list.Data[0].Object != "model" {
		t.Errorf("models %+v", list)
	}
	post(t, ts, "/v1/chat/completions", chatBody("m1", []msg{{"role": "user", "content": "hi"}}))
	post(t, ts, "/v1/chat/completions", chatBody("m3", []msg{{"role": "user", "content": "hi"}}))
	resp, err = ts.Client().Get(ts.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	decodeResp(t, resp, &st)
	if st.Requests != 2 || st.ByStatus[200] != 2 || st.ByStatus[404] != 1 || st.Completions != 1 {
		t.Errorf("stats %+v", st)
	}
	if resp, err := ts.Client().Get(ts.URL + "/v1/chat/completions"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET completions: %v %v", resp, err)
	}
}

func TestChatWithoutSchemaAnswersText(t *testing.T) {
	_, ts := newTest(t, Config{})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Hello"}})))
	if c.content() == "" || strings.HasPrefix(c.content(), "{") || c.Choices[0].FinishReason != "stop" {
		t.Errorf("chat answer %q", c.content())
	}
}

func TestInferredSchemaWithoutSchema(t *testing.T) {
	_, ts := newTest(t, Config{})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", chatBody("gpt-4o-mini",
		[]msg{{"role": "user", "content": "Extract the name, age and email as JSON.\nText: Contact John Doe, age 30, at john@email.com"}},
		"temperature", 0, "response_format", msg{"type": "json_object"})))
	var got map[string]any
	decodeJSON(t, []byte(c.content()), &got)
	if got["name"] != "John Doe" || got["age"] != float64(30) || got["email"] != "john@email.com" || len(got) != 3 {
		t.Errorf("inferred answer %s", c.content())
	}
}
