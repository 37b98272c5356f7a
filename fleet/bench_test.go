package fleet

import (
	"testing"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
)

// The shared state's cost per provider call on loopback: a reservation and
// its answer (two round trips), a breaker ticket and its outcome (two), a
// budget success (one).
func BenchmarkPerCall(b *testing.B) {
	srv := redistest.Start(b)
	s, err := Connect(b.Context(), Config{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	lim, _ := s.Limiter(acct, LimiterConfig{Config: ratelimit.Config{RPM: 1 << 30, TPM: 1 << 30}})
	br, _ := s.Breaker(acct, "bench", breaker.Settings{})
	bud, _ := s.Budget(acct, BudgetConfig{})
	ctx := b.Context()
	now := t0
	calls, errs := s.Calls(), s.Errors()
	for b.Loop() {
		// A busy machine can make a round trip miss the timeout: that is
		// counted (errors/op), as a process would fall back for it.
		r, _ := lim.Reserve(ctx, now, 100)
		tk, _ := br.Allow(ctx, now)
		r.Finish(ctx, now, ratelimit.Answer{Status: 200, Tokens: 90})
		tk.Done(ctx, now, breaker.Success)
		bud.OnSuccess(ctx)
	}
	b.ReportMetric(float64(s.Calls()-calls)/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(s.Errors()-errs)/float64(b.N), "errors/op")
}
