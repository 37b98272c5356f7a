// Command reask gets schema-valid JSON out of language models: it extracts
// one text, runs a JSONL batch, repairs broken JSON, serves an
// OpenAI-compatible gateway and runs a fault-injecting simulator.
//
// To install it from a clone of the repository, in its root:
//
//	go install ./cmd/reask              # into $(go env GOBIN), else $(go env GOPATH)/bin (~/go/bin)
//	go build -o bin/reask ./cmd/reask   # or a binary in ./bin, nothing installed
//
// or, once the module is published, from anywhere:
//
//	go install github.com/reask/reask/cmd/reask@latest
//
// Run "reask --help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reask/reask/fleet"
)

func main() {
	// go-redis prints a line per failed dial on stderr; the fleet's store
	// logs each change between shared and local mode once instead.
	fleet.RouteRedisLogs(nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes, the same for every command (exitStatusHelp says them to
// users): 1 when the command could not do its job, 3 when it did but an
// extraction failed, so that scripts can tell a broken setup from a model
// that gave no valid answer.
const (
	codeError       = 1
	codeFailed      = 3
	codeCostLimit   = 4
	codeInterrupted = 130
)

// exitStatusHelp ends the help of the root command and of those that
// extract.
const exitStatusHelp = `

Exit status:
  0    success
  1    the command could not do its job: bad usage, configuration, input
       files, writing the output (repair: input not repairable, or not
       valid against --schema)
  3    an extraction failed: extract got no valid answer (the model's
       answers stayed invalid, or the provider failed or refused); batch
       finished, but at least one item in OUT.jsonl failed (--allow-failures:
       exit 0 instead)
  4    batch stopped at --max-total-cost: run again with --resume to go on
  130  interrupted (Ctrl-C or SIGTERM); batch: run again with --resume`

// exitError carries an exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// env reads the process environment; tests replace it.
type env func(string) string

// app is what every command shares: the standard streams and the environment.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv env
	// tracing is the OpenTelemetry of the command, when configured.
	tracing tracing
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWithEnv(ctx, args, stdin, stdout, stderr, os.Getenv)
}

func runWithEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	out, errOut := &checkedWriter{w: stdout}, &checkedWriter{w: stderr}
	a := &app{stdin: stdin, stdout: out, stderr: errOut, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(errOut)
	cmd, err := root.ExecuteContextC(ctx)
	a.flushTracing()
	if err != nil && cmd == root {
		err = usage(root, err) // an unknown command
	}
	if err == nil {
		// A command that lost some of what it wrote has failed, even where
		// it did not check the write itself.
		if werr := out.Err(); werr != nil {
			err = fmt.Errorf("writing to stdout: %w", werr)
		} else if errOut.Err() != nil {
			return codeError // stderr itself is broken: nowhere to say why
		} else {
			return 0
		}
	}
	// The library's errors start with "reask: " too; print the prefix once.
	fmt.Fprintln(stderr, "reask:", strings.TrimPrefix(err.Error(), "reask: "))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return codeError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "reask COMMAND [flags]",
		Short: "Get schema-valid JSON out of any LLM, reliably and cheaply",
		Long: `reask gets schema-valid, correct structured data out of language models.
It repairs locally what needs no model call, re-asks the model with
field-level feedback for the rest, backs off rate limits and server errors,
and counts what every retry cost.

With no provider configured, commands that call a model use the built-in
simulator (--provider sim), a seeded fault-injecting OpenAI-compatible LLM.` + exitStatusHelp,
		Example: `  reask extract --schema person.json "Contact John Doe, age 30, at john@email.com"
  reask batch --schema order.json --in orders.jsonl --out results.jsonl
  reask stats results.jsonl
  echo "{name: 'John', age: 30,}" | reask repair -v
  reask serve --addr 127.0.0.1:8080 --upstream https://api.openai.com/v1
  reask sim --addr 127.0.0.1:9090 --profile flaky`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		a.extractCommand(),
		a.repairCommand(),
		a.statsCommand(),
		a.batchCommand(),
		a.simCommand(),
		a.demoCommand(),
		a.versionCommand(),
		a.serveCommand(),
		a.workerCommand(),
		a.jobsCommand(),
		a.schemaCommand(),
	)
	withUsage(root)
	return root
}

// checkedWriter remembers the first error a write to w returned, so that
// the command exits non-zero when its output (or its diagnostics) was lost.
type checkedWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
	}
	return n, err
}

// Err is the first write error, nil when every write succeeded.
func (c *checkedWriter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
