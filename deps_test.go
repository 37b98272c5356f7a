package reask_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The library's packages build none of the CLI's, the gateway's or the
// fleet's dependencies: a program that imports reask to extract data does
// not compile cobra, Prometheus, a progress bar or a Redis client. This is
// why reask stays one module (docs/architecture.md): Go builds only the
// packages a program imports, so a second module would cost versioning
// without saving a library user a line of compiled code.
func TestLibraryDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping go list")
	}
	library := []string{".", "./schema", "./repair", "./backoff", "./breaker", "./budget", "./ratelimit",
		"./concurrency", "./clock", "./provider/...", "./batch", "./stats", "./shared", "./price"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, library...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"github.com/spf13/", "github.com/prometheus/", "github.com/schollz/progressbar",
		"github.com/redis/", "golang.org/x/term", "github.com/reask/reask/gateway", "github.com/reask/reask/cmd/",
		"github.com/reask/reask/sim", "github.com/reask/reask/metrics"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("a library package depends on %s", pkg)
			}
		}
	}
}
