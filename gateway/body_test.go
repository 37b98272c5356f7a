package gateway_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

// TestDeclaredLengthDoesNotSizeTheBuffer sends requests that declare a
// 4 MiB body and carry one byte: the gateway must allocate as the bytes
// arrive, not what the Content-Length promises (issue 12, item 3: 200 such
// connections held 830 MB).
func TestDeclaredLengthDoesNotSizeTheBuffer(t *testing.T) {
	g, err := gateway.New(gateway.Config{
		Upstreams:  []gateway.Upstream{{Name: "sim", BaseURL: "http://127.0.0.1:1/v1"}},
		ClientKeys: []reask.Secret{clientKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	const declared, requests = 4 << 20, 20
	serve := func() {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/v1/chat/completions", strings.NewReader("{"))
		req.ContentLength = declared
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+clientKey)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	serve() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range requests {
		serve()
	}
	runtime.ReadMemStats(&after)
	if perRequest := (after.TotalAlloc - before.TotalAlloc) / requests; perRequest > declared/8 {
		t.Errorf("a request declaring %d bytes and sending 1 allocated %d bytes, want under %d", declared, perRequest, declared/8)
	}
}

// TestLargeBodyIsReadWhole checks that a body far larger than the first
// buffer goes upstream byte for byte.
func TestLargeBodyIsReadWhole(t *testing.T) {
	up, rec := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`))
	})
	gw, _ := newGateway(t, up.URL, func(c *gateway.Config) { c.MaxBodyBytes = 8 << 20 })
	body := plainRequest(`,"user":"` + strings.Repeat("abcdefgh", 3<<17) + `"`) // 3 MiB
	status, _, b := call(t, gw, body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %.200s", status, b)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || !bytes.Equal(reqs[0].body, []byte(body)) {
		t.Fatalf("the upstream got %d requests, or a body other than the %d bytes sent", len(reqs), len(body))
	}
}
