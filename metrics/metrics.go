// Package metrics turns what reask does into Prometheus metrics and into a
// live snapshot for dashboards.
//
// A Collector is fed two ways: its Observe method is a reask observer (set
// it as reask.Config.Observer) and sees every call, retry, attempt, switch and
// result; Watch registers a client's Status so that breaker and rate-limiter
// state is read at scrape time. The gateway adds its HTTP requests with
// ObserveHTTP. Every metric name starts with "reask_":
//
//	reask_results_total{operation,outcome}          extractions and plain calls that ran and ended, by outcome
//	reask_refused_total{operation,model,client}      requests an open breaker refused before any call was sent
//	reask_attempts{operation}                        histogram of content attempts per result
//	reask_attempt_outcomes_total{provider,outcome}   every content attempt, by outcome
//	reask_calls_total{provider,outcome}              every provider call sent, by outcome (transport error kinds)
//	reask_breaker_refusals_total{provider}           calls an open breaker refused (not sent, not in reask_calls_total)
//	reask_retries_total{provider}                    transport retries
//	reask_repairs_total{kind}                        local fixes applied to answers
//	reask_switches_total{what}                       mode, model and feedback switches
//	reask_tokens_total{type}                         prompt and completion tokens spent
//	reask_wasted_tokens_total                        tokens spent on answers that were not used
//	reask_cost_usd_total{model,outcome}              US dollars the priced attempts cost, by the model that answered and the result's outcome
//	reask_wasted_cost_usd_total                      of them, on answers that were not used
//	reask_cache_hits_total                           extractions the response cache answered (no call, $0)
//	reask_cache_misses_total                         extractions the cache was consulted for and did not hold
//	reask_unpriced_attempts_total{model}             attempts that spent tokens on a model without a price (not in the cost)
//	reask_result_duration_seconds{operation}         wall time of each extraction or call
//	reask_call_duration_seconds{provider}            each provider call
//	reask_call_wait_seconds{provider}                time waited before a call: backoff, Retry-After and rate-limit pacing
//	reask_breaker_state{provider}                    0 closed, 1 half-open, 2 open
//	reask_breaker_failure_rate{provider}             failure rate in the breaker's window
//	reask_breaker_trips_total                        how often a breaker opened
//	reask_ratelimit_blocked_seconds{provider}        time left of a shared Retry-After
//	reask_ratelimit_requests_per_minute{provider}    the paced request rate (0: not limited)
//	reask_retry_budget_tokens{provider}              the retry budget's tokens
//	reask_http_requests_total{route,kind,code}       HTTP requests a server answered
//	reask_http_request_duration_seconds{route,kind}  their latency
//	reask_http_in_flight                             HTTP requests being served
//	reask_requests_total{model,client,outcome}       results observed with Labels (the gateway's), by outcome
//	reask_request_attempts_total{model,client}       their content attempts
//	reask_request_wasted_tokens_total{model,client}  their wasted tokens
//	reask_request_duration_seconds{model,client}     their wall time
//
// A request refused by an open circuit breaker — no call sent, the answer
// an immediate circuit_open — is a refusal, counted in
// reask_refused_total and reask_breaker_refusals_total only: it is not a
// result, an attempt, a call or a failed extraction, and takes no part in
// the durations or the success rate.
//
// The model and client labels come from ObserveLabeled (the gateway passes
// its route — a configured model or "*" — and the client key's label), so
// their values are bounded by the configuration; Observe leaves them empty
// and the reask_request_* series are not written.
//
// The operation label is "extract" for extractions (reask.Client.Run and
// friends) and "call" for plain calls (reask.Client.Send, the gateway's
// pass-through), as the report says (reask.Report.Plain).
//
// A Collector is safe for concurrent use and starts no goroutine.
package metrics

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/clock"
)

// Operations, the values of the operation label.
const (
	OpExtract = "extract"
	OpCall    = "call"
)

// DefaultWindow is how much history the snapshot's timeline keeps.
const DefaultWindow = 5 * time.Minute

// MaxWindow bounds Config.Window (one slot per second).
const MaxWindow = 24 * time.Hour

// Config configures a Collector. The zero Config is ready to use.
type Config struct {
	// Registry receives the metrics. Default: a new registry holding only
	// reask's metrics (add Go and process collectors to it if wanted).
	Registry *prometheus.Registry
	// Clock times the timeline and reads policy status. Default: the
	// system clock.
	Clock clock.Clock
	// Window is the timeline's length, in one-second slots. Default
	// DefaultWindow, at most MaxWindow.
	Window time.Duration
}

// StatusSource reports the state of a client's shared policies;
// (*reask.Client).Status is one.
type StatusSource func(now time.Time) reask.PolicyStatus

// Collector records reask's events as Prometheus metrics and keeps what a
// dashboard shows: totals since the start, a per-second timeline, and
// per-bucket tallies (at most MaxBuckets) for the figures of a recent
// window, with latency percentiles and the per-model and per-client view.
type Collector struct {
	clock clock.Clock
	reg   *prometheus.Registry

	results        *prometheus.CounterVec
	attempts       *prometheus.HistogramVec
	attemptOutcome *prometheus.CounterVec
	calls          *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	refused        *prometheus.CounterVec
	requests       *prometheus.CounterVec
	reqAttempts    *prometheus.CounterVec
	reqWasted      *prometheus.CounterVec
	reqDuration    *prometheus.HistogramVec
	retries        *prometheus.CounterVec
	repairs        *prometheus.CounterVec
	switches       *prometheus.CounterVec
	tokens         *prometheus.CounterVec
	wasted         prometheus.Counter
	cost           *prometheus.CounterVec
	wastedCost     prometheus.Counter
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	unpriced       *prometheus.CounterVec
	resultDuration *prometheus.HistogramVec
	callDuration   *prometheus.HistogramVec
	callWait       *prometheus.HistogramVec
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	httpInFlight   prometheus.Gauge

	srcMu   sync.Mutex
	sources []StatusSource

	mu   sync.Mutex
	dash board
}

// latencyBuckets span 1ms to about 65s: gateway overhead at the low end,
// slow models and long backoffs at the high end.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 17)

// New returns a Collector registered in cfg.Registry, or an error when the
// configuration is invalid or the registry already holds reask's metrics.
func New(cfg Config) (*Collector, error) {
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Window < time.Second || cfg.Window > MaxWindow {
		return nil, fmt.Errorf("metrics: window %s: want between 1s and %s", cfg.Window, MaxWindow)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	c := &Collector{clock: cfg.Clock, reg: cfg.Registry}
	c.dash.init(int(cfg.Window / time.Second))
	c.results = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_results_total",
		Help: "Extractions and plain calls that ended, by operation (extract, call) and outcome (ok or the failure kind)."},
		[]string{"operation", "outcome"})
	c.attempts = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_attempts",
		Help:    "Content attempts per extraction or call (the first included).",
		Buckets: prometheus.LinearBuckets(1, 1, 10)}, []string{"operation"})
	c.attemptOutcome = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_attempt_outcomes_total",
		Help: "Content attempts by provider and outcome (ok, json_syntax, schema, semantic, truncated, empty, refusal, or the transport failure that ended the attempt)."},
		[]string{"provider", "outcome"})
	c.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_calls_total",
		Help: "Provider calls by provider and outcome (ok, rate_limit, server, connection, timeout, quota, bad_request, auth, circuit_open, ...)."},
		[]string{"provider", "outcome"})
	c.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_breaker_refusals_total",
		Help: "Calls an open circuit breaker refused, by provider: not sent, and not in reask_calls_total."},
		[]string{"provider"})
	c.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_refused_total",
		Help: "Requests an open circuit breaker refused before any call was sent, by operation, model and client: not in reask_results_total."},
		[]string{"operation", "model", "client"})
	c.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_requests_total",
		Help: "Results of labelled requests (the gateway's), by model route, client label and outcome; refusals are in reask_refused_total."},
		[]string{"model", "client", "outcome"})
	c.reqAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_request_attempts_total",
		Help: "Content attempts of labelled requests, by model route and client label."}, []string{"model", "client"})
	c.reqWasted = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_request_wasted_tokens_total",
		Help: "Tokens spent on unused attempts of labelled requests, by model route and client label."}, []string{"model", "client"})
	c.reqDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_request_duration_seconds",
		Help: "Wall time of labelled requests that ran, by model route and client label.", Buckets: latencyBuckets},
		[]string{"model", "client"})
	c.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_retries_total",
		Help: "Transport retries (a failed call sent again after a backoff or Retry-After)."}, []string{"provider"})
	c.repairs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_repairs_total",
		Help: "Local fixes applied to answers, by kind."}, []string{"kind"})
	c.switches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_switches_total",
		Help: "Strategy switches (mode, model, feedback, restart) made by the adaptive strategy or a fallback."}, []string{"what"})
	c.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_tokens_total",
		Help: "Tokens spent, as the providers reported them, by type (prompt, completion)."}, []string{"type"})
	c.wasted = prometheus.NewCounter(prometheus.CounterOpts{Name: "reask_wasted_tokens_total",
		Help: "Tokens spent on attempts whose answer was not used."})
	c.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_cost_usd_total",
		Help: "US dollars the priced attempts of results cost (reask.Attempt.CostUSD), by the model that answered and the result's outcome."},
		[]string{"model", "outcome"})
	c.wastedCost = prometheus.NewCounter(prometheus.CounterOpts{Name: "reask_wasted_cost_usd_total",
		Help: "US dollars spent on attempts whose answer was not used."})
	c.cacheHits = prometheus.NewCounter(prometheus.CounterOpts{Name: "reask_cache_hits_total",
		Help: "Extractions the response cache answered: no provider call, no cost (reask.Report.Cache hit)."})
	c.cacheMisses = prometheus.NewCounter(prometheus.CounterOpts{Name: "reask_cache_misses_total",
		Help: "Extractions the response cache was consulted for and did not hold."})
	c.unpriced = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_unpriced_attempts_total",
		Help: "Attempts that spent tokens on a model the price table lacks: their cost is in no cost metric."}, []string{"model"})
	c.resultDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_result_duration_seconds",
		Help: "Wall time of each extraction or call, retries and waits included.", Buckets: latencyBuckets},
		[]string{"operation"})
	c.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_call_duration_seconds",
		Help: "Duration of each provider call.", Buckets: latencyBuckets}, []string{"provider"})
	c.callWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_call_wait_seconds",
		Help:    "Time waited before a provider call was sent: backoff, Retry-After and client-side rate-limit pacing.",
		Buckets: latencyBuckets}, []string{"provider"})
	c.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reask_http_requests_total",
		Help: "HTTP requests answered, by route, kind (schema, passthrough, stream, ...) and status code."},
		[]string{"route", "kind", "code"})
	c.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "reask_http_request_duration_seconds",
		Help: "Latency of HTTP requests, by route and kind.", Buckets: latencyBuckets}, []string{"route", "kind"})
	c.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "reask_http_in_flight",
		Help: "HTTP requests being served."})
	for _, m := range []prometheus.Collector{c.results, c.attempts, c.attemptOutcome, c.calls, c.refusals, c.refused,
		c.requests, c.reqAttempts, c.reqWasted, c.reqDuration, c.retries,
		c.repairs, c.switches, c.tokens, c.wasted, c.cost, c.wastedCost, c.cacheHits, c.cacheMisses, c.unpriced, c.resultDuration, c.callDuration, c.callWait,
		c.httpRequests, c.httpDuration, c.httpInFlight, statusCollector{c}} {
		if err := c.reg.Register(m); err != nil {
			return nil, fmt.Errorf("metrics: registering: %w", err)
		}
	}
	for _, t := range []string{"prompt", "completion"} {
		c.tokens.WithLabelValues(t) // present from the start, at zero
	}
	return c, nil
}

// Registry returns the registry holding the metrics.
func (c *Collector) Registry() *prometheus.Registry { return c.reg }

// Handler serves the registry in the Prometheus exposition format.
func (c *Collector) Handler() http.Handler {
	return promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{})
}

// Watch adds a source of policy status, read at each scrape and snapshot.
// Sources that report the same provider are merged: the worst breaker state
// wins, trips add up.
func (c *Collector) Watch(s StatusSource) {
	if s == nil {
		return
	}
	c.srcMu.Lock()
	c.sources = append(c.sources, s)
	c.srcMu.Unlock()
}

// Labels name whom a result served, for the per-model and per-client
// view: the gateway passes its route (a configured model, or "*" for the
// catch-all) and the client key's label. Keep their values bounded: each
// pair is a Prometheus series.
type Labels struct {
	Model  string
	Client string
}

// Observe records one event, without labels. It is a reask observer:
// reask.Config{Observer: collector.Observe}.
func (c *Collector) Observe(ctx context.Context, e reask.Event) {
	c.ObserveLabeled(ctx, Labels{}, e)
}

// ObserveLabeled records one event of a request labelled l: results also
// count in the per-model and per-client figures and series.
func (c *Collector) ObserveLabeled(_ context.Context, l Labels, e reask.Event) {
	now := c.clock.Now()
	switch e.Kind {
	case reask.EventCall:
		if e.Call == nil {
			return
		}
		if e.Call.Outcome == reask.KindCircuitOpen {
			// Refused, not sent: no call, no failure, no duration.
			c.refusals.WithLabelValues(e.Provider).Inc()
			return
		}
		c.calls.WithLabelValues(e.Provider, string(e.Call.Outcome)).Inc()
		c.callDuration.WithLabelValues(e.Provider).Observe(e.Call.Duration.Seconds())
		c.callWait.WithLabelValues(e.Provider).Observe(e.Call.Waited.Seconds())
		if e.Call.Outcome != reask.KindOK {
			c.mu.Lock()
			c.dash.each(now, func(t *tally) { t.errorKinds[string(e.Call.Outcome)]++ })
			c.mu.Unlock()
		}
	case reask.EventRetry:
		c.retries.WithLabelValues(e.Provider).Inc()
		c.mu.Lock()
		c.dash.each(now, func(t *tally) { t.retries++ })
		c.dash.slot(now).Retries++
		c.mu.Unlock()
	case reask.EventAttempt:
		if e.Record == nil || refusedAttempt(e.Record) {
			return
		}
		c.attemptOutcome.WithLabelValues(e.Provider, string(e.Record.Outcome)).Inc()
		for _, f := range e.Record.Repairs {
			c.repairs.WithLabelValues(string(f.Kind)).Inc()
		}
		c.mu.Lock()
		c.dash.each(now, func(t *tally) {
			if e.Record.Outcome.Content() {
				t.errorKinds[string(e.Record.Outcome)]++
			}
			for _, f := range e.Record.Repairs {
				t.repairs[string(f.Kind)]++
			}
		})
		c.mu.Unlock()
	case reask.EventSwitch:
		if e.Switch != nil {
			c.switches.WithLabelValues(e.Switch.What).Inc()
			c.mu.Lock()
			c.dash.each(now, func(t *tally) { t.switches++ })
			c.mu.Unlock()
		}
	case reask.EventResult:
		if e.Report != nil {
			c.result(now, l, e.Report)
		}
	}
}

// Operation tells whether rep is an extraction's (OpExtract) or a plain
// call's (OpCall), as the report says (reask.Report.Plain).
func Operation(rep *reask.Report) string {
	if rep.Plain {
		return OpCall
	}
	return OpExtract
}

// Refused reports whether rep is a request an open circuit breaker refused
// before any call was sent: it ended circuit_open with no call made.
func Refused(rep *reask.Report) bool {
	return rep.Outcome == reask.KindCircuitOpen && rep.Calls == 0
}

// refusedAttempt reports whether an attempt record holds only calls an
// open breaker refused: nothing was sent, so it is no attempt.
func refusedAttempt(a *reask.Attempt) bool {
	if len(a.Calls) == 0 {
		return a.Outcome == reask.KindCircuitOpen
	}
	for _, call := range a.Calls {
		if call.Outcome != reask.KindCircuitOpen {
			return false
		}
	}
	return true
}

// AttemptsMade counts the content attempts of rep that sent a call: the
// report's Attempts less a last attempt an open breaker refused.
func AttemptsMade(rep *reask.Report) int {
	if len(rep.Records) == 0 {
		return rep.Attempts
	}
	n := 0
	for i := range rep.Records {
		if !refusedAttempt(&rep.Records[i]) {
			n++
		}
	}
	return n
}

func (c *Collector) result(now time.Time, l Labels, rep *reask.Report) {
	op := Operation(rep)
	if Refused(rep) {
		c.refused.WithLabelValues(op, l.Model, l.Client).Inc()
		c.mu.Lock()
		c.dash.each(now, func(t *tally) { t.refuse(op, l) })
		c.dash.slot(now).Refused++
		c.mu.Unlock()
		return
	}
	outcome := rep.Outcome
	if outcome == "" {
		outcome = reask.KindUnknown
	}
	attempts := AttemptsMade(rep)
	c.results.WithLabelValues(op, string(outcome)).Inc()
	c.attempts.WithLabelValues(op).Observe(float64(attempts))
	c.resultDuration.WithLabelValues(op).Observe(rep.Duration.Seconds())
	c.tokens.WithLabelValues("prompt").Add(float64(rep.Usage.PromptTokens))
	c.tokens.WithLabelValues("completion").Add(float64(rep.Usage.CompletionTokens))
	c.wasted.Add(float64(rep.WastedTokens))
	switch rep.Cache {
	case cache.Hit:
		c.cacheHits.Inc()
	case cache.Miss:
		c.cacheMisses.Inc()
	}
	EachCost(rep, func(model string, cost *float64, used bool) {
		if cost == nil {
			c.unpriced.WithLabelValues(model).Inc()
			return
		}
		c.cost.WithLabelValues(model, string(outcome)).Add(*cost)
		if !used {
			c.wastedCost.Add(*cost)
		}
	})
	if l != (Labels{}) {
		c.requests.WithLabelValues(l.Model, l.Client, string(outcome)).Inc()
		c.reqAttempts.WithLabelValues(l.Model, l.Client).Add(float64(attempts))
		c.reqWasted.WithLabelValues(l.Model, l.Client).Add(float64(rep.WastedTokens))
		c.reqDuration.WithLabelValues(l.Model, l.Client).Observe(rep.Duration.Seconds())
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.dash.each(now, func(t *tally) { t.result(op, l, outcome, attempts, rep) })
	s := c.dash.slot(now)
	s.Results++
	if outcome == reask.KindOK {
		s.OK++
	} else {
		s.Failed++
	}
	if op == OpExtract {
		s.Attempts += int64(attempts)
	}
	s.Tokens += int64(rep.Usage.TotalTokens)
	s.Wasted += int64(rep.WastedTokens)
	EachCost(rep, func(_ string, cost *float64, used bool) {
		if cost != nil {
			s.CostUSD += *cost
			if !used {
				s.WastedCostUSD += *cost
			}
		}
	})
}

// EachCost calls f for every attempt of rep that spent tokens or was
// priced: the model that answered (Attempt.Model, else its provider), its
// cost (nil: no price) and whether its answer was used — the last
// attempt of a result that succeeded.
func EachCost(rep *reask.Report, f func(model string, cost *float64, used bool)) {
	for i := range rep.Records {
		a := &rep.Records[i]
		if a.CostUSD == nil && a.Usage == (reask.Usage{}) {
			continue
		}
		model := a.Model
		if model == "" {
			model = a.Provider
		}
		f(model, a.CostUSD, i == len(rep.Records)-1 && rep.Outcome == reask.KindOK)
	}
}

// ObserveHTTP records one HTTP request a server answered: its route (a
// fixed set, never the raw path), kind and status code.
func (c *Collector) ObserveHTTP(route, kind string, code int, d time.Duration) {
	c.httpRequests.WithLabelValues(route, kind, strconv.Itoa(code)).Inc()
	c.httpDuration.WithLabelValues(route, kind).Observe(d.Seconds())
	c.mu.Lock()
	c.dash.http[strconv.Itoa(code)]++
	c.mu.Unlock()
}

// InFlight adds delta to the HTTP requests being served (+1 when one
// starts, -1 when it ends).
func (c *Collector) InFlight(delta int) { c.httpInFlight.Add(float64(delta)) }

// status reads every source and merges them by provider, in name order.
func (c *Collector) status(now time.Time) ([]ProviderStatus, int) {
	c.srcMu.Lock()
	sources := append([]StatusSource(nil), c.sources...)
	c.srcMu.Unlock()
	byName := map[string]*ProviderStatus{}
	trips := 0
	get := func(name string) *ProviderStatus {
		p, ok := byName[name]
		if !ok {
			p = &ProviderStatus{Name: name, State: breaker.Closed.String()}
			byName[name] = p
		}
		return p
	}
	for _, src := range sources {
		st := src(now)
		trips += st.BreakerTrips
		for _, b := range st.Breakers {
			p := get(b.Key)
			if severity(b.State) >= severity(p.breakerState) {
				p.breakerState = b.State
				p.State = b.State.String()
				p.FailureRate = b.FailureRate()
				if b.State == breaker.Open {
					u := b.Until
					p.OpenUntil = &u
				} else {
					p.OpenUntil = nil
				}
			}
		}
		for name, l := range st.Limiters {
			p := get(name)
			if l.BlockedUntil.After(now) {
				p.BlockedFor = max(p.BlockedFor, l.BlockedUntil.Sub(now).Seconds())
			}
			p.RequestsPerMinute = l.RequestsPerMinute
		}
		for name, tokens := range st.RetryTokens {
			p := get(name)
			p.RetryTokens = tokens
			p.hasBudget = true
		}
	}
	out := make([]ProviderStatus, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, trips
}

func severity(s breaker.State) int {
	switch s {
	case breaker.Open:
		return 2
	case breaker.HalfOpen:
		return 1
	}
	return 0
}

// statusCollector exposes the watched policy status at scrape time.
type statusCollector struct{ c *Collector }

var (
	descBreakerState = prometheus.NewDesc("reask_breaker_state",
		"Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.", []string{"provider"}, nil)
	descBreakerFailureRate = prometheus.NewDesc("reask_breaker_failure_rate",
		"Failure rate in the circuit breaker's window.", []string{"provider"}, nil)
	descBreakerTrips = prometheus.NewDesc("reask_breaker_trips_total",
		"How often a circuit breaker opened.", nil, nil)
	descBlocked = prometheus.NewDesc("reask_ratelimit_blocked_seconds",
		"Time left of a Retry-After that every call to the provider waits out (0: none).", []string{"provider"}, nil)
	descRPM = prometheus.NewDesc("reask_ratelimit_requests_per_minute",
		"Request rate the client-side limiter paces to (0: not limited).", []string{"provider"}, nil)
	descRetryTokens = prometheus.NewDesc("reask_retry_budget_tokens",
		"Tokens in the provider's retry budget.", []string{"provider"}, nil)
)

func (s statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBreakerState, descBreakerFailureRate, descBreakerTrips, descBlocked, descRPM, descRetryTokens} {
		ch <- d
	}
}

func (s statusCollector) Collect(ch chan<- prometheus.Metric) {
	ps, trips := s.c.status(s.c.clock.Now())
	ch <- prometheus.MustNewConstMetric(descBreakerTrips, prometheus.CounterValue, float64(trips))
	for _, p := range ps {
		ch <- prometheus.MustNewConstMetric(descBreakerState, prometheus.GaugeValue, float64(severity(p.breakerState)), p.Name)
		ch <- prometheus.MustNewConstMetric(descBreakerFailureRate, prometheus.GaugeValue, p.FailureRate, p.Name)
		ch <- prometheus.MustNewConstMetric(descBlocked, prometheus.GaugeValue, p.BlockedFor, p.Name)
		ch <- prometheus.MustNewConstMetric(descRPM, prometheus.GaugeValue, p.RequestsPerMinute, p.Name)
		if p.hasBudget {
			ch <- prometheus.MustNewConstMetric(descRetryTokens, prometheus.GaugeValue, p.RetryTokens, p.Name)
		}
	}
}
