package fleet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/redistest"
)

// Processes that beat are counted until their heartbeat expires; one that
// leaves is not; LastAlive keeps the last count for when Redis is gone.
func TestRegistry(t *testing.T) {
	srv := redistest.Start(t)
	reg := func(id string) *Registry {
		r, err := join(t, srv).Registry(acct, RegistryConfig{ID: id, TTL: 9 * time.Second})
		must(t, err)
		return r
	}
	a, b, c := reg("a"), reg("b"), reg("c")
	if a.LastAlive() != 1 {
		t.Errorf("LastAlive before any beat: %d, want 1", a.LastAlive())
	}
	for _, r := range []*Registry{a, b, c} {
		if _, err := r.Beat(ctx(t), t0); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := a.Alive(ctx(t), t0); n != 3 || err != nil || a.LastAlive() != 3 {
		t.Fatalf("alive %d (%v), LastAlive %d; want 3", n, err, a.LastAlive())
	}
	must(t, c.Leave(ctx(t)))
	// b beats again; a's heartbeat has expired 10s later.
	if n, _ := b.Beat(ctx(t), t0.Add(5*time.Second)); n != 2 {
		t.Errorf("after c left: %d alive, want 2", n)
	}
	if n, _ := b.Alive(ctx(t), t0.Add(10*time.Second)); n != 1 {
		t.Errorf("after a's heartbeat expired: %d alive, want 1", n)
	}
}

// Run beats every TTL/3 until its context ends, then leaves.
func TestRegistryRun(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	r, err := p.Registry(acct, RegistryConfig{ID: "runner", TTL: 3 * time.Second})
	must(t, err)
	cx, cancel := context.WithCancel(ctx(t))
	clk := &countClock{Fake: clock.NewFake(t0), stopAfter: 3, cancel: cancel}
	if err := r.Run(cx, clk); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if got := clk.Sleeps(); len(got) != 3 || got[0] != time.Second {
		t.Errorf("slept %v, want 1s three times", got)
	}
	if n, _ := r.Alive(ctx(t), clk.Now()); n != 0 {
		t.Errorf("%d alive after Run ended, want 0", n)
	}
}

// countClock is a fake clock that cancels a context at its nth sleep.
type countClock struct {
	*clock.Fake
	stopAfter int
	cancel    context.CancelFunc
}

func (c *countClock) Sleep(cx context.Context, d time.Duration) error {
	if len(c.Sleeps()) == c.stopAfter-1 {
		c.Fake.Sleep(cx, d)
		c.cancel()
		return cx.Err()
	}
	return c.Fake.Sleep(cx, d)
}

// After a Redis restart the processes beat again one by one: a count lower
// than one seen less than a TTL before does not lower LastAlive yet, so
// that a process falling back to its local limiter then does not take the
// share of a smaller fleet; a TTL after the higher count, it does.
func TestRegistryLastAliveAfterARestart(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	reg := func(id string) *Registry {
		r, err := p.Registry(acct, RegistryConfig{ID: id, TTL: 9 * time.Second})
		must(t, err)
		return r
	}
	a, b, c := reg("a"), reg("b"), reg("c")
	for _, r := range []*Registry{b, c, a} {
		_, err := r.Beat(ctx(t), t0)
		must(t, err)
	}
	must(t, inspect(t, srv).Del(ctx(t), a.Key()).Err()) // the registry lost, as by a restart
	for _, tt := range []struct {
		at         time.Duration
		alive, got int
	}{
		{1 * time.Second, 1, 3}, // a beats first: 1 alive, but 3 were a second ago
		{8 * time.Second, 1, 3},
		{9 * time.Second, 1, 1}, // a TTL after the 3: believed
		{10 * time.Second, 1, 1},
	} {
		n, err := a.Beat(ctx(t), t0.Add(tt.at))
		must(t, err)
		if n != tt.alive || a.LastAlive() != tt.got {
			t.Errorf("at %s: Beat %d, LastAlive %d; want %d and %d", tt.at, n, a.LastAlive(), tt.alive, tt.got)
		}
	}
	// A higher count is believed at once.
	_, err := b.Beat(ctx(t), t0.Add(10*time.Second))
	must(t, err)
	if n, _ := a.Beat(ctx(t), t0.Add(11*time.Second)); n != 2 || a.LastAlive() != 2 {
		t.Errorf("after b beat again: %d alive, LastAlive %d; want 2 and 2", n, a.LastAlive())
	}
}
