package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Anthropic's Message Batches: POST and GET /v1/messages/batches, GET and
// DELETE /v1/messages/batches/{id}, GET /v1/messages/batches/{id}/results
// and POST /v1/messages/batches/{id}/cancel. A batch is "in_progress" until
// every request has run, then "ended" with its results — one JSONL line per
// request, succeeded, errored, canceled or expired, in the order the
// requests ran — at its results_url.

// messageBatch is a batch of the Message Batches API.
type messageBatch struct {
	*batchJob
	size int64 // the bytes it holds: its requests, then its results too

	// written by render, under mu
	results []byte
	counts  messageBatchCounts
}

type messageBatchCounts struct {
	Processing int `json:"processing"`
	Succeeded  int `json:"succeeded"`
	Errored    int `json:"errored"`
	Canceled   int `json:"canceled"`
	Expired    int `json:"expired"`
}

// messageBatchObject is the Message Batches API's batch object.
type messageBatchObject struct {
	ID                string             `json:"id"`
	Type              string             `json:"type"`
	ProcessingStatus  string             `json:"processing_status"`
	RequestCounts     messageBatchCounts `json:"request_counts"`
	EndedAt           *string            `json:"ended_at"`
	CreatedAt         string             `json:"created_at"`
	ExpiresAt         string             `json:"expires_at"`
	ArchivedAt        *string            `json:"archived_at"`
	CancelInitiatedAt *string            `json:"cancel_initiated_at"`
	ResultsURL        *string            `json:"results_url"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func rfc3339Or(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return ptr(rfc3339(t))
}

// object reads the batch at now as the Message Batches API shows it, its
// results_url under base; mu must be held.
func (b *messageBatch) object(now time.Time, base string) messageBatchObject {
	v := b.state(now)
	o := messageBatchObject{ID: b.id, Type: "message_batch", ProcessingStatus: "in_progress",
		CreatedAt: rfc3339(b.created), ExpiresAt: rfc3339(b.expiresAt()), CancelInitiatedAt: rfc3339Or(v.cancellingAt),
		RequestCounts: messageBatchCounts{Processing: len(b.lines)}}
	switch {
	case v.phase.ended():
		o.ProcessingStatus, o.EndedAt = "ended", rfc3339Or(v.endedAt)
		o.RequestCounts = b.counts
		o.ResultsURL = ptr(base + "/v1/messages/batches/" + b.id + "/results")
	case v.phase == phaseCancelling:
		o.ProcessingStatus = "canceling"
	}
	return o
}

// messageResult is a line of a message batch's results.
type messageResult struct {
	CustomID string `json:"custom_id"`
	Result   struct {
		Type    string        `json:"type"`
		Message *anthResponse `json:"message,omitempty"`
		Error   *anthErrBody  `json:"error,omitempty"`
	} `json:"result"`
}

// anthErrBody is Anthropic's error response body.
type anthErrBody struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func newAnthErrBody(typ, msg string) *anthErrBody {
	e := &anthErrBody{Type: "error"}
	e.Error.Type, e.Error.Message = typ, msg
	return e
}

// render writes the batch's results; mu is held.
func (b *messageBatch) render(s *Server) func([]lineResult, time.Time) {
	return func(results []lineResult, _ time.Time) {
		answers := s.answerLines(results)
		var out bytes.Buffer
		var counts messageBatchCounts
		for i, r := range results {
			var res messageResult
			res.CustomID = r.line.customID
			switch r.outcome {
			case lineSucceeded:
				res.Result.Type = "succeeded"
				res.Result.Message = answers[i].body.(*anthResponse)
				counts.Succeeded++
			case lineRefused:
				res.Result.Type, res.Result.Error = "errored", r.line.refusal.body.(*anthErrBody)
				counts.Errored++
			case lineFailed:
				res.Result.Type, res.Result.Error = "errored", newAnthErrBody("api_error", "Internal server error")
				counts.Errored++
			case lineExpired:
				res.Result.Type = "expired"
				counts.Expired++
			case lineCanceled:
				res.Result.Type = "canceled"
				counts.Canceled++
			}
			data, err := json.Marshal(res)
			if err != nil {
				res.Result.Type, res.Result.Message = "errored", nil
				res.Result.Error = newAnthErrBody("api_error", "The answer could not be encoded: "+err.Error())
				data, _ = json.Marshal(res)
			}
			out.Write(data)
			out.WriteByte('\n')
		}
		b.results, b.counts = out.Bytes(), counts
		if s.store.reserve(int64(len(b.results)), math.MaxInt64) {
			b.size += int64(len(b.results))
		}
	}
}

// ---- routing ----

// messageBatchesAPI serves /v1/messages/batches...; segs is the path
// after it, split at its slashes.
func (s *Server) messageBatchesAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	s.batchRequest(w, "request-id")
	if !s.anthropicAuthorized(w, r) {
		return
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	routes := []batchRoute{
		{"", http.MethodPost, func(string) { s.createMessageBatch(w, r, base) }},
		{"", http.MethodGet, func(string) { s.listMessageBatches(w, r, base) }},
		{"{id}", http.MethodGet, func(id string) {
			s.withMessageBatch(w, id, func(b *messageBatch, now time.Time) {
				s.countStatus(http.StatusOK)
				writeJSON(w, http.StatusOK, b.object(now, base))
			})
		}},
		{"{id}", http.MethodDelete, func(id string) { s.deleteMessageBatch(w, id) }},
		{"{id}/results", http.MethodGet, func(id string) { s.messageBatchResults(w, id) }},
		{"{id}/cancel", http.MethodPost, func(id string) { s.cancelMessageBatch(w, id, base) }},
	}
	dispatch(routes, segs, r.Method, func() {
		s.anthropicError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("Not found: %s %s", r.Method, r.URL.Path))
	}, func() {
		s.anthropicError(w, http.StatusMethodNotAllowed, "invalid_request_error", fmt.Sprintf("Method %s not allowed for %s", r.Method, r.URL.Path))
	})
}

func (s *Server) cancelMessageBatch(w http.ResponseWriter, id, base string) {
	s.withMessageBatch(w, id, func(b *messageBatch, now time.Time) {
		if _, ok := b.cancel(now); !ok {
			s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("Message Batch %s has already ended and cannot be canceled.", b.id))
			return
		}
		s.countStatus(http.StatusOK)
		writeJSON(w, http.StatusOK, b.object(now, base))
	})
}

// messageBatchCreate is the body of POST /v1/messages/batches.
type messageBatchCreate struct {
	Requests *[]struct {
		CustomID *string         `json:"custom_id"`
		Params   json.RawMessage `json:"params"`
	} `json:"requests"`
}

// customIDPattern is what Anthropic accepts as a custom_id.
var customIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (s *Server) createMessageBatch(w http.ResponseWriter, r *http.Request, base string) {
	limit := s.batch.MaxRequestBytes
	body, fits, err := readBody(r, limit)
	if err != nil {
		return
	}
	if !fits {
		s.anthropicError(w, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("Request exceeds the maximum allowed number of bytes: a message batch may hold at most %d bytes. Split the requests into several batches.", limit))
		return
	}
	var req messageBatchCreate
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		aerr := anthDecodeError(err)
		s.anthropicError(w, aerr.code, aerr.typ, aerr.msg)
		return
	}
	lines, aerr := s.messageBatchLines(&req)
	if aerr != nil {
		s.anthropicError(w, aerr.code, aerr.typ, aerr.msg)
		return
	}
	if !s.store.reserve(int64(len(body)), s.maxStored) {
		s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("Storage limit reached: this server holds at most %d bytes of files and batches. Delete message batches you no longer need.", s.maxStored))
		return
	}
	now := s.clk.Now()
	id := s.store.newID(s.cfg.Seed, "msgbatch_")
	b := &messageBatch{batchJob: newBatchJob(s.cfg.Seed, id, now, s.batch, lines, nil), size: int64(len(body))}
	b.batchJob.render = b.render(s)
	s.store.mu.Lock()
	s.store.msgBatches = append(s.store.msgBatches, b)
	s.store.mu.Unlock()
	s.count(func(st *Stats) { st.Batch.Batches++ })
	b.mu.Lock()
	o := b.object(now, base)
	b.mu.Unlock()
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, o)
}

// messageBatchLines checks a message batch as Anthropic does when it is
// created — at least one request and at most Profile.Batch.MaxRequests,
// each with a custom_id of the allowed form, unique in the batch, and
// params — and readies each request's answer; params the Messages API
// refuses make an errored result, as Anthropic validates them when the
// request runs.
func (s *Server) messageBatchLines(req *messageBatchCreate) ([]batchLine, *anthError) {
	switch {
	case req.Requests == nil:
		return nil, anthBad("requests: Field required")
	case len(*req.Requests) == 0:
		return nil, anthBad("requests: List should have at least 1 item after validation, not 0")
	case len(*req.Requests) > s.batch.MaxRequests:
		return nil, anthBad("requests: List should have at most %d items after validation, not %d. Split the requests into several batches.", s.batch.MaxRequests, len(*req.Requests))
	}
	seen := make(map[string]int, len(*req.Requests))
	lines := make([]batchLine, 0, len(*req.Requests))
	for i, rq := range *req.Requests {
		switch {
		case rq.CustomID == nil:
			return nil, anthBad("requests.%d.custom_id: Field required", i)
		case !customIDPattern.MatchString(*rq.CustomID):
			return nil, anthBad("requests.%d.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'", i)
		case len(bytes.TrimSpace(rq.Params)) == 0 || string(bytes.TrimSpace(rq.Params)) == "null":
			return nil, anthBad("requests.%d.params: Field required", i)
		}
		if j, dup := seen[*rq.CustomID]; dup {
			return nil, anthBad("requests.%d.custom_id: duplicate custom_id '%s' (also requests.%d.custom_id): each request in a batch needs a unique custom_id", i, *rq.CustomID, j)
		}
		seen[*rq.CustomID] = i
		lines = append(lines, s.messageBatchLine(*rq.CustomID, rq.Params))
	}
	return lines, nil
}

// messageBatchLine validates a request's params as POST /v1/messages does
// and readies its answer: that endpoint's own answer to it.
func (s *Server) messageBatchLine(customID string, params []byte) batchLine {
	l := batchLine{customID: customID}
	c, stream, aerr := s.parseMessages(params)
	if aerr == nil && stream {
		aerr = anthBad("stream: streaming is not supported in a message batch")
	}
	if aerr != nil {
		l.refusal = &lineRefusal{status: aerr.code, body: newAnthErrBody(aerr.typ, aerr.msg)}
		return l
	}
	l.answer = s.lineAnswerer(customID, c, 1, func(reps []reply, key uint64, _ time.Time, prompt, _ int) any {
		msg := anthropicMessage(c, reps[0], requestID(s.cfg.Seed, key+2, "msg_"), prompt)
		return &msg
	})
	return l
}

// withMessageBatch finds message batch id, or answers 404, and serves it
// at the clock's time with its lock held.
func (s *Server) withMessageBatch(w http.ResponseWriter, id string, serve func(b *messageBatch, now time.Time)) {
	serveJob(s, &s.store.msgBatches, id, func() {
		s.anthropicError(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("Message Batch %s not found.", id))
	}, serve)
}

func (s *Server) messageBatchResults(w http.ResponseWriter, id string) {
	s.withMessageBatch(w, id, func(b *messageBatch, now time.Time) {
		if !b.state(now).phase.ended() {
			s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("Message Batch %s has not finished processing: its results are ready once processing_status is 'ended'.", b.id))
			return
		}
		s.countStatus(http.StatusOK)
		w.Header().Set("Content-Type", "application/binary")
		w.Header().Set("Content-Length", strconv.Itoa(len(b.results)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b.results)
	})
}

func (s *Server) deleteMessageBatch(w http.ResponseWriter, id string) {
	s.withMessageBatch(w, id, func(b *messageBatch, now time.Time) {
		if !b.state(now).phase.ended() {
			s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("Message Batch %s is still processing: cancel it before deleting it.", b.id))
			return
		}
		if remove(&s.store, &s.store.msgBatches, id, jobID[*messageBatch]) {
			s.store.release(b.size)
		}
		s.countStatus(http.StatusOK)
		writeJSON(w, http.StatusOK, map[string]string{"id": id, "type": "message_batch_deleted"})
	})
}

func (s *Server) listMessageBatches(w http.ResponseWriter, r *http.Request, base string) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.anthropicError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("limit: Input should be an integer between 1 and 1000, not '%s'", v))
			return
		}
		limit = n
	}
	all := newestFirst(&s.store, &s.store.msgBatches)
	if before := q.Get("before_id"); before != "" {
		for i, b := range all {
			if b.id == before {
				all = all[max(0, i-limit):i]
				break
			}
		}
	}
	batches, more := page(all, limit, q.Get("after_id"), jobID[*messageBatch])
	now := s.clk.Now()
	out := struct {
		Data    []messageBatchObject `json:"data"`
		HasMore bool                 `json:"has_more"`
		FirstID *string              `json:"first_id"`
		LastID  *string              `json:"last_id"`
	}{Data: make([]messageBatchObject, len(batches)), HasMore: more}
	for i, b := range batches {
		b.mu.Lock()
		out.Data[i] = b.object(now, base)
		b.mu.Unlock()
	}
	if len(batches) > 0 {
		out.FirstID, out.LastID = ptr(batches[0].id), ptr(batches[len(batches)-1].id)
	}
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, out)
}
