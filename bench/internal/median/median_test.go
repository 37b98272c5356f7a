package median

import (
	"math"
	"testing"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.xs...)
		if got := Of(tc.xs); got != tc.want {
			t.Errorf("Of(%v) = %v, want %v", tc.xs, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.xs[i] {
				t.Errorf("Of modified its input: %v", tc.xs)
			}
		}
	}
	if !math.IsNaN(Of(nil)) {
		t.Error("Of(nil) is not NaN")
	}
}
