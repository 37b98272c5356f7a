package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

func (a *app) batchCommand() *cobra.Command {
	var pf providerFlags
	var cf cacheFlags
	var sf schemaFlags
	var pb providerBatchFlags
	var schemaFile, schemaDir, inPath, outPath, prompt, deadLetter, statsFile string
	var concurrency, maxLine int
	var resume, allowFailures bool
	var every time.Duration
	var jf jobFlags
	cmd := &cobra.Command{
		Use:   "batch (--schema FILE | --schema-dir DIR) --in IN.jsonl --out OUT.jsonl [flags]",
		Short: "Extract every text of a JSONL file, resumably",
		Long: `Batch runs every item of IN.jsonl — one {"id": "...", "text": "..."} object
per line; "id" is optional and defaults to the line number — through the
retry system, as fast as the provider's limits allow, and appends one
record per item to OUT.jsonl as it completes:

  {"id", "ok", "data", "attempts", "calls", "usage": {"prompt_tokens",
   "completion_tokens", "total_tokens", "wasted_tokens"}, "repairs": [...],
   "errors": [{"attempt", "kind", "message"}], "duration_ms", ...}

A malformed line becomes a failed record with the reason. A crash loses at
most the items in flight: run again with --resume to skip every id already
written (a line cut short by the crash is rewritten). Without --resume an
existing, non-empty OUT.jsonl is an error. Ctrl-C stops starting new items,
lets those in flight finish, and exits 130.

At the end it prints the retry dashboard (see "reask stats") of the whole of
OUT.jsonl, and exits 3 when any item in it failed (--allow-failures: 0).` + exitStatusHelp,
		Example: `  reask batch --schema order.json --in orders.jsonl --out results.jsonl
  reask batch --schema order.json --in orders.jsonl --out results.jsonl --resume --dead-letter failed.jsonl
  OPENAI_API_KEY=... reask batch --schema s.json --in in.jsonl --out out.jsonl --model gpt-4o-mini --concurrency 32`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := pf.config(a.getenv)
			if err != nil {
				return err
			}
			var missing []string
			if schemaFile == "" && schemaDir == "" {
				missing = append(missing, "--schema FILE (or --schema-dir DIR)")
			}
			if inPath == "" {
				missing = append(missing, "--in IN.jsonl")
			}
			if outPath == "" {
				missing = append(missing, "--out OUT.jsonl")
			}
			if len(missing) > 0 {
				return usage(cmd, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
			}
			if jf.name != "" {
				return a.batchJob(cmd, &pf, &sf, &jf, batchOptions{schemaFile: schemaFile, schemaDir: schemaDir, inPath: inPath, outPath: outPath,
					prompt: prompt, deadLetter: deadLetter, statsFile: statsFile, maxLine: maxLine, resume: resume, allowFailures: allowFailures, every: every})
			}
			if concurrency < 1 {
				return fmt.Errorf("--concurrency is %d: want at least 1", concurrency)
			}
			scfg, err := sf.config()
			if err != nil {
				return err
			}
			var sch *schema.Schema
			if schemaFile != "" {
				if sch, err = loadSchemaWith(schemaFile, scfg); err != nil {
					return err
				}
			}
			if prompt != "" {
				text, err := promptText(prompt)
				if err != nil {
					return err
				}
				cfg.Instructions = text
			}
			in, total, closeIn, err := a.openInput(inPath)
			if err != nil {
				return err
			}
			defer closeIn()
			p, err := pf.open(cmd.Context(), a.getenv)
			if err != nil {
				return err
			}
			defer p.close()
			if p.note != "" {
				fmt.Fprintln(a.stderr, "reask:", p.note)
			}
			if pb.on {
				return a.providerBatch(cmd.Context(), &pb, providerBatchRun{cmd: cmd, cfg: cfg, provider: p, redis: &pf.redis,
					schema: sch, schemaFor: schemaDirLoader(schemaDir, scfg), in: in, inPath: inPath, total: total, outPath: outPath,
					deadLetter: deadLetter, statsOut: statsFile, resume: resume, allowFailures: allowFailures,
					concurrency: concurrency, maxLine: maxLine, every: every})
			}
			closeCache, err := a.openCache(&cf, &cfg)
			if err != nil {
				return err
			}
			defer closeCache()
			leave, err := a.joinFleet(cmd.Context(), &pf.redis, &cfg)
			if err != nil {
				return err
			}
			defer leave()
			a.traced(cmd.Context(), &cfg, reask.Secret(pf.apiKey))
			client, err := reask.New(p.Provider, cfg)
			if err != nil {
				return err
			}
			show := a.progress(total, every)
			res, runErr := batch.Run(cmd.Context(), client, batch.Config{
				Schema: sch, SchemaFor: schemaDirLoader(schemaDir, scfg), In: in, InName: inPath, Total: total, OutPath: outPath, Resume: resume,
				DeadLetterPath: deadLetter, Concurrency: concurrency, MaxLineBytes: maxLine, OnProgress: show.update,
				MaxCost: pf.cost.maxTotal,
			})
			show.finish(res.Progress)
			if runErr != nil {
				return runErr
			}
			sum, err := a.summarize(outPath, statsFile)
			if err != nil {
				return err
			}
			if res.Interrupted {
				return &exitError{code: codeInterrupted, err: fmt.Errorf("interrupted after %d items; run the same command with --resume to finish", res.Progress.Done)}
			}
			if res.CostLimited {
				return costLimitError(res.Progress, pf.cost.maxTotal)
			}
			if sum.Failed > 0 && !allowFailures {
				return &exitError{code: codeFailed, err: fmt.Errorf("%d of %d items in %s failed (their records say why; --dead-letter collects them, --allow-failures exits 0)",
					sum.Failed, sum.Items, outPath)}
			}
			return nil
		},
	}
	pf.register(cmd)
	cf.register(cmd.Flags())
	pf.cost.registerTotal(cmd.Flags())
	sf.register(cmd)
	fs := cmd.Flags()
	pb.register(fs)
	fs.StringVar(&schemaFile, "schema", "", `JSON Schema every answer must satisfy (this or --schema-dir is required; with both, items without a "schema" field use this one)`)
	fs.StringVar(&schemaDir, "schema-dir", "", `directory of NAME.json schemas for items that name one in a "schema" field`)
	fs.StringVar(&inPath, "in", "", `input JSONL file, "-" for stdin (required)`)
	fs.StringVar(&outPath, "out", "", "output JSONL file, appended to (required)")
	fs.StringVar(&prompt, "prompt", "", "system instructions: a file name or the text itself")
	fs.IntVar(&concurrency, "concurrency", reask.DefaultBatchConcurrency, "most items in flight; lowered automatically when the provider pushes back")
	fs.IntVar(&maxLine, "max-line-bytes", batch.DefaultMaxLineBytes, "longest input line; a longer one becomes a failed item")
	fs.BoolVar(&resume, "resume", false, "continue an existing output: skip ids already written")
	fs.StringVar(&deadLetter, "dead-letter", "", "also write every failed item (input and reason) to this file")
	fs.StringVar(&statsFile, "stats", "", "write the run's statistics as JSON to this file")
	fs.BoolVar(&allowFailures, "allow-failures", false, "exit 0 even when items failed (default: exit 3)")
	fs.DurationVar(&every, "progress-interval", 5*time.Second, "how often to print a progress line when not on a terminal")
	jf.register(fs)
	return cmd
}

// schemaDirLoader loads DIR/NAME.json once per name, compiled with cfg;
// nil when dir is "".
func schemaDirLoader(dir string, cfg schema.Config) func(string) (*schema.Schema, error) {
	if dir == "" {
		return nil
	}
	var mu sync.Mutex
	cache := map[string]*schema.Schema{}
	return func(name string) (*schema.Schema, error) {
		if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
			return nil, fmt.Errorf("invalid schema name %q", name)
		}
		mu.Lock()
		defer mu.Unlock()
		if s, ok := cache[name]; ok {
			return s, nil
		}
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			return nil, err
		}
		s, err := cfg.CompileNamed(name, b)
		if err != nil {
			return nil, err
		}
		cache[name] = s
		return s, nil
	}
}

// promptText reads the --prompt file p, or returns p itself when no such
// file exists. A directory is an error, not instructions.
func promptText(p string) (string, error) {
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return p, nil
	case st.IsDir():
		return "", fmt.Errorf("--prompt %s is a directory: want a file or the instructions themselves", p)
	case !st.Mode().IsRegular():
		return p, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("--prompt: %w", err)
	}
	return string(b), nil
}

// openInput opens the input and counts its lines when it is a file.
func (a *app) openInput(path string) (io.Reader, int, func(), error) {
	if path == "-" {
		return a.stdin, 0, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("--in: %w", err)
	}
	total, err := countLines(f)
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("--in: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("--in: %w", err)
	}
	return f, total, func() { f.Close() }, nil
}

// countLines counts the lines of r that hold more than white space.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 1<<20)
	n, content := 0, false
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			switch c {
			case '\n':
				if content {
					n++
				}
				content = false
			case ' ', '\t', '\r':
			default:
				content = true
			}
		}
		if err == io.EOF {
			if content {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// progressView shows a run's progress: a bar on a terminal, plain lines
// every interval otherwise.
type progressView struct {
	bar      *progressbar.ProgressBar
	out      io.Writer
	every    time.Duration
	now      func() time.Time
	lastLine time.Time
}

func (a *app) progress(total int, every time.Duration) *progressView {
	return newProgressView(a.stderr, isTerminal(a.stdout) && isTerminal(a.stderr), total, every, time.Now)
}

// newProgressView shows progress on out: a bar when terminal is true, else
// a line every interval (measured with now). A total of 0 means unknown.
func newProgressView(out io.Writer, terminal bool, total int, every time.Duration, now func() time.Time) *progressView {
	v := &progressView{out: out, every: every, now: now, lastLine: now()}
	if terminal {
		max := int64(total)
		if max == 0 {
			max = -1
		}
		v.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(out),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("items"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetWidth(30),
			// Without this, a bar of unknown length redraws its spinner
			// from a goroutine of its own every 100 ms, which races with
			// the lines written after it and outlives finish.
			progressbar.OptionSetSpinnerChangeInterval(0),
		)
	}
	return v
}

func (v *progressView) update(p batch.Progress) {
	if v.bar != nil {
		v.bar.Describe(progressDescription(p))
		_ = v.bar.Set(p.Done + p.Skipped)
		return
	}
	if now := v.now(); now.Sub(v.lastLine) >= v.every {
		v.lastLine = now
		fmt.Fprintln(v.out, progressLine(p, now))
	}
}

// progressDescription is the bar's text after the count and rate.
func progressDescription(p batch.Progress) string {
	return fmt.Sprintf("ok %d · failed %d · %d tokens (%d wasted)", p.OK, p.Failed, p.Tokens, p.Wasted)
}

func progressLine(p batch.Progress, now time.Time) string {
	el := now.Sub(p.Started).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.Done) / el
	}
	line := fmt.Sprintf("progress: %d done", p.Done+p.Skipped)
	if p.Total > 0 {
		line += fmt.Sprintf("/%d", p.Total)
	}
	line += fmt.Sprintf(" (ok %d, failed %d, skipped %d), %.1f items/s, %d tokens", p.OK, p.Failed, p.Skipped, rate, p.Tokens)
	if p.Total > 0 && rate > 0 {
		left := p.Total - p.Done - p.Skipped
		line += fmt.Sprintf(", ETA %s", (time.Duration(float64(left)/rate) * time.Second).Round(time.Second))
	}
	return line
}

// finish shows where the run ended. A bar is filled only when every item
// is done; a run cut short (Ctrl-C) or of unknown length leaves the bar as
// it is and ends with the exact line, since the bar redraws at most every
// 100 ms and may lag behind.
func (v *progressView) finish(p batch.Progress) {
	if v.bar != nil {
		if p.Total > 0 && p.Done+p.Skipped >= p.Total {
			v.bar.Describe(progressDescription(p))
			_ = v.bar.Finish()
			fmt.Fprintln(v.out)
			return
		}
		_ = v.bar.Exit()
		fmt.Fprintln(v.out)
	}
	fmt.Fprintln(v.out, progressLine(p, v.now()))
}

// summarize prints the retry dashboard of the whole output file, writes
// it as JSON when asked, and returns it.
func (a *app) summarize(outPath, statsFile string) (stats.Summary, error) {
	f, err := os.Open(outPath)
	if err != nil {
		return stats.Summary{}, err
	}
	defer f.Close()
	sum, _, err := stats.Read(f, 0)
	if errors.Is(err, stats.ErrNoRecords) {
		if _, err := fmt.Fprintln(a.stdout, "no items"); err != nil {
			return sum, fmt.Errorf("writing the summary to stdout: %w", err)
		}
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	if _, err := fmt.Fprint(a.stdout, sum.Table()); err != nil {
		return sum, fmt.Errorf("writing the summary to stdout: %w", err)
	}
	if statsFile != "" {
		if err := writeJSONFile(statsFile, sum); err != nil {
			return sum, fmt.Errorf("--stats: %w", err)
		}
	}
	return sum, nil
}

func isTerminal(w io.Writer) bool {
	if c, ok := w.(*checkedWriter); ok {
		w = c.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
