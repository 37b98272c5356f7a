package reask

import "time"

// EventKind names what happened.
type EventKind string

// The events Config.Observer sees. For each attempt of an extraction: a
// call event per provider call, each failed one followed by a retry event
// (the same provider again) or a switch event (the next fallback
// provider); then the attempt event; then a switch event per change of
// strategy the attempt's failure leads to. Last comes one result event.
// A switch to avoid an open circuit may come before an attempt's first
// call. Client.Send makes one attempt of the same events.
const (
	// EventCall: a provider call ended, with an answer or a transport
	// failure (Call is set).
	EventCall EventKind = "call"
	// EventRetry: a call failed and will be sent again after Delay (Err is
	// its failure).
	EventRetry EventKind = "retry"
	// EventAttempt: an attempt ended, its answer checked or its calls
	// failed (Record is set).
	EventAttempt EventKind = "attempt"
	// EventSwitch: the strategy changed — mode, provider or feedback
	// (Switch is set).
	EventSwitch EventKind = "switch"
	// EventResult: the extraction ended (Report is set; Err if it failed).
	EventResult EventKind = "result"
)

// Event is one step of an extraction, as Config.Observer sees it. Kind
// says which of the pointer fields is set; the others are nil.
type Event struct {
	// Kind is what happened.
	Kind EventKind
	// Provider is the Name of the provider in use when it happened.
	Provider string
	// Attempt is the number of the attempt it belongs to, from 1; for a
	// switch, the attempt after which it was made (0 before the first);
	// 0 for the result.
	Attempt int
	// Call is the call that ended (EventCall).
	Call *Call
	// Record is the attempt that ended (EventAttempt).
	Record *Attempt
	// Switch is the change of strategy (EventSwitch).
	Switch *Switch
	// Delay is the wait before the call is sent again (EventRetry).
	Delay time.Duration
	// Report is the whole extraction's report (EventResult).
	Report *Report
	// Err is the failure of the call to be retried (EventRetry) or of the
	// extraction (EventResult); nil when the extraction succeeded.
	Err error
	// Tag is the Tag of the task (Task.Tag) or the request (Client.Send)
	// the event belongs to.
	Tag any
}
