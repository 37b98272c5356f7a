package reask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// job is one extraction in progress.
type job struct {
	client   *Client
	set      settings
	task     Task
	report   *Report
	start    time.Time
	deadline time.Time // on set.clock; zero when none
	base     []Message // the first request's messages (a copy)
	failures []failure
}

// maxRawInReport bounds how much of each answer a report keeps.
const maxRawInReport = 2000

func (j *job) run(ctx context.Context) (json.RawMessage, *Report, error) {
	set := &j.set
	j.start = set.clock.Now()
	if set.timeout > 0 {
		j.deadline = j.start.Add(set.timeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, set.timeout)
		defer cancel()
	}
	mode := set.mode
	if len(j.task.Messages) > 0 {
		j.base = append([]Message(nil), j.task.Messages...)
	} else {
		j.base = initialMessages(set, j.task.Schema, j.task.Input, mode)
	}
	doc, err := j.loop(ctx, mode)
	j.report.Duration = set.clock.Now().Sub(j.start)
	if err == nil {
		j.report.Outcome = KindOK
	} else if j.report.Outcome == "" || j.report.Outcome == KindOK {
		j.report.Outcome = classifyEnd(err)
	}
	j.emit(ctx, Event{Kind: EventResult, Report: j.report, Err: err})
	if err != nil {
		set.logger.LogAttrs(ctx, slog.LevelWarn, "reask: extraction failed",
			slog.String("provider", j.report.Provider), slog.Int("attempts", j.report.Attempts),
			slog.Int("calls", j.report.Calls), slog.String("outcome", string(j.report.Outcome)),
			slog.String("error", err.Error()))
	} else {
		set.logger.LogAttrs(ctx, slog.LevelInfo, "reask: extraction succeeded",
			slog.String("provider", j.report.Provider), slog.Int("attempts", j.report.Attempts),
			slog.Int("calls", j.report.Calls), slog.Int("wasted_tokens", j.report.WastedTokens))
	}
	return doc, j.report, err
}

func classifyEnd(err error) Kind {
	var ee *ExhaustedError
	if errors.As(err, &ee) {
		return ee.LastKind
	}
	switch {
	case errors.Is(err, ErrTokenBudget), errors.Is(err, ErrContextBudget), errors.Is(err, ErrRetryBudget):
		return KindBudget
	case errors.Is(err, ErrDeadline):
		return KindTimeout
	}
	return classify(err)
}

func (j *job) loop(ctx context.Context, mode Mode) (json.RawMessage, error) {
	set := &j.set
	var last *ContentError
	var lastRaw string
	var lastValue any
	for n := 1; n <= set.maxAttempts; n++ {
		msgs := j.conversation(mode)
		req := &Request{
			Messages:    msgs,
			Mode:        mode,
			Schema:      j.task.Schema.JSON(),
			SchemaName:  j.task.Schema.Name(),
			Strict:      mode == ModeJSONSchema && j.task.Schema.Strict(),
			Temperature: set.temperature,
			MaxTokens:   set.maxTokens,
		}
		est := estimateTokens(msgs, len(req.Schema))
		if set.contextBudget > 0 && est > set.contextBudget {
			return nil, fmt.Errorf("%w: attempt %d needs about %d tokens, over the budget of %d", ErrContextBudget, n, est, set.contextBudget)
		}
		if set.tokenBudget > 0 {
			if spent := j.report.Usage.TotalTokens; spent+est+set.maxTokens > set.tokenBudget {
				return nil, fmt.Errorf("%w: %d tokens spent, attempt %d would need about %d more, budget %d", ErrTokenBudget, spent, n, est+set.maxTokens, set.tokenBudget)
			}
		}

		rec := Attempt{Number: n, Provider: j.report.Provider, Mode: mode}
		t0 := set.clock.Now()
		j.report.Attempts = n
		j.report.Mode = mode
		resp, err := j.send(ctx, req, &rec)
		rec.Duration = set.clock.Now().Sub(t0)
		if err != nil {
			// A transport failure that retries did not overcome ends the
			// extraction: re-asking would send the same request.
			rec.Outcome = classifyEnd(err)
			rec.Message = err.Error()
			j.record(ctx, rec, false)
			return nil, err
		}
		rec.Usage = resp.Usage
		raw, answer := takeContent(resp, mode)
		rec.Raw = shortenRaw(raw)

		actx := context.WithValue(ctx, attemptKey{}, AttemptInfo{Number: n, Max: set.maxAttempts})
		doc, value, fixes, cerr := j.check(actx, resp, raw)
		rec.Repairs = fixes
		if cerr == nil {
			rec.Outcome = KindOK
			j.record(ctx, rec, true)
			return doc, nil
		}
		rec.Outcome = cerr.Kind
		rec.Message = oneLine(cerr)
		rec.Violations = cerr.Violations
		j.record(ctx, rec, false)
		last, lastRaw, lastValue = cerr, raw, value
		if !set.retryOnContent {
			break
		}
		j.failures = append(j.failures, failure{
			number:   n,
			kind:     cerr.Kind,
			message:  oneLine(cerr),
			feedback: feedbackFor(cerr, len(raw)),
			answer:   answer,
			paths:    pathsOf(cerr),
		})
	}
	return nil, &ExhaustedError{
		Report:     j.report,
		LastKind:   last.Kind,
		LastRaw:    lastRaw,
		LastValue:  lastValue,
		Violations: last.Violations,
		Err:        last,
	}
}

// record appends an attempt to the report and tells the observer. Tokens of
// an attempt whose answer is not used are wasted.
func (j *job) record(ctx context.Context, rec Attempt, used bool) {
	j.report.Records = append(j.report.Records, rec)
	j.report.Usage = j.report.Usage.Add(rec.Usage)
	if !used {
		j.report.WastedTokens += rec.Usage.TotalTokens
	}
	j.emit(ctx, Event{Kind: EventAttempt, Attempt: rec.Number, Record: &j.report.Records[len(j.report.Records)-1]})
	j.set.logger.LogAttrs(ctx, slog.LevelDebug, "reask: attempt",
		slog.Int("attempt", rec.Number), slog.String("outcome", string(rec.Outcome)),
		slog.String("message", rec.Message), slog.Int("repairs", len(rec.Repairs)))
}

func (j *job) emit(ctx context.Context, e Event) {
	if j.set.observer == nil {
		return
	}
	if e.Provider == "" {
		e.Provider = j.report.Provider
	}
	j.set.observer(ctx, e)
}

// conversation returns the messages for the next attempt: the first
// request's messages, then — after a failure — only the latest failed answer
// and its feedback, earlier failures condensed into one line. The
// conversation therefore stays the same size however many attempts are made.
func (j *job) conversation(mode Mode) []Message {
	if len(j.failures) == 0 {
		return j.base
	}
	latest := j.failures[len(j.failures)-1]
	text := latest.feedback
	if s := summaryOf(j.failures[:len(j.failures)-1]); s != "" {
		text += "\n" + s
	}
	msgs := make([]Message, 0, len(j.base)+3)
	msgs = append(msgs, j.base...)
	msgs = append(msgs, latest.answer)
	if len(latest.answer.ToolCalls) > 0 {
		// Every tool call must be answered by a tool message carrying its id;
		// the feedback goes into the first, the others are told to see it.
		for i, tc := range latest.answer.ToolCalls {
			content := text
			if i > 0 {
				content = "See the feedback on the first call."
			}
			msgs = append(msgs, Message{Role: RoleTool, ToolCallID: tc.ID, Content: content, IsError: true})
		}
		return msgs
	}
	return append(msgs, Message{Role: RoleUser, Content: text})
}

func pathsOf(cerr *ContentError) []string {
	out := make([]string, 0, len(cerr.Violations))
	for _, v := range cerr.Violations {
		out = append(out, v.Path)
	}
	return out
}

// takeContent returns the answer to check and the assistant message to
// replay if it fails. In tools mode — and with providers that deliver
// structured output as a tool call in any mode — the answer is the first
// call's arguments; a model that answered in text instead is checked as text.
func takeContent(resp *Response, mode Mode) (string, Message) {
	answer := Message{Role: RoleAssistant, Content: resp.Content, ToolCalls: resp.ToolCalls}
	if len(resp.ToolCalls) > 0 && (mode == ModeTools || strings.TrimSpace(resp.Content) == "") {
		return resp.ToolCalls[0].Arguments, answer
	}
	return resp.Content, answer
}

func shortenRaw(s string) string {
	if len(s) <= maxRawInReport {
		return s
	}
	return s[:maxRawInReport] + "…"
}
