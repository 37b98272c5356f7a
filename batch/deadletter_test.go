package batch_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/internal/reasktest"
)

// deadEntries reads a dead-letter file's entries, failing on a repeated id.
func deadEntries(t *testing.T, path string) map[string]map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]json.RawMessage{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" {
			continue
		}
		var e map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("dead-letter line %q: %v", line, err)
		}
		var id string
		json.Unmarshal(e["id"], &id)
		if _, dup := out[id]; dup {
			t.Errorf("dead letter holds %q twice", id)
		}
		out[id] = e
	}
	return out
}

// TestResumeCompletesDeadLetter checks that a failed record whose
// dead-letter entry was never written (the write failed, or the process died
// between the two writes) gets its entry on resume, once.
func TestResumeCompletesDeadLetter(t *testing.T) {
	in := `{"id":"a","text":"item 1"}` + "\n" + `{"id":"d","text":"bad item"}` + "\n" + `{"id":"e","text":"bad item"}` + "\n"
	dir := t.TempDir()
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	cfg := func(deadPath string, resume bool) batch.Config {
		return batch.Config{Schema: numSchema, In: strings.NewReader(in), OutPath: out, DeadLetterPath: deadPath, Resume: resume, Concurrency: 1}
	}
	c := reasktest.NewClient(t, &echo{}, reask.Config{MaxAttempts: 1})

	t.Run("dead-letter write fails", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		_, err := batch.Run(t.Context(), c, cfg("/dev/full", false))
		if err == nil || !strings.Contains(err.Error(), "writing the dead-letter file") {
			t.Fatalf("error %v, want the dead-letter write's", err)
		}
	})
	// Whether or not /dev/full exists, leave the state a kill -9 between
	// the two writes leaves: d's failed record in the output, no entry,
	// and a torn entry at the end of the dead-letter file.
	if _, err := os.Stat(out); err != nil {
		os.WriteFile(out, []byte(`{"id":"d","ok":false,"data":null,"attempts":1,"calls":1,"usage":{},"repairs":[],"errors":[],"duration_ms":1,"backoff_ms":0,"error":"no valid answer","outcome":"exhausted"}`+"\n"), 0o644)
	}
	os.WriteFile(dead, []byte(`{"id":"d","inp`), 0o644)
	if recs := readRecords(t, out); recs["d"].OK || len(recs) == 3 {
		t.Fatalf("setup: output %+v, want d failed and not every item done", recs)
	}

	if _, err := batch.Run(t.Context(), c, cfg(dead, true)); err != nil {
		t.Fatal(err)
	}
	if recs := readRecords(t, out); len(recs) != 3 {
		t.Fatalf("%d records after resume, want 3", len(recs))
	}
	entries := deadEntries(t, dead)
	ids := slices.Sorted(maps.Keys(entries))
	if !slices.Equal(ids, []string{"d", "e"}) {
		t.Fatalf("dead-letter ids %q, want d and e", ids)
	}
	if got := string(entries["d"]["input"]); got != `{"id":"d","text":"bad item"}` {
		t.Errorf("d's entry input %s", got)
	}
	if !strings.Contains(string(entries["d"]["error"]), "no valid answer") {
		t.Errorf("d's entry %v has not the record's error", entries["d"])
	}

	// Resuming a finished run writes nothing more.
	before, _ := os.ReadFile(dead)
	if _, err := batch.Run(t.Context(), c, cfg(dead, true)); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(dead); string(after) != string(before) {
		t.Errorf("dead letter changed on a second resume:\n%s\nthen\n%s", before, after)
	}
}
