package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// zodSchema is what a client's zod schema with an optional field and a
// length bound says: strict mode refuses it as it is (an optional
// property, minLength).
const zodSchema = `{"type":"object","properties":{"name":{"type":"string","minLength":2},"age":{"type":"integer"},"email":{"type":"string","format":"email"},"nickname":{"type":"string"}},"required":["name","age","email"],"additionalProperties":false}`

// TestGatewaySendsTheStrictDialect: a client's strict response_format (or
// forced tool) goes upstream in OpenAI's strict form — which the
// simulator, like OpenAI, would refuse as the client wrote it — and the
// answer says in x-reask-schema-relaxed what the upstream was not sent;
// the answer is valid against the client's own schema, the null the
// strict form forced for the absent nickname left out. A request without
// strict goes as it is, with no header.
func TestGatewaySendsTheStrictDialect(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	for _, c := range []struct {
		name, body string
		strict     bool
	}{
		{"json_schema strict", `{"model":"` + model + `","messages":` + personMessages +
			`,"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":` + zodSchema + `}}}`, true},
		{"tool strict", `{"model":"` + model + `","messages":` + personMessages +
			`,"tools":[{"type":"function","function":{"name":"record_person","strict":true,"parameters":` + zodSchema + `}}]` +
			`,"tool_choice":{"type":"function","function":{"name":"record_person"}}}`, true},
		{"json_schema not strict", `{"model":"` + model + `","messages":` + personMessages +
			`,"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":` + zodSchema + `}}}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := len(rec.requests())
			status, h, body := call(t, gw, c.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			reqs := rec.requests()[n:]
			if len(reqs) == 0 {
				t.Fatal("no upstream request")
			}
			var up map[string]any
			if err := json.Unmarshal(reqs[0].body, &up); err != nil {
				t.Fatal(err)
			}
			var sent map[string]any
			var strict bool
			if rf, ok := up["response_format"].(map[string]any); ok {
				js := rf["json_schema"].(map[string]any)
				sent, _ = js["schema"].(map[string]any)
				strict, _ = js["strict"].(bool)
			} else {
				fn := up["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)
				sent, _ = fn["parameters"].(map[string]any)
				strict, _ = fn["strict"].(bool)
			}
			if strict != c.strict {
				t.Errorf("upstream strict %v, want %v", strict, c.strict)
			}
			name := sent["properties"].(map[string]any)["name"].(map[string]any)
			_, minLength := name["minLength"]
			got := h.Get("X-Reask-Schema-Relaxed")
			if c.strict {
				if minLength || len(sent["required"].([]any)) != 4 {
					t.Errorf("upstream schema not in the strict form: %v", sent)
				}
				if got != "/properties/name/minLength" {
					t.Errorf("x-reask-schema-relaxed %q", got)
				}
			} else if !minLength || got != "" {
				t.Errorf("upstream schema %v, header %q: want the client's schema as it is, no header", sent, got)
			}
			var a completion
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			doc := ""
			if m := a.Choices[0].Message; m.Content != nil {
				doc = *m.Content
			} else {
				doc = m.ToolCalls[0].Function.Arguments
			}
			if strings.Contains(doc, "nickname") {
				t.Errorf("the answer holds the absent nickname: %s", doc)
			}
		})
	}
}

// TestRelaxedHeaderIsSafe: property names reach the header percent-encoded
// where they could break it (control characters, commas, non-ASCII).
func TestRelaxedHeaderIsSafe(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, nil)
	schema := `{"type":"object","properties":{"a,b\nc":{"type":"string","maxLength":9},"é":{"type":"string","minLength":1}},"required":["a,b\nc","é"],"additionalProperties":false}`
	body := `{"model":"` + model + `","messages":` + personMessages +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":` + schema + `}}}`
	_, h, _ := call(t, gw, body)
	if got, want := h.Get("X-Reask-Schema-Relaxed"), "/properties/a%2Cb%0Ac/maxLength,/properties/%C3%A9/minLength"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
}
