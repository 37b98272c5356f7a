package reask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/schema"
)

// streamer is a provider that streams scripted answers in chunks of a
// few bytes through Request.OnDelta (or, with whole, ignores it). An
// answer with a cut streams that many bytes and then fails as a stream
// that broke off.
type streamer struct {
	mu      sync.Mutex
	answers []streamed
	calls   int
	chunk   int
	whole   bool
}

type streamed struct {
	text string
	cut  int // > 0: break off after cut bytes
}

func (s *streamer) Name() string { return "stream/test" }

func (s *streamer) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	s.mu.Lock()
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	s.mu.Unlock()
	text := a.text
	if a.cut > 0 {
		text = text[:a.cut]
	}
	if req.OnDelta != nil && !s.whole {
		for i := 0; i < len(text); i += s.chunk {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			req.OnDelta(text[i:min(i+s.chunk, len(text))])
		}
	}
	if a.cut > 0 {
		return nil, fmt.Errorf("stream broke off: %w", io.ErrUnexpectedEOF)
	}
	return &reask.Response{Content: text, FinishReason: "stop",
		Usage: reask.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}}, nil
}

type pet struct {
	Kind  string `json:"kind" jsonschema:"enum=cat,enum=dog"`
	Lives int    `json:"lives"`
}

type owner struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
	Pet  pet    `json:"pet"`
}

func streamClient(t testing.TB, p reask.Provider) *reask.Client {
	return reasktest.NewClient(t, p, reask.Config{Clock: clock.NewFake(time.Unix(0, 0)), Random: func() float64 { return 0 }})
}

// partialLine renders a partial on one line for exact comparison.
func partialLine(p reask.Partial[owner]) string {
	switch {
	case p.Restart && p.Failed != nil:
		return fmt.Sprintf("%d restart: %s", p.Attempt, p.Failed.Message)
	case p.Restart:
		return fmt.Sprintf("%d restart", p.Attempt)
	case p.Final:
		return fmt.Sprintf("%d final %+v (%d attempts)", p.Attempt, p.Value, p.Report.Attempts)
	}
	s := fmt.Sprintf("%d %s open=%q", p.Attempt, p.JSON, p.Open)
	for _, v := range p.Invalid {
		s += " invalid " + v.Path
	}
	return s
}

// A streamed extraction whose first answer fails: its partials, a restart
// naming the violation, the re-asked answer's partials, the final value.
func TestStreamReasks(t *testing.T) {
	p := &streamer{chunk: 8, answers: []streamed{
		{text: `{"name": "Ada", "age": "old", "pet": {"kind": "cat", "lives": 9}}`},
		{text: `{"name": "Ada", "age": 36, "pet": {"kind": "cat", "lives": 9}}`},
	}}
	var got []string
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "Ada, 36, has a cat") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, partialLine(part))
	}
	want := []string{
		`1 {} open=[""]`,
		`1 {"name":"Ada"} open=[""]`,
		`1 {"name":"Ada","age":"old"} open=[""]`,
		`1 {"name":"Ada","age":"old","pet":{}} open=["" "/pet"]`,
		`1 {"name":"Ada","age":"old","pet":{"kind":"cat"}} open=["" "/pet"]`,
		`1 {"name":"Ada","age":"old","pet":{"kind":"cat","lives":9}} open=[""]`,
		`1 {"name":"Ada","age":"old","pet":{"kind":"cat","lives":9}} open=[]`,
		`2 restart: schema /age: wrong type: got "old" (string); expected integer`,
		`2 {} open=[""]`,
		`2 {"name":"Ada"} open=[""]`,
		`2 {"name":"Ada","age":36} open=[""]`,
		`2 {"name":"Ada","age":36,"pet":{}} open=["" "/pet"]`,
		`2 {"name":"Ada","age":36,"pet":{"kind":"cat"}} open=["" "/pet"]`,
		`2 {"name":"Ada","age":36,"pet":{"kind":"cat","lives":9}} open=[]`,
		`2 final {Name:Ada Age:36 Pet:{Kind:cat Lives:9}} (2 attempts)`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("partials:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The typed value follows the JSON: absent fields are zero, the open
// string shows as far as it came.
func TestStreamTypedValue(t *testing.T) {
	p := &streamer{chunk: 12, answers: []streamed{{text: `{"name": "Grace Hopper", "age": 85, "pet": {"kind": "dog", "lives": 1}}`}}}
	var values []owner
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "Grace") {
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, part.Value)
	}
	if got := values[0]; got != (owner{Name: "Gr"}) {
		t.Errorf("first partial %+v, want the name so far", got)
	}
	if got, want := values[len(values)-1], (owner{Name: "Grace Hopper", Age: 85, Pet: pet{Kind: "dog", Lives: 1}}); got != want {
		t.Errorf("final %+v, want %+v", got, want)
	}
}

// An object that closes invalid is reported at once; one that local repair
// would fix ("9" for an integer) is not.
func TestStreamInvalidOnClose(t *testing.T) {
	p := &streamer{chunk: 4, answers: []streamed{
		{text: `{"pet": {"kind": "cat", "lives": "many"}, "name": "B", "age": 1}`},
		{text: `{"pet": {"kind": "cat", "lives": "9"}, "name": "B", "age": 1}`},
	}}
	var invalid [][]string
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "B") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(part.JSON), `"name":"B"`) && !part.Final {
			var paths []string
			for _, v := range part.Invalid {
				paths = append(paths, v.Path)
			}
			invalid = append(invalid, paths)
		}
	}
	if len(invalid) < 2 || !slices.Equal(invalid[0], []string{"/pet/lives"}) || len(invalid[len(invalid)-1]) != 0 {
		t.Fatalf("invalid paths per partial: %q; want /pet/lives for the first answer, nothing for the second", invalid)
	}
}

// A call that breaks off mid-answer is sent again: the stream restarts
// within the same attempt, with no failed attempt to show.
func TestStreamCutRestarts(t *testing.T) {
	full := `{"name": "Cy", "age": 7, "pet": {"kind": "dog", "lives": 1}}`
	p := &streamer{chunk: 10, answers: []streamed{{text: full, cut: 25}, {text: full}}}
	var got []string
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "Cy") {
		if err != nil {
			t.Fatal(err)
		}
		if part.Restart || part.Final {
			got = append(got, partialLine(part))
		}
		if part.Final && (part.Report.Calls != 2 || part.Report.Attempts != 1) {
			t.Errorf("report: %d calls, %d attempts; want 2 and 1", part.Report.Calls, part.Report.Attempts)
		}
	}
	want := []string{"1 restart", "1 final {Name:Cy Age:7 Pet:{Kind:dog Lives:1}} (1 attempts)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A provider that cannot stream shows each answer whole, then the final.
func TestStreamWithoutStreamingProvider(t *testing.T) {
	p := &streamer{whole: true, answers: []streamed{{text: "```json\n{\"name\": \"D\", \"age\": 2, \"pet\": {\"kind\": \"cat\", \"lives\": 3}}\n```"}}}
	var got []string
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "D") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, partialLine(part))
	}
	want := []string{`1 {"name":"D","age":2,"pet":{"kind":"cat","lives":3}} open=[]`, "1 final {Name:D Age:2 Pet:{Kind:cat Lives:3}} (1 attempts)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// When every attempt fails, the last item carries the report beside
// Extract's error.
func TestStreamExhausted(t *testing.T) {
	p := &streamer{chunk: 50, answers: []streamed{{text: `{"name": "E", "age": "x", "pet": {"kind": "cat", "lives": 1}}`}}}
	var last reask.Partial[owner]
	var lastErr error
	for part, err := range reask.Stream[owner](t.Context(), streamClient(t, p), "E", reask.WithMaxAttempts(2)) {
		last, lastErr = part, err
	}
	if !errors.Is(lastErr, reask.ErrExhausted) || last.Report == nil || last.Report.Attempts != 2 || last.Final {
		t.Fatalf("last item %+v, %v; want the report of 2 attempts and ErrExhausted", last, lastErr)
	}
}

// Breaking out of the loop cancels the extraction: the provider's call
// sees its context end, and nothing is yielded after the break.
func TestStreamBreakCancels(t *testing.T) {
	p := &streamer{chunk: 2, answers: []streamed{{text: `{"name": "a long name that streams", "age": 1, "pet": {"kind": "cat", "lives": 1}}`}}}
	n := 0
	for range reask.Stream[owner](t.Context(), streamClient(t, p), "F") {
		n++
		if n == 3 {
			break
		}
	}
	if p.calls != 1 {
		t.Fatalf("%d calls after the break, want 1", p.calls)
	}
}

// RunStream streams a Task's answer as JSON.
func TestRunStream(t *testing.T) {
	p := &streamer{chunk: 3, answers: []streamed{{text: `{"name": "G", "age": 3, "pet": {"kind": "dog", "lives": 2}}`}}}
	c := streamClient(t, p)
	s, err := schema.For[owner]()
	if err != nil {
		t.Fatal(err)
	}
	var final json.RawMessage
	for part, err := range c.RunStream(t.Context(), reask.Task{Schema: s, Input: "G"}) {
		if err != nil {
			t.Fatal(err)
		}
		if part.Final {
			final = part.Value
		}
	}
	if string(final) != `{"name": "G", "age": 3, "pet": {"kind": "dog", "lives": 2}}` {
		t.Fatalf("final %s", final)
	}
}
