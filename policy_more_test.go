package reask_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
)

func TestRateLimitsTripTheBreakerOnlyWhenAsked(t *testing.T) {
	e429 := step{status: 429, body: apiError("requests", "rate_limit_exceeded", "slow down")}
	for _, tc := range []struct {
		name  string
		on    bool // Config.BreakerOnRateLimits
		trips bool
	}{
		{"by default 429s do not count", false, false},
		{"BreakerOnRateLimits counts them", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := reask.Config{MaxTransportRetries: -1, NoRetryBudget: true, Breaker: breaker.Settings{MinCalls: 3, Threshold: 0.5, CoolDown: time.Minute},
				BreakerOnRateLimits: tc.on}
			f := newFixture(t, []step{e429, e429, e429, {content: johnJSON}}, cfg)
			for i := range 3 {
				_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
				if providerStatus(err) != 429 {
					t.Fatalf("call %d: %v", i, err)
				}
				if want := map[bool]int{true: 1}[tc.trips && i == 2]; rep.BreakerTrips != want {
					t.Errorf("call %d: report counts %d breaker trips, want %d", i, rep.BreakerTrips, want)
				}
			}
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			st := f.client.Status(f.clock.Now())
			if tc.trips {
				if !errors.Is(err, reask.ErrCircuitOpen) || rep.Outcome != reask.KindCircuitOpen {
					t.Fatalf("fourth call: %v (outcome %s), want ErrCircuitOpen", err, rep.Outcome)
				}
				if f.script.calls() != 3 || st.BreakerTrips != 1 || st.Breakers[0].State != breaker.Open {
					t.Errorf("server calls %d, status %+v", f.script.calls(), st)
				}
				return
			}
			if err != nil {
				t.Fatalf("fourth call: %v, want the answer: 429s alone must not open the circuit", err)
			}
			if f.script.calls() != 4 || st.BreakerTrips != 0 || st.Breakers[0].State != breaker.Closed {
				t.Errorf("server calls %d, status %+v", f.script.calls(), st)
			}
		})
	}
}

// stateChange is one call of a breaker observer.
type stateChange struct {
	provider string
	from, to breaker.State
}

func TestBreakerObserverSeesEveryStateChange(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	var (
		mu   sync.Mutex
		seen []stateChange
	)
	changes := func() []stateChange {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
	f := newFixture(t, []step{e503, e503, e503, {content: johnJSON}}, reask.Config{
		MaxTransportRetries: -1,
		NoRetryBudget:       true,
		Breaker: breaker.Settings{MinCalls: 3, Threshold: 0.5, CoolDown: time.Minute,
			OnStateChange: func(provider string, from, to breaker.State) {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, stateChange{provider, from, to})
			}},
	})
	const key = "openai/test-model"
	extract := func() error {
		_, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
		return err
	}

	for i := range 2 {
		if err := extract(); providerStatus(err) != 503 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := changes(); len(got) != 0 {
		t.Fatalf("changes before the breaker has enough calls: %v", got)
	}
	if err := extract(); providerStatus(err) != 503 {
		t.Fatal(err)
	}
	opened := []stateChange{{key, breaker.Closed, breaker.Open}}
	if got := changes(); !slices.Equal(got, opened) {
		t.Fatalf("after the third failure: %v, want %v", got, opened)
	}

	// Within the cool-down calls are refused and nothing changes.
	f.clock.Advance(time.Minute - time.Second)
	if err := extract(); !errors.Is(err, reask.ErrCircuitOpen) {
		t.Fatalf("during the cool-down: %v", err)
	}
	if got := changes(); !slices.Equal(got, opened) {
		t.Fatalf("during the cool-down: %v, want %v", got, opened)
	}

	// After it, the next call is a probe: half-open, then closed when it
	// succeeds.
	f.clock.Advance(time.Second)
	if err := extract(); err != nil {
		t.Fatalf("probe: %v", err)
	}
	want := append(opened, stateChange{key, breaker.Open, breaker.HalfOpen}, stateChange{key, breaker.HalfOpen, breaker.Closed})
	if got := changes(); !slices.Equal(got, want) {
		t.Errorf("changes %v\nwant %v", got, want)
	}
	if f.script.calls() != 4 {
		t.Errorf("%d server calls, want 4 (none while open)", f.script.calls())
	}
	if st := f.client.Status(f.clock.Now()); st.BreakerTrips != 1 || st.Breakers[0].State != breaker.Closed {
		t.Errorf("status %+v", st)
	}
}
