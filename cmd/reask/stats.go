package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/reask/reask/stats"
)

// maxLineErrors is how many unreadable lines stats names; it counts the rest.
const maxLineErrors = 5

func (a *app) statsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [flags] OUT.jsonl",
		Short: "Show the retry dashboard of a batch run",
		Long: `Stats reads the output of "reask batch" (at any time, even while the batch
runs or after a crash) and shows where the retries went: success rate,
attempts histogram, error kinds ranked with an example, repairs ranked,
tokens spent and wasted, their cost in US dollars (spent, wasted, per
successful item; items whose model had no price are counted apart as
"unpriced"), latency percentiles, time spent backing off, 429s,
breaker refusals, strategy switches, and the items stopped early because the
model insisted on invalid values (with the attempts that saved and the fields).

Each line of OUT.jsonl must be a record as batch writes it: a JSON object
with "id" and "ok". Lines that are not (a line cut short by a crash) are
named on stderr and skipped; a file with no record at all — not batch
output, such as a batch's input — is an error (exit 1).`,
		Example: `  reask stats results.jsonl
  reask stats --json results.jsonl > stats.json`,
		Args: wantArgs(1, 1, "OUT.jsonl", `the output file of "reask batch" to summarise`),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			sum, lineErrs, err := stats.Read(f, maxLineErrors)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			for _, le := range lineErrs {
				fmt.Fprintf(a.stderr, "reask: %s: %v (skipped)\n", args[0], le)
			}
			if more := sum.InvalidLines - len(lineErrs); more > 0 {
				fmt.Fprintf(a.stderr, "reask: %s: %d more line(s) that are not records (skipped)\n", args[0], more)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(sum)
			}
			_, err = fmt.Fprint(a.stdout, sum.Table())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write the statistics as JSON")
	return cmd
}
