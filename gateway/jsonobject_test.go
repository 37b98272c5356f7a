package gateway_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// jsonObjectRequest is a json_object request (no schema) with messages
// msgs and the extra members extra.
func jsonObjectRequest(msgs, extra string) string {
	return `{"model":"` + model + `","messages":` + msgs + `,"response_format":{"type":"json_object"}` + extra + `}`
}

// saysJSON mentions JSON, as OpenAI wants of a json_object request.
const saysJSON = `[{"role":"system","content":"Reply in JSON."},{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`

// noJSONWord never says "json".
const noJSONWord = `[{"role":"user","content":"Contact John Doe, age 30, at john@email.com"}]`

// answering is an upstream answering with fixed contents in turn (the last
// one again once they run out), recording every request.
func answering(t *testing.T, contents ...string) (*httptest.Server, *recorder) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	return newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c := contents[min(n, len(contents)-1)]
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer("1", c, false)))
	})
}

// upstreamBody decodes the members of an upstream request.
func upstreamBody(t *testing.T, r recorded) (map[string]json.RawMessage, []map[string]any) {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("upstream body %s: %v", r.body, err)
	}
	var msgs []map[string]any
	_ = json.Unmarshal(body["messages"], &msgs)
	return body, msgs
}

func TestJSONObjectAnswerIsRepairedLocally(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"fenced", "```json\n{\"name\": \"John Doe\", \"age\": 30}\n```", `{"name": "John Doe", "age": 30}`},
		{"prose", "Here is the JSON you asked for: {\"name\": \"John Doe\"}. Anything else?", `{"name": "John Doe"}`},
		{"python literals", `{"name": "John Doe", "phone": None, "vip": True}`, `{"name":"John Doe","phone":null,"vip":true}`},
		{"trailing comma", `{"name": "John Doe", "tags": ["a", "b",],}`, `{"name":"John Doe","tags":["a","b"]}`},
		{"single quotes and a comment", "{'name': 'John Doe', // the name\n'age': 30}", `{"name":"John Doe","age":30}`},
		{"a document in a string", `"{\"name\": \"John Doe\"}"`, `{"name": "John Doe"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := answering(t, tc.content)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, b := call(t, gw, jsonObjectRequest(saysJSON, `,"temperature":0.3`))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			c := decode[completion](t, b)
			if len(c.Choices) != 1 || c.Choices[0].Message.Content == nil || *c.Choices[0].FinishReason != "stop" {
				t.Fatalf("completion %s", b)
			}
			if got := *c.Choices[0].Message.Content; got != tc.want {
				t.Errorf("content %s, want %s", got, tc.want)
			}
			if header(h, "X-Reask-Repairs") < 1 || h.Get("X-Reask-Attempts") != "1" || len(rec.requests()) != 1 {
				t.Errorf("headers %v, upstream calls %d", h, len(rec.requests()))
			}
			if c.Usage == nil || c.Usage.TotalTokens != 60 {
				t.Errorf("usage %+v", c.Usage)
			}
			// Upstream: the client's request, still JSON mode, not streamed,
			// no instruction added (the client's system message says JSON).
			body, msgs := upstreamBody(t, rec.requests()[0])
			if string(body["response_format"]) != `{"type":"json_object"}` || string(body["temperature"]) != "0.3" || body["stream"] != nil || len(msgs) != 2 {
				t.Errorf("upstream request %s", rec.requests()[0].body)
			}
		})
	}
}

func TestJSONObjectThatIsNotAnObjectIsReasked(t *testing.T) {
	good := `{"name":"John Doe"}`
	for _, tc := range []struct {
		name, first string
		feedback    string // in the re-ask
	}{
		{"array", `[{"name":"John Doe"}]`, "expected object"},
		{"string", `"John Doe"`, "expected object"},
		{"number", `42`, "expected object"},
		{"no JSON at all", `John Doe, 30.`, "not valid JSON"},
		{"truncated", `{"name": "John`, "cut off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := answering(t, tc.first, good)
			gw, _ := newGateway(t, up.URL, nil)
			status, h, b := call(t, gw, jsonObjectRequest(saysJSON, ""))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			if got := *decode[completion](t, b).Choices[0].Message.Content; got != good {
				t.Errorf("content %s, want %s", got, good)
			}
			reqs := rec.requests()
			if len(reqs) != 2 || h.Get("X-Reask-Attempts") != "2" || header(h, "X-Reask-Wasted-Tokens") != 60 {
				t.Fatalf("upstream calls %d, headers %v", len(reqs), h)
			}
			body, msgs := upstreamBody(t, reqs[1])
			if string(body["response_format"]) != `{"type":"json_object"}` || len(msgs) != 4 || msgs[2]["content"] != tc.first {
				t.Fatalf("re-ask %s", reqs[1].body)
			}
			if fb, _ := msgs[3]["content"].(string); msgs[3]["role"] != "user" || !strings.Contains(fb, tc.feedback) || !strings.Contains(fb, "JSON object") {
				t.Errorf("feedback %q, want it to say %q", fb, tc.feedback)
			}
		})
	}
}

func TestJSONObjectNeverAnObjectIsExhausted(t *testing.T) {
	up, rec := answering(t, `["John Doe"]`)
	gw, _ := newGateway(t, up.URL, nil)
	status, h, b := call(t, gw, jsonObjectRequest(saysJSON, ""))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", status, b)
	}
	e := decode[errorBody](t, b)
	if code(e) != "reask_exhausted" || e.Error.LastKind != "schema" || len(e.Error.Violations) != 1 ||
		e.Error.Violations[0].Expected != "object" || e.Error.LastOutput != `["John Doe"]` {
		t.Errorf("error %s", b)
	}
	if n := len(rec.requests()); n < 2 || header(h, "X-Reask-Attempts") != n {
		t.Errorf("upstream calls %d, headers %v", n, h)
	}
}

// TestJSONObjectGetsTheWordJSON: the simulator refuses json_object when no
// message says "json", as OpenAI does; the gateway adds an instruction of
// its own then, and only then.
func TestJSONObjectGetsTheWordJSON(t *testing.T) {
	for _, tc := range []struct {
		name, msgs string
		added      bool
	}{
		{"no message says json", noJSONWord, true},
		{"the system message says JSON", saysJSON, false},
		{"a content part says Json", `[{"role":"user","content":[{"type":"text","text":"As Json please:"},{"type":"text","text":"Contact John Doe"}]}]`, false},
		{"only the assistant said json", `[{"role":"user","content":"Contact John Doe"},{"role":"assistant","content":"in json?"},{"role":"user","content":"yes"}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := newSim(t, clean)
			gw, _ := newGateway(t, up.URL, nil)
			status, _, b := call(t, gw, jsonObjectRequest(tc.msgs, ""))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(*decode[completion](t, b).Choices[0].Message.Content), &doc); err != nil {
				t.Errorf("content %s: %v", b, err)
			}
			var client []map[string]any
			_ = json.Unmarshal([]byte(tc.msgs), &client)
			_, msgs := upstreamBody(t, rec.requests()[0])
			switch {
			case !tc.added && len(msgs) != len(client):
				t.Errorf("upstream messages %v: the client's said json already", msgs)
			case tc.added && (len(msgs) != len(client)+1 || msgs[len(client)]["role"] != "system" ||
				!strings.Contains(msgs[len(client)]["content"].(string), "JSON object")):
				t.Errorf("upstream messages %v, want the client's and an instruction", msgs)
			}
		})
	}
}

func TestJSONObjectPassthroughKeepsTodaysBehaviour(t *testing.T) {
	t.Run("broken answer", func(t *testing.T) {
		fenced := "```json\n{\"name\": None}\n```"
		up, rec := answering(t, fenced)
		gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.JSONObject = gateway.JSONObjectPassthrough })
		body := jsonObjectRequest(saysJSON, "")
		status, h, b := call(t, gw, body)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, b)
		}
		if got := *decode[completion](t, b).Choices[0].Message.Content; got != fenced {
			t.Errorf("content %q, want the upstream's %q", got, fenced)
		}
		if reqs := rec.requests(); len(reqs) != 1 || string(reqs[0].body) != body || h.Get("X-Reask-Repairs") != "0" {
			t.Errorf("upstream got %d requests, headers %v", len(reqs), h)
		}
	})
	t.Run("no json word", func(t *testing.T) {
		up, rec := newSim(t, clean)
		gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.JSONObject = gateway.JSONObjectPassthrough })
		status, _, b := call(t, gw, jsonObjectRequest(noJSONWord, ""))
		if status != http.StatusBadRequest || !strings.Contains(string(b), "must contain the word 'json'") || len(rec.requests()) != 1 {
			t.Errorf("status %d: %s", status, b)
		}
	})
}

// TestJSONObjectLeftAlone: requests the gateway cannot answer with one
// repaired object go through as they were.
func TestJSONObjectLeftAlone(t *testing.T) {
	fenced := "```json\n{\"a\": 1,}\n```"
	for _, tc := range []struct{ name, extra string }{
		{"several choices", `,"n":2`},
		{"tools the model may call", `,"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, rec := answering(t, fenced)
			gw, _ := newGateway(t, up.URL, nil)
			body := jsonObjectRequest(saysJSON, tc.extra)
			status, _, b := call(t, gw, body)
			if status != http.StatusOK || *decode[completion](t, b).Choices[0].Message.Content != fenced {
				t.Fatalf("status %d: %s", status, b)
			}
			if reqs := rec.requests(); len(reqs) != 1 || string(reqs[0].body) != body {
				t.Errorf("upstream got %d requests", len(reqs))
			}
		})
	}
}

func TestJSONObjectStreamIsRepairedThenStreamed(t *testing.T) {
	long := `{"name": "John Doe", "note": "` + strings.Repeat("x", 150) + `", "phone": None,}`
	want := `{"name":"John Doe","note":"` + strings.Repeat("x", 150) + `","phone":null}`
	up, rec := answering(t, `[1]`, "```json\n"+long+"\n```")
	gw, _ := newGateway(t, up.URL, nil)
	status, h, b := call(t, gw, jsonObjectRequest(noJSONWord, `,"stream":true,"stream_options":{"include_usage":true}`))
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, headers %v: %s", status, h, b)
	}
	if h.Get("X-Reask-Attempts") != "2" || header(h, "X-Reask-Repairs") < 3 {
		t.Errorf("headers %v", h)
	}
	evs, done := events(t, b)
	if !done || len(evs) < 5 {
		t.Fatalf("%d events, done %v: %s", len(evs), done, b)
	}
	var text strings.Builder
	var finish string
	for _, ev := range evs[:len(evs)-1] {
		if len(ev.Choices) != 1 {
			t.Fatalf("chunk %+v", ev)
		}
		if c := ev.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		if f := ev.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	if text.String() != want || finish != "stop" {
		t.Errorf("streamed %s (finish %q), want %s", text.String(), finish, want)
	}
	if u := evs[len(evs)-1].Usage; u == nil || u.TotalTokens != 120 {
		t.Errorf("usage chunk %+v", evs[len(evs)-1])
	}
	for _, r := range rec.requests() {
		if body, _ := upstreamBody(t, r); body["stream"] != nil || body["stream_options"] != nil {
			t.Errorf("upstream request streams: %s", r.body)
		}
	}
}

// TestJSONObjectAgainstHostileSimulator: the simulator's syntax faults come
// back as JSON objects, repaired, and in one attempt.
func TestJSONObjectAgainstSimulatorFaults(t *testing.T) {
	for _, k := range []fault.Kind{fault.Fence, fault.Prose, fault.TrailingComma, fault.SingleQuotes, fault.PythonLiterals, fault.Comments, fault.UnquotedKeys} {
		t.Run(string(k), func(t *testing.T) {
			up, rec := newSim(t, sim.Profile{Faults: map[fault.Kind]float64{k: 1}})
			gw, _ := newGateway(t, up.URL, nil)
			schema := `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"phone":{"type":["string","null"]},"vip":{"type":"boolean"}},"required":["name","age","phone","vip"]}`
			msgs := `[{"role":"system","content":"Extract as JSON with this schema: ` + strings.ReplaceAll(schema, `"`, `\"`) + `"},` +
				`{"role":"user","content":"Contact John Doe, age 30, no phone; not a VIP."}]`
			status, h, b := call(t, gw, jsonObjectRequest(msgs, ""))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, b)
			}
			var got struct {
				Name  string
				Age   int
				Phone *string
				VIP   *bool
			}
			if err := json.Unmarshal([]byte(*decode[completion](t, b).Choices[0].Message.Content), &got); err != nil || got.Name != "John Doe" || got.Age != 30 || got.Phone != nil || got.VIP == nil || *got.VIP {
				t.Errorf("answer %s: %+v, %v", b, got, err)
			}
			if header(h, "X-Reask-Repairs") < 1 || h.Get("X-Reask-Attempts") != "1" || len(rec.requests()) != 1 {
				t.Errorf("headers %v, upstream calls %d", h, len(rec.requests()))
			}
		})
	}
}

func TestJSONObjectConfig(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  gateway.JSONObjectMode
		bad   bool
	}{
		{"", "", false},
		{`,"json_object":"repair"`, gateway.JSONObjectRepair, false},
		{`,"json_object":"passthrough"`, gateway.JSONObjectPassthrough, false},
		{`,"json_object":"off"`, "", true},
	} {
		c, err := gateway.ParseConfig([]byte(`{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:1/v1"}]`+tc.value+`}`), func(string) string { return "" })
		var ce *gateway.ConfigError
		switch {
		case tc.bad && (!errors.As(err, &ce) || ce.Field != "json_object" || !strings.Contains(ce.Msg, "repair or passthrough")):
			t.Errorf("%s: error %v, want one naming json_object", tc.value, err)
		case !tc.bad && (err != nil || c.JSONObject != tc.want):
			t.Errorf("%s: %q, %v", tc.value, c.JSONObject, err)
		}
	}
}
