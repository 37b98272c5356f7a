package batch_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/internal/reasktest"
)

// TestDuplicateIDsGetOneRecordPerLine checks that every input line gets
// exactly one record, under an id no other line holds, on a fresh run and
// on a run resumed from any subset of the fresh run's records.
func TestDuplicateIDsGetOneRecordPerLine(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want []string // the records' ids, by input line
		dup  []bool   // whether the line fails as a duplicate
	}{
		{"derived id named later", []string{"a", "a", "a#2"}, []string{"a", "a#2", "a#2#3"}, []bool{false, true, true}},
		{"derived id named earlier", []string{"x#3", "x", "x"}, []string{"x#3", "x", "x#3#3"}, []bool{false, false, true}},
		{"line number named", []string{"", "1", "1"}, []string{"1", "1#2", "1#3"}, []bool{false, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in strings.Builder
			for i, id := range tt.ids {
				if id == "" {
					in.WriteString(`{"text":"item ` + itoa(i+1) + `"}` + "\n")
				} else {
					in.WriteString(`{"id":"` + id + `","text":"item ` + itoa(i+1) + `"}` + "\n")
				}
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "out.jsonl")
			res, err := batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(in.String()), InName: "in.jsonl", OutPath: out})
			if err != nil {
				t.Fatal(err)
			}
			if p := res.Progress; p.Done != len(tt.ids) || p.Skipped != 0 {
				t.Errorf("fresh run: progress %+v, want %d done and none skipped", p, len(tt.ids))
			}
			checkRecords(t, out, tt.want, tt.dup)

			// Resume from every subset of the records a crash may leave.
			full, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.SplitAfter(full, []byte("\n"))
			lines = lines[:len(lines)-1] // the empty tail after the last \n
			for mask := 0; mask < 1<<len(lines); mask++ {
				var kept []byte
				n := 0
				for i, l := range lines {
					if mask&(1<<i) != 0 {
						kept = append(kept, l...)
						n++
					}
				}
				os.WriteFile(out, kept, 0o644)
				res, err := batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(in.String()), InName: "in.jsonl", OutPath: out, Resume: true})
				if err != nil {
					t.Fatalf("resume from %d records: %v", n, err)
				}
				if p := res.Progress; p.Skipped != n || p.Done != len(tt.ids)-n {
					t.Errorf("resume from %d records: progress %+v", n, p)
				}
				checkRecords(t, out, tt.want, tt.dup)
			}
		})
	}
}

// checkRecords checks that out holds one record per wanted id and nothing
// else, the duplicates failed with the reason and the others done.
func checkRecords(t *testing.T, out string, want []string, dup []bool) {
	t.Helper()
	recs := readRecords(t, out)
	var got []string
	for id := range recs {
		got = append(got, id)
	}
	slices.Sort(got)
	sorted := slices.Sorted(slices.Values(want))
	if !slices.Equal(got, sorted) {
		t.Fatalf("record ids %q, want %q", got, sorted)
	}
	for i, id := range want {
		r := recs[id]
		switch {
		case dup[i] && (r.OK || !strings.Contains(r.Error, "in.jsonl:"+itoa(i+1)+": duplicate id")):
			t.Errorf("line %d (%s): %+v, want a duplicate id error", i+1, id, r)
		case !dup[i] && (!r.OK || string(r.Data) != `{"n":`+itoa(i+1)+`}`):
			t.Errorf("line %d (%s): %+v, want {\"n\":%d}", i+1, id, r, i+1)
		}
	}
}

// TestByteOrderMarkIgnored checks that a UTF-8 BOM before the first line
// (or a later one, as cat leaves it) does not fail the item.
func TestByteOrderMarkIgnored(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	in := bom + `{"id":"a","text":"item 1"}` + "\n" + bom + `{"id":"b","text":"item 2"}` + "\n"
	out := filepath.Join(t.TempDir(), "out.jsonl")
	if _, err := batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(in), OutPath: out}); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	for id, n := range map[string]string{"a": "1", "b": "2"} {
		if r := recs[id]; !r.OK || string(r.Data) != `{"n":`+n+`}` {
			t.Errorf("%s: %+v", id, r)
		}
	}
}
