package gateway_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"REASK_UPSTREAM_API_KEY": "sk-default", "LOCAL_KEY": "sk-local"}
	data := `{
	  "upstreams": [
	    {"name": "openai", "base_url": "https://api.openai.com/v1", "models": ["gpt-4o-mini", "gpt-4o"], "headers": {"OpenAI-Organization": "org-1"}},
	    {"name": "local", "base_url": "http://127.0.0.1:11434/v1", "api_key_env": "LOCAL_KEY"}
	  ],
	  "fallbacks": {"gpt-4o": ["openai/gpt-4o-mini", "local/llama3.1"], "*": ["openai/gpt-4o-mini"]},
	  "default_model": "gpt-4o-mini",
	  "max_body_bytes": 1048576,
	  "upstream_timeout": "45s",
	  "request_timeout": "3m",
	  "max_attempts": 4,
	  "mode": "tools"
	}`
	c, err := gateway.ParseConfig([]byte(data), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Upstreams) != 2 || c.Upstreams[0].APIKey != "sk-default" || c.Upstreams[1].APIKey != "sk-local" ||
		c.Upstreams[0].Headers["OpenAI-Organization"] != "org-1" || len(c.Upstreams[1].Models) != 0 {
		t.Errorf("upstreams %+v", c.Upstreams)
	}
	if c.UpstreamTimeout != 45*time.Second || c.RequestTimeout != 3*time.Minute || c.MaxAttempts != 4 ||
		c.Mode != reask.ModeTools || c.MaxBodyBytes != 1<<20 || c.DefaultModel != "gpt-4o-mini" || len(c.Fallbacks["gpt-4o"]) != 2 {
		t.Errorf("config %+v", c)
	}
	if _, err := gateway.New(c); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	up := func(rest string) string {
		return `{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:1/v1","models":["m"]}` + rest
	}
	for _, tc := range []struct{ name, data, field string }{
		{"not JSON", `{"upstreams":`, "(file)"},
		{"unknown field", `{"upstream":[]}`, "upstream"},
		{"unknown nested field", `{"upstreams":[{"name":"a","base_url":"http://x/v1","key":"sk"}]}`, "key"},
		{"wrong type", `{"upstreams":[{"name":"a","base_url":"http://x/v1","models":"m"}]}`, "upstreams.models"},
		{"no upstreams", `{}`, "upstreams"},
		{"no name", `{"upstreams":[{"base_url":"http://x/v1"}]}`, "upstreams[0].name"},
		{"slash in name", `{"upstreams":[{"name":"a/b","base_url":"http://x/v1"}]}`, "upstreams[0].name"},
		{"duplicate name", up(`,{"name":"a","base_url":"http://x/v1"}]}`), "upstreams[1].name"},
		{"no base URL", `{"upstreams":[{"name":"a"}]}`, "upstreams[0].base_url"},
		{"bad scheme", `{"upstreams":[{"name":"a","base_url":"ftp://x/v1"}]}`, "upstreams[0].base_url"},
		{"credentials in URL", `{"upstreams":[{"name":"a","base_url":"https://u:sk@x/v1"}]}`, "upstreams[0].base_url"},
		{"authorization header", `{"upstreams":[{"name":"a","base_url":"http://x/v1","headers":{"authorization":"x"}}]}`, "upstreams[0].headers"},
		{"two catch-alls", `{"upstreams":[{"name":"a","base_url":"http://x/v1"},{"name":"b","base_url":"http://y/v1"}]}`, "upstreams[1].models"},
		{"model twice", `{"upstreams":[{"name":"a","base_url":"http://x/v1","models":["m","m"]}]}`, "upstreams[0].models[1]"},
		{"empty model", `{"upstreams":[{"name":"a","base_url":"http://x/v1","models":[" "]}]}`, "upstreams[0].models[0]"},
		{"fallback for unserved model", up(`],"fallbacks":{"other":["a/m"]}}`), `fallbacks["other"]`},
		{"fallback to unknown upstream", up(`],"fallbacks":{"m":["b/m"]}}`), `fallbacks["m"][0]`},
		{"fallback to unlisted model", up(`],"fallbacks":{"m":["a/x"]}}`), `fallbacks["m"][0]`},
		{"catch-all fallback without catch-all", up(`],"fallbacks":{"*":["a/m"]}}`), `fallbacks["*"]`},
		{"empty fallbacks", up(`],"fallbacks":{"m":[]}}`), `fallbacks["m"]`},
		{"default model unserved", up(`],"default_model":"x"}`), "default_model"},
		{"bad duration", up(`],"upstream_timeout":"soon"}`), "upstream_timeout"},
		{"negative duration", up(`],"request_timeout":"-1s"}`), "request_timeout"},
		{"negative body limit", up(`],"max_body_bytes":-1}`), "max_body_bytes"},
		{"bad mode", up(`],"mode":"yaml"}`), "mode"},
		{"bad env name", `{"upstreams":[{"name":"a","base_url":"http://x/v1","api_key_env":"A=B"}]}`, "upstreams[0].api_key_env"},
		{"two values", up(`]} {}`), "(file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gateway.ParseConfig([]byte(tc.data), func(string) string { return "" })
			var ce *gateway.ConfigError
			if !errors.Is(err, gateway.ErrConfig) || !errors.As(err, &ce) {
				t.Fatalf("error %v, want a ConfigError", err)
			}
			if ce.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name the field", err)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.json")
	if err := os.WriteFile(path, []byte(`{"upstreams":[{"name":"a","base_url":"http://x/v1","bogus":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := gateway.LoadConfig(path, nil)
	if !errors.Is(err, gateway.ErrConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("error %v", err)
	}
	if _, err := gateway.LoadConfig(filepath.Join(dir, "missing.json"), nil); !errors.Is(err, gateway.ErrConfig) {
		t.Errorf("missing file: %v", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	for _, c := range []gateway.Config{
		{},
		{Upstreams: []gateway.Upstream{{Name: "a", BaseURL: "http://x/v1"}}, ClientKeys: []reask.Secret{""}},
		{Upstreams: []gateway.Upstream{{Name: "a", BaseURL: "http://x/v1"}}, ClientKeys: []reask.Secret{"has space"}},
		{Upstreams: []gateway.Upstream{{Name: "a", BaseURL: "http://x/v1"}}, MaxAttempts: -1},
		{Upstreams: []gateway.Upstream{{Name: "a", BaseURL: "http://x/v1"}}, UpstreamTimeout: -time.Second},
	} {
		if _, err := gateway.New(c); !errors.Is(err, gateway.ErrConfig) {
			t.Errorf("config %+v: error %v", c, err)
		}
	}
}
