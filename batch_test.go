package reask_test

import (
	"io"
	"time"

	"context"
	"errors"
	"fmt"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"iter"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
)

func userTasks(t *testing.T, n int) iter.Seq2[string, reask.Task] {
	s, err := schema.For[UserInfo]()
	if err != nil {
		t.Fatal(err)
	}
	return func(yield func(string, reask.Task) bool) {
		for i := range n {
			if !yield(fmt.Sprintf("item-%d", i), reask.Task{Schema: s, Input: johnText}) {
				return
			}
		}
	}
}

// gate is a provider server whose answers wait until released, counting
// requests in flight.
type gate struct {
	inFlight, peak atomic.Int32
	release        chan struct{}
	srv            *httptest.Server
}

func newGate(t *testing.T) *gate {
	g := &gate{release: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server watch the
		// connection, so that r.Context() ends when the client hangs up.
		io.Copy(io.Discard, r.Body)
		n := g.inFlight.Add(1)
		for {
			p := g.peak.Load()
			if n <= p || g.peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
		g.inFlight.Add(-1)
		w.Write([]byte(completion(johnJSON, "", false)))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func TestBatchBoundedConcurrencyAndAllResults(t *testing.T) {
	g := newGate(t)
	close(g.release)
	c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}), reask.Config{})
	var ids []string
	for r := range c.Batch(t.Context(), userTasks(t, 40), reask.BatchConfig{Concurrency: 4}) {
		if r.Err != nil || string(r.JSON) != johnJSON || r.Report == nil {
			t.Fatalf("result %+v", r)
		}
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if len(ids) != 40 || ids[0] != "item-0" {
		t.Errorf("%d results", len(ids))
	}
	if p := g.peak.Load(); p > 4 {
		t.Errorf("%d requests in flight, want at most 4", p)
	}
}

func TestBatchBreakAbortsInFlight(t *testing.T) {
	g := newGate(t)
	c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}), reask.Config{})
	started := make(chan struct{})
	var once sync.Once
	tasks := userTasks(t, 100)
	wrapped := func(yield func(string, reask.Task) bool) {
		for id, task := range tasks {
			if !yield(id, task) {
				return
			}
			once.Do(func() { close(started) })
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-started; cancel() }()
	var n int
	for r := range c.Batch(ctx, wrapped, reask.BatchConfig{Concurrency: 3}) {
		n++
		if r.Err == nil || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("result after cancel: %+v", r.Err)
		}
	}
	if n > 3 {
		t.Errorf("%d items ran after cancellation, want at most the 3 in flight", n)
	}
	// The server hears of each hang-up in its own time: Close waits for
	// its handlers, which end only if the client hung up on every request
	// (a request left running would keep its handler, and Close, waiting).
	g.srv.Close()
	if f := g.inFlight.Load(); f != 0 {
		t.Errorf("%d requests still in flight after the batch returned", f)
	}
}

func TestBatchConsumerStopsEarly(t *testing.T) {
	g := newGate(t)
	close(g.release)
	c := reasktest.NewClient(t, openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}), reask.Config{})
	n := 0
	for range c.Batch(t.Context(), userTasks(t, 50), reask.BatchConfig{Concurrency: 2}) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("n = %d", n)
	}
}

// flip fails with 503 for its first n calls, then answers.
type flip struct {
	n     int32
	calls atomic.Int32
}

func (f *flip) Name() string { return "flip" }

func (f *flip) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	if f.calls.Add(1) <= f.n {
		return nil, &reask.ProviderError{Provider: "flip", StatusCode: 503, Message: "down"}
	}
	return &reask.Response{Content: johnJSON, FinishReason: "stop"}, nil
}

func TestBatchPausesWhileTheCircuitIsOpen(t *testing.T) {
	clk := clock.NewFake(start)
	p := &flip{n: 3}
	c := reasktest.NewClient(t, p, reask.Config{Clock: clk, MaxTransportRetries: -1, NoRetryBudget: true, Breaker: breaker.Settings{MinCalls: 3, Threshold: 0.5, CoolDown: 20 * time.Second}})
	var failed, ok int
	for r := range c.Batch(t.Context(), userTasks(t, 20), reask.BatchConfig{Concurrency: 1}) {
		switch {
		case r.Err == nil:
			ok++
		case errors.Is(r.Err, reask.ErrCircuitOpen):
			t.Errorf("item %s failed on the open circuit instead of waiting", r.ID)
		default:
			failed++
		}
	}
	if failed != 3 || ok != 17 {
		t.Errorf("%d failed, %d ok; want the 3 items that met the outage to fail and the rest to succeed", failed, ok)
	}
	if p.calls.Load() != 20 {
		t.Errorf("%d calls, want 20 (one per item, none while the circuit was open)", p.calls.Load())
	}
	var waited time.Duration
	for _, d := range clk.Sleeps() {
		waited += d
	}
	if waited < 20*time.Second {
		t.Errorf("waited %s in all, want the cool-down", waited)
	}
}
