package fleet

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/internal/redistest"
)

// The fleet's spend counters sum exactly across processes, per key and
// UTC day, under a hash of the key, and refuse amounts that are not
// spend.
func TestSpendCounts(t *testing.T) {
	srv := redistest.Start(t)
	a, b := join(t, srv).Spend(), join(t, srv).Spend()
	id := SpendID("client-key-123")
	day := time.Date(2026, 5, 1, 23, 30, 0, 0, time.UTC)
	if got, err := a.Spent(ctx(t), id, day); err != nil || got != 0 {
		t.Fatalf("Spent before any: %v %v", got, err)
	}
	for range 3 {
		_, err := a.Add(ctx(t), id, day, 0.1)
		must(t, err)
	}
	got, err := b.Add(ctx(t), id, day, 0.2)
	if err != nil || got != 0.5 {
		t.Errorf("the fleet's total %v (%v), want exactly 0.5", got, err)
	}
	if got, err := a.Spent(ctx(t), id, day.Add(time.Hour)); err != nil || got != 0 {
		t.Errorf("the next UTC day: %v %v, want 0", got, err)
	}
	key := SpendKey(id, day)
	if key != "reask:spend:"+id+":2026-05-01" || strings.Contains(key, "client-key-123") {
		t.Errorf("key %q", key)
	}
	if ttl := inspect(t, srv).PTTL(ctx(t), key).Val(); ttl <= time.Hour || ttl > 90*time.Minute {
		t.Errorf("the counter expires in %v; want 1h30m, SpendGrace after its day", ttl)
	}
	for _, bad := range []float64{-0.01, math.NaN(), math.Inf(1)} {
		if _, err := a.Add(ctx(t), id, day, bad); !errors.Is(err, ErrConfig) {
			t.Errorf("Add(%v): %v, want ErrConfig", bad, err)
		}
	}
}
