package fleet

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
)

// Every key the policies write is under "reask:" and the account's hash,
// holds nothing of the API key, and expires on its own.
func TestKeysNamespacedWithTTLAndNoSecret(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	calls := newOutageCalls(t, p)
	for _, err := range calls.each(ctx(t), t0) {
		must(t, err)
	}
	must(t, calls.bud.OnFailure(ctx(t))) // a budget not full: a key
	rdb := inspect(t, srv)
	keys, err := rdb.Keys(ctx(t), "*").Result()
	must(t, err)
	ns := acct.Namespace()
	want := map[string]time.Duration{ // the most each TTL may be
		ns + ":limiter": DefaultStateTTL + time.Minute,
		ns + ":breaker": DefaultStateTTL + time.Minute,
		ns + ":budget":  DefaultStateTTL,
		ns + ":alive":   2 * DefaultHeartbeat,
	}
	if len(keys) != len(want) {
		t.Errorf("keys %q, want %d", keys, len(want))
	}
	for _, k := range keys {
		most, ok := want[k]
		if !ok {
			t.Errorf("unexpected key %q", k)
			continue
		}
		ttl, err := rdb.PTTL(ctx(t), k).Result()
		must(t, err)
		if ttl <= 0 || ttl > most {
			t.Errorf("%s: TTL %s, want in (0, %s]", k, ttl, most)
		}
		dump, err := rdb.Dump(ctx(t), k).Result()
		must(t, err)
		if strings.Contains(k, acct.APIKey) || strings.Contains(dump, acct.APIKey) {
			t.Errorf("%s holds the API key", k)
		}
	}
	// The breaker's TTL covers its window, cool-down and probe timeout.
	s := breakerSettings()
	if ttl, _ := rdb.PTTL(ctx(t), ns+":breaker").Result(); ttl < DefaultStateTTL+s.Window+s.CoolDown+s.ProbeTimeout-time.Second {
		t.Errorf("breaker TTL %s is shorter than its state lasts", ttl)
	}
}

// The namespace tells accounts apart and shows none of their parts.
func TestNamespace(t *testing.T) {
	a := acct
	other := []Account{
		{BaseURL: a.BaseURL, Model: "gpt-other", APIKey: a.APIKey},
		{BaseURL: a.BaseURL, Model: a.Model, APIKey: "sk-another"},
		{BaseURL: "https://other.example/v1", Model: a.Model, APIKey: a.APIKey},
		{BaseURL: a.BaseURL + a.Model, Model: "", APIKey: a.APIKey},
	}
	if !regexp.MustCompile(`^reask:[0-9a-f]{32}$`).MatchString(a.Namespace()) || a.Namespace() != acct.Namespace() {
		t.Fatalf("namespace %q", a.Namespace())
	}
	for _, o := range other {
		if o.Namespace() == a.Namespace() {
			t.Errorf("%v and %v share a namespace", o, a)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "account", a)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), buf.String()} {
		if strings.Contains(s, a.APIKey) {
			t.Errorf("the API key is printed: %s", s)
		}
	}
}

// The limiter's key lives as long as its bucket takes to refill: a bucket
// in debt keeps its state until it is whole again.
func TestLimiterTTLCoversRefill(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, l.Observe(ctx(t), t0, snap(0, 10000))) // empty: a minute to refill
	for range 30 {
		if _, err := l.Reserve(ctx(t), t0, 0); err != nil {
			t.Fatal(err)
		}
	}
	ttl, err := inspect(t, srv).PTTL(ctx(t), l.Key()).Result()
	must(t, err)
	// 90 requests to refill at one a second, plus the least TTL.
	if want := DefaultStateTTL + 90*time.Second; ttl < want-time.Second || ttl > want {
		t.Errorf("TTL %s, want %s", ttl, want)
	}
}
