package dataset

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// BrokenAnswer is an answer a model might give, broken on purpose, with
// the answer a repair should recover.
type BrokenAnswer struct {
	ID     string `json:"id"`
	Schema string `json:"schema"`
	// Fault names the faults applied, joined with "+" ("fence+trailing_comma").
	Fault string `json:"fault"`
	// Text is the broken answer.
	Text string `json:"text"`
	// Want is the gold answer.
	Want json.RawMessage `json:"want"`
	// Recoverable is false when the text lost information (truncation):
	// no repair can give Want back.
	Recoverable bool `json:"recoverable"`
}

// repairable are the faults a local repair can undo with the schema in
// hand (fault.Kind.Repairable), in the order they are drawn; mixable are
// those but truncation, which loses data and is never mixed with others.
var repairable, mixable = func() (all, mix []fault.Kind) {
	for _, k := range fault.Kinds() {
		if k.Repairable() {
			all = append(all, k)
			if k != fault.Truncated {
				mix = append(mix, k)
			}
		}
	}
	return all, mix
}()

// BrokenAnswers returns n broken answers built from the data set's gold
// answers (generated from seed): two in three carry one fault, cycling
// through the kinds, the others two or three at once. Answers are written
// pretty-printed, as models do in JSON mode, or compact.
func BrokenAnswers(n int, seed int64) []BrokenAnswer {
	if n < 0 {
		n = 0
	}
	items := Generate(n, seed)
	parsed := map[string]*extract.Schema{}
	for name, raw := range schemas {
		s, err := extract.ParseSchema([]byte(raw))
		if err != nil {
			panic(fmt.Sprintf("dataset: schema %s: %v", name, err)) // the schemas are constants
		}
		parsed[name] = s
	}
	out := make([]BrokenAnswer, 0, n)
	for i, it := range items {
		r := rand.New(rand.NewPCG(uint64(seed)^0xb20c3e, uint64(i)))
		gold, _ := extract.Parse(it.Gold)
		var want []fault.Fault
		if i%3 != 2 {
			want = []fault.Fault{{Kind: repairable[(i/3*2+i%3)%len(repairable)]}}
		} else {
			k := 2 + r.IntN(2)
			for _, j := range r.Perm(len(mixable))[:k] {
				want = append(want, fault.Fault{Kind: mixable[j]})
			}
		}
		opt := fault.Options{Wrappers: true}
		if r.IntN(2) == 0 {
			opt.Indent = "  "
		}
		a := fault.Render(gold, parsed[it.Schema], want, opt, r)
		names := make([]string, 0, len(a.Faults))
		for _, f := range a.Faults {
			names = append(names, string(f.Kind))
		}
		if len(names) == 0 {
			continue // nothing applied (no enum to miscase, ...)
		}
		out = append(out, BrokenAnswer{
			ID:          fmt.Sprintf("broken-%05d", i),
			Schema:      it.Schema,
			Fault:       strings.Join(names, "+"),
			Text:        a.Text,
			Want:        it.Gold,
			Recoverable: !a.Truncated,
		})
	}
	return out
}
