package gateway_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask/fleet"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/redistest"
)

// Two gateway replicas on one Redis share their upstream's breaker: the
// 503s one replica sees open it for the other, whose request never goes
// upstream. Each replica's /metrics and dashboard show the fleet: two
// processes, shared, no shared-state error.
func TestGatewayReplicasShareTheBreaker(t *testing.T) {
	srv := redistest.Start(t)
	up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"down","type":"server_error"}}`, http.StatusServiceUnavailable)
	})
	replica := func() (*httptest.Server, *gateway.Gateway) {
		s, g := newGateway(t, up.URL, func(c *gateway.Config) {
			reaskMaxRetries(&c.Reask, 0)
			reaskBreaker(&c.Reask, 2)
			c.Reask.NoRetryBudget = true
			c.Redis = fleet.Config{URL: srv.URL(), Timeout: fleet.MaxTimeout}
		})
		return s, g
	}
	a, _ := replica()
	b, gb := replica()
	for range 2 {
		if status, _, body := call(t, a, schemaRequest("")); status == http.StatusOK {
			t.Fatalf("a request to a failing upstream: %d %s", status, body)
		}
	}
	before := len(rec.requests())
	status, _, body := call(t, b, schemaRequest(""))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "circuit") {
		t.Errorf("the other replica: %d %s; want 503 for the open circuit", status, body)
	}
	if n := len(rec.requests()) - before; n != 0 {
		t.Errorf("the other replica sent %d requests upstream; want 0", n)
	}

	d := gb.Data()
	if d.Fleet == nil || d.Fleet.Processes != 2 || !d.Fleet.Shared || d.Fleet.SharedStateErrors != 0 || d.Fleet.RedisCalls == 0 {
		t.Errorf("dashboard fleet view %+v; want 2 processes, shared, Redis calls and no error", d.Fleet)
	}
	_, _, metrics := do(t, b, http.MethodGet, "/metrics", clientKey, "")
	for _, want := range []string{"reask_shared_state_errors_total 0", "reask_fleet_processes 2", "reask_fleet_shared 1",
		`reask_fleet_redis_latency_seconds{quantile="0.99"}`, `reask_breaker_state{provider="sim"} 2`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// /readyz says whether the replica's shared state answers: with Redis
// down, a replica that fails closed refuses every call and is not ready; one
// that fails open goes on with its own policies and is.
func TestReadyzShowsTheSharedState(t *testing.T) {
	srv := redistest.Start(t)
	up, _ := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {})
	replica := func(mode fleet.FailMode) *httptest.Server {
		s, _ := newGateway(t, up.URL, func(c *gateway.Config) {
			c.Redis = fleet.Config{URL: srv.URL(), Timeout: fleet.MaxTimeout, FailMode: mode}
		})
		return s
	}
	open, closed := replica(fleet.FailOpen), replica(fleet.FailClosed)
	readyz := func(s *httptest.Server) (int, gateway.ReadyStatus) {
		t.Helper()
		status, _, b := do(t, s, http.MethodGet, "/readyz", "", "")
		var st gateway.ReadyStatus
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("readyz: %v: %s", err, b)
		}
		return status, st
	}
	for _, s := range []*httptest.Server{open, closed} {
		if status, st := readyz(s); status != http.StatusOK || st.SharedState != "shared" {
			t.Errorf("with Redis up: %d %+v; want 200, shared", status, st)
		}
	}
	srv.Kill()
	if status, st := readyz(open); status != http.StatusOK || st.SharedState != "local" {
		t.Errorf("fail-open, Redis down: %d %+v; want 200, local", status, st)
	}
	if status, st := readyz(closed); status != http.StatusServiceUnavailable || st.SharedState != "refusing" ||
		len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "fails closed") {
		t.Errorf("fail-closed, Redis down: %d %+v; want 503, refusing, the reason", status, st)
	}
}

// The configuration file's redis fields are read into Config.Redis, and
// wrong ones name their field.
func TestConfigFileRedis(t *testing.T) {
	const upstreams = `"upstreams":[{"name":"u","base_url":"http://127.0.0.1:9/v1"}]`
	c, err := gateway.ParseConfig([]byte(`{`+upstreams+`,"redis":"redis://127.0.0.1:6379/0","redis_fail":"closed","redis_timeout":"20ms"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "redis://127.0.0.1:6379/0" || c.Redis.FailMode != fleet.FailClosed || c.Redis.Timeout.Milliseconds() != 20 {
		t.Errorf("Config.Redis = %+v", c.Redis)
	}
	for _, tt := range []struct{ extra, field string }{
		{`"redis":"http://x"`, "redis"},
		{`"redis":"redis://x:1/0","redis_fail":"sometimes"`, "redis_fail"},
		{`"redis":"redis://x:1/0","redis_timeout":"5s"`, "redis_timeout"},
		{`"redis":"redis://x:1/0","redis_timeout":"soon"`, "redis_timeout"},
		{`"redis_fail":"closed"`, "redis"},
	} {
		_, err := gateway.ParseConfig([]byte(`{`+upstreams+`,`+tt.extra+`}`), nil)
		var ce *gateway.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: %v; want an error naming %s", tt.extra, err, tt.field)
		}
	}
}
