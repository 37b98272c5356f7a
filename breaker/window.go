package breaker

import "time"

// window counts successes and failures over a sliding time window split
// into buckets. Bucket i holds the results of the bucket-wide slice of
// time whose index (counted from origin) is slot[i].index; a slot whose
// index is too old is stale and counts as empty.
type window struct {
	width  time.Duration // of one bucket
	origin time.Time     // set by the first add
	began  bool          // origin is set
	newest int64         // index of the newest result
	slots  []slot
}

type slot struct {
	index     int64
	ok, fails int
	used      bool
}

func newWindow(d time.Duration, buckets int) window {
	return window{width: d / time.Duration(buckets), slots: make([]slot, buckets)}
}

// index returns the number of the bucket-wide slice of time holding now.
func (w *window) index(now time.Time) int64 {
	d := now.Sub(w.origin)
	i := int64(d / w.width)
	if d < 0 && d%w.width != 0 {
		i-- // round towards minus infinity
	}
	return i
}

func (w *window) add(now time.Time, ok, fails int) {
	if !w.began {
		w.origin, w.began = now, true
	}
	i := w.index(now)
	n := int64(len(w.slots))
	if i <= w.newest-n {
		return // older than the window of a later result
	}
	w.newest = max(w.newest, i)
	s := &w.slots[(i%n+n)%n]
	switch {
	case !s.used || s.index < i:
		*s = slot{index: i, used: true}
	case s.index > i:
		return // older than the window of a later result
	}
	s.ok += ok
	s.fails += fails
}

// sum returns the results in the window ending at now, or at the newest
// result if that is later (results may be recorded slightly out of order).
func (w *window) sum(now time.Time) (ok, fails int) {
	if !w.began {
		return 0, 0
	}
	i := max(w.index(now), w.newest)
	n := int64(len(w.slots))
	for _, s := range w.slots {
		if s.used && s.index <= i && s.index > i-n {
			ok += s.ok
			fails += s.fails
		}
	}
	return ok, fails
}

func (w *window) reset() {
	clear(w.slots)
	w.origin, w.began, w.newest = time.Time{}, false, 0
}
