package gateway

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reask/reask/fleet"
	"github.com/reask/reask/shared"
)

// A gateway in fleet mode (Config.Redis) keeps every route's breaker, rate
// limiter and retry budget in Redis, shared with the other gateways and
// batch processes that name the same Redis and upstream account (base URL,
// model, API key). The fleet view — processes alive, shared or local mode,
// shared-state errors, Redis latency, each route's shared limiter — is on
// /metrics and the dashboard.

// Account says which account a target calls, so that its route's client
// shares the target's policies (shared.AccountHolder): the upstream's base
// URL and key, and the target's model ("" for a catch-all upstream, whose
// models share one breaker and limiter, as they do locally).
func (t *target) Account() shared.Account {
	return shared.Account{BaseURL: strings.TrimSuffix(t.up.chatURL, "/chat/completions"), Model: t.model, APIKey: t.up.key.Reveal()}
}

var _ shared.AccountHolder = (*target)(nil)

// latencySamples is how many of the latest Redis round trips the fleet
// view's percentiles are taken over.
const latencySamples = 1024

// fleetState is a gateway's connection to its fleet and what it measured
// of it.
type fleetState struct {
	store *fleet.Store
	mode  fleet.FailMode

	mu   sync.Mutex
	lat  [latencySamples]time.Duration
	n    int // round trips seen
	sort []time.Duration
}

// connectFleet connects to the Redis c.Redis names, recording every round
// trip's latency. Its errors name the field (or flag) redis.
func connectFleet(c Config) (*fleetState, error) {
	rc := c.Redis
	f := &fleetState{mode: rc.FailMode}
	if rc.Logger == nil {
		rc.Logger = c.Logger
	}
	if rc.Clock == nil {
		rc.Clock = c.Clock
	}
	user := rc.OnCall
	rc.OnCall = func(op string, took time.Duration, err error) {
		f.observe(took)
		if user != nil {
			user(op, took, err)
		}
	}
	s, err := fleet.Connect(context.Background(), rc)
	if err != nil {
		return nil, fmt.Errorf("gateway: redis: %w", err)
	}
	f.store = s
	return f, nil
}

func (f *fleetState) observe(d time.Duration) {
	f.mu.Lock()
	f.lat[f.n%latencySamples] = d
	f.n++
	f.mu.Unlock()
}

// percentiles returns the p50 and p99 of the latest round trips (zero
// before any).
func (f *fleetState) percentiles() (p50, p99 time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(f.n, latencySamples)
	if n == 0 {
		return 0, 0
	}
	f.sort = append(f.sort[:0], f.lat[:n]...)
	slices.Sort(f.sort)
	at := func(q float64) time.Duration { return f.sort[min(n-1, int(q*float64(n)))] }
	return at(0.5), at(0.99)
}

// DashboardFleet is the fleet view on the dashboard (and in
// DashboardData), for a gateway in fleet mode.
type DashboardFleet struct {
	// Shared is true while Redis answers: the policies are the fleet's.
	// DownSince is when the current outage began.
	Shared    bool       `json:"shared"`
	DownSince *time.Time `json:"down_since,omitempty"`
	// FailMode is "open" or "closed" (Config.Redis.FailMode).
	FailMode string `json:"fail_mode"`
	// Processes is how many processes share an account with this
	// gateway, itself included, as last counted.
	Processes int `json:"processes"`
	// SharedStateErrors counts the policy calls Redis could not serve;
	// RedisCalls the round trips made.
	SharedStateErrors uint64 `json:"shared_state_errors"`
	RedisCalls        uint64 `json:"redis_calls"`
	// RedisP50Ms and RedisP99Ms are the latency of the latest round trips.
	RedisP50Ms float64 `json:"redis_p50_ms"`
	RedisP99Ms float64 `json:"redis_p99_ms"`
	// Limiters are the shared rate limiters, by provider.
	Limiters []DashboardLimiter `json:"limiters"`
}

// DashboardLimiter is a shared rate limiter's state.
type DashboardLimiter struct {
	Provider string `json:"provider"`
	// Requests is the level of the request bucket, of RequestCapacity;
	// RequestsPerMinute the rate it is paced to (0: not limited yet).
	Requests          float64 `json:"requests"`
	RequestCapacity   float64 `json:"request_capacity"`
	RequestsPerMinute float64 `json:"requests_per_minute"`
}

// fleetView returns the fleet view at now; nil outside fleet mode.
func (g *Gateway) fleetView(now time.Time) *DashboardFleet {
	f := g.fleet
	if f == nil {
		return nil
	}
	h := f.store.Health()
	p50, p99 := f.percentiles()
	v := &DashboardFleet{Shared: h.Shared, FailMode: f.mode.String(), Processes: f.store.Alive(),
		SharedStateErrors: h.Errors, RedisCalls: f.store.Calls(),
		RedisP50Ms: float64(p50.Microseconds()) / 1000, RedisP99Ms: float64(p99.Microseconds()) / 1000,
		Limiters: []DashboardLimiter{}}
	if !h.Shared {
		v.DownSince = &h.Since
	}
	seen := map[string]bool{}
	for _, st := range g.Status(now) {
		for name, l := range st.Limiters {
			if !seen[name] {
				seen[name] = true
				v.Limiters = append(v.Limiters, DashboardLimiter{Provider: name, Requests: l.Requests,
					RequestCapacity: l.RequestCapacity, RequestsPerMinute: l.RequestsPerMinute})
			}
		}
	}
	sort.Slice(v.Limiters, func(i, j int) bool { return v.Limiters[i].Provider < v.Limiters[j].Provider })
	return v
}

// Prometheus descriptions of the fleet view.
var (
	descSharedErrors = prometheus.NewDesc("reask_shared_state_errors_total",
		"Policy calls the shared state (Redis) could not serve: each used the local policy, or was refused with --redis-fail closed.", nil, nil)
	descFleetShared = prometheus.NewDesc("reask_fleet_shared",
		"1 while Redis answers and the policies are the fleet's, 0 while this process uses its local ones.", nil, nil)
	descFleetProcesses = prometheus.NewDesc("reask_fleet_processes",
		"Processes sharing an account with this one, itself included, as last counted.", nil, nil)
	descRedisCalls = prometheus.NewDesc("reask_fleet_redis_calls_total",
		"Redis round trips of the shared policies.", nil, nil)
	descRedisLatency = prometheus.NewDesc("reask_fleet_redis_latency_seconds",
		"Latency of the latest Redis round trips, by quantile.", []string{"quantile"}, nil)
	descFleetLevel = prometheus.NewDesc("reask_fleet_limiter_requests",
		"Level of the shared rate limiter's request bucket.", []string{"provider"}, nil)
)

// fleetCollector exports the fleet view at each scrape.
type fleetCollector struct{ g *Gateway }

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSharedErrors, descFleetShared, descFleetProcesses, descRedisCalls, descRedisLatency, descFleetLevel} {
		ch <- d
	}
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.g.fleetView(c.g.cfg.Clock.Now())
	if v == nil {
		return
	}
	shared := 0.0
	if v.Shared {
		shared = 1
	}
	ch <- prometheus.MustNewConstMetric(descSharedErrors, prometheus.CounterValue, float64(v.SharedStateErrors))
	ch <- prometheus.MustNewConstMetric(descFleetShared, prometheus.GaugeValue, shared)
	ch <- prometheus.MustNewConstMetric(descFleetProcesses, prometheus.GaugeValue, float64(v.Processes))
	ch <- prometheus.MustNewConstMetric(descRedisCalls, prometheus.CounterValue, float64(v.RedisCalls))
	ch <- prometheus.MustNewConstMetric(descRedisLatency, prometheus.GaugeValue, v.RedisP50Ms/1000, "0.5")
	ch <- prometheus.MustNewConstMetric(descRedisLatency, prometheus.GaugeValue, v.RedisP99Ms/1000, "0.99")
	for _, l := range v.Limiters {
		ch <- prometheus.MustNewConstMetric(descFleetLevel, prometheus.GaugeValue, l.Requests, l.Provider)
	}
}
