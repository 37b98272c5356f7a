package gateway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
)

// A fallback given as a bare model name is refused with the form a target
// takes, and the targets that would serve that model.
func TestFallbackBareModelName(t *testing.T) {
	const upstreams = `{"upstreams":[{"name":"openai","base_url":"https://api.openai.com/v1","models":["gpt-4o","gpt-4o-mini"]},` +
		`{"name":"azure","base_url":"https://x.example/v1","models":["gpt-4o-mini"]}],`
	tests := []struct {
		name, fallbacks string
		field           string
		want            []string
	}{
		{"model two upstreams serve", `"fallbacks":{"gpt-4o":["gpt-4o-mini"]}}`, `fallbacks["gpt-4o"][0]`,
			[]string{`"gpt-4o-mini": no upstream is called "gpt-4o-mini"`, `a fallback target is "upstream/model"`, `such as "openai/gpt-4o-mini" or "azure/gpt-4o-mini"`}},
		{"model no upstream serves", `"fallbacks":{"gpt-4o":["llama3.1"]}}`, `fallbacks["gpt-4o"][0]`,
			[]string{`a fallback target is "upstream/model" (or, alone, the name of the upstream that lists no models)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.ParseConfig([]byte(upstreams+tt.fallbacks), func(string) string { return "" })
			var ce *gateway.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("error %v, want a ConfigError for %s", err, tt.field)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if strings.Contains(tt.name, "no upstream serves") && strings.Contains(err.Error(), "such as") {
				t.Errorf("%q suggests a target that does not exist", err)
			}
		})
	}
}
