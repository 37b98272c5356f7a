package sim

import (
	"sync"
	"testing"
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
