package gateway_test

import (
	"errors"
	"testing"

	"github.com/reask/reask/gateway"
)

// FuzzParseConfig: any file is accepted or refused with a ConfigError,
// never a panic, and an accepted one makes a gateway.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:1/v1","models":["m"]},{"name":"b","base_url":"https://x/v1"}],"fallbacks":{"m":["b/m2","b"],"*":["a/m"]},"default_model":"m","mode":"tools","upstream_timeout":"1s"}`,
		`{"upstreams":[]}`, `{}`, `[]`, `{"upstreams":[{"name":"a/b"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := gateway.ParseConfig(data, func(string) string { return "k" })
		if err != nil {
			var ce *gateway.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, gateway.ErrConfig) {
				t.Fatalf("error %T %v, want a *ConfigError", err, err)
			}
			return
		}
		g, err := gateway.New(c)
		if err != nil {
			t.Fatalf("a valid file does not make a gateway: %v", err)
		}
		g.Close()
	})
}
