package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type geminiResp struct {
	Candidates []struct {
		Content struct {
			Role  string `json:"role"`
			Parts []struct {
				Text         *string `json:"text"`
				FunctionCall *struct {
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
				ThoughtSignature string `json:"thoughtSignature"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata struct {
		PromptTokenCount, CandidatesTokenCount, TotalTokenCount int
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

type geminiErrBody struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

const geminiPathFlash = "/v1beta/models/gemini-2.5-flash:generateContent"

var geminiKey = []string{"x-goog-api-key", "k"}

func geminiUser(text string) msg { return msg{"role": "user", "parts": []msg{{"text": text}}} }

func geminiBody(contents []msg, gen msg, extra ...any) map[string]any {
	b := map[string]any{"contents": contents, "systemInstruction": msg{"parts": []msg{{"text": "Extract the account."}}}}
	if gen != nil {
		b["generationConfig"] = gen
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

func jsonGen(schemaKey, schema string) msg {
	return msg{"responseMimeType": "application/json", schemaKey: rawJSON(schema), "temperature": 0}
}

func geminiTools(params string) []msg {
	return []msg{{"functionDeclarations": []msg{{"name": "save_account", "description": "Save it.", "parametersJsonSchema": rawJSON(params)}}}}
}

var geminiAnyCall = msg{"functionCallingConfig": msg{"mode": "ANY", "allowedFunctionNames": []string{"save_account"}}}

func TestGeminiResponseJSONSchema(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	r := post(t, ts, geminiPathFlash, geminiBody([]msg{geminiUser("Text: " + accountText)}, jsonGen("responseJsonSchema", accountSchema)), geminiKey...)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var g geminiResp
	decodeJSON(t, r.body, &g)
	if len(g.Candidates) != 1 || g.Candidates[0].FinishReason != "STOP" || g.Candidates[0].Content.Role != "model" || g.ModelVersion != "gemini-2.5-flash" || g.ResponseID == "" {
		t.Fatalf("answer %s", r.body)
	}
	if p := g.Candidates[0].Content.Parts; len(p) != 1 || p[0].Text == nil || *p[0].Text != accountClean {
		t.Errorf("parts %s", r.body)
	}
	u := g.UsageMetadata
	if u.PromptTokenCount == 0 || u.CandidatesTokenCount == 0 || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Errorf("usage %+v", u)
	}
	if r.header.Get("x-ratelimit-limit-requests") != "" || r.header.Get("retry-after") != "" {
		t.Errorf("OpenAI headers on a Gemini answer: %v", r.header)
	}
}

// TestGeminiLegacySchema: responseSchema is Gemini's Schema object: a
// member it lacks or a format its type does not take is refused as the API
// refuses it; upper-case types and nullable are read; without
// propertyOrdering the properties come in alphabetical order.
func TestGeminiLegacySchema(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	for _, tc := range []struct {
		name, schema string
		status       int
		want         string
	}{
		{"additionalProperties", accountSchema, 400, `Unknown name \"additionalProperties\" at 'generation_config.response_schema': Cannot find field.`},
		{"a nested member", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","exclusiveMinimum":0}}}`, 400, `Unknown name \"exclusiveMinimum\" at 'generation_config.response_schema.properties[1].value'`},
		{"$schema", `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"name":{"type":"string"}}}`, 400, `Unknown name \"$schema\"`},
		{"format email", `{"type":"OBJECT","properties":{"mail":{"type":"STRING","format":"email"}}}`, 400, "only 'enum' and 'date-time' are supported for STRING type"},
		{"a type list", `{"type":"object","properties":{"name":{"type":["string","null"]}}}`, 400, "Proto field is not repeating"},
		{"an object without properties", `{"type":"object","properties":{"x":{"type":"object"}}}`, 400, "should be non-empty for OBJECT type"},
		{"alphabetical", `{"type":"OBJECT","properties":{"name":{"type":"STRING"},"age":{"type":"INTEGER","nullable":true}},"required":["name","age"]}`, 200, `{\"age\":30,\"name\":\"John Doe\"}`},
		{"propertyOrdering", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","format":"int32"}},"propertyOrdering":["name","age"]}`, 200, `{\"name\":\"John Doe\",\"age\":30}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts, geminiPathFlash, geminiBody([]msg{geminiUser("Text: " + accountText)}, jsonGen("responseSchema", tc.schema)), geminiKey...)
			if r.status != tc.status || !contains(r.body, tc.want) {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
			if tc.status == 400 {
				var e geminiErrBody
				decodeJSON(t, r.body, &e)
				if e.Error.Status != "INVALID_ARGUMENT" || e.Error.Code != 400 {
					t.Errorf("error %s", r.body)
				}
			}
		})
	}
}

// TestGeminiFunctionCalling: tools answer with a functionCall whose args
// are an object; the next turn must answer each call with a
// functionResponse; Gemini 3 models sign their calls and want the
// signature back.
func TestGeminiFunctionCalling(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	user := geminiUser("Text: " + accountText)
	r := post(t, ts, geminiPathFlash, geminiBody([]msg{user}, nil, "tools", geminiTools(accountSchema), "toolConfig", geminiAnyCall), geminiKey...)
	var g geminiResp
	decodeJSON(t, r.body, &g)
	if r.status != 200 || len(g.Candidates) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	part := g.Candidates[0].Content.Parts[0]
	if part.FunctionCall == nil || part.FunctionCall.Name != "save_account" || string(part.FunctionCall.Args) != accountClean || part.ThoughtSignature != "" {
		t.Fatalf("part %s", r.body)
	}
	call := msg{"role": "model", "parts": []msg{{"functionCall": msg{"name": "save_account", "args": msg{"name": "John Doe"}}}}}
	answer := msg{"role": "user", "parts": []msg{{"functionResponse": msg{"name": "save_account", "response": msg{"error": "/age: missing"}}}}}
	for _, tc := range []struct {
		name     string
		path     string
		contents []msg
		status   int
		want     string
	}{
		{"answered", geminiPathFlash, []msg{user, call, answer}, 200, "functionCall"},
		{"unanswered", geminiPathFlash, []msg{user, call, geminiUser("age is missing")}, 400, "the number of function response parts is equal to the number of function call parts"},
		{"a response without a call", geminiPathFlash, []msg{user, answer}, 400, "function response turn comes immediately after a function call turn"},
		{"Gemini 3 wants the signature", "/v1beta/models/gemini-3-pro-preview:generateContent", []msg{user, call, answer}, 400, "missing a thought_signature"},
		{"Gemini 3, a forged signature", "/v1beta/models/gemini-3-pro-preview:generateContent",
			[]msg{user, {"role": "model", "parts": []msg{{"functionCall": msg{"name": "save_account", "args": msg{}}, "thoughtSignature": "bm9wZQ=="}}}, answer}, 400, "Corrupted thought signature"},
		{"a bad role", geminiPathFlash, []msg{{"role": "assistant", "parts": []msg{{"text": "hi"}}}}, 400, "Please use a valid role: user, model."},
		{"an empty part", geminiPathFlash, []msg{{"role": "user", "parts": []msg{{}}}}, 400, "required oneof field 'data'"},
		{"no contents", geminiPathFlash, []msg{}, 400, "contents is not specified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts, tc.path, geminiBody(tc.contents, nil, "tools", geminiTools(accountSchema), "toolConfig", geminiAnyCall), geminiKey...)
			if r.status != tc.status || !contains(r.body, tc.want) {
				t.Errorf("%d %s, want %d %q", r.status, r.body, tc.status, tc.want)
			}
		})
	}
	// A Gemini 3 call's own signature is accepted back.
	const g3 = "/v1beta/models/gemini-3-pro-preview:generateContent"
	r = post(t, ts, g3, geminiBody([]msg{user}, nil, "tools", geminiTools(accountSchema), "toolConfig", geminiAnyCall), geminiKey...)
	decodeJSON(t, r.body, &g)
	sig := g.Candidates[0].Content.Parts[0].ThoughtSignature
	if sig == "" {
		t.Fatalf("no signature: %s", r.body)
	}
	signed := msg{"role": "model", "parts": []msg{{"functionCall": msg{"name": "save_account", "args": msg{"name": "John Doe"}}, "thoughtSignature": sig}}}
	if r := post(t, ts, g3, geminiBody([]msg{user, signed, answer}, nil, "tools", geminiTools(accountSchema), "toolConfig", geminiAnyCall), geminiKey...); r.status != 200 {
		t.Errorf("its own signature: %d %s", r.status, r.body)
	}
}

// TestGeminiRequestChecks: keys, unknown fields, methods, snake_case names.
func TestGeminiRequestChecks(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1, APIKey: "k", Models: []string{"gemini-2.5-flash"}})
	body := geminiBody([]msg{geminiUser("Text: " + accountText)}, jsonGen("responseJsonSchema", accountSchema))
	for _, tc := range []struct {
		name    string
		path    string
		body    any
		headers []string
		status  int
		want    string
	}{
		{"no key", geminiPathFlash, body, nil, 403, `"status":"PERMISSION_DENIED"`},
		{"a wrong key", geminiPathFlash, body, []string{"x-goog-api-key", "other"}, 400, `"reason":"API_KEY_INVALID"`},
		{"the key in the query", geminiPathFlash + "?key=k", body, nil, 200, `"candidates"`},
		{"v1", "/v1/models/gemini-2.5-flash:generateContent", body, geminiKey, 200, `"candidates"`},
		{"an unknown model", "/v1beta/models/gemini-typo:generateContent", body, geminiKey, 404, "models/gemini-typo is not found for API version v1beta"},
		{"an unknown method", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", body, geminiKey, 404, "Method not found."},
		{"an unknown field", geminiPathFlash, map[string]any{"contents": []msg{geminiUser("hi")}, "temprature": 1}, geminiKey, 400, `Unknown name \"temprature\"`},
		{"snake_case names", geminiPathFlash, `{"system_instruction":{"parts":[{"text":"Extract."}]},"contents":[{"role":"user","parts":[{"text":"Text: ` + accountText + `"}]}],` +
			`"generation_config":{"response_mime_type":"application/json","response_json_schema":{"type":"object","properties":{"first_name":{"type":"string"}}}}}`, geminiKey, 200, `first_name`},
		{"a temperature out of range", geminiPathFlash, geminiBody([]msg{geminiUser("hi")}, msg{"temperature": 3}), geminiKey, 400, "temperature"},
		{"a schema without the JSON MIME type", geminiPathFlash, geminiBody([]msg{geminiUser("hi")}, msg{"responseJsonSchema": rawJSON(accountSchema)}), geminiKey, 400, "response_mime_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, ts, tc.path, tc.body, tc.headers...)
			if r.status != tc.status || !contains(r.body, tc.want) {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}
}

// TestGeminiTransportFaults: each transport fault in the Gemini API's
// own shape — RESOURCE_EXHAUSTED with a per-minute QuotaFailure and
// RetryInfo (no Retry-After header), a daily quota, INTERNAL, UNAVAILABLE.
func TestGeminiTransportFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile Profile
		status  int
		grpc    string
		details []string
	}{
		{"rate_limited", Profile{Transport: Transport{RateLimited: 1}}, 429, "RESOURCE_EXHAUSTED", []string{"GenerateRequestsPerMinutePerProjectPerModel", `"retryDelay":"`}},
		{"insufficient_quota", Profile{InsufficientQuota: true}, 429, "RESOURCE_EXHAUSTED", []string{"GenerateRequestsPerDayPerProjectPerModel"}},
		{"server_error", Profile{Transport: Transport{ServerError: 1}}, 500, "INTERNAL", nil},
		{"unavailable", Profile{Transport: Transport{Unavailable: 1}}, 503, "UNAVAILABLE", nil},
		{"outage", Profile{Outages: []Outage{{Duration: Duration(time.Minute)}}}, 503, "UNAVAILABLE", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ts := newTest(t, Config{Seed: 1, Profile: tc.profile})
			r := post(t, ts, geminiPathFlash, geminiBody([]msg{geminiUser("Text: " + accountText)}, jsonGen("responseJsonSchema", accountSchema)), geminiKey...)
			var e geminiErrBody
			decodeJSON(t, r.body, &e)
			if r.status != tc.status || e.Error.Status != tc.grpc || e.Error.Code != tc.status {
				t.Errorf("%d %s", r.status, r.body)
			}
			for _, d := range tc.details {
				if !contains(r.body, d) {
					t.Errorf("no %s in %s", d, r.body)
				}
			}
			if r.header.Get("retry-after") != "" {
				t.Errorf("a Retry-After header: %v", r.header)
			}
			if st := srv.Stats(); st.ByStatus[tc.status] != 1 {
				t.Errorf("stats %+v", st.ByStatus)
			}
		})
	}
	// The limiter's refusal says how long until a request fits.
	_, ts := newTest(t, Config{Seed: 1, RPM: 1})
	body := geminiBody([]msg{geminiUser("Text: " + accountText)}, jsonGen("responseJsonSchema", accountSchema))
	post(t, ts, geminiPathFlash, body, geminiKey...)
	r := post(t, ts, geminiPathFlash, body, geminiKey...)
	if r.status != 429 || !contains(r.body, `"retryDelay":"60s"`) || !contains(r.body, `"quotaValue":"1"`) {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestCamelKeys(t *testing.T) {
	in := `{"generation_config":{"response_mime_type":"application/json","response_json_schema":{"properties":{"first_name":{}}}},"contents":[{"parts":[{"function_call":{"name":"f","args":{"a_b":1}}}]}]}`
	want := `{"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"properties":{"first_name":{}}}},"contents":[{"parts":[{"functionCall":{"name":"f","args":{"a_b":1}}}]}]}`
	if got := string(camelKeys([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(camelKeys([]byte(`{"contents":[]}`))); got != `{"contents":[]}` {
		t.Errorf("unchanged: %s", got)
	}
	if strings.Contains(snakeToCamel("_private"), "P") {
		t.Error("a leading underscore is kept as it is")
	}
}
