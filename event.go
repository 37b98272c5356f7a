package reask

import "time"

// EventKind names what happened.
type EventKind string

// The events an Observer sees, in the order they happen for one extraction:
// (call (retry call)* attempt (switch)?)* result.
const (
	// EventCall: a provider call ended (Call is set).
	EventCall EventKind = "call"
	// EventRetry: a failed call will be sent again after Delay.
	EventRetry EventKind = "retry"
	// EventAttempt: an answer was checked (Attempt is set).
	EventAttempt EventKind = "attempt"
	// EventSwitch: the strategy changed (Switch is set).
	EventSwitch EventKind = "switch"
	// EventResult: the extraction ended (Report is set; Err if it failed).
	EventResult EventKind = "result"
)

// Event is one step of an extraction, as seen by an Observer.
type Event struct {
	Kind     EventKind
	Provider string
	// Attempt is the current attempt number (from 1).
	Attempt int
	Call    *Call
	Record  *Attempt
	Switch  *Switch
	Delay   time.Duration
	Report  *Report
	Err     error
	// Tag is the Tag of the task (Task.Tag) or the request (Client.Call)
	// the event belongs to.
	Tag any
}
