package main

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/batch"
)

// On a terminal the bar shows the count, the rate in items, the elapsed
// time and the ETA, then ok/failed and tokens; at the end it is filled only
// if every item is done, else the exact last line follows it.
func TestProgressBarOnTerminal(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return start.Add(10 * time.Second) }
	tests := []struct {
		name       string
		total      int
		steps      []batch.Progress // the last is also given to finish
		firstFrame string           // a regular expression
		lastFrame  string           // a regular expression; "" when the bar is left as it is
		tail       string           // what follows the bar
	}{
		{"complete", 4, []batch.Progress{
			{Total: 4, Done: 1, OK: 1, Tokens: 120, Started: start},
			{Total: 4, Done: 3, OK: 2, Failed: 1, Tokens: 480, Wasted: 90, Started: start},
			{Total: 4, Done: 4, OK: 3, Failed: 1, Tokens: 600, Wasted: 90, Started: start},
		},
			`^ +\d+% \|[ █]+\| \([01]/4, \d+ items/(s|min|hr)\) \[\d+s:\d+s\] ok 1 · failed 0 · 120 tokens \(0 wasted\)`,
			`^ +100% \|█+\| \(4/4, \d+ items/(s|min|hr)\) ok 3 · failed 1 · 600 tokens \(90 wasted\)`,
			"\n"},
		{"resumed and complete", 5, []batch.Progress{
			{Total: 5, Done: 2, Skipped: 3, OK: 2, Tokens: 100, Started: start},
		}, `\(\d/5, .*ok 2 · failed 0 · 100 tokens`, `^ +100% .*\(5/5, .*ok 2 · failed 0 · 100 tokens \(0 wasted\)`, "\n"},
		{"interrupted", 4, []batch.Progress{
			{Total: 4, Done: 1, OK: 1, Tokens: 120, Started: start},
			{Total: 4, Done: 2, OK: 1, Failed: 1, Tokens: 300, Wasted: 50, Started: start},
		}, `\[\d+s:\d+s\] ok 1 · failed 0 · 120 tokens`, "",
			"\nprogress: 2 done/4 (ok 1, failed 1, skipped 0), 0.2 items/s, 300 tokens, ETA 10s\n"},
		{"unknown total (stdin)", 0, []batch.Progress{
			{Done: 7, OK: 6, Failed: 1, Tokens: 900, Wasted: 40, Started: start},
		}, `\(\d+/-, \d+ items/(s|min|hr)\) \[\d+s\] ok 6 · failed 1 · 900 tokens \(40 wasted\)`, "",
			"\nprogress: 7 done (ok 6, failed 1, skipped 0), 0.7 items/s, 900 tokens\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			goroutines := runtime.NumGoroutine()
			v := newProgressView(&out, true, tt.total, time.Hour, now)
			if n := runtime.NumGoroutine(); n > goroutines {
				t.Errorf("the bar started %d goroutine(s): it would draw after finish", n-goroutines)
			}
			if v.bar == nil {
				t.Fatal("no bar on a terminal")
			}
			for _, p := range tt.steps {
				v.update(p)
			}
			v.finish(tt.steps[len(tt.steps)-1])
			text, tail, ok := strings.Cut(out.String(), "\n")
			if !ok || "\n"+tail != tt.tail {
				t.Errorf("after the bar: %q, want %q", "\n"+tail, tt.tail)
			}
			// The bar redraws in place after a carriage return.
			var frames []string
			for _, f := range strings.Split(text, "\r") {
				if strings.TrimSpace(f) != "" {
					frames = append(frames, f)
				}
			}
			if len(frames) == 0 {
				t.Fatalf("no bar drawn: %q", out.String())
			}
			if !regexp.MustCompile(tt.firstFrame).MatchString(frames[0]) {
				t.Errorf("first frame %q does not match %s", frames[0], tt.firstFrame)
			}
			last := frames[len(frames)-1]
			if tt.lastFrame != "" && !regexp.MustCompile(tt.lastFrame).MatchString(last) {
				t.Errorf("last frame %q does not match %s", last, tt.lastFrame)
			}
			if tt.lastFrame == "" && (strings.Contains(last, "100%") || strings.Contains(out.String(), "4/4")) {
				t.Errorf("an unfinished run's bar is shown full: %q", last)
			}
		})
	}
}

// Off a terminal, a line every interval, measured on the injected clock,
// and a last line at the end.
func TestProgressLinesOffTerminal(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := start
	var out bytes.Buffer
	v := newProgressView(&out, false, 10, 5*time.Second, func() time.Time { return now })
	if v.bar != nil {
		t.Fatal("a bar off a terminal")
	}
	p := batch.Progress{Total: 10, Started: start}
	steps := []struct {
		after time.Duration
		done  int
		line  bool
	}{
		{time.Second, 1, false},
		{5 * time.Second, 2, true},
		{7 * time.Second, 3, false},
		{10 * time.Second, 5, true},
	}
	lines := 0
	for _, s := range steps {
		now = start.Add(s.after)
		p.Done, p.OK = s.done, s.done
		v.update(p)
		if s.line {
			lines++
		}
		if got := strings.Count(out.String(), "\n"); got != lines {
			t.Fatalf("after %s: %d lines, want %d:\n%s", s.after, got, lines, out.String())
		}
	}
	v.finish(p)
	want := "progress: 2 done/10 (ok 2, failed 0, skipped 0), 0.4 items/s, 0 tokens, ETA 20s\n" +
		"progress: 5 done/10 (ok 5, failed 0, skipped 0), 0.5 items/s, 0 tokens, ETA 10s\n" +
		"progress: 5 done/10 (ok 5, failed 0, skipped 0), 0.5 items/s, 0 tokens, ETA 10s\n"
	if out.String() != want {
		t.Errorf("lines\n%s\nwant\n%s", out.String(), want)
	}
}

func TestProgressLine(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		p    batch.Progress
		at   time.Duration
		want string
	}{
		{"half way", batch.Progress{Total: 100, Done: 50, OK: 45, Failed: 5, Tokens: 12000, Started: start}, 10 * time.Second,
			"progress: 50 done/100 (ok 45, failed 5, skipped 0), 5.0 items/s, 12000 tokens, ETA 10s"},
		{"resumed", batch.Progress{Total: 100, Done: 10, Skipped: 80, OK: 10, Tokens: 500, Started: start}, 4 * time.Second,
			"progress: 90 done/100 (ok 10, failed 0, skipped 80), 2.5 items/s, 500 tokens, ETA 4s"},
		{"nothing done yet", batch.Progress{Total: 100, Started: start}, time.Second,
			"progress: 0 done/100 (ok 0, failed 0, skipped 0), 0.0 items/s, 0 tokens"},
		{"at the start", batch.Progress{Total: 100, Started: start}, 0,
			"progress: 0 done/100 (ok 0, failed 0, skipped 0), 0.0 items/s, 0 tokens"},
		{"unknown total", batch.Progress{Done: 30, OK: 29, Failed: 1, Tokens: 3000, Started: start}, 3 * time.Second,
			"progress: 30 done (ok 29, failed 1, skipped 0), 10.0 items/s, 3000 tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.p, start.Add(tt.at)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
