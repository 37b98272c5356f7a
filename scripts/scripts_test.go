// Package scripts_test checks the project's shell scripts (scripts/test's
// tool installation, .ci/run) against fake system commands: nothing is
// installed and no network is used.
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystem is a directory of commands that stands in for PATH: fakes
// that log their arguments, and links to the few real tools the scripts use.
type fakeSystem struct {
	bin string
	log string // every fake command appends "name args" lines here
}

func newFakeSystem(t *testing.T) *fakeSystem {
	t.Helper()
	dir := t.TempDir()
	fs := &fakeSystem{bin: filepath.Join(dir, "bin"), log: filepath.Join(dir, "calls.log")}
	if err := os.Mkdir(fs.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"cat", "env", "grep", "mktemp", "rm"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is needed to run the scripts: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(fs.bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

// add writes a fake command that logs its arguments, then runs body.
func (fs *fakeSystem) add(t *testing.T, name, body string) {
	t.Helper()
	script := "#!/bin/bash\necho \"" + name + " $*\" >> " + fs.log + "\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(fs.bin, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// calls returns the logged command lines.
func (fs *fakeSystem) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(fs.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// run runs a script with bash, the fake PATH and env, and returns its
// combined output and exit code.
func (fs *fakeSystem) run(t *testing.T, script string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("/bin/bash", script)
	cmd.Env = append([]string{"PATH=" + fs.bin}, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// The tool installation says what it installs and why before it does,
// needs apt-get and root or sudo and says so, shows apt-get's output when
// it fails, and installs no chromium when the browser check is skipped.
func TestInstallTestTools(t *testing.T) {
	const aptFails = `[ "$1" = install ] && [ "$2" != -s ] && { echo "E: Unable to locate package chromium"; exit 100; }; exit 0`
	tests := []struct {
		name  string
		env   []string
		fakes map[string]string // command → body; node, npm and redis-server exist unless listed as ""
		code  int
		// out holds strings of the output, in this order.
		out []string
		// calls are the commands expected, in order; nil for none.
		calls []string
	}{
		{
			name:  "skip asked: no chromium looked for or installed",
			env:   []string{"REASK_SKIP_BROWSER=1"},
			fakes: map[string]string{"apt-get": "exit 0", "id": "echo 0"},
			out:   []string{"browser check: skipped (REASK_SKIP_BROWSER is set)", "node and npm found"},
		},
		{
			name:  "chromium found",
			fakes: map[string]string{"chromium": "exit 0", "apt-get": "exit 0"},
			out:   []string{"browser check: chromium found"},
		},
		{
			name:  "as root: says what and why, then installs",
			fakes: map[string]string{"apt-get": `[ "$2" = -s ] && printf 'Inst a\nInst b\nInst chromium\n'; exit 0`, "id": "echo 0"},
			out: []string{"missing: chromium", "needs Debian or Ubuntu and root or sudo", "gateway/browser_test.go", "REASK_SKIP_BROWSER=1",
				"installing chromium: 3 package(s) in all", "installed chromium in "},
			calls: []string{"apt-get update -q", "apt-get install -s chromium", "apt-get install -y -q chromium"},
		},
		{
			name:  "not root: through sudo",
			fakes: map[string]string{"apt-get": "exit 0", "id": "echo 1000", "sudo": `"$@"`},
			out:   []string{"missing: chromium", "using sudo", "installed chromium"},
			calls: []string{"sudo apt-get update -q", "apt-get update -q", "sudo apt-get install -s chromium", "apt-get install -s chromium",
				"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium", "apt-get install -y -q chromium"},
		},
		{
			name:  "install fails: apt-get's output is shown",
			fakes: map[string]string{"apt-get": aptFails, "id": "echo 0"},
			code:  1,
			out:   []string{"missing: chromium", "E: Unable to locate package chromium", "failed: env DEBIAN_FRONTEND=noninteractive apt-get install"},
			calls: []string{"apt-get update -q", "apt-get install -s chromium", "apt-get install -y -q chromium"},
		},
		{
			name:  "Node missing too",
			fakes: map[string]string{"apt-get": "exit 0", "id": "echo 0", "node": "", "npm": ""},
			out:   []string{"missing: chromium nodejs npm", "sim/node_test.go", "installed chromium nodejs npm"},
			calls: []string{"apt-get update -q", "apt-get install -s chromium nodejs npm", "apt-get install -y -q chromium nodejs npm"},
		},
		{
			name:  "redis-server missing",
			fakes: map[string]string{"chromium": "exit 0", "apt-get": "exit 0", "id": "echo 0", "redis-server": ""},
			out:   []string{"browser check: chromium found", "node and npm found", "missing: redis-server", "fleet/, internal/redistest", "installed redis-server"},
			calls: []string{"apt-get update -q", "apt-get install -s redis-server", "apt-get install -y -q redis-server"},
		},
		{
			name:  "redis-server found",
			fakes: map[string]string{"chromium": "exit 0"},
			out:   []string{"redis-server found"},
		},
		{
			name:  "not root and no sudo",
			fakes: map[string]string{"apt-get": "exit 0", "id": "echo 1000"},
			code:  1,
			out:   []string{"missing: chromium", "installing needs root, and sudo is not installed", "REASK_SKIP_BROWSER=1"},
		},
		{
			name: "no apt-get",
			code: 1,
			out:  []string{"missing: chromium", "apt-get not found", "install chromium yourself"},
		},
		{
			name: "skip and require both set",
			env:  []string{"REASK_SKIP_BROWSER=1", "REASK_REQUIRE_BROWSER=1"},
			code: 1,
			out:  []string{"both set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeSystem(t)
			fakes := map[string]string{"node": "exit 0", "npm": "exit 0", "redis-server": "exit 0"}
			for k, v := range tt.fakes {
				fakes[k] = v
			}
			for name, body := range fakes {
				if body != "" {
					fs.add(t, name, body)
				}
			}
			out, code := fs.run(t, "install-test-tools", tt.env...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.code, out)
			}
			rest := out
			for _, want := range tt.out {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("output lacks %q (after what came before):\n%s", want, out)
				}
				rest = rest[i+len(want):]
			}
			var calls []string
			for _, c := range fs.calls(t) {
				if !strings.HasPrefix(c, "id ") && c != "id -u" {
					calls = append(calls, c)
				}
			}
			if strings.Join(calls, "\n") != strings.Join(tt.calls, "\n") {
				t.Errorf("commands run:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(tt.calls, "\n"))
			}
		})
	}
}

// CI runs the browser check whatever its environment says: .ci/run drops
// REASK_SKIP_BROWSER and sets REASK_REQUIRE_BROWSER before it runs
// scripts/test; it sets REASK_REQUIRE_REDIS too, so the Redis tests fail
// rather than skip without redis-server.
func TestCIRequiresTheBrowserCheck(t *testing.T) {
	root := t.TempDir()
	ci, err := os.ReadFile(filepath.Join("..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range map[string]map[string]string{
		".ci":     {"run": string(ci)},
		"scripts": {"test": "#!/bin/bash\necho \"skip=[${REASK_SKIP_BROWSER-unset}] require=[${REASK_REQUIRE_BROWSER-unset}] redis=[${REASK_REQUIRE_REDIS-unset}]\"\n"},
	} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(root, dir, name), []byte(content), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	fs := newFakeSystem(t)
	for _, tool := range []string{"bash", "dirname"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skip(err)
		}
		os.Symlink(p, filepath.Join(fs.bin, tool))
	}
	out, code := fs.run(t, filepath.Join(root, ".ci", "run"), "REASK_SKIP_BROWSER=1")
	if code != 0 || strings.TrimSpace(out) != "skip=[unset] require=[1] redis=[1]" {
		t.Errorf("exit %d, scripts/test saw %q; want REASK_SKIP_BROWSER unset, REASK_REQUIRE_BROWSER=1 and REASK_REQUIRE_REDIS=1", code, out)
	}
}
