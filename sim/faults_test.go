package sim

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

const accountSchema = `{"type":"object","properties":{
 "name":{"type":"string"},
 "age":{"type":"integer"},
 "plan":{"type":"string","enum":["free","pro","enterprise"]},
 "active":{"type":"boolean"},
 "address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}},"required":["city","zip"],"additionalProperties":false}},
 "required":["name","age","plan","active","address"],"additionalProperties":false}`

const accountText = "Contact John Doe, age 30. Plan: pro. Active: yes. Ships to 12 Elm Rd, Boston, MA 02118."

const accountClean = `{"name":"John Doe","age":30,"plan":"pro","active":true,"address":{"city":"Boston","zip":"02118"}}`

func accountRequest(extra ...any) map[string]any {
	return chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + accountText}},
		append([]any{"temperature", 0, "response_format", msg{"type": "json_object"}}, extra...)...)
}

// TestEachContentFaultOnDemand forces every fault kind at rate 1 and checks
// that the answer shows it, that the stats count it, and that nothing else
// is wrong.
func TestEachContentFaultOnDemand(t *testing.T) {
	s, err := extract.ParseSchema([]byte(accountSchema))
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := extract.Parse([]byte(accountClean))
	for _, k := range fault.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			srv, ts := newTest(t, Config{Seed: 5, Profile: Profile{Faults: map[fault.Kind]float64{k: 1}}})
			c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest()))
			got := fault.Classify(c.content(), clean, s)
			if len(got) != 1 || got[0].Kind != k {
				t.Errorf("answer %q shows %v, want only %s", c.content(), got, k)
			}
			if n := srv.Stats().Faults[string(k)]; n != 1 {
				t.Errorf("stats count %d %s faults", n, k)
			}
			wantFinish := "stop"
			if k == fault.Truncated {
				wantFinish = "length"
			}
			if c.Choices[0].FinishReason != wantFinish {
				t.Errorf("finish_reason %q, want %q", c.Choices[0].FinishReason, wantFinish)
			}
		})
	}
}

func TestCleanProfileAnswersExactly(t *testing.T) {
	srv, ts := newTest(t, Config{Seed: 5})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest()))
	got, err := extract.Parse([]byte(c.content()))
	want, _ := extract.Parse([]byte(accountClean))
	if err != nil || !extract.Equal(got, want) {
		t.Errorf("clean answer %s (%v)", c.content(), err)
	}
	if st := srv.Stats(); st.Completions != 1 || st.ByStatus[200] != 1 || len(st.Faults) != 0 || st.PromptTokens == 0 || st.CompletionTokens == 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestStrictModeOnlyTruncates: strict structured outputs decode to the
// schema, so schema and syntax faults cannot happen unless the profile
// ignores strict mode.
func TestStrictModeOnlyTruncates(t *testing.T) {
	all := map[fault.Kind]float64{}
	for _, k := range fault.Kinds() {
		if k != fault.Truncated {
			all[k] = 1
		}
	}
	req := chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Text: " + accountText}}, "temperature", 0,
		"response_format", msg{"type": "json_schema", "json_schema": msg{"name": "account", "strict": true, "schema": rawJSON(accountSchema)}})
	_, ts := newTest(t, Config{Seed: 5, Profile: Profile{Faults: all}})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
	got, _ := extract.Parse([]byte(c.content()))
	want, _ := extract.Parse([]byte(accountClean))
	if !extract.Equal(got, want) {
		t.Errorf("strict answer %s", c.content())
	}
	_, ts = newTest(t, Config{Seed: 5, Profile: Profile{Faults: all, IgnoreStrict: true}})
	c = decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
	if c.content() == string(extract.Marshal(want)) {
		t.Errorf("ignore_strict answer is clean: %s", c.content())
	}
}

func TestToolArgumentsHaveNoWrappers(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 5, Profile: Profile{Faults: map[fault.Kind]float64{fault.Fence: 1, fault.Prose: 1, fault.TrailingComma: 1}}})
	req := chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Text: " + accountText}}, "temperature", 0,
		"tools", []msg{{"type": "function", "function": msg{"name": "save", "parameters": rawJSON(accountSchema)}}}, "tool_choice", "required")
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
	args := c.content()
	if strings.Contains(args, "```") || !strings.HasPrefix(args, "{") || !strings.Contains(args, ",}") {
		t.Errorf("tool arguments %q: want a trailing comma and no fence or prose", args)
	}
}

func TestMaxTokensTruncates(t *testing.T) {
	_, ts := newTest(t, Config{Seed: 5})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest("max_tokens", 10)))
	if c.Choices[0].FinishReason != "length" || len(c.content()) != 40 || c.Usage.CompletionTokens != 10 {
		t.Errorf("finish %q, %d chars, %d tokens: %q", c.Choices[0].FinishReason, len(c.content()), c.Usage.CompletionTokens, c.content())
	}
	if c.Usage.TotalTokens != c.Usage.PromptTokens+10 {
		t.Errorf("usage %+v", c.Usage)
	}
}

// TestEachTransportFaultOnDemand forces every transport fault at rate 1.
func TestEachTransportFaultOnDemand(t *testing.T) {
	tests := []struct {
		name      string
		transport Transport
		status    int
		contains  string
		header    string
	}{
		{"rate_limited", Transport{RateLimited: 1}, 429, `"code":"rate_limit_exceeded"`, "retry-after"},
		{"server_error", Transport{ServerError: 1}, 500, `"type":"server_error"`, ""},
		{"bad_gateway", Transport{BadGateway: 1}, 502, "<title>502 Bad Gateway</title>", ""},
		{"unavailable", Transport{Unavailable: 1}, 503, "overloaded", ""},
		{"drop", Transport{Drop: 1}, -1, "", ""},
		{"hang", Transport{Hang: 1, HangFor: Duration(10 * time.Second)}, -1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := clock.NewFake(t0)
			srv, ts := newTest(t, Config{Seed: 1, Clock: fc, Profile: Profile{Transport: tt.transport}})
			r := post(t, ts, "/v1/chat/completions", accountRequest())
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if !strings.Contains(string(r.body), tt.contains) {
				t.Errorf("body %s lacks %s", r.body, tt.contains)
			}
			if tt.header != "" && r.header.Get(tt.header) == "" {
				t.Errorf("no %s header", tt.header)
			}
			if srv.Stats().Transport[tt.name] != 1 {
				t.Errorf("stats %+v", srv.Stats().Transport)
			}
			if dropped := srv.Stats().Dropped; dropped != 0 != (tt.status == -1) {
				t.Errorf("%d dropped", dropped)
			}
			if tt.name == "hang" {
				if sl := fc.Sleeps(); len(sl) != 1 || sl[0] != 10*time.Second {
					t.Errorf("hang slept %v", sl)
				}
			}
		})
	}
}

// TestTransportFaultStretches: one draw picks the fault whose stretch of
// [0, 1) it falls in, the stretches laid end to end in the slice's order.
func TestTransportFaultStretches(t *testing.T) {
	tr := Transport{Drop: 0.1, Hang: 0.1, RateLimited: 0.1, ServerError: 0.1, BadGateway: 0.1, Unavailable: 0.1}
	for _, tt := range []struct {
		u    float64
		want string
	}{
		{0, "drop"}, {0.05, "drop"}, {0.15, "hang"}, {0.25, "rate_limited"}, {0.35, "server_error"},
		{0.45, "bad_gateway"}, {0.55, "unavailable"}, {0.65, ""}, {0.99, ""},
	} {
		got := ""
		if f := pickTransportFault(tr, tt.u); f != nil {
			got = f.name
		}
		if got != tt.want {
			t.Errorf("u = %v: %q, want %q", tt.u, got, tt.want)
		}
	}
	if f := pickTransportFault(Transport{ServerError: 1}, 0); f == nil || f.name != "server_error" {
		t.Errorf("a zero rate takes no stretch: %v", f)
	}
}

// TestTransportFaultsMatchTheProfile: every transport fault's name is its
// field in a profile file, its rate reads that field, and Validate checks
// the field and counts it in the rates' sum.
func TestTransportFaultsMatchTheProfile(t *testing.T) {
	for i, f := range transportFaults {
		p, err := ParseProfile([]byte(`{"transport": {"` + f.name + `": 0.25}}`))
		if err != nil || f.rate(p.Transport) != 0.25 {
			t.Errorf("%s: rate %v from a profile that sets it to 0.25 (%v)", f.name, f.rate(p.Transport), err)
		}
		var pe *ProfileError
		if _, err := ParseProfile([]byte(`{"transport": {"` + f.name + `": 1.5}}`)); !errors.As(err, &pe) || pe.Field != "transport."+f.name {
			t.Errorf("%s: rate 1.5 gives %v", f.name, err)
		}
		other := transportFaults[(i+1)%len(transportFaults)].name
		if _, err := ParseProfile([]byte(`{"transport": {"` + f.name + `": 0.6, "` + other + `": 0.6}}`)); !errors.As(err, &pe) || pe.Field != "transport" {
			t.Errorf("%s and %s at 0.6: %v", f.name, other, err)
		}
	}
}

func TestOutageWindow(t *testing.T) {
	fc := clock.NewFake(t0)
	p := Profile{Outages: []Outage{{Start: Duration(time.Minute), Duration: Duration(30 * time.Second), Every: Duration(10 * time.Minute)}}}
	_, ts := newTest(t, Config{Clock: fc, Profile: p})
	steps := []struct {
		advance time.Duration
		status  int
	}{
		{0, 200}, {59 * time.Second, 200}, {time.Second, 503}, {29 * time.Second, 503}, {time.Second, 200},
		{9*time.Minute + 30*time.Second, 503}, {30 * time.Second, 200},
	}
	for i, st := range steps {
		fc.Advance(st.advance)
		if r := post(t, ts, "/v1/chat/completions", accountRequest()); r.status != st.status {
			t.Errorf("step %d (t=%v): status %d, want %d", i, fc.Now().Sub(t0), r.status, st.status)
		}
	}
}

func TestInsufficientQuota(t *testing.T) {
	_, ts := newTest(t, Config{Profile: Profile{InsufficientQuota: true}})
	for range 3 {
		r := post(t, ts, "/v1/chat/completions", accountRequest())
		if r.status != 429 || !strings.Contains(string(r.body), `"type":"insufficient_quota"`) || !strings.Contains(string(r.body), `"code":"insufficient_quota"`) {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if r.header.Get("retry-after") != "" {
			t.Errorf("retry-after on insufficient_quota")
		}
	}
}

func TestLatencyOnInjectedClock(t *testing.T) {
	fc := clock.NewFake(t0)
	_, ts := newTest(t, Config{Clock: fc, Latency: &Latency{Median: Duration(250 * time.Millisecond)}})
	if r := post(t, ts, "/v1/chat/completions", accountRequest()); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
	if sl := fc.Sleeps(); len(sl) != 1 || sl[0] != 250*time.Millisecond {
		t.Errorf("sleeps %v", sl)
	}
	// a log-normal latency stays between the median's neighbourhood and 3×p99
	srv, err := New(Config{Clock: fc, Latency: &Latency{Median: Duration(100 * time.Millisecond), P99: Duration(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	below := 0
	for i := range 2000 {
		d := srv.sampleLatency(newRand(uint64(i)))
		if d <= 0 || d > 3*time.Second {
			t.Fatalf("latency %v", d)
		}
		if d < 100*time.Millisecond {
			below++
		}
	}
	if below < 850 || below > 1150 {
		t.Errorf("%d of 2000 latencies below the median", below)
	}
}

// TestConstrainedJSON: with constrained decoding, JSON mode answers are
// valid JSON (schema faults remain); plain text answers are not protected.
func TestConstrainedJSON(t *testing.T) {
	p := Profile{ConstrainedJSON: true, Faults: map[fault.Kind]float64{fault.Fence: 1, fault.TrailingComma: 1, fault.MissingField: 1}}
	_, ts := newTest(t, Config{Seed: 5, Profile: p})
	c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", accountRequest()))
	if _, err := extract.Parse([]byte(c.content())); err != nil {
		t.Errorf("json_object answer is not JSON: %q", c.content())
	}
	if strings.Contains(c.content(), `"age"`) && strings.Contains(c.content(), `"name"`) && strings.Contains(c.content(), `"plan"`) &&
		strings.Contains(c.content(), `"active"`) && strings.Contains(c.content(), `"address"`) {
		t.Errorf("missing_field not applied: %s", c.content())
	}
	req := accountRequest()
	delete(req, "response_format")
	c = decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
	if !strings.HasPrefix(c.content(), "```json") {
		t.Errorf("text-mode answer %q has no fence", c.content())
	}
}
