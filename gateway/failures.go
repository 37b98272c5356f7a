package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/metrics"
	"github.com/reask/reask/schema"
)

// DashboardFailure is a failed request on the dashboard's list. It holds
// names, kinds and the problems found; content — the values the model
// gave, its answer, the error message — only with Config.DashboardContent.
type DashboardFailure struct {
	Time time.Time `json:"time"`
	// Model is the route: a configured model, or "*" for the catch-all.
	Model string `json:"model"`
	// Client is the client key's label (see Config.ClientKeyNames).
	Client string `json:"client"`
	// Operation is "extract" (a schema request) or "call" (pass-through).
	Operation string `json:"operation"`
	// Outcome is the failure's kind (schema, json_syntax, server, ...).
	Outcome string `json:"outcome"`
	// Status and Code are the HTTP status and error code the client got.
	Status int    `json:"status"`
	Code   string `json:"code,omitempty"`
	// Upstream is the target last tried ("upstream/model").
	Upstream string `json:"upstream,omitempty"`
	Attempts int    `json:"attempts"`
	// Problems are the last answer's problems, as the 422 lists them (at
	// most maxFailureProblems; MoreProblems counts the rest).
	Problems     []DashboardProblem `json:"problems"`
	MoreProblems int                `json:"more_problems,omitempty"`
	// Message and LastOutput, content, are set with DashboardContent only.
	Message    string `json:"message,omitempty"`
	LastOutput string `json:"last_output,omitempty"`
}

// DashboardProblem is one problem of a failed answer. Got, content, is set
// with Config.DashboardContent only.
type DashboardProblem struct {
	Path     string `json:"path"`
	Problem  string `json:"problem"`
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got,omitempty"`
}

// Bounds of what a failure entry keeps.
const (
	maxFailureProblems = 20
	maxFailureText     = 300
	maxFailureOutput   = 2000
)

// failureLog keeps the latest failures in a ring. It is safe for
// concurrent use; a nil *failureLog keeps nothing.
type failureLog struct {
	content bool
	scrub   *httpapi.Scrubber

	mu   sync.Mutex
	ring []DashboardFailure
	next int // where the next entry goes
	n    int // entries held
}

func newFailureLog(size int, content bool, scrub *httpapi.Scrubber) *failureLog {
	if size < 1 {
		return nil
	}
	return &failureLog{content: content, scrub: scrub, ring: make([]DashboardFailure, size)}
}

// observe records the failure an EventResult reports, unless it is a
// refusal by an open breaker (counted, not listed: a breaker trip would
// push every real failure off the list) or the client hanging up.
func (f *failureLog) observe(now time.Time, l metrics.Labels, rep *reask.Report, err error) {
	if f == nil || err == nil || rep == nil || metrics.Refused(rep) || errors.Is(err, context.Canceled) {
		return
	}
	status, e, _ := errorAnswer(err, now)
	d := DashboardFailure{Time: now, Model: l.Model, Client: l.Client, Operation: metrics.Operation(rep),
		Outcome: string(rep.Outcome), Status: status, Upstream: rep.Provider,
		Attempts: metrics.AttemptsMade(rep), Problems: []DashboardProblem{}}
	if e.Code != nil {
		d.Code = *e.Code
	}
	for i, v := range e.Violations {
		if i == maxFailureProblems {
			d.MoreProblems = len(e.Violations) - i
			break
		}
		p := DashboardProblem{Path: short(v.Path), Problem: short(v.Problem), Expected: short(v.Expected)}
		if f.content {
			p.Got = f.scrub.String(short(v.Got))
		}
		d.Problems = append(d.Problems, p)
	}
	if f.content {
		d.Message = f.scrub.String(schema.Shorten(e.Message, maxFailureOutput))
		if e.LastOutput != nil {
			d.LastOutput = f.scrub.String(schema.Shorten(*e.LastOutput, maxFailureOutput))
		}
	}
	f.mu.Lock()
	f.ring[f.next] = d
	f.next = (f.next + 1) % len(f.ring)
	f.n = min(f.n+1, len(f.ring))
	f.mu.Unlock()
}

func short(s string) string { return schema.Shorten(s, maxFailureText) }

// list returns the failures held, the latest first.
func (f *failureLog) list() []DashboardFailure {
	out := []DashboardFailure{}
	if f == nil {
		return out
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 1; i <= f.n; i++ {
		out = append(out, f.ring[(f.next-i+len(f.ring))%len(f.ring)])
	}
	return out
}
