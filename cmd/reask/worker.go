package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/cache"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/shared"
	"github.com/reask/reask/sim"
	"github.com/reask/reask/stats"
)

// jobSetFlags are the provider flags that a job's spec sets: a worker
// takes them from the job, so setting them on "reask worker" is an error.
var jobSetFlags = []string{"model", "mode", "max-attempts", "timeout", "call-timeout", "stop-on-repeat", "schema-in-prompt", "sim-profile", "sim-seed"}

func (a *app) workerCommand() *cobra.Command {
	var pf providerFlags
	var cf workerCacheFlags
	var cfg jobs.WorkerConfig
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "worker --redis URL [flags]",
		Short: "Run the items of distributed batch jobs (reask batch --job)",
		Long: `Worker serves the jobs that "reask batch --job NAME --redis URL" queues on
the same Redis: it takes items from every job (or those --jobs names),
runs each through the retry system with this worker's own provider
credentials and the rate limiter, breaker and retry budget shared through
that Redis, and hands each record back to the job's collector, which writes
it as "reask batch" would. Start as many workers as you like, on any
machines; they can join and leave while a job runs.

A job says its schema, mode, prompt settings, provider and model; the API
key and base URL are each worker's own (flags or environment, as for
extract and batch). A worker that has no credentials for a job's provider
says so on stderr and leaves the job's items to other workers. --api-key
and --base-url are openai's unless --provider names another provider, and
--provider restricts the worker to that provider's jobs; the simulator's
jobs (--provider sim) run on a simulator inside each worker.

A worker killed mid-item leaves it to the others: it is taken again once it
has been idle for --visibility-timeout, and given up as dead (a failed
record) after --max-deliveries. SIGTERM or Ctrl-C: the worker takes no more
items, finishes those in flight, and exits 0.`,
		Example: `  OPENAI_API_KEY=... reask worker --redis redis://localhost:6379/0 --concurrency 16
  reask worker --redis redis://redis:6379/0 --base-url http://localhost:11434/v1 --jobs invoices,orders`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range jobSetFlags {
				if cmd.Flags().Changed(name) {
					return usage(cmd, fmt.Errorf("--%s is the job's: a worker takes it from the job (reask batch --job NAME --%s ...)", name, name))
				}
			}
			if cfg.Concurrency < 1 {
				return fmt.Errorf("--concurrency is %d: want at least 1", cfg.Concurrency)
			}
			if cfg.MaxDeliveries < 1 {
				return fmt.Errorf("--max-deliveries is %d: want at least 1", cfg.MaxDeliveries)
			}
			if poll <= 0 {
				return fmt.Errorf("--poll-interval is %s: want a positive duration", poll)
			}
			if cfg.VisibilityTimeout < 0 {
				return fmt.Errorf("--visibility-timeout is %s: want 0 (the job's call timeout and %s) or a positive duration", cfg.VisibilityTimeout, jobs.VisibilityMargin)
			}
			for _, name := range cfg.Jobs {
				if err := jobs.CheckName(name); err != nil {
					return fmt.Errorf("--jobs %q: want names of 1 to %d letters, digits, '.', '_' or '-', comma-separated", name, jobs.MaxNameLen)
				}
			}
			if pf.provider != "" {
				if _, ok := defaultModel[pf.provider]; !ok {
					return fmt.Errorf("--provider %q: want openai, anthropic or sim", pf.provider)
				}
			}
			fcfg, on, err := pf.redis.config(a.getenv)
			if err != nil {
				return err
			}
			if !on {
				return usage(cmd, fmt.Errorf("missing --redis URL (or %s): the Redis whose jobs to serve", redisEnv))
			}
			ctx := cmd.Context()
			logger := slog.New(slog.NewTextHandler(a.stderr, nil))
			var base reask.Config
			store, leave, err := a.joinFleetStore(ctx, &pf.redis, &base)
			if err != nil {
				return err
			}
			defer leave()
			q, err := jobs.Connect(ctx, jobs.Config{URL: fcfg.URL, PollInterval: poll, Logger: logger})
			if err != nil {
				return pf.redis.named(err, a.getenv)
			}
			defer q.Close()
			clients := &jobClients{flags: pf, getenv: a.getenv, shared: base.Shared, cache: cf.store(store), byName: map[string]*jobClient{}}
			a.traced(ctx, &base, reask.Secret(pf.apiKey))
			clients.observer = base.Observer
			defer clients.close()
			cfg.Handler = clients.handle
			served := "every job"
			if len(cfg.Jobs) > 0 {
				served = "jobs " + strings.Join(cfg.Jobs, ", ")
			}
			if cfg.Name == "" {
				cfg.Name = workerName()
			}
			fmt.Fprintf(a.stderr, "reask: worker %s serving %s of this Redis, %d items at a time\n", cfg.Name, served, cfg.Concurrency)
			err = q.Work(ctx, cfg)
			fmt.Fprintf(a.stderr, "reask: worker %s stopped: %d items done (ok %d, failed %d), %d queue round trips to Redis\n",
				cfg.Name, clients.ok.Load()+clients.failed.Load(), clients.ok.Load(), clients.failed.Load(), q.RoundTrips())
			return err
		},
	}
	pf.register(cmd)
	cf.register(cmd.Flags())
	cmd.Flags().Lookup("provider").Usage = "serve only the jobs of this provider: openai, anthropic or sim (default: the jobs of every provider this worker has credentials for)"
	for _, name := range jobSetFlags {
		cmd.Flags().MarkHidden(name)
	}
	fs := cmd.Flags()
	fs.IntVar(&cfg.Concurrency, "concurrency", jobs.DefaultConcurrency, "most items run at once")
	fs.StringSliceVar(&cfg.Jobs, "jobs", nil, "names of the jobs to serve, comma-separated (default: every job)")
	fs.DurationVar(&cfg.VisibilityTimeout, "visibility-timeout", 0, fmt.Sprintf("how long an item another worker took may go without a sign of life before this one takes it (default: the job's call timeout + %s)", jobs.VisibilityMargin))
	fs.IntVar(&cfg.MaxDeliveries, "max-deliveries", jobs.DefaultMaxDeliveries, "times an item is handed to a worker before it is given up as dead (a failed record with its last error)")
	fs.DurationVar(&poll, "poll-interval", jobs.DefaultPollInterval, "how long a read for new items waits for some, and how often the worker looks for new jobs and beats its heartbeat")
	fs.StringVar(&cfg.Name, "name", "", "this worker's name in Redis and in logs; a worker restarted under the same name takes back at once what it held (default: host, pid and a random part)")
	return cmd
}

// jobClients is a worker's Handler: it runs each item with a client built
// from the job's spec and the worker's own credentials, one client per
// job incarnation, kept while the job runs.
type jobClients struct {
	flags  providerFlags // the worker's own
	getenv env
	shared shared.Store // the fleet's policies; nil without Redis
	cache  cache.Store  // the response cache in the fleet's Redis; nil: none
	// observer traces every job's extractions; nil when tracing is off.
	observer func(context.Context, reask.Event)

	ok, failed atomic.Int64

	mu     sync.Mutex
	byName map[string]*jobClient
}

// jobClient is the client of one job incarnation, built once.
type jobClient struct {
	incarnation string
	once        sync.Once
	client      *reask.Client
	provider    *openedProvider
	err         error
}

func (c *jobClients) handle(ctx context.Context, job *jobs.Job, it jobs.Item) (stats.Record, error) {
	jc := c.client(job)
	jc.once.Do(func() { jc.client, jc.provider, jc.err = c.build(ctx, job) })
	if jc.err != nil {
		return stats.Record{}, jc.err
	}
	doc, rep, err := jc.client.Run(ctx, reask.Task{Schema: job.Schema, Input: it.Text})
	rec := stats.FromReport(it.ID, doc, rep, err)
	if rec.OK {
		c.ok.Add(1)
	} else {
		c.failed.Add(1)
	}
	return rec, nil
}

// client returns the entry of job's incarnation, replacing (and closing)
// that of an earlier incarnation of the same name.
func (c *jobClients) client(job *jobs.Job) *jobClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	jc := c.byName[job.Name]
	if jc != nil && jc.incarnation == job.Incarnation {
		return jc
	}
	if jc != nil {
		jc.close()
	}
	jc = &jobClient{incarnation: job.Incarnation}
	c.byName[job.Name] = jc
	return jc
}

// build makes the client of a job. Every error matches
// jobs.ErrCannotServe: this worker cannot run the job, others may.
func (c *jobClients) build(ctx context.Context, job *jobs.Job) (*reask.Client, *openedProvider, error) {
	cannot := func(err error) error {
		return fmt.Errorf("%w: provider %s, model %s: %v", jobs.ErrCannotServe, job.Spec.Provider, job.Spec.Model, err)
	}
	cfg, err := specConfig(job.Spec)
	if err != nil {
		return nil, nil, cannot(err)
	}
	cfg.Shared, cfg.Observer = c.shared, c.observer
	cfg.Cache = c.cache
	p, err := c.open(ctx, job.Spec)
	if err != nil {
		return nil, nil, cannot(err)
	}
	client, err := reask.New(p.Provider, cfg)
	if err != nil {
		p.close()
		return nil, nil, cannot(err)
	}
	return client, p, nil
}

// open opens the provider a spec names with the worker's credentials.
func (c *jobClients) open(ctx context.Context, s jobs.Spec) (*openedProvider, error) {
	f := c.flags
	kind := s.Provider
	if kind == "" {
		kind = "sim"
	}
	switch {
	case f.provider != "" && f.provider != kind:
		return nil, fmt.Errorf("this worker runs --provider %s jobs only", f.provider)
	case kind == "sim":
		prof, err := sim.ParseProfile([]byte(s.Settings[settingSimProfile]))
		if s.Settings[settingSimProfile] == "" {
			prof, err = sim.Profile{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the job's simulator profile: %w", err)
		}
		seed, _ := strconv.ParseInt(s.Settings[settingSimSeed], 10, 64)
		return openSimWith(prof, seed, s.Model)
	case f.provider == "" && kind != "openai":
		// Without --provider, --api-key and --base-url are openai's (as
		// for extract and batch): another provider takes its environment.
		f.apiKey, f.baseURL = "", ""
	}
	f.provider, f.model = kind, s.Model
	p, err := f.open(ctx, c.getenv)
	if err != nil && c.flags.provider == "" && kind != "openai" {
		err = fmt.Errorf("%w (--api-key and --base-url are openai's unless --provider %s)", err, kind)
	}
	return p, err
}

// close closes every provider the worker opened.
func (c *jobClients) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, jc := range c.byName {
		jc.close()
	}
}

// close releases the provider, once it is built.
func (jc *jobClient) close() {
	jc.once.Do(func() { jc.err = errors.New("closed") })
	if jc.provider != nil {
		jc.provider.close()
	}
}

// workerName is a worker's default name: host, pid and a random part, so
// that two workers never share one, and logs say which is which.
func workerName() string {
	host, _ := os.Hostname()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}
