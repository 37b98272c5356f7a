package gateway_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// findChromium decides whether the browser check (the dashboard rendered
// in Chromium) runs: the browser's path, or why the check is skipped — it
// is not installed, or REASK_SKIP_BROWSER=1 asks to skip it — or an error
// when it cannot be skipped: REASK_REQUIRE_BROWSER=1 (CI sets it) makes a
// missing browser fail the test, so that CI cannot pass without the check.
func findChromium(getenv func(string) string, lookPath func(string) (string, error)) (path, skip string, err error) {
	on := func(name string) bool { v := getenv(name); return v != "" && v != "0" }
	skipAsked, required := on("REASK_SKIP_BROWSER"), on("REASK_REQUIRE_BROWSER")
	switch {
	case skipAsked && required:
		return "", "", errors.New("REASK_SKIP_BROWSER and REASK_REQUIRE_BROWSER are both set: the browser check cannot be skipped and required at once")
	case skipAsked:
		return "", "REASK_SKIP_BROWSER is set: skipping the dashboard screenshot test in Chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := lookPath(name); err == nil {
			return p, "", nil
		}
	}
	if required {
		return "", "", errors.New("chromium is not installed, and REASK_REQUIRE_BROWSER is set (CI): the dashboard screenshot test must run (Debian: apt-get install -y chromium)")
	}
	return "", "chromium is not installed (Debian: apt-get install -y chromium); skipping the dashboard screenshot test", nil
}

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
