package gateway_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/responsesapi"
	"github.com/reask/reask/schema"
)

// Prompts that carry personSchema as clients write it.
var schemaPrompts = []struct{ name, system string }{
	{"instructor-js", "\n          Given a user prompt, you will return fully valid JSON based on the following description and schema.\n" +
		"          description: \n          json schema: " + `{"name":"Person","description":"",` + personSchema[1:] + "\n        "},
	{"the AI SDK's injection", "Extract the person's details.\n\nJSON schema:\n" + personSchema +
		"\nYou MUST answer with a JSON object that matches the JSON schema above."},
	{"LangChain jsonMode, after a label", "Extract the fields of this schema from the text: " + personSchema},
	{"fenced", "Reply with JSON valid against this schema:\n```json\n" + personSchema + "\n```"},
}

// promptMessages is the person conversation with system as the system
// message (role given).
func promptMessages(role, system string) string {
	s, _ := json.Marshal(system)
	return `[{"role":"` + role + `","content":` + string(s) + `},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`
}

// noFormatRequest is a request with messages msgs and no response_format
// (instructor-js MD_JSON).
func noFormatRequest(msgs, extra string) string {
	return `{"model":"` + model + `","messages":` + msgs + extra + `}`
}

// answerContent is the assistant content of a chat completion answer,
// or of a streamed one's chunks joined, which must end with [DONE].
func answerContent(t *testing.T, b []byte, stream bool) string {
	t.Helper()
	if !stream {
		return *decode[completion](t, b).Choices[0].Message.Content
	}
	evs, done := events(t, b)
	if !done {
		t.Fatalf("stream %s", b)
	}
	var content string
	for _, ev := range evs {
		if len(ev.Choices) > 0 && ev.Choices[0].Delta.Content != nil {
			content += *ev.Choices[0].Delta.Content
		}
	}
	return content
}

// lastFeedback is the last message of an upstream request: reask's
// feedback on a re-ask.
func lastFeedback(t *testing.T, r recorded) string {
	t.Helper()
	_, msgs := upstreamBody(t, r)
	if len(msgs) == 0 {
		return ""
	}
	s, _ := msgs[len(msgs)-1]["content"].(string)
	return s
}

// TestPromptSchemaIsEnforced: a json_object request whose system (or
// developer) message holds a JSON Schema is held to it: the simulator
// drops a required field, the gateway re-asks naming it, and the answer is
// valid against the schema, still asked for as json_object.
func TestPromptSchemaIsEnforced(t *testing.T) {
	type tc struct{ name, role, system, extra string }
	var cases []tc
	for _, p := range schemaPrompts {
		cases = append(cases, tc{p.name, "system", p.system, ""})
	}
	cases = append(cases, tc{"a developer message", "developer", schemaPrompts[2].system, ""},
		tc{"streamed", "system", schemaPrompts[0].system, `,"stream":true`})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, b := call(t, gw, jsonObjectRequest(promptMessages(c.role, c.system), c.extra))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			content := answerContent(t, b, c.extra != "")
			if p := validPerson(t, content); p.Name != "John Doe" || p.Age != 30 || p.Email != "john@email.com" {
				t.Errorf("person %+v", p)
			}
			reqs := rec.requests()
			if h.Get("X-Reask-Schema") != "prompt" || h.Get("X-Reask-Attempts") != "2" || len(reqs) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(reqs))
			}
			for _, r := range reqs {
				if body, _ := upstreamBody(t, r); string(body["response_format"]) != `{"type":"json_object"}` {
					t.Errorf("upstream response_format %s", body["response_format"])
				}
			}
			if fb := lastFeedback(t, reqs[1]); !strings.Contains(fb, "required") || !strings.ContainsAny(fb, "/") {
				t.Errorf("feedback %q names no field", fb)
			}
		})
	}
}

// TestPromptSchemaOff: with PromptSchemaOff (and with PromptSchemaJSONObject
// for a request without a response format) the prompt's schema is
// not enforced: the answer missing a field is accepted as any JSON object,
// or passed through.
func TestPromptSchemaOff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   gateway.PromptSchemaMode
		body   string
		schema string // X-Reask-Schema
	}{
		{"off, json_object", gateway.PromptSchemaOff, jsonObjectRequest(promptMessages("system", schemaPrompts[0].system), ""), "json_object"},
		{"off, no response_format", gateway.PromptSchemaOff, noFormatRequest(promptMessages("system", schemaPrompts[0].system), ""), ""},
		{"json_object, no response_format", gateway.PromptSchemaJSONObject, noFormatRequest(promptMessages("system", schemaPrompts[0].system), ""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.PromptSchema = tc.mode })
			status, h, b := call(t, gw, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			if h.Get("X-Reask-Schema") != tc.schema || h.Get("X-Reask-Attempts") != "1" || len(rec.requests()) != 1 {
				t.Errorf("headers %v, upstream calls %d", h, len(rec.requests()))
			}
			if tc.schema == "" && string(rec.requests()[0].body) != tc.body {
				t.Errorf("not passed through: %s", rec.requests()[0].body)
			}
		})
	}
}

// TestPromptSchemaAuto: by default a request with no response format is
// held to its prompt's schema only when the prompt plainly asks for that
// object — an object schema with properties and the word "JSON" in a
// system or developer message; any other is passed through as it came.
func TestPromptSchemaAuto(t *testing.T) {
	for _, tc := range []struct {
		name, role, system string
		held               bool
	}{
		{"instructor-js MD_JSON", "system", schemaPrompts[0].system, true},
		{"the AI SDK's injection, developer", "developer", schemaPrompts[1].system, true},
		{"fenced json", "system", schemaPrompts[3].system, true},
		{"no word JSON", "system", schemaPrompts[2].system, false},
		{"no properties", "system", `Answer in JSON valid against {"type":"object","required":["name"]}`, false},
		{"not an object", "system", `Answer in JSON valid against {"$defs":{"p":` + personSchema + `},"type":"array","items":{"$ref":"#/$defs/p"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, nil)
			body := noFormatRequest(promptMessages(tc.role, tc.system), "")
			status, h, b := call(t, gw, body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			reqs := rec.requests()
			if !tc.held {
				if h.Get("X-Reask-Schema") != "" || len(reqs) != 1 || string(reqs[0].body) != body {
					t.Errorf("not passed through: headers %v, %d upstream calls", h, len(reqs))
				}
				return
			}
			if h.Get("X-Reask-Schema") != "prompt" || h.Get("X-Reask-Attempts") != "2" || len(reqs) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(reqs))
			}
			validPerson(t, *decode[completion](t, b).Choices[0].Message.Content)
		})
	}
}

// TestPromptSchemaAlways: with PromptSchemaAlways a request without a
// response format (instructor-js MD_JSON) is held to its prompt's schema
// too: sent upstream as it came, re-asked, answered with the validated
// JSON, unfenced; one whose prompt has no schema passes through.
func TestPromptSchemaAlways(t *testing.T) {
	always := func(c *gateway.Config) { c.PromptSchema = gateway.PromptSchemaAlways }
	// response_format text, the default, goes upstream as no
	// response_format: the same request.
	for _, tc := range []struct{ name, extra string }{
		{"no response_format", ""},
		{"response_format text", `,"response_format":{"type":"text"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, always)
			status, h, b := call(t, gw, noFormatRequest(promptMessages("system", schemaPrompts[0].system), tc.extra))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			content := *decode[completion](t, b).Choices[0].Message.Content
			if !strings.HasPrefix(content, "{") {
				t.Errorf("content %q is not bare JSON", content)
			}
			validPerson(t, content)
			reqs := rec.requests()
			if h.Get("X-Reask-Schema") != "prompt" || h.Get("X-Reask-Attempts") != "2" || len(reqs) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(reqs))
			}
			for _, r := range reqs {
				body, msgs := upstreamBody(t, r)
				if body["response_format"] != nil || body["tools"] != nil {
					t.Errorf("upstream request %s", r.body)
				}
				if n := len(msgs); n != 2 && n != 4 {
					t.Errorf("upstream messages %v: the client's, then a re-ask", msgs)
				}
			}
			if fb := lastFeedback(t, reqs[1]); !strings.Contains(fb, "required") {
				t.Errorf("feedback %q", fb)
			}
		})
	}
	t.Run("no schema in the prompt", func(t *testing.T) {
		up, rec := newSim(t, clean)
		gw, _ := newGateway(t, up.URL, always)
		body := noFormatRequest(personMessages, "")
		status, h, b := call(t, gw, body)
		if status != http.StatusOK || h.Get("X-Reask-Schema") != "" || len(rec.requests()) != 1 || string(rec.requests()[0].body) != body {
			t.Errorf("status %d, headers %v: %s", status, h, b)
		}
	})
	t.Run("tools", func(t *testing.T) {
		up, rec := newSim(t, clean)
		gw, _ := newGateway(t, up.URL, always)
		body := noFormatRequest(promptMessages("system", schemaPrompts[0].system), `,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`)
		status, h, _ := call(t, gw, body)
		if status != http.StatusOK || h.Get("X-Reask-Schema") != "" || len(rec.requests()) != 1 || string(rec.requests()[0].body) != body {
			t.Errorf("status %d, headers %v", status, h)
		}
	})
}

// TestPromptSchemaFallsBack: a prompt schema the gateway cannot use is not
// the client's error: the request is served as it would be without it
// (any JSON object, or passed through), a header says why, and a debug
// line names the reason without the prompt's content.
func TestPromptSchemaFallsBack(t *testing.T) {
	deep := `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"string"}}}}}}}`
	for _, tc := range []struct {
		name, system string
		mode         gateway.PromptSchemaMode
		noFormat     bool
		reason, log  string
	}{
		{"does not compile", "Secret-7 schema: " + `{"type":"object","properties":{"name":{"type":"nonsense"}}}`, "", false, "not enforced (invalid)", `reason=invalid`},
		{"beyond a limit", "Secret-7 schema: " + deep, "", false, "not enforced (limit)", `limit=max_depth`},
		{"two schemas", "Secret-7 either " + personSchema + " or " + deep, "", false, "not enforced (ambiguous)", `reason=ambiguous`},
		{"always, does not compile", "Secret-7 schema: " + `{"type":"object","required":"name"}`, gateway.PromptSchemaAlways, true, "not enforced (invalid)", `reason=invalid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := answering(t, `{"name":"John Doe"}`)
			var logs bytes.Buffer
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
				c.PromptSchema = tc.mode
				c.Schema = schema.Config{Limits: schema.Limits{MaxDepth: 4}}
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			body := jsonObjectRequest(promptMessages("system", tc.system), "")
			want := "json_object"
			if tc.noFormat {
				body, want = noFormatRequest(promptMessages("system", tc.system), ""), ""
			}
			status, h, b := call(t, gw, body)
			if status != http.StatusOK || *decode[completion](t, b).Choices[0].Message.Content != `{"name":"John Doe"}` {
				t.Fatalf("status %d: %s", status, b)
			}
			if h.Get("X-Reask-Schema") != want || !strings.HasPrefix(h.Get("X-Reask-Prompt-Schema-Error"), tc.reason) || len(rec.requests()) != 1 {
				t.Errorf("headers %v, upstream calls %d", h, len(rec.requests()))
			}
			if tc.noFormat && string(rec.requests()[0].body) != body {
				t.Errorf("not passed through: %s", rec.requests()[0].body)
			}
			if l := logs.String(); !strings.Contains(l, "prompt schema not enforced") || !strings.Contains(l, tc.log) ||
				strings.Contains(l, "Secret-7") || strings.Contains(l, "nonsense") || strings.Contains(l, `properties`) {
				t.Errorf("log %s", l)
			}
		})
	}
}

// TestExhaustedWording: a 422 says what the request never got — a
// schema-valid answer only when there was a schema.
func TestExhaustedWording(t *testing.T) {
	for _, tc := range []struct {
		name, body, answer, want string
	}{
		{"json_schema", schemaRequest(""), `{"name":"John Doe"}`, "no schema-valid answer"},
		{"json_object", jsonObjectRequest(saysJSON, ""), `["John Doe"]`, "no valid JSON object"},
		{"prompt schema", jsonObjectRequest(promptMessages("system", schemaPrompts[1].system), ""), `["John Doe"]`, "no answer valid against the JSON Schema in the prompt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := answering(t, tc.answer)
			gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxAttempts = 2 })
			status, _, b := call(t, gw, tc.body)
			e := decode[errorBody](t, b)
			if status != http.StatusUnprocessableEntity || code(e) != "reask_exhausted" || !strings.HasPrefix(e.Error.Message, "The model gave "+tc.want+" in 2 attempt(s)") {
				t.Errorf("status %d: %s", status, e.Error.Message)
			}
			if tc.name != "json_schema" && strings.Contains(e.Error.Message, "schema-valid") {
				t.Errorf("message %q", e.Error.Message)
			}
		})
	}
}

// TestResponsesPromptSchema: a Responses request with text.format
// json_object and the schema in its instructions is held to it, on either
// kind of upstream.
func TestResponsesPromptSchema(t *testing.T) {
	instructions, _ := json.Marshal(schemaPrompts[1].system)
	for _, api := range upstreamAPIs {
		t.Run(string(api), func(t *testing.T) {
			gw, rec := newResponsesGateway(t, reasked, api, nil)
			status, h, b := respond(t, gw, responsesBody(`"instructions":`+string(instructions),
				`"input":"Contact John Doe, age 30, at john@email.com"`, `"text":{"format":{"type":"json_object"}}`))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			validPerson(t, outputText(decode[responsesapi.Response](t, b)))
			ups := upstreamBodies(t, rec, upstreamPath(api))
			if h.Get("X-Reask-Schema") != "prompt" || h.Get("X-Reask-Attempts") != "2" || len(ups) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(ups))
			}
			format := string(ups[1]["response_format"])
			if api == gateway.APIResponses {
				format = string(ups[1]["text"])
			}
			if !strings.Contains(format, `"type":"json_object"`) {
				t.Errorf("upstream format %s", format)
			}
		})
	}
}

func TestPromptSchemaConfig(t *testing.T) {
	for _, tc := range []struct {
		value, field string
		want         gateway.PromptSchemaMode
	}{
		{"", "", ""},
		{`,"prompt_schema":"auto"`, "", gateway.PromptSchemaAuto},
		{`,"prompt_schema":"json_object"`, "", gateway.PromptSchemaJSONObject},
		{`,"prompt_schema":"always"`, "", gateway.PromptSchemaAlways},
		{`,"prompt_schema":"off"`, "", gateway.PromptSchemaOff},
		{`,"prompt_schema":"on"`, "prompt_schema", ""},
		{`,"prompt_schema_scan_bytes":-1`, "prompt_schema_scan_bytes", ""},
	} {
		c, err := gateway.ParseConfig([]byte(`{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1"}]`+tc.value+`}`), func(string) string { return "" })
		var ce *gateway.ConfigError
		switch {
		case tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field):
			t.Errorf("%s: error %v, want one naming %s", tc.value, err, tc.field)
		case tc.field == "" && (err != nil || c.PromptSchema != tc.want):
			t.Errorf("%s: %q, %v", tc.value, c.PromptSchema, err)
		}
	}
}

// TestPromptSchemaNotMet: when every attempt is a JSON object that still
// breaks the prompt's schema, the client gets the JSON-mode answer it asked
// for — the last object — with X-Reask-Prompt-Schema-Error naming what it
// breaks, so a client that validates answers itself can re-ask on its own;
// a request schema's failure stays a 422.
func TestPromptSchemaNotMet(t *testing.T) {
	up, _ := answering(t, `{"name":"John Doe"}`)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxAttempts = 2 })
	status, h, b := call(t, gw, jsonObjectRequest(promptMessages("system", schemaPrompts[1].system), ""))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	a := decode[completion](t, b)
	if len(a.Choices) != 1 || a.Choices[0].Message.Content == nil || *a.Choices[0].Message.Content != `{"name":"John Doe"}` {
		t.Errorf("answer %s", b)
	}
	if e := h.Get("X-Reask-Prompt-Schema-Error"); !strings.HasPrefix(e, "not met after 2 attempt(s) (schema):") || !strings.Contains(e, "/age") {
		t.Errorf("X-Reask-Prompt-Schema-Error %q", e)
	}
	if h.Get("X-Reask-Attempts") != "2" || h.Get("X-Reask-Schema") != "prompt" {
		t.Errorf("headers %v", h)
	}
	status, _, _ = call(t, gw, schemaRequest(""))
	if status != http.StatusUnprocessableEntity {
		t.Errorf("request schema: status %d, want 422", status)
	}
}

// TestPromptSchemaAlwaysNotMet: a request with no response format, held to
// its prompt's schema by PromptSchemaAlways, whose every attempt failed
// (here cut off) gets the model's last answer as it came — what it would
// have got without the gateway — with X-Reask-Prompt-Schema-Error.
func TestPromptSchemaAlwaysNotMet(t *testing.T) {
	const cut = `{"name":"John Doe","age":`
	up, _ := answering(t, cut)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxAttempts = 2; c.PromptSchema = gateway.PromptSchemaAlways })
	status, h, b := call(t, gw, noFormatRequest(promptMessages("system", schemaPrompts[0].system), ""))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	a := decode[completion](t, b)
	if len(a.Choices) != 1 || a.Choices[0].Message.Content == nil || *a.Choices[0].Message.Content != cut {
		t.Errorf("answer %s", b)
	}
	if e := h.Get("X-Reask-Prompt-Schema-Error"); !strings.HasPrefix(e, "not met after 2 attempt(s) (truncated)") {
		t.Errorf("X-Reask-Prompt-Schema-Error %q", e)
	}
	// The same answer to a json_object request is no JSON object: a 422.
	status, _, _ = call(t, gw, jsonObjectRequest(promptMessages("system", schemaPrompts[0].system), ""))
	if status != http.StatusUnprocessableEntity {
		t.Errorf("json_object: status %d, want 422", status)
	}
}
