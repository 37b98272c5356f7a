package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reask/reask"
	"github.com/reask/reask/fleet/jobs"
)

// jobFlags are the flags that make "reask batch" a distributed job.
type jobFlags struct {
	name       string
	maxPending int
	retention  time.Duration
	poll       time.Duration
}

func (f *jobFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "job", "", "run the batch as the distributed job NAME on --redis: this process queues the items and writes the output, `reask worker` processes run them (see reask worker --help)")
	fs.IntVar(&f.maxPending, "max-pending", jobs.DefaultMaxPending, "with --job: most items in Redis at once, waiting or in flight; the input is read no further until workers make room")
	fs.DurationVar(&f.poll, "job-poll-interval", jobs.DefaultPollInterval, "with --job: how long a read of the job's results waits for some, and how often waits (for room in the queue, for Redis to come back) look again")
	fs.DurationVar(&f.retention, "retention", jobs.DefaultRetention, "with --job: how long the finished job's counts stay in Redis for reask jobs (its queues are deleted at once; negative: delete everything at once)")
}

// batchOptions are the flags of "reask batch" that a job uses besides the
// provider and schema flags.
type batchOptions struct {
	schemaFile, schemaDir, inPath, outPath, prompt, deadLetter, statsFile string
	maxLine                                                               int
	resume, allowFailures                                                 bool
	every                                                                 time.Duration
}

// workerOnlyFlags are batch flags that mean nothing to a job's collector:
// the workers decide them.
var workerOnlyFlags = map[string]string{
	"concurrency":   "reask worker --concurrency",
	"redis-fail":    "reask worker --redis-fail",
	"redis-timeout": "reask worker --redis-timeout",
	"api-key":       "each worker's own --api-key or environment (a job never carries a key)",
	"base-url":      "each worker's own --base-url (a job never says where a worker sends its key; --provider names the kind)",
}

// batchJob runs "reask batch --job": it queues the input as a job on
// Redis and writes the records the workers produce, with the progress,
// summary and exit codes of a batch run in this process.
func (a *app) batchJob(cmd *cobra.Command, pf *providerFlags, sf *schemaFlags, jf *jobFlags, o batchOptions) error {
	ctx := cmd.Context()
	for name, where := range workerOnlyFlags {
		if cmd.Flags().Changed(name) {
			return usage(cmd, fmt.Errorf("--%s: a job's items run on its workers, so set %s instead", name, where))
		}
	}
	// The provider batch APIs' flags (--provider-batch and its
	// --poll-interval, where this build has them) are another way to run
	// a batch.
	for _, name := range []string{"provider-batch", "poll-interval", "max-rounds", "finish-direct-under"} {
		if cmd.Flags().Changed(name) {
			return usage(cmd, fmt.Errorf("--%s and --job: choose one; --provider-batch sends the items through the provider's batch API from this process, a job runs them on reask worker processes (its poll interval is --job-poll-interval)", name))
		}
	}
	if err := jobs.CheckName(jf.name); err != nil {
		return usage(cmd, fmt.Errorf("--job %q: want 1 to %d letters, digits, '.', '_' or '-', starting with a letter or a digit", jf.name, jobs.MaxNameLen))
	}
	if o.schemaDir != "" {
		return usage(cmd, errors.New("--schema-dir: a job carries one schema; give it with --schema"))
	}
	if jf.maxPending < 1 {
		return fmt.Errorf("--max-pending is %d: want at least 1", jf.maxPending)
	}
	if jf.poll <= 0 {
		return fmt.Errorf("--job-poll-interval is %s: want a positive duration", jf.poll)
	}
	fcfg, on, err := pf.redis.config(a.getenv)
	if err != nil {
		return err
	}
	if !on {
		return usage(cmd, fmt.Errorf("--job needs --redis URL (or %s): the Redis that holds the job's queue, which the workers name too", redisEnv))
	}
	spec, err := a.jobSpec(pf, sf, o)
	if err != nil {
		return err
	}
	in, total, closeIn, err := a.openInput(o.inPath)
	if err != nil {
		return err
	}
	defer closeIn()
	q, err := jobs.Connect(ctx, jobs.Config{URL: fcfg.URL, PollInterval: jf.poll, Logger: slog.New(slog.NewTextHandler(a.stderr, nil))})
	if err != nil {
		return pf.redis.named(err, a.getenv)
	}
	defer q.Close()
	fmt.Fprintf(a.stderr, "reask: job %s: queuing %s for the workers of this Redis (reask worker --redis URL); reask jobs --redis URL %s shows it\n", jf.name, o.inPath, jf.name)
	show := a.progress(total, o.every)
	res, runErr := q.Run(ctx, jobs.RunConfig{
		Name: jf.name, Spec: spec, In: in, InName: o.inPath, Total: total, MaxLineBytes: o.maxLine,
		OutPath: o.outPath, DeadLetterPath: o.deadLetter, Resume: o.resume, MaxPending: jf.maxPending,
		Retention: jf.retention, OnProgress: show.update, OnStatus: a.workerNote(jf.name, time.Now),
	})
	show.finish(res.Progress)
	fmt.Fprintf(a.stderr, "reask: job %s: %d queue round trips to Redis\n", jf.name, q.RoundTrips())
	if runErr != nil {
		return runErr
	}
	return a.endBatch(res.Interrupted, "the workers go on with the items queued; run the same command with --resume to collect them and queue the rest", res.Progress.Done, o.outPath, o.statsFile, o.allowFailures)
}

// jobSpec is what the job's workers need, from this command's flags: the
// schema, mode, prompt settings, provider and model; never an API key.
// The schema is compiled here, so that one that does not compile is
// refused before anything is queued.
func (a *app) jobSpec(pf *providerFlags, sf *schemaFlags, o batchOptions) (jobs.Spec, error) {
	cfg, err := pf.config(a.getenv)
	if err != nil {
		return jobs.Spec{}, err
	}
	scfg, err := sf.config()
	if err != nil {
		return jobs.Spec{}, err
	}
	doc, err := os.ReadFile(o.schemaFile)
	if err != nil {
		return jobs.Spec{}, fmt.Errorf("--schema: %w", err)
	}
	if _, err := scfg.Compile(doc); err != nil {
		return jobs.Spec{}, fmt.Errorf("--schema %s: %w (nothing was queued)", o.schemaFile, err)
	}
	if o.prompt != "" {
		if cfg.Instructions, err = promptText(o.prompt); err != nil {
			return jobs.Spec{}, err
		}
	}
	kind := pf.kind(a.getenv)
	if _, ok := defaultModel[kind]; !ok {
		return jobs.Spec{}, fmt.Errorf("--provider %q: want openai, anthropic or sim", kind)
	}
	spec := jobs.Spec{Schema: doc, SchemaConfig: scfg, Provider: kind, Model: pf.modelFor(kind, a.getenv),
		Mode: string(cfg.Mode), Instructions: cfg.Instructions, MaxAttempts: cfg.MaxAttempts,
		Timeout: cfg.Timeout, CallTimeout: cfg.CallTimeout, SchemaInPrompt: cfg.SchemaInPrompt, KeepOnRepeat: cfg.KeepOnRepeat}
	if kind == "sim" {
		// The simulator runs in each worker: its profile and seed travel
		// with the job, so that every worker simulates the same provider.
		prof, err := loadProfile(pf.simProfile)
		if err != nil {
			return jobs.Spec{}, fmt.Errorf("--sim-profile: %w", err)
		}
		b, err := json.Marshal(prof)
		if err != nil {
			return jobs.Spec{}, fmt.Errorf("--sim-profile: %w", err)
		}
		spec.Settings = map[string]string{settingSimProfile: string(b), settingSimSeed: strconv.FormatInt(pf.simSeed, 10)}
	}
	return spec, nil
}

// The names of Spec.Settings that "reask worker" reads.
const (
	settingSimProfile = "sim_profile"
	settingSimSeed    = "sim_seed"
)

// specConfig is the reask configuration of a job's spec.
func specConfig(s jobs.Spec) (reask.Config, error) {
	mode := reask.ModeJSONSchema
	if s.Mode != "" {
		if mode = reask.Mode(s.Mode); !mode.Valid() {
			return reask.Config{}, fmt.Errorf("mode %q: this worker knows json_schema, json_object, tools and text", s.Mode)
		}
	}
	cfg := reask.Config{Mode: mode, Instructions: s.Instructions, MaxAttempts: s.MaxAttempts, MaxTokens: s.MaxTokens,
		Timeout: s.Timeout, CallTimeout: s.CallTimeout, SchemaInPrompt: s.SchemaInPrompt, KeepOnRepeat: s.KeepOnRepeat}
	if s.Temperature != nil {
		cfg.Temperature = *s.Temperature
	}
	return cfg, nil
}

// workerNote returns an OnStatus that says on stderr when the job has
// had no worker alive for noWorkerNote, and when it has one again: a job
// nobody serves waits, and the progress alone would not say why.
func (a *app) workerNote(name string, now func() time.Time) func(jobs.Status) {
	var since time.Time // when the job was first seen without a worker
	noted := false
	return func(s jobs.Status) {
		switch {
		case s.Workers > 0:
			if noted {
				fmt.Fprintf(a.stderr, "reask: job %s: %d workers alive\n", name, s.Workers)
			}
			since, noted = time.Time{}, false
		case s.Queued+s.InFlight == 0 || noted:
		case since.IsZero():
			since = now()
		case now().Sub(since) >= noWorkerNote:
			noted = true
			fmt.Fprintf(a.stderr, "reask: job %s: no worker alive for %s; %d items wait (start workers with: reask worker --redis URL)\n", name, noWorkerNote, s.Queued+s.InFlight)
		}
	}
}

// noWorkerNote is how long a job goes without a worker alive before its
// collector says so: longer than a worker takes to find a new job.
const noWorkerNote = 5 * time.Second

// endBatch prints the retry dashboard of the output and returns the
// batch's exit: 130 when interrupted, 3 when an item failed (unless
// allowFailures).
func (a *app) endBatch(interrupted bool, resumeHint string, done int, outPath, statsFile string, allowFailures bool) error {
	sum, err := a.summarize(outPath, statsFile)
	if err != nil {
		return err
	}
	if interrupted {
		return &exitError{code: codeInterrupted, err: fmt.Errorf("interrupted after %d items; %s", done, resumeHint)}
	}
	if sum.Failed > 0 && !allowFailures {
		return &exitError{code: codeFailed, err: fmt.Errorf("%d of %d items in %s failed (their records say why; --dead-letter collects them, --allow-failures exits 0)",
			sum.Failed, sum.Items, outPath)}
	}
	return nil
}
