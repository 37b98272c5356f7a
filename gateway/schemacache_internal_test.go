package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/fault"
)

// objectSchema is an object with n string properties named after tag.
func objectSchema(tag string, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%d":{"type":"string"}`, tag, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// Issue 12, item 2: the cache is bounded in bytes as well as in count, and
// drops the least recently used schema first.
func TestSchemaCacheBoundedInBytes(t *testing.T) {
	one, err := schema.Compile(objectSchema("f00_", 50))
	if err != nil {
		t.Fatal(err)
	}
	size := int64(one.Footprint())
	c := newSchemaCache(100, 1)
	bound := 5 * size
	keys := make([]schemaKey, 20)
	for i := range keys {
		s, key, err := c.compile(t.Context(), schema.Config{}, "s", objectSchema(fmt.Sprintf("f%02d_", i), 50))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = key
		c.keep(key, s, bound)
		if i == 16 { // use the oldest kept one again: it stays
			c.compile(t.Context(), schema.Config{}, "s", objectSchema("f12_", 50))
		}
		if n, bytes := c.usage(); bytes > bound || n > 5 {
			t.Fatalf("after %d schemas: %d kept, %d bytes; the bound is %d", i+1, n, bytes, bound)
		}
	}
	for i, key := range keys {
		_, kept := c.m[key]
		if want := i == 12 || i >= 16; kept != want {
			t.Errorf("schema %d kept %t, want %t", i, kept, want)
		}
	}

	// A schema larger than the whole bound is not kept, and evicts nothing.
	big, key, err := c.compile(t.Context(), schema.Config{}, "big", objectSchema("b", 400))
	if err != nil {
		t.Fatal(err)
	}
	c.keep(key, big, bound)
	if n, _ := c.usage(); n != 5 {
		t.Errorf("%d kept after an oversized schema, want 5", n)
	}
}

// A schema enters the cache only once a request with it has succeeded: a
// client whose requests fail cannot fill it.
func TestSchemaCachedOnlyAfterSuccess(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile sim.Profile
		status  int
		cached  int
	}{
		{"failed", sim.Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}}, http.StatusUnprocessableEntity, 0},
		{"succeeded", sim.Profile{}, http.StatusOK, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, err := sim.New(sim.Config{Seed: 7, Profile: tc.profile})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(up)
			defer srv.Close()
			g, err := New(Config{Upstreams: []Upstream{{Name: "sim", BaseURL: srv.URL + "/v1"}},
				ClientKeys: []reask.Secret{"k"}})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Contact John Doe, age 30"}],` +
				`"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":` +
				`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}}}}`
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			g.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if n, _ := g.schemas.usage(); n != tc.cached {
				t.Errorf("%d schemas cached, want %d", n, tc.cached)
			}
		})
	}
}

// Compilations share a bounded number of slots: while every slot is taken,
// a new schema waits and gives up when its request's context ends, and a
// cached schema is served without waiting.
func TestSchemaCompilationsShareSlots(t *testing.T) {
	c := newSchemaCache(10, 1)
	cached, key, err := c.compile(t.Context(), schema.Config{}, "s", objectSchema("a", 3))
	if err != nil {
		t.Fatal(err)
	}
	c.keep(key, cached, 1<<30)
	c.compiling <- struct{}{} // another compilation holds the only slot
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := c.compile(ctx, schema.Config{}, "s", objectSchema("b", 3)); !errors.Is(err, errCompileBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("a new schema with every slot taken: %v, want errCompileBusy and context.Canceled", err)
	}
	if s, _, err := c.compile(ctx, schema.Config{}, "s", objectSchema("a", 3)); err != nil || s != cached {
		t.Fatalf("the cached schema with every slot taken: %v, %v", s, err)
	}
	<-c.compiling
	if _, _, err := c.compile(t.Context(), schema.Config{}, "s", objectSchema("b", 3)); err != nil {
		t.Fatalf("a new schema with a free slot: %v", err)
	}
	if n := len(c.compiling); n != 0 {
		t.Fatalf("%d slots still taken after the compilations ended", n)
	}
}

// A request whose new schema finds every compilation slot taken until its
// context ends is answered 503 server_busy with a Retry-After, before any
// upstream call.
func TestBusyCompilationIs503(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	g, err := New(Config{Upstreams: []Upstream{{Name: "up", BaseURL: srv.URL + "/v1"}},
		ClientKeys: []reask.Secret{"k"}, MaxConcurrentCompiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.schemas.compiling <- struct{}{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	body := `{"model":"m","messages":[{"role":"user","content":"x"}],` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"}}}}`
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"server_busy"`) || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q: %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if calls != 0 {
		t.Errorf("%d upstream calls, want none", calls)
	}
}
