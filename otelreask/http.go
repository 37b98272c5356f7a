package otelreask

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"
)

// Handler continues the trace an incoming request names in its W3C
// traceparent (and tracestate) headers: the request's context carries the
// remote span, so that the spans of the extractions serving it are its
// children. A request without one, or with a malformed one, starts a new
// trace. Handler adds no span of its own and costs nothing when tracing
// is off.
func Handler(h http.Handler) http.Handler {
	var prop propagation.TraceContext
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("traceparent") != "" {
			r = r.WithContext(prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
		}
		h.ServeHTTP(w, r)
	})
}
