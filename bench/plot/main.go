// Command plot draws the benchmark suite's figures as plain SVG files, with
// no dependency: latency against concurrency from bench/portkey's
// -plot-data file, and model calls per item (with exact-match accuracy)
// against the content-fault rate from bench/peers' -plot-data file.
//
//	go run ./bench/plot -latency latency.json -sweep sweep.json -out bench/plots
//
// Either input may be left out; each given one makes one SVG file.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	latency := fs.String("latency", "", "bench/portkey -plot-data file")
	sweep := fs.String("sweep", "", "bench/peers -plot-data file")
	outDir := fs.String("out", "bench/plots", "directory for the SVG files")
	title := fs.String("note", "", "a line under each title (machine, date)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *latency == "" && *sweep == "" {
		return errors.New("nothing to draw: give -latency FILE and/or -sweep FILE")
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	if *latency != "" {
		if err := drawLatency(*latency, filepath.Join(*outDir, "latency-vs-concurrency.svg"), *title); err != nil {
			return err
		}
	}
	if *sweep != "" {
		if err := drawSweep(*sweep, filepath.Join(*outDir, "calls-per-item-vs-fault-rate.svg"), *title); err != nil {
			return err
		}
	}
	return nil
}

// series is one line of a chart.
type series struct {
	name   string
	color  string
	dashed bool
	xs, ys []float64
}

// axis maps data values to pixels.
type axis struct {
	min, max   float64
	log        bool
	from, to   float64 // pixels
	ticks      []float64
	label      func(float64) string
	categories []float64 // when set, ticks are evenly spaced categories
}

func (a axis) pos(v float64) float64 {
	if len(a.categories) > 0 {
		i := slices.Index(a.categories, v)
		if len(a.categories) == 1 {
			return (a.from + a.to) / 2
		}
		return a.from + (a.to-a.from)*float64(i)/float64(len(a.categories)-1)
	}
	lo, hi, x := a.min, a.max, v
	if a.log {
		lo, hi, x = math.Log10(lo), math.Log10(hi), math.Log10(math.Max(v, a.min))
	}
	if hi == lo {
		return (a.from + a.to) / 2
	}
	return a.from + (a.to-a.from)*(x-lo)/(hi-lo)
}

// panel is one chart in an SVG.
type panel struct {
	title, xLabel, yLabel string
	x, y                  axis
	lines                 []series
}

var palette = []string{"#1b6ac9", "#d1495b", "#2a9d4b", "#e08e0b", "#7b4fb3", "#00838f", "#6d4c41", "#c2185b"}

// svg writes panels side by side with a shared legend below.
func svg(path, title, note string, panels []panel, legend []series) error {
	const pw, ph = 520.0, 360.0
	width := pw * float64(len(panels))
	legendRows := (len(legend) + 1) / 2
	height := ph + 70 + 22*float64(legendRows)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Arial, sans-serif">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="17" font-weight="bold" text-anchor="middle">%s</text>`+"\n", width/2, html.EscapeString(title))
	if note != "" {
		fmt.Fprintf(&b, `<text x="%.0f" y="44" font-size="12" fill="#555" text-anchor="middle">%s</text>`+"\n", width/2, html.EscapeString(note))
	}
	for i, p := range panels {
		ox := pw * float64(i)
		left, right, top, bottom := ox+70, ox+pw-20, 80.0, ph+20
		p.x.from, p.x.to = left, right
		p.y.from, p.y.to = bottom, top
		fmt.Fprintf(&b, `<text x="%.0f" y="68" font-size="14" text-anchor="middle">%s</text>`+"\n", (left+right)/2, html.EscapeString(p.title))
		// grid and ticks
		for _, t := range p.y.ticks {
			y := p.y.pos(t)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", left, y, right, y)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="end">%s</text>`+"\n", left-6, y+4, p.y.label(t))
		}
		for _, t := range p.x.ticks {
			x := p.x.pos(t)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", x, top, x, bottom)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", x, bottom+16, p.x.label(t))
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#888"/>`+"\n", left, top, right-left, bottom-top)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="middle">%s</text>`+"\n", (left+right)/2, bottom+36, html.EscapeString(p.xLabel))
		fmt.Fprintf(&b, `<text transform="translate(%.1f %.1f) rotate(-90)" font-size="13" text-anchor="middle">%s</text>`+"\n", ox+18, (top+bottom)/2, html.EscapeString(p.yLabel))
		for _, s := range p.lines {
			var pts []string
			for j := range s.xs {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x.pos(s.xs[j]), p.y.pos(s.ys[j])))
			}
			dash := ""
			if s.dashed {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.2"%s/>`+"\n", strings.Join(pts, " "), s.color, dash)
			for j := range s.xs {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", p.x.pos(s.xs[j]), p.y.pos(s.ys[j]), s.color)
			}
		}
	}
	for i, s := range legend {
		col, row := i%2, i/2
		x := 40 + width/2*float64(col)
		y := ph + 75 + 22*float64(row)
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="2.5"%s/>`+"\n", x, y-4, x+28, y-4, s.color, dash)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="13">%s</text>`+"\n", x+36, y, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// logTicks are 1-2-5 steps covering [lo, hi].
func logTicks(lo, hi float64) (float64, float64, []float64) {
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	var ts []float64
	for d := lo; d <= hi*1.0001; d *= 10 {
		ts = append(ts, d)
	}
	return lo, hi, ts
}

func drawLatency(in, out, note string) error {
	var data struct {
		Latency []struct {
			Kind        string  `json:"kind"`
			Target      string  `json:"target"`
			Concurrency int     `json:"concurrency"`
			P50ms       float64 `json:"p50_ms"`
			P99ms       float64 `json:"p99_ms"`
			RPS         float64 `json:"rps"`
		} `json:"latency"`
	}
	if err := readJSON(in, &data); err != nil {
		return err
	}
	if len(data.Latency) == 0 {
		return fmt.Errorf("%s: no latency figures", in)
	}
	var kinds, targets []string
	var concs []float64
	lo, hi := math.Inf(1), 0.0
	for _, p := range data.Latency {
		if !slices.Contains(kinds, p.Kind) {
			kinds = append(kinds, p.Kind)
		}
		if !slices.Contains(targets, p.Target) {
			targets = append(targets, p.Target)
		}
		if !slices.Contains(concs, float64(p.Concurrency)) {
			concs = append(concs, float64(p.Concurrency))
		}
		lo, hi = math.Min(lo, math.Max(p.P50ms, 1e-3)), math.Max(hi, p.P99ms)
	}
	slices.Sort(concs)
	ylo, yhi, yt := logTicks(lo, hi)
	colors := map[string]string{}
	var legend []series
	for i, t := range targets {
		colors[t] = palette[i%len(palette)]
		legend = append(legend, series{name: t + " p50", color: colors[t]}, series{name: t + " p99", color: colors[t], dashed: true})
	}
	var panels []panel
	for _, k := range kinds {
		p := panel{title: fmt.Sprintf("%s requests", k), xLabel: "concurrency (closed loop)", yLabel: "latency, ms (log scale)",
			x: axis{categories: concs, ticks: concs, label: func(v float64) string { return fmt.Sprintf("%.0f", v) }},
			y: axis{min: ylo, max: yhi, log: true, ticks: yt, label: msLabel}}
		for _, t := range targets {
			s50 := series{name: t + " p50", color: colors[t]}
			s99 := series{name: t + " p99", color: colors[t], dashed: true}
			for _, c := range concs {
				for _, q := range data.Latency {
					if q.Kind == k && q.Target == t && float64(q.Concurrency) == c {
						s50.xs, s50.ys = append(s50.xs, c), append(s50.ys, math.Max(q.P50ms, ylo))
						s99.xs, s99.ys = append(s99.xs, c), append(s99.ys, math.Max(q.P99ms, ylo))
					}
				}
			}
			p.lines = append(p.lines, s50, s99)
		}
		panels = append(panels, p)
	}
	return svg(out, "Latency through a gateway vs straight to the simulator", note, panels, legend)
}

func msLabel(v float64) string {
	switch {
	case v >= 1:
		return fmt.Sprintf("%g", v)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}

func drawSweep(in, out, note string) error {
	var data struct {
		Sweep []struct {
			System       string  `json:"system"`
			FaultShare   float64 `json:"fault_share"`
			CallsPerItem float64 `json:"calls_per_item"`
			SuccessPct   float64 `json:"success_pct"`
			ExactPct     float64 `json:"exact_pct"`
		} `json:"sweep"`
	}
	if err := readJSON(in, &data); err != nil {
		return err
	}
	if len(data.Sweep) == 0 {
		return fmt.Errorf("%s: no sweep figures", in)
	}
	var systems []string
	var shares []float64
	maxCalls := 1.0
	minExact := 100.0
	for _, p := range data.Sweep {
		if !slices.Contains(systems, p.System) {
			systems = append(systems, p.System)
		}
		if !slices.Contains(shares, p.FaultShare) {
			shares = append(shares, p.FaultShare)
		}
		maxCalls = math.Max(maxCalls, p.CallsPerItem)
		minExact = math.Min(minExact, p.ExactPct)
	}
	slices.Sort(shares)
	callsMax := math.Ceil(maxCalls*4) / 4
	var callTicks []float64
	step := 0.25
	if callsMax > 2.5 {
		step = 0.5
	}
	for t := 1.0; t <= callsMax+1e-9; t += step {
		callTicks = append(callTicks, t)
	}
	exactMin := math.Floor(minExact/10) * 10
	var exactTicks []float64
	for t := exactMin; t <= 100+1e-9; t += 10 {
		exactTicks = append(exactTicks, t)
	}
	pctLabel := func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }
	calls := panel{title: "model calls per item", xLabel: "first answers with a content fault", yLabel: "calls per item",
		x: axis{min: 0, max: shares[len(shares)-1], ticks: shares, label: pctLabel},
		y: axis{min: 0.95, max: callsMax, ticks: callTicks, label: func(v float64) string {
			return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
		}}}
	exact := panel{title: "exact match with the gold answer", xLabel: "first answers with a content fault", yLabel: "items exactly right",
		x: axis{min: 0, max: shares[len(shares)-1], ticks: shares, label: pctLabel},
		y: axis{min: exactMin - 2, max: 100.5, ticks: exactTicks, label: func(v float64) string { return fmt.Sprintf("%.0f%%", v) }}}
	var legend []series
	for i, s := range systems {
		color := palette[i%len(palette)]
		c := series{name: s, color: color}
		e := series{name: s, color: color}
		for _, x := range shares {
			for _, p := range data.Sweep {
				if p.System == s && p.FaultShare == x {
					c.xs, c.ys = append(c.xs, x), append(c.ys, p.CallsPerItem)
					e.xs, e.ys = append(e.xs, x), append(e.ys, p.ExactPct)
				}
			}
		}
		calls.lines = append(calls.lines, c)
		exact.lines = append(exact.lines, e)
		legend = append(legend, c)
	}
	return svg(out, "Calls per item and accuracy as content faults grow", note, []panel{calls, exact}, legend)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
