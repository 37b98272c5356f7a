package reask_test

import (
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

type contact struct {
	Name  string `json:"name"`
	Email string `json:"email" jsonschema:"format=email"`
}

// Extract[T] compiles T's schema with Config.Schema: an
// internationalized address is valid at the default (lenient) level, and
// re-asked about at the strict one.
func TestConfigSchema(t *testing.T) {
	answer := step{content: `{"name":"Kwame","email":"kwame.garcía14@mail.test"}`}
	tests := []struct {
		name      string
		cfg       reask.Config
		wantCalls int
	}{
		{"default lenient", reask.Config{}, 1},
		{"strict", reask.Config{Schema: schema.Config{Formats: schema.FormatStrict}, MaxAttempts: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, []step{answer, answer}[:tt.wantCalls], tt.cfg)
			got, _, err := reask.Extract[contact](t.Context(), f.client, "Kwame, kwame.garcía14@mail.test")
			if tt.wantCalls == 1 && (err != nil || got.Email != "kwame.garcía14@mail.test") {
				t.Fatalf("Extract: %+v, %v", got, err)
			}
			if tt.wantCalls > 1 && err == nil {
				t.Fatal("strict formats accepted an internationalized address")
			}
			if n := f.script.calls(); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}
