package metrics

import (
	"math"
	"sort"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
)

// Snapshot is what a dashboard shows: totals since the collector started,
// the same figures over a recent window, a per-second timeline of the
// collector's window and the providers' policy state. It holds counts and
// names only — no prompts, answers or secrets.
type Snapshot struct {
	// Time the snapshot was taken.
	Time time.Time `json:"time"`
	// Figures since the collector started.
	Figures
	// HTTP counts HTTP answers by status code, since the start.
	HTTP map[string]int64 `json:"http"`
	// BreakerTrips counts breaker openings since the start.
	BreakerTrips int `json:"breaker_trips"`
	// Providers is each provider's policy state now, by name.
	Providers []ProviderStatus `json:"providers"`
	// Timeline has one point per second of the collector's window, oldest
	// first, ending at Time.
	Timeline []Point `json:"timeline"`
	// Window holds the figures of the recent window the snapshot was
	// taken for, with latency percentiles and the per-model and per-client
	// view.
	Window WindowStats `json:"window"`
}

// Figures are the counts a dashboard's tiles and charts show, over some
// span of time.
type Figures struct {
	// Extractions are results with a schema; Calls plain calls.
	Extractions Totals `json:"extractions"`
	Calls       Totals `json:"calls"`
	// SuccessRate is the share of extractions that ran and ended with a
	// valid answer (0 when none ran). Refused ones are not counted.
	SuccessRate float64 `json:"success_rate"`
	// Attempts maps a number of content attempts to the number of
	// extractions that took that many.
	Attempts map[int]int64 `json:"attempts"`
	// Outcomes counts what ended failed results, by kind.
	Outcomes map[string]int64 `json:"outcomes"`
	// ErrorKinds counts failed calls (transport kinds) and failed attempts
	// (content kinds). Calls an open breaker refused are not failed calls:
	// see Totals.Refused and reask_breaker_refusals_total.
	ErrorKinds map[string]int64 `json:"error_kinds"`
	// Repairs counts local fixes by kind.
	Repairs map[string]int64 `json:"repairs"`
	// Tokens spent and wasted.
	Tokens Tokens `json:"tokens"`
	// Cost is what the results' priced attempts cost.
	Cost Cost `json:"cost"`
	// Retries and Switches count transport retries and strategy switches.
	Retries  int64 `json:"retries"`
	Switches int64 `json:"switches"`
}

// WindowStats are the figures of a recent window, made of whole buckets of
// the collector's bucket width (Config.Window / MaxBuckets, at least a
// second), the current one included.
type WindowStats struct {
	// Seconds is the span the figures cover, starting at Since.
	Seconds int64     `json:"seconds"`
	Since   time.Time `json:"since"`
	Figures
	// Latency is the wall time of the extractions and calls that ran
	// (refused ones are not counted).
	Latency Latency `json:"latency"`
	// Models and Clients split the results by the labels they were
	// observed with (see Labels), by name.
	Models  []Group `json:"models"`
	Clients []Group `json:"clients"`
}

// Totals counts results.
type Totals struct {
	// Total counts results that ran: OK + Failed.
	Total  int64 `json:"total"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
	// Refused counts requests an open circuit breaker refused before any
	// call was sent (see Refused); they are not in Total.
	Refused int64 `json:"refused"`
}

// Tokens counts tokens.
type Tokens struct {
	Prompt     int64 `json:"prompt"`
	Completion int64 `json:"completion"`
	Total      int64 `json:"total"`
	Wasted     int64 `json:"wasted"`
}

// Cost is what results cost in US dollars: the priced attempts summed
// (see EachCost). Attempts without a price are counted apart, never as $0.
type Cost struct {
	SpentUSD  float64 `json:"spent_usd"`
	WastedUSD float64 `json:"wasted_usd"`
	// WastedShare is WastedUSD over SpentUSD (0 when nothing was spent).
	WastedShare float64 `json:"wasted_share"`
	// ByModel is SpentUSD by the model that answered.
	ByModel map[string]float64 `json:"by_model"`
	// UnpricedAttempts counts the attempts that spent tokens on a model
	// without a price.
	UnpricedAttempts int64 `json:"unpriced_attempts"`
}

// Group is the figures of one model or client over a window.
type Group struct {
	Name string `json:"name"`
	// Requests counts results that ran (OK + Failed); Refused those an
	// open breaker refused.
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`
	Failed   int64 `json:"failed"`
	Refused  int64 `json:"refused"`
	// SuccessRate is OK / Requests (0 when none ran).
	SuccessRate float64 `json:"success_rate"`
	// Attempts sums the content attempts of its results.
	Attempts int64 `json:"attempts"`
	Tokens   int64 `json:"tokens"`
	Wasted   int64 `json:"wasted_tokens"`
	// CostUSD and WastedCostUSD are what its results' priced attempts
	// cost, and the part on answers not used; Unpriced counts its
	// attempts without a price.
	CostUSD       float64 `json:"cost_usd"`
	WastedCostUSD float64 `json:"wasted_cost_usd"`
	Unpriced      int64   `json:"unpriced_attempts"`
	Latency       Latency `json:"latency"`
}

// Point is one second of the timeline.
type Point struct {
	// T is the second, as Unix time.
	T        int64 `json:"t"`
	Results  int64 `json:"results"`
	OK       int64 `json:"ok"`
	Failed   int64 `json:"failed"`
	Refused  int64 `json:"refused"`
	Attempts int64 `json:"attempts"`
	Retries  int64 `json:"retries"`
	Tokens   int64 `json:"tokens"`
	Wasted   int64 `json:"wasted"`
	// CostUSD and WastedCostUSD are what the second's results cost, and
	// the part wasted (priced attempts only).
	CostUSD       float64 `json:"cost_usd"`
	WastedCostUSD float64 `json:"wasted_cost_usd"`
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

// MaxBuckets bounds the buckets the windowed figures are kept in: a
// window longer than MaxBuckets seconds gets wider buckets, so that the
// memory they take does not grow with the window.
const MaxBuckets = 300

// board is the collector's dashboard state, guarded by Collector.mu.
type board struct {
	total   tally
	http    map[string]int64
	ring    []Point // slot i holds second T with T mod len == i
	buckets []bucket
	width   int64 // seconds per bucket
}

// bucket is the tally of one bucket-width span: number n covers the
// seconds [n·width, (n+1)·width).
type bucket struct {
	n int64
	t tally
}

// tally is the figures of some span, with the per-model and per-client
// groups and the latency histogram the window needs.
type tally struct {
	extract, call Totals
	attempts      map[int]int64
	outcomes      map[string]int64
	errorKinds    map[string]int64
	repairs       map[string]int64
	tokens        Tokens
	cost          Cost
	retries       int64
	switches      int64
	latency       histogram
	models        map[string]*group
	clients       map[string]*group
}

type group struct {
	Group
	hist histogram
}

func (t *tally) init() {
	t.attempts = map[int]int64{}
	t.outcomes = map[string]int64{}
	t.errorKinds = map[string]int64{}
	t.repairs = map[string]int64{}
	t.models = map[string]*group{}
	t.clients = map[string]*group{}
	t.cost.ByModel = map[string]float64{}
}

// reset empties t, keeping its maps' memory.
func (t *tally) reset() {
	a, o, e, r, m, c, bm := t.attempts, t.outcomes, t.errorKinds, t.repairs, t.models, t.clients, t.cost.ByModel
	clear(bm)
	clear(a)
	clear(o)
	clear(e)
	clear(r)
	clear(m)
	clear(c)
	*t = tally{attempts: a, outcomes: o, errorKinds: e, repairs: r, models: m, clients: c, cost: Cost{ByModel: bm}}
}

func (b *board) init(windowSeconds int) {
	b.http = map[string]int64{}
	b.total.init()
	b.ring = make([]Point, windowSeconds)
	n := min(windowSeconds, MaxBuckets)
	b.width = int64(math.Ceil(float64(windowSeconds) / float64(n)))
	b.buckets = make([]bucket, n)
	for i := range b.buckets {
		b.buckets[i].n = math.MinInt64
		b.buckets[i].t.init()
	}
}

// slot returns the timeline point for now's second, clearing a slot left
// from an earlier lap of the ring.
func (b *board) slot(now time.Time) *Point {
	sec := now.Unix()
	p := &b.ring[mod(sec, int64(len(b.ring)))]
	if p.T != sec {
		*p = Point{T: sec}
	}
	return p
}

// bucketNumber is the number of the bucket holding now.
func (b *board) bucketNumber(now time.Time) int64 {
	return floorDiv(now.Unix(), b.width)
}

// bucket returns the tally of now's bucket, emptying one left from an
// earlier lap of the ring.
func (b *board) bucket(now time.Time) *tally {
	n := b.bucketNumber(now)
	bk := &b.buckets[mod(n, int64(len(b.buckets)))]
	if bk.n != n {
		bk.n = n
		bk.t.reset()
	}
	return &bk.t
}

// each calls f with the since-start tally and now's bucket.
func (b *board) each(now time.Time, f func(*tally)) {
	f(&b.total)
	f(b.bucket(now))
}

func mod(a, n int64) int64 {
	i := a % n
	if i < 0 {
		i += n
	}
	return i
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// result adds a result that ran.
func (t *tally) result(op string, l Labels, outcome reask.Kind, attempts int, rep *reask.Report) {
	tt := &t.extract
	if op == OpCall {
		tt = &t.call
	}
	tt.Total++
	ok := outcome == reask.KindOK
	if ok {
		tt.OK++
	} else {
		tt.Failed++
		t.outcomes[string(outcome)]++
	}
	if op == OpExtract {
		t.attempts[attempts]++
	}
	t.tokens.Prompt += int64(rep.Usage.PromptTokens)
	t.tokens.Completion += int64(rep.Usage.CompletionTokens)
	t.tokens.Total += int64(rep.Usage.TotalTokens)
	t.tokens.Wasted += int64(rep.WastedTokens)
	var spent, wasted float64
	var unpriced int64
	EachCost(rep, func(model string, cost *float64, used bool) {
		if cost == nil {
			unpriced++
			return
		}
		spent += *cost
		t.cost.ByModel[model] += *cost
		if !used {
			wasted += *cost
		}
	})
	t.cost.SpentUSD += spent
	t.cost.WastedUSD += wasted
	t.cost.UnpricedAttempts += unpriced
	sec := rep.Duration.Seconds()
	t.latency.observe(sec)
	for _, g := range t.groups(l) {
		g.Requests++
		if ok {
			g.OK++
		} else {
			g.Failed++
		}
		g.Attempts += int64(attempts)
		g.Tokens += int64(rep.Usage.TotalTokens)
		g.Wasted += int64(rep.WastedTokens)
		g.CostUSD += spent
		g.WastedCostUSD += wasted
		g.Unpriced += unpriced
		g.hist.observe(sec)
	}
}

// refuse adds a request an open breaker refused.
func (t *tally) refuse(op string, l Labels) {
	if op == OpCall {
		t.call.Refused++
	} else {
		t.extract.Refused++
	}
	for _, g := range t.groups(l) {
		g.Refused++
	}
}

// groups returns the model's and the client's groups (those labelled),
// in a fixed array so that a result allocates nothing once they exist.
func (t *tally) groups(l Labels) []*group {
	var out [2]*group
	n := 0
	for _, g := range [2]struct {
		m    map[string]*group
		name string
	}{{t.models, l.Model}, {t.clients, l.Client}} {
		if g.name == "" {
			continue
		}
		s, ok := g.m[g.name]
		if !ok {
			s = &group{Group: Group{Name: g.name}}
			g.m[g.name] = s
		}
		out[n] = s
		n++
	}
	return out[:n]
}

// add merges o into t.
func (t *tally) add(o *tally) {
	addTotals(&t.extract, o.extract)
	addTotals(&t.call, o.call)
	for k, v := range o.attempts {
		t.attempts[k] += v
	}
	addCounts(t.outcomes, o.outcomes)
	addCounts(t.errorKinds, o.errorKinds)
	addCounts(t.repairs, o.repairs)
	t.tokens.Prompt += o.tokens.Prompt
	t.tokens.Completion += o.tokens.Completion
	t.tokens.Total += o.tokens.Total
	t.tokens.Wasted += o.tokens.Wasted
	t.cost.SpentUSD += o.cost.SpentUSD
	t.cost.WastedUSD += o.cost.WastedUSD
	t.cost.UnpricedAttempts += o.cost.UnpricedAttempts
	for m, v := range o.cost.ByModel {
		t.cost.ByModel[m] += v
	}
	t.retries += o.retries
	t.switches += o.switches
	t.latency.add(&o.latency)
	addGroups(t.models, o.models)
	addGroups(t.clients, o.clients)
}

func addTotals(a *Totals, b Totals) {
	a.Total += b.Total
	a.OK += b.OK
	a.Failed += b.Failed
	a.Refused += b.Refused
}

func addCounts(a, b map[string]int64) {
	for k, v := range b {
		a[k] += v
	}
}

func addGroups(a, b map[string]*group) {
	for name, g := range b {
		s, ok := a[name]
		if !ok {
			s = &group{Group: Group{Name: name}}
			a[name] = s
		}
		s.Requests += g.Requests
		s.OK += g.OK
		s.Failed += g.Failed
		s.Refused += g.Refused
		s.Attempts += g.Attempts
		s.Tokens += g.Tokens
		s.Wasted += g.Wasted
		s.CostUSD += g.CostUSD
		s.WastedCostUSD += g.WastedCostUSD
		s.Unpriced += g.Unpriced
		s.hist.add(&g.hist)
	}
}

// figures copies t's counts.
func (t *tally) figures() Figures {
	f := Figures{
		Extractions: t.extract,
		Calls:       t.call,
		Attempts:    make(map[int]int64, len(t.attempts)),
		Outcomes:    copyCounts(t.outcomes),
		ErrorKinds:  copyCounts(t.errorKinds),
		Repairs:     copyCounts(t.repairs),
		Tokens:      t.tokens,
		Cost:        t.cost,
		Retries:     t.retries,
		Switches:    t.switches,
	}
	for k, v := range t.attempts {
		f.Attempts[k] = v
	}
	f.Cost.ByModel = make(map[string]float64, len(t.cost.ByModel))
	for k, v := range t.cost.ByModel {
		f.Cost.ByModel[k] = v
	}
	if f.Cost.SpentUSD > 0 {
		f.Cost.WastedShare = f.Cost.WastedUSD / f.Cost.SpentUSD
	}
	if t.extract.Total > 0 {
		f.SuccessRate = float64(t.extract.OK) / float64(t.extract.Total)
	}
	return f
}

func groupList(m map[string]*group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		s := g.Group
		if s.Requests > 0 {
			s.SuccessRate = float64(s.OK) / float64(s.Requests)
		}
		s.Latency = g.hist.latency()
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Snapshot returns the dashboard's data now, its window being the
// collector's whole window.
func (c *Collector) Snapshot() Snapshot { return c.SnapshotFor(0) }

// SnapshotFor returns the dashboard's data now, with the windowed figures
// over the last window (rounded up to whole buckets; 0 or more than the
// collector's window means all of it).
func (c *Collector) SnapshotFor(window time.Duration) Snapshot {
	now := c.clock.Now()
	providers, trips := c.status(now)
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &c.dash
	s := Snapshot{
		Time:         now,
		Figures:      d.total.figures(),
		HTTP:         copyCounts(d.http),
		BreakerTrips: trips,
		Providers:    providers,
	}
	n := int64(len(d.ring))
	end := now.Unix()
	s.Timeline = make([]Point, 0, n)
	for sec := end - n + 1; sec <= end; sec++ {
		if p := d.ring[mod(sec, n)]; p.T == sec {
			s.Timeline = append(s.Timeline, p)
		} else {
			s.Timeline = append(s.Timeline, Point{T: sec})
		}
	}
	s.Window = d.window(now, window)
	return s
}

// window sums the buckets covering the last w (all of them when w is 0 or
// longer than they span).
func (b *board) window(now time.Time, w time.Duration) WindowStats {
	nb := int64(len(b.buckets))
	if w > 0 {
		nb = min(nb, max(1, int64(math.Ceil(w.Seconds()/float64(b.width)))))
	}
	last := b.bucketNumber(now)
	var sum tally
	sum.init()
	for n := last - nb + 1; n <= last; n++ {
		if bk := &b.buckets[mod(n, int64(len(b.buckets)))]; bk.n == n {
			sum.add(&bk.t)
		}
	}
	first := last - nb + 1
	return WindowStats{
		Seconds: nb * b.width,
		Since:   time.Unix(first*b.width, 0).In(now.Location()),
		Figures: sum.figures(),
		Latency: sum.latency.latency(),
		Models:  groupList(sum.models),
		Clients: groupList(sum.clients),
	}
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
