package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// OpenAI's Batch API: files (POST and GET /v1/files, GET and DELETE
// /v1/files/{id}, GET /v1/files/{id}/content) and batches (POST and GET
// /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel). A batch
// runs an uploaded JSONL file of requests to /v1/chat/completions or
// /v1/responses; its results are an output file (the lines that succeeded)
// and an error file (the others), each in the order the lines ran.

// batchEndpoints are the endpoints a batch can run, as OpenAI's batch
// object names them.
var batchEndpoints = []string{"/v1/chat/completions", "/v1/responses"}

// storedFile is a file of the Files API. It does not change once stored.
type storedFile struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"`
	Bytes         int     `json:"bytes"`
	CreatedAt     int64   `json:"created_at"`
	ExpiresAt     *int64  `json:"expires_at"`
	Filename      string  `json:"filename"`
	Purpose       string  `json:"purpose"`
	Status        string  `json:"status"`
	StatusDetails *string `json:"status_details"`
	data          []byte
}

func fileID(f *storedFile) string { return f.ID }

// storeFile keeps data as a file; force stores it past the storage bound
// (a batch's results), else it reports false when the bound is reached.
func (s *Server) storeFile(purpose, filename string, data []byte, now time.Time, force bool) (*storedFile, bool) {
	limit := s.maxStored
	if force {
		limit = math.MaxInt64
	}
	if !s.store.reserve(int64(len(data)), limit) {
		return nil, false
	}
	f := &storedFile{ID: s.store.newID(s.cfg.Seed, "file-"), Object: "file", Bytes: len(data), CreatedAt: now.Unix(),
		Filename: filename, Purpose: purpose, Status: "processed", data: data}
	s.store.mu.Lock()
	s.store.files = append(s.store.files, f)
	s.store.mu.Unlock()
	return f, true
}

// openAIBatch is a batch of the Batch API.
type openAIBatch struct {
	*batchJob
	endpoint    string
	inputFileID string
	window      string
	metadata    map[string]string
	model       string

	// written by render, under mu
	outputFileID, errorFileID string
	usage                     *batchUsage
}

type batchCounts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
}

type batchUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

type batchErrors struct {
	Object string       `json:"object"`
	Data   []batchError `json:"data"`
}

// batchObject is the Batch API's batch object.
type batchObject struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Endpoint         string            `json:"endpoint"`
	Model            string            `json:"model,omitempty"`
	Errors           *batchErrors      `json:"errors"`
	InputFileID      string            `json:"input_file_id"`
	CompletionWindow string            `json:"completion_window"`
	Status           string            `json:"status"`
	OutputFileID     *string           `json:"output_file_id"`
	ErrorFileID      *string           `json:"error_file_id"`
	CreatedAt        int64             `json:"created_at"`
	InProgressAt     *int64            `json:"in_progress_at"`
	ExpiresAt        *int64            `json:"expires_at"`
	FinalizingAt     *int64            `json:"finalizing_at"`
	CompletedAt      *int64            `json:"completed_at"`
	FailedAt         *int64            `json:"failed_at"`
	ExpiredAt        *int64            `json:"expired_at"`
	CancellingAt     *int64            `json:"cancelling_at"`
	CancelledAt      *int64            `json:"cancelled_at"`
	RequestCounts    batchCounts       `json:"request_counts"`
	Usage            *batchUsage       `json:"usage,omitempty"`
	Metadata         map[string]string `json:"metadata"`
}

// unix is t in Unix seconds, or nil for the zero time.
func unix(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	return ptr(t.Unix())
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// object reads the batch at now as the Batch API shows it; mu must be
// held.
func (b *openAIBatch) object(now time.Time) batchObject {
	v := b.state(now)
	o := batchObject{ID: b.id, Object: "batch", Endpoint: b.endpoint, Model: b.model, InputFileID: b.inputFileID,
		CompletionWindow: b.window, Status: v.phase.String(), CreatedAt: b.created.Unix(),
		InProgressAt: unix(v.inProgressAt), ExpiresAt: unix(b.expiresAt()), FinalizingAt: unix(v.finalizingAt),
		CancellingAt: unix(v.cancellingAt), OutputFileID: nonEmpty(b.outputFileID), ErrorFileID: nonEmpty(b.errorFileID),
		Usage: b.usage, Metadata: b.metadata}
	switch v.phase {
	case phaseFailed:
		o.FailedAt = unix(v.endedAt)
		o.Errors = &batchErrors{Object: "list", Data: b.problems}
	case phaseCompleted:
		o.CompletedAt = unix(v.endedAt)
	case phaseExpired:
		o.ExpiredAt = unix(v.endedAt)
	case phaseCancelled:
		o.CancelledAt = unix(v.endedAt)
	}
	if v.phase != phaseValidating && v.phase != phaseFailed {
		o.RequestCounts = batchCounts{Total: len(b.lines), Completed: v.succeeded, Failed: v.errored}
		if v.phase.ended() {
			o.RequestCounts.Failed = len(b.lines) - v.succeeded
		}
	}
	return o
}

// batchOutputLine is a line of a batch's output or error file.
type batchOutputLine struct {
	ID       string          `json:"id"`
	CustomID string          `json:"custom_id"`
	Response *batchResponse  `json:"response"`
	Error    *batchLineError `json:"error"`
}

type batchResponse struct {
	StatusCode int    `json:"status_code"`
	RequestID  string `json:"request_id"`
	Body       any    `json:"body"`
}

type batchLineError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type openAIErrorBody struct {
	Error apiError `json:"error"`
}

// render writes the batch's output and error files; mu is held.
func (b *openAIBatch) render(s *Server) func([]lineResult, time.Time) {
	return func(results []lineResult, ended time.Time) {
		answers := s.answerLines(results)
		var out, errs bytes.Buffer
		usage := &batchUsage{}
		for i, r := range results {
			l := r.line
			line := batchOutputLine{ID: requestID(s.cfg.Seed, l.key, "batch_req_"), CustomID: l.customID}
			reqID := requestID(s.cfg.Seed, l.key+1, "req_")
			switch r.outcome {
			case lineSucceeded:
				a := answers[i]
				line.Response = &batchResponse{StatusCode: http.StatusOK, RequestID: reqID, Body: a.body}
				usage.InputTokens += a.prompt
				usage.OutputTokens += a.complete
			case lineRefused:
				line.Response = &batchResponse{StatusCode: l.refusal.status, RequestID: reqID, Body: l.refusal.body}
			case lineFailed:
				line.Response = &batchResponse{StatusCode: http.StatusInternalServerError, RequestID: reqID, Body: openAIErrorBody{apiError{
					Message: "The server had an error while processing your request. Sorry about that!", Type: "server_error"}}}
			case lineExpired:
				line.Error = &batchLineError{Code: "batch_expired", Message: "This request could not be executed before the completion window expired."}
			case lineCanceled:
				line.Error = &batchLineError{Code: "batch_cancelled", Message: "This request was not executed: the batch was cancelled."}
			}
			data, err := json.Marshal(line)
			if err != nil {
				data, _ = json.Marshal(batchOutputLine{ID: line.ID, CustomID: l.customID,
					Error: &batchLineError{Code: "server_error", Message: "The answer could not be encoded: " + err.Error()}})
			}
			dst := &errs
			if r.outcome == lineSucceeded {
				dst = &out
			}
			dst.Write(data)
			dst.WriteByte('\n')
		}
		usage.TotalTokens = usage.InputTokens + usage.OutputTokens
		if len(results) > 0 {
			b.usage = usage
		}
		if out.Len() > 0 {
			f, _ := s.storeFile("batch_output", b.id+"_output.jsonl", out.Bytes(), ended, true)
			b.outputFileID = f.ID
		}
		if errs.Len() > 0 {
			f, _ := s.storeFile("batch_output", b.id+"_error.jsonl", errs.Bytes(), ended, true)
			b.errorFileID = f.ID
		}
	}
}

// ---- routing ----

// openAIBatchAPI serves /v1/files... and /v1/batches...; segs is the path
// after /v1, split at its slashes.
func (s *Server) openAIBatchAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	s.batchRequest(w, "x-request-id")
	if !s.openAIAuthorized(w, r) {
		return
	}
	routes := []batchRoute{
		{"files", http.MethodPost, func(string) { s.uploadFile(w, r) }},
		{"files", http.MethodGet, func(string) { s.listFiles(w, r) }},
		{"files/{id}", http.MethodGet, func(id string) {
			s.withFile(w, id, func(f *storedFile) {
				s.countStatus(http.StatusOK)
				writeJSON(w, http.StatusOK, f)
			})
		}},
		{"files/{id}", http.MethodDelete, func(id string) { s.deleteFile(w, id) }},
		{"files/{id}/content", http.MethodGet, func(id string) {
			s.withFile(w, id, func(f *storedFile) {
				s.countStatus(http.StatusOK)
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(f.data)
			})
		}},
		{"batches", http.MethodPost, func(string) { s.createBatch(w, r) }},
		{"batches", http.MethodGet, func(string) { s.listBatches(w, r) }},
		{"batches/{id}", http.MethodGet, func(id string) {
			s.withBatch(w, id, func(b *openAIBatch, now time.Time) {
				s.countStatus(http.StatusOK)
				writeJSON(w, http.StatusOK, b.object(now))
			})
		}},
		{"batches/{id}/cancel", http.MethodPost, func(id string) { s.cancelBatch(w, id) }},
	}
	dispatch(routes, segs, r.Method, func() {
		s.openAIError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"})
	}, func() { s.methodNotAllowed(w, r) })
}

// ---- files ----

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	limit := s.batch.MaxFileBytes
	tooLarge := func() {
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("File too large: a batch input file may hold at most %d bytes. Split the requests into several files.", limit), "file", "file_too_large"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		s.openAIError(w, http.StatusBadRequest, *badRequest("Invalid body: POST /v1/files takes a multipart/form-data body with the parts 'purpose' and 'file'.", "", ""))
		return
	}
	var purpose, filename string
	var data []byte
	haveFile := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge()
			return
		}
		if err != nil {
			s.openAIError(w, http.StatusBadRequest, *badRequest("Invalid multipart body: "+err.Error(), "", ""))
			return
		}
		switch p.FormName() {
		case "purpose":
			b, _ := io.ReadAll(io.LimitReader(p, 256))
			purpose = strings.TrimSpace(string(b))
		case "file":
			filename, haveFile = p.FileName(), true
			data, err = io.ReadAll(io.LimitReader(p, limit+1))
			if errors.As(err, &mbe) || int64(len(data)) > limit {
				tooLarge()
				return
			}
			if err != nil {
				s.openAIError(w, http.StatusBadRequest, *badRequest("Invalid multipart body: "+err.Error(), "file", ""))
				return
			}
		default:
			_, _ = io.Copy(io.Discard, p)
		}
	}
	switch {
	case purpose == "":
		s.openAIError(w, http.StatusBadRequest, *badRequest("Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter"))
		return
	case purpose != "batch":
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("Invalid value for 'purpose': '%s'. This server stores batch input files only; supported values are: 'batch'.", purpose), "purpose", "invalid_value"))
		return
	case !haveFile:
		s.openAIError(w, http.StatusBadRequest, *badRequest("Missing required parameter: 'file'.", "file", "missing_required_parameter"))
		return
	}
	if filename == "" {
		filename = "upload.jsonl"
	}
	f, ok := s.storeFile(purpose, filename, data, s.clk.Now(), false)
	if !ok {
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("Storage limit reached: this server holds at most %d bytes of files and batches. Delete files you no longer need.", s.maxStored), "file", "storage_limit_exceeded"))
		return
	}
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, f)
}

// withFile finds file id, or answers 404.
func (s *Server) withFile(w http.ResponseWriter, id string, serve func(f *storedFile)) {
	f, ok := find(&s.store, &s.store.files, id, fileID)
	if !ok {
		s.openAIError(w, http.StatusNotFound, *badRequest(fmt.Sprintf("No such File object: %s", id), "id", ""))
		return
	}
	serve(f)
}

func (s *Server) deleteFile(w http.ResponseWriter, id string) {
	s.withFile(w, id, func(f *storedFile) {
		if remove(&s.store, &s.store.files, id, fileID) {
			s.store.release(int64(len(f.data)))
		}
		s.countStatus(http.StatusOK)
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "file", "deleted": true})
	})
}

// listPage reads a list's limit (1 to most, def when absent) and cursor
// (after); it answers 400 itself when the limit is not a number in range.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, def, most int) (int, string, bool) {
	limit := def
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > most {
			s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("Invalid 'limit': expected an integer between 1 and %d, but got '%s' instead.", most, v), "limit", "invalid_value"))
			return 0, "", false
		}
		limit = n
	}
	return limit, r.URL.Query().Get("after"), true
}

// page cuts list (newest first) after the object with id after, to limit
// objects, and reports whether more follow.
func page[T any](list []T, limit int, after string, idOf func(T) string) ([]T, bool) {
	if after != "" {
		for i, v := range list {
			if idOf(v) == after {
				list = list[i+1:]
				break
			}
		}
	}
	if len(list) > limit {
		return list[:limit], true
	}
	return list, false
}

type openAIList[T any] struct {
	Object  string  `json:"object"`
	Data    []T     `json:"data"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

func newOpenAIList[T any](data []T, more bool, idOf func(T) string) openAIList[T] {
	l := openAIList[T]{Object: "list", Data: data, HasMore: more}
	if l.Data == nil {
		l.Data = []T{}
	}
	if len(data) > 0 {
		l.FirstID, l.LastID = ptr(idOf(data[0])), ptr(idOf(data[len(data)-1]))
	}
	return l
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := s.listPage(w, r, 10_000, 10_000)
	if !ok {
		return
	}
	files := newestFirst(&s.store, &s.store.files)
	if p := r.URL.Query().Get("purpose"); p != "" {
		files = filterSlice(files, func(f *storedFile) bool { return f.Purpose == p })
	}
	data, more := page(files, limit, after, fileID)
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, newOpenAIList(data, more, fileID))
}

func filterSlice[T any](in []T, keep func(T) bool) []T {
	var out []T
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// ---- batches ----

// batchCreate is the body of POST /v1/batches.
type batchCreate struct {
	InputFileID        *string           `json:"input_file_id"`
	Endpoint           *string           `json:"endpoint"`
	CompletionWindow   *string           `json:"completion_window"`
	Metadata           map[string]string `json:"metadata"`
	OutputExpiresAfter json.RawMessage   `json:"output_expires_after"`
}

// batchInputLine is a line of a batch input file.
type batchInputLine struct {
	CustomID *string         `json:"custom_id"`
	Method   *string         `json:"method"`
	URL      *string         `json:"url"`
	Body     json.RawMessage `json:"body"`
}

func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	body, fits, err := readBody(r, s.maxBody)
	if err != nil {
		return
	}
	if !fits {
		s.openAIError(w, http.StatusRequestEntityTooLarge, *badRequest(fmt.Sprintf("Request body too large: the limit is %d bytes.", s.maxBody), "", ""))
		return
	}
	var req batchCreate
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.openAIError(w, http.StatusBadRequest, *decodeError(err))
		return
	}
	if aerr := checkBatchCreate(&req); aerr != nil {
		s.openAIError(w, http.StatusBadRequest, *aerr)
		return
	}
	f, ok := find(&s.store, &s.store.files, *req.InputFileID, fileID)
	switch {
	case !ok:
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("Invalid 'input_file_id': no file with id '%s' was found. Upload the input file with POST /v1/files first.", *req.InputFileID), "input_file_id", "invalid_value"))
		return
	case f.Purpose != "batch":
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("Invalid 'input_file_id': file '%s' has purpose '%s'; a batch takes a file uploaded with purpose 'batch'.", f.ID, f.Purpose), "input_file_id", "invalid_value"))
		return
	}
	if n := countLines(f.data); n > s.batch.MaxLines {
		s.openAIError(w, http.StatusBadRequest, *badRequest(fmt.Sprintf("The input file holds %d requests; a batch takes at most %d. Split the requests into several batches.", n, s.batch.MaxLines), "input_file_id", "too_many_requests"))
		return
	}
	lines, problems, model := s.openAIBatchLines(f.data, *req.Endpoint)
	now := s.clk.Now()
	id := s.store.newID(s.cfg.Seed, "batch_")
	b := &openAIBatch{batchJob: newBatchJob(s.cfg.Seed, id, now, s.batch, lines, problems),
		endpoint: *req.Endpoint, inputFileID: f.ID, window: *req.CompletionWindow, metadata: req.Metadata, model: model}
	b.batchJob.render = b.render(s)
	s.store.mu.Lock()
	s.store.batches = append(s.store.batches, b)
	s.store.mu.Unlock()
	s.count(func(st *Stats) { st.Batch.Batches++ })
	b.mu.Lock()
	o := b.object(now)
	b.mu.Unlock()
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, o)
}

// checkBatchCreate checks a POST /v1/batches body as OpenAI does.
func checkBatchCreate(req *batchCreate) *apiError {
	switch {
	case req.InputFileID == nil || *req.InputFileID == "":
		return badRequest("Missing required parameter: 'input_file_id'.", "input_file_id", "missing_required_parameter")
	case req.Endpoint == nil || *req.Endpoint == "":
		return badRequest("Missing required parameter: 'endpoint'.", "endpoint", "missing_required_parameter")
	case req.CompletionWindow == nil || *req.CompletionWindow == "":
		return badRequest("Missing required parameter: 'completion_window'.", "completion_window", "missing_required_parameter")
	case *req.CompletionWindow != "24h":
		return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: '24h'.", *req.CompletionWindow), "completion_window", "invalid_value")
	}
	supported := false
	for _, e := range batchEndpoints {
		supported = supported || *req.Endpoint == e
	}
	if !supported {
		return badRequest(fmt.Sprintf("Invalid value: '%s'. Supported values are: '%s'.", *req.Endpoint, strings.Join(batchEndpoints, "', '")), "endpoint", "invalid_value")
	}
	if len(req.Metadata) > 16 {
		return badRequest(fmt.Sprintf("Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with %d properties instead.", len(req.Metadata)), "metadata", "object_above_max_properties")
	}
	for k, v := range req.Metadata {
		if len(k) > 64 || len(v) > 512 {
			return badRequest("Invalid 'metadata': keys may hold at most 64 characters and values at most 512.", "metadata", "invalid_value")
		}
	}
	return nil
}

// countLines counts the non-blank lines of data.
func countLines(data []byte) int {
	n := 0
	for line := range bytes.Lines(data) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

// openAIBatchLines reads a batch input file as OpenAI validates it: every
// line a JSON object with a custom_id unique in the file, method POST, the
// batch's endpoint as its url, a body, and one model for the whole file.
// Any problem fails the batch (the first MaxBatchErrors are listed);
// otherwise each body is validated as its endpoint does, and one the
// endpoint refuses is a failed line of the batch. It returns the model
// too.
func (s *Server) openAIBatchLines(data []byte, endpoint string) ([]batchLine, []batchError, string) {
	var problems []batchError
	problem := func(line int, code, param, format string, args ...any) {
		if len(problems) < MaxBatchErrors {
			problems = append(problems, batchError{Code: code, Message: fmt.Sprintf(format, args...), Param: nonEmpty(param), Line: ptr(line)})
		}
	}
	type parsed struct {
		customID string
		body     []byte
	}
	var in []parsed
	seen := map[string]int{}
	model, modelLine := "", 0
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var l batchInputLine
		if err := json.Unmarshal(raw, &l); err != nil {
			problem(n, "invalid_json_line", "", "Line %d is not a JSON object: %v.", n, err)
			continue
		}
		switch {
		case l.CustomID == nil || *l.CustomID == "":
			problem(n, "missing_required_parameter", "custom_id", "Missing required parameter: 'custom_id' on line %d.", n)
			continue
		case seen[*l.CustomID] > 0:
			problem(n, "duplicate_custom_id", "custom_id", "The custom_id '%s' on line %d is a duplicate of line %d's. The custom_id parameter must be unique for each request in a batch.", *l.CustomID, n, seen[*l.CustomID])
			continue
		}
		seen[*l.CustomID] = n
		switch {
		case l.Method == nil || *l.Method == "":
			problem(n, "missing_required_parameter", "method", "Missing required parameter: 'method' on line %d.", n)
		case *l.Method != http.MethodPost:
			problem(n, "invalid_method", "method", "Invalid value for 'method' on line %d: '%s'. Supported values are: 'POST'.", n, *l.Method)
		case l.URL == nil || *l.URL == "":
			problem(n, "missing_required_parameter", "url", "Missing required parameter: 'url' on line %d.", n)
		case *l.URL != endpoint:
			problem(n, "mismatched_endpoint", "url", "The url '%s' on line %d does not match the batch's endpoint '%s': the requests of a batch all go to one endpoint.", *l.URL, n, endpoint)
		case len(bytes.TrimSpace(l.Body)) == 0 || bytes.TrimSpace(l.Body)[0] != '{':
			problem(n, "missing_required_parameter", "body", "Missing required parameter: 'body' on line %d: a JSON object, the request's body.", n)
		default:
			var m struct {
				Model *string `json:"model"`
			}
			_ = json.Unmarshal(l.Body, &m)
			if m.Model != nil && *m.Model != "" {
				if model == "" {
					model, modelLine = *m.Model, n
				} else if *m.Model != model {
					problem(n, "mismatched_model", "body.model", "The model '%s' on line %d differs from the model '%s' of line %d: the requests of a batch all use one model.", *m.Model, n, model, modelLine)
				}
			}
			in = append(in, parsed{customID: *l.CustomID, body: l.Body})
		}
	}
	if len(in) == 0 && len(problems) == 0 {
		problems = append(problems, batchError{Code: "empty_file", Message: "The input file holds no requests."})
	}
	if len(problems) > 0 {
		return nil, problems, model
	}
	lines := make([]batchLine, len(in))
	for i, p := range in {
		lines[i] = s.openAIBatchLine(p.customID, p.body, endpoint)
	}
	return lines, nil, model
}

// openAIBatchLine validates a line's body as endpoint does and readies its
// answer: the endpoint's own answer to it.
func (s *Server) openAIBatchLine(customID string, body []byte, endpoint string) batchLine {
	l := batchLine{customID: customID}
	refuse := func(code int, aerr *apiError) batchLine {
		l.refusal = &lineRefusal{status: code, body: openAIErrorBody{*aerr}}
		return l
	}
	if endpoint == "/v1/responses" {
		params, code, aerr := s.parseResponses(body)
		if aerr == nil && params.stream {
			code, aerr = http.StatusBadRequest, badRequest("Streaming is not supported in a batch: remove 'stream'.", "stream", "")
		}
		if aerr != nil {
			return refuse(code, aerr)
		}
		l.answer = s.lineAnswerer(customID, params.conv, 1, func(reps []reply, key uint64, done time.Time, prompt, _ int) any {
			return s.responseObject(params.echo, key, done, prompt, reps[0])
		})
		return l
	}
	params, code, aerr := s.parseChat(body)
	if aerr == nil && params.stream {
		code, aerr = http.StatusBadRequest, badRequest("Streaming is not supported in a batch: remove 'stream' and 'stream_options'.", "stream", "")
	}
	if aerr != nil {
		return refuse(code, aerr)
	}
	l.answer = s.lineAnswerer(customID, params.conv, params.n, func(reps []reply, key uint64, done time.Time, prompt, completion int) any {
		usage := chatUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
		return chatCompletion(params.conv, reps, requestID(s.cfg.Seed, key+2, "chatcmpl-"), done.Unix(), usage)
	})
	return l
}

// withBatch finds batch id, or answers 404, and serves it at the clock's
// time with its lock held.
func (s *Server) withBatch(w http.ResponseWriter, id string, serve func(b *openAIBatch, now time.Time)) {
	serveJob(s, &s.store.batches, id, func() {
		s.openAIError(w, http.StatusNotFound, *badRequest(fmt.Sprintf("No batch found with id '%s'.", id), "batch_id", ""))
	}, serve)
}

func (s *Server) cancelBatch(w http.ResponseWriter, id string) {
	s.withBatch(w, id, func(b *openAIBatch, now time.Time) {
		v, ok := b.cancel(now)
		if !ok {
			s.openAIError(w, http.StatusConflict, *badRequest(fmt.Sprintf("Cannot cancel a batch with status '%s'.", v.phase), "", ""))
			return
		}
		s.countStatus(http.StatusOK)
		writeJSON(w, http.StatusOK, b.object(now))
	})
}

func (s *Server) listBatches(w http.ResponseWriter, r *http.Request) {
	limit, after, ok := s.listPage(w, r, 20, 100)
	if !ok {
		return
	}
	batches, more := page(newestFirst(&s.store, &s.store.batches), limit, after, jobID[*openAIBatch])
	now := s.clk.Now()
	out := make([]batchObject, len(batches))
	for i, b := range batches {
		b.mu.Lock()
		out[i] = b.object(now)
		b.mu.Unlock()
	}
	s.countStatus(http.StatusOK)
	writeJSON(w, http.StatusOK, newOpenAIList(out, more, func(o batchObject) string { return o.ID }))
}
