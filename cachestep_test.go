package reask_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/schema"
)

// countingProvider answers every call with the next of its answers (the
// last one repeated) and counts the calls.
type countingProvider struct {
	answers []string
	calls   atomic.Int32
}

func (p *countingProvider) Name() string { return "test/model" }

func (p *countingProvider) Complete(_ context.Context, req *reask.Request) (*reask.Response, error) {
	n := int(p.calls.Add(1)) - 1
	a := p.answers[min(n, len(p.answers)-1)]
	return &reask.Response{Content: a, FinishReason: "stop", Model: "gpt-4o-mini",
		Usage: reask.Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120}}, nil
}

// memStore is a cache.Store in memory; fail makes every call fail.
type memStore struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error
	puts int
}

func (s *memStore) Get(_ context.Context, k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, false, s.fail
	}
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memStore) Put(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[k] = v
	s.puts++
	return nil
}

var personSchema = schema.MustCompile(`{"type":"object","properties":{"name":{"type":"string","minLength":2}},"required":["name"],"additionalProperties":false}`)

func TestCacheHitMakesNoCall(t *testing.T) {
	p := &countingProvider{answers: []string{`{"name":"Ada"}`}}
	store := &memStore{}
	c, err := reask.New(p, reask.Config{Cache: store})
	if err != nil {
		t.Fatal(err)
	}
	task := reask.Task{Schema: personSchema, Input: "Ada Lovelace wrote the first program."}
	doc1, rep1, err := c.Run(t.Context(), task)
	if err != nil {
		t.Fatal(err)
	}
	if rep1.Cache != cache.Miss || rep1.Calls != 1 {
		t.Fatalf("first run: cache %q, calls %d; want miss, 1", rep1.Cache, rep1.Calls)
	}
	doc2, rep2, err := c.Run(t.Context(), task)
	if err != nil {
		t.Fatal(err)
	}
	if p.calls.Load() != 1 {
		t.Fatalf("provider called %d times, want 1 (the second run a cache hit)", p.calls.Load())
	}
	if rep2.Cache != cache.Hit || rep2.Calls != 0 || rep2.Attempts != 0 || rep2.Outcome != reask.KindOK {
		t.Fatalf("second run: cache %q calls %d attempts %d outcome %s; want hit, 0, 0, ok", rep2.Cache, rep2.Calls, rep2.Attempts, rep2.Outcome)
	}
	if rep2.CostUSD == nil || *rep2.CostUSD != 0 || rep2.Usage.TotalTokens != 0 {
		t.Fatalf("a hit cost %v and %d tokens, want $0 and none", rep2.CostUSD, rep2.Usage.TotalTokens)
	}
	if string(doc1) != string(doc2) {
		t.Fatalf("hit returned %s, want %s", doc2, doc1)
	}

	// What decides the answer is in the key: another schema, input,
	// mode or temperature misses.
	other := schema.MustCompile(`{"type":"object","properties":{"name":{"type":"string","description":"full name"}},"required":["name"],"additionalProperties":false}`)
	misses := []struct {
		name string
		task reask.Task
		opts []reask.Option
	}{
		{"schema description", reask.Task{Schema: other, Input: task.Input}, nil},
		{"input", reask.Task{Schema: personSchema, Input: "Grace Hopper."}, nil},
		{"mode", task, []reask.Option{reask.WithMode(reask.ModeTools)}},
		{"max tokens", task, []reask.Option{reask.WithMaxTokens(50)}},
	}
	for _, m := range misses {
		before := p.calls.Load()
		_, rep, err := c.Run(t.Context(), m.task, m.opts...)
		if err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if rep.Cache != cache.Miss || p.calls.Load() != before+1 {
			t.Errorf("changed %s: cache %q, %d calls; want a miss and a call", m.name, rep.Cache, p.calls.Load()-before)
		}
	}
	hot, err := reask.New(p, reask.Config{Cache: store, Temperature: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	if _, rep, _ := hot.Run(t.Context(), task); rep.Cache != cache.Miss {
		t.Errorf("changed temperature: cache %q, want miss", rep.Cache)
	}
	if _, rep, _ := c.Run(cache.Off(t.Context()), task); rep.Cache != "" || rep.Calls != 1 {
		t.Errorf("cache.Off: cache %q, %d calls; want no cache and a call", rep.Cache, rep.Calls)
	}
}

func TestCacheStoresOnlyValidResults(t *testing.T) {
	p := &countingProvider{answers: []string{`{"name":"A"}`}} // always too short
	store := &memStore{}
	c, err := reask.New(p, reask.Config{Cache: store, MaxAttempts: 2, NoAdaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	task := reask.Task{Schema: personSchema, Input: "A."}
	if _, _, err := c.Run(t.Context(), task); !errors.Is(err, reask.ErrExhausted) {
		t.Fatalf("err = %v, want ErrExhausted", err)
	}
	if store.puts != 0 {
		t.Fatalf("a failed extraction stored %d entries, want none", store.puts)
	}
	_, rep, _ := c.Run(t.Context(), task)
	if rep.Cache != cache.Miss || rep.Calls != 2 {
		t.Fatalf("rerun of a failure: cache %q, calls %d; want a miss and 2 calls", rep.Cache, rep.Calls)
	}
}

func TestCacheFailureIsCountedNotFatal(t *testing.T) {
	p := &countingProvider{answers: []string{`{"name":"Ada"}`}}
	c, err := reask.New(p, reask.Config{Cache: cache.Unavailable(errors.New("mkdir /ro/reask: read-only file system"))})
	if err != nil {
		t.Fatal(err)
	}
	doc, rep, err := c.Run(t.Context(), reask.Task{Schema: personSchema, Input: "Ada."})
	if err != nil || string(doc) != `{"name":"Ada"}` {
		t.Fatalf("Run = %s, %v; want the answer despite the cache", doc, err)
	}
	if rep.CacheErrors != 2 || rep.Calls != 1 {
		t.Fatalf("cache errors %d, calls %d; want 2 (read and write), 1", rep.CacheErrors, rep.Calls)
	}
}
