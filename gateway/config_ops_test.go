package gateway_test

import (
	"errors"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

func TestParseConfigOpsFields(t *testing.T) {
	env := map[string]string{"TEAM_A_KEY": "sk-team-a", "TEAM_B_KEY": "sk-team-b"}
	data := `{
	  "upstreams": [{"name": "openai", "base_url": "https://api.openai.com/v1"}],
	  "client_keys": [{"name": "team-a", "key_env": "TEAM_A_KEY"}, {"name": "team-b", "key_env": "TEAM_B_KEY"}],
	  "log_burst": 5, "log_interval": "30s", "recent_failures": 50, "dashboard_content": true,
	  "ready_probe_timeout": "off", "ready_probe_interval": "1m"
	}`
	c, err := gateway.ParseConfig([]byte(data), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ClientKeys) != 2 || c.ClientKeys[1] != "sk-team-b" || len(c.ClientKeyNames) != 2 || c.ClientKeyNames[0] != "team-a" {
		t.Errorf("client keys %v names %v", c.ClientKeys, c.ClientKeyNames)
	}
	if c.LogBurst != 5 || c.LogInterval != 30*time.Second || c.RecentFailures != 50 || !c.DashboardContent ||
		c.ReadyProbeTimeout != -1 || c.ReadyProbeInterval != time.Minute {
		t.Errorf("config %+v", c)
	}
	if _, err := gateway.New(c); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestConfigOpsErrorsNameTheField(t *testing.T) {
	env := map[string]string{"K": "sk-k"}
	const up = `{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:1/v1"}]`
	for _, tc := range []struct{ name, data, field string }{
		{"key without a name", up + `,"client_keys":[{"key_env":"K"}]}`, "client_keys[0].name"},
		{"key without its variable", up + `,"client_keys":[{"name":"a"}]}`, "client_keys[0].key_env"},
		{"unset variable", up + `,"client_keys":[{"name":"a","key_env":"UNSET"}]}`, "client_keys[0].key_env"},
		{"bad name", up + `,"client_keys":[{"name":"a b","key_env":"K"}]}`, "client_keys[0].name"},
		{"duplicate name", up + `,"client_keys":[{"name":"a","key_env":"K"},{"name":"a","key_env":"K"}]}`, "client_keys[1].name"},
		{"log burst", up + `,"log_burst":-2}`, "log_burst"},
		{"log interval", up + `,"log_interval":"soon"}`, "log_interval"},
		{"negative log interval", up + `,"log_interval":"-1s"}`, "log_interval"},
		{"too many failures", up + `,"recent_failures":1001}`, "recent_failures"},
		{"probe timeout", up + `,"ready_probe_timeout":"-2s"}`, "ready_probe_timeout"},
		{"probe interval", up + `,"ready_probe_interval":"-2s"}`, "ready_probe_interval"},
	} {
		_, err := gateway.ParseConfig([]byte(tc.data), func(k string) string { return env[k] })
		var ce *gateway.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, gateway.ErrConfig) {
			t.Errorf("%s: %v, want field %s", tc.name, err, tc.field)
		}
	}
	c := gateway.Config{Upstreams: []gateway.Upstream{{Name: "a", BaseURL: "http://127.0.0.1:1/v1"}},
		ClientKeys: []reask.Secret{"k1"}, ClientKeyNames: []string{"a", "b"}}
	var ce *gateway.ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || ce.Field != "client_keys" {
		t.Errorf("more names than keys: %v", err)
	}
}
