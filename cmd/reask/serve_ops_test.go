package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeOpsFlags: --log-burst, --log-interval and --dashboard-content
// reach the gateway's configuration, over the file's values only when
// set; named client keys from the file keep their names when the command
// line adds unnamed ones.
func TestServeOpsFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1"}],
	  "client_keys":[{"name":"team-a","key_env":"TEAM_A_KEY"}],"log_burst":3,"log_interval":"1m"}`), 0o600)
	env := func(k string) string { return map[string]string{"TEAM_A_KEY": "ka", "REASK_CLIENT_KEYS": "kb"}[k] }
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute,
		maxAttempts: 2, configFile: file, logBurst: 10, logInterval: 10 * time.Second}

	cfg, err := serveConfig(base, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogBurst != 3 || cfg.LogInterval != time.Minute || cfg.DashboardContent {
		t.Errorf("the file's values: burst %d interval %s content %v", cfg.LogBurst, cfg.LogInterval, cfg.DashboardContent)
	}
	if len(cfg.ClientKeys) != 2 || cfg.ClientKeys[0] != "ka" || cfg.ClientKeys[1] != "kb" || len(cfg.ClientKeyNames) != 1 || cfg.ClientKeyNames[0] != "team-a" {
		t.Errorf("client keys %v names %v", cfg.ClientKeys, cfg.ClientKeyNames)
	}

	o := base
	o.logBurst, o.logInterval, o.showContent = -1, time.Second, true
	o.changed = func(name string) bool { return name == "log-burst" || name == "log-interval" }
	if cfg, err = serveConfig(o, env); err != nil {
		t.Fatal(err)
	}
	if cfg.LogBurst != -1 || cfg.LogInterval != time.Second || !cfg.DashboardContent {
		t.Errorf("the flags' values: burst %d interval %s content %v", cfg.LogBurst, cfg.LogInterval, cfg.DashboardContent)
	}

	o = base
	o.configFile, o.upstream, o.logBurst = "", "http://127.0.0.1:9/v1", -5
	if _, err := serveConfig(o, env); err == nil || !strings.Contains(err.Error(), "log_burst") {
		t.Errorf("--log-burst -5: %v", err)
	}
}
