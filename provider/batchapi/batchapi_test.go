package batchapi_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/provider/batchapi"
)

// scripted is a Client whose Status answers come from a script, one per
// poll.
type scripted struct {
	answers []func() (batchapi.Status, error)
	polls   int
}

func (s *scripted) Submit(context.Context, []batchapi.Line) ([]string, error) { return nil, nil }
func (s *scripted) Results(context.Context, string) ([]batchapi.Result, error) {
	return nil, nil
}
func (s *scripted) Cancel(context.Context, string) error { return nil }
func (s *scripted) Status(context.Context, string) (batchapi.Status, error) {
	a := s.answers[min(s.polls, len(s.answers)-1)]
	s.polls++
	return a()
}

func state(st batchapi.State) func() (batchapi.Status, error) {
	return func() (batchapi.Status, error) { return batchapi.Status{ID: "b", State: st}, nil }
}

func rateLimited(after time.Duration) func() (batchapi.Status, error) {
	return func() (batchapi.Status, error) {
		return batchapi.Status{}, &reask.ProviderError{StatusCode: 429, Kind: reask.KindRateLimit, RetryAfter: after}
	}
}

func TestPollerWait(t *testing.T) {
	run := batchapi.StateInProgress
	tests := []struct {
		name       string
		poller     batchapi.Poller
		answers    []func() (batchapi.Status, error)
		wantState  batchapi.State
		wantErr    error
		wantSleeps []time.Duration
	}{
		{name: "defaults grow to a minute", answers: []func() (batchapi.Status, error){
			state(run), state(run), state(run), state(run), state(run), state(run), state(run), state(run), state(batchapi.StateCompleted)},
			wantState: batchapi.StateCompleted,
			wantSleeps: []time.Duration{5 * time.Second, 7500 * time.Millisecond, 11250 * time.Millisecond, 16875 * time.Millisecond,
				25312500 * time.Microsecond, 37968750 * time.Microsecond, 56953125 * time.Microsecond, time.Minute}},
		{name: "429 waits its Retry-After, the interval unchanged", poller: batchapi.Poller{Initial: time.Second, Factor: 2},
			answers:   []func() (batchapi.Status, error){state(run), rateLimited(30 * time.Second), state(run), state(batchapi.StateExpired)},
			wantState: batchapi.StateExpired, wantSleeps: []time.Duration{time.Second, 30 * time.Second, 2 * time.Second}},
		{name: "429 without Retry-After waits the interval", poller: batchapi.Poller{Initial: time.Second},
			answers:   []func() (batchapi.Status, error){rateLimited(0), state(batchapi.StateCompleted)},
			wantState: batchapi.StateCompleted, wantSleeps: []time.Duration{time.Second}},
		{name: "cancelled by someone else is reported", poller: batchapi.Poller{Initial: time.Second},
			answers:   []func() (batchapi.Status, error){state(run), state(batchapi.StateCancelling), state(batchapi.StateCancelled), state(run)},
			wantState: batchapi.StateCancelled, wantErr: batchapi.ErrBatchCancelled, wantSleeps: []time.Duration{time.Second, 1500 * time.Millisecond}},
		{name: "a refused batch is reported", answers: []func() (batchapi.Status, error){state(batchapi.StateFailed)},
			wantState: batchapi.StateFailed, wantErr: batchapi.ErrBatchFailed},
		{name: "another error stops", answers: []func() (batchapi.Status, error){func() (batchapi.Status, error) {
			return batchapi.Status{}, &reask.ProviderError{StatusCode: 401, Kind: reask.KindAuth}
		}}, wantErr: &reask.ProviderError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(0, 0))
			p := tt.poller
			p.Clock = clk
			var seen int
			p.OnPoll = func(batchapi.Status) { seen++ }
			st, err := p.Wait(t.Context(), &scripted{answers: tt.answers}, "b")
			var pe *reask.ProviderError
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatal(err)
				}
			case *reask.ProviderError:
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, want a provider error", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
			}
			if st.State != tt.wantState {
				t.Errorf("state %v, want %v", st.State, tt.wantState)
			}
			if got := clk.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("sleeps %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

func TestPollerContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := batchapi.Poller{Clock: clock.NewFake(time.Unix(0, 0))}.Wait(ctx, &scripted{answers: []func() (batchapi.Status, error){state(batchapi.StateInProgress)}}, "b")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestChunks(t *testing.T) {
	sizes := []int64{10, 10, 10, 30, 5}
	size := func(i int) int64 { return sizes[i] }
	tests := []struct {
		name     string
		maxLines int
		maxBytes int64
		want     [][2]int
		wantErr  bool
	}{
		{"fits", 10, 100, [][2]int{{0, 5}}, false},
		{"by lines", 2, 100, [][2]int{{0, 2}, {2, 4}, {4, 5}}, false},
		{"by bytes", 10, 35, [][2]int{{0, 3}, {3, 4}, {4, 5}}, false},
		{"a line too big", 10, 25, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := batchapi.Chunks(len(sizes), size, 2, tt.maxLines, tt.maxBytes)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
