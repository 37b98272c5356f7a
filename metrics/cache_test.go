package metrics_test

import (
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/metrics"
)

// Results the response cache answered or missed are counted.
func TestCacheMetrics(t *testing.T) {
	c, err := metrics.New(metrics.Config{Clock: clock.NewFake(start), Window: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []cache.Outcome{cache.Hit, cache.Hit, cache.Miss, ""} {
		c.Observe(t.Context(), reask.Event{Kind: reask.EventResult, Report: &reask.Report{Outcome: reask.KindOK, Cache: o}})
	}
	got := scrape(t, c)
	for series, want := range map[string]float64{"reask_cache_hits_total": 2, "reask_cache_misses_total": 1} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
}
