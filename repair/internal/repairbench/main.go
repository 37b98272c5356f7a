// Command repairbench writes the benchmark inputs of package repair and
// measures it on them, for the side-by-side comparison with npm jsonrepair
// in bench/repair (run.sh there calls it; run it from the module root).
//
//	go run ./repair/internal/repairbench -write DIR
//	go run ./repair/internal/repairbench -measure DIR [-runs 5] [-corpora ../shared/corpora]
//
// -write puts valid-SIZE.json, broken-SIZE.txt and broken-noprose-SIZE.txt
// in DIR for SIZE 10KB, 100KB and 1MB. -measure prints JSON: the median
// throughput of repair.Repair on each file in MB/s (1 MB = 10^6 bytes, as
// Go's benchmarks count), the corpus pass counts, and each corpus case's
// outcome.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/repair/internal/benchgen"
	"github.com/reask/reask/repair/internal/corpus"
)

var sizes = []struct {
	name string
	size int
}{{"10KB", 10 << 10}, {"100KB", 100 << 10}, {"1MB", 1 << 20}}

func main() {
	write := flag.String("write", "", "write the inputs to this directory")
	measure := flag.String("measure", "", "measure repair on the inputs in this directory")
	runs := flag.Int("runs", 5, "runs per input; the median is reported")
	minTime := flag.Duration("min-time", 200*time.Millisecond, "the least time one run repeats repair for")
	corpora := flag.String("corpora", "../shared/corpora", "the conformance corpora")
	flag.Parse()
	var err error
	switch {
	case *write != "":
		err = writeInputs(*write)
	case *measure != "":
		err = measureAll(*measure, *runs, *minTime, *corpora)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "repairbench:", err)
		os.Exit(1)
	}
}

func writeInputs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range sizes {
		files := map[string][]byte{
			"valid-" + s.name + ".json":         benchgen.Valid(s.size),
			"broken-" + s.name + ".txt":         benchgen.Broken(s.size),
			"broken-noprose-" + s.name + ".txt": benchgen.BrokenNoProse(s.size),
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

type outcome struct {
	JSON  string `json:"json,omitempty"`
	Error string `json:"error,omitempty"`
}

type report struct {
	Repaired   map[string]string       `json:"repaired"` // the repaired JSON of each broken input
	Throughput map[string]float64      `json:"throughput_mbps"`
	Corpus     map[string]corpus.Tally `json:"corpus"`
	Outcomes   map[string]outcome      `json:"outcomes"`
	Go         string                  `json:"go"`
}

func measureAll(dir string, runs int, minTime time.Duration, corpora string) error {
	r := report{Repaired: map[string]string{}, Throughput: map[string]float64{}, Corpus: map[string]corpus.Tally{}, Outcomes: map[string]outcome{}}
	for _, s := range sizes {
		for _, name := range []string{"valid-" + s.name + ".json", "broken-" + s.name + ".txt", "broken-noprose-" + s.name + ".txt"} {
			in, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			out, _, err := repair.Repair(in, repair.Options{})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if name[0] == 'b' {
				r.Repaired[name] = string(out)
			}
			r.Throughput[name] = median(runs, func() float64 { return throughput(in, minTime) })
		}
	}
	for _, f := range corpus.Files {
		cases, err := corpus.Load(filepath.Join(corpora, f))
		if err != nil {
			return err
		}
		t := corpus.Tally{Cases: len(cases)}
		for _, c := range cases {
			res, err := repair.Parse([]byte(c.Input), repair.Options{})
			var v any
			if err != nil {
				r.Outcomes[c.ID] = outcome{Error: err.Error()}
			} else {
				v = res.Value
				r.Outcomes[c.ID] = outcome{JSON: string(res.JSON)}
			}
			if c.Check(v, err) == "" {
				t.Passed++
			}
		}
		r.Corpus[corpus.Name(f)] = t
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// throughput repeats repair on in for at least minTime and returns MB/s.
func throughput(in []byte, minTime time.Duration) float64 {
	n := 0
	start := time.Now()
	for {
		repair.Repair(in, repair.Options{})
		n++
		if el := time.Since(start); el >= minTime {
			return float64(len(in)) * float64(n) / el.Seconds() / 1e6
		}
	}
}

func median(runs int, f func() float64) float64 {
	xs := make([]float64, max(runs, 1))
	for i := range xs {
		xs[i] = f()
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}
