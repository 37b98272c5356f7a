package batch_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/stats"
)

// TestItemsReadsAsRun checks that Items gives the ids and failures Run
// gives: line numbers, derived ids for duplicates, a BOM skipped, a broken
// line failing under its line number.
func TestItemsReadsAsRun(t *testing.T) {
	in := "\xef\xbb\xbf{\"id\":\"a\",\"text\":\"one\"}\n{\"text\":\"two\"}\n\nnot json\n{\"id\":\"a\",\"text\":\"dup\"}\n"
	type got struct {
		id, text string
		line     int
		failed   bool
	}
	var items []got
	for it := range batch.Items(strings.NewReader(in), "in.jsonl", 0) {
		items = append(items, got{it.ID, it.Text, it.Line, it.Err != nil})
	}
	want := []got{{"a", "one", 1, false}, {"2", "two", 2, false}, {"4", "", 4, true}, {"a#5", "dup", 5, true}}
	if len(items) != len(want) {
		t.Fatalf("items %+v, want %+v", items, want)
	}
	for i := range want {
		if items[i] != want[i] {
			t.Errorf("item %d: %+v, want %+v", i, items[i], want[i])
		}
	}
}

// TestOutputResumes checks that OpenOutput keeps what Run keeps on resume:
// the records written (Has, Skipped), a torn last line removed, a missing
// dead-letter entry written by DeadLetterDue, and ErrOutputExists without
// Resume.
func TestOutputResumes(t *testing.T) {
	dir := t.TempDir()
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	o, err := batch.OpenOutput(batch.OutputConfig{Path: out, DeadLetterPath: dead})
	if err != nil {
		t.Fatal(err)
	}
	must(t, o.Write(stats.FromReport("a", json.RawMessage(`{"n":1}`), nil, nil), nil))
	// A failed record whose dead-letter entry a crash prevented: written
	// here without the file, as a crash between the two writes leaves it.
	rec, _ := json.Marshal(stats.Failed("b", reask.KindSchema, errors.New("no luck")))
	must(t, o.Close())
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	f.Write(append(rec, '\n'))
	f.WriteString(`{"id":"c","ok":tr`) // torn by a crash
	f.Close()

	if _, err := batch.OpenOutput(batch.OutputConfig{Path: out}); !errors.Is(err, batch.ErrOutputExists) {
		t.Fatalf("without Resume: %v, want ErrOutputExists", err)
	}
	o, err = batch.OpenOutput(batch.OutputConfig{Path: out, DeadLetterPath: dead, Resume: true})
	must(t, err)
	if !o.Has("a") || !o.Has("b") || o.Has("c") {
		t.Errorf("Has a, b, c = %v, %v, %v; want true, true, false", o.Has("a"), o.Has("b"), o.Has("c"))
	}
	if p := o.Progress(); p.Skipped != 2 || p.Done != 0 {
		t.Errorf("progress %+v, want 2 skipped", p)
	}
	must(t, o.DeadLetterDue("b", json.RawMessage(`{"id":"b","text":"x"}`)))
	must(t, o.DeadLetterDue("a", json.RawMessage(`{"id":"a","text":"x"}`))) // ok: no entry
	must(t, o.Close())
	b, _ := os.ReadFile(out)
	if strings.Contains(string(b), `"c"`) || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("output after resume:\n%s\nwant the torn line gone", b)
	}
	d, _ := os.ReadFile(dead)
	if strings.Count(string(d), "\n") != 1 || !strings.Contains(string(d), `"id":"b"`) {
		t.Errorf("dead letter:\n%s\nwant one entry, b's", d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
