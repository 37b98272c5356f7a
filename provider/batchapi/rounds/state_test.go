package rounds_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/batchapi/rounds"
	"github.com/reask/reask/provider/openai"
)

// A State saved and loaded is the same; rounds are set in order; a bad
// file is an error that names it; Save leaves no temporary file.
func TestState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl.batches.json")
	if _, err := rounds.Load(path); !errors.Is(err, rounds.ErrNoState) {
		t.Fatalf("missing file: %v", err)
	}
	s := &rounds.State{Version: rounds.StateVersion, BaseURL: "http://x/v1", Model: "m"}
	if err := s.SetRound(2, rounds.Round{}); err == nil {
		t.Error("round 2 before round 1 accepted")
	}
	r1 := rounds.Round{Batches: []string{"b1", "b2"}, Lines: map[string]string{"i_a": "d1"}}
	r2 := rounds.Round{Answers: map[string]rounds.Answer{"i_a": {Digest: "d2", Content: `{"a":1}`, Usage: reask.Usage{TotalTokens: 3}},
		"i_b": {Digest: "d3", Error: &rounds.AnswerError{Kind: reask.KindServer, Status: 500, Message: "boom"}}}}
	for n, r := range []rounds.Round{r1, r2, r2} {
		if err := s.SetRound(min(n+1, 2), r); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rounds.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("loaded %+v, saved %+v", got, s)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want the state alone", len(entries))
	}
	for _, tt := range []struct{ content, want string }{
		{`{"version":1,`, "is not a state file"},
		{`{"version":9}`, "version 9"},
	} {
		os.WriteFile(path, []byte(tt.content), 0o644)
		if _, err := rounds.Load(path); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want %q", tt.content, err, tt.want)
		}
	}
}

// A round over the batch API's file limit goes as several batches, all
// read; resumed, all are re-attached.
func TestRoundsSplit(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	op := openai.NewProvider(openai.Config{BaseURL: e.ts.URL + "/v1", Model: "gpt-4o-mini", Clock: e.clk})
	e.rec.Client = openai.NewBatchClient(op, openai.BatchConfig{MaxLines: 4})
	var kept []rounds.Round
	e.cfg.OnRound = func(n int, r rounds.Round) error { kept = append(kept, r); return nil }
	res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if st.Rounds != 1 || st.Batches != 3 || len(kept) != 1 || len(kept[0].Batches) != 3 {
		t.Fatalf("stats %+v, kept %+v: want one round of 3 batches", st, kept)
	}
	e2 := e.again()
	e2.cfg.Resume, e2.cfg.OnRound = kept, nil
	res2, st2, err := rounds.Run(t.Context(), e2.cfg, people(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res2)
	if st2.Attached != 3 || st2.Batches != 0 {
		t.Errorf("resumed stats %+v: want the 3 batches re-attached, none submitted", st2)
	}
}
