package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// modulePath reads the module path from the repository's go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "module "); ok {
			return strings.TrimSpace(p)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}

// The install commands the documentation gives work as they say: "go
// install ./cmd/reask" puts a working reask into GOBIN, "go build -o
// bin/reask ./cmd/reask" into bin/, and every "go install" line of the
// command's doc and of the README names the module's real path.
func TestInstallInstructions(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping two builds of reask")
	}
	mod := modulePath(t)
	doc, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "go install "+mod+"/cmd/reask@latest") {
		t.Errorf("main.go's doc lacks %q", "go install "+mod+"/cmd/reask@latest")
	}
	install := regexp.MustCompile(`go install (\S+)`)
	for name, text := range map[string]string{"main.go": string(doc), "README.md": string(readme)} {
		for _, m := range install.FindAllStringSubmatch(text, -1) {
			target, _, _ := strings.Cut(m[1], "@")
			if target != "./cmd/reask" && target != mod+"/cmd/reask" {
				t.Errorf("%s: %q installs %q, want ./cmd/reask or %s/cmd/reask", name, m[0], target, mod)
			}
		}
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	gobin := t.TempDir()
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		bin  string
	}{
		{[]string{"install", "./cmd/reask"}, filepath.Join(gobin, "reask")},
		{[]string{"build", "-o", filepath.Join(out, "bin", "reask"), "./cmd/reask"}, filepath.Join(out, "bin", "reask")},
	} {
		cmd := exec.CommandContext(t.Context(), "go", tc.args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOBIN="+gobin)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(tc.args, " "), err, b)
		}
		b, err := exec.CommandContext(t.Context(), tc.bin, "version").Output()
		if err != nil || !strings.HasPrefix(string(b), "reask ") {
			t.Errorf("%s version after go %s: %q, %v", tc.bin, strings.Join(tc.args, " "), b, err)
		}
	}
}
