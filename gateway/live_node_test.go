package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// liveStreamNodeSDK runs the official openai npm package's streaming
// helper (chat.completions.stream) against a live stream that re-asks: the
// SDK reads every chunk, the restart extension included; a client that
// starts over on it holds the valid answer at the end, while the SDK's own
// snapshot holds both answers end to end — why validated stays the
// default for clients that know nothing of restarts. TestOfficialNodeSDK
// runs it in the directory where it installed the package (dir).
func liveStreamNodeSDK(ctx context.Context, t *testing.T, dir, node string) {
	up, _ := newSim(t, reasked)
	gw, _ := newGateway(t, up.URL, nil)
	run := exec.CommandContext(ctx, node, "live.mjs")
	run.Dir = dir
	run.Env = append(os.Environ(), "GATEWAY_URL="+gw.URL+"/v1", "GATEWAY_KEY="+clientKey)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("node live.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Answer   string
		Parsed   person
		Restarts []struct {
			Restart bool
			Attempt int
			Reason  string
		}
		Deltas       int
		FinishReason string `json:"finish_reason"`
		FinalContent string `json:"final_content"`
		Usage        *struct {
			TotalTokens int `json:"total_tokens"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %s: %v", stdout.String(), err)
	}
	john := person{Name: "John Doe", Age: 30, Email: "john@email.com"}
	if got.Parsed != john || got.FinishReason != "stop" || got.Deltas < 2 || got.Usage == nil || got.Usage.TotalTokens == 0 {
		t.Errorf("live stream through the SDK: %s", stdout.String())
	}
	if len(got.Restarts) != 1 || got.Restarts[0].Attempt != 2 || !strings.Contains(got.Restarts[0].Reason, "required") {
		t.Errorf("restarts %+v, want one before attempt 2 naming the missing field", got.Restarts)
	}
	if !strings.HasSuffix(got.FinalContent, got.Answer) || got.FinalContent == got.Answer {
		t.Errorf("the SDK's snapshot %q: want the first answer and then the valid one %q", got.FinalContent, got.Answer)
	}
}
