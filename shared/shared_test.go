package shared_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/reask/reask/shared"
)

// An Account prints, formats and logs without its API key.
func TestAccountHidesTheKey(t *testing.T) {
	a := shared.Account{BaseURL: "https://api.example.test/v1", Model: "m", APIKey: "sk-very-secret"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "account", a)
	for _, out := range []string{fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s", a, a, a, a), logged.String()} {
		if strings.Contains(out, "sk-very-secret") {
			t.Errorf("the API key shows in %q", out)
		}
		if !strings.Contains(out, "https://api.example.test/v1") {
			t.Errorf("the base URL is missing from %q", out)
		}
	}
}
