package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/sim"
)

// Benchmarks of one request through the gateway and straight to the
// simulator, on loopback, one at a time. bench/gateway measures latency
// percentiles and throughput under concurrency; these measure the cost per
// request (run with -benchmem, profile with -cpuprofile).

func benchTargets(b *testing.B) (direct, gw *httptest.Server) {
	b.Helper()
	s, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	direct = httptest.NewServer(s)
	b.Cleanup(direct.Close)
	g, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: direct.URL + "/v1"}}})
	if err != nil {
		b.Fatal(err)
	}
	gw = httptest.NewServer(g)
	b.Cleanup(func() { gw.Close(); g.Close() })
	return direct, gw
}

func benchPost(b *testing.B, client *http.Client, url, body string) {
	resp, err := client.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

func BenchmarkRequest(b *testing.B) {
	direct, gw := benchTargets(b)
	for _, tc := range []struct{ name, body string }{
		{"passthrough", plainRequest("")},
		{"schema", schemaRequest("")},
		{"stream", plainRequest(`,"stream":true`)},
	} {
		for _, target := range []struct {
			name string
			srv  *httptest.Server
		}{{"direct", direct}, {"gateway", gw}} {
			b.Run(tc.name+"/"+target.name, func(b *testing.B) {
				client := target.srv.Client()
				benchPost(b, client, target.srv.URL, tc.body) // warm the connection
				b.ReportAllocs()
				for b.Loop() {
					benchPost(b, client, target.srv.URL, tc.body)
				}
			})
		}
	}
}

// BenchmarkHandler is the gateway's own work per request, without the
// client's side of HTTP: the handler called directly.
func BenchmarkHandler(b *testing.B) {
	s, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	up := httptest.NewServer(s)
	b.Cleanup(up.Close)
	g, err := gateway.New(gateway.Config{Upstreams: []gateway.Upstream{{Name: "sim", BaseURL: up.URL + "/v1"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	for _, tc := range []struct{ name, body string }{
		{"passthrough", plainRequest("")},
		{"schema", schemaRequest("")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("POST", "http://127.0.0.1/v1/chat/completions", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				g.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
