package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
)

// TestServeModeFlags: --json-object and --prompt-schema set their Config
// field, over the configuration file's member of the same name; a value
// the flag does not know is refused with the values it takes.
func TestServeModeFlags(t *testing.T) {
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		jsonObject: string(gateway.JSONObjectRepair), promptSchema: string(gateway.PromptSchemaAuto)}
	type row struct {
		name    string
		file    bool
		flag    string // set on the command line when not empty
		want    string
		wantErr string
	}
	for _, fl := range []struct {
		flag, member, inFile string
		set                  func(o *serveOptions, v string)
		get                  func(c gateway.Config) string
		rows                 []row
	}{
		{
			flag: "json-object", member: "json_object", inFile: "passthrough",
			set: func(o *serveOptions, v string) { o.jsonObject = v },
			get: func(c gateway.Config) string { return string(c.JSONObject) },
			rows: []row{
				{name: "default", want: "repair"},
				{name: "flag", flag: "passthrough", want: "passthrough"},
				{name: "file", file: true, want: "passthrough"},
				{name: "flag over file", file: true, flag: "repair", want: "repair"},
				{name: "unknown", flag: "fix", wantErr: `--json-object is "fix": want repair or passthrough`},
			},
		},
		{
			flag: "prompt-schema", member: "prompt_schema", inFile: "always",
			set: func(o *serveOptions, v string) { o.promptSchema = v },
			get: func(c gateway.Config) string { return string(c.PromptSchema) },
			rows: []row{
				{name: "default", want: "auto"},
				{name: "flag", flag: "off", want: "off"},
				{name: "file", file: true, want: "always"},
				{name: "flag over file", file: true, flag: "json_object", want: "json_object"},
				{name: "unknown", flag: "on", wantErr: `--prompt-schema is "on": want auto, json_object, always or off`},
			},
		},
	} {
		file := filepath.Join(t.TempDir(), "gateway.json")
		doc := `{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:9/v1"}],"` + fl.member + `":"` + fl.inFile + `"}`
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range fl.rows {
			t.Run(fl.flag+"/"+tc.name, func(t *testing.T) {
				o := base
				if tc.file {
					o.configFile = file
				} else {
					o.upstream = "http://127.0.0.1:9/v1"
				}
				if tc.flag != "" {
					fl.set(&o, tc.flag)
					o.changed = func(name string) bool { return name == fl.flag }
				}
				cfg, err := serveConfig(o, func(string) string { return "" })
				switch {
				case tc.wantErr != "":
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("error %v, want %q", err, tc.wantErr)
					}
				case err != nil:
					t.Fatal(err)
				case fl.get(cfg) != tc.want:
					t.Errorf("--%s: %q, want %q", fl.flag, fl.get(cfg), tc.want)
				}
			})
		}
	}
}
