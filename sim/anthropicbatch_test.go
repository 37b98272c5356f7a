package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// TestMessageBatchLifecycle runs a message batch end to end over HTTP: in
// progress until every request has run and the results are written, then
// ended, its results at results_url — every custom_id once, not in the
// input's order, each answer the direct Messages endpoint's.
func TestMessageBatchLifecycle(t *testing.T) {
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 0.3, fault.Prose: 0.3}, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 9, Profile: p})
	const n = 30
	var reqs []msg
	for i := range n {
		reqs = append(reqs, anthBatchReq(fmt.Sprintf("item-%d", i), accountParams(i)))
	}
	reqs = append(reqs, anthBatchReq("no-max-tokens", msg{"model": "claude-3-5-haiku-latest", "messages": []msg{{"role": "user", "content": "hi"}}}))
	b := e.createMsgBatch(reqs...)
	if b.Type != "message_batch" || !strings.HasPrefix(b.ID, "msgbatch_") {
		t.Fatalf("created %+v", b)
	}
	steps := []struct {
		advance time.Duration
		status  string
	}{
		{0, "in_progress"},
		{6 * time.Second, "in_progress"},
		{5500 * time.Millisecond, "in_progress"}, // finalizing
		{500 * time.Millisecond, "ended"},
	}
	for _, st := range steps {
		e.clk.Advance(st.advance)
		got := e.msgBatch(b.ID)
		ended := st.status == "ended"
		if got.ProcessingStatus != st.status || ended != (got.ResultsURL != nil) || ended != (got.EndedAt != nil) {
			t.Fatalf("at +%s: %+v", e.clk.Now().Sub(t0), got)
		}
		if !ended && (got.RequestCounts.Processing != n+1 || got.RequestCounts.Succeeded != 0) {
			t.Fatalf("at +%s: counts %+v", e.clk.Now().Sub(t0), got.RequestCounts)
		}
		if !ended {
			if st, data := e.anth(http.MethodGet, "/v1/messages/batches/"+b.ID+"/results", nil); st != 400 || !contains(data, "not finished") {
				t.Errorf("results while in progress: %d %s", st, data)
			}
		}
	}
	b = e.msgBatch(b.ID)
	if c := b.RequestCounts; c.Processing != 0 || c.Succeeded != n || c.Errored != 1 {
		t.Fatalf("counts %+v", c)
	}
	twin := newBatchEnv(t, Config{Seed: 9, Profile: p})
	var order []string
	for _, r := range e.results(b) {
		order = append(order, r.CustomID)
		if r.CustomID == "no-max-tokens" {
			if r.Result.Type != "errored" || r.Result.Error.Error.Type != "invalid_request_error" || !strings.Contains(r.Result.Error.Error.Message, "max_tokens") {
				t.Errorf("refused request: %+v", r.Result)
			}
			continue
		}
		var i int
		fmt.Sscanf(r.CustomID, "item-%d", &i)
		st, data := twin.anth(http.MethodPost, "/v1/messages", accountParams(i))
		var direct msgResult
		direct.Result.Message = nil
		decodeJSON(t, data, &direct.Result.Message)
		if st != 200 || r.Result.Type != "succeeded" || r.text() != direct.text() {
			t.Errorf("%s: %+v, direct %s", r.CustomID, r.Result, data)
		}
	}
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != n+1 {
		t.Fatalf("custom_ids %v", order)
	}
	var want []string
	for _, r := range reqs {
		want = append(want, r["custom_id"].(string))
	}
	if slices.Equal(order, want) {
		t.Errorf("results in the input's order")
	}
}

// TestMessageBatchOutcomes: failed lines are errored api_error results,
// an expiring batch's unrun requests expired, a cancelled batch's
// canceled, and the counts say so.
func TestMessageBatchOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		failed      float64
		expire      float64
		cancelAt    time.Duration // 0: not cancelled
		endAt       time.Duration
		kind        string // the results other than succeeded
		count       func(msgBatchObj) int
		cancelState string
	}{
		{"failed lines", 0.3, 0, 0, 12 * time.Second, "errored", func(b msgBatchObj) int { return b.RequestCounts.Errored }, ""},
		{"expired", 0, 1, 0, 11 * time.Second, "expired", func(b msgBatchObj) int { return b.RequestCounts.Expired }, ""},
		{"cancelled", 0, 0, 6 * time.Second, 7 * time.Second, "canceled", func(b msgBatchObj) int { return b.RequestCounts.Canceled }, "canceling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Profile{Batch: fastBatches}
			p.Batch.FailedLines, p.Batch.Expire = tt.failed, tt.expire
			e := newBatchEnv(t, Config{Seed: 12, Profile: p})
			var reqs []msg
			for i := range 40 {
				reqs = append(reqs, anthBatchReq(fmt.Sprintf("r%d", i), accountParams(i)))
			}
			b := e.createMsgBatch(reqs...)
			if tt.cancelAt > 0 {
				e.clk.Advance(tt.cancelAt)
				var c msgBatchObj
				st, data := e.anth(http.MethodPost, "/v1/messages/batches/"+b.ID+"/cancel", nil)
				e.must(st, data, &c)
				if c.ProcessingStatus != tt.cancelState || c.CancelInitiatedAt == nil {
					t.Fatalf("after cancel: %+v", c)
				}
			}
			e.clk.Advance(tt.endAt - tt.cancelAt - time.Millisecond)
			if got := e.msgBatch(b.ID); got.ProcessingStatus == "ended" {
				t.Fatalf("ended a millisecond early")
			}
			e.clk.Advance(time.Millisecond)
			b = e.msgBatch(b.ID)
			if b.ProcessingStatus != "ended" {
				t.Fatalf("%+v", b)
			}
			others := 0
			for _, r := range e.results(b) {
				switch r.Result.Type {
				case "succeeded":
				case tt.kind:
					others++
					if tt.kind == "errored" && r.Result.Error.Error.Type != "api_error" {
						t.Errorf("errored %+v", r.Result.Error)
					}
				default:
					t.Errorf("result %+v", r.Result)
				}
			}
			c := b.RequestCounts
			if others == 0 || others == 40 || tt.count(b) != others || c.Succeeded+others != 40 {
				t.Errorf("%d %s, counts %+v", others, tt.kind, c)
			}
			if st, data := e.anth(http.MethodPost, "/v1/messages/batches/"+b.ID+"/cancel", nil); st != 400 || !contains(data, "ended") {
				t.Errorf("cancel an ended batch: %d %s", st, data)
			}
		})
	}
}

// TestMessageBatchValidation: what Anthropic refuses when a message batch
// is created, with a message naming the request.
func TestMessageBatchValidation(t *testing.T) {
	ok := anthBatchReq("a", accountParams(1))
	tests := []struct {
		name    string
		body    any
		headers []string
		status  int
		want    string
	}{
		{"no requests", msg{}, anthHeaders, 400, "requests: Field required"},
		{"empty", msg{"requests": []msg{}}, anthHeaders, 400, "at least 1 item"},
		{"too many", msg{"requests": []msg{ok, anthBatchReq("b", accountParams(2)), anthBatchReq("c", accountParams(3))}}, anthHeaders, 400, "at most 2 items"},
		{"bad custom_id", msg{"requests": []msg{anthBatchReq("a b", accountParams(1))}}, anthHeaders, 400, "requests.0.custom_id: String should match pattern"},
		{"duplicate custom_id", msg{"requests": []msg{ok, ok}}, anthHeaders, 400, "requests.1.custom_id: duplicate custom_id 'a'"},
		{"no params", msg{"requests": []msg{{"custom_id": "a"}}}, anthHeaders, 400, "requests.0.params: Field required"},
		{"unknown field", msg{"requests": []msg{ok}, "stream": true}, anthHeaders, 400, "stream: Extra inputs are not permitted"},
		{"too large", msg{"requests": []msg{ok, anthBatchReq("b", msg{"model": strings.Repeat("x", 4000)})}}, anthHeaders, 413, "at most 4096 bytes"},
		{"no version", msg{"requests": []msg{ok}}, []string{"x-api-key", "k"}, 400, "anthropic-version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Profile{Batch: fastBatches}
			p.Batch.MaxRequests, p.Batch.MaxRequestBytes = 2, 4096
			e := newBatchEnv(t, Config{Profile: p})
			data, _ := json.Marshal(tt.body)
			st, got := e.do(http.MethodPost, "/v1/messages/batches", bytes.NewReader(data), "application/json", tt.headers...)
			if st != tt.status || !contains(got, tt.want) || !contains(got, `"type":"error"`) {
				t.Errorf("%d %s, want %d %q", st, got, tt.status, tt.want)
			}
		})
	}
}

// TestMessageBatchListAndDelete: batches list newest first; an ended batch
// can be deleted, one in progress cannot; unknown ids are 404.
func TestMessageBatchListAndDelete(t *testing.T) {
	e := newBatchEnv(t, Config{Profile: Profile{Batch: fastBatches}})
	a := e.createMsgBatch(anthBatchReq("a", accountParams(1)))
	e.clk.Advance(20 * time.Second)
	b := e.createMsgBatch(anthBatchReq("b", accountParams(2)))
	var list struct {
		Data    []msgBatchObj `json:"data"`
		HasMore bool          `json:"has_more"`
		LastID  string        `json:"last_id"`
	}
	st, data := e.anth(http.MethodGet, "/v1/messages/batches?limit=1", nil)
	e.must(st, data, &list)
	if len(list.Data) != 1 || list.Data[0].ID != b.ID || !list.HasMore {
		t.Fatalf("first page %s", data)
	}
	st, data = e.anth(http.MethodGet, "/v1/messages/batches?limit=1&after_id="+list.LastID, nil)
	e.must(st, data, &list)
	if len(list.Data) != 1 || list.Data[0].ID != a.ID || list.HasMore || list.Data[0].ProcessingStatus != "ended" {
		t.Fatalf("second page %s", data)
	}
	if st, data := e.anth(http.MethodDelete, "/v1/messages/batches/"+b.ID, nil); st != 400 || !contains(data, "cancel it") {
		t.Errorf("delete in progress: %d %s", st, data)
	}
	if st, data := e.anth(http.MethodDelete, "/v1/messages/batches/"+a.ID, nil); st != 200 || !contains(data, "message_batch_deleted") {
		t.Errorf("delete ended: %d %s", st, data)
	}
	for _, path := range []string{"/v1/messages/batches/" + a.ID, "/v1/messages/batches/" + a.ID + "/results"} {
		if st, data := e.anth(http.MethodGet, path, nil); st != 404 || !contains(data, "not_found_error") {
			t.Errorf("GET %s: %d %s", path, st, data)
		}
	}
}

// TestMessageBatchRoundTwoFeedback: round 1's faulty answers, sent back in
// a second message batch with field-level feedback, come back fixed, as on
// the direct Messages endpoint.
func TestMessageBatchRoundTwoFeedback(t *testing.T) {
	sch, _ := extract.ParseSchema([]byte(accountSchema))
	clean, _ := extract.Parse([]byte(accountClean))
	p := Profile{Faults: map[fault.Kind]float64{fault.MissingField: 1}, Feedback: Feedback{FixSpecific: 1}, Batch: fastBatches}
	e := newBatchEnv(t, Config{Seed: 6, Profile: p})
	var reqs []msg
	for i := range 8 {
		reqs = append(reqs, anthBatchReq(fmt.Sprintf("item-%d", i), accountParams(i)))
	}
	b := e.createMsgBatch(reqs...)
	e.clk.Advance(12 * time.Second)
	var round2 []msg
	for _, r := range e.results(e.msgBatch(b.ID)) {
		faults := fault.Classify(r.text(), clean, sch)
		if len(faults) != 1 || faults[0].Kind != fault.MissingField {
			t.Fatalf("%s round 1: %s: %v", r.CustomID, r.text(), faults)
		}
		var i int
		fmt.Sscanf(r.CustomID, "item-%d", &i)
		params := accountParams(i)
		params["messages"] = append(params["messages"].([]msg), msg{"role": "assistant", "content": r.text()},
			msg{"role": "user", "content": faults[0].Path + ": required property is missing"})
		round2 = append(round2, anthBatchReq(r.CustomID, params))
	}
	b = e.createMsgBatch(round2...)
	e.clk.Advance(12 * time.Second)
	results := e.results(e.msgBatch(b.ID))
	if len(results) != 8 {
		t.Fatalf("round 2: %d results", len(results))
	}
	for _, r := range results {
		if faults := fault.Classify(r.text(), clean, sch); r.Result.Type != "succeeded" || len(faults) != 0 {
			t.Errorf("%s round 2: %s: %v", r.CustomID, r.text(), faults)
		}
	}
}
