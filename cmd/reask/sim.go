package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask/sim"
	"github.com/reask/reask/sim/dataset"
)

func (a *app) simCommand() *cobra.Command {
	var o simOptions
	cmd := &cobra.Command{
		Use:   "sim [flags]",
		Short: "Run the simulated, fault-injecting OpenAI-compatible LLM server",
		Long: `Sim serves a simulated LLM provider: POST /v1/chat/completions (streaming,
response_format json_schema and json_object, tools), OpenAI's Responses API
POST /v1/responses (string or item input, text.format json_schema and
json_object, function tools, streaming events), GET /v1/models, Anthropic's
POST /v1/messages, OpenAI's Batch API (POST /v1/files, /v1/batches) and
Anthropic's Message Batches (/v1/messages/batches), Gemini's POST
/v1beta/models/{model}:generateContent, and GET /_sim/stats. It answers extraction requests for
any JSON Schema with deterministic heuristics and misbehaves like a real
provider — content faults, a reaction to feedback, rate limits with the
real headers, 5xx, dropped connections, latency, outages — all seeded and
reproducible. Any OpenAI client can point at it.

It stores no responses: a Responses request with previous_response_id (or a
conversation, an item reference, background mode) gets a 400 that says
so; send the whole conversation in "input". Batch files and batches are
kept in memory, their lines answered as the direct endpoints answer them.

Profiles: clean (no faults), flaky (a realistic provider), hostile (a bad
day), or a JSON profile file.

It serves any model name a request gives; --models restricts it to a list,
and a request for another model gets model_not_found naming the list (404
on chat completions, 400 on responses, as OpenAI answers).`,
		Example: `  reask sim --addr 127.0.0.1:9090 --profile flaky --seed 7
  reask sim --profile hostile --rpm 600 --latency 50ms
  reask sim --models gpt-4o-mini,llama3
  curl -s localhost:9090/v1/models
  reask sim dataset --n 300 --seed 1 --out data/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.config(a.stderr)
			if err != nil {
				return err
			}
			srv, err := sim.New(cfg)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", o.addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			fmt.Fprintf(a.stderr, "reask sim: serving profile %s (seed %d) on http://%s/v1\n", o.profile, o.seed, ln.Addr())
			return serveUntilDone(cmd.Context(), &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}, ln, 10*time.Second)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9090", "address to listen on (port 0 picks a free port, printed at start)")
	fs.StringVar(&o.profile, "profile", "flaky", "fault profile: "+strings.Join(sim.ProfileNames(), ", ")+", or a JSON profile file")
	fs.Int64Var(&o.seed, "seed", 1, "seed of every random choice")
	fs.IntVar(&o.rpm, "rpm", 0, "requests per minute before 429 (default: the profile's)")
	fs.IntVar(&o.tpm, "tpm", 0, "tokens per minute before 429 (default: the profile's)")
	fs.DurationVar(&o.latency, "latency", 0, "fixed latency before each answer (default: the profile's)")
	fs.StringSliceVar(&o.models, "models", nil, "comma-separated model names to serve, others get model_not_found (default: any name)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "log every request on stderr")
	cmd.AddCommand(a.datasetCommand())
	return cmd
}

// simOptions are the flags of "reask sim".
type simOptions struct {
	addr, profile string
	seed          int64
	rpm, tpm      int
	latency       time.Duration
	models        []string
	verbose       bool
}

// config turns the flags into the simulator's configuration; with verbose,
// the simulator logs every request to logTo.
func (o simOptions) config(logTo io.Writer) (sim.Config, error) {
	prof, err := loadProfile(o.profile)
	if err != nil {
		return sim.Config{}, fmt.Errorf("--profile: %w", err)
	}
	if o.rpm < 0 || o.tpm < 0 || o.latency < 0 {
		return sim.Config{}, errors.New("--rpm, --tpm and --latency must not be negative")
	}
	cfg := sim.Config{Seed: o.seed, Profile: prof, RPM: o.rpm, TPM: o.tpm}
	for _, m := range o.models {
		if m = strings.TrimSpace(m); m == "" {
			return sim.Config{}, errors.New("--models: an empty model name")
		}
		cfg.Models = append(cfg.Models, m)
	}
	if o.latency > 0 {
		cfg.Latency = &sim.Latency{Median: sim.Duration(o.latency)}
	}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg, nil
}

func (a *app) datasetCommand() *cobra.Command {
	var n int
	var seed int64
	var out string
	cmd := &cobra.Command{
		Use:   "dataset --n N --seed S --out DIR",
		Short: "Write the simulator's labelled data set: texts, gold answers, schemas",
		Long: `Dataset writes N labelled items generated from seed S into DIR:
items.jsonl ({"id", "schema", "text"} per line, ready for "reask batch"),
gold.jsonl ({"id", "gold"} per line) and schemas/NAME.json.`,
		Example: `  reask sim dataset --n 300 --seed 1 --out data/
  reask batch --schema-dir data/schemas --in data/items.jsonl --out results.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return fmt.Errorf("--n is %d: want at least 1", n)
			}
			if out == "" {
				return usage(cmd, errors.New("missing --out DIR: the directory to write the data set to"))
			}
			if err := dataset.Write(out, n, seed); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "reask: wrote %d items, their gold answers and %d schemas to %s\n", n, len(dataset.SchemaNames()), out)
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "n", 300, "number of items")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed")
	cmd.Flags().StringVar(&out, "out", "", "directory to write to (required)")
	return cmd
}

// serveUntilDone serves until ctx ends, then shuts down gracefully: the
// listener closes at once, requests in flight get up to grace to finish.
func serveUntilDone(ctx context.Context, hs *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
