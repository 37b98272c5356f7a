package reask_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
)

func userTasks(t *testing.T, n int) iter.Seq2[string, reask.Task] {
	s, err := reask.SchemaFor[UserInfo]()
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
	c := reask.New(openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}))
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
	c := reask.New(openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}))
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
	if f := g.inFlight.Load(); f != 0 {
		t.Errorf("%d requests still in flight after the batch returned", f)
	}
}

func TestBatchConsumerStopsEarly(t *testing.T) {
	g := newGate(t)
	close(g.release)
	c := reask.New(openai.NewProvider(openai.Config{BaseURL: g.srv.URL, Model: "m"}))
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
