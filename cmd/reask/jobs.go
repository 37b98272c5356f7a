package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask/fleet/jobs"
)

func (a *app) jobsCommand() *cobra.Command {
	var rf redisFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "jobs --redis URL [NAME]",
		Short: "List the distributed batch jobs on a Redis and their counts",
		Long: `Jobs lists the jobs that "reask batch --job" queued on the Redis, or the job
NAME, with their counts: items queued (no worker has taken them yet), in
flight (taken, not done: a worker runs them, or died running them and they
wait for the visibility timeout), done (records produced) and of those
failed and dead (given up after too many deliveries), the records the
collector has written, and the workers alive on the job. A finished job
stays listed for its --retention.`,
		Example: `  reask jobs --redis redis://localhost:6379/0
  reask jobs --redis redis://localhost:6379/0 orders --json`,
		Args: wantArgs(0, 1, "NAME", "a job's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fcfg, on, err := rf.config(a.getenv)
			if err != nil {
				return err
			}
			if !on {
				return usage(cmd, fmt.Errorf("missing --redis URL (or %s): the Redis that holds the jobs", redisEnv))
			}
			ctx := cmd.Context()
			q, err := jobs.Connect(ctx, jobs.Config{URL: fcfg.URL})
			if err != nil {
				return rf.named(err, a.getenv)
			}
			defer q.Close()
			var list []jobs.Status
			if len(args) == 1 {
				s, err := q.Status(ctx, args[0])
				if errors.Is(err, jobs.ErrNoJob) {
					return fmt.Errorf("no job %q on this Redis (reask jobs --redis URL lists them; a finished job goes after its --retention)", args[0])
				}
				if err != nil {
					return err
				}
				list = []jobs.Status{s}
			} else if list, err = q.Jobs(ctx); err != nil {
				return err
			}
			if asJSON {
				views := make([]jobView, len(list))
				for i, s := range list {
					views[i] = viewOf(s)
				}
				b, err := json.MarshalIndent(views, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s\n", b)
				return err
			}
			if len(list) == 0 {
				_, err := fmt.Fprintln(a.stdout, "no jobs")
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSTATE\tQUEUED\tIN FLIGHT\tDONE\tFAILED\tDEAD\tWRITTEN\tWORKERS\t")
			for _, s := range list {
				v := viewOf(s)
				done := strconv.Itoa(v.Done)
				if v.Complete {
					done += "/" + strconv.Itoa(v.Total)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t\n", v.Name, v.State, v.Queued, v.InFlight, done, v.Failed, v.Dead, v.Written, v.Workers)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&rf.url, "redis", "", "the Redis that holds the jobs: redis://[user:pass@]host:port/db, or rediss://… for TLS (env "+redisEnv+")")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the jobs as a JSON array")
	return cmd
}

// jobView is a job's status as "reask jobs --json" prints it.
type jobView struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Queued: no worker has taken them; InFlight: taken, not done.
	Queued   int `json:"queued"`
	InFlight int `json:"in_flight"`
	// Done counts the records produced: OK, Failed and Dead.
	Done   int `json:"done"`
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	Dead   int `json:"dead"`
	// Written counts the records in the output.
	Written int `json:"written"`
	// Enqueued counts the items queued so far; Total the input's items,
	// once Complete.
	Enqueued   int        `json:"enqueued"`
	Total      int        `json:"total"`
	Complete   bool       `json:"complete"`
	Workers    int        `json:"workers"`
	Collecting bool       `json:"collecting"`
	Created    time.Time  `json:"created"`
	Finished   *time.Time `json:"finished,omitempty"`
}

func viewOf(s jobs.Status) jobView {
	v := jobView{Name: s.Name, State: s.State, Queued: s.Queued, InFlight: s.InFlight, Done: s.OK + s.Failed + s.Dead,
		OK: s.OK, Failed: s.Failed, Dead: s.Dead, Written: s.Written, Enqueued: s.Enqueued, Total: s.Total,
		Complete: s.Complete, Workers: s.Workers, Collecting: s.Collecting, Created: s.Created}
	if !s.Finished.IsZero() {
		f := s.Finished
		v.Finished = &f
	}
	return v
}
