package metrics_test

import (
	"testing"

	"github.com/reask/reask"
)

// newReaskClient is reask.New for a configuration the test knows is valid.
func newReaskClient(t testing.TB, p reask.Provider, cfg reask.Config) *reask.Client {
	t.Helper()
	c, err := reask.New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
