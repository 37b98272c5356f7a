package fleet

import (
	"testing"
	"time"

	"github.com/reask/reask/internal/redistest"
)

// A Redis that does not answer within the timeout at start (a busy
// machine, a fleet starting at once) is tried again until ConnectTimeout:
// Connect succeeds once it answers, though every command is bounded by
// the 50 ms Timeout.
func TestConnectWaitsForASlowStart(t *testing.T) {
	srv := redistest.Start(t)
	srv.Pause()
	// Resumed from another goroutine, some timeouts later: the point is
	// that the first tries fail, not when the last one succeeds.
	resumed := time.AfterFunc(300*time.Millisecond, srv.Resume)
	defer resumed.Stop()
	s, err := Connect(t.Context(), Config{URL: srv.URL(), Timeout: 50 * time.Millisecond, ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Connect to a Redis frozen for a moment: %v; want it to wait for it", err)
	}
	s.Close()
}
