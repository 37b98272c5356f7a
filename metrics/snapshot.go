package metrics

import (
	"time"

	"github.com/reask/reask/breaker"
)

// Snapshot is what a dashboard shows: totals since the collector started,
// a per-second timeline of the recent window and the providers' policy
// state. It holds counts and names only — no prompts, answers or secrets.
type Snapshot struct {
	// Time the snapshot was taken.
	Time time.Time `json:"time"`
	// Extractions are results with a schema; Calls plain calls.
	Extractions Totals `json:"extractions"`
	Calls       Totals `json:"calls"`
	// SuccessRate is the share of extractions that ended with a valid
	// answer (0 when there was none).
	SuccessRate float64 `json:"success_rate"`
	// Attempts maps a number of content attempts to the number of
	// extractions that took that many.
	Attempts map[int]int64 `json:"attempts"`
	// Outcomes counts what ended failed results, by kind.
	Outcomes map[string]int64 `json:"outcomes"`
	// ErrorKinds counts failed calls (transport kinds) and failed attempts
	// (content kinds).
	ErrorKinds map[string]int64 `json:"error_kinds"`
	// Repairs counts local fixes by kind.
	Repairs map[string]int64 `json:"repairs"`
	// Tokens spent and wasted.
	Tokens Tokens `json:"tokens"`
	// Retries and Switches count transport retries and strategy switches.
	Retries  int64 `json:"retries"`
	Switches int64 `json:"switches"`
	// HTTP counts HTTP answers by status code.
	HTTP map[string]int64 `json:"http"`
	// BreakerTrips counts breaker openings.
	BreakerTrips int `json:"breaker_trips"`
	// Providers is each provider's policy state, by name.
	Providers []ProviderStatus `json:"providers"`
	// Timeline has one point per second of the window, oldest first,
	// ending at Time.
	Timeline []Point `json:"timeline"`
}

// Totals counts results.
type Totals struct {
	Total  int64 `json:"total"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
}

// Tokens counts tokens.
type Tokens struct {
	Prompt     int64 `json:"prompt"`
	Completion int64 `json:"completion"`
	Total      int64 `json:"total"`
	Wasted     int64 `json:"wasted"`
}

// Point is one second of the timeline.
type Point struct {
	// T is the second, as Unix time.
	T        int64 `json:"t"`
	Results  int64 `json:"results"`
	OK       int64 `json:"ok"`
	Failed   int64 `json:"failed"`
	Attempts int64 `json:"attempts"`
	Retries  int64 `json:"retries"`
	Tokens   int64 `json:"tokens"`
	Wasted   int64 `json:"wasted"`
}

// ProviderStatus is one provider's policy state.
type ProviderStatus struct {
	Name string `json:"name"`
	// State of its circuit breaker: "closed", "half-open" or "open".
	State       string  `json:"state"`
	FailureRate float64 `json:"failure_rate"`
	// OpenUntil is when an open breaker lets a probe through.
	OpenUntil *time.Time `json:"open_until,omitempty"`
	// BlockedFor is the seconds left of a shared Retry-After.
	BlockedFor float64 `json:"blocked_for_seconds"`
	// RequestsPerMinute is the paced rate (0: not limited).
	RequestsPerMinute float64 `json:"requests_per_minute"`
	// RetryTokens is what the retry budget holds.
	RetryTokens float64 `json:"retry_tokens"`

	breakerState breaker.State
	hasBudget    bool
}

// board is the collector's dashboard state, guarded by Collector.mu.
type board struct {
	extract, call Totals
	attempts      map[int]int64
	outcomes      map[string]int64
	errorKinds    map[string]int64
	repairs       map[string]int64
	http          map[string]int64
	tokens        Tokens
	retries       int64
	switches      int64
	ring          []Point // slot i holds second T with T mod len == i
}

func (b *board) init(slots int) {
	b.attempts = map[int]int64{}
	b.outcomes = map[string]int64{}
	b.errorKinds = map[string]int64{}
	b.repairs = map[string]int64{}
	b.http = map[string]int64{}
	b.ring = make([]Point, slots)
}

// slot returns the timeline point for now's second, clearing a slot left
// from an earlier lap of the ring.
func (b *board) slot(now time.Time) *Point {
	sec := now.Unix()
	i := int(sec % int64(len(b.ring)))
	if i < 0 {
		i += len(b.ring)
	}
	p := &b.ring[i]
	if p.T != sec {
		*p = Point{T: sec}
	}
	return p
}

// Snapshot returns the dashboard's data now.
func (c *Collector) Snapshot() Snapshot {
	now := c.clock.Now()
	providers, trips := c.status(now)
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &c.dash
	s := Snapshot{
		Time:         now,
		Extractions:  d.extract,
		Calls:        d.call,
		Attempts:     make(map[int]int64, len(d.attempts)),
		Outcomes:     copyCounts(d.outcomes),
		ErrorKinds:   copyCounts(d.errorKinds),
		Repairs:      copyCounts(d.repairs),
		HTTP:         copyCounts(d.http),
		Tokens:       d.tokens,
		Retries:      d.retries,
		Switches:     d.switches,
		BreakerTrips: trips,
		Providers:    providers,
	}
	for k, v := range d.attempts {
		s.Attempts[k] = v
	}
	if d.extract.Total > 0 {
		s.SuccessRate = float64(d.extract.OK) / float64(d.extract.Total)
	}
	n := int64(len(d.ring))
	end := now.Unix()
	s.Timeline = make([]Point, 0, n)
	for sec := end - n + 1; sec <= end; sec++ {
		i := sec % n
		if i < 0 {
			i += n
		}
		if p := d.ring[i]; p.T == sec {
			s.Timeline = append(s.Timeline, p)
		} else {
			s.Timeline = append(s.Timeline, Point{T: sec})
		}
	}
	return s
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
