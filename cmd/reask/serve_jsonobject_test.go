package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

// TestServeJSONObjectFlag: --json-object sets Config.JSONObject, over the
// configuration file's json_object; a value it does not know is refused.
func TestServeJSONObjectFlag(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.json")
	if err := os.WriteFile(file, []byte(`{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:9/v1"}],"json_object":"passthrough"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		jsonObject: string(gateway.JSONObjectRepair)}
	for _, tc := range []struct {
		name    string
		file    bool
		flag    string // set on the command line when not empty
		want    gateway.JSONObjectMode
		wantErr string
	}{
		{name: "default", want: gateway.JSONObjectRepair},
		{name: "flag", flag: "passthrough", want: gateway.JSONObjectPassthrough},
		{name: "file", file: true, want: gateway.JSONObjectPassthrough},
		{name: "flag over file", file: true, flag: "repair", want: gateway.JSONObjectRepair},
		{name: "unknown", flag: "fix", wantErr: `--json-object is "fix": want repair or passthrough`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			if tc.file {
				o.configFile = file
			} else {
				o.upstream = "http://127.0.0.1:9/v1"
			}
			if tc.flag != "" {
				o.jsonObject = tc.flag
				o.changed = func(name string) bool { return name == "json-object" }
			}
			cfg, err := serveConfig(o, func(string) string { return "" })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.JSONObject != tc.want:
				t.Errorf("JSONObject %q, want %q", cfg.JSONObject, tc.want)
			}
		})
	}
}
