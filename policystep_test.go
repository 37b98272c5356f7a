package reask

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
)

var stepStart = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

var verdictNames = map[verdict]string{notSent: "notSent", answered: "answered", failed: "failed", gaveUp: "gaveUp", retrying: "retrying"}

// loggedStep writes what the chain asks of it to log.
type loggedStep struct {
	name     string
	log      *[]string
	refuse   error // before refuses the call with it
	noAfter  bool  // before returns no after
	afterErr error // after refuses the retry with it
}

func (s loggedStep) before(context.Context, *try) (func(context.Context, *outcome) error, error) {
	*s.log = append(*s.log, "before "+s.name)
	if s.refuse != nil {
		return nil, s.refuse
	}
	if s.noAfter {
		return nil, nil
	}
	return func(_ context.Context, o *outcome) error {
		*s.log = append(*s.log, "after "+s.name+" "+verdictNames[o.verdict])
		return s.afterErr
	}, nil
}

func TestChainAdmitsInOrderAndReleasesOnRefusal(t *testing.T) {
	errB, errC := errors.New("b refuses"), errors.New("c refuses")
	tests := []struct {
		name    string
		steps   func(log *[]string) chain
		wantErr error // from admit
		stopErr error // from the outcome's function
		want    []string
	}{
		{
			name: "every step admits: the outcome goes through them in the same order",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "a", log: log}, loggedStep{name: "b", log: log}, loggedStep{name: "c", log: log}}
			},
			want: []string{"before a", "before b", "before c", "after a retrying", "after b retrying", "after c retrying"},
		},
		{
			name: "the first step refuses: nothing to release",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "b", log: log, refuse: errB}, loggedStep{name: "c", log: log}}
			},
			wantErr: errB,
			want:    []string{"before b"},
		},
		{
			name: "a later step refuses: the earlier one is released, the next not asked",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "a", log: log}, loggedStep{name: "b", log: log, refuse: errB}, loggedStep{name: "c", log: log}}
			},
			wantErr: errB,
			want:    []string{"before a", "before b", "after a notSent"},
		},
		{
			name: "the last step refuses: the others are released, last first",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "a", log: log}, loggedStep{name: "b", log: log}, loggedStep{name: "c", log: log, refuse: errC}}
			},
			wantErr: errC,
			want:    []string{"before a", "before b", "before c", "after b notSent", "after a notSent"},
		},
		{
			name: "a step with nothing to learn is not told the outcome",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "a", log: log, noAfter: true}, loggedStep{name: "b", log: log}}
			},
			want: []string{"before a", "before b", "after b retrying"},
		},
		{
			name: "two steps refuse the retry: every step hears the outcome, the first refusal wins",
			steps: func(log *[]string) chain {
				return chain{loggedStep{name: "a", log: log}, loggedStep{name: "b", log: log, afterErr: errB}, loggedStep{name: "c", log: log, afterErr: errC}}
			},
			stopErr: errB,
			want:    []string{"before a", "before b", "before c", "after a retrying", "after b retrying", "after c retrying"},
		},
		{
			name:  "no steps",
			steps: func(*[]string) chain { return nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			tr := &try{clock: clock.NewFake(stepStart)}
			after, err := tt.steps(&log).admit(t.Context(), tr)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("admit: %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if stop := after(t.Context(), &outcome{at: stepStart, verdict: retrying}); stop != tt.stopErr {
					t.Errorf("outcome: %v, want %v", stop, tt.stopErr)
				}
			}
			if !slices.Equal(log, tt.want) {
				t.Errorf("calls:\n%q\nwant\n%q", log, tt.want)
			}
		})
	}
}

// refuseStep refuses every call.
type refuseStep struct{}

var errRefused = errors.New("refused")

func (refuseStep) before(context.Context, *try) (func(context.Context, *outcome) error, error) {
	return nil, errRefused
}

func TestStepsForOrder(t *testing.T) {
	tests := []struct {
		name string
		pc   policyConfig
		want []string
	}{
		{"every policy on", policyConfig{}, []string{"breakerStep", "limiterStep", "budgetStep"}},
		{"no breaker", policyConfig{breakerOff: true}, []string{"limiterStep", "budgetStep"}},
		{"no limiter", policyConfig{rateLimitOff: true}, []string{"breakerStep", "budgetStep"}},
		{"no budget", policyConfig{budgetOff: true}, []string{"breakerStep", "limiterStep"}},
		{"none", policyConfig{breakerOff: true, rateLimitOff: true, budgetOff: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPolicies(tt.pc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.stepsFor("openai/m") {
				got = append(got, reflect.TypeOf(s).Name())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("steps %v, want %v", got, tt.want)
			}
		})
	}
}

// A half-open breaker admits one probe; a probe refused by a later step
// must give its slot back, or the breaker admits nothing until its probe
// timeout.
func TestBreakerStepReleasedByALaterStepFreesItsProbe(t *testing.T) {
	clk := clock.NewFake(stepStart)
	set, err := breaker.NewSet(breaker.Settings{MinCalls: 1, CoolDown: time.Minute, Probes: 1})
	if err != nil {
		t.Fatal(err)
	}
	const key = "openai/m"
	ticket, err := set.Allow(key, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	ticket.Done(clk.Now(), breaker.Failure) // opens
	clk.Advance(time.Minute)                // half-open: one probe

	c := chain{breakerStep{set: set, provider: key}, refuseStep{}}
	if _, err := c.admit(t.Context(), &try{clock: clk}); !errors.Is(err, errRefused) {
		t.Fatalf("admit: %v, want the later step's refusal", err)
	}
	probe, err := set.Allow(key, clk.Now())
	if err != nil {
		t.Fatalf("after the release the probe slot is still taken: %v", err)
	}
	if !probe.Probe() {
		t.Errorf("the breaker left half-open: %v", set.Get(key).State(clk.Now()))
	}
}

func TestBreakerStepCountsTransportOutcomes(t *testing.T) {
	tests := []struct {
		kind     Kind
		verdict  verdict
		count429 bool
		want     breaker.Outcome
	}{
		{KindOK, answered, false, breaker.Success},
		{KindServer, retrying, false, breaker.Failure},
		{KindConnection, gaveUp, false, breaker.Failure},
		{KindTimeout, failed, false, breaker.Failure},
		{KindRateLimit, retrying, false, breaker.Ignored},
		{KindRateLimit, retrying, true, breaker.Failure},
		{KindBadRequest, failed, true, breaker.Ignored},
		{KindAuth, failed, false, breaker.Ignored},
		{KindCanceled, failed, false, breaker.Ignored},
		{"", notSent, true, breaker.Ignored},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s 429s:%v", tt.kind, verdictNames[tt.verdict], tt.count429), func(t *testing.T) {
			s := breakerStep{count429: tt.count429}
			if got := s.count(&outcome{kind: tt.kind, verdict: tt.verdict}); got != tt.want {
				t.Errorf("counts as %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBreakerStepTellsWhichCallTripped(t *testing.T) {
	clk := clock.NewFake(stepStart)
	set, err := breaker.NewSet(breaker.Settings{MinCalls: 2, Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	c := chain{breakerStep{set: set, provider: "p"}}
	for i, want := range []bool{false, true} {
		after, err := c.admit(t.Context(), &try{clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		o := &outcome{at: clk.Now(), kind: KindServer, verdict: gaveUp}
		after(t.Context(), o)
		if o.tripped != want {
			t.Errorf("failure %d: tripped %v, want %v", i+1, o.tripped, want)
		}
	}
}

// A reservation whose call a later step refused is given back: the next
// caller does not wait for a request that was never sent.
func TestLimiterStepReleasedByALaterStepGivesItsReservationBack(t *testing.T) {
	clk := clock.NewFake(stepStart)
	l, err := ratelimit.New(ratelimit.Config{RPM: 60, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := chain{limiterStep{l}, refuseStep{}}
	if _, err := c.admit(t.Context(), &try{clock: clk}); !errors.Is(err, errRefused) {
		t.Fatalf("admit: %v, want the later step's refusal", err)
	}
	if st := l.Status(clk.Now()); st.Requests != 1 {
		t.Errorf("the bucket holds %v requests, want its 1 back", st.Requests)
	}
	tr := &try{clock: clk}
	if _, err := (chain{limiterStep{l}}).admit(t.Context(), tr); err != nil || tr.waited != 0 {
		t.Errorf("the next call waited %s (%v), want it sent at once", tr.waited, err)
	}
}

func TestLimiterStepWaitsAndCountsTheWait(t *testing.T) {
	clk := clock.NewFake(stepStart)
	l, err := ratelimit.New(ratelimit.Config{RPM: 60, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := chain{limiterStep{l}}
	for i, want := range []time.Duration{0, time.Second} {
		tr := &try{clock: clk}
		after, err := c.admit(t.Context(), tr)
		if err != nil {
			t.Fatal(err)
		}
		if tr.waited != want {
			t.Errorf("call %d waited %s, want %s", i+1, tr.waited, want)
		}
		after(t.Context(), &outcome{at: clk.Now(), resp: &Response{}, verdict: answered})
	}
}

func TestLimiterStepHoldsRetriesOfASpentQuota(t *testing.T) {
	quotaLeft := ratelimit.Snapshot{Requests: ratelimit.Quota{Limit: 60, HasRemaining: true, Remaining: 40}}
	tests := []struct {
		name    string
		o       outcome
		holding bool
	}{
		{"a retried 429 without headers", outcome{kind: KindRateLimit, verdict: retrying, pe: &ProviderError{StatusCode: http.StatusTooManyRequests}}, true},
		{"a retried 429 of an exhausted quota", outcome{kind: KindRateLimit, verdict: retrying, pe: &ProviderError{StatusCode: http.StatusTooManyRequests,
			RateLimit: ratelimit.Snapshot{Requests: ratelimit.Quota{Limit: 60, HasRemaining: true, Remaining: 0}}}}, true},
		{"a retried 429 with quota left", outcome{kind: KindRateLimit, verdict: retrying, pe: &ProviderError{StatusCode: http.StatusTooManyRequests, RateLimit: quotaLeft}}, false},
		{"a 429 given up", outcome{kind: KindRateLimit, verdict: gaveUp, pe: &ProviderError{StatusCode: http.StatusTooManyRequests}}, false},
		{"a retried 503", outcome{kind: KindServer, verdict: retrying, pe: &ProviderError{StatusCode: http.StatusServiceUnavailable}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(stepStart)
			l := &ratelimit.Limiter{}
			after, err := (chain{limiterStep{l}}).admit(t.Context(), &try{clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			o := tt.o
			o.at = clk.Now()
			after(t.Context(), &o)
			if (o.hold != nil) != tt.holding {
				t.Fatalf("holds the retry: %v, want %v", o.hold != nil, tt.holding)
			}
			if o.hold == nil {
				return
			}
			if st := l.Status(clk.Now()); !st.BlockedUntil.IsZero() {
				t.Errorf("held before the send decided to wait: %+v", st)
			}
			o.hold(3 * time.Second)
			if st := l.Status(clk.Now()); !st.BlockedUntil.Equal(clk.Now().Add(3 * time.Second)) {
				t.Errorf("blocked until %v, want 3s after the answer", st.BlockedUntil)
			}
		})
	}
}

func TestBudgetStepPaysForRetries(t *testing.T) {
	callErr := errors.New("503")
	tests := []struct {
		name    string
		spent   int // failures before the call
		verdict verdict
		held    bool
		want    float64
		refused bool
	}{
		{"an answer earns a tenth back", 2, answered, false, 8.1, false},
		{"a call given up costs a token", 0, gaveUp, false, 9, false},
		{"a retry costs a token", 0, retrying, false, 9, false},
		{"a retry the limiter holds costs nothing", 0, retrying, true, 10, false},
		{"a retry that would leave half the bucket or less is refused", 5, retrying, false, 4, true},
		{"a failure retrying cannot help costs nothing", 0, failed, false, 10, false},
		{"a call not sent costs nothing", 0, notSent, false, 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := budget.New(budget.Config{MaxTokens: 10, TokenRatio: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			for range tt.spent {
				b.OnFailure()
			}
			after, err := (chain{budgetStep{b: b, provider: "p"}}).admit(t.Context(), &try{clock: clock.NewFake(stepStart)})
			if err != nil {
				t.Fatal(err)
			}
			o := &outcome{err: callErr, verdict: tt.verdict}
			if tt.held {
				o.hold = func(time.Duration) {}
			}
			err = after(t.Context(), o)
			if tt.refused != (err != nil) {
				t.Fatalf("refusal %v, want one: %v", err, tt.refused)
			}
			if err != nil && (!errors.Is(err, ErrRetryBudget) || !errors.Is(err, callErr)) {
				t.Errorf("refusal %v, want ErrRetryBudget wrapping the call's error", err)
			}
			if got := b.Tokens(); got != tt.want {
				t.Errorf("%v tokens left, want %v", got, tt.want)
			}
		})
	}
}

// The limiter hears the outcome before the budget: a 429 of a spent quota,
// held in the limiter, is not charged to the budget.
func TestStepsForHeldRetryIsNotCharged(t *testing.T) {
	p, err := newPolicies(policyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(stepStart)
	after, err := p.stepsFor("p").admit(t.Context(), &try{clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	o := &outcome{at: clk.Now(), err: errors.New("429"), kind: KindRateLimit, verdict: retrying,
		pe: &ProviderError{StatusCode: http.StatusTooManyRequests}}
	if err := after(t.Context(), o); err != nil || o.hold == nil {
		t.Fatalf("refusal %v, hold set %v; want the retry held", err, o.hold != nil)
	}
	if tokens := p.budgetFor("p").Tokens(); tokens != budget.DefaultMaxTokens {
		t.Errorf("the budget has %v tokens, want it full", tokens)
	}
}
