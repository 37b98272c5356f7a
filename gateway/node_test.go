package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

// TestOfficialNodeSDK runs the official openai npm package (pinned in
// testdata/npm/package-lock.json) against the gateway in front of the
// simulator: a schema-enforced request, a pass-through, streams with and
// without a schema, a forced tool, a 422 and a 401, the model list, and a
// json_object request whose messages lack the word json.
// The package is installed with "npm ci" into a temporary directory, never
// into the repository.
func TestOfficialNodeSDK(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed for the official OpenAI SDK test (Debian: apt-get install -y nodejs npm); skipping")
	}
	if testing.Short() {
		t.Skip("-short: skipping the Node SDK test (it runs npm ci)")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.mjs", "live.mjs"} {
		data, err := os.ReadFile(filepath.Join("testdata", "npm", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}

	up, _ := newSim(t, reasked)
	bad, _ := newSim(t, hopeless)
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) {
		c.Upstreams = []gateway.Upstream{
			{Name: "sim", BaseURL: up.URL + "/v1", APIKey: upstreamKey},
			{Name: "hopeless", BaseURL: bad.URL + "/v1", APIKey: upstreamKey, Models: []string{"gpt-4o"}},
		}
	})
	run := exec.CommandContext(ctx, node, "client.mjs")
	run.Dir = dir
	run.Env = append(os.Environ(), "GATEWAY_URL="+gw.URL+"/v1", "GATEWAY_KEY="+clientKey)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("node client.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Schema struct {
			Parsed       person
			FinishReason string `json:"finish_reason"`
			Usage        struct {
				TotalTokens int `json:"total_tokens"`
			}
			Attempts, Wasted int
		}
		Passthrough struct{ Content, ID string }
		Stream      struct {
			Text   string
			Chunks int
			Usage  *struct {
				TotalTokens int `json:"total_tokens"`
			}
		}
		SchemaStream struct {
			Parsed       person
			FinishReason string `json:"finish_reason"`
		} `json:"schema_stream"`
		Tool struct {
			Name         string
			Parsed       person
			FinishReason string `json:"finish_reason"`
		}
		Exhausted struct {
			IsAPIError bool `json:"is_api_error"`
			Status     int
			Code, Type string
			Violations int
		}
		Unauthorized struct {
			IsAuthError bool `json:"is_auth_error"`
			Status      int
		}
		Models     []string
		JSONObject struct {
			Parsed, Streamed map[string]any
			Attempts         int
		} `json:"json_object"`
	}
	t.Logf("node: %s", stdout.String())
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %s: %v", stdout.String(), err)
	}
	john := person{Name: "John Doe", Age: 30, Email: "john@email.com"}
	if s := got.Schema; s.Parsed != john || s.FinishReason != "stop" || s.Attempts != 2 || s.Wasted <= 0 || s.Usage.TotalTokens <= s.Wasted {
		t.Errorf("schema request: %+v", s)
	}
	if got.Passthrough.Content == "" || got.Passthrough.ID == "" {
		t.Errorf("pass-through: %+v", got.Passthrough)
	}
	if s := got.Stream; s.Text == "" || s.Chunks < 3 || s.Usage == nil || s.Usage.TotalTokens == 0 {
		t.Errorf("stream: %+v", s)
	}
	if s := got.SchemaStream; s.Parsed != john || s.FinishReason != "stop" {
		t.Errorf("schema stream: %+v", s)
	}
	if s := got.Tool; s.Name != "record_person" || s.Parsed != john || s.FinishReason != "tool_calls" {
		t.Errorf("tool: %+v", s)
	}
	if e := got.Exhausted; !e.IsAPIError || e.Status != 422 || e.Code != "reask_exhausted" || e.Type != "invalid_response_error" || e.Violations == 0 {
		t.Errorf("exhausted: %+v", e)
	}
	if u := got.Unauthorized; !u.IsAuthError || u.Status != 401 {
		t.Errorf("unauthorized: %+v", u)
	}
	if j := got.JSONObject; j.Parsed == nil || j.Attempts != 1 || j.Streamed == nil {
		t.Errorf("json_object: %+v", j)
	}
	if !slices.Contains(got.Models, "gpt-4o-mini") || !slices.Contains(got.Models, "gpt-4o") {
		t.Errorf("models %v", got.Models)
	}
	t.Run("live stream", func(t *testing.T) { liveStreamNodeSDK(ctx, t, dir, node) })
}
