package gateway_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The browser check runs when Chromium is installed, skips with a reason
// when it is not or when REASK_SKIP_BROWSER asks, and fails when CI
// requires it (REASK_REQUIRE_BROWSER) and it cannot run.
func TestFindChromium(t *testing.T) {
	installed := func(name string) (string, error) {
		if name == "chromium" {
			return "/usr/bin/chromium", nil
		}
		return "", exec.ErrNotFound
	}
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	tests := []struct {
		name     string
		env      map[string]string
		lookPath func(string) (string, error)
		path     string
		skip     string // part of the skip message, "" when it runs
		err      string // part of the error, "" for none
	}{
		{"installed", nil, installed, "/usr/bin/chromium", "", ""},
		{"installed, skip asked", map[string]string{"REASK_SKIP_BROWSER": "1"}, installed, "", "REASK_SKIP_BROWSER is set", ""},
		{"installed, skip set to 0", map[string]string{"REASK_SKIP_BROWSER": "0"}, installed, "/usr/bin/chromium", "", ""},
		{"missing", nil, missing, "", "chromium is not installed", ""},
		{"missing, skip asked", map[string]string{"REASK_SKIP_BROWSER": "1"}, missing, "", "REASK_SKIP_BROWSER is set", ""},
		{"missing, required (CI)", map[string]string{"REASK_REQUIRE_BROWSER": "1"}, missing, "", "", "REASK_REQUIRE_BROWSER is set"},
		{"installed, required", map[string]string{"REASK_REQUIRE_BROWSER": "1"}, installed, "/usr/bin/chromium", "", ""},
		{"both set", map[string]string{"REASK_SKIP_BROWSER": "1", "REASK_REQUIRE_BROWSER": "1"}, installed, "", "", "both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, skip, err := findChromium(func(k string) string { return tt.env[k] }, tt.lookPath)
			if path != tt.path {
				t.Errorf("path %q, want %q", path, tt.path)
			}
			if (tt.skip == "") != (skip == "") || !strings.Contains(skip, tt.skip) {
				t.Errorf("skip %q, want one with %q", skip, tt.skip)
			}
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("error %v, want one with %q", err, tt.err)
			}
		})
	}
}
