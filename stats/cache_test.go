package stats_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/stats"
)

// A record carries what the response cache did; the summary counts hits,
// misses and errors, and its table shows them only when there are any.
func TestCacheInRecordsAndSummary(t *testing.T) {
	var a stats.Aggregator
	for i, rep := range []*reask.Report{
		{Outcome: reask.KindOK, Cache: cache.Hit},
		{Outcome: reask.KindOK, Cache: cache.Hit},
		{Outcome: reask.KindOK, Cache: cache.Miss, Calls: 1, Attempts: 1, CacheErrors: 1},
	} {
		r := stats.FromReport(string(rune('a'+i)), json.RawMessage(`{}`), rep, nil)
		if r.Cache != string(rep.Cache) || r.CacheErrors != rep.CacheErrors {
			t.Fatalf("record %+v from report cache %q errors %d", r, rep.Cache, rep.CacheErrors)
		}
		a.Add(r)
	}
	s := a.Summary()
	if s.CacheHits != 2 || s.CacheMisses != 1 || s.CacheErrors != 1 {
		t.Fatalf("hits %d misses %d errors %d, want 2 1 1", s.CacheHits, s.CacheMisses, s.CacheErrors)
	}
	if tab := s.Table(); !strings.Contains(tab, "2 / 1") || !strings.Contains(tab, "cache errors") {
		t.Errorf("table lacks the cache section:\n%s", tab)
	}
	var none stats.Aggregator
	none.Add(stats.FromReport("x", json.RawMessage(`{}`), &reask.Report{Outcome: reask.KindOK}, nil))
	if tab := none.Summary().Table(); strings.Contains(tab, "Response cache") {
		t.Errorf("a run without a cache shows a cache section:\n%s", tab)
	}
	b, _ := json.Marshal(stats.FromReport("x", json.RawMessage(`{}`), &reask.Report{Outcome: reask.KindOK}, nil))
	if strings.Contains(string(b), "cache") {
		t.Errorf("a record without a cache names it: %s", b)
	}
}
