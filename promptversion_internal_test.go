package reask

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updatePromptVersion = flag.Bool("update-prompt-version", false, "rewrite testdata/prompt-version.golden")

// TestPromptVersionCoversTheTemplate checks that the cache key's prompt
// version is the hash of the rendered template and that the rendering
// holds every part of it, so that a change to any part changes the key.
func TestPromptVersionCoversTheTemplate(t *testing.T) {
	sample := promptSample()
	if got, want := promptVersion(), promptVersionOf(sample); got != want {
		t.Fatalf("promptVersion() = %q, want the hash of the rendered template %q", got, want)
	}
	for _, part := range []string{
		DefaultInstructions,
		"Extract information from this text.",
		"Schema:\n",
		"Your answer is not valid JSON",
		"Your answer was cut off",
		"Your answer was empty.",
		"You declined to answer",
		"Your answer does not match the schema.",
		"Your answer matches the schema but fails these checks.",
		"- age must match the birth year",
		"Your answer could not be used",
		"These fields failed more than once.",
		"Most of your answer is right.",
		"Earlier answers failed too",
	} {
		if !strings.Contains(sample, part) {
			t.Errorf("the rendered template lacks %q: a change to it would not change the cache key", part)
		}
	}
	if promptVersionOf(sample+" ") == promptVersionOf(sample) {
		t.Error("a changed template gives the same version")
	}
}

// TestPromptVersionGolden compares the template with the one recorded in
// testdata/prompt-version.golden (its version on the first line): the same
// template must give the same version in every process, and a changed one
// a different version. Rewrite the file with -update-prompt-version after
// a deliberate change of the template.
func TestPromptVersionGolden(t *testing.T) {
	path := filepath.Join("testdata", "prompt-version.golden")
	sample, version := promptSample(), promptVersion()
	if *updatePromptVersion {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(version+"\n"+sample), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPromptVersionGolden -update-prompt-version .)", err)
	}
	goldVersion, goldSample, _ := strings.Cut(string(b), "\n")
	switch {
	case sample == goldSample && version != goldVersion:
		t.Errorf("the recorded template gives version %q, recorded %q: the version is not stable", version, goldVersion)
	case sample != goldSample && version == goldVersion:
		t.Errorf("the template changed but its version %q did not: results cached under the old prompt would hit", version)
	case sample != goldSample:
		t.Logf("the template changed (version %s, was %s): rewrite %s with -update-prompt-version", version, goldVersion, path)
	}
}
