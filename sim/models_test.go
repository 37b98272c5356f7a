package sim

import (
	"fmt"
	"strings"
	"testing"
)

// TestAnyModelByDefault: without Config.Models the simulator serves any
// model name an application sends, on both APIs, and answers it as it
// answers a listed one.
func TestAnyModelByDefault(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 1})
	user := msg{"role": "user", "content": "Text: " + accountText}
	for _, model := range []string{"sim", "llama3", "gpt-4o-mini", "my-org/fine-tune:v2"} {
		t.Run(model, func(t *testing.T) {
			if r := post(t, ts, "/v1/chat/completions", chatBody(model, []msg{user})); r.status != 200 {
				t.Errorf("chat completions: %d %s", r.status, r.body)
			}
			if r := post(t, ts, "/v1/messages", anthRequest([]msg{user}, "model", model), anthHeaders...); r.status != 200 {
				t.Errorf("messages: %d %s", r.status, r.body)
			}
			resp, err := ts.Client().Get(ts.URL + "/v1/models/" + model)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /v1/models/%s: %d", model, resp.StatusCode)
			}
		})
	}
}

// TestRestrictedModels: with Config.Models, other names get 404 with an
// error that lists the names served, on both APIs and on GET
// /v1/models/{id}.
func TestRestrictedModels(t *testing.T) {
	_, ts := newTest(t, Config{Models: []string{"m1", "m2"}})
	user := msg{"role": "user", "content": "Text: " + accountText}
	for _, model := range []string{"m1", "m2"} {
		if r := post(t, ts, "/v1/chat/completions", chatBody(model, []msg{user})); r.status != 200 {
			t.Errorf("%s: %d %s", model, r.status, r.body)
		}
	}
	r := post(t, ts, "/v1/chat/completions", chatBody("llama3", []msg{user}))
	var e struct {
		Error apiError `json:"error"`
	}
	decodeJSON(t, r.body, &e)
	if want := "The model `llama3` does not exist or you do not have access to it. Available models: m1, m2."; r.status != 404 || e.Error.Message != want || deref(e.Error.Code) != "model_not_found" {
		t.Errorf("chat completions: %d %+v, want 404 %q", r.status, e.Error, want)
	}
	r = post(t, ts, "/v1/messages", anthRequest([]msg{user}, "model", "claude-0"), anthHeaders...)
	if r.status != 404 || !contains(r.body, "not_found_error") || !contains(r.body, "model: claude-0 (available models: m1, m2)") {
		t.Errorf("messages: %d %s", r.status, r.body)
	}
	resp, err := ts.Client().Get(ts.URL + "/v1/models/llama3")
	if err != nil {
		t.Fatal(err)
	}
	decodeResp(t, resp, &e)
	if resp.StatusCode != 404 || !strings.Contains(e.Error.Message, "Available models: m1, m2.") {
		t.Errorf("GET /v1/models/llama3: %d %+v", resp.StatusCode, e.Error)
	}
}

func TestManyModelsListedBounded(t *testing.T) {
	var models []string
	for i := range MaxListedModels + 3 {
		models = append(models, fmt.Sprintf("m%d", i))
	}
	_, ts := newTest(t, Config{Models: models})
	r := post(t, ts, "/v1/chat/completions", chatBody("other", []msg{{"role": "user", "content": "hi"}}))
	if r.status != 404 || !contains(r.body, "m19 and 3 more.") || contains(r.body, "m20") {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestEmptyModelNameIsAConfigError(t *testing.T) {
	if _, err := New(Config{Models: []string{"m1", " "}}); err == nil || !strings.Contains(err.Error(), "Models[1] is empty") {
		t.Errorf("err %v", err)
	}
}
