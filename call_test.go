package reask_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
)

func TestSendRetriesTransportAndSkipsContentChecks(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	var kinds []reask.EventKind
	obs := func(_ context.Context, e reask.Event) { kinds = append(kinds, e.Kind) }
	f := newFixture(t, []step{e503, {content: "not JSON at all"}}, reask.Config{Observer: obs})
	req := &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}}
	resp, rep, err := f.client.Send(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != "not JSON at all" || resp.Usage.TotalTokens != 120 {
		t.Errorf("response %+v", resp)
	}
	if rep.Attempts != 1 || rep.Calls != 2 || rep.Outcome != reask.KindOK || rep.Usage.TotalTokens != 120 || rep.WastedTokens != 0 {
		t.Errorf("report %+v", rep)
	}
	if d := f.clock.Sleeps(); len(d) != 1 || d[0] != 500*time.Millisecond {
		t.Errorf("backoff %v, want [500ms]", d)
	}
	want := []reask.EventKind{reask.EventCall, reask.EventRetry, reask.EventCall, reask.EventAttempt, reask.EventResult}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	if len(req.Messages) != 1 {
		t.Errorf("request modified: %+v", req)
	}
}

func TestSendSharesTheBreakerWithExtractions(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	f := newFixture(t, []step{e503, e503}, reask.Config{MaxTransportRetries: -1, NoRetryBudget: true, Breaker: breaker.Settings{MinCalls: 2, Threshold: 0.5, CoolDown: time.Minute}})
	req := &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}}
	for range 2 {
		if _, _, err := f.client.Send(t.Context(), req); providerStatus(err) != 503 {
			t.Fatalf("error %v, want the provider's 503", err)
		}
	}
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if !errors.Is(err, reask.ErrCircuitOpen) || rep.Calls != 0 {
		t.Fatalf("error %v, calls %d: two failed calls must open the breaker for extractions too", err, rep.Calls)
	}
	_, rep, err = f.client.Send(t.Context(), req)
	if !errors.Is(err, reask.ErrCircuitOpen) || rep.Outcome != reask.KindCircuitOpen {
		t.Errorf("error %v outcome %s", err, rep.Outcome)
	}
}

func TestSendRejectsNilRequest(t *testing.T) {
	f := newFixture(t, nil, reask.Config{})
	if _, _, err := f.client.Send(t.Context(), nil); !errors.Is(err, reask.ErrInvalidInput) {
		t.Errorf("error %v", err)
	}
}
