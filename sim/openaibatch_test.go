package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// TestOpenAIBatchLifecycle runs a batch of chat requests end to end over
// HTTP: the states advance with the clock, the counts with the lines, and
// the output file holds every line once, not in the input's order, each
// answer the direct endpoint's.
func TestOpenAIBatchLifecycle(t *testing.T) {
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 0.3, fault.Fence: 0.3}, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 5, Profile: p})
	const n = 40
	b := e.submit("/v1/chat/completions", chatLines(n)...)
	if b.Status != "validating" || b.RequestCounts.Total != 0 || b.InProgressAt != nil || b.OutputFileID != "" {
		t.Fatalf("created: %+v", b)
	}
	if b.Model != "gpt-4o-mini" || b.ExpiresAt != t0.Add(24*time.Hour).Unix() {
		t.Errorf("model %q, expires_at %d", b.Model, b.ExpiresAt)
	}
	steps := []struct {
		advance time.Duration
		status  string
		total   int
		done    func(int) bool // completed + failed
	}{
		{999 * time.Millisecond, "validating", 0, func(d int) bool { return d == 0 }},
		{time.Millisecond, "in_progress", n, func(d int) bool { return d == 0 }},
		{5 * time.Second, "in_progress", n, func(d int) bool { return d > 0 && d < n }},
		{5 * time.Second, "finalizing", n, func(d int) bool { return d == n }},
		{time.Second, "completed", n, func(d int) bool { return d == n }},
	}
	for _, st := range steps {
		e.clk.Advance(st.advance)
		got := e.batch(b.ID)
		done := got.RequestCounts.Completed + got.RequestCounts.Failed
		if got.Status != st.status || got.RequestCounts.Total != st.total || !st.done(done) {
			t.Fatalf("at +%s: status %s, counts %+v", e.clk.Now().Sub(t0), got.Status, got.RequestCounts)
		}
		if st.status != "completed" && (got.OutputFileID != "" || got.ErrorFileID != "") {
			t.Fatalf("%s batch has files: %+v", got.Status, got)
		}
	}
	b = e.batch(b.ID)
	if b.RequestCounts.Completed != n || b.ErrorFileID != "" || b.Usage == nil || b.Usage.OutputTokens == 0 {
		t.Fatalf("completed: %+v", b)
	}
	out := e.fileLines(b.OutputFileID)
	var order []string
	twin := newBatchEnv(t, Config{Seed: 5, Profile: p})
	for _, l := range out {
		order = append(order, l.CustomID)
		if l.Response == nil || l.Response.StatusCode != http.StatusOK || l.Error != nil || !strings.HasPrefix(l.ID, "batch_req_") {
			t.Fatalf("line %+v", l)
		}
		var i int
		fmt.Sscanf(l.CustomID, "item-%d", &i)
		direct := decodeCompletion(t, post(t, twin.ts, "/v1/chat/completions", accountVariant(i, 0))).content()
		if got := completionContent(t, l.Response.Body); got != direct {
			t.Errorf("%s: batch answer %q, direct %q", l.CustomID, got, direct)
		}
	}
	sorted := slices.Clone(order)
	slices.SortFunc(sorted, func(a, b string) int {
		var i, j int
		fmt.Sscanf(a, "item-%d", &i)
		fmt.Sscanf(b, "item-%d", &j)
		return i - j
	})
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("item-%d", i)
	}
	if !slices.Equal(sorted, want) {
		t.Fatalf("custom_ids %v", order)
	}
	if slices.Equal(order, want) {
		t.Errorf("output in the input's order")
	}
	st := e.srv.Stats()
	if st.Batch.Batches != 1 || st.Batch.Lines != n || st.Completions != n || st.Requests != 0 || st.Faults["missing_field"] == 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestOpenAIBatchResponsesEndpoint: a batch on /v1/responses answers with
// response objects, the direct endpoint's.
func TestOpenAIBatchResponsesEndpoint(t *testing.T) {
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 0.5}, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 2, Profile: p})
	body := func(i int) msg {
		text := strings.Replace(accountText, "age 30", fmt.Sprintf("age %d", 20+i), 1)
		return msg{"model": "gpt-4o-mini", "temperature": 0, "input": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + text,
			"text": msg{"format": msg{"type": "json_object"}}}
	}
	var lines []string
	for i := range 6 {
		lines = append(lines, batchLineJSON(fmt.Sprintf("r%d", i), "/v1/responses", body(i)))
	}
	b := e.submit("/v1/responses", lines...)
	e.clk.Advance(12 * time.Second)
	b = e.batch(b.ID)
	if b.Status != "completed" || b.RequestCounts.Completed != 6 {
		t.Fatalf("%+v", b)
	}
	twin := newBatchEnv(t, Config{Seed: 2, Profile: p})
	for _, l := range e.fileLines(b.OutputFileID) {
		var i int
		fmt.Sscanf(l.CustomID, "r%d", &i)
		direct := post(t, twin.ts, "/v1/responses", body(i))
		var got, want struct {
			Object string `json:"object"`
			Output []struct {
				Content []struct{ Text string } `json:"content"`
			} `json:"output"`
		}
		decodeJSON(t, l.Response.Body, &got)
		decodeJSON(t, direct.body, &want)
		if got.Object != "response" || fmt.Sprint(got.Output) != fmt.Sprint(want.Output) {
			t.Errorf("%s: %s, direct %s", l.CustomID, l.Response.Body, direct.body)
		}
	}
}

// TestOpenAIBatchFailedLines: a share of lines fails with a 500 inside the
// batch, in the error file; a line the endpoint refuses is there with its
// 400; the counts add up.
func TestOpenAIBatchFailedLines(t *testing.T) {
	p := Profile{Batch: fastBatches}
	p.Batch.FailedLines = 0.3
	e := newBatchEnv(t, Config{Seed: 8, Profile: p})
	lines := chatLines(50)
	bad := accountVariant(99, 0)
	bad["temperature"] = 3
	lines = append(lines, batchLineJSON("bad", "/v1/chat/completions", bad))
	b := e.submit("/v1/chat/completions", lines...)
	e.clk.Advance(13 * time.Second)
	b = e.batch(b.ID)
	out, errs := e.fileLines(b.OutputFileID), e.fileLines(b.ErrorFileID)
	if b.Status != "completed" || b.RequestCounts.Total != 51 || b.RequestCounts.Completed != len(out) || b.RequestCounts.Failed != len(errs) || len(out)+len(errs) != 51 {
		t.Fatalf("%+v: %d out, %d errors", b.RequestCounts, len(out), len(errs))
	}
	if len(errs) < 8 || len(errs) > 25 {
		t.Errorf("%d of 51 lines failed at a rate of 0.3", len(errs))
	}
	seen := map[string]bool{}
	for _, l := range append(out, errs...) {
		seen[l.CustomID] = true
	}
	if len(seen) != 51 {
		t.Errorf("%d distinct custom_ids", len(seen))
	}
	for _, l := range errs {
		switch {
		case l.CustomID == "bad":
			if l.Response.StatusCode != 400 || !contains(l.Response.Body, "temperature") {
				t.Errorf("refused line %+v %s", l, l.Response.Body)
			}
		case l.Response == nil || l.Response.StatusCode != 500 || !contains(l.Response.Body, `"server_error"`) || l.Error != nil:
			t.Errorf("failed line %+v", l)
		}
	}
	if st := e.srv.Stats(); st.Batch.Failed != int64(len(errs)-1) {
		t.Errorf("stats count %d failed, the file %d", st.Batch.Failed, len(errs)-1)
	}
}

// TestOpenAIBatchExpiry: an expiring batch stops part way and is expired
// at the end of in_progress; the lines that did not run are batch_expired
// in the error file.
func TestOpenAIBatchExpiry(t *testing.T) {
	p := Profile{Batch: fastBatches}
	p.Batch.Expire = 1
	e := newBatchEnv(t, Config{Seed: 3, Profile: p})
	b := e.submit("/v1/chat/completions", chatLines(30)...)
	if b.ExpiresAt != t0.Add(11*time.Second).Unix() {
		t.Errorf("expires_at %d, want the end of in_progress", b.ExpiresAt)
	}
	e.clk.Advance(10 * time.Second)
	if b = e.batch(b.ID); b.Status != "in_progress" {
		t.Fatalf("status %s", b.Status)
	}
	e.clk.Advance(time.Second)
	b = e.batch(b.ID)
	out, errs := e.fileLines(b.OutputFileID), e.fileLines(b.ErrorFileID)
	if b.Status != "expired" || b.ExpiredAt == nil || len(out) == 0 || len(errs) == 0 || len(out)+len(errs) != 30 {
		t.Fatalf("%+v: %d out, %d errors", b, len(out), len(errs))
	}
	for _, l := range errs {
		if l.Response != nil || l.Error == nil || l.Error.Code != "batch_expired" {
			t.Errorf("error line %+v", l)
		}
	}
	if b.RequestCounts.Completed != len(out) || b.RequestCounts.Failed != len(errs) {
		t.Errorf("counts %+v", b.RequestCounts)
	}
}

// TestOpenAIBatchCancel: a cancelled batch is cancelling, then cancelled,
// with the lines run before the cancel in its output file and the others
// batch_cancelled; an ended batch cannot be cancelled.
func TestOpenAIBatchCancel(t *testing.T) {
	e := newBatchEnv(t, Config{Seed: 4, Profile: Profile{Batch: fastBatches}})
	b := e.submit("/v1/chat/completions", chatLines(30)...)
	e.clk.Advance(6 * time.Second)
	var c batchObj
	st, data := e.do(http.MethodPost, "/v1/batches/"+b.ID+"/cancel", nil, "")
	e.must(st, data, &c)
	if c.Status != "cancelling" {
		t.Fatalf("after cancel: %s", c.Status)
	}
	e.clk.Advance(500 * time.Millisecond)
	if c = e.batch(b.ID); c.Status != "cancelling" {
		t.Fatalf("status %s", c.Status)
	}
	e.clk.Advance(500 * time.Millisecond)
	c = e.batch(b.ID)
	out, errs := e.fileLines(c.OutputFileID), e.fileLines(c.ErrorFileID)
	if c.Status != "cancelled" || c.CancelledAt == nil || len(out) == 0 || len(errs) == 0 || len(out)+len(errs) != 30 {
		t.Fatalf("%+v: %d out, %d errors", c, len(out), len(errs))
	}
	for _, l := range errs {
		if l.Error == nil || l.Error.Code != "batch_cancelled" {
			t.Errorf("error line %+v", l)
		}
	}
	st, data = e.do(http.MethodPost, "/v1/batches/"+b.ID+"/cancel", nil, "")
	if st != http.StatusConflict || !contains(data, "cancelled") {
		t.Errorf("cancel a cancelled batch: %d %s", st, data)
	}
	if s := e.srv.Stats(); s.Batch.Canceled != int64(len(errs)) {
		t.Errorf("stats %+v", s.Batch)
	}
}

// TestOpenAIBatchValidation: what OpenAI refuses when a batch is created
// (400) and what fails the batch after validating, with the line and the
// code of each problem.
func TestOpenAIBatchValidation(t *testing.T) {
	chat := "/v1/chat/completions"
	line := func(id string) string { return batchLineJSON(id, chat, accountVariant(1, 0)) }
	other := accountVariant(2, 0)
	other["model"] = "gpt-4o"
	tests := []struct {
		name     string
		lines    []string
		endpoint string
		window   string
		status   int    // of POST /v1/batches; 200: the batch fails
		code     string // of the refusal or of the batch's first error
		errLine  int
	}{
		{"duplicate custom_id", []string{line("a"), line("b"), line("a")}, chat, "24h", 200, "duplicate_custom_id", 3},
		{"mixed urls", []string{line("a"), batchLineJSON("b", "/v1/responses", accountVariant(1, 0))}, chat, "24h", 200, "mismatched_endpoint", 2},
		{"url not the endpoint", []string{line("a")}, "/v1/responses", "24h", 200, "mismatched_endpoint", 1},
		{"mixed models", []string{line("a"), batchLineJSON("b", chat, other)}, chat, "24h", 200, "mismatched_model", 2},
		{"not JSON", []string{line("a"), "{oops"}, chat, "24h", 200, "invalid_json_line", 2},
		{"no custom_id", []string{`{"method":"POST","url":"/v1/chat/completions","body":{}}`}, chat, "24h", 200, "missing_required_parameter", 1},
		{"GET", []string{`{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}`}, chat, "24h", 200, "invalid_method", 1},
		{"no body", []string{`{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}`}, chat, "24h", 200, "missing_required_parameter", 1},
		{"empty", []string{""}, chat, "24h", 200, "empty_file", 0},
		{"too many lines", []string{line("a"), line("b"), line("c"), line("d")}, chat, "24h", 400, "too_many_requests", 0},
		{"unsupported endpoint", []string{line("a")}, "/v1/embeddings", "24h", 400, "invalid_value", 0},
		{"window", []string{line("a")}, chat, "1h", 400, "invalid_value", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Profile{Batch: fastBatches}
			p.Batch.MaxLines = 3
			e := newBatchEnv(t, Config{Profile: p})
			var f fileObj
			st, data := e.upload("batch", strings.Join(tt.lines, "\n"))
			e.must(st, data, &f)
			st, data = e.createBatch(f.ID, tt.endpoint, tt.window)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, data)
			}
			if st != http.StatusOK {
				if !contains(data, `"code":"`+tt.code+`"`) {
					t.Errorf("refusal %s, want code %s", data, tt.code)
				}
				return
			}
			var b batchObj
			decodeJSON(t, data, &b)
			if b.Status != "validating" {
				t.Fatalf("created %s", b.Status)
			}
			e.clk.Advance(time.Second)
			b = e.batch(b.ID)
			if b.Status != "failed" || b.Errors == nil || len(b.Errors.Data) == 0 {
				t.Fatalf("%+v", b)
			}
			got := b.Errors.Data[0]
			if got.Code != tt.code || tt.errLine > 0 && (got.Line == nil || *got.Line != tt.errLine) {
				t.Errorf("error %+v, want %s on line %d", got, tt.code, tt.errLine)
			}
			if b.OutputFileID != "" || b.ErrorFileID != "" || b.RequestCounts.Total != 0 {
				t.Errorf("failed batch %+v", b)
			}
		})
	}
}

// TestOpenAIFilesErrors: uploads OpenAI refuses, unknown files and
// batches, the file bound and deletion.
func TestOpenAIFilesErrors(t *testing.T) {
	p := Profile{Batch: fastBatches}
	p.Batch.MaxFileBytes = 64
	e := newBatchEnv(t, Config{Profile: p, MaxStoredBytes: 100})
	tests := []struct {
		name    string
		purpose string
		content string
		status  int
		want    string
	}{
		{"no purpose", "", "{}", 400, "'purpose'"},
		{"fine-tune", "fine-tune", "{}", 400, "invalid_value"},
		{"too large", "batch", strings.Repeat("x", 65), 400, "file_too_large"},
		{"fits", "batch", strings.Repeat("x", 64), 200, `"purpose":"batch"`},
		{"storage full", "batch", strings.Repeat("x", 64), 400, "storage_limit_exceeded"},
	}
	for _, tt := range tests {
		st, data := e.upload(tt.purpose, tt.content)
		if st != tt.status || !contains(data, tt.want) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, st, data, tt.status, tt.want)
		}
	}
	st, data := e.do(http.MethodPost, "/v1/files", strings.NewReader("{}"), "application/json")
	if st != 400 || !contains(data, "multipart") {
		t.Errorf("JSON upload: %d %s", st, data)
	}
	for _, path := range []string{"/v1/files/file-nope", "/v1/files/file-nope/content", "/v1/batches/batch_nope"} {
		if st, data := e.do(http.MethodGet, path, nil, ""); st != 404 || !contains(data, "nope") {
			t.Errorf("GET %s: %d %s", path, st, data)
		}
	}
	if st, data := e.createBatch("file-nope", "/v1/chat/completions", "24h"); st != 400 || !contains(data, "file-nope") {
		t.Errorf("unknown input file: %d %s", st, data)
	}
	var list struct {
		Data []fileObj `json:"data"`
	}
	st, data = e.do(http.MethodGet, "/v1/files?purpose=batch", nil, "")
	e.must(st, data, &list)
	if len(list.Data) != 1 {
		t.Fatalf("files %+v", list)
	}
	st, data = e.do(http.MethodDelete, "/v1/files/"+list.Data[0].ID, nil, "")
	if st != 200 || !contains(data, `"deleted":true`) {
		t.Errorf("delete: %d %s", st, data)
	}
	if st, data := e.upload("batch", strings.Repeat("x", 64)); st != 200 {
		t.Errorf("upload after delete: %d %s", st, data)
	}
	if st, _ := e.do(http.MethodPut, "/v1/batches", nil, ""); st != http.StatusMethodNotAllowed {
		t.Errorf("PUT /v1/batches: %d", st)
	}
}

// TestOpenAIBatchList lists batches newest first, a page at a time.
func TestOpenAIBatchList(t *testing.T) {
	e := newBatchEnv(t, Config{Profile: Profile{Batch: fastBatches}})
	var ids []string
	for range 3 {
		ids = append(ids, e.submit("/v1/chat/completions", chatLines(1)...).ID)
	}
	var page struct {
		Data    []batchObj `json:"data"`
		HasMore bool       `json:"has_more"`
		LastID  string     `json:"last_id"`
	}
	st, data := e.do(http.MethodGet, "/v1/batches?limit=2", nil, "")
	e.must(st, data, &page)
	if len(page.Data) != 2 || page.Data[0].ID != ids[2] || page.Data[1].ID != ids[1] || !page.HasMore {
		t.Fatalf("first page %s", data)
	}
	st, data = e.do(http.MethodGet, "/v1/batches?limit=2&after="+page.LastID, nil, "")
	e.must(st, data, &page)
	if len(page.Data) != 1 || page.Data[0].ID != ids[0] || page.HasMore {
		t.Fatalf("second page %s", data)
	}
	if st, _ := e.do(http.MethodGet, "/v1/batches?limit=0", nil, ""); st != 400 {
		t.Errorf("limit 0: %d", st)
	}
}

// TestBatchDeterminism: the same lines in another order, in another batch
// on another server with the same seed, get the same answers — content
// faults included, at temperature 0 and above — whatever order the lines
// run in.
func TestBatchDeterminism(t *testing.T) {
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 0.3, fault.Fence: 0.3, fault.EnumCase: 0.3}, Batch: fastBatches}
	var lines []string
	for i := range 30 {
		lines = append(lines, batchLineJSON(fmt.Sprintf("t0-%d", i), "/v1/chat/completions", accountVariant(i, 0)),
			batchLineJSON(fmt.Sprintf("t1-%d", i), "/v1/chat/completions", accountVariant(i, 1)))
	}
	answers := func(lines []string, before int) map[string]string {
		e := newBatchEnv(t, Config{Seed: 21, Profile: p})
		for range before { // other batches first: other batch ids
			e.submit("/v1/chat/completions", chatLines(2)...)
		}
		b := e.submit("/v1/chat/completions", lines...)
		e.clk.Advance(13 * time.Second)
		b = e.batch(b.ID)
		out := map[string]string{}
		for _, l := range e.fileLines(b.OutputFileID) {
			out[l.CustomID] = completionContent(t, l.Response.Body)
		}
		if len(out) != len(lines) {
			t.Fatalf("%d answers of %d", len(out), len(lines))
		}
		return out
	}
	reversed := slices.Clone(lines)
	slices.Reverse(reversed)
	a, b := answers(lines, 0), answers(reversed, 2)
	faulty := 0
	clean, _ := extract.Parse([]byte(accountClean))
	sch, _ := extract.ParseSchema([]byte(accountSchema))
	for id, got := range a {
		if b[id] != got {
			t.Errorf("%s: %q, in the other order %q", id, got, b[id])
		}
		if strings.HasPrefix(id, "t0-") && len(fault.Classify(got, clean, sch)) > 0 {
			faulty++
		}
	}
	if faulty == 0 {
		t.Errorf("no temperature-0 answer has a fault")
	}
	if a["t0-3"] == a["t1-3"] && a["t0-4"] == a["t1-4"] && a["t0-5"] == a["t1-5"] {
		t.Errorf("temperature 1 answered as temperature 0 three times")
	}
}

// TestBatchRoundTwoFeedback: round 1's faulty answers, sent back in a
// second batch with field-level feedback after them, come back fixed, as
// on the direct endpoint.
func TestBatchRoundTwoFeedback(t *testing.T) {
	sch, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}, Feedback: Feedback{FixSpecific: 1}, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 6, Profile: p})
	const n = 10
	round1 := e.submit("/v1/chat/completions", chatLines(n)...)
	e.clk.Advance(13 * time.Second)
	round1 = e.batch(round1.ID)
	var lines []string
	for _, l := range e.fileLines(round1.OutputFileID) {
		var i int
		fmt.Sscanf(l.CustomID, "item-%d", &i)
		answer := completionContent(t, l.Response.Body)
		faults := fault.Classify(answer, clean, sch)
		if len(faults) != 1 || faults[0].Kind != fault.MissingField {
			t.Fatalf("%s round 1: %s: %v", l.CustomID, answer, faults)
		}
		req := accountVariant(i, 0)
		req["messages"] = append(req["messages"].([]msg), msg{"role": "assistant", "content": answer},
			msg{"role": "user", "content": fmt.Sprintf("1 validation error\n%s\n  Field required [type=missing]", faults[0].Path[1:])})
		lines = append(lines, batchLineJSON(l.CustomID, "/v1/chat/completions", req))
	}
	round2 := e.submit("/v1/chat/completions", lines...)
	e.clk.Advance(13 * time.Second)
	round2 = e.batch(round2.ID)
	out := e.fileLines(round2.OutputFileID)
	if len(out) != n {
		t.Fatalf("round 2: %d answers", len(out))
	}
	for _, l := range out {
		answer := completionContent(t, l.Response.Body)
		if faults := fault.Classify(answer, clean, sch); len(faults) != 0 {
			t.Errorf("%s round 2: %s: %v", l.CustomID, answer, faults)
		}
	}
}

// TestBatchLeavesDirectAnswersAlone: batch requests between direct ones
// change no direct answer, transport faults included.
func TestBatchLeavesDirectAnswersAlone(t *testing.T) {
	flaky, _ := BuiltinProfile("flaky")
	flaky.Latency = Latency{}
	run := func(withBatch bool) []string {
		e := newBatchEnv(t, Config{Seed: 13, Profile: flaky})
		var out []string
		for i := range 40 {
			if i == 20 {
				e.clk.Advance(time.Minute)
			}
			if withBatch && i == 20 {
				b := e.submit("/v1/chat/completions", chatLines(5)...)
				e.fileLines(e.batch(b.ID).OutputFileID)
			}
			r := post(t, e.ts, "/v1/chat/completions", reviewRequest(i, 0))
			out = append(out, fmt.Sprintf("%d %s", r.status, r.body))
		}
		return out
	}
	a, b := run(false), run(true)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("direct answer %d changed:\n%s\n%s", i, a[i], b[i])
		}
	}
}

// TestBatchWithoutTransportFaults: a provider whose direct endpoints fail
// every request — 500s, an outage, a limit of one request a minute —
// still runs batches: transport faults, the limiter and outages are the
// direct endpoints' alone.
func TestBatchWithoutTransportFaults(t *testing.T) {
	p := Profile{Transport: Transport{ServerError: 1}, Outages: []Outage{{Duration: Duration(time.Hour)}}, RPM: 1, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 1, Profile: p})
	if r := post(t, e.ts, "/v1/chat/completions", accountVariant(1, 0)); r.status != http.StatusServiceUnavailable {
		t.Fatalf("direct request: %d", r.status)
	}
	b := e.submit("/v1/chat/completions", chatLines(10)...)
	mb := e.createMsgBatch(anthBatchReq("a", accountParams(1)))
	e.clk.Advance(13 * time.Second)
	if b = e.batch(b.ID); b.RequestCounts.Completed != 10 || len(e.fileLines(b.OutputFileID)) != 10 {
		t.Errorf("batch %+v", b)
	}
	if mb = e.msgBatch(mb.ID); mb.RequestCounts.Succeeded != 1 {
		t.Errorf("message batch %+v", mb)
	}
	if st := e.srv.Stats(); st.Transport["server_error"] != 0 || st.RateLimited != 0 || st.Transport["outage"] != 1 {
		t.Errorf("stats %+v", st)
	}
}
