package stats_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/stats"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestFromReport(t *testing.T) {
	rep := &reask.Report{
		Provider: "openai/m", Mode: reask.ModeJSONSchema, Attempts: 2, Calls: 3, Outcome: reask.KindOK,
		Usage: reask.Usage{PromptTokens: 200, CompletionTokens: 40, TotalTokens: 240}, WastedTokens: 120,
		Backoff: 1500 * time.Millisecond, Duration: 2 * time.Second, BreakerTrips: 1,
		CostUSD: ptr(0.00006), WastedCostUSD: ptr(0.00003),
		Records: []reask.Attempt{
			{Number: 1, Outcome: reask.KindSchema, Message: "schema /age: wrong type", Calls: []reask.Call{
				{Outcome: reask.KindRateLimit, Status: 429, Message: "slow down"}, {Outcome: reask.KindOK}}},
			{Number: 2, Outcome: reask.KindOK, Calls: []reask.Call{{Outcome: reask.KindOK}},
				Repairs: []repair.Fix{{Path: "/age", Kind: repair.KindStringToInteger, Before: `"30"`, After: "30", Offset: -1}}},
		},
	}
	r := stats.FromReport("a1", json.RawMessage(`{"age":30}`), rep, nil)
	b, _ := json.Marshal(r)
	want := `{"id":"a1","ok":true,"data":{"age":30},"attempts":2,"calls":3,"usage":{"prompt_tokens":200,"completion_tokens":40,"total_tokens":240,"wasted_tokens":120},` +
		`"cost_usd":0.00006,"wasted_cost_usd":0.00003,"repairs":[{"attempt":2,"path":"/age","kind":"string_to_integer","before":"\"30\"","after":"30"}],` +
		`"errors":[{"attempt":1,"kind":"rate_limit","status":429,"message":"slow down"},{"attempt":1,"kind":"schema","message":"schema /age: wrong type"}],` +
		`"duration_ms":2000,"backoff_ms":1500,"breaker_trips":1,"provider":"openai/m","mode":"json_schema","outcome":"ok"}`
	if string(b) != want {
		t.Errorf("record\n%s\nwant\n%s", b, want)
	}

	failed := stats.FromReport("a2", nil, &reask.Report{Outcome: reask.KindCircuitOpen}, reask.ErrCircuitOpen)
	if failed.OK || string(failed.Data) != "null" || len(failed.Errors) != 1 || failed.Errors[0].Kind != "circuit_open" {
		t.Errorf("failed record %+v", failed)
	}
}

func TestReadGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, lineErrs, err := stats.Read(f, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(lineErrs) != 1 || !strings.Contains(lineErrs[0].Error(), "line 6") {
		t.Errorf("line errors %v, want the truncated line 6", lineErrs)
	}
	golden(t, "run.table.golden", s.Table())
	b, _ := json.MarshalIndent(s, "", "  ")
	golden(t, "run.json.golden", string(b)+"\n")
}

func TestReadEmpty(t *testing.T) {
	if _, _, err := stats.Read(strings.NewReader("\n\n"), 5); !errors.Is(err, stats.ErrNoRecords) {
		t.Errorf("error %v", err)
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	var agg stats.Aggregator
	for i := 1; i <= 100; i++ {
		agg.Add(stats.Record{ID: "x", OK: true, Attempts: 1, DurationMS: float64(i)})
	}
	p := agg.Summary().LatencyMS
	if p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.Max != 100 {
		t.Errorf("percentiles %+v", p)
	}
}

// TestInsistedInRecordAndSummary: an item stopped because the model
// insisted keeps its repeats and the attempts it saved in its record, and
// the summary counts them and ranks the fields.
func TestInsistedInRecordAndSummary(t *testing.T) {
	repeat := reask.Repeat{Path: "/email", Keyword: "format", Problem: "invalid email", Value: `"kwame.garcía14@mail.test"`, Times: 3}
	rep := &reask.Report{Attempts: 3, Calls: 3, Outcome: reask.KindSchema, Insisted: []reask.Repeat{repeat}, AttemptsSaved: 2}
	err := &reask.InsistedError{Path: repeat.Path, Value: repeat.Value, Repeats: rep.Insisted, Exhausted: &reask.ExhaustedError{Report: rep, LastKind: reask.KindSchema}}
	r := stats.FromReport("x", nil, rep, err)
	b, _ := json.Marshal(r)
	var back stats.Record
	if jerr := json.Unmarshal(b, &back); jerr != nil {
		t.Fatal(jerr)
	}
	if len(back.Insisted) != 1 || back.Insisted[0] != repeat || back.AttemptsSaved != 2 {
		t.Errorf("record %s", b)
	}
	var agg stats.Aggregator
	agg.Add(back)
	agg.Add(stats.Record{ID: "y", OK: true, Attempts: 1})
	s := agg.Summary()
	want := []stats.Count{{Name: "/email format", Count: 1, Example: `"kwame.garcía14@mail.test": invalid email`}}
	if s.Insisted != 1 || s.AttemptsSaved != 2 || len(s.InsistedOn) != 1 || s.InsistedOn[0] != want[0] {
		t.Errorf("summary insisted %d saved %d on %+v", s.Insisted, s.AttemptsSaved, s.InsistedOn)
	}
	table := s.Table()
	for _, line := range []string{"stopped, model insists 1 item(s), 2 attempt(s) not spent", "Fields the model insisted on, ranked", "/email format"} {
		if !strings.Contains(table, line) {
			t.Errorf("table lacks %q:\n%s", line, table)
		}
	}
}

// TestSharedStateErrorsInRecordAndSummary: the policy calls Redis could
// not serve are kept in the record, summed in the summary and shown in
// its table; a run without them shows no such line.
func TestSharedStateErrorsInRecordAndSummary(t *testing.T) {
	r := stats.FromReport("x", json.RawMessage(`{}`), &reask.Report{Attempts: 1, Calls: 1, Outcome: reask.KindOK, SharedStateErrors: 3}, nil)
	b, _ := json.Marshal(r)
	var back stats.Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.SharedStateErrors != 3 {
		t.Fatalf("record %s: want shared_state_errors 3", b)
	}
	var agg stats.Aggregator
	agg.Add(back)
	agg.Add(stats.Record{ID: "y", OK: true, Attempts: 1, SharedStateErrors: 2})
	s := agg.Summary()
	if s.SharedStateErrors != 5 {
		t.Errorf("summary: %d shared-state errors; want 5", s.SharedStateErrors)
	}
	if table := s.Table(); !strings.Contains(table, "shared-state errors") || !strings.Contains(table, "5 (policy calls Redis could not serve)") {
		t.Errorf("table lacks the shared-state errors:\n%s", table)
	}
	var none stats.Aggregator
	none.Add(stats.Record{ID: "z", OK: true, Attempts: 1})
	if table := none.Summary().Table(); strings.Contains(table, "shared-state") {
		t.Errorf("a run without shared-state errors shows them:\n%s", table)
	}
}

func ptr(f float64) *float64 { return &f }

// An item that spent tokens without a price is unpriced — null, never
// $0 — and the run's cost counts it apart; one that spent nothing costs $0.
func TestCostOfItems(t *testing.T) {
	unpriced := stats.FromReport("u", nil, &reask.Report{Usage: reask.Usage{TotalTokens: 10, PromptTokens: 10}, Unpriced: "llama3.1"}, errors.New("x"))
	b, _ := json.Marshal(unpriced)
	if !strings.Contains(string(b), `"cost_usd":null,"wasted_cost_usd":null,"unpriced":"llama3.1"`) {
		t.Errorf("unpriced record %s", b)
	}
	for _, r := range []stats.Record{stats.Failed("f", stats.KindInvalidItem, errors.New("bad line")), stats.FromReport("n", nil, nil, errors.New("x"))} {
		if r.CostUSD == nil || *r.CostUSD != 0 {
			t.Errorf("%s: cost %v, want $0: nothing was spent", r.ID, r.CostUSD)
		}
	}
	var agg stats.Aggregator
	agg.Add(stats.FromReport("a", json.RawMessage(`{}`), &reask.Report{Outcome: reask.KindOK, Usage: reask.Usage{TotalTokens: 5}, CostUSD: ptr(0.03), WastedCostUSD: ptr(0.01)}, nil))
	agg.Add(stats.FromReport("b", nil, &reask.Report{Outcome: reask.KindSchema, Usage: reask.Usage{TotalTokens: 5}, CostUSD: ptr(0.01), WastedCostUSD: ptr(0.01)}, errors.New("x")))
	agg.Add(unpriced)
	c := agg.Summary().Cost
	if c.SpentUSD != 0.04 || c.WastedUSD != 0.02 || c.WastedShare != 0.5 || c.PerSuccessUSD == nil || *c.PerSuccessUSD != 0.04 ||
		c.PricedItems != 2 || c.UnpricedItems != 1 || len(c.UnpricedModels) != 1 || c.UnpricedModels[0].Name != "llama3.1" {
		t.Errorf("cost %+v", c)
	}
	for f, want := range map[float64]string{0: "$0", 12.345: "$12.35", 0.04123: "$0.0412", 0.0000834: "$0.000083", 0.0012: "$0.0012"} {
		if got := stats.USD(f); got != want {
			t.Errorf("USD(%v) = %s, want %s", f, got, want)
		}
	}
}
