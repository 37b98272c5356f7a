package reask

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"

	"github.com/reask/reask/partial"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

// Partial is one step of a streamed extraction (Stream, Client.RunStream):
// the answer so far, as package partial reads it — a member is absent
// until its value starts, numbers, booleans, null and enum values show only
// once finished, strings grow as they stream. What a partial shows never
// changes while its answer streams, except that the values in Open grow.
//
// The last item of a stream carries the Report: with Final set and the
// validated value when the extraction succeeded, beside the error when it
// failed.
type Partial[T any] struct {
	// Value is the answer so far decoded into T. A field not started yet
	// keeps its zero value (use pointer fields, or JSON, to tell absent
	// from zero); a value that does not fit its Go field is left out.
	Value T
	// JSON is the answer so far as compact JSON, in the model's order, its
	// open strings, arrays and objects closed. It grows by appending but
	// for its last len(Open) bytes, which close what is open. Nil until
	// something shows.
	JSON json.RawMessage
	// Open lists the JSON Pointers of the values still streaming,
	// outermost first: the open objects and arrays, and the string being
	// written. Every other value in JSON is final for this answer.
	Open []string
	// Invalid lists the violations of the objects and arrays that closed
	// so far, each checked against its part of the schema as it closed
	// (after the coercion local repair would make). The check of the whole
	// answer, when it ends, decides.
	Invalid []schema.Violation
	// Attempt is the number of the attempt the answer belongs to, from 1.
	Attempt int
	// Restart is set, with no value, when what showed is discarded: the
	// answer failed its check and is asked again with feedback (Failed
	// says why), or its call broke off and is sent again (Failed is nil).
	// The partials that follow start from nothing.
	Restart bool
	// Failed is the attempt whose answer failed, on a Restart for a
	// re-ask: its Outcome, Message and Violations say what to show
	// ("retrying: /age: wrong type").
	Failed *Attempt
	// Final is set on the last item of a successful stream: Value is the
	// validated answer, as Extract returns it.
	Final bool
	// Report is set on the last item, as Extract and Run return it.
	Report *Report
}

// Stream is Extract, streamed: it yields a Partial each time the answer
// grows, a Restart when an answer is discarded, and last the validated
// value (Final) with the report — or, when the extraction fails, a Partial
// with the report beside the error Extract would return. Each answer
// streams where the provider can (Request.OnDelta); where it cannot, its
// whole answer shows at once. Breaking out of the loop cancels the
// extraction. Retries, re-asks, fallbacks and every policy are those of
// Extract: only what the caller sees on the way differs.
//
// The provider's calls wait while the loop's body runs: a slow body slows
// the stream, and the call timeout (Config.CallTimeout) counts that time.
// The answers of patch re-asks (Config.Patch) show only as the final
// value.
func Stream[T any](ctx context.Context, c *Client, input string, opts ...Option) iter.Seq2[Partial[T], error] {
	return func(yield func(Partial[T], error) bool) {
		t, last, err := typedTask[T](c, input, opts)
		if err != nil {
			yield(Partial[T]{Report: &Report{}}, err)
			return
		}
		for p, err := range c.RunStream(ctx, t, opts...) {
			q := Partial[T]{JSON: p.JSON, Open: p.Open, Invalid: p.Invalid, Attempt: p.Attempt,
				Restart: p.Restart, Failed: p.Failed, Final: p.Final, Report: p.Report}
			switch {
			case p.Final:
				q.Value = *last
			case p.JSON != nil:
				// A value that does not fit its field is skipped; the
				// rest decodes (encoding/json's rule).
				_ = json.Unmarshal(p.JSON, &q.Value)
			}
			if !yield(q, err) {
				return
			}
		}
	}
}

// RunStream is Run, streamed: it yields what Stream yields, the answer as
// JSON (Value and JSON are the same text), and last the valid document
// (Final) with the report, or the report beside Run's error.
func (c *Client) RunStream(ctx context.Context, t Task, opts ...Option) iter.Seq2[Partial[json.RawMessage], error] {
	return func(yield func(Partial[json.RawMessage], error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := &streamSink{yield: yield, cancel: cancel, schema: t.Schema}
		doc, rep, err := c.run(ctx, t, s, opts)
		if s.stopped {
			return
		}
		if err != nil {
			yield(Partial[json.RawMessage]{Attempt: rep.Attempts, Report: rep}, err)
			return
		}
		yield(Partial[json.RawMessage]{Value: doc, JSON: doc, Attempt: rep.Attempts, Final: true, Report: rep}, nil)
	}
}

// streamSink turns the answers of a streamed job into partials for the
// caller's loop.
type streamSink struct {
	yield   func(Partial[json.RawMessage], error) bool
	cancel  context.CancelFunc
	schema  *schema.Schema
	coerce  bool // invalid closed values are coerced first, as repair would
	stopped bool // the caller broke out of the loop
	told    int  // the last failed attempt a Restart told of

	// The call in progress.
	parser  *partial.Parser // nil: this answer does not show (a patch, or not JSON this parser reads)
	attempt int
	shown   bool // a partial of this call's answer was yielded
	deltas  bool // the provider streamed
	invalid []schema.Violation
}

// complete makes a provider call (see call) and, when the job is
// streamed, streams its answer to the caller: first a Restart when an
// earlier answer showed or failed, then a partial each time the answer
// grows. An answer that did not stream shows whole when it arrives.
func (j *job) complete(ctx context.Context, p Provider, req *Request) (*Response, error) {
	s := j.sink
	if s == nil {
		return j.call(ctx, p, req)
	}
	s.begin(j)
	r := *req
	r.OnDelta = s.delta
	resp, err := j.call(ctx, p, &r)
	if err == nil && resp != nil && !s.deltas {
		raw, _ := takeContent(resp, j.mode)
		s.delta(raw)
	}
	return resp, err
}

// begin prepares for the answer of a new call of the job.
func (s *streamSink) begin(j *job) {
	n := j.report.Attempts
	var failed *Attempt
	if k := len(j.report.Records); k > 0 {
		if last := j.report.Records[k-1]; last.Number == n-1 && last.Outcome != KindOK && last.Number > s.told {
			failed = &last
			s.told = last.Number
		}
	}
	if s.shown || failed != nil {
		s.send(Partial[json.RawMessage]{Attempt: n, Restart: true, Failed: failed})
	}
	s.attempt, s.shown, s.deltas, s.invalid = n, false, false, nil
	s.coerce = j.set.repairer == nil && j.set.repairLevel == repair.SyntaxAndCoercion
	s.parser = nil
	if j.patch == nil {
		s.parser = partial.New(partial.Options{Schema: s.schema, OnClose: s.closed})
	}
}

// delta takes a piece of the answer.
func (s *streamSink) delta(text string) {
	s.deltas = true
	p := s.parser
	if p == nil || s.stopped {
		return
	}
	v := p.Version()
	if _, err := p.WriteString(text); err != nil {
		// Not JSON this parser reads: nothing more shows of this answer,
		// which local repair may still fix when it ends.
		s.parser = nil
		return
	}
	if p.Version() == v || !p.Started() {
		return
	}
	s.shown = true
	doc := json.RawMessage(p.AppendJSON(nil))
	s.send(Partial[json.RawMessage]{Value: doc, JSON: doc, Open: p.Open(nil), Attempt: s.attempt,
		Invalid: append([]schema.Violation(nil), s.invalid...)})
}

// closed checks an object or array as it closes against its part of the
// schema; the whole answer is checked when it ends.
func (s *streamSink) closed(path string, text []byte) {
	if path == "" || s.schema == nil {
		return
	}
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return
	}
	vs := s.schema.ValidateAt(path, v)
	if len(vs) > 0 && s.coerce {
		// What local repair would fix is not a violation: coerce the value
		// where it stands in a document that holds only it.
		doc := schema.Embed(path, v)
		if fixed, fixes := repair.Coerce(doc, s.schema); len(fixes) > 0 {
			if w, ok := schema.Lookup(fixed, path); ok {
				vs = s.schema.ValidateAt(path, w)
			}
		}
	}
	s.invalid = append(s.invalid, vs...)
}

// send yields p unless the caller has broken out of the loop, and cancels
// the extraction when it does.
func (s *streamSink) send(p Partial[json.RawMessage]) {
	if s.stopped {
		return
	}
	if !s.yield(p, nil) {
		s.stopped = true
		s.cancel()
	}
}
