package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
)

// schemaCommand groups the commands about schema files.
func (a *app) schemaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema COMMAND",
		Short: "Show how each provider takes a JSON Schema",
		Long: `Schema shows, before any call, what a provider will and will not enforce of
a JSON Schema file: "reask schema check" prints the schema reask sends it and
the constraints the provider does not take, which reask validates itself.`,
		Example: `  reask schema check --provider openai person.json
  reask schema check --provider gemini --json order.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.schemaCheckCommand())
	return cmd
}

// schemaProviders maps --provider to the dialect its API takes.
var schemaProviders = map[string]dialect.Dialect{
	"openai":        dialect.OpenAI,
	"anthropic":     dialect.Anthropic,
	"gemini":        dialect.GeminiJSONSchema,
	"gemini-legacy": dialect.GeminiSchema,
}

// schemaCheckReport is what --json prints.
type schemaCheckReport struct {
	Provider  string            `json:"provider"`
	Dialect   dialect.Dialect   `json:"dialect"`
	Strict    bool              `json:"strict"`
	Schema    json.RawMessage   `json:"schema"`
	Relaxed   []dialect.Change  `json:"relaxed"`
	Rewritten []dialect.Change  `json:"rewritten"`
	Problems  []dialect.Problem `json:"problems"`
}

func (a *app) schemaCheckCommand() *cobra.Command {
	var provider, strict string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check --provider NAME [flags] FILE|-",
		Short: "Print the schema a provider is sent and what it will not enforce",
		Long: `Check rewrites a JSON Schema (draft 2020-12) as reask sends it to a provider
— the strongest schema the provider's API takes — and says what the rewrite
relaxed: each constraint the provider will not enforce, with its JSON Pointer
and the reason. reask validates every answer against the schema as written,
so those constraints still hold: an answer that breaks one is re-asked with
feedback.

  openai         response_format json_schema and function tools. With
                 --strict auto (the default) strict mode is on when the
                 rewrite qualifies: optional properties become required
                 and nullable (a null answer is read as absent), every
                 object is closed, and what strict mode refuses (string
                 lengths, allOf, not, if/then/else, some formats and
                 patterns) moves into descriptions. A schema strict mode
                 cannot say (a map, a free-form object, a root that is not
                 an object) goes as it is, not strict.
  anthropic      a tool's input_schema; strict tools (auto: when the schema
                 qualifies, on a model with structured outputs) also drop
                 numeric and length bounds and recursion.
  gemini         generationConfig.responseJsonSchema.
  gemini-legacy  generationConfig.responseSchema, the OpenAPI 3.0 subset:
                 references inlined, recursion cut after 3 levels.

The rewritten schema goes to stdout, indented; what was relaxed, restated
and what the provider would still refuse go to stderr. --json prints all of
it as one JSON object instead. The exit status is 1 when the schema does not
compile, when --strict on cannot be met, or when the provider would refuse
the rewrite (the problems say why).`,
		Example: `  reask schema check --provider openai person.json
  reask schema check --provider anthropic --strict off person.json
  reask schema check --provider gemini-legacy --json order.json | jq .relaxed`,
		Args: wantArgs(1, 1, "FILE", "the JSON Schema file to check, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, ok := schemaProviders[provider]
			if !ok {
				return fmt.Errorf("--provider %q: want openai, anthropic, gemini or gemini-legacy", provider)
			}
			mode, err := dialect.ParseStrict(strict)
			if err != nil {
				return fmt.Errorf("--strict: %w", err)
			}
			doc, err := a.readSchemaArg(args[0])
			if err != nil {
				return err
			}
			if _, err := schema.Compile(doc); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			r, err := dialect.Select(doc, d, mode)
			if err != nil {
				return err
			}
			if asJSON {
				rep := schemaCheckReport{Provider: provider, Dialect: r.Dialect, Strict: r.Strict, Schema: r.Schema,
					Relaxed: r.Relaxed, Rewritten: r.Rewritten, Problems: r.Problems}
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
			} else {
				var out bytes.Buffer
				if err := json.Indent(&out, r.Schema, "", "  "); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", out.Bytes())
				a.printSchemaCheck(provider, r)
			}
			if len(r.Problems) > 0 {
				return fmt.Errorf("%s would refuse this schema: %s", provider, r.Problems[0])
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&provider, "provider", "openai", "the provider to check for: openai, anthropic, gemini (responseJsonSchema) or gemini-legacy (responseSchema)")
	fs.StringVar(&strict, "strict", "auto", "strict decoding (openai, anthropic): auto (when the rewrite qualifies), on (fail if it cannot), off")
	fs.BoolVar(&asJSON, "json", false, "print the whole result as one JSON object on stdout")
	return cmd
}

// readSchemaArg reads a schema file, or stdin for "-".
func (a *app) readSchemaArg(path string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, schema.DefaultMaxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// printSchemaCheck writes the summary of a check to stderr.
func (a *app) printSchemaCheck(provider string, r *dialect.Result) {
	w := a.stderr
	mode := "off"
	if r.Strict {
		mode = "on"
	}
	fmt.Fprintf(w, "%s: dialect %s, strict %s\n", provider, r.Dialect, mode)
	section := func(title string, cs []dialect.Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for _, c := range cs {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	if len(r.Relaxed) == 0 {
		fmt.Fprintf(w, "relaxed: nothing; the provider is sent every constraint\n")
	}
	section("relaxed (the provider does not enforce these; reask validates them)", r.Relaxed)
	section("rewritten (the same meaning in the provider's words)", r.Rewritten)
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "problems (the provider would refuse the schema):\n")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}
