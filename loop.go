package reask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
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
	spent    float64 // the priced cost of the attempts so far
	wasted   float64 // of it, on answers not used

	providers []Provider
	cur       int         // index of the provider in use
	mode      Mode        // mode in use
	tag       any         // the caller's Task.Tag or Request.Tag, for every call and event
	sink      *streamSink // streams the answers to RunStream's caller; nil: not streamed

	// Adaptive state.
	syntaxStreak int             // consecutive JSON syntax failures
	fieldFails   map[string]int  // schema failures per JSON Pointer
	sharpened    map[string]bool // fields whose feedback carried their schema
	patch        *patchPlan      // the next attempt is a patch re-ask
	patchFailed  bool            // a patch did not validate: no more patches

	// sent is the rewrite of the schema for the dialect of the provider
	// that got the attempt's request (see shape); nil when it was sent as
	// it is.
	sent *dialect.Result

	cacheKey string // the first request's cache key; empty: not cached
}

// patchPlan is a re-ask for a few invalid fields of an otherwise valid answer.
type patchPlan struct {
	fields []string       // top-level fields to ask for again
	value  map[string]any // the previous answer, valid elsewhere
	schema *schema.Schema // the schema of the patch
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
	j.providers = append([]Provider{j.client.provider}, j.client.fallbacks...)
	j.mode = set.mode
	j.tag = j.task.Tag
	j.fieldFails = map[string]int{}
	j.sharpened = map[string]bool{}
	j.base = j.firstMessages()
	doc, err := j.loop(ctx)
	if err == nil {
		j.toCache(ctx, doc)
	}
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

func (j *job) firstMessages() []Message {
	if len(j.task.Messages) > 0 {
		return append([]Message(nil), j.task.Messages...)
	}
	return initialMessages(&j.set, j.task.Schema, j.task.Input, j.mode)
}

func classifyEnd(err error) Kind {
	var ee *ExhaustedError
	if errors.As(err, &ee) {
		return ee.LastKind
	}
	switch {
	case errors.Is(err, ErrTokenBudget), errors.Is(err, ErrContextBudget), errors.Is(err, ErrRetryBudget), errors.Is(err, ErrCostBudget):
		return KindBudget
	case errors.Is(err, ErrDeadline):
		return KindTimeout
	}
	return classify(err)
}

func (j *job) loop(ctx context.Context) (json.RawMessage, error) {
	set := &j.set
	var last *contentError
	var lastRaw string
	var lastValue any
	for n := 1; n <= set.maxAttempts; n++ {
		j.avoidOpenCircuit(ctx, n)
		sch := j.task.Schema
		msgs := j.conversation()
		if j.patch != nil {
			sch = j.patch.schema
		}
		req := &Request{
			Messages:    msgs,
			Mode:        j.mode,
			Schema:      sch.JSON(),
			SchemaName:  sch.Name(),
			Strict:      j.mode == ModeJSONSchema && sch.Strict(),
			Temperature: set.temperature,
			MaxTokens:   set.maxTokens,
			Tag:         j.tag,
		}
		if n == 1 {
			if doc, ok := j.fromCache(ctx, req); ok {
				return doc, nil
			}
		}
		est := estimateTokens(msgs, len(req.Schema))
		if set.contextBudget > 0 && est > set.contextBudget {
			return nil, fmt.Errorf("%w: attempt %d needs about %d tokens, over the budget of %d", ErrContextBudget, n, est, set.contextBudget)
		}
		if set.tokenBudget > 0 {
			// The answer's tokens count too: without a max_tokens of the
			// caller's, the request is capped at what the budget has left
			// after its prompt, so no call can go over it.
			spent := j.report.Usage.TotalTokens
			room := set.tokenBudget - spent - est
			if room < 1 || (set.maxTokens > 0 && set.maxTokens > room) {
				need := est + max(set.maxTokens, 1)
				return nil, fmt.Errorf("%w: %d tokens spent, attempt %d would need at least %d more (prompt about %d), budget %d", ErrTokenBudget, spent, n, need, est, set.tokenBudget)
			}
			if set.maxTokens == 0 {
				req.MaxTokens = room
			}
		}
		if err := j.checkCost(n, req, est); err != nil {
			return nil, err
		}

		rec := Attempt{Number: n, Mode: j.mode}
		t0 := set.clock.Now()
		j.report.Attempts = n
		j.report.Mode = j.mode
		resp, err := j.sendWithFallback(ctx, req, sch, &rec)
		rec.Provider = j.report.Provider
		rec.Duration = set.clock.Now().Sub(t0)
		if err != nil {
			// A transport failure that retries and fallbacks did not
			// overcome ends the extraction: re-asking would send the same
			// request.
			rec.Outcome = classifyEnd(err)
			rec.Message = err.Error()
			j.record(ctx, rec, false)
			return nil, err
		}
		rec.Usage = resp.Usage
		j.priceAttempt(&rec, j.providers[j.cur], resp)
		raw, answer := takeContent(resp, j.mode)
		rec.Raw = shortenRaw(raw)

		actx := context.WithValue(ctx, attemptKey{}, AttemptInfo{Number: n, Max: set.maxAttempts})
		var doc json.RawMessage
		var value any
		var cerr *contentError
		if j.patch != nil {
			doc, value, rec.Repairs, cerr = j.checkPatch(actx, resp, raw)
		} else {
			doc, value, rec.Repairs, cerr = j.check(actx, resp, raw)
		}
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
		if n == set.maxAttempts {
			break
		}
		reps := repeats(cerr.Violations, value, rec.Provider, j.lastFailure(n-1))
		if j.insists(reps) {
			j.report.Insisted = reps.insisted
			j.report.AttemptsSaved = set.maxAttempts - n
			set.logger.LogAttrs(ctx, slog.LevelInfo, "reask: the model insists; stopping early",
				slog.Int("attempt", n), slog.String("path", reps.insisted[0].Path),
				slog.Int("fields", len(reps.insisted)), slog.Int("attempts_saved", j.report.AttemptsSaved))
			break
		}
		j.learn(ctx, n, cerr, raw, answer, value, rec.Provider, reps.seen)
	}
	ee := &ExhaustedError{
		Report:     j.report,
		LastKind:   last.Kind,
		LastRaw:    lastRaw,
		LastValue:  lastValue,
		Violations: last.Violations,
		Err:        last,
	}
	if ins := j.report.Insisted; len(ins) > 0 {
		return nil, &InsistedError{Path: ins[0].Path, Value: ins[0].Value, Repeats: ins, Exhausted: ee}
	}
	return nil, ee
}

// lastFailure returns the failure of attempt n, nil unless it is the
// latest.
func (j *job) lastFailure(n int) *failure {
	if len(j.failures) == 0 || j.failures[len(j.failures)-1].number != n {
		return nil
	}
	return &j.failures[len(j.failures)-1]
}

// insists tells whether to stop because the model insists (see
// Config.KeepOnRepeat): every violation repeats after sharper feedback twice, and
// no fallback provider is left for the adaptive strategy to switch to.
func (j *job) insists(reps answerRepeats) bool {
	return !j.set.keepOnRepeat && j.set.adaptive && len(reps.insisted) > 0 && j.cur+1 >= len(j.providers)
}

// learn records a content failure and decides the next attempt's strategy:
// the feedback (sharpened for fields that failed before), a mode switch
// after repeated syntax failures, a provider switch for fields that keep
// failing, and whether the next attempt may be a patch. Every change of
// feedback is recorded as a "feedback" switch: the first sharpening for a
// field, the move to a patch re-ask, and the fall back from a failed patch
// to full re-asks.
func (j *job) learn(ctx context.Context, n int, cerr *contentError, raw string, answer Message, value any, provider string, seen map[repeatKey]repeatCount) {
	set := &j.set
	fb := feedbackFor(cerr, len(raw))
	wasPatch := j.patch != nil
	if wasPatch {
		// A patch that did not validate: back to full answers, and the
		// replayed answer is the merged one.
		j.patch, j.patchFailed = nil, true
	}
	if cerr.Kind == KindJSONSyntax {
		j.syntaxStreak++
	} else {
		j.syntaxStreak = 0
	}
	worst := 0
	var twice []schema.Violation
	for _, v := range cerr.Violations {
		j.fieldFails[v.Path]++
		c := j.fieldFails[v.Path]
		worst = max(worst, c)
		if c >= 2 {
			twice = append(twice, v)
		}
	}
	if set.adaptive {
		if len(twice) > 0 {
			fb += "\n" + j.sharper(twice)
		}
		if j.syntaxStreak >= 2 && (j.mode == ModeJSONObject || j.mode == ModeText) && set.modeFallback != j.mode && set.modeFallback.Valid() {
			from := j.mode
			j.mode = set.modeFallback
			j.syntaxStreak = 0
			if len(j.task.Messages) == 0 {
				j.base = j.firstMessages()
			}
			j.switched(ctx, Switch{After: n, What: "mode", From: string(from), To: string(j.mode),
				Reason: "two JSON syntax failures in a row"})
		}
		if worst >= 3 && j.cur+1 < len(j.providers) {
			j.switchProvider(ctx, n, j.cur+1, "a field still failing after sharper feedback")
		}
	}
	f := failure{
		number:   n,
		kind:     cerr.Kind,
		message:  oneLine(cerr),
		feedback: fb,
		answer:   answer,
		provider: provider,
		seen:     seen,
	}
	if set.patch && !j.patchFailed && cerr.Kind == KindSchema {
		j.patch = j.planPatch(cerr.Violations, value)
		if j.patch != nil {
			f.feedback = patchFeedback(cerr.Violations, j.patch.fields)
		}
	}
	if set.adaptive && j.patch == nil && len(twice) > 0 {
		// The sharper feedback goes out (a patch's replaces it).
		f.sharpened = make(map[string]bool, len(twice))
		for _, v := range twice {
			f.sharpened[v.Path] = true
		}
	}
	j.failures = append(j.failures, f)
	if wasPatch {
		j.switched(ctx, Switch{After: n, What: "feedback", From: "patch re-ask", To: "full re-ask",
			Reason: "the patched answer did not validate"})
	}
	switch {
	case j.patch != nil:
		// The patch feedback replaces the field list, sharpened or not.
		j.switched(ctx, Switch{After: n, What: "feedback", From: "full re-ask", To: "patch re-ask",
			Reason: "only a few fields are invalid"})
	case set.adaptive:
		var fresh []string
		for _, v := range twice {
			if !j.sharpened[v.Path] {
				j.sharpened[v.Path] = true
				fresh = append(fresh, v.Path)
			}
		}
		if len(fresh) > 0 {
			to := "schema fragment for " + strings.Join(fresh, ", ")
			if len(fresh) > 1 {
				to = "schema fragments for " + strings.Join(fresh, ", ")
			}
			j.switched(ctx, Switch{After: n, What: "feedback", From: "field list", To: to,
				Reason: "the same field failed twice"})
		}
	}
}

// sharper adds, for fields that failed more than once, their exact schema
// and an example of a valid value.
func (j *job) sharper(vs []schema.Violation) string {
	var b strings.Builder
	b.WriteString("These fields failed more than once. Their exact schema, and an example of a valid value:")
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v.Path] {
			continue
		}
		seen[v.Path] = true
		frag := j.task.Schema.Fragment(v.Path)
		b.WriteString("\n- " + displayPointer(v.Path) + ": schema " + schema.Shorten(string(frag), 400))
		if ex := j.task.Schema.At(v.Path).Example(); ex != nil {
			if eb, err := json.Marshal(ex); err == nil {
				b.WriteString("; example " + schema.Shorten(string(eb), 200))
			}
		}
	}
	return b.String()
}

// planPatch decides whether the next attempt may ask only for the invalid
// top-level fields: the answer must be an object, the problems confined to
// at most half of the schema's top-level fields, none at the root.
func (j *job) planPatch(vs []schema.Violation, value any) *patchPlan {
	obj, ok := value.(map[string]any)
	if !ok || len(vs) == 0 {
		return nil
	}
	props := map[string]bool{}
	for _, p := range j.task.Schema.At("").Properties() {
		props[p] = true
	}
	if len(props) < 2 {
		return nil
	}
	var fields []string
	seen := map[string]bool{}
	for _, v := range vs {
		toks := schema.SplitPointer(v.Path)
		if len(toks) == 0 {
			return nil
		}
		f := toks[0]
		if !props[f] {
			// An unknown field: drop it from the answer rather than ask.
			continue
		}
		if !seen[f] {
			seen[f] = true
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 || 2*len(fields) > len(props) {
		return nil
	}
	sub, err := j.task.Schema.Subset(fields)
	if err != nil {
		return nil
	}
	keep := make(map[string]any, len(obj))
	for k, v := range obj {
		if props[k] && !seen[k] {
			keep[k] = v
		}
	}
	return &patchPlan{fields: fields, value: keep, schema: sub}
}

func patchFeedback(vs []schema.Violation, fields []string) string {
	var b strings.Builder
	b.WriteString("Most of your answer is right. Only these fields are wrong:\n")
	writeViolations(&b, vs)
	b.WriteString("Answer with a JSON object that contains only the corrected fields: " + strings.Join(fields, ", ") + ".")
	return b.String()
}

// avoidOpenCircuit moves to a fallback provider when the current one's
// circuit is open and a later one's is not; the open one is tried again by
// later extractions once its cool-down ends.
func (j *job) avoidOpenCircuit(ctx context.Context, n int) {
	pol := j.client.policies
	if pol.breakers == nil || j.cur+1 >= len(j.providers) {
		return
	}
	now := j.set.clock.Now()
	if pol.breakerState(ctx, j.providers[j.cur].Name(), now) != breaker.Open {
		return
	}
	for i := j.cur + 1; i < len(j.providers); i++ {
		if pol.breakerState(ctx, j.providers[i].Name(), now) != breaker.Open {
			j.switchProvider(ctx, n-1, i, "circuit open")
			return
		}
	}
}

// sendWithFallback sends req to the current provider and, when it fails in
// transport, to the next ones in the chain, within the same attempt; each
// provider gets the schema s in its own dialect (shape).
func (j *job) sendWithFallback(ctx context.Context, req *Request, s *schema.Schema, rec *Attempt) (*Response, error) {
	for {
		p := j.providers[j.cur]
		j.report.Provider = p.Name()
		preq, sent, err := j.shape(p, req, s)
		j.sent = sent
		var resp *Response
		if err == nil {
			resp, err = j.send(ctx, p, preq, rec)
		}
		if err == nil || j.cur+1 >= len(j.providers) || !canFallback(err) {
			return resp, err
		}
		j.switchProvider(ctx, rec.Number-1, j.cur+1, string(classifyEnd(err)))
	}
}

// canFallback tells whether another provider might succeed where err failed:
// not when the caller gave up or a budget is spent.
func canFallback(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrDeadline),
		errors.Is(err, ErrTokenBudget), errors.Is(err, ErrContextBudget), errors.Is(err, ErrCostBudget):
		return false
	}
	return true
}

func (j *job) switchProvider(ctx context.Context, after, to int, reason string) {
	from := j.providers[j.cur].Name()
	j.cur = to
	j.report.Provider = j.providers[to].Name()
	j.switched(ctx, Switch{After: after, What: "model", From: from, To: j.report.Provider, Reason: reason})
}

func (j *job) switched(ctx context.Context, s Switch) {
	j.report.Switches = append(j.report.Switches, s)
	j.emit(ctx, Event{Kind: EventSwitch, Attempt: s.After, Switch: &j.report.Switches[len(j.report.Switches)-1]})
	j.set.logger.LogAttrs(ctx, slog.LevelInfo, "reask: strategy switch",
		slog.String("what", s.What), slog.String("from", s.From), slog.String("to", s.To), slog.String("reason", s.Reason))
}

// record appends an attempt to the report and tells the observer. Tokens of
// an attempt whose answer is not used are wasted.
func (j *job) record(ctx context.Context, rec Attempt, used bool) {
	j.addCost(&rec, used)
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
	e.Tag = j.tag
	j.set.observer(ctx, e)
}

// conversation returns the messages for the next attempt: the first
// request's messages, then — after a failure — only the latest failed answer
// and its feedback, earlier failures condensed into one line. The
// conversation therefore stays the same size however many attempts are made.
func (j *job) conversation() []Message {
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
