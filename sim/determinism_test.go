package sim

import (
	"bytes"
	"fmt"
	"testing"
)

func reviewRequest(i int, temp float64) map[string]any {
	text := fmt.Sprintf("Extract the review as JSON.\nSchema: %s\nText: Review of the Kindle Paperwhite: %d/5. It does the job.", reviewSchema, 1+i%5)
	return chatBody("gpt-4o-mini", []msg{{"role": "user", "content": text}}, "temperature", temp,
		"response_format", msg{"type": "json_object"})
}

// TestSameSeedSameBytes sends the same sequence of requests to two servers
// with the same seed: every response is the same, byte for byte, faults
// included.
func TestSameSeedSameBytes(t *testing.T) {
	flaky, _ := BuiltinProfile("flaky")
	flaky.Latency = Latency{}
	run := func() [][]byte {
		_, ts := newTest(t, Config{Seed: 42, Profile: flaky})
		var out [][]byte
		for i := range 60 {
			r := post(t, ts, "/v1/chat/completions", reviewRequest(i, float64(i%2)))
			out = append(out, append([]byte(fmt.Sprintf("%d ", r.status)), r.body...))
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("response %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
}

// TestTemperatureZeroRepeats: a plain retry at temperature 0 gets the same
// answer; at temperature 1 answers vary from request to request.
func TestTemperatureZeroRepeats(t *testing.T) {
	p := Profile{Faults: map[faultKind]float64{"fence": 0.5, "missing_field": 0.5}}
	_, ts := newTest(t, Config{Seed: 3, Profile: p})
	first := ""
	for i := range 20 {
		c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", reviewRequest(0, 0)))
		if i == 0 {
			first = c.content()
		} else if c.content() != first {
			t.Fatalf("temperature 0, attempt %d: %q, first %q", i, c.content(), first)
		}
	}
	seen := map[string]bool{}
	for range 20 {
		c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", reviewRequest(0, 1)))
		seen[c.content()] = true
	}
	if len(seen) < 2 {
		t.Errorf("temperature 1 gave one answer 20 times")
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	p := Profile{Faults: map[faultKind]float64{"fence": 0.5, "missing_field": 0.5, "enum_case": 0.5}}
	answers := map[string]bool{}
	for seed := range int64(12) {
		_, ts := newTest(t, Config{Seed: seed, Profile: p})
		answers[decodeCompletion(t, post(t, ts, "/v1/chat/completions", reviewRequest(0, 0))).content()] = true
	}
	if len(answers) < 3 {
		t.Errorf("12 seeds gave %d distinct answers", len(answers))
	}
}

// TestChoices: n choices at temperature 0 are the same answer; at
// temperature 1 they are sampled apart. A request seed makes sampling
// repeatable.
func TestChoices(t *testing.T) {
	p := Profile{Faults: map[faultKind]float64{"fence": 0.5, "missing_field": 0.5, "enum_case": 0.5}}
	_, ts := newTest(t, Config{Seed: 3, Profile: p})
	contents := func(r result) []string {
		var c struct {
			Choices []struct {
				Message struct{ Content string }
			}
		}
		decodeJSON(t, r.body, &c)
		var out []string
		for _, ch := range c.Choices {
			out = append(out, ch.Message.Content)
		}
		return out
	}
	req := reviewRequest(0, 0)
	req["n"] = 4
	got := contents(post(t, ts, "/v1/chat/completions", req))
	if len(got) != 4 || got[0] != got[1] || got[1] != got[2] || got[2] != got[3] {
		t.Errorf("temperature 0 choices differ: %q", got)
	}
	req = reviewRequest(0, 1)
	req["n"] = 8
	seen := map[string]bool{}
	for _, c := range contents(post(t, ts, "/v1/chat/completions", req)) {
		seen[c] = true
	}
	if len(seen) < 2 {
		t.Errorf("8 sampled choices are all the same")
	}
	req["seed"] = 77
	a := contents(post(t, ts, "/v1/chat/completions", req))
	b := contents(post(t, ts, "/v1/chat/completions", req))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the same request seed sampled differently")
	}
}
