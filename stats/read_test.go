package stats_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask/stats"
)

// A record is a JSON object with "id" and "ok": anything else is named, by
// line, and a stream with no record at all — a batch's input, a log — is
// refused rather than summarised as "0% success".
func TestReadRefusesWhatIsNotBatchOutput(t *testing.T) {
	const ok = `{"id":"a","ok":true,"data":{},"attempts":1,"calls":1,"outcome":"ok"}`
	const failed = `{"id":"b","ok":false,"data":null,"attempts":3,"calls":3,"outcome":"schema"}`
	tests := []struct {
		name      string
		in        string
		items     int
		invalid   int
		lineErrs  []string // each LineError's text, in order
		noRecords string   // part of the ErrNoRecords error; "" when records were read
	}{
		{"batch output", ok + "\n" + failed + "\n", 2, 0, nil, ""},
		{"a batch's input", `{"id":"a","text":"Mike (45)"}` + "\n" + `{"id":"b","text":"Sarah, 25"}` + "\n", 0, 2,
			[]string{`line 1: no "ok" field`, `line 2: no "ok" field`},
			`not the output of reask batch: none of its 2 line(s) is a record (a JSON object with "id" and "ok"); line 1: no "ok" field`},
		{"not JSON", "id,ok\na,true\n", 0, 2, []string{"line 1: not JSON", "line 2: not JSON"}, "line 1: not JSON"},
		{"JSON, not objects", "[1,2]\n\"text\"\n", 0, 2, []string{"line 1: not a JSON object", "line 2: not a JSON object"}, "line 1: not a JSON object"},
		{"objects without id", `{"ok":true}` + "\n", 0, 1, []string{`line 1: no "id" field`}, `line 1: no "id" field`},
		{"empty", "\n \n", 0, 0, nil, "the input is empty"},
		{"a foreign line among records", ok + "\n" + `{"id":"x","text":"t"}` + "\n" + failed + "\n", 2, 1, []string{`line 2: no "ok" field`}, ""},
		{"the last line cut short by a crash", ok + "\n" + `{"id":"c","ok":tr`, 1, 1, []string{"line 2: not JSON (cut short?)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, lineErrs, err := stats.Read(strings.NewReader(tt.in), 10)
			if tt.noRecords == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.noRecords != "" && (!errors.Is(err, stats.ErrNoRecords) || !strings.Contains(err.Error(), tt.noRecords)) {
				t.Fatalf("error %v, want ErrNoRecords saying %q", err, tt.noRecords)
			}
			if s.Items != tt.items || s.InvalidLines != tt.invalid {
				t.Errorf("%d items, %d invalid lines; want %d, %d", s.Items, s.InvalidLines, tt.items, tt.invalid)
			}
			if len(lineErrs) != len(tt.lineErrs) {
				t.Fatalf("line errors %v, want %q", lineErrs, tt.lineErrs)
			}
			for i, le := range lineErrs {
				var lerr *stats.LineError
				if !errors.As(le, &lerr) || !strings.HasPrefix(le.Error(), tt.lineErrs[i]) {
					t.Errorf("line error %d: %v, want %q", i, le, tt.lineErrs[i])
				}
			}
		})
	}
}

// FuzzRead: any input is read without a panic, and every line that holds
// more than white space is either a record or an invalid line.
func FuzzRead(f *testing.F) {
	f.Add(`{"id":"a","ok":true,"data":{},"attempts":1,"calls":1,"outcome":"ok"}` + "\n" + `{"id":"b","text":"x"}`)
	f.Add("[1]\n\"s\"\n{\"id\":\"c\",\"ok\":tr")
	f.Add(`{"id":"a","ok":"yes"}` + "\n" + `{"id":7,"ok":true}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, _, err := stats.Read(strings.NewReader(in), 3)
		if err != nil && !errors.Is(err, stats.ErrNoRecords) {
			return // a line beyond MaxLineBytes
		}
		lines := 0
		for _, l := range strings.Split(in, "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if s.Items+s.InvalidLines != lines {
			t.Errorf("%d items + %d invalid lines, want %d lines", s.Items, s.InvalidLines, lines)
		}
		if (err != nil) != (s.Items == 0) {
			t.Errorf("%d items with error %v", s.Items, err)
		}
	})
}
