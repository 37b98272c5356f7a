package reask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/shared"
)

// Kind classifies the outcome of an attempt or a call. Reports, statistics
// and metrics count by Kind; its string values are stable.
type Kind string

// Outcome kinds. Content kinds fail an attempt and lead to a re-ask;
// transport kinds fail a call and lead to a backoff (or stop at once when
// retrying cannot help).
const (
	KindOK Kind = "ok"

	// Content failures.
	KindJSONSyntax Kind = "json_syntax" // the answer is not JSON, even after repair
	KindSchema     Kind = "schema"      // JSON that violates the schema
	KindSemantic   Kind = "semantic"    // the type's Validate method refused it
	KindTruncated  Kind = "truncated"   // cut off (finish_reason "length" or unclosed JSON)
	KindEmpty      Kind = "empty"       // no content at all
	KindRefusal    Kind = "refusal"     // the model declined

	// Transport failures that may succeed later.
	KindRateLimit  Kind = "rate_limit" // a rate limit (429): wait and send again
	KindServer     Kind = "server"     // the provider failed or is overloaded (5xx, 408, 409)
	KindConnection Kind = "connection" // reset, refused, EOF, a DNS server that failed
	KindTimeout    Kind = "timeout"    // the call timed out

	// Failures that retrying cannot fix.
	KindQuota         Kind = "quota"          // the account's quota or credit is spent
	KindBadRequest    Kind = "bad_request"    // the request as sent cannot succeed (400, 404, 413, 422)
	KindContextLength Kind = "context_length" // the conversation is longer than the model takes
	KindAuth          Kind = "auth"           // the key is refused (401, 403)
	KindHostNotFound  Kind = "host_not_found" // DNS "no such host": a wrong base URL (a DNS failure that may pass is KindConnection)
	KindCanceled      Kind = "canceled"       // the caller's context ended
	KindCircuitOpen   Kind = "circuit_open"   // the breaker refused the call, or the shared state is down and fails closed (shared.ErrFailClosed)
	KindBudget        Kind = "budget"         // a token, retry or context budget is spent
	KindUnknown       Kind = "unknown"
)

// Content reports whether k is a content failure, answered by a re-ask.
func (k Kind) Content() bool {
	switch k {
	case KindJSONSyntax, KindSchema, KindSemantic, KindTruncated, KindEmpty, KindRefusal:
		return true
	}
	return false
}

// Retryable reports whether a call that failed with k may succeed if sent again.
func (k Kind) Retryable() bool {
	switch k {
	case KindRateLimit, KindServer, KindConnection, KindTimeout:
		return true
	}
	return false
}

// Sentinel errors; every error reask returns matches one of them with
// errors.Is, or is a *ProviderError.
var (
	// ErrExhausted: every content attempt failed. The error is an
	// *ExhaustedError holding the report and the last answer.
	ErrExhausted = errors.New("reask: attempts exhausted")
	// ErrInsisted: the model gave the same invalid values again after
	// sharper feedback, and the extraction stopped before spending every
	// attempt (see Config.KeepOnRepeat). The error is an *InsistedError; it
	// matches ErrExhausted too, since the extraction gave up.
	ErrInsisted = errors.New("reask: the model insists on invalid values")
	// ErrCircuitOpen: the provider's circuit breaker is open.
	ErrCircuitOpen = errors.New("reask: circuit open")
	// ErrTokenBudget: the call's token budget would be exceeded.
	ErrTokenBudget = errors.New("reask: token budget exceeded")
	// ErrCostBudget: the next call could take the extraction's spend over
	// its cost budget (Config.MaxCost), or its model has no price to
	// check the budget with.
	ErrCostBudget = errors.New("reask: cost budget exceeded")
	// ErrContextBudget: the conversation would not fit the context budget.
	ErrContextBudget = errors.New("reask: context budget exceeded")
	// ErrRetryBudget: the shared retry budget is empty; the last transport
	// error is wrapped alongside.
	ErrRetryBudget = errors.New("reask: retry budget exhausted")
	// ErrDeadline: the call's deadline passed or a backoff would outlast it.
	ErrDeadline = errors.New("reask: deadline exceeded")
	// ErrInvalidInput: the input, schema, type or options are unusable; no
	// call was made.
	ErrInvalidInput = errors.New("reask: invalid input")
)

// ExhaustedError is returned when no attempt produced a valid value. It
// carries the best effort: the last answer, its parsed value (if it parsed)
// and what was wrong with it.
type ExhaustedError struct {
	// Report describes every attempt.
	Report *Report
	// LastKind is the failure kind of the last attempt.
	LastKind Kind
	// LastRaw is the last answer as the model sent it.
	LastRaw string
	// LastValue is the last answer parsed (and repaired), nil if it did not
	// parse. It is not valid; do not trust it without checking Violations.
	LastValue any
	// Violations are the last answer's schema violations.
	Violations []schema.Violation
	// Err is the last attempt's error.
	Err error
}

func (e *ExhaustedError) Error() string {
	n := 0
	if e.Report != nil {
		n = e.Report.Attempts
	}
	msg := fmt.Sprintf("reask: no valid answer after %d attempt(s); last failure (%s)", n, e.LastKind)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is matches ErrExhausted.
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }

// Unwrap returns the last attempt's error.
func (e *ExhaustedError) Unwrap() error { return e.Err }

// InsistedError is returned when the extraction stopped early because the
// model insisted: every violation of its last answer repeated the previous
// answer's, after feedback that gave those fields' schema and an example
// (see Config.KeepOnRepeat). It wraps the *ExhaustedError that holds the
// report and the last answer, so errors.Is(err, ErrExhausted) holds and
// errors.As finds either type.
type InsistedError struct {
	// Path and Value are the first repeat's JSON Pointer and value
	// (canonical JSON, shortened; empty when the field is absent).
	Path, Value string
	// Repeats has every violation of the last answer, each a repeat;
	// Report.Insisted holds the same.
	Repeats []Repeat
	// Exhausted holds the report, the last answer and its violations.
	Exhausted *ExhaustedError
}

func (e *InsistedError) Error() string {
	what := "the field is still missing"
	if e.Value != "" {
		what = "the same value " + e.Value
	}
	msg := fmt.Sprintf("reask: the model insists at %s: %s after sharper feedback twice", displayPointer(e.Path), what)
	if len(e.Repeats) > 0 {
		msg += " (" + e.Repeats[0].Problem + ")"
	}
	if n := len(e.Repeats) - 1; n > 0 {
		msg += fmt.Sprintf(", and at %d other field(s)", n)
	}
	if e.Exhausted != nil && e.Exhausted.Report != nil {
		r := e.Exhausted.Report
		msg += fmt.Sprintf("; stopped after %d attempt(s) with %d left", r.Attempts, r.AttemptsSaved)
	}
	return msg
}

// Is matches ErrInsisted; ErrExhausted matches through Unwrap.
func (e *InsistedError) Is(target error) bool { return target == ErrInsisted }

// Unwrap returns the *ExhaustedError.
func (e *InsistedError) Unwrap() error {
	if e.Exhausted == nil {
		return nil
	}
	return e.Exhausted
}

func displayPointer(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// contentError is the failure of one attempt's answer: what kind, and why.
type contentError struct {
	Kind       Kind
	Message    string
	Violations []schema.Violation
	Err        error
}

func (e *contentError) Error() string {
	if e.Message != "" {
		return string(e.Kind) + ": " + e.Message
	}
	return string(e.Kind)
}

func (e *contentError) Unwrap() error { return e.Err }

// classify maps a transport error to its kind: a *ProviderError by the
// Kind its provider set, else by its HTTP status alone (StatusKind); any
// other error by its type (timeouts, network errors, the breaker, the
// caller's context), or by the words of a network error net/http gives no
// type ("http: server closed idle connection").
func classify(err error) Kind {
	if err == nil {
		return KindOK
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		if pe.Kind != "" {
			return pe.Kind
		}
		return StatusKind(pe.StatusCode)
	}
	var cte *callTimeoutError
	if errors.As(err, &cte) {
		return KindTimeout
	}
	switch {
	case errors.Is(err, ErrCircuitOpen), errors.Is(err, shared.ErrFailClosed):
		// Not sent: a policy refused the call, for a while.
		return KindCircuitOpen
	case errors.Is(err, dialect.ErrNotStrict):
		return KindBadRequest // a provider configured strict "on" and a schema that cannot be
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrDeadline):
		return KindTimeout
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return KindConnection
	}
	if hostNotFound(err) != nil {
		return KindHostNotFound
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return KindTimeout
		}
		return KindConnection
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return KindConnection
	}
	msg := err.Error()
	if strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "server closed") || strings.Contains(msg, "EOF") {
		return KindConnection
	}
	return KindUnknown
}

// hostNotFound returns the DNS error in err when it says the host name
// does not exist (and not that the lookup failed for now), else nil.
func hostNotFound(err error) *net.DNSError {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound && !de.IsTemporary && !de.IsTimeout {
		return de
	}
	return nil
}

// connectionRefused reports whether err is a refused connection: nothing
// listens at the address (a wrong port, a server not started yet).
func connectionRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused")
}

// StatusKind is what an HTTP error status means by itself: 429 a rate
// limit; 408, 409 and 5xx a server failure, except 501 and 505, which no
// retry changes; 401 and 403 a refused key; any other 4xx a bad request;
// anything else KindUnknown. It classifies a *ProviderError whose provider
// set no Kind, and is where a provider's own classification starts: the
// provider knows its API's codes and messages, reask only the status.
func StatusKind(status int) Kind {
	switch s := status; {
	case s == http.StatusTooManyRequests:
		return KindRateLimit
	case s == http.StatusNotImplemented, s == http.StatusHTTPVersionNotSupported:
		return KindBadRequest
	case s == http.StatusRequestTimeout, s == http.StatusConflict, s >= 500:
		return KindServer
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return KindAuth
	case s >= 400:
		return KindBadRequest
	}
	return KindUnknown
}
