// Package reasktest holds what the tests of several packages need to build
// reask clients.
package reasktest

import (
	"testing"

	"github.com/reask/reask"
)

// NewClient is reask.New for a configuration the test knows is valid: an
// error fails the test.
func NewClient(t testing.TB, p reask.Provider, cfg reask.Config) *reask.Client {
	t.Helper()
	c, err := reask.New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
