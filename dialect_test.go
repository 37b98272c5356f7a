package reask_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

// codeSchema has what OpenAI's strict mode cannot say (string lengths) and
// an optional property (which it cannot leave out).
const codeSchema = `{"type":"object","properties":{
 "code":{"type":"string","minLength":6,"maxLength":6},
 "nick":{"type":"string"}},
 "required":["code"],"additionalProperties":false}`

func schemaOf(t *testing.T, req map[string]any, mode reask.Mode) (map[string]any, bool) {
	t.Helper()
	if mode == reask.ModeTools {
		fn := req["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)
		strict, _ := fn["strict"].(bool)
		return fn["parameters"].(map[string]any), strict
	}
	js := req["response_format"].(map[string]any)["json_schema"].(map[string]any)
	strict, _ := js["strict"].(bool)
	return js["schema"].(map[string]any), strict
}

// TestDroppedConstraintIsReasked: OpenAI gets the schema in its strict
// form — the length bounds moved into the description, the optional
// property required and nullable — and a strict request; an answer that
// breaks a bound the provider was not sent is still refused by reask's
// validation against the user's schema and re-asked with feedback that
// names it, and the null the model wrote for the absent property is read
// as absent.
func TestDroppedConstraintIsReasked(t *testing.T) {
	for _, mode := range []reask.Mode{reask.ModeJSONSchema, reask.ModeTools} {
		t.Run(string(mode), func(t *testing.T) {
			tool := mode == reask.ModeTools
			s := newScript(t,
				step{content: `{"code":"ABC","nick":null}`, tool: tool},
				step{content: `{"code":"ABC123","nick":null}`, tool: tool})
			p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "m"})
			c := reasktest.NewClient(t, p, reask.Config{Mode: mode})
			sch := schema.MustCompile(codeSchema)
			doc, rep, err := c.Run(t.Context(), reask.Task{Schema: sch, Input: "the code is ABC123"})
			if err != nil {
				t.Fatal(err)
			}
			if string(doc) != `{"code":"ABC123"}` {
				t.Errorf("doc %s, want the code alone (null nick is absent)", doc)
			}
			if rep.Attempts != 2 {
				t.Fatalf("%d attempts, want 2", rep.Attempts)
			}
			sent, strict := schemaOf(t, s.request(0), mode)
			if !strict {
				t.Error("the request is not strict")
			}
			code := sent["properties"].(map[string]any)["code"].(map[string]any)
			if _, ok := code["minLength"]; ok {
				t.Errorf("minLength sent to strict mode: %v", code)
			}
			if d, _ := code["description"].(string); !strings.Contains(d, "minLength: 6") {
				t.Errorf("the bound is not in the description: %v", code)
			}
			if req := sent["required"].([]any); len(req) != 2 {
				t.Errorf("required %v, want both properties", req)
			}
			msgs := s.messages(1)
			fb, _ := msgs[len(msgs)-1]["content"].(string)
			if !strings.Contains(fb, "code") || !strings.Contains(fb, "6") {
				t.Errorf("the feedback does not name the bound: %q", fb)
			}
			if rep.Dialect != dialect.OpenAIStrict {
				t.Errorf("report dialect %s", rep.Dialect)
			}
			want := map[string]bool{"/properties/code/minLength": true, "/properties/code/maxLength": true}
			for _, ch := range rep.Relaxed {
				delete(want, ch.Pointer)
			}
			if len(want) > 0 {
				t.Errorf("Report.Relaxed %v misses %v", rep.Relaxed, want)
			}
			if v := rep.Records[0].Violations; len(v) != 1 || v[0].Path != "/code" {
				t.Errorf("first attempt's violations %v, want the code's length alone (the null nick is absent)", v)
			}
		})
	}
}

// TestStrictFallsBack: a schema OpenAI's strict mode cannot say (a map)
// goes as it is, not strict, and the report says why.
func TestStrictFallsBack(t *testing.T) {
	const mapSchema = `{"type":"object","properties":{"labels":{"type":"object","additionalProperties":{"type":"string"}}},"required":["labels"]}`
	s := newScript(t, step{content: `{"labels":{"a":"b"}}`})
	c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "m"}), reask.Config{})
	_, rep, err := c.Run(t.Context(), reask.Task{Schema: schema.MustCompile(mapSchema), Input: "x"})
	if err != nil {
		t.Fatal(err)
	}
	sent, strict := schemaOf(t, s.request(0), reask.ModeJSONSchema)
	if strict {
		t.Error("strict sent for a map")
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(mapSchema), &want); err != nil {
		t.Fatal(err)
	}
	if b, w := mustJSON(sent), mustJSON(want); b != w {
		t.Errorf("sent %s, want the schema as it is, %s", b, w)
	}
	if rep.Dialect != dialect.OpenAI || len(rep.Relaxed) == 0 || rep.Relaxed[0].Action != dialect.Blocked ||
		rep.Relaxed[0].Pointer != "/properties/labels/additionalProperties" {
		t.Errorf("report %s %v", rep.Dialect, rep.Relaxed)
	}
}

// TestStrictOffSendsAsIs: openai.Config.Strict off keeps every schema as
// it is, not strict (servers that refuse strict).
func TestStrictOffSendsAsIs(t *testing.T) {
	s := newScript(t, step{content: `{"code":"ABC123"}`})
	p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "m", Strict: dialect.StrictOff})
	c := reasktest.NewClient(t, p, reask.Config{})
	if _, _, err := c.Run(t.Context(), reask.Task{Schema: schema.MustCompile(codeSchema), Input: "x"}); err != nil {
		t.Fatal(err)
	}
	sent, strict := schemaOf(t, s.request(0), reask.ModeJSONSchema)
	if strict || sent["properties"].(map[string]any)["code"].(map[string]any)["minLength"] == nil {
		t.Errorf("strict %v, sent %v", strict, sent)
	}
}

// TestStrictOnRefusesEarly: strict "on" with a schema that cannot be
// strict fails before any call, as a bad request.
func TestStrictOnRefusesEarly(t *testing.T) {
	s := newScript(t)
	p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "m", Strict: dialect.StrictOn})
	c := reasktest.NewClient(t, p, reask.Config{})
	_, rep, err := c.Run(t.Context(), reask.Task{Schema: schema.MustCompile(`{"type":"object","properties":{"m":{"type":"object"}}}`), Input: "x"})
	if err == nil || rep.Outcome != reask.KindBadRequest || s.calls() != 0 {
		t.Errorf("err %v, outcome %s, %d calls", err, rep.Outcome, s.calls())
	}
}

// TestNoSchemaRefusedBySimulator is the end to end proof that reask never
// sends a provider a schema its rules refuse: every schema of the dialect
// corpus goes to the simulator — which refuses, as OpenAI and Anthropic
// do, a strict schema that breaks their rules (400 invalid_json_schema) —
// through the openai provider (json_schema and tools modes) and the
// anthropic provider, and no call is answered 400.
func TestNoSchemaRefusedBySimulator(t *testing.T) {
	files, err := filepath.Glob("schema/dialect/testdata/schemas/*.json")
	if err != nil || len(files) < 30 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	prof, err := sim.BuiltinProfile("clean")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 7, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clients := map[string]*reask.Client{
		"openai json_schema": reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o-mini"}), reask.Config{MaxAttempts: 1}),
		"openai tools":       reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o-mini"}), reask.Config{MaxAttempts: 1, Mode: reask.ModeTools}),
		"anthropic":          reasktest.NewClient(t, anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "k", Model: "claude-sonnet-4-5"}), reask.Config{MaxAttempts: 1}),
	}
	strictSeen := map[string]int{}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sch, err := schema.Compile(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, c := range clients {
			_, rep, _ := c.Run(t.Context(), reask.Task{Schema: sch, Input: "Ann Lee, 34, ann@example.com, ordered 2 lamps."})
			for _, a := range rep.Records {
				for _, call := range a.Calls {
					if call.Status == 400 {
						t.Errorf("%s, %s: the simulator refused the request: %s", filepath.Base(f), name, call.Message)
					}
				}
			}
			if rep.Dialect.IsStrict() {
				strictSeen[name]++
			}
		}
	}
	for name := range clients {
		if strictSeen[name] < len(files)/2 {
			t.Errorf("%s: only %d of %d schemas went strict", name, strictSeen[name], len(files))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
