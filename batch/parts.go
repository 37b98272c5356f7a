package batch

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/reask/reask/stats"
)

// The parts of Run that a batch run elsewhere (package fleet/jobs, whose
// workers are other processes) needs in order to read the same input and
// write the same output, with the same rules.

// Item is one input line, read with Run's rules (see the package doc).
type Item struct {
	// ID is the item's id: its own, the line number, or one derived for a
	// duplicate ("ID#LINE").
	ID string
	// Line is the line number, from 1.
	Line int
	// Text is the text to extract from.
	Text string
	// Schema is the name of the schema the item names, if any.
	Schema string
	// Raw is the input line, for a dead-letter entry: the object as read,
	// a JSON string holding a line that is not one, or nil for a line too
	// long to keep.
	Raw json.RawMessage
	// Err is why the line is not a usable item (it fails under ID as a
	// stats.KindInvalidItem record); nil for a usable one.
	Err error
}

// Items reads the JSONL items of in exactly as Run does: the same ids,
// derived ids for duplicates, byte order marks skipped, and a line that is
// not a usable item yielded with Err set. name names the input in errors;
// maxLine bounds a line (0 means DefaultMaxLineBytes). It holds every id
// read so far, not the lines.
func Items(in io.Reader, name string, maxLine int) iter.Seq[Item] {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	return func(yield func(Item) bool) {
		for it := range readItems(in, name, maxLine) {
			if !yield(Item{ID: it.id, Line: it.line, Text: it.text, Schema: it.schema, Raw: it.raw, Err: it.err}) {
				return
			}
		}
	}
}

// OutputConfig configures OpenOutput.
type OutputConfig struct {
	// Path is the output file. Required.
	Path string
	// DeadLetterPath, when set, also receives every failed record's entry,
	// as Config.DeadLetterPath.
	DeadLetterPath string
	// Resume continues an existing output, as Config.Resume; without it a
	// non-empty output is an error matching ErrOutputExists.
	Resume bool
	// Total is the number of items, when known, for progress.
	Total int
	// OnProgress, if set, is called after each record is written, from the
	// goroutine that wrote it.
	OnProgress func(Progress)
	// Now tells the time for progress; nil means time.Now.
	Now func() time.Time
}

// Output is a batch's output and dead-letter files, written as Run writes
// them: one write(2) per line, the record before its dead-letter entry, a
// line cut short by a crash removed on resume. Its Progress counts the
// records already in the output when it was opened as Skipped. It is safe
// for concurrent use.
type Output struct {
	w         *writer
	out, dead *os.File
}

// OpenOutput opens (or, with Resume, reopens) the files of cfg. Its errors
// say which file and why.
func OpenOutput(cfg OutputConfig) (*Output, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("batch: the output path is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	prior, err := prepareOutput(cfg.Path, cfg.Resume)
	if err != nil {
		return nil, err
	}
	deadSeen := map[string]bool{}
	if cfg.DeadLetterPath != "" && cfg.Resume {
		if deadSeen, err = deadLetterIDs(cfg.DeadLetterPath); err != nil {
			return nil, err
		}
	}
	o := &Output{}
	if o.out, err = os.OpenFile(cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	if cfg.DeadLetterPath != "" {
		if o.dead, err = os.OpenFile(cfg.DeadLetterPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			o.out.Close()
			return nil, fmt.Errorf("batch: dead-letter file: %w", err)
		}
	}
	seen := make(map[string]bool, len(prior))
	for id := range prior {
		seen[id] = true
	}
	o.w = &writer{out: o.out, dead: o.dead, seen: seen, prior: prior, deadSeen: deadSeen, onProgress: cfg.OnProgress,
		progress: Progress{Total: cfg.Total, Skipped: len(prior), Started: cfg.Now()}}
	return o, nil
}

// Has reports whether the output holds a record of id.
func (o *Output) Has(id string) bool {
	o.w.mu.Lock()
	defer o.w.mu.Unlock()
	return o.w.seen[id]
}

// Write appends rec and, when it failed, its dead-letter entry with input.
func (o *Output) Write(rec stats.Record, input json.RawMessage) error {
	return o.w.write(rec, input)
}

// DeadLetterDue writes the dead-letter entry of a failed record that was in
// the output when it was opened but whose entry is missing (the last run
// ended between the two writes); it does nothing otherwise.
func (o *Output) DeadLetterDue(id string, input json.RawMessage) error {
	return o.w.deadLetterDue(id, input)
}

// Progress returns the counts so far.
func (o *Output) Progress() Progress { return o.w.snapshot() }

// Close syncs and closes the files.
func (o *Output) Close() error {
	err := o.out.Sync()
	if cerr := o.out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		err = fmt.Errorf("batch: %w", err)
	}
	if o.dead != nil {
		derr := o.dead.Sync()
		if cerr := o.dead.Close(); derr == nil {
			derr = cerr
		}
		if derr != nil && err == nil {
			err = fmt.Errorf("batch: dead-letter file: %w", derr)
		}
	}
	return err
}
