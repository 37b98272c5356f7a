package gateway_test

import (
	"os"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
)

// The README's complete --config example is a file the gateway loads: a
// field renamed or removed in the code fails here, not in a reader's hands.
func TestReadmeConfigExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "`--config FILE` declares")
	if !ok {
		t.Fatal("README: no \"`--config FILE` declares\" paragraph")
	}
	_, rest, ok = strings.Cut(rest, "```json\n")
	if !ok {
		t.Fatal("README: no ```json block after the --config paragraph")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README: the --config example's block is not closed")
	}
	env := map[string]string{"OPENAI_API_KEY": "sk-test", "GROQ_API_KEY": "gsk-test", "TEAM_A_KEY": "team-a-key"}
	cfg, err := gateway.ParseConfig([]byte(block), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("README's --config example does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("README's --config example is not valid: %v", err)
	}
	if len(cfg.Upstreams) != 3 {
		t.Errorf("README's example declares %d upstreams, want 3", len(cfg.Upstreams))
	}
}
