package logthrottle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/logthrottle"
)

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// recording keeps the records it is handed.
type recording struct {
	mu    sync.Mutex
	level slog.Level
	recs  []slog.Record
}

func (h *recording) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *recording) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *recording) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recording) WithGroup(string) slog.Handler      { return h }

// lines renders the records as "LEVEL message k=v ...".
func (h *recording) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		s := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			s += " " + a.String()
			return true
		})
		out = append(out, s)
	}
	return out
}

func newLogger(t *testing.T, cfg logthrottle.Config) (*slog.Logger, *logthrottle.Handler, *recording, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	cfg.Clock = clk
	rec := &recording{level: slog.LevelInfo}
	h, err := logthrottle.New(rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return slog.New(h), h, rec, clk
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFloodIsSummarised: the first Burst records of a kind pass, the rest
// are counted, and the next record after the interval comes after one
// summary line.
func TestFloodIsSummarised(t *testing.T) {
	log, _, rec, clk := newLogger(t, logthrottle.Config{Burst: 2, Interval: 10 * time.Second})
	for i := range 1314 {
		log.Warn("reask: extraction failed", "outcome", "circuit_open", "attempt", i)
		if i%100 == 99 {
			clk.Advance(500 * time.Millisecond) // 6.5 s in all: one interval
		}
	}
	log.Warn("reask: extraction failed", "outcome", "schema")
	equal(t, rec.lines(), []string{
		"WARN reask: extraction failed outcome=circuit_open attempt=0",
		"WARN reask: extraction failed outcome=circuit_open attempt=1",
		"WARN reask: extraction failed outcome=schema",
	})
	clk.Advance(3500 * time.Millisecond) // the interval ends
	log.Warn("reask: extraction failed", "outcome", "circuit_open", "attempt", 9999)
	equal(t, rec.lines()[3:], []string{
		"WARN reask: extraction failed (1,312 more like this in the last 10s) outcome=circuit_open suppressed=1312",
		"WARN reask: extraction failed outcome=circuit_open attempt=9999",
	})
	if got := rec.recs[3].Time; !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("summary at %v, want the interval's end %v", got, t0.Add(10*time.Second))
	}
}

// TestSummaryComesWithTheNextLogCallOfAnyLevel: a flood that stops is
// summarised on the next log call, even one the level filters out.
func TestSummaryComesWithTheNextLogCallOfAnyLevel(t *testing.T) {
	log, _, rec, clk := newLogger(t, logthrottle.Config{Burst: 1, Interval: 10 * time.Second})
	for range 5 {
		log.Warn("gateway: stream ended early", "upstream", "sim")
	}
	clk.Advance(9 * time.Second)
	log.Debug("filtered out")
	if n := len(rec.lines()); n != 1 {
		t.Fatalf("summary before the interval ended: %q", rec.lines())
	}
	clk.Advance(time.Second)
	log.Debug("filtered out")
	equal(t, rec.lines(), []string{
		"WARN gateway: stream ended early upstream=sim",
		"WARN gateway: stream ended early (4 more like this in the last 10s) upstream=sim suppressed=4",
	})
}

// TestFlushWritesPendingSummaries: on shutdown, what was held back is
// told, over the span until now.
func TestFlushWritesPendingSummaries(t *testing.T) {
	log, h, rec, clk := newLogger(t, logthrottle.Config{Burst: 1, Interval: time.Minute})
	for range 3 {
		log.Error("boom", "kind", "connection")
	}
	clk.Advance(1500 * time.Millisecond)
	if err := h.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(t.Context()); err != nil { // nothing more to tell
		t.Fatal(err)
	}
	equal(t, rec.lines(), []string{
		"ERROR boom kind=connection",
		"ERROR boom (2 more like this in the last 2s) kind=connection suppressed=2",
	})
}

// TestKindsAndLevels: level, message and key attributes tell kinds apart;
// records below Level all pass; other attributes do not matter.
func TestKindsAndLevels(t *testing.T) {
	log, _, rec, _ := newLogger(t, logthrottle.Config{Burst: 1})
	for range 3 {
		log.Info("gateway: request", "status", 200) // below WARN: never throttled
	}
	log.Warn("a", "status", 503, "id", 1)
	log.Warn("a", "status", 503, "id", 2) // same kind
	log.Warn("a", "status", 502)
	log.Error("a", "status", 503)
	log.Warn("b", "status", 503)
	log.With("provider", "x").Warn("a", "status", 503) // bound key attribute: another kind
	log.With("provider", "x").Warn("a", "status", 503)
	equal(t, rec.lines(), []string{
		"INFO gateway: request status=200",
		"INFO gateway: request status=200",
		"INFO gateway: request status=200",
		"WARN a status=503 id=1",
		"WARN a status=502",
		"ERROR a status=503",
		"WARN b status=503",
		"WARN a status=503",
	})
}

// TestTooManyKindsPassUntracked: beyond MaxKinds, records of new kinds
// pass; once intervals end, their room is reused.
func TestTooManyKindsPassUntracked(t *testing.T) {
	log, _, rec, clk := newLogger(t, logthrottle.Config{Burst: 1, MaxKinds: 2, Interval: time.Second})
	for i := range 3 {
		for range 2 {
			log.Warn("x", "kind", fmt.Sprint(i))
		}
	}
	if n := len(rec.lines()); n != 4 { // kinds 0 and 1 once, kind 2 untracked twice
		t.Errorf("%d lines: %q", n, rec.lines())
	}
	clk.Advance(time.Second)
	log.Warn("x", "kind", "3")
	log.Warn("x", "kind", "3")
	lines := rec.lines()[4:]
	if len(lines) != 3 || !strings.Contains(lines[0], "1 more like this") || !strings.Contains(lines[1], "1 more like this") || lines[2] != "WARN x kind=3" {
		t.Errorf("after the interval: %q", lines)
	}
}

func TestConcurrentUse(t *testing.T) {
	log, h, rec, _ := newLogger(t, logthrottle.Config{Burst: 5})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				log.Warn("flood")
			}
		})
	}
	wg.Wait()
	_ = h.Flush(t.Context())
	equal(t, rec.lines()[5:], []string{"WARN flood (1,595 more like this in the last 0s) suppressed=1595"})
}

func TestConfigErrors(t *testing.T) {
	rec := &recording{}
	for _, cfg := range []logthrottle.Config{{Burst: -1}, {Interval: -time.Second}, {MaxKinds: -1}} {
		if _, err := logthrottle.New(rec, cfg); !errors.Is(err, logthrottle.ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if _, err := logthrottle.New(nil, logthrottle.Config{}); !errors.Is(err, logthrottle.ErrConfig) {
		t.Errorf("nil handler: %v", err)
	}
}

// ExampleHandler shows a flood turned into a few lines.
func ExampleHandler() {
	clk := clock.NewFake(t0)
	var buf bytes.Buffer
	text := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	h, _ := logthrottle.New(text, logthrottle.Config{Burst: 2, Interval: 10 * time.Second, Clock: clk})
	log := slog.New(h)
	for range 1314 {
		log.Warn("reask: extraction failed", "outcome", "circuit_open")
	}
	clk.Advance(10 * time.Second)
	_ = h.Flush(context.Background())
	fmt.Print(buf.String())
	// Output:
	// level=WARN msg="reask: extraction failed" outcome=circuit_open
	// level=WARN msg="reask: extraction failed" outcome=circuit_open
	// level=WARN msg="reask: extraction failed (1,312 more like this in the last 10s)" outcome=circuit_open suppressed=1312
}
