package batch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

// echo is a provider that extracts {"n": N} from texts "item N"; texts
// containing "bad" get an answer missing the field every time.
type echo struct{ calls atomic.Int32 }

func (e *echo) Name() string { return "echo" }

func (e *echo) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	e.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	text := req.Messages[1].Content
	if strings.Contains(text, "bad") {
		return &reask.Response{Content: `{}`, FinishReason: "stop", Usage: reask.Usage{TotalTokens: 10}}, nil
	}
	n := regexp.MustCompile(`item (\d+)`).FindStringSubmatch(text)[1]
	return &reask.Response{Content: `{"n":` + n + `}`, FinishReason: "stop", Usage: reask.Usage{TotalTokens: 10}}, nil
}

var numSchema = schema.MustCompile(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}`)

func readRecords(t *testing.T, path string) map[string]stats.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]stats.Record{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r stats.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		if _, dup := out[r.ID]; dup {
			t.Errorf("id %q written twice", r.ID)
		}
		out[r.ID] = r
	}
	return out
}

func TestMalformedLinesAndDeadLetter(t *testing.T) {
	dir := t.TempDir()
	in := strings.Join([]string{
		`{"id":"a","text":"item 1"}`,
		`not json at all`,
		`{"id":"b"}`,
		`{"id":"c","text":"   "}`,
		`{"id":7,"text":"item 7"}`,
		`{"text":"item 6"}`,
		``,
		`{"id":"a","text":"item 9"}`,
		`{"id":["x"],"text":"item 1"}`,
		`{"id":"d","text":"bad item"}`,
	}, "\n")
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	c := reasktest.NewClient(t, &echo{}, reask.Config{MaxAttempts: 2})
	res, err := batch.Run(t.Context(), c, batch.Config{Schema: numSchema, In: strings.NewReader(in), InName: "in.jsonl", OutPath: out, DeadLetterPath: dead})
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	want := map[string]string{ // id → "" for ok, else a substring of the error
		"a": "", "2": "in.jsonl:2: not a JSON object", "b": `in.jsonl:3: no "text" field`, "c": `in.jsonl:4: "text" is empty`,
		"7": "", "6": "", "a#8": `in.jsonl:8: duplicate id "a" (first at line 1)`, "9": `"id" must be a non-empty string or a number`,
		"d": "no valid answer after 2 attempt(s)",
	}
	if len(recs) != len(want) {
		t.Errorf("%d records, want %d: %v", len(recs), len(want), recs)
	}
	for id, w := range want {
		r, ok := recs[id]
		switch {
		case !ok:
			t.Errorf("no record for %q", id)
		case w == "" && (!r.OK || string(r.Data) == "null"):
			t.Errorf("%q: %+v", id, r)
		case w != "" && (r.OK || !strings.Contains(r.Error, w)):
			t.Errorf("%q: error %q, want it to contain %q", id, r.Error, w)
		}
	}
	if string(recs["7"].Data) != `{"n":7}` || recs["2"].Outcome != "invalid_item" {
		t.Errorf("records %+v %+v", recs["7"], recs["2"])
	}
	if res.Progress.Done != 9 || res.Progress.OK != 3 || res.Progress.Failed != 6 {
		t.Errorf("progress %+v", res.Progress)
	}
	deadRecs, _ := os.ReadFile(dead)
	if n := strings.Count(string(deadRecs), "\n"); n != 6 || !strings.Contains(string(deadRecs), `"input":"not json at all"`) {
		t.Errorf("dead letter (%d lines):\n%s", n, deadRecs)
	}
}

func inputOf(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(`{"id":"` + itoa(i) + `","text":"item ` + itoa(i) + `"}` + "\n")
	}
	return b.String()
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestOutputExistsWithoutResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	os.WriteFile(out, []byte("{\"id\":\"1\"}\n"), 0o644)
	_, err := batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(3)), OutPath: out})
	if !errors.Is(err, batch.ErrOutputExists) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "{\"id\":\"1\"}\n" {
		t.Errorf("output changed: %q", b)
	}
}

func TestResumeSkipsDoneAndRewritesPartialLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	prev := `{"id":"1","ok":true,"data":{"n":1},"attempts":1,"calls":1,"usage":{},"repairs":[],"errors":[],"duration_ms":1,"backoff_ms":0,"outcome":"ok"}` + "\n" +
		`{"id":"2","ok":true,"data":{"n":2},"attempts":1,"calls":1,"usage":{},"repairs":[],"errors":[],"duration_ms":1,"backoff_ms":0,"outcome":"ok"}` + "\n" +
		`{"id":"3","ok":tr`
	os.WriteFile(out, []byte(prev), 0o644)
	e := &echo{}
	res, err := batch.Run(t.Context(), reasktest.NewClient(t, e, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(5)), OutPath: out, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	if len(recs) != 5 || e.calls.Load() != 3 || res.Progress.Skipped != 2 || res.Progress.Done != 3 {
		t.Errorf("%d records, %d calls, progress %+v", len(recs), e.calls.Load(), res.Progress)
	}
	if string(recs["3"].Data) != `{"n":3}` {
		t.Errorf("item 3 %+v", recs["3"])
	}

	// A corrupt line in the middle is not guessed at.
	os.WriteFile(out, []byte("garbage\n"+prev[:len(prev)-len(`{"id":"3","ok":tr`)]), 0o644)
	_, err = batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(5)), OutPath: out, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "out.jsonl:1 is not an output record") {
		t.Errorf("error %v", err)
	}
}

// stopper cancels the run after a number of answers.
type stopper struct {
	echo
	after  int32
	cancel context.CancelFunc
}

func (s *stopper) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	if s.calls.Load() == s.after {
		s.cancel()
	}
	return s.echo.Complete(context.WithoutCancel(ctx), req)
}

func TestInterruptThenResumeLosesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	s := &stopper{after: 10, cancel: cancel}
	res, err := batch.Run(ctx, reasktest.NewClient(t, s, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(100)), OutPath: out, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Progress.Done >= 100 {
		t.Fatalf("result %+v", res)
	}
	first := readRecords(t, out)
	for id, r := range first {
		if !r.OK {
			t.Errorf("item %s failed on interruption: %+v (in-flight items must finish)", id, r)
		}
	}
	_, err = batch.Run(t.Context(), reasktest.NewClient(t, &echo{}, reask.Config{}), batch.Config{Schema: numSchema, In: strings.NewReader(inputOf(100)), OutPath: out, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	all := readRecords(t, out)
	if len(all) != 100 {
		t.Errorf("%d records after resume, want 100", len(all))
	}
}
