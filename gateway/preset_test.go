package gateway_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/responsesapi"
)

// presetName is the alias the preset tests bind personSchema to.
const presetName = "extract-person"

// withPreset binds personSchema to presetName, upstream as model.
func withPreset(c *gateway.Config) {
	c.Presets = []gateway.Preset{{Name: presetName, Model: model, Schema: json.RawMessage(personSchema)}}
}

// bareMessages is the person conversation with no schema and no word of
// JSON: what a json_object SDK default or a curl script sends.
const bareMessages = `[{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`

// TestPresetIsEnforced: a request for a preset's name goes upstream as
// the preset's model and is held to its schema — the simulator drops a
// required field, the gateway re-asks naming it — for json_object
// requests and requests with no response format, streamed or not.
func TestPresetIsEnforced(t *testing.T) {
	for _, tc := range []struct {
		name, body, format string
		stream             bool
	}{
		{"json_object", `{"model":"` + presetName + `","messages":` + bareMessages + `,"response_format":{"type":"json_object"}}`, `{"type":"json_object"}`, false},
		{"no response format", `{"model":"` + presetName + `","messages":` + bareMessages + `}`, "", false},
		{"json_object streamed", `{"model":"` + presetName + `","messages":` + bareMessages + `,"response_format":{"type":"json_object"},"stream":true}`, `{"type":"json_object"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, reasked)
			gw, _ := newGateway(t, up.URL, withPreset)
			status, h, b := call(t, gw, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			content := answerContent(t, b, tc.stream)
			if p := validPerson(t, content); p.Name != "John Doe" || p.Age != 30 || p.Email != "john@email.com" {
				t.Errorf("person %+v", p)
			}
			reqs := rec.requests()
			if h.Get("X-Reask-Schema") != "preset" || h.Get("X-Reask-Attempts") != "2" || len(reqs) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(reqs))
			}
			for _, r := range reqs {
				body, _ := upstreamBody(t, r)
				if string(body["model"]) != `"`+model+`"` || string(body["response_format"]) != tc.format {
					t.Errorf("upstream model %s, response_format %s", body["model"], body["response_format"])
				}
			}
			if fb := lastFeedback(t, reqs[1]); !strings.Contains(fb, "required") {
				t.Errorf("feedback %q names no field", fb)
			}
		})
	}
}

// TestPresetOwnSchemaWins: a preset request that sends its own
// json_schema is held to that schema, not the preset's.
func TestPresetOwnSchemaWins(t *testing.T) {
	up, rec := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, withPreset)
	own := `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}`
	body := `{"model":"` + presetName + `","messages":` + personMessages +
		`,"response_format":{"type":"json_schema","json_schema":{"name":"who","strict":false,"schema":` + own + `}}}`
	status, h, b := call(t, gw, body)
	if status != http.StatusOK || h.Get("X-Reask-Schema") != "request" {
		t.Fatalf("status %d, X-Reask-Schema %q: %s", status, h.Get("X-Reask-Schema"), b)
	}
	up0, _ := upstreamBody(t, rec.requests()[0])
	if string(up0["model"]) != `"`+model+`"` || !strings.Contains(string(up0["response_format"]), `"who"`) {
		t.Errorf("upstream %s %s", up0["model"], up0["response_format"])
	}
}

// TestPresetExhausted: a preset's schema is the operator's contract: an
// answer that never meets it is a 422, not the last answer.
func TestPresetExhausted(t *testing.T) {
	up, _ := newSim(t, hopeless)
	gw, _ := newGateway(t, up.URL, withPreset)
	status, h, b := call(t, gw, `{"model":"`+presetName+`","messages":`+bareMessages+`,"response_format":{"type":"json_object"}}`)
	if status != http.StatusUnprocessableEntity || h.Get("X-Reask-Schema") != "preset" || !strings.Contains(string(b), "preset") {
		t.Errorf("status %d, X-Reask-Schema %q: %s", status, h.Get("X-Reask-Schema"), b)
	}
}

// TestResponsesPreset: a Responses API request for a preset's name is
// held to its schema too, with json_object or no format, whichever API
// the upstream speaks.
func TestResponsesPreset(t *testing.T) {
	for _, tc := range []struct {
		api    gateway.UpstreamAPI
		format string
	}{
		{gateway.APIChat, `,"text":{"format":{"type":"json_object"}}`},
		{gateway.APIResponses, `,"text":{"format":{"type":"json_object"}}`},
		{gateway.APIChat, ""},
		{gateway.APIResponses, ""},
	} {
		api := tc.api
		t.Run(string(api)+tc.format, func(t *testing.T) {
			gw, rec := newResponsesGateway(t, reasked, api, withPreset)
			status, h, b := respond(t, gw, `{"model":"`+presetName+`","input":"Contact John Doe, age 30, at john@email.com"`+tc.format+`}`)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			if p := validPerson(t, outputText(decode[responsesapi.Response](t, b))); p.Email != "john@email.com" {
				t.Errorf("person %+v", p)
			}
			ups := upstreamBodies(t, rec, upstreamPath(api))
			if h.Get("X-Reask-Schema") != "preset" || h.Get("X-Reask-Attempts") != "2" || len(ups) != 2 {
				t.Fatalf("headers %v, upstream calls %d", h, len(ups))
			}
			if string(ups[0]["model"]) != `"`+model+`"` {
				t.Errorf("upstream model %s", ups[0]["model"])
			}
		})
	}
}

// TestPresetListed: GET /v1/models lists the presets' names beside the
// upstream's models.
func TestPresetListed(t *testing.T) {
	up, _ := newSim(t, clean)
	gw, _ := newGateway(t, up.URL, withPreset)
	status, _, b := do(t, gw, http.MethodGet, "/v1/models", clientKey, "")
	if status != http.StatusOK || !strings.Contains(string(b), `"id":"`+presetName+`"`) {
		t.Errorf("status %d: %s", status, b)
	}
}

// TestPresetConfig: presets in the configuration file, and each mistake
// as an error naming its field.
func TestPresetConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "person.schema.json"), []byte(personSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.schema.json"), []byte(`{"type":"nonsense"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const up = `"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1","models":["gpt-4o-mini"]}]`
	for _, tc := range []struct {
		name, presets, field string
	}{
		{"schema_file, relative", `[{"name":"p","model":"gpt-4o-mini","schema_file":"person.schema.json"}]`, ""},
		{"inline schema", `[{"name":"p","model":"gpt-4o-mini","schema":` + personSchema + `}]`, ""},
		{"unknown field", `[{"name":"p","model":"gpt-4o-mini","schema":{},"shema":{}}]`, "presets[0].shema"},
		{"no schema", `[{"name":"p","model":"gpt-4o-mini"}]`, "presets[0].schema"},
		{"both", `[{"name":"p","model":"gpt-4o-mini","schema":{},"schema_file":"person.schema.json"}]`, "presets[0]"},
		{"missing file", `[{"name":"p","model":"gpt-4o-mini","schema_file":"none.json"}]`, "presets[0].schema_file"},
		{"does not compile", `[{"name":"p","model":"gpt-4o-mini","schema_file":"bad.schema.json"}]`, "presets[0].schema"},
		{"beyond a limit", `[{"name":"p","model":"gpt-4o-mini","schema":{"properties":{"a":{"properties":{"b":{}}}}}}],"schema":{"max_depth":1}`, "presets[0].schema"},
		{"name of a model", `[{"name":"gpt-4o-mini","model":"gpt-4o-mini","schema":{}}]`, "presets[0].name"},
		{"no name", `[{"model":"gpt-4o-mini","schema":{}}]`, "presets[0].name"},
		{"twice", `[{"name":"p","model":"gpt-4o-mini","schema":{}},{"name":"p","model":"gpt-4o-mini","schema":{}}]`, "presets[1].name"},
		{"no model", `[{"name":"p","schema":{}}]`, "presets[0].model"},
		{"model not served", `[{"name":"p","model":"gpt-5","schema":{}}]`, "presets[0].model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "gateway.json")
			if err := os.WriteFile(path, []byte(`{`+up+`,"presets":`+tc.presets+`}`), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := gateway.LoadConfig(path, func(string) string { return "" })
			var ce *gateway.ConfigError
			switch {
			case tc.field == "" && err != nil:
				t.Fatal(err)
			case tc.field == "":
				if len(c.Presets) != 1 || c.Presets[0].Name != "p" || c.Presets[0].Model != model || !json.Valid(c.Presets[0].Schema) {
					t.Errorf("presets %+v", c.Presets)
				}
			case !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, gateway.ErrConfig):
				t.Errorf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
}
