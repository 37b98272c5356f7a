package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/reask/reask/internal/npmtest"
)

// TestNodeClientsResponses runs real clients of the Responses API against
// the simulator: the official openai npm package (responses.parse with
// zodTextFormat, its stream helper, a forced function tool, a refused
// previous_response_id) and the Vercel AI SDK's default OpenAI provider
// (generateObject, streamObject), all pinned in
// testdata/npm/package-lock.json and installed by npmtest.Install.
func TestNodeClientsResponses(t *testing.T) {
	dir, node := npmtest.Install(t, filepath.Join("testdata", "npm"), "package.json", "package-lock.json", "responses.mjs")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, ts := newTest(t, Config{Seed: 1, APIKey: "sk-sim"})
	run := exec.CommandContext(ctx, node, "responses.mjs")
	run.Dir = dir
	run.Env = append(os.Environ(), "SIM_URL="+ts.URL+"/v1", "SIM_KEY=sk-sim")
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("node responses.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	type address struct{ City, Zip string }
	type account struct {
		Name    string
		Age     int
		Plan    string
		Active  bool
		Address address
	}
	var got struct {
		Parse struct {
			Parsed     account
			Status     string
			OutputText string `json:"output_text"`
			Usage      struct {
				InputTokens  int `json:"input_tokens"`
				OutputTokens int `json:"output_tokens"`
				TotalTokens  int `json:"total_tokens"`
			}
		}
		Stream struct {
			Parsed account
			Status string
			Deltas int
		}
		Tool struct {
			Type, Name string
			CallID     string `json:"call_id"`
			Parsed     account
		}
		Previous struct {
			Refused            bool
			Status             int
			Code, Param, Error string
			Message            string
		}
		Vercel struct {
			Object       account
			FinishReason string
			Usage        struct{ InputTokens, OutputTokens int }
			ResponseID   string
		}
		VercelStream struct {
			Object       account
			FinishReason string
			Partials     int
		} `json:"vercel_stream"`
	}
	t.Logf("node: %s", stdout.String())
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %s: %v", stdout.String(), err)
	}
	john := account{Name: "John Doe", Age: 30, Plan: "pro", Active: true, Address: address{City: "Boston", Zip: "02118"}}
	if p := got.Parse; p.Parsed != john || p.Status != "completed" || p.OutputText != accountClean || p.Usage.TotalTokens != p.Usage.InputTokens+p.Usage.OutputTokens || p.Usage.OutputTokens == 0 {
		t.Errorf("responses.parse: %+v", p)
	}
	if s := got.Stream; s.Parsed != john || s.Status != "completed" || s.Deltas < 3 {
		t.Errorf("responses.stream: %+v", s)
	}
	if c := got.Tool; c.Type != "function_call" || c.Name != "save_account" || c.CallID == "" || c.Parsed != john {
		t.Errorf("function tool: %+v", c)
	}
	if p := got.Previous; !p.Refused || p.Status != 400 || p.Code != "previous_response_not_found" || p.Param != "previous_response_id" {
		t.Errorf("previous_response_id: %+v", p)
	}
	if v := got.Vercel; v.Object != john || v.FinishReason != "stop" || v.Usage.OutputTokens == 0 || v.ResponseID == "" {
		t.Errorf("generateObject: %+v", v)
	}
	if v := got.VercelStream; v.Object != john || v.FinishReason != "stop" || v.Partials < 2 {
		t.Errorf("streamObject: %+v", v)
	}
}
