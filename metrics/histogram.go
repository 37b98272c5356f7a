package metrics

import "math"

// Latency histogram bounds: bucket i holds durations up to
// histMin·2^(i/histPerOctave) seconds, so that a percentile read from it
// is at most 19% above the true value (2^(1/4) ≈ 1.19); the last bucket
// holds everything longer than the largest bound (about 15 minutes).
const (
	histMin       = 0.001 // seconds
	histPerOctave = 4
	histBounds    = 80
)

// histogram counts result durations in fixed logarithmic buckets: a
// bounded-memory stand-in for the samples a percentile needs. Its zero
// value is empty and ready to use.
type histogram struct {
	counts [histBounds + 1]uint32
	n      int64
	max    float64 // the longest duration seen, in seconds
}

func histBound(i int) float64 {
	return histMin * math.Exp2(float64(i)/histPerOctave)
}

// observe adds a duration of sec seconds.
func (h *histogram) observe(sec float64) {
	i := 0
	if sec > histMin {
		i = int(math.Ceil(histPerOctave * math.Log2(sec/histMin)))
		// Guard the boundary against rounding: bucket i must hold sec.
		for i > 0 && histBound(i-1) >= sec {
			i--
		}
		i = min(i, histBounds)
	}
	h.counts[i]++
	h.n++
	h.max = max(h.max, sec)
}

// add merges o into h.
func (h *histogram) add(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns an upper estimate of the q-quantile (0 < q <= 1): the
// bound of the bucket holding it, never more than the longest duration
// seen; 0 when h is empty.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			if i == histBounds {
				return h.max
			}
			return min(histBound(i), h.max)
		}
	}
	return h.max
}

// Latency summarises result durations: how many, and their 50th, 90th
// and 99th percentiles in seconds, each an upper estimate within 19% of
// the true value (read from logarithmic buckets) and at most Max.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_seconds"`
	P90   float64 `json:"p90_seconds"`
	P99   float64 `json:"p99_seconds"`
	Max   float64 `json:"max_seconds"`
}

func (h *histogram) latency() Latency {
	return Latency{Count: h.n, P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99), Max: h.max}
}
