package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// fullWriter fails every write, as a full disk does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// writeFailCommands are command lines that succeed when their output can be
// written; each returns them with fresh files.
func writeFailCommands(t *testing.T) map[string][]string {
	in, schemaFile, out := batchFiles(t, threeItems)
	return map[string][]string{
		"batch":   {"batch", "--schema", schemaFile, "--in", in, "--out", out, "--sim-profile", "clean", "--progress-interval", "0"},
		"repair":  {"repair", writeFile(t, "answer.txt", "{a: 'b',}")},
		"version": {"version"},
	}
}

// Every command fails, and says why, when its output cannot be written.
func TestStdoutWriteErrorFailsTheCommand(t *testing.T) {
	for name, args := range writeFailCommands(t) {
		t.Run(name, func(t *testing.T) {
			var errb bytes.Buffer
			code := runWithEnv(t.Context(), args, strings.NewReader(""), fullWriter{}, &errb, func(string) string { return "" })
			if code != 1 || !strings.Contains(errb.String(), "stdout") || !strings.Contains(errb.String(), syscall.ENOSPC.Error()) {
				t.Errorf("exit %d, stderr %q: want 1 and the write error", code, errb.String())
			}
		})
	}
	t.Run("stderr", func(t *testing.T) {
		args := writeFailCommands(t)["batch"]
		var out bytes.Buffer
		if code := runWithEnv(t.Context(), args, strings.NewReader(""), &out, fullWriter{}, func(string) string { return "" }); code != 1 {
			t.Errorf("exit %d with stderr failing, want 1", code)
		}
	})
}

// The binary too, with its stdout on /dev/full.
func TestBinaryStdoutOnDevFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	for name, args := range writeFailCommands(t) {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), binary, args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			var errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errb.String(), "no space left on device") {
				t.Errorf("%v, stderr %q: want exit 1 and the write error", err, errb.String())
			}
		})
	}
}
