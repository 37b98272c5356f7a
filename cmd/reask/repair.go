package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

func (a *app) repairCommand() *cobra.Command {
	var schemaFile, level string
	var verbose bool
	var maxBytes, maxDepth, maxFixes int
	cmd := &cobra.Command{
		Use:   "repair [flags] [FILE|-]",
		Short: "Repair broken JSON from an LLM answer, locally",
		Long: `Repair finds the JSON in an LLM answer and repairs it without calling a
model: Markdown fences, prose around it, trailing commas, single quotes,
unquoted keys, comments, Python literals, smart quotes, missing commas,
control characters, invalid escapes, double-encoded JSON, NaN. With
--schema it also coerces values to the schema's types ("30" → 30, "Yes" →
true, "Positive" → "positive") and drops unknown fields it forbids; it
never invents a missing value.

It prints the repaired JSON on stdout and exits 0 when the result is valid
JSON (and valid against the schema, if given); otherwise it prints the
reason on stderr and exits 1. Truncated input (unclosed brackets or string
at the end) is reported, not silently closed; so is text with no JSON (an
empty Markdown code block too). -v lists every fix on stderr.

Memory stays under about 20 times the input plus 150 bytes per fix;
--max-bytes, --max-depth and --max-fixes bound the input, its nesting and
the fixes it may need.`,
		Example: `  echo "{name: 'John', age: '30',}" | reask repair -v
  reask repair --schema person.json answer.txt
  reask repair --level syntax --max-bytes 1048576 big.txt`,
		Args: wantArgs(0, 1, "FILE", ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			lvl, err := repair.ParseLevel(level)
			if err != nil {
				return fmt.Errorf("--level: %w", err)
			}
			if maxBytes < 0 || maxDepth < 0 || maxFixes < -1 {
				return errors.New("--max-bytes and --max-depth must not be negative, nor --max-fixes below -1")
			}
			opts := repair.Options{Level: lvl, MaxBytes: maxBytes, MaxDepth: maxDepth, MaxFixes: maxFixes}
			if schemaFile != "" {
				if opts.Schema, err = loadSchema(schemaFile); err != nil {
					return err
				}
			}
			limit := maxBytes
			if limit == 0 {
				limit = repair.DefaultMaxBytes
			}
			name := "stdin"
			in := a.stdin
			if len(args) == 1 && args[0] != "-" {
				name = args[0]
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			input, err := io.ReadAll(io.LimitReader(in, int64(limit)+1))
			if err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			var out []byte
			var fixes []repair.Fix
			var value any
			if opts.Schema == nil {
				out, fixes, err = repair.Repair(input, opts)
			} else {
				var res *repair.Result
				if res, err = repair.Parse(input, opts); err == nil {
					out, fixes, value = res.JSON, res.Fixes, res.Value
				}
			}
			if verbose {
				for _, f := range fixes {
					fmt.Fprintln(a.stderr, "fix:", f.String())
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			var buf bytes.Buffer
			buf.Write(out)
			buf.WriteByte('\n')
			if _, err := buf.WriteTo(a.stdout); err != nil {
				return fmt.Errorf("writing the repaired JSON to stdout: %w", err)
			}
			if opts.Schema != nil {
				if vs := opts.Schema.Validate(value); len(vs) > 0 {
					return &exitError{code: 1, err: fmt.Errorf("%s: repaired, but not valid against the schema: %w", name, &schema.ValidationError{Violations: vs})}
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&schemaFile, "schema", "", "JSON Schema to coerce toward and validate against")
	fs.StringVar(&level, "level", "coerce", "repair level: coerce (syntax + schema coercion), syntax, or off (strict JSON only)")
	fs.BoolVarP(&verbose, "verbose", "v", false, "list every fix on stderr")
	fs.IntVar(&maxBytes, "max-bytes", 0, fmt.Sprintf("largest input accepted, in bytes (default %d)", repair.DefaultMaxBytes))
	fs.IntVar(&maxDepth, "max-depth", 0, fmt.Sprintf("deepest nesting accepted (default %d)", repair.DefaultMaxDepth))
	fs.IntVar(&maxFixes, "max-fixes", 0, fmt.Sprintf("most fixes one input may need, -1 for no limit; each costs ~150 bytes of memory (default %d)", repair.DefaultMaxFixes))
	return cmd
}
