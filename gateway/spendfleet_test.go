package gateway_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/redistest"
)

// spendReplica returns a gateway whose key team-a may spend $0.0004 a day
// (four requests of $0.000101), on clk, in fleet mode on srv when srv is not nil.
func spendReplica(t *testing.T, upURL string, clk clock.Clock, srv *redistest.Server, log *bytes.Buffer) *httptest.Server {
	t.Helper()
	gw, _ := newGateway(t, upURL, func(c *gateway.Config) {
		c.Clock = clk
		c.Prices = testPrices
		c.ClientKeyNames = []string{"team-a"}
		c.ClientDailyCost = map[string]float64{"team-a": 0.0004}
		if srv != nil {
			c.Redis = fleet.Config{URL: srv.URL(), Timeout: fleet.MaxTimeout}
		}
		if log != nil {
			c.Logger = slog.New(slog.NewTextHandler(log, nil))
		}
	})
	return gw
}

// passes sends schema requests to the gateways in turn until one is
// refused with 429 insufficient_quota, and returns how many passed.
func passes(t *testing.T, gws ...*httptest.Server) int {
	t.Helper()
	for n := range 20 {
		status, _, body := call(t, gws[n%len(gws)], schemaRequest(""))
		if status == http.StatusOK {
			continue
		}
		if status != http.StatusTooManyRequests || !strings.Contains(string(body), "insufficient_quota") {
			t.Fatalf("request %d: HTTP %d %s", n+1, status, body)
		}
		return n
	}
	t.Fatal("20 requests passed a limit of about four")
	return 0
}

// Two gateway replicas on one Redis share a key's daily spend: their
// combined spend reaches the limit after as many requests as one gateway
// alone takes, and then both refuse the key, until the next UTC day. The
// counter is named by a hash of the key and expires after its day.
func TestDailySpendLimitIsFleetWide(t *testing.T) {
	srv := redistest.Start(t)
	up, _ := newSim(t, clean)
	start := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	alone := passes(t, spendReplica(t, up.URL, clock.NewFake(start), nil, nil))
	if alone < 1 {
		t.Fatalf("one gateway alone passed %d requests", alone)
	}

	clk := clock.NewFake(start)
	a, b := spendReplica(t, up.URL, clk, srv, nil), spendReplica(t, up.URL, clk, srv, nil)
	if got := passes(t, a, b); got != alone {
		t.Errorf("two replicas passed %d requests in all; one alone passes %d: the limit must be the fleet's", got, alone)
	}
	for name, gw := range map[string]*httptest.Server{"a": a, "b": b} {
		if status, _, body := call(t, gw, schemaRequest("")); status != http.StatusTooManyRequests {
			t.Errorf("replica %s after the limit: HTTP %d %s", name, status, body)
		}
	}

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { rdb.Close() })
	keys, err := rdb.Keys(t.Context(), "reask:spend:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasSuffix(keys[0], ":2026-05-01") || strings.Contains(keys[0], clientKey) {
		t.Fatalf("spend keys %q; want one reask:spend:<hash>:2026-05-01, without the key", keys)
	}
	// The clock stood at 22:00 UTC: the day ends in 2 h, the counter an
	// hour later.
	if ttl, err := rdb.PTTL(t.Context(), keys[0]).Result(); err != nil || ttl > 3*time.Hour || ttl < 3*time.Hour-time.Minute {
		t.Errorf("the counter expires in %v (%v); want 3h, an hour after its day", ttl, err)
	}

	clk.Advance(2 * time.Hour) // midnight UTC: a new day
	if status, _, body := call(t, b, schemaRequest("")); status != http.StatusOK {
		t.Errorf("the next day: HTTP %d %s", status, body)
	}
}

// While Redis is down the replicas fall back to their own counts (never
// hanging, logging the switch once), and what a replica spent meanwhile
// reaches the fleet's counter once Redis is back.
func TestDailySpendLimitFailsOpen(t *testing.T) {
	srv := redistest.Start(t)
	up, _ := newSim(t, clean)
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	alone := passes(t, spendReplica(t, up.URL, clock.NewFake(start), nil, nil))

	clk := clock.NewFake(start)
	var log bytes.Buffer
	a := spendReplica(t, up.URL, clk, srv, &log)
	srv.Kill()
	if got := passes(t, a); got != alone {
		t.Errorf("with Redis down a replica passed %d requests; want %d, its own count's", got, alone)
	}
	if n := strings.Count(log.String(), "shared state unavailable"); n != 1 {
		t.Errorf("the outage was logged %d times; want once:\n%s", n, log.String())
	}
	_, _, metrics := do(t, a, http.MethodGet, "/metrics", clientKey, "")
	if strings.Contains(string(metrics), "reask_shared_state_errors_total 0\n") {
		t.Error("the outage is not counted in reask_shared_state_errors_total")
	}

	srv.Restart()            // empty
	clk.Advance(time.Minute) // past the Store's recheck
	b := spendReplica(t, up.URL, clk, srv, nil)
	// a's next request, refused on its own count, sends Redis what a
	// spent during the outage: b, which spent nothing, must refuse too.
	if status, _, body := call(t, a, schemaRequest("")); status != http.StatusTooManyRequests {
		t.Errorf("replica a after the outage: HTTP %d %s", status, body)
	}
	if got := passes(t, b); got != 0 {
		t.Errorf("after the outage the other replica passed %d requests; want 0: the outage's spend must reach Redis", got)
	}
}
