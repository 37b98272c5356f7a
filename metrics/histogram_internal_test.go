package metrics

import "testing"

// TestHistogramBuckets: a duration lands in the first bucket whose bound
// holds it, so a quantile is never below the true value.
func TestHistogramBuckets(t *testing.T) {
	for i := 0; i < histBounds; i++ {
		for _, v := range []float64{histBound(i), histBound(i) * 0.999} {
			var h histogram
			h.observe(v)
			want := i
			if v < histBound(i) && i > 0 && v <= histBound(i-1) {
				want = i - 1
			}
			if h.counts[want] != 1 {
				t.Fatalf("%v s (bound %d = %v) not in bucket %d: %v", v, i, histBound(i), want, h.counts)
			}
			if q := h.quantile(0.5); q != v {
				t.Errorf("one sample %v: p50 %v (capped at the maximum)", v, q)
			}
		}
	}
	var h histogram
	h.observe(0)
	h.observe(1e6) // beyond the last bound
	if h.counts[0] != 1 || h.counts[histBounds] != 1 || h.quantile(1) != 1e6 || h.quantile(0.5) != histMin {
		t.Errorf("extremes: %v p50 %v p100 %v", h.counts, h.quantile(0.5), h.quantile(1))
	}
	var empty histogram
	if l := empty.latency(); l != (Latency{}) {
		t.Errorf("empty latency %+v", l)
	}
}
