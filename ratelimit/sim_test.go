package ratelimit

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// provider is a simulated provider with OpenAI's rate limiting: token
// buckets for requests and tokens that refill continuously, reported in
// x-ratelimit-* headers on every answer, 429 with retry-after-ms and
// Retry-After when a bucket cannot pay.
type provider struct {
	req, tok  simBucket
	resetUnit time.Duration // resets are rounded up to this
}

type simBucket struct {
	limit    float64 // reported Limit, per period
	period   time.Duration
	capacity float64
	level    float64
	at       time.Time
}

func (b *simBucket) on() bool { return b.limit > 0 }

func (b *simBucket) rate() float64 { return b.limit / b.period.Seconds() }

func (b *simBucket) refill(now time.Time) {
	if now.After(b.at) {
		b.level = min(b.capacity, b.level+now.Sub(b.at).Seconds()*b.rate())
		b.at = now
	}
}

func (p *provider) roundUp(d time.Duration) time.Duration {
	u := p.resetUnit
	if u <= 0 {
		u = time.Millisecond
	}
	return (d + u - 1) / u * u
}

func (p *provider) header(h http.Header, kind string, b *simBucket) {
	if !b.on() {
		return
	}
	h.Set("x-ratelimit-limit-"+kind, strconv.Itoa(int(b.limit)))
	h.Set("x-ratelimit-remaining-"+kind, strconv.Itoa(int(math.Floor(b.level))))
	reset := time.Duration((b.capacity - b.level) / b.rate() * float64(time.Second))
	h.Set("x-ratelimit-reset-"+kind, p.roundUp(reset).String())
}

// handle answers a request arriving at now.
func (p *provider) handle(now time.Time, tokens float64) (bool, http.Header) {
	h := http.Header{}
	ok := true
	var wait time.Duration
	for _, c := range []struct {
		b *simBucket
		n float64
	}{{&p.req, 1}, {&p.tok, tokens}} {
		if !c.b.on() {
			continue
		}
		c.b.refill(now)
		if c.b.level < c.n {
			ok = false
			wait = max(wait, time.Duration((c.n-c.b.level)/c.b.rate()*float64(time.Second)))
		}
	}
	if ok {
		p.req.level--
		p.tok.level -= tokens
	}
	p.header(h, "requests", &p.req)
	p.header(h, "tokens", &p.tok)
	if !ok {
		ms := int(math.Ceil(float64(wait) / float64(time.Millisecond)))
		h.Set("retry-after-ms", strconv.Itoa(ms))
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	return ok, h
}

// event is a send or an answer in the simulation.
type event struct {
	at     time.Time
	seq    int
	worker int
	answer bool
	ok     bool
	h      http.Header
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// load describes a simulated client workload.
type load struct {
	workers, items int
	minLat, maxLat time.Duration // answers take a uniform time in [minLat, maxLat]
	minTok, maxTok int           // requests cost a uniform number of tokens in [minTok, maxTok]
	// naive: the client ignores the headers; each call waits out its own
	// 429's retry-after, as a loop without a shared limiter does.
	naive bool
	// noHeaders: the provider sends no x-ratelimit-* headers.
	noHeaders bool
	// other: another client takes this share of the provider's requests
	// per second, unknown to ours.
	other float64
	// finish: the client finishes each reservation with its answer (as
	// reask's transport does) instead of only observing the headers.
	finish bool
	// overestimate: the client reserves this many times the tokens the
	// provider counts (0 means 1), as an estimate with max_tokens does.
	overestimate float64
}

type simResult struct {
	done, requests, limited int
	elapsed                 time.Duration
	share                   float64 // of the most the provider could have served
}

// simulate runs ld's items through ld.workers concurrent callers sharing
// lim, against p, with a fixed seed.
func simulate(lim *Limiter, p *provider, ld load, seed uint64) simResult {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := t0
	p.req.at, p.tok.at = start, start
	p.req.level, p.tok.level = p.req.capacity, p.tok.capacity
	var q queue
	seq := 0
	push := func(e event) { seq++; e.seq = seq; heap.Push(&q, e) }
	tokens := make([]int, ld.workers)
	held := make([]Reservation, ld.workers)
	next := 0
	var res simResult
	// begin reserves the worker's current item and schedules its sending.
	begin := func(w int, now time.Time) {
		est := tokens[w]
		if ld.overestimate > 0 {
			est = int(float64(est) * ld.overestimate)
		}
		held[w] = lim.Reserve(now, est)
		push(event{at: now.Add(held[w].Delay()), worker: w})
	}
	take := func(w int, now time.Time) {
		if next == ld.items {
			return
		}
		next++
		tokens[w] = ld.minTok + rng.IntN(ld.maxTok-ld.minTok+1)
		begin(w, now)
	}
	for w := range ld.workers {
		take(w, start)
	}
	const otherWorker = -1
	if ld.other > 0 {
		push(event{at: start, worker: otherWorker})
	}
	var end time.Time
	for q.Len() > 0 {
		e := heap.Pop(&q).(event)
		now := e.at
		if e.worker == otherWorker {
			p.handle(now, 0)
			if next < ld.items || q.Len() > 0 {
				push(event{at: now.Add(time.Duration(float64(time.Second) / (ld.other * p.req.rate()))), worker: otherWorker})
			}
			continue
		}
		if !e.answer {
			res.requests++
			ok, h := p.handle(now, float64(tokens[e.worker]))
			if ld.noHeaders {
				for k := range h {
					if k != "Retry-After" && k != "Retry-After-Ms" {
						delete(h, k)
					}
				}
			}
			lat := ld.minLat + time.Duration(rng.Int64N(int64(ld.maxLat-ld.minLat)+1))
			push(event{at: now.Add(lat), worker: e.worker, answer: true, ok: ok, h: h})
			continue
		}
		switch s, ok := ParseOpenAI(e.h); {
		case ld.finish:
			a := Answer{Status: http.StatusTooManyRequests, Snapshot: s}
			if e.ok {
				a = Answer{Status: http.StatusOK, Tokens: tokens[e.worker], Snapshot: s}
			}
			held[e.worker].Finish(now, a)
		case ok && !ld.naive:
			lim.Observe(now, s)
		}
		if !e.ok {
			res.limited++
			ra, _ := RetryAfter(e.h, now)
			if ld.naive {
				push(event{at: now.Add(ra), worker: e.worker})
				continue
			}
			lim.OnRateLimited(now, ra)
			begin(e.worker, now)
			continue
		}
		res.done++
		end = now
		take(e.worker, now)
	}
	res.elapsed = end.Sub(start)
	// The most the provider could serve by end: a full bucket plus the
	// refill, in whichever dimension binds, less the other client's share.
	most := math.Inf(1)
	for _, b := range []*simBucket{&p.req, &p.tok} {
		if !b.on() {
			continue
		}
		n := b.capacity + b.rate()*res.elapsed.Seconds()*(1-ld.other)
		if b == &p.tok {
			n /= float64(ld.minTok+ld.maxTok) / 2
		}
		most = min(most, n)
	}
	res.share = float64(res.done) / most
	return res
}

func TestPacingSimulation(t *testing.T) {
	ms := time.Millisecond
	perMinute := func(limit float64) simBucket {
		return simBucket{limit: limit, period: time.Minute, capacity: limit}
	}
	std := load{workers: 32, items: 6000, minLat: 100 * ms, maxLat: 500 * ms}
	with := func(f func(*load)) load { l := std; f(&l); return l }
	tests := []struct {
		name             string
		cfg              Config
		p                provider
		ld               load
		minShare, max429 float64
	}{
		{"600 RPM, 32 callers", Config{}, provider{req: perMinute(600)}, std, 0.95, 0.02},
		{"6000 RPM, fast answers", Config{}, provider{req: perMinute(6000)},
			with(func(l *load) { l.items, l.minLat, l.maxLat = 30000, 50*ms, 250*ms }), 0.95, 0.02},
		{"60 RPM, slow answers", Config{}, provider{req: perMinute(60)},
			with(func(l *load) { l.items, l.minLat, l.maxLat = 600, 1000*ms, 5000*ms }), 0.95, 0.02},
		{"20 RPM: the first burst of 32 overflows", Config{}, provider{req: perMinute(20)},
			with(func(l *load) { l.items = 1000 }), 0.95, 0.02},
		{"tokens bind: 90k TPM, 1000 RPM", Config{}, provider{req: perMinute(1000), tok: perMinute(90000)},
			with(func(l *load) { l.items, l.minTok, l.maxTok = 3000, 500, 1500 }), 0.95, 0.02},
		{"tokens bind, answers finished", Config{}, provider{req: perMinute(1000), tok: perMinute(90000)},
			with(func(l *load) { l.items, l.minTok, l.maxTok, l.finish = 3000, 500, 1500, true }), 0.95, 0.02},
		// Usage and Remaining correct the estimate's excess as answers
		// come; the estimate still holds the requests in flight back.
		{"estimates twice the usage, corrected by the answers", Config{}, provider{req: perMinute(1000), tok: perMinute(90000)},
			with(func(l *load) { l.items, l.minTok, l.maxTok, l.finish, l.overestimate = 3000, 500, 1500, true, 2 }), 0.95, 0.02},
		{"600 RPM, answers finished", Config{}, provider{req: perMinute(600)},
			with(func(l *load) { l.finish = true }), 0.95, 0.02},
		{"another client takes 30%, answers finished", Config{}, provider{req: perMinute(600)},
			with(func(l *load) { l.other, l.finish = 0.3, true }), 0.95, 0.02},
		{"resets rounded to seconds", Config{}, provider{req: perMinute(600), resetUnit: time.Second}, std, 0.95, 0.02},
		{"a 10-second window, learnt from the resets", Config{}, provider{req: simBucket{limit: 100, period: 10 * time.Second, capacity: 100}}, std, 0.95, 0.02},
		{"another client takes 30%", Config{}, provider{req: perMinute(600)},
			with(func(l *load) { l.other = 0.3 }), 0.95, 0.02},
		{"configured RPM below the provider's", Config{RPM: 300}, provider{req: perMinute(600)},
			with(func(l *load) { l.items = 3000 }), 0.45, 0},
		// 95% of the refill, but the provider's initial bucket is not used.
		{"configured RPM, no headers", Config{RPM: 570}, provider{req: perMinute(600)},
			with(func(l *load) { l.noHeaders = true }), 0.85, 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := tt.p
			r := simulate(lim, &p, tt.ld, 1)
			share429 := float64(r.limited) / float64(r.requests)
			t.Logf("%d items in %s: %.1f%% of the provider's capacity, %d requests, %d answered 429 (%.2f%%)",
				r.done, r.elapsed.Round(time.Second), 100*r.share, r.requests, r.limited, 100*share429)
			if r.done != tt.ld.items {
				t.Fatalf("%d items done, want %d", r.done, tt.ld.items)
			}
			if r.share < tt.minShare {
				t.Errorf("throughput %.1f%% of the provider's capacity, want at least %.0f%%", 100*r.share, 100*tt.minShare)
			}
			if share429 > tt.max429 {
				t.Errorf("%.2f%% of requests answered 429, want at most %.0f%%", 100*share429, 100*tt.max429)
			}
		})
	}
}

// TestNaiveSimulation is the comparison: the same load from callers that
// ignore the headers and each wait out their own 429s.
func TestNaiveSimulation(t *testing.T) {
	ld := load{workers: 32, items: 6000, minLat: 100 * time.Millisecond, maxLat: 500 * time.Millisecond}
	for _, naive := range []bool{true, false} {
		p := provider{req: simBucket{limit: 600, period: time.Minute, capacity: 600}}
		ld.naive = naive
		r := simulate(&Limiter{}, &p, ld, 1)
		share429 := float64(r.limited) / float64(r.requests)
		t.Logf("naive=%v: %.1f%% of capacity, %d requests, %.1f%% answered 429", naive, 100*r.share, r.requests, 100*share429)
		if naive && share429 < 0.5 {
			t.Errorf("naive callers: %.1f%% answered 429; the simulation does not bind", 100*share429)
		}
		if !naive && share429 > 0.02 {
			t.Errorf("limited callers: %.1f%% answered 429, want at most 2%%", 100*share429)
		}
	}
}
