// Package batchapi is the shape the providers' batch APIs share (OpenAI's
// Batch API, Anthropic's Message Batches): submit request lines, poll
// until the batch ends, read the results matched by custom_id, cancel.
// provider/openai and provider/anthropic implement Client; a round runner
// drives any of them the same way.
//
// It imports the root package for Request and Response, so the root
// cannot import it: the runner lives beside it, not in the root.
package batchapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/reask/reask"
)

// Line is one request of a batch. CustomID names it in the results; it is
// unique within one Submit (Anthropic also wants ^[a-zA-Z0-9_-]{1,64}$).
type Line struct {
	CustomID string
	Request  *reask.Request
}

// State is where a batch is in its life, in OpenAI's words; Anthropic's
// "in_progress", "canceling" and "ended" map onto them.
type State int

// The states of a batch. Completed, Expired, Cancelled and Failed are
// ended: no line will run any more.
const (
	StateValidating State = iota
	StateInProgress
	StateFinalizing
	StateCancelling
	StateCompleted // every line ran (some may have failed)
	StateExpired   // the window ended first: the lines not run are ErrLineExpired
	StateCancelled // cancelled (by this client or anyone else): the lines not run are ErrLineCancelled
	StateFailed    // the input was refused as a whole (Status.Problem says why); no line ran
)

var stateNames = [...]string{"validating", "in_progress", "finalizing", "cancelling", "completed", "expired", "cancelled", "failed"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Ended reports whether no line of the batch will run any more, so its
// results can be read.
func (s State) Ended() bool { return s >= StateCompleted }

// Status is a batch as its provider reports it.
type Status struct {
	ID    string
	State State
	// Total, Succeeded and Failed count its lines as the provider does
	// (Failed includes expired and cancelled lines once the batch ended).
	Total, Succeeded, Failed int
	// Problem is why a StateFailed batch's input was refused.
	Problem string
}

// Result is what became of one line: a Response, or Err — a
// *reask.ProviderError classified as the provider's direct endpoint
// classifies its errors (a 5xx inside the batch is reask.KindServer), or
// a *LineError matching ErrLineExpired or ErrLineCancelled for a line that never
// ran.
type Result struct {
	CustomID string
	Response *reask.Response
	Err      error
}

// Client is a provider's batch API.
type Client interface {
	// Submit sends lines as one or more batches (split over the
	// provider's limits, in order) and returns their ids. When a later
	// batch fails to submit, it returns the ids already submitted with the
	// error, so that the caller can keep or cancel them.
	Submit(ctx context.Context, lines []Line) ([]string, error)
	// Status polls batch id once.
	Status(ctx context.Context, id string) (Status, error)
	// Results reads an ended batch's results, one per line, in the
	// provider's order (not the input's: match them by CustomID).
	Results(ctx context.Context, id string) ([]Result, error)
	// Cancel asks the provider to cancel batch id; the batch goes on
	// to StateCancelled, its finished lines kept.
	Cancel(ctx context.Context, id string) error
}

// Errors of the batch APIs.
var (
	// ErrUnsupported: the server has no batch API (it answered 404 to
	// the first call). Use the direct mode instead.
	ErrUnsupported = errors.New("the server has no batch API (404): use the direct mode instead")
	// ErrNotEnded: Results was asked for a batch still running.
	ErrNotEnded = errors.New("the batch has not ended")
	// ErrBatchFailed: the provider refused the batch's input as a whole.
	ErrBatchFailed = errors.New("the provider refused the batch")
	// ErrBatchCancelled: the batch was cancelled (by this client or
	// anyone else); Wait reports it rather than waiting on.
	ErrBatchCancelled = errors.New("the batch was cancelled")
	// ErrLineExpired: a line never ran because its batch's window ended.
	ErrLineExpired = errors.New("the batch expired before the line ran")
	// ErrLineCancelled: a line never ran because its batch was cancelled.
	ErrLineCancelled = errors.New("the batch was cancelled before the line ran")
)

// LineError is a line that never ran: Err is ErrLineExpired or ErrLineCancelled.
type LineError struct {
	Provider string
	CustomID string
	Code     string // the provider's code or result type ("batch_expired", "expired", …)
	Err      error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s: line %q: %v (%s)", e.Provider, e.CustomID, e.Err, e.Code)
}

func (e *LineError) Unwrap() error { return e.Err }

// CheckLines checks what every batch API wants of lines: at least one, a
// request each, custom_ids non-empty and unique. valid, when not nil,
// checks a custom_id further (a provider's pattern).
func CheckLines(lines []Line, valid func(string) error) error {
	if len(lines) == 0 {
		return errors.New("no lines to submit")
	}
	seen := make(map[string]int, len(lines))
	for i, l := range lines {
		switch {
		case l.CustomID == "":
			return fmt.Errorf("line %d: empty custom_id", i)
		case l.Request == nil:
			return fmt.Errorf("line %d (%q): no request", i, l.CustomID)
		}
		if j, dup := seen[l.CustomID]; dup {
			return fmt.Errorf("line %d: custom_id %q is line %d's too; custom_ids are unique in a batch", i, l.CustomID, j)
		}
		seen[l.CustomID] = i
		if valid != nil {
			if err := valid(l.CustomID); err != nil {
				return fmt.Errorf("line %d: %w", i, err)
			}
		}
	}
	return nil
}

// Chunks splits n encoded lines, the ith of size(i) bytes, into runs of
// at most maxLines lines and maxBytes bytes (overhead added per run); a
// line larger than maxBytes on its own is an error naming it.
func Chunks(n int, size func(i int) int64, overhead int64, maxLines int, maxBytes int64) ([][2]int, error) {
	var out [][2]int
	start, bytes := 0, overhead
	for i := range n {
		s := size(i)
		if s+overhead > maxBytes {
			return nil, fmt.Errorf("line %d is %d bytes encoded, more than the %d-byte limit of a batch", i, s, maxBytes)
		}
		if i > start && (i-start >= maxLines || bytes+s > maxBytes) {
			out = append(out, [2]int{start, i})
			start, bytes = i, overhead
		}
		bytes += s
	}
	if n > start {
		out = append(out, [2]int{start, n})
	}
	return out, nil
}
