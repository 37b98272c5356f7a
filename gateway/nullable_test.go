package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestNullableSchemaAdmitsNull: the openai npm SDK's zodResponseFormat
// (zod 3) writes a .nullable() field as OpenAPI's "nullable": true, which
// OpenAI's API honours. The gateway reads it the same way: the upstream
// gets "null" in the type (the simulator then answers null for a phone the
// text lacks, not ""), and a null answer is valid.
func TestNullableSchemaAdmitsNull(t *testing.T) {
	contact := `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"phone":{"type":"string","nullable":true,"description":"The phone number, or null."}},` +
		`"required":["name","age","phone"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`
	for _, tc := range []struct{ name, format string }{
		{"response format", `,"response_format":{"type":"json_schema","json_schema":{"name":"Contact","strict":true,"schema":` + contact + `}}`},
		{"forced tool", `,"tools":[{"type":"function","function":{"name":"Contact","parameters":` + contact + `}}],"tool_choice":{"type":"function","function":{"name":"Contact"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, clean)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, b := call(t, gw, `{"model":"`+model+`","messages":[{"role":"user","content":"Hannah Petrova, 37, has no phone."}]`+tc.format+`}`)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			c := decode[completion](t, b)
			doc := ""
			if m := c.Choices[0].Message; m.Content != nil {
				doc = *m.Content
			} else if len(m.ToolCalls) == 1 {
				doc = m.ToolCalls[0].Function.Arguments
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatalf("answer %s: %v", b, err)
			}
			if phone, ok := got["phone"]; !ok || phone != nil || got["name"] != "Hannah Petrova" || h.Get("X-Reask-Attempts") != "1" {
				t.Errorf("answer %s, headers %v: want phone null in one attempt", doc, h)
			}
			sent := string(rec.requests()[0].body)
			if !strings.Contains(sent, `"phone":{"type":["string","null"],"description":"The phone number, or null."}`) || strings.Contains(sent, "nullable") {
				t.Errorf("upstream request %s, want the phone's type with null", sent)
			}
		})
	}
}
