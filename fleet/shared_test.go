package fleet

import (
	"testing"

	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

var sharedAcct = shared.Account{BaseURL: acct.BaseURL, Model: acct.Model, APIKey: acct.APIKey}

// Shared's Registry beats once per account whatever the number of clients
// asking, counts the processes from the first call, and leaves the
// registry when the Store is closed.
func TestSharedRegistryBeatsOncePerAccountUntilClose(t *testing.T) {
	srv := redistest.Start(t)
	a, b := join(t, srv), join(t, srv)
	ra, err := a.Shared().Registry(sharedAcct)
	must(t, err)
	again, err := a.Shared().Registry(sharedAcct)
	must(t, err)
	if ra != again {
		t.Error("a second Registry of the same account is another registry: two heartbeats")
	}
	rb, err := b.Shared().Registry(sharedAcct)
	must(t, err)
	if n := rb.LastAlive(); n != 2 {
		t.Fatalf("the second process sees %d alive; want 2", n)
	}
	if n := b.Alive(); n != 2 {
		t.Errorf("Store.Alive = %d; want 2", n)
	}
	must(t, a.Close())
	n, err := rb.(*Registry).Alive(ctx(t), b.clk.Now())
	must(t, err)
	if n != 1 {
		t.Errorf("after the first process closed: %d alive; want 1 (Close leaves the registry)", n)
	}
}

// The adapters return no reservation or ticket with an error: a nil
// interface, not a zero value that looks like one.
func TestSharedAdaptersReturnNilOnError(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	l, err := p.Shared().Limiter(sharedAcct, ratelimit.Config{})
	must(t, err)
	br, err := p.Shared().Breaker(sharedAcct, "x", breakerSettings())
	must(t, err)
	srv.Kill()
	if r, _, err := l.Wait(ctx(t), p.clk, 1); err == nil || r != nil {
		t.Errorf("Wait with Redis down: %v, %v; want an error and no reservation", r, err)
	}
	if tk, err := br.Allow(ctx(t), p.clk.Now()); err == nil || tk != nil {
		t.Errorf("Allow with Redis down: %v, %v; want an error and no ticket", tk, err)
	}
}
