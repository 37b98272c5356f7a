package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/sim/dataset"
)

// repairOutcome is what a repairer made of one broken answer.
type repairOutcome int

const (
	rightValue repairOutcome = iota // the gold answer, as a value
	wrongValue                      // a value, but not the gold answer
	refused                         // an error
)

// repairBench compares npm jsonrepair with reask's repair on the
// simulator's corpus of broken answers, as values against the gold answers:
// jsonrepair and reask without a schema repair syntax only; reask with the
// item's schema also coerces values ("37" → 37, "Positive" → "positive").
// A truncated answer has lost data: refusing it is the right outcome there.
func repairBench(out io.Writer, o options) error {
	corpus := dataset.BrokenAnswers(o.repairN, o.seed)
	dir, err := os.MkdirTemp("", "reask-repair-corpus-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	corpusFile := filepath.Join(dir, "broken.jsonl")
	var b strings.Builder
	for _, c := range corpus {
		line, err := json.Marshal(c)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(corpusFile, []byte(b.String()), 0o644); err != nil {
		return err
	}

	schemas := map[string]*schema.Schema{}
	for name, doc := range dataset.Schemas() {
		s, err := schema.CompileNamed(name, doc)
		if err != nil {
			return err
		}
		schemas[name] = s
	}
	type row struct {
		name     string
		outcomes map[string]repairOutcome
		skipped  string
	}
	classify := func(c dataset.BrokenAnswer, doc []byte, err error) repairOutcome {
		switch {
		case err != nil:
			return refused
		case sameJSON(doc, c.Want):
			return rightValue
		default:
			return wrongValue
		}
	}
	noSchema := row{name: "reask repair.Repair, no schema (syntax only)", outcomes: map[string]repairOutcome{}}
	withSchema := row{name: "reask repair.Parse with the schema (syntax and coercion)", outcomes: map[string]repairOutcome{}}
	for _, c := range corpus {
		doc, _, err := repair.Repair([]byte(c.Text), repair.Options{})
		noSchema.outcomes[c.ID] = classify(c, doc, err)
		res, err := repair.Parse([]byte(c.Text), repair.Options{Schema: schemas[c.Schema]})
		var j []byte
		if err == nil {
			j = res.JSON
		}
		withSchema.outcomes[c.ID] = classify(c, j, err)
	}
	js := row{name: "npm jsonrepair (syntax only)", outcomes: map[string]repairOutcome{}}
	if o.noNode != "" {
		js.skipped = o.noNode
	} else {
		outFile := filepath.Join(dir, "jsonrepair.jsonl")
		cmd := exec.Command(o.node, filepath.Join(o.peersDir, "repair.mjs"), corpusFile, outFile)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("repair.mjs: %w", err)
		}
		data, err := os.ReadFile(outFile)
		if err != nil {
			return err
		}
		byID := map[string]dataset.BrokenAnswer{}
		for _, c := range corpus {
			byID[c.ID] = c
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r struct{ ID, JSON, Error string }
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return fmt.Errorf("repair.mjs: unreadable line %q: %w", tail(line, 200), err)
			}
			var rerr error
			if r.Error != "" {
				rerr = errors.New(r.Error)
			}
			js.outcomes[r.ID] = classify(byID[r.ID], []byte(r.JSON), rerr)
		}
	}
	rows := []row{js, noSchema, withSchema}

	// Groups: answers broken in syntax only, answers with a schema fault
	// (possibly with syntax faults too), and truncated answers.
	schemaFaults := []string{"missing_field", "null_field", "number_as_string", "number_as_words", "enum_case", "extra_field", "nested_missing"}
	group := func(c dataset.BrokenAnswer) string {
		if !c.Recoverable {
			return "truncated (data lost)"
		}
		for _, k := range strings.Split(c.Fault, "+") {
			if slices.Contains(schemaFaults, k) {
				return "schema faults (± syntax)"
			}
		}
		return "syntax faults only"
	}
	groups := []string{"syntax faults only", "schema faults (± syntax)", "truncated (data lost)"}
	count := map[string]int{}
	for _, c := range corpus {
		count[group(c)]++
	}
	fmt.Fprintf(out, "\n### Repair: %d broken answers from sim/dataset.BrokenAnswers (seed %d), compared as values with the gold answers\n\n", len(corpus), o.seed)
	fmt.Fprintln(out, "Each cell: right value / wrong value / refused (error). For truncated answers the right outcome is a refusal: the data is gone, and a repaired-looking document is a wrong answer that passes for a good one.")
	fmt.Fprintln(out)
	head, rule := "| repairer |", "|---|"
	for _, g := range groups {
		head += fmt.Sprintf(" %s (%d) |", g, count[g])
		rule += "---:|"
	}
	fmt.Fprintln(out, head+" all: right outcome |")
	fmt.Fprintln(out, rule+"---:|")
	for _, r := range rows {
		if r.skipped != "" {
			fmt.Fprintf(out, "| %s | skipped: %s |%s\n", r.name, r.skipped, strings.Repeat(" |", len(groups)))
			continue
		}
		line := "| " + r.name + " |"
		right := 0
		for _, g := range groups {
			var n [3]int
			for _, c := range corpus {
				if group(c) == g {
					n[r.outcomes[c.ID]]++
				}
			}
			line += fmt.Sprintf(" %d / %d / %d |", n[rightValue], n[wrongValue], n[refused])
			if g == "truncated (data lost)" {
				right += n[refused]
			} else {
				right += n[rightValue]
			}
		}
		fmt.Fprintf(out, "%s %d/%d (%.1f%%) |\n", line, right, len(corpus), 100*float64(right)/float64(len(corpus)))
	}

	// By fault kind, for the answers with a single fault.
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Answers with a single fault, by kind (right values; for truncated, refusals):")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| fault | answers | npm jsonrepair | reask, no schema | reask, with schema |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|")
	var kinds []string
	for _, c := range corpus {
		if !strings.Contains(c.Fault, "+") && !slices.Contains(kinds, c.Fault) {
			kinds = append(kinds, c.Fault)
		}
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		line := fmt.Sprintf("| %s |", k)
		total := 0
		for _, c := range corpus {
			if c.Fault == k {
				total++
			}
		}
		line += fmt.Sprintf(" %d |", total)
		for _, r := range rows {
			if r.skipped != "" {
				line += " skipped |"
				continue
			}
			right := 0
			for _, c := range corpus {
				if c.Fault != k {
					continue
				}
				if (c.Recoverable && r.outcomes[c.ID] == rightValue) || (!c.Recoverable && r.outcomes[c.ID] == refused) {
					right++
				}
			}
			line += fmt.Sprintf(" %d |", right)
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
