package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reask/reask"
	"github.com/reask/reask/batch"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/provider/batchapi"
	"github.com/reask/reask/provider/batchapi/rounds"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/stats"
)

// providerBatchFlags are reask batch's flags for the providers' batch APIs.
type providerBatchFlags struct {
	on                bool
	pollInterval      time.Duration
	maxRounds         int
	finishDirectUnder int
}

func (f *providerBatchFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "provider-batch", false, "send the items through the provider's batch API (OpenAI Batch, Anthropic Message Batches: half the price, results within 24 h), in rounds: every item in round 1, then only the re-asks and the lines the provider failed; --resume re-attaches to the batches already sent")
	fs.DurationVar(&f.pollInterval, "poll-interval", batchapi.DefaultPollInitial, "with --provider-batch: the first wait before polling a batch; each later wait is 1.5 times longer, up to a minute (or this, when longer)")
	fs.IntVar(&f.maxRounds, "max-rounds", rounds.DefaultMaxRounds, "with --provider-batch: the most rounds of batches; the items still unfinished then fail")
	fs.IntVar(&f.finishDirectUnder, "finish-direct-under", 0, "with --provider-batch: send a round of fewer than this many requests as direct calls (full price, no wait) instead of a batch; 0 never does")
}

// providerBatchRun is what reask batch has read of its command line and
// opened, for a run through the provider's batch API.
type providerBatchRun struct {
	cmd                           *cobra.Command
	cfg                           reask.Config
	provider                      *openedProvider
	redis                         *redisFlags
	schema                        *schema.Schema
	schemaFor                     func(string) (*schema.Schema, error)
	in                            io.Reader
	inPath                        string
	total                         int
	outPath, deadLetter, statsOut string
	resume, allowFailures         bool
	concurrency, maxLine          int
	every                         time.Duration
}

// stateSuffix names the state file of a run through a batch API: beside
// the output, OUT.jsonl.batches.json.
const stateSuffix = ".batches.json"

// providerBatch runs reask batch through the provider's batch API with
// rounds.Run: the same input, output, dead letter and dashboard as the
// direct mode, the records marked batch. The batches each round submits are
// kept in OUT.jsonl.batches.json (saved atomically before they are
// awaited), so that --resume re-attaches to them instead of paying twice;
// the file is removed once every item is written.
func (a *app) providerBatch(ctx context.Context, f *providerBatchFlags, r providerBatchRun) error {
	switch {
	case f.maxRounds < 1:
		return fmt.Errorf("--max-rounds is %d: want at least 1", f.maxRounds)
	case f.finishDirectUnder < 0:
		return fmt.Errorf("--finish-direct-under is %d: want 0 (never) or more", f.finishDirectUnder)
	case f.pollInterval <= 0:
		return fmt.Errorf("--poll-interval is %s: want a positive duration such as 5s", f.pollInterval)
	}
	if _, shared, err := r.redis.config(a.getenv); err != nil || shared {
		if err != nil {
			return err
		}
		return errors.New("--provider-batch with --redis: a batch API has its own limits, which no process shares; drop --redis (or --provider-batch)")
	}
	client, account, err := batchClient(r.provider)
	if err != nil {
		return err
	}
	statePath := r.outPath + stateSuffix
	state, err := a.openState(statePath, r.resume, r.provider.builtinSim, account)
	if err != nil {
		return err
	}

	view := newRoundsView(a.progress(r.total, r.every))
	out, err := batch.OpenOutput(batch.OutputConfig{Path: r.outPath, DeadLetterPath: r.deadLetter, Resume: r.resume, Total: r.total, OnProgress: view.items})
	if err != nil {
		return err
	}
	defer out.Close()
	items, err := r.readItems(out)
	if err != nil {
		return err
	}

	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var writeErr error
	var writeMu sync.Mutex
	conc := 0 // every item at once: a round holds them all
	if r.cmd.Flags().Changed("concurrency") {
		conc = r.concurrency
	}
	most := max(time.Minute, f.pollInterval)
	_, _, runErr := rounds.Run(runCtx, rounds.Config{
		Client: client, Name: r.provider.Name(),
		Poller: batchapi.Poller{Initial: f.pollInterval, Max: most},
		Reask:  r.cfg, Concurrency: conc, MaxRounds: f.maxRounds,
		FinishDirectUnder: f.finishDirectUnder, Direct: r.provider.Provider,
		Resume: state.Rounds,
		OnRound: func(n int, rd rounds.Round) error {
			if err := state.SetRound(n, rd); err != nil {
				return err
			}
			return state.Save(statePath)
		},
		OnResult: func(res rounds.Result) {
			if err := out.Write(batchRecord(res), items.raw[res.ID]); err != nil {
				writeMu.Lock()
				if writeErr == nil {
					writeErr = err
				}
				writeMu.Unlock()
				stop(err)
			}
		},
		OnProgress: view.round,
	}, items.run)
	view.finish(out.Progress())
	if writeErr != nil {
		return writeErr
	}
	interrupted := ctx.Err() != nil
	if runErr != nil && !interrupted {
		if errors.Is(runErr, batchapi.ErrUnsupported) {
			return fmt.Errorf("%w; drop --provider-batch to run the items with direct calls", runErr)
		}
		return fmt.Errorf("%w (the batches sent so far are in %s: run again with --resume to re-attach to them)", runErr, statePath)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if !interrupted {
		if err := os.Remove(statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the state of the finished run: %w", err)
		}
	}
	sum, err := a.summarize(r.outPath, r.statsOut)
	if err != nil {
		return err
	}
	if interrupted {
		return &exitError{code: codeInterrupted, err: fmt.Errorf("interrupted after %d items; run the same command with --resume to re-attach to the batches sent (kept in %s)",
			out.Progress().Done, statePath)}
	}
	if sum.Failed > 0 && !r.allowFailures {
		return &exitError{code: codeFailed, err: fmt.Errorf("%d of %d items in %s failed (their records say why; --dead-letter collects them, --allow-failures exits 0)",
			sum.Failed, sum.Items, r.outPath)}
	}
	return nil
}

// batchClient is the batch API of the provider p, and the account (base
// URL and model) its batches belong to.
func batchClient(p *openedProvider) (batchapi.Client, rounds.State, error) {
	switch prov := p.Provider.(type) {
	case *openai.Provider:
		acc := prov.Account()
		return openai.NewBatchClient(prov, openai.BatchConfig{}), rounds.State{BaseURL: acc.BaseURL, Model: acc.Model}, nil
	case *anthropic.Provider:
		acc := prov.Account()
		return anthropic.NewBatchClient(prov, anthropic.BatchConfig{}), rounds.State{BaseURL: acc.BaseURL, Model: acc.Model}, nil
	}
	return nil, rounds.State{}, fmt.Errorf("--provider-batch: provider %s has no batch API; drop --provider-batch", p.Name())
}

// openState reads the state of an earlier run at path (with --resume) or
// starts one. A state left by an earlier run is an error without
// --resume, since starting afresh would pay for its batches twice; one of
// another account is an error, since its batch ids mean nothing there.
func (a *app) openState(path string, resume, builtinSim bool, account rounds.State) (*rounds.State, error) {
	account.Version = rounds.StateVersion
	s, err := rounds.Load(path)
	switch {
	case errors.Is(err, rounds.ErrNoState):
		return &account, nil
	case err != nil:
		return nil, err
	case !resume:
		return nil, fmt.Errorf("%s holds the batches of an earlier run: add --resume to re-attach to them, or remove it to start afresh (and pay for them again)", path)
	case builtinSim:
		fmt.Fprintf(a.stderr, "reask: the built-in simulator's batches ended with the process that sent them; sending the unfinished items again (ignoring %s)\n", path)
		return &account, nil
	case s.BaseURL != account.BaseURL || s.Model != account.Model:
		return nil, fmt.Errorf("%s holds batches of model %s at %s, not of %s at %s: resume with the same --provider, --base-url and --model, or remove it to start afresh",
			path, s.Model, s.BaseURL, account.Model, account.BaseURL)
	}
	return s, nil
}

// runItems are the items of a run, and their input lines by id for the
// dead letter.
type runItems struct {
	run []rounds.Item
	raw map[string][]byte
}

// readItems reads the input as reask batch does: the items already in out
// are skipped (their missing dead-letter entries written), a line that is
// not a usable item is written as a failed record, and the others are
// returned.
func (r providerBatchRun) readItems(out *batch.Output) (runItems, error) {
	items := runItems{raw: map[string][]byte{}}
	for it := range batch.Items(r.in, r.inPath, r.maxLine) {
		if out.Has(it.ID) {
			if err := out.DeadLetterDue(it.ID, it.Raw); err != nil {
				return items, err
			}
			continue
		}
		sch := r.schema
		if it.Err == nil && it.Schema != "" && r.schemaFor != nil {
			var err error
			if sch, err = r.schemaFor(it.Schema); err != nil {
				it.Err = fmt.Errorf("%s:%d: schema %q: %w", r.inPath, it.Line, it.Schema, err)
			}
		}
		if it.Err == nil && sch == nil {
			it.Err = fmt.Errorf("%s:%d: no schema: the item names none and no default schema is set", r.inPath, it.Line)
		}
		if it.Err != nil {
			if err := out.Write(stats.Failed(it.ID, stats.KindInvalidItem, it.Err), it.Raw); err != nil {
				return items, err
			}
			continue
		}
		items.run = append(items.run, rounds.Item{ID: it.ID, Task: reask.Task{Schema: sch, Input: it.Text}})
		items.raw[it.ID] = it.Raw
	}
	return items, nil
}

// batchRecord is the output record of an item run in rounds of batches.
func batchRecord(r rounds.Result) stats.Record {
	rec := stats.FromReport(r.ID, r.Value, r.Report, r.Err)
	rec.Batch, rec.BatchCalls, rec.DirectCalls, rec.Round = true, r.BatchCalls, r.DirectCalls, r.Round
	if r.BatchCalls > 0 {
		u := r.BatchUsage
		rec.BatchUsage = &u
	}
	return rec
}

// roundsView shows a run in rounds: the items written, as the direct mode
// shows them, and the round under way — its number, lines and batches,
// and its lines completed and failed. Off a terminal it also prints a line
// whenever a round has been sent.
type roundsView struct {
	mu    sync.Mutex
	v     *progressView
	done  batch.Progress
	now   rounds.Progress
	shown bool // the line for the round's sending is printed
}

func newRoundsView(v *progressView) *roundsView { return &roundsView{v: v} }

// items is the output's OnProgress: a record was written.
func (rv *roundsView) items(p batch.Progress) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.done = p
	rv.draw()
}

// round is the run's OnProgress.
func (rv *roundsView) round(p rounds.Progress) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if p.Round != rv.now.Round {
		rv.shown = false
	}
	rv.now = p
	if p.Waiting && !rv.shown && rv.v.bar == nil {
		rv.shown = true
		fmt.Fprintf(rv.v.out, "round %d: %d lines sent in %d batch(es); awaiting the results\n", p.Round, p.Lines, p.Batches)
	}
	rv.draw()
}

// roundText says where the round is.
func (rv *roundsView) roundText() string {
	p := rv.now
	if p.Round == 0 {
		return "reading the input"
	}
	return fmt.Sprintf("round %d: %d lines, %d batch(es), completed %d, failed %d", p.Round, p.Lines, p.Batches, p.Completed, p.Failed)
}

func (rv *roundsView) draw() {
	v := rv.v
	if v.bar != nil {
		v.bar.Describe(rv.roundText() + " · " + progressDescription(rv.done))
		_ = v.bar.Set(rv.done.Done + rv.done.Skipped)
		return
	}
	if now := v.now(); now.Sub(v.lastLine) >= v.every {
		v.lastLine = now
		fmt.Fprintln(v.out, progressLine(rv.done, now)+"; "+rv.roundText())
	}
}

// finish shows where the run ended, as the direct mode does.
func (rv *roundsView) finish(p batch.Progress) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.now.Round > 0 && rv.v.bar == nil {
		fmt.Fprintln(rv.v.out, strings.Replace(rv.roundText(), "round", "last round", 1))
	}
	rv.v.finish(p)
}
