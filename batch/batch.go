// Package batch runs a JSONL file of texts through a reask client and
// writes one JSON record per item as each completes — resumable after a
// crash, never losing an item nor writing one twice.
//
// Input lines are objects {"id": "...", "text": "..."}; "id" is optional
// (the line number is used instead) and may be a string or a number. A
// UTF-8 byte order mark at the start of a line is ignored. A line that is
// not such an object becomes a failed record with the reason; it never
// stops the run. A line whose id an earlier line holds fails as a duplicate
// under a derived id ("ID#LINE") that no other line holds.
//
// Output lines are stats.Record values. Each is written with a single
// write(2) on a file opened for appending, so a process killed at any moment
// loses at most the items in flight, and a line cut short by the kill is
// found and removed when the run is resumed.
package batch

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

// DefaultMaxLineBytes bounds an input line.
const DefaultMaxLineBytes = 16 << 20

// Config configures Run.
type Config struct {
	// Schema every item's answer must satisfy, unless the item names its
	// own schema and SchemaFor finds it. One of Schema and SchemaFor is
	// required.
	Schema *schema.Schema
	// SchemaFor returns the schema an item names in its "schema" field
	// (e.g. by reading DIR/NAME.json); its error fails that item.
	SchemaFor func(name string) (*schema.Schema, error)
	// In is the input: JSONL, one item per line. Required.
	In io.Reader
	// InName names the input in messages ("items.jsonl", "stdin").
	InName string
	// Total is the number of input lines, when known, for progress.
	Total int
	// OutPath is the output file. Required.
	OutPath string
	// Resume continues an existing output: ids already in it are skipped
	// and a partially written last line is removed. Without Resume an
	// existing, non-empty output is an error.
	Resume bool
	// DeadLetterPath, when set, also receives every failed item: its input
	// line and why it failed, ready to be fixed and run again. It is
	// appended to. With Resume, a failed record already in the output whose
	// entry is missing (the last run ended between the two writes) gets it.
	DeadLetterPath string
	// Concurrency is the most items in flight (default 8); it adapts
	// downward when the provider pushes back.
	Concurrency int
	// MaxLineBytes bounds an input line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxCost stops the run once its items have cost that much, in US
	// dollars (stats.Record.CostUSD summed over the items this run wrote;
	// a resumed run starts from $0 again): no new item starts, the items
	// in flight finish and are written, and Result.CostLimited is set.
	// Items start only while fewer than Concurrency are unwritten, so the
	// spend passes MaxCost by at most the cost of Concurrency items.
	// An item without a price (its record's cost_usd null) stops the run
	// too, since what the run spent is then unknown. 0 means no limit.
	MaxCost float64
	// Options apply to every item's extraction.
	Options []reask.Option
	// OnProgress, if set, is called after each item is written, from one
	// goroutine at a time.
	OnProgress func(Progress)
	// Now tells the time for progress; nil means time.Now.
	Now func() time.Time
}

// Progress is the state of a run.
type Progress struct {
	// Done counts items written in this run; OK and Failed split them.
	Done, OK, Failed int
	// Skipped counts items already in the output (resume).
	Skipped int
	// Total is the number of input lines, 0 when unknown.
	Total int
	// Tokens spent in this run; Wasted of them on unused answers.
	Tokens, Wasted int
	// CostUSD is what this run's priced items cost, in US dollars;
	// Unpriced counts the items without a price.
	CostUSD  float64
	Unpriced int
	// Started is when the run began.
	Started time.Time
	// Last is the record just written.
	Last stats.Record
}

// Result sums up a run.
type Result struct {
	Progress Progress
	// Interrupted is true when the context ended before every item ran;
	// run again with Resume to finish.
	Interrupted bool
	// CostLimited is true when the run stopped at Config.MaxCost (or at
	// an item without a price) before every item ran; run again with
	// Resume to go on.
	CostLimited bool
}

// ErrOutputExists is returned when the output is not empty and Resume is off.
var ErrOutputExists = errors.New("output file exists and is not empty")

// Run processes every item of cfg.In through c. It returns when every item
// is written, or when ctx ends — then the items in flight finish and are
// written first, and Result.Interrupted is set.
func Run(ctx context.Context, c *reask.Client, cfg Config) (Result, error) {
	if (cfg.Schema == nil && cfg.SchemaFor == nil) || cfg.In == nil || cfg.OutPath == "" {
		return Result{}, errors.New("batch: a schema, the input and the output are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	if cfg.InName == "" {
		cfg.InName = "input"
	}
	if cfg.MaxCost < 0 || math.IsNaN(cfg.MaxCost) || math.IsInf(cfg.MaxCost, 0) {
		return Result{}, fmt.Errorf("batch: max cost %v: want a number of US dollars, 0 for no limit", cfg.MaxCost)
	}
	// runCtx ends the feed of items when the cost limit is reached; the
	// items in flight finish either way (FinishInFlight).
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	costLimited := false
	fed := false // every input line was read (set before Batch's results end)
	// With a cost limit, slots bounds the items started and not yet
	// written to Concurrency, so that the limit is seen before more start.
	var slots chan struct{}
	if cfg.MaxCost > 0 {
		slots = make(chan struct{}, cmp.Or(max(cfg.Concurrency, 0), reask.DefaultBatchConcurrency))
	}
	prior, err := prepareOutput(cfg.OutPath, cfg.Resume)
	if err != nil {
		return Result{}, err
	}
	deadSeen := map[string]bool{}
	if cfg.DeadLetterPath != "" && cfg.Resume {
		if deadSeen, err = deadLetterIDs(cfg.DeadLetterPath); err != nil {
			return Result{}, err
		}
	}
	out, err := os.OpenFile(cfg.OutPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return Result{}, fmt.Errorf("batch: %w", err)
	}
	defer out.Close()
	var dead *os.File
	if cfg.DeadLetterPath != "" {
		if dead, err = os.OpenFile(cfg.DeadLetterPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			return Result{}, fmt.Errorf("batch: dead-letter file: %w", err)
		}
		defer dead.Close()
	}
	seen := make(map[string]bool, len(prior))
	for id := range prior {
		seen[id] = true
	}
	w := &writer{out: out, dead: dead, seen: seen, prior: prior, deadSeen: deadSeen, onProgress: cfg.OnProgress,
		progress: Progress{Total: cfg.Total, Started: cfg.Now()}}

	lines := map[string]json.RawMessage{} // id → input line, for the dead letter
	var linesMu sync.Mutex
	tasks := func(yield func(string, reask.Task) bool) {
		for it := range readItems(cfg.In, cfg.InName, cfg.MaxLineBytes) {
			if runCtx.Err() != nil {
				return
			}
			if w.alreadyDone(it.id) {
				if err := w.deadLetterDue(it.id, it.raw); err != nil {
					w.fail(err)
					return
				}
				continue
			}
			sch := cfg.Schema
			if it.err == nil && it.schema != "" && cfg.SchemaFor != nil {
				var err error
				if sch, err = cfg.SchemaFor(it.schema); err != nil {
					it.err = fmt.Errorf("%s:%d: schema %q: %w", cfg.InName, it.line, it.schema, err)
				}
			}
			if it.err == nil && sch == nil {
				it.err = fmt.Errorf("%s:%d: no schema: the item names none and no default schema is set", cfg.InName, it.line)
			}
			if it.err != nil {
				if err := w.write(stats.Failed(it.id, stats.KindInvalidItem, it.err), it.raw); err != nil {
					w.fail(err)
					return
				}
				continue
			}
			w.claim(it.id)
			linesMu.Lock()
			lines[it.id] = it.raw
			linesMu.Unlock()
			if slots != nil {
				select {
				case slots <- struct{}{}:
				case <-runCtx.Done():
					return
				}
				if runCtx.Err() != nil {
					return
				}
			}
			if !yield(it.id, reask.Task{Schema: sch, Input: it.text}) {
				return
			}
		}
		fed = runCtx.Err() == nil
	}
	for r := range c.Batch(runCtx, tasks, reask.BatchConfig{Concurrency: cfg.Concurrency, FinishInFlight: true}, cfg.Options...) {
		if r.Index < 0 {
			return Result{}, r.Err
		}
		linesMu.Lock()
		raw := lines[r.ID]
		delete(lines, r.ID)
		linesMu.Unlock()
		if err := w.write(stats.FromReport(r.ID, r.JSON, r.Report, r.Err), raw); err != nil {
			w.fail(err)
			break
		}
		if p := w.snapshot(); cfg.MaxCost > 0 && !costLimited && (p.CostUSD >= cfg.MaxCost || p.Unpriced > 0) {
			costLimited = true
			stopRun()
		}
		if slots != nil {
			<-slots
		}
	}
	if err := w.err(); err != nil {
		return Result{Progress: w.snapshot()}, err
	}
	if err := out.Sync(); err != nil {
		return Result{Progress: w.snapshot()}, fmt.Errorf("batch: %w", err)
	}
	if dead != nil {
		if err := dead.Sync(); err != nil {
			return Result{Progress: w.snapshot()}, fmt.Errorf("batch: dead-letter file: %w", err)
		}
	}
	return Result{Progress: w.snapshot(), Interrupted: ctx.Err() != nil, CostLimited: costLimited && !fed}, nil
}

// item is one input line.
type item struct {
	id     string
	line   int
	text   string
	schema string
	raw    json.RawMessage
	err    error
}

// readItems reads JSONL items; a line that is not a usable item carries err.
//
// Every line gets exactly one id, distinct from every other line's, and
// derived from the input alone (never from the output), so a resumed run
// gives each line the id it had before. A line whose id an earlier line
// already holds is a duplicate: it fails (never runs) under a derived id,
// "ID#LINE" — or, when that too is taken, "ID#LINE#LINE" and so on. A later
// line that names a derived id as its own is a duplicate in turn. Ids are
// thus first come, first served in input order.
func readItems(in io.Reader, name string, maxLine int) iter.Seq[item] {
	return func(yield func(item) bool) {
		r := bufio.NewReaderSize(in, 64<<10)
		taken := map[string]holder{}
		for n := 1; ; n++ {
			line, tooLong, err := readLine(r, maxLine)
			if err == io.EOF && len(line) == 0 && !tooLong {
				return
			}
			if err != nil && err != io.EOF {
				yield(item{id: freeID(taken, strconv.Itoa(n), n), line: n, err: fmt.Errorf("%s:%d: %w", name, n, err)})
				return
			}
			line = bytes.TrimSpace(bytes.TrimPrefix(line, utf8BOM))
			if len(line) == 0 && !tooLong {
				if err == io.EOF {
					return
				}
				continue
			}
			it := parseItem(line, n, name, tooLong, maxLine)
			h := holder{line: n}
			if first, dup := taken[it.id]; dup {
				how := ""
				if first.derived {
					how = ", as the id derived for a duplicate there"
				}
				it.err = fmt.Errorf("%s:%d: duplicate id %q (first at line %d%s)", name, n, it.id, first.line, how)
				it.id, h.derived = freeID(taken, it.id, n), true
			}
			taken[it.id] = h
			if !yield(it) || err == io.EOF {
				return
			}
		}
	}
}

// holder is the line that holds an id, and whether the id was derived.
type holder struct {
	line    int
	derived bool
}

// freeID returns id when no line holds it, else the first of id#n,
// id#n#n, … that none holds.
func freeID(taken map[string]holder, id string, n int) string {
	suffix := "#" + strconv.Itoa(n)
	for {
		if _, ok := taken[id]; !ok {
			return id
		}
		id += suffix
	}
}

// utf8BOM is the byte order mark some editors put at the start of a file
// (or, after a cat, of a line); it is not part of the item.
var utf8BOM = []byte("\xef\xbb\xbf")

// readLine reads one line of at most max bytes; a longer line is consumed
// and reported with tooLong.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := r.ReadLine()
		if len(line)+len(chunk) > max {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if err != nil || !isPrefix {
			return line, tooLong, err
		}
	}
}

func parseItem(line []byte, n int, name string, tooLong bool, maxLine int) item {
	it := item{id: strconv.Itoa(n), line: n, raw: json.RawMessage(append([]byte(nil), line...))}
	if tooLong {
		it.raw = nil
		it.err = fmt.Errorf("%s:%d: line longer than %d bytes", name, n, maxLine)
		return it
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		it.raw, _ = json.Marshal(string(line))
		it.err = fmt.Errorf("%s:%d: not a JSON object: %v", name, n, err)
		return it
	}
	if rawID, ok := obj["id"]; ok && string(rawID) != "null" {
		var s string
		var num json.Number
		switch {
		case json.Unmarshal(rawID, &s) == nil && s != "":
			it.id = s
		case json.Unmarshal(rawID, &num) == nil:
			it.id = num.String()
		default:
			it.err = fmt.Errorf("%s:%d: \"id\" must be a non-empty string or a number, got %s", name, n, schema.Shorten(string(rawID), 40))
			return it
		}
	}
	if rawSchema, ok := obj["schema"]; ok {
		if err := json.Unmarshal(rawSchema, &it.schema); err != nil {
			it.err = fmt.Errorf("%s:%d: \"schema\" must be a string naming a schema, got %s", name, n, schema.Shorten(string(rawSchema), 40))
			return it
		}
	}
	rawText, ok := obj["text"]
	if !ok {
		it.err = fmt.Errorf("%s:%d: no \"text\" field", name, n)
		return it
	}
	if err := json.Unmarshal(rawText, &it.text); err != nil {
		it.err = fmt.Errorf("%s:%d: \"text\" must be a string, got %s", name, n, schema.Shorten(string(rawText), 40))
		return it
	}
	if len(bytes.TrimSpace([]byte(it.text))) == 0 {
		it.err = fmt.Errorf("%s:%d: \"text\" is empty", name, n)
	}
	return it
}
