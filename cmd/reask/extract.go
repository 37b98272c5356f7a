package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// freeFormSchema is used when extract gets no --schema: any JSON object.
const freeFormSchema = `{"type":"object","title":"result"}`

func (a *app) extractCommand() *cobra.Command {
	var pf providerFlags
	var cf cacheFlags
	var sf schemaFlags
	var schemaFile, reportFile string
	var maxInput int64
	var stream bool
	cmd := &cobra.Command{
		Use:   "extract [flags] TEXT|-",
		Short: "Extract one text into JSON valid against a schema",
		Long: `Extract asks the model for JSON valid against --schema, repairs what it can
locally, re-asks with field-level feedback for the rest, and prints the JSON
object on stdout (exit 0). When no valid answer comes it prints the reason on
stderr (exit 3). TEXT "-" reads the text from stdin. Without --schema any JSON
object is accepted.` + exitStatusHelp,
		Example: `  reask extract --schema person.json "Contact John Doe, age 30, at john@email.com"
  cat review.txt | reask extract --schema review.json --mode tools --report report.json -
  OPENAI_BASE_URL=http://localhost:11434/v1 reask extract --model llama3.1 --schema person.json "Sarah, age 25"`,
		Args: wantArgs(1, 1, "TEXT", `the text to extract from, or "-" to read it from stdin`),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := pf.config(a.getenv)
			if err != nil {
				return err
			}
			closeCache, err := a.openCache(&cf, &cfg)
			if err != nil {
				return err
			}
			defer closeCache()
			sch, err := sf.load(schemaFile)
			if err != nil {
				return err
			}
			text := args[0]
			if text == "-" {
				b, err := io.ReadAll(io.LimitReader(a.stdin, maxInput+1))
				if err != nil {
					return fmt.Errorf("reading stdin: %w", err)
				}
				if int64(len(b)) > maxInput {
					return fmt.Errorf("stdin holds more than --max-input-bytes (%d)", maxInput)
				}
				text = string(b)
			}
			if strings.TrimSpace(text) == "" {
				return errors.New("the text to extract from is empty")
			}
			p, err := pf.open(cmd.Context(), a.getenv)
			if err != nil {
				return err
			}
			defer p.close()
			if p.note != "" {
				fmt.Fprintln(a.stderr, "reask:", p.note)
			}
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
			task := reask.Task{Schema: sch, Input: text}
			var doc json.RawMessage
			var rep *reask.Report
			var runErr error
			if stream {
				rep, runErr = a.extractStreamed(cmd.Context(), client, task)
			} else {
				doc, rep, runErr = client.Run(cmd.Context(), task)
			}
			if reportFile != "" {
				if err := writeJSONFile(reportFile, rep); err != nil {
					return fmt.Errorf("--report: %w", err)
				}
			}
			if runErr != nil {
				return &exitError{code: extractionCode(cmd.Context(), runErr), err: errors.New(explain(runErr, rep))}
			}
			if stream {
				return nil // printed as it streamed
			}
			var out bytes.Buffer
			if err := json.Indent(&out, doc, "", "  "); err != nil {
				return err
			}
			out.WriteByte('\n')
			_, err = out.WriteTo(a.stdout)
			return err
		},
	}
	pf.register(cmd)
	cf.register(cmd.Flags())
	cmd.Flags().StringVar(&schemaFile, "schema", "", "JSON Schema file the answer must satisfy (default: any JSON object)")
	sf.register(cmd)
	cmd.Flags().Int64Var(&maxInput, "max-input-bytes", 16<<20, "largest text read from stdin")
	cmd.Flags().StringVar(&reportFile, "report", "", "write the extraction report (attempts, calls, repairs, tokens) as JSON to this file")
	cmd.Flags().BoolVar(&stream, "stream", false, "show the answer as it streams: a line redrawn on stderr on a terminal, else newline-delimited JSON partials on stdout, the last {\"final\": true, \"value\": …}")
	return cmd
}

// loadSchema reads and compiles a schema file with the default
// schema.Config; "" gives the free-form schema.
func loadSchema(path string) (*schema.Schema, error) {
	return loadSchemaWith(path, schema.Config{})
}

func loadSchemaWith(path string, cfg schema.Config) (*schema.Schema, error) {
	if path == "" {
		return cfg.Compile([]byte(freeFormSchema))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--schema: %w", err)
	}
	s, err := cfg.Compile(b)
	if err != nil {
		return nil, fmt.Errorf("--schema %s: %w", path, err)
	}
	return s, nil
}

// schemaFlags say how schema files are compiled: --schema-limits and
// --formats (see schema.Config).
type schemaFlags struct {
	limits  string
	formats string
}

func (f *schemaFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.limits, "schema-limits", "", fmt.Sprintf(
		"limits a schema must stay within, e.g. max_depth=16,max_subschemas=2000 (-1: none; defaults max_bytes=%d, max_depth=%d, max_subschemas=%d)",
		schema.DefaultMaxBytes, schema.DefaultMaxDepth, schema.DefaultMaxSubschemas))
	fs.StringVar(&f.formats, "formats", "", `how "format" is asserted: lenient (default: internationalized email and host names too), strict (the RFCs' ASCII rules) or annotate (not at all)`)
}

// apply sets in cfg what the flags name, leaving the rest as it is.
func (f *schemaFlags) apply(cfg *schema.Config) error {
	if f.formats != "" {
		l, err := schema.ParseFormatLevel(f.formats)
		if err != nil {
			return fmt.Errorf("--formats: %w", err)
		}
		cfg.Formats = l
	}
	if f.limits == "" {
		return nil
	}
	fields := map[string]*int{schema.LimitMaxBytes: &cfg.MaxBytes, schema.LimitMaxDepth: &cfg.MaxDepth,
		schema.LimitMaxSubschemas: &cfg.MaxSubschemas}
	for _, kv := range strings.Split(f.limits, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		field, ok := fields[k]
		if !ok {
			return fmt.Errorf("--schema-limits: %q: want max_bytes=N, max_depth=N or max_subschemas=N, comma-separated", kv)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("--schema-limits: %s=%q is not a whole number (-1 for no limit)", k, v)
		}
		*field = n
	}
	return nil
}

// config returns the schema.Config the flags select.
func (f *schemaFlags) config() (schema.Config, error) {
	var cfg schema.Config
	err := f.apply(&cfg)
	return cfg, err
}

// load compiles a schema file as the flags say; "" gives the free-form
// schema.
func (f *schemaFlags) load(path string) (*schema.Schema, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	return loadSchemaWith(path, cfg)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// extractionCode is the exit code of a failed extraction: 130 when the
// user interrupted it, 1 when the library refused to start it, 3 when it
// ran and got no valid answer.
func extractionCode(ctx context.Context, err error) int {
	switch {
	case ctx.Err() != nil:
		return codeInterrupted
	case errors.Is(err, reask.ErrInvalidInput):
		return codeError
	}
	return codeFailed
}

// explain turns a failed extraction into one paragraph for a person.
func explain(err error, rep *reask.Report) string {
	var b strings.Builder
	var ee *reask.ExhaustedError
	var pe *reask.ProviderError
	switch {
	case errors.As(err, &ee):
		if errors.Is(err, reask.ErrInsisted) {
			fmt.Fprintf(&b, "the model insists: it gave the same invalid answer again after sharper feedback twice, so reask stopped after %d attempt(s) and %d call(s), %d attempt(s) unspent; the last answer failed (%s)",
				rep.Attempts, rep.Calls, rep.AttemptsSaved, ee.LastKind)
		} else {
			fmt.Fprintf(&b, "no valid answer after %d attempt(s) and %d call(s); the last answer failed (%s)", rep.Attempts, rep.Calls, ee.LastKind)
		}
		if len(ee.Violations) > 0 {
			lines := make([]string, len(ee.Violations))
			for i, v := range ee.Violations {
				lines[i] = v.String()
			}
			b.WriteString(": " + strings.Join(lines, "; "))
		} else if ee.Err != nil {
			b.WriteString(": " + ee.Err.Error())
		}
	case errors.As(err, &pe):
		fmt.Fprintf(&b, "the provider refused the request: %s", pe.Error())
	default:
		b.WriteString(err.Error())
	}
	if rep != nil && rep.Calls > 0 {
		fmt.Fprintf(&b, " (tokens spent: %d, wasted: %d; %s)", rep.Usage.TotalTokens, rep.WastedTokens, costText(rep))
	}
	return b.String()
}
