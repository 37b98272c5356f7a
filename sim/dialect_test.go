package sim

import (
	"strings"
	"testing"

	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim/dataset"
)

// TestStrictSchemaRules: a strict schema that breaks OpenAI's published
// rules is refused as OpenAI refuses it — 400 invalid_request_error, code
// invalid_json_schema, "Invalid schema for response_format 'x': In
// context=(...), ..." with the whole path — for response formats and
// function tools alike; without strict the same schema is taken; a strict
// Anthropic tool is held to Anthropic's rules.
func TestStrictSchemaRules(t *testing.T) {
	user := msg{"role": "user", "content": "Return JSON for: Ann, 34"}
	cases := []struct {
		name, schema, msg string
	}{
		{"optional property", `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"},"c":{"type":"string"}},"required":["b"],"additionalProperties":false}},"required":["a"],"additionalProperties":false}`,
			"In context=('properties', 'a'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'c'."},
		{"string length", `{"type":"object","properties":{"a":{"type":"string","minLength":2}},"required":["a"],"additionalProperties":false}`,
			"In context=('properties', 'a'), 'minLength' is not permitted."},
		{"allOf", `{"type":"object","allOf":[{"properties":{"a":{"type":"string"}}}],"properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`,
			"In context=(), 'allOf' is not permitted."},
		{"array items open", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}}},"required":["a"],"additionalProperties":false}`,
			"In context=('properties', 'a', 'items'), 'additionalProperties' is required to be supplied and to be false."},
		{"root array", `{"type":"array","items":{"type":"string"}}`,
			`schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`},
		{"unsupported format", `{"type":"object","properties":{"u":{"type":"string","format":"uri"}},"required":["u"],"additionalProperties":false}`,
			"In context=('properties', 'u'), 'uri' is not a supported format"},
	}
	_, ts := newTest(t, Config{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, strict := range []bool{true, false} {
				bodies := map[string]any{
					"response_format 'x'": chatBody("gpt-4o-mini", []msg{user}, "response_format",
						msg{"type": "json_schema", "json_schema": msg{"name": "x", "strict": strict, "schema": rawJSON(c.schema)}}),
					"function 'x'": chatBody("gpt-4o-mini", []msg{user}, "tools",
						[]msg{{"type": "function", "function": msg{"name": "x", "strict": strict, "parameters": rawJSON(c.schema)}}}, "tool_choice", "required"),
				}
				for what, body := range bodies {
					r := post(t, ts, "/v1/chat/completions", body)
					if !strict {
						if r.status != 200 {
							t.Errorf("%s without strict: %d %s", what, r.status, r.body)
						}
						continue
					}
					var e struct {
						Error apiError `json:"error"`
					}
					decodeJSON(t, r.body, &e)
					if r.status != 400 || deref(e.Error.Code) != "invalid_json_schema" || e.Error.Type != "invalid_request_error" {
						t.Fatalf("%s: %d %s", what, r.status, r.body)
					}
					if want := "Invalid schema for " + what + ": " + c.msg; !strings.HasPrefix(e.Error.Message, want) {
						t.Errorf("%s: message %q\nwant %q", what, e.Error.Message, want)
					}
				}
			}
		})
	}
	t.Run("anthropic strict tool", func(t *testing.T) {
		tools := []msg{{"name": "save_account", "strict": true, "input_schema": rawJSON(`{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"],"additionalProperties":false}`)}}
		r := post(t, ts, "/v1/messages", anthRequest([]msg{user}, "tools", tools), anthHeaders...)
		if r.status != 400 || !contains(r.body, "tools.0.input_schema: schema not supported for strict tool use") || !contains(r.body, "'minimum' is not supported") {
			t.Errorf("%d %s", r.status, r.body)
		}
		tools[0]["strict"] = false
		if r := post(t, ts, "/v1/messages", anthRequest([]msg{user}, "tools", tools), anthHeaders...); r.status != 200 {
			t.Errorf("not strict: %d %s", r.status, r.body)
		}
	})
}

// TestDatasetSchemasAreStrict: the data set's schemas follow OpenAI's
// strict rules as they are, so that clients (bench/clients) may send them
// strict to the simulator directly.
func TestDatasetSchemasAreStrict(t *testing.T) {
	for name, s := range dataset.Schemas() {
		if probs, err := dialect.Check(s, dialect.OpenAIStrict); err != nil || len(probs) > 0 {
			t.Errorf("%s: %v %v", name, probs, err)
		}
	}
}
