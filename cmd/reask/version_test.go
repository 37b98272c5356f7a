package main

import (
	"regexp"
	"runtime"
	"testing"
)

func TestVersion(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "", "version")
	want := regexp.MustCompile(`^reask \S+ \(` + regexp.QuoteMeta(runtime.Version()+", "+runtime.GOOS+"/"+runtime.GOARCH) + `\)\n$`)
	if code != 0 || stderr != "" || !want.MatchString(stdout) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	old := version
	defer func() { version = old }()
	version = "v1.2.3"
	if stdout, _, _ := runCLI(t, nil, "", "version"); !regexp.MustCompile(`^reask v1\.2\.3 \(`).MatchString(stdout) {
		t.Errorf("with -X main.version=v1.2.3: %q", stdout)
	}
	if _, _, code := runCLI(t, nil, "", "version", "extra"); code != 1 {
		t.Errorf("an argument: exit %d, want 1", code)
	}
}
