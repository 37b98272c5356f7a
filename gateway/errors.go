package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/schema"
)

// apiError is the "error" member of an OpenAI-style error body. The
// fields after Code are the gateway's additions for exhausted requests.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`

	Attempts   int         `json:"attempts,omitempty"`
	LastKind   string      `json:"last_kind,omitempty"`
	Violations []violation `json:"violations,omitempty"`
	LastOutput *string     `json:"last_output,omitempty"`
}

// violation is one problem of the last answer of an exhausted request.
type violation struct {
	Path     string `json:"path"`
	Problem  string `json:"problem"`
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got,omitempty"`
}

func ptr(s string) *string { return &s }

// maxLastOutput bounds the last answer quoted in a 422.
const maxLastOutput = 2000

func writeError(w http.ResponseWriter, status int, e apiError) {
	b, err := json.Marshal(struct {
		Error apiError `json:"error"`
	}{e})
	if err != nil {
		b = []byte(`{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeRequestError answers a client error found while reading a request.
func writeRequestError(w http.ResponseWriter, err error) {
	var re *requestError
	if !errors.As(err, &re) {
		re = &requestError{msg: err.Error()}
	}
	e := apiError{Type: "invalid_request_error", Message: re.msg}
	if re.param != "" {
		e.Param = ptr(re.param)
	}
	if re.code != "" {
		e.Code = ptr(re.code)
	}
	writeError(w, http.StatusBadRequest, e)
}

// StatusClientClosedRequest is the status recorded (never sent: the client
// is gone) when the client ends a request before its answer.
const StatusClientClosedRequest = 499

// errorAnswer maps an error from reask (Run or Call) to the status and
// body a client gets.
func errorAnswer(err error, now time.Time) (int, apiError, http.Header) {
	h := http.Header{}
	var ee *reask.ExhaustedError
	var pe *reask.ProviderError
	switch {
	case errors.As(err, &ee):
		return http.StatusUnprocessableEntity, exhausted(ee, "schema-valid answer"), h
	case errors.Is(err, reask.ErrCircuitOpen):
		var oe *breaker.OpenError
		if errors.As(err, &oe) && oe.Until.After(now) {
			h.Set("Retry-After", strconv.Itoa(int(math.Ceil(oe.Until.Sub(now).Seconds()))))
		}
		return http.StatusServiceUnavailable, apiError{Type: "server_error", Code: ptr("circuit_open"),
			Message: "The upstream is failing and its circuit breaker is open; the gateway is not sending it requests for now. Retry later."}, h
	case errors.As(err, &pe):
		return upstreamError(pe, h)
	case errors.Is(err, context.Canceled):
		return StatusClientClosedRequest, apiError{Type: "invalid_request_error", Code: ptr("client_closed_request"),
			Message: "The client closed the request."}, h
	case errors.Is(err, reask.ErrDeadline), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, apiError{Type: "timeout", Code: ptr("upstream_timeout"),
			Message: "The upstream did not answer in time: " + err.Error()}, h
	case errors.Is(err, reask.ErrContextBudget), errors.Is(err, reask.ErrTokenBudget):
		return http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: ptr("context_budget_exceeded"),
			Message: err.Error()}, h
	case errors.Is(err, reask.ErrCostBudget):
		return http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: ptr("cost_budget_exceeded"),
			Message: err.Error()}, h
	case errors.Is(err, reask.ErrInvalidInput):
		return http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: ptr("invalid_request"),
			Message: err.Error()}, h
	case errors.Is(err, reask.ErrRetryBudget):
		return http.StatusServiceUnavailable, apiError{Type: "server_error", Code: ptr("retry_budget_exhausted"),
			Message: err.Error()}, h
	}
	return http.StatusBadGateway, apiError{Type: "server_error", Code: ptr("upstream_unreachable"),
		Message: "The upstream could not be reached: " + err.Error()}, h
}

// upstreamError passes an upstream's error answer on: its status, type,
// code and param. A refusal of the gateway's own credentials is reworded:
// the client's key was fine, and the upstream's text may quote part of
// the gateway's key.
func upstreamError(pe *reask.ProviderError, h http.Header) (int, apiError, http.Header) {
	e := apiError{Type: pe.Type, Message: pe.Message}
	if e.Type == "" {
		e.Type = defaultErrorType(pe.StatusCode)
	}
	if pe.Code != "" {
		e.Code = ptr(pe.Code)
	}
	if pe.Param != "" {
		e.Param = ptr(pe.Param)
	}
	if pe.StatusCode/100 == 3 {
		// Where the upstream pointed is the operator's business (the log
		// has it), not the client's.
		return http.StatusBadGateway, apiError{Type: "server_error", Code: ptr("upstream_redirect"),
			Message: fmt.Sprintf("The upstream answered HTTP %d, a redirect, which the gateway does not follow. The gateway's operator must fix the upstream's base URL.", pe.StatusCode)}, h
	}
	if pe.StatusCode == http.StatusUnauthorized || pe.StatusCode == http.StatusForbidden || pe.Kind == reask.KindAuth {
		what := pe.Code
		if what == "" {
			what = pe.Type
		}
		e.Message = fmt.Sprintf("The upstream refused the gateway's credentials (HTTP %d %s). The gateway's operator must fix its upstream API key.", pe.StatusCode, what)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("The upstream answered HTTP %d.", pe.StatusCode)
	}
	if pe.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(pe.RetryAfter.Seconds()))))
	}
	status := pe.StatusCode
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	return status, e, h
}

func defaultErrorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

// exhausted describes a request whose every attempt failed to give what
// it sought ("schema-valid answer", "valid JSON object").
func exhausted(ee *reask.ExhaustedError, sought string) apiError {
	attempts := 0
	if ee.Report != nil {
		attempts = ee.Report.Attempts
	}
	e := apiError{Type: "invalid_response_error", Code: ptr("reask_exhausted"),
		Attempts: attempts, LastKind: string(ee.LastKind), Violations: []violation{}}
	var b strings.Builder
	fmt.Fprintf(&b, "The model gave no %s in %d attempt(s); the last one failed (%s)", sought, attempts, ee.LastKind)
	for i, v := range ee.Violations {
		e.Violations = append(e.Violations, violation{Path: v.Path, Problem: v.Problem, Expected: v.Expected, Got: v.Got})
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		b.WriteString(sep + v.String())
	}
	if len(ee.Violations) == 0 && ee.Err != nil {
		b.WriteString(": " + ee.Err.Error())
	}
	b.WriteString(".")
	e.Message = b.String()
	if ee.LastRaw != "" {
		e.LastOutput = ptr(schema.Shorten(ee.LastRaw, maxLastOutput))
	}
	return e
}
