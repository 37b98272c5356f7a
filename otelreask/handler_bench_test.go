package otelreask_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reask/reask/otelreask"
)

// BenchmarkHandler is what continuing an incoming traceparent costs a
// request: the header parsed and the request's context replaced.
func BenchmarkHandler(b *testing.B) {
	h := otelreask.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
