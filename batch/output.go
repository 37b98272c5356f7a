package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/reask/reask/stats"
)

// done is what an output record tells of its item: how it ended.
type done struct {
	ok             bool
	outcome, error string
}

// prepareOutput checks the output file before a run. Without resume it must
// be absent or empty. With resume, the records it holds are returned by id,
// and a last line cut short by a crash is removed; any other unreadable line
// is an error, since guessing could write an id twice.
func prepareOutput(path string, resume bool) (map[string]done, error) {
	recs := map[string]done{}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return recs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	if info.Size() == 0 {
		return recs, nil
	}
	if !resume {
		return nil, fmt.Errorf("batch: %s: %w; use --resume to continue it, or choose another output", path, ErrOutputExists)
	}
	err = scanRecords(f, path, "an output record", func(line []byte) bool {
		var rec struct {
			ID      *string `json:"id"`
			OK      bool    `json:"ok"`
			Outcome string  `json:"outcome"`
			Error   string  `json:"error"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.ID == nil {
			return false
		}
		recs[*rec.ID] = done{ok: rec.OK, outcome: rec.Outcome, error: rec.Error}
		return true
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// deadLetterIDs returns the ids of the entries of the dead-letter file at
// path (none when it does not exist), removing a last line cut short by a
// crash, so that a resumed run completes what the last one left.
func deadLetterIDs(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("batch: dead-letter file: %w", err)
	}
	defer f.Close()
	err = scanRecords(f, path, "a dead-letter entry", func(line []byte) bool {
		var e struct {
			ID *string `json:"id"`
		}
		if json.Unmarshal(line, &e) != nil || e.ID == nil {
			return false
		}
		ids[*e.ID] = true
		return true
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// scanRecords hands every complete line of f to record, which reports
// whether it is one (what names it in errors). A last line cut short by a
// crash (no newline, or unreadable and last) is truncated away; any other
// line that is not a record is an error.
func scanRecords(f *os.File, path, what string, record func(line []byte) bool) error {
	r := bufio.NewReaderSize(f, 64<<10)
	var offset, good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			trimmed := bytes.TrimSpace(line)
			switch {
			case len(trimmed) == 0 && complete:
				good = offset + int64(len(line))
			case complete && record(trimmed):
				good = offset + int64(len(line))
			case err == io.EOF || isLast(r):
				// The crash cut this last line short: drop it.
				if terr := f.Truncate(good); terr != nil {
					return fmt.Errorf("batch: removing the partial last line of %s: %w", path, terr)
				}
				return nil
			default:
				return fmt.Errorf("batch: %s:%d is not %s; fix or remove that line before resuming", path, n, what)
			}
			offset += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("batch: reading %s: %w", path, err)
		}
	}
}

// isLast reports whether r has nothing left.
func isLast(r *bufio.Reader) bool {
	_, err := r.Peek(1)
	return err == io.EOF
}

// writer appends records, one write per line, and keeps the progress.
//
// A failed item's record goes to the output before its entry goes to the
// dead-letter file, each in one write(2), and an entry is written only for
// a record already in the output. A crash (or a failed write) between the
// two leaves a failed record without its entry; a resumed run writes the
// entry then (see deadLetterDue). So once a run ends without error, every
// failed record in the output whose line is in the input has one entry in
// the dead-letter file, and every entry it wrote has its record.
type writer struct {
	mu         sync.Mutex
	out, dead  *os.File
	seen       map[string]bool // ids in the output or in flight
	prior      map[string]done // records in the output before this run
	deadSeen   map[string]bool // ids in the dead-letter file
	onProgress func(Progress)
	progress   Progress
	firstErr   error
}

// alreadyDone reports whether id is in the output or in flight, counting
// it as skipped when it is.
func (w *writer) alreadyDone(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[id] {
		w.progress.Skipped++
		return true
	}
	return false
}

// claim marks an id as in flight, so that it is never started twice.
func (w *writer) claim(id string) {
	w.mu.Lock()
	w.seen[id] = true
	w.mu.Unlock()
}

// deadLetterDue writes the dead-letter entry of a failed record that an
// earlier run put in the output but ended before it wrote the entry.
func (w *writer) deadLetterDue(id string, input json.RawMessage) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.prior[id]
	if w.dead == nil || !ok || d.ok || w.deadSeen[id] {
		return nil
	}
	return w.writeDead(id, input, d.outcome, d.error)
}

// write appends rec (and, when it failed, the input line to the dead letter).
func (w *writer) write(rec stats.Record, input json.RawMessage) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("batch: encoding the record of %q: %w", rec.ID, err)
	}
	line = append(line, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[rec.ID] = true
	if _, err := w.out.Write(line); err != nil {
		return fmt.Errorf("batch: writing the output: %w", err)
	}
	if !rec.OK && w.dead != nil && !w.deadSeen[rec.ID] {
		if err := w.writeDead(rec.ID, input, rec.Outcome, rec.Error); err != nil {
			return err
		}
	}
	p := &w.progress
	p.Done++
	if rec.OK {
		p.OK++
	} else {
		p.Failed++
	}
	p.Tokens += rec.Usage.TotalTokens
	p.Wasted += rec.Usage.WastedTokens
	if rec.CostUSD != nil {
		p.CostUSD += *rec.CostUSD
	} else {
		p.Unpriced++
	}
	p.Last = rec
	if w.onProgress != nil {
		w.onProgress(*p)
	}
	return nil
}

// writeDead appends one dead-letter entry; w.mu is held.
func (w *writer) writeDead(id string, input json.RawMessage, outcome, reason string) error {
	dl, err := json.Marshal(struct {
		ID      string          `json:"id"`
		Input   json.RawMessage `json:"input,omitempty"`
		Outcome string          `json:"outcome"`
		Error   string          `json:"error"`
	}{id, input, outcome, reason})
	if err != nil {
		return fmt.Errorf("batch: encoding the dead-letter entry of %q: %w", id, err)
	}
	if _, err := w.dead.Write(append(dl, '\n')); err != nil {
		return fmt.Errorf("batch: writing the dead-letter file: %w", err)
	}
	w.deadSeen[id] = true
	return nil
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.firstErr == nil {
		w.firstErr = err
	}
}

func (w *writer) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.firstErr
}

func (w *writer) snapshot() Progress {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.progress
}
