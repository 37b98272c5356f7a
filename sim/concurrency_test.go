package sim

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentRequests: the server is safe for concurrent use and its
// counters add up.
func TestConcurrentRequests(t *testing.T) {
	p, _ := BuiltinProfile("flaky")
	p.Latency, p.Transport.Drop = Latency{}, 0
	srv, ts := newTest(t, Config{Seed: 8, Profile: p, RPM: 100000, TPM: 10000000})
	const workers, each = 16, 12
	var wg sync.WaitGroup
	statuses := make(chan int, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var r result
				if (w+i)%3 == 0 {
					r = post(t, ts, "/v1/messages", anthRequest([]msg{{"role": "user", "content": "Text: " + accountText}}), anthHeaders...)
				} else {
					r = post(t, ts, "/v1/chat/completions", reviewRequest(w*each+i, float64(i%2)))
				}
				statuses <- r.status
			}
		}()
	}
	wg.Wait()
	close(statuses)
	byStatus := map[int]int64{}
	for s := range statuses {
		byStatus[s]++
	}
	st := srv.Stats()
	if st.Requests != workers*each {
		t.Errorf("requests %d", st.Requests)
	}
	for code, n := range byStatus {
		if st.ByStatus[code] != n {
			t.Errorf("status %d: stats %d, seen %d", code, st.ByStatus[code], n)
		}
	}
	if st.Completions != byStatus[200] {
		t.Errorf("completions %d, 200s %d", st.Completions, byStatus[200])
	}
}

// TestConcurrentBatchPolls: batches polled, listed and read from many
// goroutines while the clock moves are safe, and each batch's results are
// written once.
func TestConcurrentBatchPolls(t *testing.T) {
	e := newBatchEnv(t, Config{Seed: 3, Profile: Profile{Batch: fastBatches}})
	const lines = 20
	b := e.submit("/v1/chat/completions", chatLines(lines)...)
	var reqs []msg
	for i := range lines {
		reqs = append(reqs, anthBatchReq(fmt.Sprintf("r%d", i), accountParams(i)))
	}
	mb := e.createMsgBatch(reqs...)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 30 {
				switch w % 3 {
				case 0:
					if got := e.batch(b.ID); got.OutputFileID != "" {
						e.fileLines(got.OutputFileID)
					}
				case 1:
					e.do(http.MethodGet, "/v1/batches", nil, "")
				default:
					if got := e.msgBatch(mb.ID); got.ResultsURL != nil {
						e.results(got)
					}
				}
			}
		})
	}
	for range 30 {
		e.clk.Advance(500 * time.Millisecond)
	}
	wg.Wait()
	if got := e.batch(b.ID); got.Status != "completed" || len(e.fileLines(got.OutputFileID)) != lines {
		t.Fatalf("batch %+v", got)
	}
	if got := e.msgBatch(mb.ID); got.RequestCounts.Succeeded != lines {
		t.Fatalf("message batch %+v", got)
	}
	if st := e.srv.Stats(); st.Batch.Lines != 2*lines || st.Completions != 2*lines {
		t.Errorf("stats %+v: results written more than once", st.Batch)
	}
}
