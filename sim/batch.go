package sim

import (
	"cmp"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The batch APIs' shared core. A batch is its lines, validated when it is
// created, and a timeline on the server's clock: validating for
// BatchAPI.Validating, then each line runs at its own moment within
// BatchAPI.InProgress, then finalizing for BatchAPI.Finalizing, then
// completed. The state is read off the clock whenever it is asked for, as
// gobreaker applies its time-based transitions — no goroutine, no timer —
// and the results are written once, the first time the batch is seen
// ended.
//
// Determinism. A line's answer is the direct endpoint's answer to its body:
// it depends on the seed and the conversation alone (at temperature 0;
// above, the hash of its custom_id stands in for the direct endpoint's
// sample counter, unless the body has a seed). What the provider does to a
// line — the moment it runs, hence the results' order, and whether it
// fails — is drawn from the seed, the batch's id and the line's custom_id;
// whether the batch expires, from the seed and the batch's id. Ids number
// the objects the server stores in the order they were created. None of it
// depends on the order of the lines in the input, and the direct
// endpoints' requests and answers are untouched by batches: batch requests
// do not take a request number, meet no transport fault and are not
// charged to the rate limiter.

// batchPhase is where a batch is in its life, named as OpenAI's Batch API
// names it.
type batchPhase int

const (
	phaseValidating batchPhase = iota
	phaseFailed
	phaseInProgress
	phaseFinalizing
	phaseCompleted
	phaseExpired
	phaseCancelling
	phaseCancelled
)

var phaseNames = [...]string{"validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"}

func (p batchPhase) String() string { return phaseNames[p] }

// ended reports whether the batch is done: no line will run any more.
func (p batchPhase) ended() bool {
	return p == phaseFailed || p == phaseCompleted || p == phaseExpired || p == phaseCancelled
}

// lineOutcome is what became of a line when its batch ended.
type lineOutcome int

const (
	lineSucceeded lineOutcome = iota
	lineRefused               // the endpoint refused the request (4xx)
	lineFailed                // the provider failed it (5xx)
	lineExpired               // it never ran: the batch expired
	lineCanceled              // it never ran: the batch was cancelled
)

// lineRefusal is the answer of an endpoint that refuses a line's request.
type lineRefusal struct {
	status int
	body   any
}

// batchLine is one request of a batch, validated when the batch was
// created.
type batchLine struct {
	customID string
	key      uint64  // the line in its batch: its draws and its ids
	at       float64 // when it runs, as a share of BatchAPI.InProgress
	fails    bool    // the provider fails it
	refusal  *lineRefusal
	// answer writes the answer of the line with key, run at done; nil when
	// refused.
	answer func(key uint64, done time.Time) lineAnswer
}

// lineAnswer is a line's answer body and its tokens.
type lineAnswer struct {
	body             any
	prompt, complete int
}

// lineResult is a line as its batch ended.
type lineResult struct {
	line    *batchLine
	outcome lineOutcome
	done    time.Time // when it ran; zero when it never ran
}

// batchJob is a batch of either API: its lines and its timeline.
type batchJob struct {
	id       string
	created  time.Time
	timing   BatchAPI     // the profile's, defaults filled in, when it was created
	lines    []batchLine  // in input order
	problems []batchError // why the input was refused: the batch fails after validating
	expires  bool
	cut      float64 // an expiring batch runs the lines before this share of InProgress

	// render writes the results, once, when the batch is first seen ended
	// (at ended); it is called with mu held.
	render func(results []lineResult, ended time.Time)

	mu       sync.Mutex // guards the fields below and what render writes
	cancelAt time.Time  // zero: not cancelled
	rendered bool
}

// job is the batch itself, for code that serves either API's batches.
func (j *batchJob) job() *batchJob { return j }

// batchOf is either API's batch.
type batchOf interface{ job() *batchJob }

func jobID[T batchOf](b T) string { return b.job().id }

// serveJob finds the batch with id in list and serves it at the clock's
// time with its lock held, or calls notFound.
func serveJob[T batchOf](s *Server, list *[]T, id string, notFound func(), serve func(b T, now time.Time)) {
	b, ok := find(&s.store, list, id, jobID[T])
	if !ok {
		notFound()
		return
	}
	now := s.clk.Now()
	j := b.job()
	j.mu.Lock()
	defer j.mu.Unlock()
	serve(b, now)
}

// batchError is a problem of a batch's input: OpenAI's errors.data item.
type batchError struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Line    *int    `json:"line"`
}

// MaxBatchErrors bounds the problems a failed OpenAI batch lists in its
// errors; validation stops at that many.
const MaxBatchErrors = 100

// newBatchJob starts a batch created at now; its lines get their draws
// from the seed, the batch's id and their custom_id.
func newBatchJob(seed int64, id string, now time.Time, timing BatchAPI, lines []batchLine, problems []batchError) *batchJob {
	j := &batchJob{id: id, created: now, timing: timing, lines: lines, problems: problems}
	bh := hashString(id)
	r := rand.New(rand.NewPCG(mix(uint64(seed), bh), 0x6578706972652121))
	j.expires = r.Float64() < timing.Expire
	j.cut = 0.2 + 0.6*r.Float64()
	for i := range j.lines {
		l := &j.lines[i]
		l.key = mix(bh, hashString(l.customID))
		lr := rand.New(rand.NewPCG(mix(uint64(seed), l.key), 0x6c696e6564726177))
		l.at = lr.Float64()
		l.fails = lr.Float64() < timing.FailedLines
	}
	return j
}

// hashString is FNV-1a of s.
func hashString(s string) uint64 {
	h := newHasher()
	h.str(s)
	return h.sum()
}

// batchView is a batch's state at an instant.
type batchView struct {
	phase batchPhase
	// the moments it reached; zero until then
	inProgressAt, finalizingAt, endedAt, cancellingAt time.Time
	// the lines run by then that succeeded, and that were refused or failed
	succeeded, errored int
}

func (j *batchJob) validated() time.Time {
	return j.created.Add(time.Duration(j.timing.Validating))
}

func (j *batchJob) processed() time.Time {
	return j.validated().Add(time.Duration(j.timing.InProgress))
}

// runsAt is when line l runs, if it runs at all.
func (j *batchJob) runsAt(l *batchLine) time.Time {
	return j.validated().Add(time.Duration(l.at * float64(j.timing.InProgress)))
}

// ran reports whether line l has run by now.
func (j *batchJob) ran(l *batchLine, now time.Time) bool {
	if len(j.problems) > 0 || j.expires && l.at >= j.cut {
		return false
	}
	t := j.runsAt(l)
	if !j.cancelAt.IsZero() && !t.Before(j.cancelAt) {
		return false
	}
	return !t.After(now)
}

// expiresAt is when the batch expires: at the end of InProgress when the
// profile makes it expire, else 24 hours after it was created, as the
// providers' completion window says.
func (j *batchJob) expiresAt() time.Time {
	if j.expires {
		return j.processed()
	}
	return j.created.Add(24 * time.Hour)
}

// view reads the batch's state at now off its timeline; mu must be held.
func (j *batchJob) view(now time.Time) batchView {
	var v batchView
	valid, done := j.validated(), j.processed()
	final := done.Add(time.Duration(j.timing.Finalizing))
	switch {
	case !j.cancelAt.IsZero() && !now.Before(j.cancelAt):
		v.cancellingAt = j.cancelAt
		v.phase = phaseCancelling
		if end := j.cancelAt.Add(time.Duration(j.timing.Cancelling)); !now.Before(end) {
			v.phase, v.endedAt = phaseCancelled, end
		}
	case now.Before(valid):
		v.phase = phaseValidating
	case len(j.problems) > 0:
		v.phase, v.endedAt = phaseFailed, valid
	case now.Before(done):
		v.phase = phaseInProgress
	case j.expires:
		v.phase, v.endedAt = phaseExpired, done
	case now.Before(final):
		v.phase, v.finalizingAt = phaseFinalizing, done
	default:
		v.phase, v.finalizingAt, v.endedAt = phaseCompleted, done, final
	}
	if len(j.problems) == 0 && !now.Before(valid) && (j.cancelAt.IsZero() || j.cancelAt.After(valid)) {
		v.inProgressAt = valid
	}
	for i := range j.lines {
		l := &j.lines[i]
		if !j.ran(l, now) {
			continue
		}
		if l.refusal == nil && !l.fails {
			v.succeeded++
		} else {
			v.errored++
		}
	}
	return v
}

// state returns the batch's state at now and, the first time it is seen
// ended, renders its results; mu must be held.
func (j *batchJob) state(now time.Time) batchView {
	v := j.view(now)
	if v.phase.ended() && !j.rendered {
		j.rendered = true
		j.render(j.results(v), v.endedAt)
		for i := range j.lines {
			j.lines[i].answer = nil // the conversation is no longer needed
		}
	}
	return v
}

// results lists every line of an ended batch in the order the lines ran
// (those that never ran last): the order of the providers' results, which
// is not the input's.
func (j *batchJob) results(v batchView) []lineResult {
	if v.phase == phaseFailed {
		return nil
	}
	out := make([]lineResult, 0, len(j.lines))
	for i := range j.lines {
		l := &j.lines[i]
		res := lineResult{line: l}
		switch {
		case j.ran(l, v.endedAt):
			res.done = j.runsAt(l)
			switch {
			case l.refusal != nil:
				res.outcome = lineRefused
			case l.fails:
				res.outcome = lineFailed
			default:
				res.outcome = lineSucceeded
			}
		case v.phase == phaseExpired:
			res.outcome = lineExpired
		default:
			res.outcome = lineCanceled
		}
		out = append(out, res)
	}
	slices.SortStableFunc(out, func(a, b lineResult) int {
		ra, rb := a.done.IsZero(), b.done.IsZero()
		if ra != rb {
			if rb {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.line.at, b.line.at), cmp.Compare(a.line.customID, b.line.customID))
	})
	return out
}

// cancel starts cancelling the batch at now; it reports false, and changes
// nothing, when the batch has ended. A batch already cancelling stays so.
// mu must be held.
func (j *batchJob) cancel(now time.Time) (batchView, bool) {
	v := j.state(now)
	switch {
	case v.phase.ended():
		return v, false
	case v.phase == phaseCancelling:
		return v, true
	}
	j.cancelAt = now
	return j.state(now), true
}

// ---- the store ----

// batchStore holds what the batch APIs keep: uploaded and written files,
// OpenAI batches and Anthropic message batches, within Config.MaxStoredBytes.
type batchStore struct {
	reqs atomic.Uint64 // numbers batch requests, for their request ids

	mu         sync.Mutex
	seq        uint64 // numbers stored objects, for their ids
	bytes      int64  // held by files and message batches
	files      []*storedFile
	batches    []*openAIBatch
	msgBatches []*messageBatch
}

// reset forgets everything stored.
func (st *batchStore) reset() {
	st.reqs.Store(0)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq, st.bytes = 0, 0
	st.files, st.batches, st.msgBatches = nil, nil, nil
}

// newID returns the id of the next object stored, with prefix.
func (st *batchStore) newID(seed int64, prefix string) string {
	st.mu.Lock()
	st.seq++
	n := st.seq
	st.mu.Unlock()
	return requestID(seed, n<<20|0xba7c4, prefix)
}

// reserve takes n bytes of storage, or reports false when they would
// pass limit.
func (st *batchStore) reserve(n, limit int64) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.bytes+n > limit {
		return false
	}
	st.bytes += n
	return true
}

// release gives back n bytes of storage.
func (st *batchStore) release(n int64) {
	st.mu.Lock()
	st.bytes -= n
	st.mu.Unlock()
}

// find returns the object of list with id, or nil.
func find[T any](st *batchStore, list *[]T, id string, idOf func(T) string) (T, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, v := range *list {
		if idOf(v) == id {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// remove deletes the object of list with id and reports whether it was
// there.
func remove[T any](st *batchStore, list *[]T, id string, idOf func(T) string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := len(*list)
	*list = slices.DeleteFunc(*list, func(v T) bool { return idOf(v) == id })
	return len(*list) < n
}

// newestFirst returns a copy of list, the newest object first.
func newestFirst[T any](st *batchStore, list *[]T) []T {
	st.mu.Lock()
	out := slices.Clone(*list)
	st.mu.Unlock()
	slices.Reverse(out)
	return out
}

// batchRequest numbers a request to a batch endpoint (apart from the
// direct endpoints' numbers, which transport faults depend on) and counts
// it.
func (s *Server) batchRequest(w http.ResponseWriter, header string) {
	n := s.store.reqs.Add(1)
	s.count(func(st *Stats) { st.Batch.Requests++ })
	w.Header().Set(header, requestID(s.cfg.Seed, n<<20|0xba7c5, "req_"))
}

// batchRoute is an endpoint of a batch API: its path below the API's root
// with "{id}" where an object's id goes, its method, and what serves it
// (given the id).
type batchRoute struct {
	path   string
	method string
	serve  func(id string)
}

// dispatch serves the path segs with method by the route that matches
// them; when none does it calls notFound, or notAllowed when a route has
// the path but another method.
func dispatch(routes []batchRoute, segs []string, method string, notFound, notAllowed func()) {
	pathFound := false
	for _, rt := range routes {
		pattern := segments(rt.path)
		if len(pattern) != len(segs) {
			continue
		}
		id, match := "", true
		for i, p := range pattern {
			switch p {
			case "{id}":
				id = segs[i]
			case segs[i]:
			default:
				match = false
			}
		}
		if !match {
			continue
		}
		if rt.method == method {
			rt.serve(id)
			return
		}
		pathFound = true
	}
	if pathFound {
		notAllowed()
		return
	}
	notFound()
}

// countLines counts the lines of an ended batch by outcome.
func (s *Server) countLines(results []lineResult) {
	s.count(func(st *Stats) {
		for _, r := range results {
			st.Batch.Lines++
			switch r.outcome {
			case lineFailed:
				st.Batch.Failed++
			case lineExpired:
				st.Batch.Expired++
			case lineCanceled:
				st.Batch.Canceled++
			}
		}
	})
}

// answerLines answers the lines of results that succeeded, counting their
// tokens and faults as completions, and returns their answers by index.
func (s *Server) answerLines(results []lineResult) []lineAnswer {
	out := make([]lineAnswer, len(results))
	for i, r := range results {
		if r.outcome == lineSucceeded {
			out[i] = r.line.answer(r.line.key, r.done)
		}
	}
	s.countLines(results)
	return out
}

// lineAnswerer readies the answer of a line whose request is c with n
// choices: the model's replies, counted as a completion (but not charged
// to the rate limiter), written by write in the endpoint's shape.
func (s *Server) lineAnswerer(customID string, c *conversation, n int, write func(reps []reply, key uint64, done time.Time, prompt, completion int) any) func(uint64, time.Time) lineAnswer {
	counter := sampleCounter(customID)
	return func(key uint64, done time.Time) lineAnswer {
		prompt := c.promptTokens()
		reps := s.chatReplies(c, n, counter)
		s.countAnswer(prompt, reps...)
		completion := 0
		for _, rep := range reps {
			completion += rep.tokens
		}
		return lineAnswer{body: write(reps, key, done, prompt, completion), prompt: prompt, complete: completion}
	}
}

// sampleCounter is what stands in for the direct endpoint's sample counter
// for a line at temperature above 0: the hash of its custom_id, so that
// its answer does not depend on the order lines run in.
func sampleCounter(customID string) uint64 { return hashString(customID) | 1 }
