package gateway_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

// callCache posts a schema request, with "x-reask-cache: off" when off.
func callCache(t *testing.T, gw string, off bool) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, gw+"/v1/chat/completions", strings.NewReader(schemaRequest("")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	if off {
		req.Header.Set("x-reask-cache", "off")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// With the cache on, the same schema request again is answered from it
// without an upstream call, at $0; "x-reask-cache: off" goes upstream.
func TestGatewayCache(t *testing.T) {
	up, rec := newSim(t, sim.Profile{})
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.Cache = gateway.CacheConfig{On: true, Dir: t.TempDir()} })
	code, h, body1 := callCache(t, gw.URL, false)
	if code != 200 || h.Get("X-Reask-Cache") != "miss" {
		t.Fatalf("first request: %d, X-Reask-Cache %q: %s", code, h.Get("X-Reask-Cache"), body1)
	}
	calls := len(rec.requests())
	code, h, body2 := callCache(t, gw.URL, false)
	if code != 200 || h.Get("X-Reask-Cache") != "hit" || h.Get("X-Reask-Cost-Usd") != "0" {
		t.Fatalf("second request: %d, X-Reask-Cache %q, cost %q: %s", code, h.Get("X-Reask-Cache"), h.Get("X-Reask-Cost-Usd"), body2)
	}
	if n := len(rec.requests()); n != calls {
		t.Fatalf("a cache hit made %d upstream calls, want 0", n-calls)
	}
	if got, want := validPerson(t, content(t, body2)), validPerson(t, content(t, body1)); got != want {
		t.Fatalf("hit answered %+v, want %+v", got, want)
	}
	code, h, _ = callCache(t, gw.URL, true)
	if code != 200 || h.Get("X-Reask-Cache") != "" || len(rec.requests()) != calls+1 {
		t.Fatalf("x-reask-cache: off: %d, X-Reask-Cache %q, %d calls; want a call", code, h.Get("X-Reask-Cache"), len(rec.requests())-calls)
	}
}

// content is the answer's message content.
func content(t *testing.T, body string) string {
	t.Helper()
	c := decode[completion](t, []byte(body))
	if len(c.Choices) == 0 || c.Choices[0].Message.Content == nil {
		t.Fatalf("no content: %s", body)
	}
	return *c.Choices[0].Message.Content
}

// A cache directory that cannot be created is no failure to start.
func TestGatewayCacheUnwritable(t *testing.T) {
	up, _ := newSim(t, sim.Profile{})
	notDir := t.TempDir() + "/file"
	if err := os.WriteFile(notDir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.Cache = gateway.CacheConfig{On: true, Dir: notDir} })
	if code, _, body := callCache(t, gw.URL, false); code != 200 {
		t.Fatalf("with an unusable cache: %d %s", code, body)
	}
	if _, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: up.URL + "/v1"}},
		Cache: gateway.CacheConfig{On: true}}); err == nil || !strings.Contains(err.Error(), "Cache.Dir") {
		t.Fatalf("a cache without a directory or Redis: %v, want an error naming Cache.Dir", err)
	}
}
