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

// prepareOutput checks the output file before a run. Without resume it must
// be absent or empty. With resume, the ids it holds are returned, and a last
// line cut short by a crash is removed; any other unreadable line is an
// error, since guessing could write an id twice.
func prepareOutput(path string, resume bool) (map[string]bool, error) {
	done := map[string]bool{}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
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
		return done, nil
	}
	if !resume {
		return nil, fmt.Errorf("batch: %s: %w; use --resume to continue it, or choose another output", path, ErrOutputExists)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var offset, good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			var rec struct {
				ID *string `json:"id"`
			}
			ok := json.Unmarshal(bytes.TrimSpace(line), &rec) == nil && rec.ID != nil
			switch {
			case complete && ok:
				done[*rec.ID] = true
				good = offset + int64(len(line))
			case len(bytes.TrimSpace(line)) == 0 && complete:
				good = offset + int64(len(line))
			case err == io.EOF || (!ok && isLast(r)):
				// The crash cut this last line short: drop it.
				if terr := f.Truncate(good); terr != nil {
					return nil, fmt.Errorf("batch: removing the partial last line of %s: %w", path, terr)
				}
				return done, nil
			default:
				return nil, fmt.Errorf("batch: %s:%d is not an output record; fix or remove that line before resuming", path, n)
			}
			offset += int64(len(line))
		}
		if err == io.EOF {
			return done, nil
		}
		if err != nil {
			return nil, fmt.Errorf("batch: reading %s: %w", path, err)
		}
	}
}

// isLast reports whether r has nothing left.
func isLast(r *bufio.Reader) bool {
	_, err := r.Peek(1)
	return err == io.EOF
}

// writer appends records, one write per line, and keeps the progress.
type writer struct {
	mu         sync.Mutex
	out, dead  *os.File
	seen       map[string]bool // ids in the output or in flight
	onProgress func(Progress)
	progress   Progress
	firstErr   error
}

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
	if !rec.OK && w.dead != nil {
		dl, _ := json.Marshal(struct {
			ID      string          `json:"id"`
			Input   json.RawMessage `json:"input,omitempty"`
			Outcome string          `json:"outcome"`
			Error   string          `json:"error"`
		}{rec.ID, input, rec.Outcome, rec.Error})
		if _, err := w.dead.Write(append(dl, '\n')); err != nil {
			return fmt.Errorf("batch: writing the dead-letter file: %w", err)
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
	p.Last = rec
	if w.onProgress != nil {
		w.onProgress(*p)
	}
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
