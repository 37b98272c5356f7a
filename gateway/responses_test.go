package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/responsesapi"
	"github.com/reask/reask/sim"
)

// upstreamAPIs are the two kinds of upstream a Responses request can go
// to: the simulator serves both APIs, so each test runs against each.
var upstreamAPIs = []gateway.UpstreamAPI{gateway.APIChat, gateway.APIResponses}

// upstreamPath is where an upstream of the kind api gets Responses
// requests.
func upstreamPath(api gateway.UpstreamAPI) string {
	if api == gateway.APIResponses {
		return "/v1/responses"
	}
	return "/v1/chat/completions"
}

// newResponsesGateway starts a simulator with profile p and a gateway in
// front of it whose upstream speaks api.
func newResponsesGateway(t *testing.T, p sim.Profile, api gateway.UpstreamAPI, mod func(*gateway.Config)) (*httptest.Server, *recorder) {
	t.Helper()
	up, rec := newSim(t, p)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams[0].API = api
		if mod != nil {
			mod(c)
		}
	})
	return gw, rec
}

// respond posts body to the gateway's /v1/responses.
func respond(t *testing.T, gw *httptest.Server, body string) (int, http.Header, []byte) {
	t.Helper()
	return do(t, gw, http.MethodPost, "/v1/responses", clientKey, body)
}

// personItems is the person conversation as Responses input items: a
// system message with string content, a user message with parts.
const personItems = `[{"role":"system","content":"Extract the person's details."},` +
	`{"type":"message","role":"user","content":[{"type":"input_text","text":"Contact John Doe, age 30, at john@email.com"}]}]`

// personString is the same conversation as instructions and a string.
const personString = `"instructions":"Extract the person's details.","input":"Contact John Doe, age 30, at john@email.com"`

const personFormat = `"text":{"format":{"type":"json_schema","name":"person","strict":false,"schema":` + personSchema + `}}`

const personTool = `"tools":[{"type":"function","name":"record_person","description":"Record a person.","parameters":` + personSchema + `,"strict":false}],` +
	`"tool_choice":{"type":"function","name":"record_person"}`

// responsesBody is a Responses request for the model with the members
// given (comma-separated, without braces).
func responsesBody(members ...string) string {
	return `{"model":"` + model + `",` + strings.Join(members, ",") + `}`
}

// outputText is the response's text, as the SDKs compute output_text.
func outputText(r responsesapi.Response) string {
	var b strings.Builder
	for _, it := range r.Output {
		if it.Type != responsesapi.ItemMessage {
			continue
		}
		for _, p := range it.Content.Parts {
			if p.Type == responsesapi.PartOutputText {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}

// upstreamBodies decodes the bodies of the upstream requests.
func upstreamBodies(t *testing.T, rec *recorder, path string) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	for _, r := range rec.requests() {
		if r.path != path {
			t.Errorf("an upstream request went to %s, want %s", r.path, path)
			continue
		}
		out = append(out, decode[map[string]json.RawMessage](t, r.body))
	}
	return out
}

func TestResponsesSchemaRequestIsReasked(t *testing.T) {
	for _, api := range upstreamAPIs {
		for _, tc := range []struct {
			name  string
			input string
		}{
			{"string input", personString},
			{"items input", `"input":` + personItems},
		} {
			t.Run(string(api)+"/"+tc.name, func(t *testing.T) {
				gw, rec := newResponsesGateway(t, reasked, api, nil)
				body := responsesBody(tc.input, personFormat, `"temperature":0.2,"top_p":0.9,"user":"u-1","max_output_tokens":300`)
				status, h, b := respond(t, gw, body)
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, b)
				}
				r := decode[responsesapi.Response](t, b)
				if r.Object != "response" || !strings.HasPrefix(r.ID, "resp_") || r.Status != responsesapi.StatusCompleted || r.CreatedAt == 0 || r.Model != model {
					t.Fatalf("response %s", b)
				}
				if len(r.Output) != 1 || r.Output[0].Type != responsesapi.ItemMessage || r.Output[0].Role != "assistant" {
					t.Fatalf("output %s", b)
				}
				if p := validPerson(t, outputText(r)); p != (person{"John Doe", 30, "john@email.com"}) {
					t.Errorf("person %+v", p)
				}
				if r.Text.Format == nil || r.Text.Format.Type != "json_schema" || r.Temperature != 0.2 || r.TopP != 0.9 {
					t.Errorf("echoed settings %s", b)
				}
				if header(h, "X-Reask-Attempts") != 2 || header(h, "X-Reask-Calls") != 2 || h.Get("X-Reask-Repairs") != "0" ||
					header(h, "X-Reask-Wasted-Tokens") <= 0 || h.Get("X-Reask-Upstream") != "sim" {
					t.Errorf("headers %v", h)
				}
				// usage sums both attempts: more than the wasted first one.
				if u := r.Usage; u == nil || u.InputTokens == 0 || u.OutputTokens == 0 || u.TotalTokens != u.InputTokens+u.OutputTokens ||
					u.TotalTokens <= header(h, "X-Reask-Wasted-Tokens") {
					t.Errorf("usage %+v, wasted %s", r.Usage, h.Get("X-Reask-Wasted-Tokens"))
				}
				ups := upstreamBodies(t, rec, upstreamPath(api))
				if len(ups) != 2 {
					t.Fatalf("%d upstream requests", len(ups))
				}
				client := decode[map[string]json.RawMessage](t, []byte(body))
				for _, f := range []string{"temperature", "top_p", "user", "model"} {
					if !bytes.Equal(ups[0][f], client[f]) || !bytes.Equal(ups[1][f], client[f]) {
						t.Errorf("%s: upstream got %s and %s, client sent %s", f, ups[0][f], ups[1][f], client[f])
					}
				}
				if _, ok := ups[0]["stream"]; ok {
					t.Error("the upstream request must not stream")
				}
				var turns []map[string]any
				if api == gateway.APIResponses {
					// The client's members and input items as sent, then
					// the failed answer and the feedback as input items.
					if !bytes.Equal(ups[0]["instructions"], client["instructions"]) || !bytes.Equal(ups[0]["max_output_tokens"], client["max_output_tokens"]) {
						t.Errorf("instructions %s, max_output_tokens %s", ups[0]["instructions"], ups[0]["max_output_tokens"])
					}
					if raw := client["input"]; raw[0] == '[' && !bytes.Equal(compact(t, ups[0]["input"]), compact(t, raw)) {
						t.Errorf("first input %s, want the client's %s", ups[0]["input"], raw)
					}
					var format struct {
						Format responsesapi.TextFormat `json:"format"`
					}
					_ = json.Unmarshal(ups[0]["text"], &format)
					if format.Format.Type != "json_schema" || format.Format.Name != "person" || format.Format.Strict == nil || *format.Format.Strict {
						t.Errorf("text %s", ups[0]["text"])
					}
					_ = json.Unmarshal(ups[1]["input"], &turns)
				} else {
					if !bytes.Equal(ups[0]["max_tokens"], client["max_output_tokens"]) {
						t.Errorf("max_tokens %s", ups[0]["max_tokens"])
					}
					_ = json.Unmarshal(ups[1]["messages"], &turns)
				}
				n := len(turns)
				if n < 3 || turns[n-2]["role"] != "assistant" || turns[n-1]["role"] != "user" ||
					!strings.Contains(turns[n-1]["content"].(string), "does not match the schema") {
					t.Errorf("re-ask turns %v", turns)
				}
			})
		}
	}
}

func TestResponsesForcedFunctionTool(t *testing.T) {
	for _, api := range upstreamAPIs {
		t.Run(string(api), func(t *testing.T) {
			gw, rec := newResponsesGateway(t, reasked, api, nil)
			status, h, b := respond(t, gw, responsesBody(`"input":`+personItems, personTool))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			r := decode[responsesapi.Response](t, b)
			if len(r.Output) != 1 {
				t.Fatalf("output %s", b)
			}
			call := r.Output[0]
			if call.Type != responsesapi.ItemFunctionCall || call.Name != "record_person" || call.CallID == "" || !strings.HasPrefix(call.ID, "fc_") {
				t.Fatalf("function call %s", b)
			}
			validPerson(t, call.Arguments)
			if header(h, "X-Reask-Attempts") != 2 {
				t.Errorf("attempts %s", h.Get("X-Reask-Attempts"))
			}
			ups := upstreamBodies(t, rec, upstreamPath(api))
			if len(ups) != 2 {
				t.Fatalf("%d upstream requests", len(ups))
			}
			if api == gateway.APIResponses {
				// Flat tools forced by name; the re-ask answers the call.
				if string(ups[0]["tool_choice"]) != `{"type":"function","name":"record_person"}` {
					t.Errorf("tool_choice %s", ups[0]["tool_choice"])
				}
				var tools []responsesapi.Tool
				_ = json.Unmarshal(ups[0]["tools"], &tools)
				if len(tools) != 1 || tools[0].Name != "record_person" || tools[0].Description == nil || *tools[0].Description != "Record a person." {
					t.Errorf("tools %s", ups[0]["tools"])
				}
				var items []responsesapi.Item
				_ = json.Unmarshal(ups[1]["input"], &items)
				n := len(items)
				if n < 2 || items[n-2].Type != responsesapi.ItemFunctionCall || items[n-1].Type != responsesapi.ItemFunctionCallOutput ||
					items[n-1].CallID != items[n-2].CallID || items[n-1].CallID == "" {
					t.Errorf("re-ask items %s", ups[1]["input"])
				}
			} else if !strings.Contains(string(ups[0]["tool_choice"]), `"function":{"name":"record_person"}`) {
				t.Errorf("tool_choice %s", ups[0]["tool_choice"])
			}
		})
	}
}

// TestResponsesJSONObject: text.format json_object goes upstream as JSON
// mode and the answer is one JSON object.
func TestResponsesJSONObject(t *testing.T) {
	for _, api := range upstreamAPIs {
		t.Run(string(api), func(t *testing.T) {
			gw, rec := newResponsesGateway(t, clean, api, nil)
			status, _, b := respond(t, gw, responsesBody(`"input":"Extract the person as JSON: Contact John Doe, age 30, at john@email.com"`,
				`"text":{"format":{"type":"json_object"}}`))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			r := decode[responsesapi.Response](t, b)
			var obj map[string]any
			if err := json.Unmarshal([]byte(outputText(r)), &obj); err != nil {
				t.Fatalf("output %q is not a JSON object: %v", outputText(r), err)
			}
			if r.Text.Format == nil || r.Text.Format.Type != "json_object" {
				t.Errorf("text %+v", r.Text)
			}
			ups := upstreamBodies(t, rec, upstreamPath(api))
			if len(ups) == 0 {
				t.Fatal("no upstream request")
			}
			format := string(ups[0]["response_format"])
			if api == gateway.APIResponses {
				format = string(ups[0]["text"])
			}
			if !strings.Contains(format, `"type":"json_object"`) {
				t.Errorf("upstream format %s", format)
			}
		})
	}
}

// responseEvent is a Responses stream event as the tests read it.
type responseEvent struct {
	Event          string                 `json:"-"` // the SSE event field
	Type           string                 `json:"type"`
	SequenceNumber int                    `json:"sequence_number"`
	Response       *responsesapi.Response `json:"response"`
	Item           *responsesapi.Item     `json:"item"`
	ItemID         string                 `json:"item_id"`
	OutputIndex    int                    `json:"output_index"`
	Delta          string                 `json:"delta"`
	Text           string                 `json:"text"`
	Arguments      string                 `json:"arguments"`
}

// responseEvents parses a Responses API event stream: each event's
// "event:" field names its type, the stream has no [DONE], and sequence
// numbers count from 0.
func responseEvents(t *testing.T, b []byte) []responseEvent {
	t.Helper()
	var out []responseEvent
	for _, ev := range strings.Split(string(b), "\n\n") {
		ev = strings.TrimSpace(ev)
		if ev == "" {
			continue
		}
		name, data, ok := strings.Cut(ev, "\n")
		name, ok1 := strings.CutPrefix(name, "event: ")
		data, ok2 := strings.CutPrefix(data, "data: ")
		if !ok || !ok1 || !ok2 {
			t.Fatalf("not an event: %q", ev)
		}
		e := decode[responseEvent](t, []byte(data))
		e.Event = name
		if e.Type != name || e.SequenceNumber != len(out) {
			t.Fatalf("event %d: %q with type %q, sequence number %d", len(out), name, e.Type, e.SequenceNumber)
		}
		out = append(out, e)
	}
	return out
}

// streamedResponse checks a stream's order — created, in_progress, each
// item's added, deltas and done events, completed — and that the deltas
// add up to what the done events and the final response say; it returns
// the final response.
func streamedResponse(t *testing.T, evs []responseEvent) responsesapi.Response {
	t.Helper()
	var types []string
	for _, e := range evs {
		if n := len(types); n == 0 || types[n-1] != e.Type || !strings.HasSuffix(e.Type, ".delta") {
			types = append(types, e.Type)
		}
	}
	var want []string
	last := evs[len(evs)-1]
	if last.Response == nil {
		t.Fatalf("last event %+v", last)
	}
	final := *last.Response
	want = append(want, responsesapi.EventCreated, responsesapi.EventInProgress)
	for _, it := range final.Output {
		want = append(want, responsesapi.EventOutputItemAdded)
		if it.Type == responsesapi.ItemFunctionCall {
			want = append(want, responsesapi.EventFunctionCallArgumentsDelta, responsesapi.EventFunctionCallArgumentsDone)
		} else {
			want = append(want, responsesapi.EventContentPartAdded, responsesapi.EventOutputTextDelta, responsesapi.EventOutputTextDone, responsesapi.EventContentPartDone)
		}
		want = append(want, responsesapi.EventOutputItemDone)
	}
	want = append(want, responsesapi.EventCompleted)
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	var deltas strings.Builder
	for _, e := range evs {
		switch e.Type {
		case responsesapi.EventOutputTextDelta, responsesapi.EventFunctionCallArgumentsDelta:
			deltas.WriteString(e.Delta)
		case responsesapi.EventOutputTextDone:
			if e.Text != deltas.String() {
				t.Errorf("done text %q, deltas %q", e.Text, deltas.String())
			}
		case responsesapi.EventFunctionCallArgumentsDone:
			if e.Arguments != deltas.String() {
				t.Errorf("done arguments %q, deltas %q", e.Arguments, deltas.String())
			}
		}
	}
	if evs[0].Response == nil || evs[0].Response.ID != final.ID || evs[0].Response.Status != responsesapi.StatusInProgress {
		t.Errorf("created %+v, final id %s", evs[0].Response, final.ID)
	}
	return final
}

// sameResponse compares what a streamed and a plain answer say: status,
// output items (type, text, call name and arguments), usage.
func sameResponse(t *testing.T, got, want responsesapi.Response) {
	t.Helper()
	type item struct{ Type, Text, Name, Arguments string }
	items := func(r responsesapi.Response) []item {
		var out []item
		for _, it := range r.Output {
			out = append(out, item{it.Type, outputText(responsesapi.Response{Output: []responsesapi.Item{it}}), it.Name, it.Arguments})
		}
		return out
	}
	if got.Status != want.Status || !slices.Equal(items(got), items(want)) || got.Model != want.Model {
		t.Errorf("streamed %+v, plain %+v", items(got), items(want))
	}
	if got.Usage == nil || want.Usage == nil || *got.Usage != *want.Usage {
		t.Errorf("streamed usage %+v, plain %+v", got.Usage, want.Usage)
	}
}

// TestResponsesStreamEqualsPlain: a streamed schema request (validated,
// then streamed) and a streamed pass-through (translated from a chat
// upstream's stream as it comes, or a Responses upstream's copied) say
// what the plain answer says, in the Responses API's event order.
func TestResponsesStreamEqualsPlain(t *testing.T) {
	for _, api := range upstreamAPIs {
		for _, tc := range []struct {
			name    string
			members []string
			profile sim.Profile
		}{
			{"schema", []string{`"input":` + personItems, personFormat}, fenced},
			{"forced tool", []string{`"input":` + personItems, personTool}, fenced},
			{"pass-through", []string{`"input":"Say hello"`}, clean},
		} {
			t.Run(string(api)+"/"+tc.name, func(t *testing.T) {
				// Two gateways on two simulators of the same seed: the
				// two requests get the same answer.
				plainGW, _ := newResponsesGateway(t, tc.profile, api, nil)
				streamGW, rec := newResponsesGateway(t, tc.profile, api, nil)
				status, _, b := respond(t, plainGW, responsesBody(tc.members...))
				if status != http.StatusOK {
					t.Fatalf("plain: status %d: %s", status, b)
				}
				plain := decode[responsesapi.Response](t, b)
				status, h, b := respond(t, streamGW, responsesBody(append(tc.members, `"stream":true`)...))
				if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
					t.Fatalf("stream: status %d, %v: %s", status, h, b)
				}
				if h.Get("X-Reask-Attempts") != "1" || h.Get("X-Reask-Upstream") != "sim" {
					t.Errorf("headers %v", h)
				}
				sameResponse(t, streamedResponse(t, responseEvents(t, b)), plain)
				ups := upstreamBodies(t, rec, upstreamPath(api))
				if tc.name == "pass-through" && api == gateway.APIChat && string(ups[0]["stream_options"]) != `{"include_usage":true}` {
					t.Errorf("a translated stream asks for usage: %s", ups[0]["stream_options"])
				}
			})
		}
	}
}

// TestResponsesPassthrough: a request without a schema goes to a
// Responses upstream byte for byte, and to a chat upstream translated.
func TestResponsesPassthrough(t *testing.T) {
	for _, api := range upstreamAPIs {
		t.Run(string(api), func(t *testing.T) {
			members := []string{`"input":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"input_text","text":"Say hello"}]}]`,
				`"instructions":"You are kind.","temperature":0.5,"metadata":{"k":"v"},"store":false`}
			if api == gateway.APIChat {
				// A member the gateway does not know goes to a chat
				// upstream as it is (the simulator's Responses API, as
				// OpenAI's, refuses unknown members).
				members = append(members, `"seed":3`)
			}
			body := responsesBody(members...)
			gw, rec := newResponsesGateway(t, clean, api, nil)
			status, h, b := respond(t, gw, body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			r := decode[responsesapi.Response](t, b)
			if r.Status != responsesapi.StatusCompleted || outputText(r) == "" || r.Usage == nil || r.Usage.OutputTokens == 0 {
				t.Errorf("response %s", b)
			}
			if h.Get("X-Reask-Attempts") != "1" || h.Get("X-Reask-Upstream") != "sim" {
				t.Errorf("headers %v", h)
			}
			reqs := rec.requests()
			if len(reqs) != 1 || reqs[0].path != upstreamPath(api) {
				t.Fatalf("upstream requests %+v", reqs)
			}
			if api == gateway.APIResponses {
				if string(reqs[0].body) != body {
					t.Errorf("upstream got %s, want the client's body %s", reqs[0].body, body)
				}
				return
			}
			up := decode[map[string]json.RawMessage](t, reqs[0].body)
			want := `[{"role":"system","content":"You are kind."},{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Say hello"}]}]`
			if string(up["messages"]) != want {
				t.Errorf("messages %s, want %s", up["messages"], want)
			}
			for f, v := range map[string]string{"temperature": "0.5", "seed": "3", "model": `"` + model + `"`} {
				if string(up[f]) != v {
					t.Errorf("%s: %s, want %s", f, up[f], v)
				}
			}
			for _, f := range []string{"input", "instructions", "metadata", "store"} {
				if _, ok := up[f]; ok {
					t.Errorf("the chat upstream got %s", f)
				}
			}
		})
	}
}

// TestResponsesRefusals: what needs state the gateway does not keep, or a
// Responses API server's own tools, is refused for a chat upstream with a
// 400 naming the member and forwarded to a Responses upstream (which
// here, being stateless too, refuses it itself); background mode is
// refused for both.
func TestResponsesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string
		param   string
		// upstreamCode is the Responses upstream's code, "" when the
		// gateway refuses for both kinds.
		upstreamCode string
	}{
		{"previous_response_id", `"input":"and now?","previous_response_id":"resp_123"`, "previous_response_id", "previous_response_not_found"},
		{"conversation", `"input":"and now?","conversation":"conv_1"`, "conversation", "invalid_request_error"},
		{"item reference", `"input":[{"type":"item_reference","id":"msg_1"}]`, "input[0]", "invalid_request_error"},
		{"hosted tool", `"input":"Search","tools":[{"type":"web_search"}]`, "tools[0].type", "invalid_value"},
		{"unknown format", `"input":"hi","text":{"format":{"type":"yaml"}}`, "text.format.type", "invalid_value"},
		{"unknown part", `"input":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]`, "input[0].content[0].type", "invalid_value"},
		{"background", `"input":"hello","background":true`, "background", ""},
	} {
		for _, api := range upstreamAPIs {
			t.Run(tc.name+"/"+string(api), func(t *testing.T) {
				gw, rec := newResponsesGateway(t, clean, api, nil)
				status, _, b := respond(t, gw, responsesBody(tc.members))
				e := decode[errorBody](t, b)
				if status != http.StatusBadRequest || e.Error.Type != "invalid_request_error" {
					t.Fatalf("status %d: %s", status, b)
				}
				if api == gateway.APIChat || tc.upstreamCode == "" {
					if code(e) != "unsupported_parameter" || e.Error.Param == nil || *e.Error.Param != tc.param || len(rec.requests()) != 0 {
						t.Errorf("%s, %d upstream requests", b, len(rec.requests()))
					}
					return
				}
				if len(rec.requests()) != 1 || (code(e) != tc.upstreamCode && e.Error.Type != tc.upstreamCode) {
					t.Errorf("%s, %d upstream requests", b, len(rec.requests()))
				}
			})
		}
	}
}

func TestResponsesExhaustedIs422(t *testing.T) {
	for _, api := range upstreamAPIs {
		t.Run(string(api), func(t *testing.T) {
			gw, rec := newResponsesGateway(t, hopeless, api, nil)
			status, h, b := respond(t, gw, responsesBody(`"input":`+personItems, personFormat))
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", status, b)
			}
			e := decode[errorBody](t, b)
			if code(e) != "reask_exhausted" || e.Error.Type != "invalid_response_error" || e.Error.Attempts != 4 ||
				len(e.Error.Violations) == 0 || e.Error.LastOutput == "" || !strings.Contains(e.Error.Message, "missing required field") {
				t.Errorf("error %s", b)
			}
			if header(h, "X-Reask-Attempts") != 4 || len(rec.requests()) != 4 {
				t.Errorf("attempts %s, %d upstream requests", h.Get("X-Reask-Attempts"), len(rec.requests()))
			}
		})
	}
}

// TestResponsesBadRequests: client errors are 400s in the Responses API's
// words, naming the member, before any upstream call.
func TestResponsesBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, param string
	}{
		{"not an object", `[1]`, "invalid_json", ""},
		{"broken JSON", `{"model":`, "invalid_json", ""},
		{"duplicate model", `{"model":"a","model":"` + model + `","input":"hi"}`, "duplicate_parameter", "model"},
		{"case variant", `{"model":"` + model + `","Input":"x","input":"hi"}`, "duplicate_parameter", "input"},
		{"input type", `{"model":"` + model + `","input":3}`, "invalid_type", "input"},
		{"content type", `{"model":"` + model + `","input":[{"role":"user","content":7}]}`, "invalid_type", "input[0].content"},
		{"no input", `{"model":"` + model + `"}`, "missing_required_parameter", "input"},
		{"no role", `{"model":"` + model + `","input":[{"content":"hi"}]}`, "missing_required_parameter", "input[0].role"},
		{"no schema", responsesBody(`"input":"hi"`, `"text":{"format":{"type":"json_schema","name":"x"}}`), "missing_required_parameter", "text.format.schema"},
		{"bad schema", responsesBody(`"input":"hi"`, `"text":{"format":{"type":"json_schema","name":"x","schema":{"type":"nope"}}}`), "invalid_json_schema", "text.format.schema"},
		{"chat member", responsesBody(`"input":"hi"`, `"messages":[]`), "unknown_parameter", "messages"},
		{"no model", `{"input":"hi"}`, "missing_required_parameter", "model"},
	} {
		for _, api := range upstreamAPIs {
			t.Run(tc.name+"/"+string(api), func(t *testing.T) {
				gw, rec := newResponsesGateway(t, clean, api, nil)
				status, _, b := respond(t, gw, tc.body)
				e := decode[errorBody](t, b)
				if status != http.StatusBadRequest || code(e) != tc.code {
					t.Fatalf("status %d: %s", status, b)
				}
				if param := ""; e.Error.Param != nil {
					param = *e.Error.Param
					if param != tc.param {
						t.Errorf("param %q, want %q: %s", param, tc.param, b)
					}
				} else if tc.param != "" {
					t.Errorf("no param, want %q: %s", tc.param, b)
				}
				if len(rec.requests()) != 0 {
					t.Errorf("%d upstream requests", len(rec.requests()))
				}
			})
		}
	}
}

// TestResponsesGuards: the endpoint has the chat endpoint's guards
// (authentication, Content-Type, cross-origin browsers, body limit), its
// metrics label, and no
// stored responses.
func TestResponsesGuards(t *testing.T) {
	gw, rec := newResponsesGateway(t, clean, gateway.APIChat, func(c *gateway.Config) { c.MaxBodyBytes = 200 })
	post := func(ct, key, origin, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL+"/v1/responses", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := gw.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, code(e)
	}
	hello := responsesBody(`"input":"Say hello"`)
	for _, tc := range []struct {
		name, ct, key, origin, body string
		status                      int
		code                        string
	}{
		{"no key", "application/json", "", "", hello, http.StatusUnauthorized, "invalid_api_key"},
		{"text/plain", "text/plain", clientKey, "", hello, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"cross-origin", "application/json", clientKey, "https://evil.example", hello, http.StatusForbidden, "cross_origin_request"},
		{"too large", "application/json", clientKey, "", responsesBody(`"input":"` + strings.Repeat("a", 300) + `"`), http.StatusRequestEntityTooLarge, "request_too_large"},
		{"ok", "application/json", clientKey, "", hello, http.StatusOK, ""},
	} {
		if status, c := post(tc.ct, tc.key, tc.origin, tc.body); status != tc.status || c != tc.code {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, c, tc.status, tc.code)
		}
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d upstream requests, want the one accepted", n)
	}
	status, _, b := do(t, gw, http.MethodGet, "/v1/responses/resp_123", clientKey, "")
	if e := decode[errorBody](t, b); status != http.StatusNotFound || code(e) != "not_found" || !strings.Contains(e.Error.Message, "stores no responses") {
		t.Errorf("GET a stored response: %d %s", status, b)
	}
	_, _, metrics := do(t, gw, http.MethodGet, "/metrics", clientKey, "")
	if !strings.Contains(string(metrics), `reask_http_requests_total{code="200",kind="passthrough",route="/v1/responses"} 1`) {
		t.Errorf("metrics lack the Responses route:\n%s", metrics)
	}
}

// TestResponsesFallbackAcrossAPIs: a route's targets may speak different
// APIs; each call goes in its own. The primary (a Responses upstream) is
// down; the fallback speaks chat.
func TestResponsesFallbackAcrossAPIs(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	up, rec := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		reaskMaxRetries(&c.Reask, 0)
		c.Upstreams = []gateway.Upstream{
			{Name: "down", BaseURL: downURL + "/v1", API: gateway.APIResponses, Models: []string{model}},
			{Name: "sim", BaseURL: up.URL + "/v1", APIKey: upstreamKey, Models: []string{model}},
		}
		c.Fallbacks = map[string][]string{model: {"sim/" + model}}
	})
	status, h, b := respond(t, gw, responsesBody(`"input":`+personItems, personFormat))
	if status != http.StatusOK || h.Get("X-Reask-Upstream") != "sim/"+model {
		t.Fatalf("status %d, headers %v: %s", status, h, b)
	}
	validPerson(t, outputText(decode[responsesapi.Response](t, b)))
	upstreamBodies(t, rec, "/v1/chat/completions")

	// The same route cannot carry previous_response_id to the chat
	// fallback: its call is a 400 naming the member.
	status, _, b = respond(t, gw, responsesBody(`"input":"and now?"`, `"previous_response_id":"resp_1"`))
	if e := decode[errorBody](t, b); status != http.StatusBadRequest || code(e) != "unsupported_parameter" ||
		!strings.Contains(e.Error.Message, "sim/"+model) {
		t.Errorf("status %d: %s", status, b)
	}
}
