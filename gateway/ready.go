package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
)

// ReadyStatus is the body of GET /readyz: whether the gateway can serve,
// and each upstream's state. It holds names and states only — no URLs,
// addresses, keys or error texts — because /readyz needs no key.
type ReadyStatus struct {
	// Status is "ready" (HTTP 200) or "not_ready" (HTTP 503).
	Status string `json:"status"`
	// Reasons say in words what is wrong, one per problem.
	Reasons   []string        `json:"reasons,omitempty"`
	Upstreams []ReadyUpstream `json:"upstreams"`
	// SharedState, in fleet mode (Config.Redis), is "shared" while Redis
	// answers, "local" while it does not and the calls use this replica's
	// own policies (fail-open: still ready), and "refusing" while it does
	// not and calls are refused (fail-closed: not ready).
	SharedState string `json:"shared_state,omitempty"`
}

// ReadyUpstream is one upstream's readiness.
type ReadyUpstream struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	// Reachable is false when the upstream's last call (or the probe
	// /readyz sent since) could not connect: refused, reset, or a host
	// that does not resolve. UnreachableSince is when that was first seen.
	Reachable        bool       `json:"reachable"`
	UnreachableSince *time.Time `json:"unreachable_since,omitempty"`
	// OpenBreakers are the targets ("upstream/model") whose circuit
	// breaker is open.
	OpenBreakers []ReadyBreaker `json:"open_breakers,omitempty"`
}

// ReadyBreaker is an open circuit breaker.
type ReadyBreaker struct {
	Target string `json:"target"`
	// RetryAfterSeconds is the time left of its cool-down.
	RetryAfterSeconds int `json:"retry_after_seconds"`
}

// readiness remembers which upstreams could not be reached, from the
// outcome of their calls, and re-checks an unreachable one with a probe
// at most every interval — never on the request path. It is safe for
// concurrent use.
type readiness struct {
	clock    clock.Clock
	timeout  time.Duration // of a probe; < 0: no probe
	interval time.Duration

	mu   sync.Mutex
	down map[string]*unreachable // by upstream name
}

type unreachable struct {
	since  time.Time
	probed time.Time // when the last probe started (zero: none)
}

func newReadiness(cfg Config) *readiness {
	return &readiness{clock: cfg.Clock, timeout: cfg.ReadyProbeTimeout, interval: cfg.ReadyProbeInterval,
		down: map[string]*unreachable{}}
}

// upstreamOf is the upstream of a target name ("upstream/model" or
// "upstream": upstream names hold no slash).
func upstreamOf(target string) string {
	name, _, _ := strings.Cut(target, "/")
	return name
}

// observe notes a call's outcome: a failure to connect marks its upstream
// unreachable; an answer of any kind marks it reachable. A timeout, a
// refusal by the breaker or the client hanging up tell nothing.
func (rd *readiness) observe(target string, c *reask.Call) {
	switch c.Outcome {
	case reask.KindConnection:
		rd.setReachable(upstreamOf(target), false)
	case reask.KindTimeout, reask.KindCircuitOpen, reask.KindCanceled, reask.KindUnknown:
	default:
		rd.setReachable(upstreamOf(target), true)
	}
}

func (rd *readiness) setReachable(name string, ok bool) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if ok {
		delete(rd.down, name)
	} else if rd.down[name] == nil {
		rd.down[name] = &unreachable{since: rd.clock.Now()}
	}
}

// state returns when name was first seen unreachable, and whether a probe
// is due now (recording that one starts, so that one caller probes).
func (rd *readiness) state(name string, now time.Time) (since time.Time, down, probe bool) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	u := rd.down[name]
	if u == nil {
		return time.Time{}, false, false
	}
	if rd.timeout >= 0 && (u.probed.IsZero() || now.Sub(u.probed) >= rd.interval) {
		u.probed = now
		probe = true
	}
	return u.since, true, probe
}

// probe asks the upstream for its model list: any HTTP answer, even an
// error status, shows it reachable.
func (rd *readiness) probe(ctx context.Context, u *upstream) bool {
	ctx, cancel := context.WithTimeout(ctx, rd.timeout)
	defer cancel()
	if _, _, _, err := u.get(ctx); err != nil {
		return false
	}
	rd.setReachable(u.name, true)
	return true
}

// ready answers GET /readyz: 200 when every upstream is reachable and no
// circuit breaker is open, 503 otherwise, with the reasons.
func (g *Gateway) ready(w http.ResponseWriter, r *http.Request) {
	now := g.cfg.Clock.Now()
	open := map[string]map[string]time.Time{} // upstream → target → open until
	sharedDown := false
	for _, st := range g.Status(now) {
		sharedDown = sharedDown || st.Shared && !st.SharedHealthy
		for _, b := range st.Breakers {
			if b.State != breaker.Open {
				continue
			}
			up := upstreamOf(b.Key)
			if open[up] == nil {
				open[up] = map[string]time.Time{}
			}
			if b.Until.After(open[up][b.Key]) {
				open[up][b.Key] = b.Until
			}
		}
	}
	st := ReadyStatus{Status: "ready", Upstreams: []ReadyUpstream{}}
	if g.fleet != nil {
		sharedDown = sharedDown || !g.fleet.store.Health().Shared
		switch {
		case !sharedDown:
			st.SharedState = "shared"
		case g.fleet.mode == fleet.FailClosed:
			st.SharedState, st.Status = "refusing", "not_ready"
			st.Reasons = append(st.Reasons, "the shared state (Redis) does not answer and fails closed: calls are refused until it does")
		default:
			st.SharedState = "local"
		}
	}
	for _, u := range g.upstreams {
		ru := ReadyUpstream{Name: u.name, Ready: true, Reachable: true}
		since, down, probe := g.tele.ready.state(u.name, now)
		if down && probe && g.tele.ready.probe(r.Context(), u) {
			down = false
		}
		if down {
			ru.Ready, ru.Reachable = false, false
			ru.UnreachableSince = &since
			st.Reasons = append(st.Reasons, fmt.Sprintf("upstream %s is unreachable: its last call could not connect (since %s)",
				u.name, since.UTC().Format(time.RFC3339)))
		}
		for target, until := range open[u.name] {
			left := int(math.Ceil(until.Sub(now).Seconds()))
			ru.OpenBreakers = append(ru.OpenBreakers, ReadyBreaker{Target: target, RetryAfterSeconds: max(0, left)})
		}
		sort.Slice(ru.OpenBreakers, func(i, j int) bool { return ru.OpenBreakers[i].Target < ru.OpenBreakers[j].Target })
		for _, b := range ru.OpenBreakers {
			ru.Ready = false
			st.Reasons = append(st.Reasons, fmt.Sprintf("the circuit breaker of %s is open for %ds more", b.Target, b.RetryAfterSeconds))
		}
		if !ru.Ready {
			st.Status = "not_ready"
		}
		st.Upstreams = append(st.Upstreams, ru)
	}
	w.Header().Set("Cache-Control", "no-store")
	code := http.StatusOK
	if st.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, st)
}
