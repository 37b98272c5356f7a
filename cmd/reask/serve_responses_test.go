package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

// TestServeUpstreamAPI: --upstream-api says how the upstream gets
// Responses API requests; a config file says it per upstream ("api").
func TestServeUpstreamAPI(t *testing.T) {
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		upstream: "http://127.0.0.1:9/v1", upstreamAPI: "chat"}
	none := func(string) string { return "" }
	for _, api := range []gateway.UpstreamAPI{gateway.APIChat, gateway.APIResponses} {
		o := base
		o.upstreamAPI = string(api)
		cfg, err := serveConfig(o, none)
		if err != nil || cfg.Upstreams[0].API != api {
			t.Errorf("--upstream-api %s: %+v, %v", api, cfg.Upstreams, err)
		}
	}
	o := base
	o.upstreamAPI = "grpc"
	if _, err := serveConfig(o, none); err == nil || !strings.Contains(err.Error(), "--upstream-api") {
		t.Errorf("a bad --upstream-api: %v", err)
	}

	file := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"openai","base_url":"https://api.openai.com/v1","api":"responses","models":["gpt-4o"]},{"name":"local","base_url":"http://127.0.0.1:11434/v1"}]}`), 0o600)
	o = base
	o.upstream, o.configFile = "", file
	cfg, err := serveConfig(o, none)
	if err != nil || cfg.Upstreams[0].API != gateway.APIResponses || cfg.Upstreams[1].API != "" {
		t.Errorf("config file: %+v, %v", cfg.Upstreams, err)
	}
	o.changed = func(name string) bool { return name == "upstream-api" }
	if _, err := serveConfig(o, none); err == nil || !strings.Contains(err.Error(), "--upstream-api") {
		t.Errorf("--upstream-api with --config: %v", err)
	}
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1","api":"soap"}]}`), 0o600)
	o.changed = nil
	if _, err := serveConfig(o, none); err == nil || !strings.Contains(err.Error(), "upstreams[0].api") {
		t.Errorf("a bad api in the file: %v", err)
	}
}
