package rounds_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/provider/batchapi/rounds"
)

// noTransport is the flaky profile's content faults without its transport
// faults, failed lines or expiry: several rounds, every line answered.
const noTransport = `{"base":"flaky","transport":{"rate_limited":0,"server_error":0,"bad_gateway":0,"unavailable":0,"drop":0},"batch":{"failed_lines":0,"expire":0},"ignore_strict":true}`

// again is a second run against e's simulator (its batches), with a fresh
// recorder.
func (e *env) again() *env {
	e2 := *e
	e2.rec = &recorder{Client: e.rec.Client}
	e2.cfg.Client = e2.rec
	return &e2
}

// sent is every line a recorder submitted, keyed by custom_id and request:
// a key twice is a request paid for twice.
func sent(t *testing.T, recs ...*recorder) map[string]int {
	t.Helper()
	keys := map[string]int{}
	for _, r := range recs {
		for _, round := range r.rounds {
			for _, l := range round {
				b, err := json.Marshal(l.Request.Messages)
				if err != nil {
					t.Fatal(err)
				}
				keys[l.CustomID+" "+string(b)]++
			}
		}
	}
	return keys
}

// A run cancelled while it awaits round 2, resumed with the rounds its
// OnRound kept (through a state file) and without the items it finished,
// re-attaches to the batches: no request is submitted twice, and every
// item ends once.
func TestRoundsResume(t *testing.T) {
	e := newEnv(t, noTransport)
	items := people(t, 30)
	state := &rounds.State{Version: rounds.StateVersion}
	path := filepath.Join(t.TempDir(), "out.jsonl.batches.json")
	e.cfg.OnRound = func(n int, r rounds.Round) error {
		if err := state.SetRound(n, r); err != nil {
			return err
		}
		return state.Save(path)
	}
	var mu sync.Mutex
	finished := map[string]bool{}
	e.cfg.OnResult = func(r rounds.Result) {
		mu.Lock()
		defer mu.Unlock()
		if finished[r.ID] {
			t.Errorf("%s finished twice", r.ID)
		}
		finished[r.ID] = true
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e.rec.onSubmit = func(context.Context, batchapi.Client, []string) {
		if len(e.rec.rounds) == 2 {
			cancel() // a crash while round 2 runs
		}
	}
	res, st, err := rounds.Run(ctx, e.cfg, items)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the run cancelled", err)
	}
	if st.Rounds != 2 || len(state.Rounds) != 2 {
		t.Fatalf("stats %+v, %d rounds kept; want the run stopped in round 2", st, len(state.Rounds))
	}
	var left []rounds.Item
	for i, r := range res {
		switch {
		case r.Stopped:
			if !errors.Is(r.Err, context.Canceled) {
				t.Errorf("%s: stopped with %v, want the cancellation", r.ID, r.Err)
			}
			if finished[r.ID] {
				t.Errorf("%s: stopped but handed to OnResult", r.ID)
			}
			left = append(left, items[i])
		case r.Err != nil:
			t.Errorf("%s: %v", r.ID, r.Err)
		case !finished[r.ID]:
			t.Errorf("%s finished but was not handed to OnResult", r.ID)
		}
	}
	if len(left) == 0 || len(left) == len(items) {
		t.Fatalf("%d of %d items left: the test checks nothing", len(left), len(items))
	}

	kept, err := rounds.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e2 := e.again()
	e2.cfg.Resume = kept.Rounds
	e2.cfg.OnRound, e2.cfg.OnResult = nil, nil
	res2, st2, err := rounds.Run(t.Context(), e2.cfg, left)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res2)
	if st2.Resumed != 2 || st2.Attached < 2 {
		t.Errorf("stats %+v: want 2 rounds resumed, their batches re-attached", st2)
	}
	for k, n := range sent(t, e.rec, e2.rec) {
		if n > 1 {
			t.Errorf("submitted %d times: %s", n, k)
		}
	}
	for _, r := range res2 {
		if finished[r.ID] {
			t.Errorf("%s ran again", r.ID)
		}
		if r.Round < 2 {
			t.Errorf("%s: finished in round %d, want the numbering to go on from the earlier run", r.ID, r.Round)
		}
	}
}

// A run resumed with every round of a finished run sends nothing, no
// batch and no direct call, and gives the same values: the loop is
// deterministic given the answers.
func TestRoundsReplayPaysNothing(t *testing.T) {
	e := newEnv(t, noTransport)
	direct := &countingProvider{Provider: e.direct}
	e.cfg.FinishDirectUnder, e.cfg.Direct = 10, direct
	var kept []rounds.Round
	e.cfg.OnRound = func(n int, r rounds.Round) error {
		if n == len(kept)+1 {
			kept = append(kept, r)
		} else {
			kept[n-1] = r
		}
		return nil
	}
	items := people(t, 40)
	res, st, err := rounds.Run(t.Context(), e.cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if direct.n == 0 || !slices.Contains(st.Direct, true) {
		t.Fatalf("stats %+v: no direct round, the test checks less than it says", st)
	}
	e2 := e.again()
	direct2 := &countingProvider{Provider: e.direct}
	e2.cfg.Direct, e2.cfg.OnRound, e2.cfg.Resume = direct2, nil, kept
	res2, st2, err := rounds.Run(t.Context(), e2.cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(e2.rec.rounds) != 0 || direct2.n != 0 || st2.Batches != 0 {
		t.Errorf("replay submitted %d batches and made %d direct calls, want none", len(e2.rec.rounds), direct2.n)
	}
	for i := range res {
		if string(res[i].Value) != string(res2[i].Value) || res[i].Round != res2[i].Round ||
			res[i].BatchCalls != res2[i].BatchCalls || res[i].DirectCalls != res2[i].DirectCalls || res[i].BatchUsage != res2[i].BatchUsage {
			t.Errorf("%s: replay gave %s (round %d, %d+%d calls), first run %s (round %d, %d+%d calls)", res[i].ID,
				res2[i].Value, res2[i].Round, res2[i].BatchCalls, res2[i].DirectCalls, res[i].Value, res[i].Round, res[i].BatchCalls, res[i].DirectCalls)
		}
	}
}

// A request that differs from the one the earlier round sent (its input
// changed) is not given that round's answer: it is sent anew, alone.
func TestRoundsResumeChangedRequest(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	var kept []rounds.Round
	e.cfg.OnRound = func(n int, r rounds.Round) error { kept = append(kept, r); return nil }
	items := people(t, 6)
	if _, _, err := rounds.Run(t.Context(), e.cfg, items); err != nil {
		t.Fatal(err)
	}
	items[3].Task.Input = "Person 3: name P3 Lee, age 77, city Town3."
	e2 := e.again()
	var kept2 []rounds.Round
	e2.cfg.Resume = kept
	e2.cfg.OnRound = func(n int, r rounds.Round) error { kept2 = append(kept2, r); return nil }
	res, _, err := rounds.Run(t.Context(), e2.cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if len(e2.rec.rounds) != 1 || len(e2.rec.rounds[0]) != 1 || e2.rec.rounds[0][0].CustomID != rounds.CustomID(items[3].ID) {
		t.Fatalf("resumed run submitted %v, want only the changed item's line", e2.rec.rounds)
	}
	if !strings.Contains(string(res[3].Value), `"age":77`) {
		t.Errorf("changed item got %s, want the answer to its new input", res[3].Value)
	}
	if len(kept2) != 1 || len(kept2[0].Batches) != 2 {
		t.Errorf("round kept %+v, want the earlier batch and the new one", kept2)
	}
}

// Polls and result downloads that fail in transport are tried again: the
// batch's lines are not paid for twice.
func TestRoundsAttachRetries(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	fails := 3
	flaky := &failingResults{Client: e.rec.Client, fails: &fails}
	e.rec.Client = flaky
	res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 8))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if fails != 0 || st.Rounds != 1 || len(e.rec.rounds) != 1 {
		t.Errorf("stats %+v, %d submissions, %d failures left; want one round, its results read after the failures", st, len(e.rec.rounds), fails)
	}
	t.Run("gives up", func(t *testing.T) {
		e := newEnv(t, `{"base":"clean"}`)
		fails := 100
		e.rec.Client = &failingResults{Client: e.rec.Client, fails: &fails}
		e.cfg.AttachRetries, e.cfg.MaxRounds = 2, 2
		res, _, err := rounds.Run(t.Context(), e.cfg, people(t, 2))
		if err != nil {
			t.Fatal(err)
		}
		// The lines fail with the polls' error, a retryable one: they
		// are sent again in round 2, until the rounds are spent.
		for _, r := range res {
			if !errors.Is(r.Err, rounds.ErrMaxRounds) || !strings.Contains(r.Report.Records[0].Calls[0].Message, "unavailable") {
				t.Errorf("%s: %v, want the polls' error, then the rounds spent", r.ID, r.Err)
			}
		}
		if len(e.rec.rounds) != 2 {
			t.Errorf("%d submissions, want 2", len(e.rec.rounds))
		}
	})
}

// An OnRound that fails ends the run with an error naming the batches it
// could not record; the items are stopped, not failed.
func TestRoundsOnRoundFails(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	e.cfg.OnRound = func(int, rounds.Round) error { return errors.New("disk full") }
	called := false
	e.cfg.OnResult = func(rounds.Result) { called = true }
	res, _, err := rounds.Run(t.Context(), e.cfg, people(t, 3))
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "not recorded") {
		t.Fatalf("got %v", err)
	}
	for _, r := range res {
		if !r.Stopped {
			t.Errorf("%s: %+v, want stopped", r.ID, r)
		}
	}
	if called {
		t.Error("OnResult was given a stopped item")
	}
}

// OnProgress sees each round's lines, its batches awaited and their lines
// completed.
func TestRoundsProgress(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	var seen []rounds.Progress
	e.cfg.OnProgress = func(p rounds.Progress) { seen = append(seen, p) }
	if _, _, err := rounds.Run(t.Context(), e.cfg, people(t, 5)); err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	if seen[0] != (rounds.Progress{Round: 1, Lines: 5}) || last != (rounds.Progress{Round: 1, Lines: 5, Batches: 1, Completed: 5, Waiting: true}) {
		t.Errorf("progress %+v", seen)
	}
}

// Item ids are unique in a run: they name the lines.
func TestRoundsDuplicateIDs(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	items := people(t, 3)
	items[2].ID = items[0].ID
	if _, _, err := rounds.Run(t.Context(), e.cfg, items); err == nil || !strings.Contains(err.Error(), "item 2") {
		t.Fatalf("got %v, want an error naming item 2", err)
	}
}

func TestCustomID(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"a-1_B", "i_a-1_B"},
		{"", "h_e3b0c44298fc1c149afbf4c8996fb92427ae41e4"},
		{"person #1", "h_"},
		{strings.Repeat("x", 63), "h_"},
	} {
		got := rounds.CustomID(tt.id)
		if !strings.HasPrefix(got, tt.want) || len(got) > 64 {
			t.Errorf("CustomID(%q) = %q, want %q…", tt.id, got, tt.want)
		}
	}
}

// countingProvider counts direct calls.
type countingProvider struct {
	reask.Provider
	mu sync.Mutex
	n  int
}

func (c *countingProvider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Provider.Complete(ctx, req)
}

// failingResults answers 503 to the first *fails polls and downloads.
type failingResults struct {
	batchapi.Client
	mu    sync.Mutex
	fails *int
}

func (f *failingResults) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *f.fails > 0 {
		*f.fails--
		return &reask.ProviderError{Provider: "test", StatusCode: 503, Message: "unavailable"}
	}
	return nil
}

func (f *failingResults) Status(ctx context.Context, id string) (batchapi.Status, error) {
	if err := f.fail(); err != nil {
		return batchapi.Status{}, err
	}
	return f.Client.Status(ctx, id)
}

func (f *failingResults) Results(ctx context.Context, id string) ([]batchapi.Result, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Client.Results(ctx, id)
}

// Resumed against a server that no longer knows the earlier batches (their
// results deleted, say), the run sends their requests again rather than
// failing the items.
func TestRoundsResumeLostBatches(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	var kept []rounds.Round
	e.cfg.OnRound = func(n int, r rounds.Round) error { kept = append(kept, r); return nil }
	if _, _, err := rounds.Run(t.Context(), e.cfg, people(t, 4)); err != nil {
		t.Fatal(err)
	}
	elsewhere := newEnv(t, `{"base":"clean"}`) // a fresh simulator: no such batch
	elsewhere.cfg.Resume = kept
	res, st, err := rounds.Run(t.Context(), elsewhere.cfg, people(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if st.Rounds != 2 || st.Batches != 1 || len(elsewhere.rec.rounds[0]) != 4 {
		t.Errorf("stats %+v: want round 1 re-attached in vain, round 2 sending its 4 lines again", st)
	}
}
