package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// freeFormSchema is used when extract gets no --schema: any JSON object.
const freeFormSchema = `{"type":"object","title":"result"}`

func (a *app) extractCommand() *cobra.Command {
	var pf providerFlags
	var schemaFile, reportFile string
	var maxInput int64
	cmd := &cobra.Command{
		Use:   "extract [flags] TEXT|-",
		Short: "Extract one text into JSON valid against a schema",
		Long: `Extract asks the model for JSON valid against --schema, repairs what it can
locally, re-asks with field-level feedback for the rest, and prints the JSON
object on stdout (exit 0). On failure it prints the reason on stderr (exit 1).
TEXT "-" reads the text from stdin. Without --schema any JSON object is accepted.`,
		Example: `  reask extract --schema person.json "Contact John Doe, age 30, at john@email.com"
  cat review.txt | reask extract --schema review.json --mode tools --report report.json -
  OPENAI_BASE_URL=http://localhost:11434/v1 reask extract --model llama3.1 --schema person.json "Sarah, age 25"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := pf.options()
			if err != nil {
				return err
			}
			sch, err := loadSchema(schemaFile)
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
			client := reask.New(p.Provider, opts...)
			doc, rep, runErr := client.ExtractJSON(cmd.Context(), sch, text)
			if reportFile != "" {
				if err := writeJSONFile(reportFile, rep); err != nil {
					return fmt.Errorf("--report: %w", err)
				}
			}
			if runErr != nil {
				return errors.New(explain(runErr, rep))
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
	pf.register(cmd, "clean")
	cmd.Flags().StringVar(&schemaFile, "schema", "", "JSON Schema file the answer must satisfy (default: any JSON object)")
	cmd.Flags().Int64Var(&maxInput, "max-input-bytes", 16<<20, "largest text read from stdin")
	cmd.Flags().StringVar(&reportFile, "report", "", "write the extraction report (attempts, calls, repairs, tokens) as JSON to this file")
	return cmd
}

// loadSchema reads and compiles a schema file; "" gives the free-form schema.
func loadSchema(path string) (*schema.Schema, error) {
	if path == "" {
		return schema.Compile([]byte(freeFormSchema))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--schema: %w", err)
	}
	s, err := schema.Compile(b)
	if err != nil {
		return nil, fmt.Errorf("--schema %s: %w", path, err)
	}
	return s, nil
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// explain turns a failed extraction into one paragraph for a person.
func explain(err error, rep *reask.Report) string {
	var b strings.Builder
	var ee *reask.ExhaustedError
	var pe *reask.ProviderError
	switch {
	case errors.As(err, &ee):
		if errors.Is(err, reask.ErrInsisted) {
			fmt.Fprintf(&b, "the model insists: it gave the same invalid answer again after sharper feedback, so reask stopped after %d attempt(s) and %d call(s), %d attempt(s) unspent; the last answer failed (%s)",
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
		fmt.Fprintf(&b, " (tokens spent: %d, wasted: %d)", rep.Usage.TotalTokens, rep.WastedTokens)
	}
	return b.String()
}
