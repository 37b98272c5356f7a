// Package npmtest installs pinned npm packages for the tests that run real
// JavaScript clients (the official openai SDK, the Vercel AI SDK) against
// the simulator or the gateway. It copies a package directory's files into
// a temporary directory and runs "npm ci" there, never in the repository.
package npmtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// InstallTimeout bounds "npm ci".
const InstallTimeout = 5 * time.Minute

// Install copies files (package.json, package-lock.json and the scripts)
// from the directory src into a new temporary directory, installs the
// locked packages there with "npm ci", and returns that directory and the
// node binary. It skips the test when node or npm is missing, or under
// -short.
func Install(t testing.TB, src string, files ...string) (dir, node string) {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed for the Node client tests (Debian: apt-get install -y nodejs npm); skipping")
	}
	if testing.Short() {
		t.Skip("-short: skipping a Node client test (it runs npm ci)")
	}
	dir = t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), InstallTimeout)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in a copy of %s: %v\n%s", src, err, out)
	}
	return dir, node
}
