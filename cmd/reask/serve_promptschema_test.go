package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

// TestServePromptSchemaFlag: --prompt-schema sets Config.PromptSchema,
// over the configuration file's prompt_schema; a value it does not know is
// refused.
func TestServePromptSchemaFlag(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.json")
	if err := os.WriteFile(file, []byte(`{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:9/v1"}],"prompt_schema":"always"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		jsonObject: string(gateway.JSONObjectRepair), promptSchema: string(gateway.PromptSchemaJSONObject)}
	for _, tc := range []struct {
		name    string
		file    bool
		flag    string // set on the command line when not empty
		want    gateway.PromptSchemaMode
		wantErr string
	}{
		{name: "default", want: gateway.PromptSchemaJSONObject},
		{name: "flag", flag: "off", want: gateway.PromptSchemaOff},
		{name: "file", file: true, want: gateway.PromptSchemaAlways},
		{name: "flag over file", file: true, flag: "json_object", want: gateway.PromptSchemaJSONObject},
		{name: "unknown", flag: "on", wantErr: `--prompt-schema is "on": want json_object, always or off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			if tc.file {
				o.configFile = file
			} else {
				o.upstream = "http://127.0.0.1:9/v1"
			}
			if tc.flag != "" {
				o.promptSchema = tc.flag
				o.changed = func(name string) bool { return name == "prompt-schema" }
			}
			cfg, err := serveConfig(o, func(string) string { return "" })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.PromptSchema != tc.want:
				t.Errorf("PromptSchema %q, want %q", cfg.PromptSchema, tc.want)
			}
		})
	}
}
