package rounds_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/price"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/provider/batchapi/rounds"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
)

// recorder is a batch client that keeps every submitted round's lines and
// can alter what the inner client does.
type recorder struct {
	batchapi.Client
	mu       sync.Mutex
	rounds   [][]batchapi.Line
	onSubmit func(ctx context.Context, c batchapi.Client, ids []string)
	results  func(round int, res []batchapi.Result) []batchapi.Result
}

func (r *recorder) Submit(ctx context.Context, lines []batchapi.Line) ([]string, error) {
	r.mu.Lock()
	r.rounds = append(r.rounds, lines)
	r.mu.Unlock()
	ids, err := r.Client.Submit(ctx, lines)
	if err == nil && r.onSubmit != nil {
		r.onSubmit(ctx, r.Client, ids)
	}
	return ids, err
}

func (r *recorder) Results(ctx context.Context, id string) ([]batchapi.Result, error) {
	res, err := r.Client.Results(ctx, id)
	if err == nil && r.results != nil {
		r.mu.Lock()
		n := len(r.rounds)
		r.mu.Unlock()
		res = r.results(n, res)
	}
	return res, err
}

type env struct {
	clk    *clock.Fake
	ts     *httptest.Server
	direct reask.Provider
	rec    *recorder
	cfg    rounds.Config
}

func newEnv(t *testing.T, prof string) *env { t.Helper(); return newEnvFor(t, "openai", prof) }

// newEnvFor is the simulator on a fake clock and a run's Config for
// provider ("openai" or "anthropic") through its batch API.
func newEnvFor(t *testing.T, provider, prof string) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	p, err := sim.ParseProfile([]byte(prof))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.New(sim.Config{Seed: 7, Profile: p, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	var prov reask.Provider
	rec := &recorder{}
	if provider == "anthropic" {
		ap := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, Model: "claude-sonnet-4-5", Clock: clk})
		prov, rec.Client = ap, anthropic.NewBatchClient(ap, anthropic.BatchConfig{})
	} else {
		op := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o-mini", Clock: clk})
		prov, rec.Client = op, openai.NewBatchClient(op, openai.BatchConfig{})
	}
	return &env{clk: clk, ts: ts, direct: prov, rec: rec, cfg: rounds.Config{
		Client: rec, Name: prov.Name(), Poller: batchapi.Poller{Clock: clk, Initial: time.Second},
		Reask: reask.Config{Clock: clk, MaxAttempts: 4},
	}}
}

var personSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"city":{"type":"string"}},"required":["name","age","city"],"additionalProperties":false}`

func people(t *testing.T, n int) []rounds.Item {
	t.Helper()
	s, err := schema.CompileNamed("person", []byte(personSchema))
	if err != nil {
		t.Fatal(err)
	}
	items := make([]rounds.Item, n)
	for i := range items {
		// Ids that Anthropic's custom_id pattern would refuse.
		items[i] = rounds.Item{ID: fmt.Sprintf("person #%d/ü", i), Task: reask.Task{Schema: s,
			Input: fmt.Sprintf("Person %d: name P%d Lee, age %d, city Town%d.", i, i, 20+i, i)}}
	}
	return items
}

// feedback reports whether a line carries a re-ask: an answer of the model
// and the feedback on it.
func feedback(l batchapi.Line) bool {
	for _, m := range l.Request.Messages {
		if m.Role == reask.RoleAssistant {
			return true
		}
	}
	return false
}

func checkAll(t *testing.T, res []rounds.Result) {
	t.Helper()
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.ID, r.Err)
		}
		if !r.Batch {
			t.Errorf("%s: not marked batch", r.ID)
		}
	}
}

// Round 1 holds every item; round 2 only those whose first answer failed
// validation, each with feedback; all succeed on the flaky profile.
func TestRoundsReaskOnlyFailures(t *testing.T) {
	e := newEnv(t, `{"base":"flaky","transport":{"rate_limited":0,"server_error":0,"bad_gateway":0,"unavailable":0,"drop":0},"batch":{"failed_lines":0,"expire":0},"ignore_strict":true}`)
	items := people(t, 48)
	res, st, err := rounds.Run(t.Context(), e.cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	// Batch answers are priced at the batch discount.
	for _, r := range res {
		for _, a := range r.Report.Records {
			pr, _, _ := price.Default().Lookup(a.Model)
			want := pr.BatchCost(price.Usage{Input: a.Usage.PromptTokens, Output: a.Usage.CompletionTokens})
			if a.CostUSD == nil || *a.CostUSD != want || want == 0 {
				t.Fatalf("%s attempt %d (%s): cost %v, want %v at half price", r.ID, a.Number, a.Model, a.CostUSD, want)
			}
		}
	}
	t.Logf("stats %+v", st)
	if st.Lines[0] != len(items) || st.Batches != st.Rounds || st.Rounds < 2 || st.Rounds > 4 {
		t.Fatalf("stats %+v", st)
	}
	failedFirst := map[string]bool{}
	for _, r := range res {
		if r.Report.Records[0].Outcome != reask.KindOK {
			failedFirst[rounds.CustomID(r.ID)] = true
		}
	}
	if len(failedFirst) == 0 {
		t.Fatal("no first answer failed: the test checks nothing")
	}
	second := map[string]bool{}
	for _, l := range e.rec.rounds[1] {
		if !feedback(l) {
			t.Errorf("round 2 line %s has no feedback", l.CustomID)
		}
		second[l.CustomID] = true
	}
	for _, l := range e.rec.rounds[0] {
		if feedback(l) {
			t.Errorf("round 1 line %s has feedback", l.CustomID)
		}
	}
	if fmt.Sprint(second) != fmt.Sprint(failedFirst) {
		t.Errorf("round 2 lines %v, want the items that failed validation %v", second, failedFirst)
	}
}

// Lines the provider failed inside the batch, and lines of an expired
// batch, are resubmitted without feedback.
func TestRoundsResubmitFailedLines(t *testing.T) {
	for _, tt := range []struct {
		name, prof string
		alter      func(round int, res []batchapi.Result) []batchapi.Result
	}{
		{name: "failed in the batch", prof: `{"base":"clean","batch":{"failed_lines":0.3}}`},
		{name: "expired", prof: `{"base":"clean"}`, alter: func(round int, res []batchapi.Result) []batchapi.Result {
			if round == 1 {
				for i := range res[:len(res)/2] {
					res[i] = batchapi.Result{CustomID: res[i].CustomID, Err: &batchapi.LineError{CustomID: res[i].CustomID, Code: "batch_expired", Err: batchapi.ErrLineExpired}}
				}
			}
			return res
		}},
		{name: "missing from the results", prof: `{"base":"clean"}`, alter: func(round int, res []batchapi.Result) []batchapi.Result {
			if round == 1 {
				return res[2:]
			}
			return res
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.prof)
			e.rec.results = tt.alter
			res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 12))
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, res)
			if st.Rounds < 2 {
				t.Fatalf("stats %+v: nothing resubmitted", st)
			}
			for _, l := range e.rec.rounds[1] {
				if feedback(l) {
					t.Errorf("resubmitted line %s carries feedback", l.CustomID)
				}
			}
		})
	}
}

// A batch cancelled by someone else fails its unfinished lines' items
// with ErrBatchCancelled, once.
func TestRoundsCancelledBySomeoneElse(t *testing.T) {
	e := newEnv(t, `{"base":"clean","batch":{"in_progress":"1m"}}`)
	e.rec.onSubmit = func(ctx context.Context, c batchapi.Client, ids []string) {
		for _, id := range ids {
			if err := c.Cancel(ctx, id); err != nil {
				t.Error(err)
			}
		}
	}
	res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !errors.Is(r.Err, batchapi.ErrBatchCancelled) {
			t.Errorf("%s: got %v, want ErrBatchCancelled", r.ID, r.Err)
		}
	}
	if st.Rounds != 1 {
		t.Errorf("%d rounds, want 1 (not retried)", st.Rounds)
	}
}

// A server without a batch API fails the run with ErrUnsupported, which
// suggests the direct mode.
func TestRoundsUnsupported(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	clk := clock.NewFake(time.Unix(0, 0))
	prov := openai.NewProvider(openai.Config{BaseURL: ts.URL + "/v1", Model: "m", Clock: clk})
	cfg := rounds.Config{Client: openai.NewBatchClient(prov, openai.BatchConfig{}), Poller: batchapi.Poller{Clock: clk}, Reask: reask.Config{Clock: clk}}
	res, _, err := rounds.Run(t.Context(), cfg, people(t, 3))
	if !errors.Is(err, batchapi.ErrUnsupported) || !strings.Contains(err.Error(), "direct mode") {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
	for _, r := range res {
		if !errors.Is(r.Err, batchapi.ErrUnsupported) {
			t.Errorf("%s: got %v", r.ID, r.Err)
		}
	}
}

// FinishDirectUnder sends a small round as direct calls; MaxRounds stops
// the rounds.
func TestRoundsDirectAndMaxRounds(t *testing.T) {
	const prof = `{"base":"flaky","transport":{"rate_limited":0,"server_error":0,"bad_gateway":0,"unavailable":0,"drop":0},"batch":{"failed_lines":0,"expire":0},"ignore_strict":true}`
	t.Run("finish direct", func(t *testing.T) {
		e := newEnv(t, prof)
		e.cfg.FinishDirectUnder, e.cfg.Direct = 30, e.direct
		res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 40))
		if err != nil {
			t.Fatal(err)
		}
		checkAll(t, res)
		if len(e.rec.rounds) != 1 || st.Batches != 1 || st.Rounds < 2 || !st.Direct[1] {
			t.Errorf("stats %+v, %d batches submitted; want round 1 batched, the rest direct", st, len(e.rec.rounds))
		}
		var direct int
		for _, r := range res {
			direct += r.DirectCalls
		}
		if direct != st.Lines[1] {
			t.Errorf("%d direct calls, want %d", direct, st.Lines[1])
		}
	})
	t.Run("max rounds", func(t *testing.T) {
		e := newEnv(t, prof)
		e.cfg.MaxRounds = 1
		res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 40))
		if err != nil {
			t.Fatal(err)
		}
		var stopped int
		for _, r := range res {
			if errors.Is(r.Err, rounds.ErrMaxRounds) {
				stopped++
			} else if r.Err != nil {
				t.Errorf("%s: %v", r.ID, r.Err)
			}
		}
		if st.Rounds != 1 || stopped == 0 {
			t.Errorf("stats %+v, %d stopped; want 1 round and some items stopped", st, stopped)
		}
	})
}

// Concurrency caps the items running at once, so the lines of a round;
// every item still finishes.
func TestRoundsConcurrency(t *testing.T) {
	e := newEnv(t, `{"base":"flaky","batch":{"failed_lines":0.05,"expire":0},"ignore_strict":true}`)
	e.cfg.Concurrency = 7
	res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 30))
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	for i, n := range st.Lines {
		if n > 7 {
			t.Errorf("round %d has %d lines, more than Concurrency 7", i+1, n)
		}
	}
}

// On the flaky profile as it is, through either provider's batch API,
// every item succeeds, as in the direct loop, in a few rounds.
func TestRoundsFlaky(t *testing.T) {
	for _, provider := range []string{"openai", "anthropic"} {
		t.Run(provider, func(t *testing.T) {
			e := newEnvFor(t, provider, `{"base":"flaky","ignore_strict":true}`)
			res, st, err := rounds.Run(t.Context(), e.cfg, people(t, 40))
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, res)
			t.Logf("stats %+v", st)
			if st.Rounds > 4 {
				t.Errorf("%d rounds, want at most 4", st.Rounds)
			}
		})
	}
}

// A line carries the schema in the provider's dialect, as a direct call
// would: OpenAI's strict form (every object closed, the optional field
// required and nullable), and the answer's null read back as absent.
func TestRoundsSendTheProviderDialect(t *testing.T) {
	e := newEnv(t, `{"base":"clean"}`)
	e.cfg.Direct = e.direct
	s, err := schema.CompileNamed("person", []byte(`{"type":"object","properties":{"name":{"type":"string"},"nickname":{"type":"string"}},"required":["name"]}`))
	if err != nil {
		t.Fatal(err)
	}
	items := []rounds.Item{{ID: "a", Task: reask.Task{Schema: s, Input: "Person: name Ann Lee."}}}
	res, _, err := rounds.Run(t.Context(), e.cfg, items)
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, res)
	if len(e.rec.rounds) == 0 || len(e.rec.rounds[0]) != 1 {
		t.Fatalf("rounds = %v, want one line in round 1", e.rec.rounds)
	}
	req := e.rec.rounds[0][0].Request
	var sent struct {
		Required             []string `json:"required"`
		AdditionalProperties *bool    `json:"additionalProperties"`
	}
	if err := json.Unmarshal(req.Schema, &sent); err != nil {
		t.Fatal(err)
	}
	if !req.Strict || sent.AdditionalProperties == nil || *sent.AdditionalProperties || len(sent.Required) != 2 {
		t.Errorf("line sent strict=%v schema %s; want OpenAI's strict form (closed, both properties required)", req.Strict, req.Schema)
	}
}
