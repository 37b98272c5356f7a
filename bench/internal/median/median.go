// Package median computes the medians the benchmarks report over repeated
// runs.
package median

import (
	"math"
	"slices"
)

// Of is the middle value of xs (the mean of the two middle ones for an
// even count), NaN for none. xs is not modified.
func Of(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
