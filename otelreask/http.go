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
		if len(r.Header["Traceparent"]) > 0 {
			r = r.WithContext(prop.Extract(r.Context(), traceHeaders(r.Header)))
		}
		h.ServeHTTP(w, r)
	})
}

// traceHeaders reads the two trace-context headers from a server
// request's header, whose keys net/http has made canonical, without
// canonicalising the lower-case names the propagator asks for (an
// allocation per request with propagation.HeaderCarrier).
type traceHeaders http.Header

func (c traceHeaders) Get(key string) string {
	switch key {
	case "traceparent":
		key = "Traceparent"
	case "tracestate":
		key = "Tracestate"
	default:
		return http.Header(c).Get(key)
	}
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c traceHeaders) Set(key, value string) { http.Header(c).Set(key, value) }

func (c traceHeaders) Keys() []string { return propagation.HeaderCarrier(c).Keys() }
