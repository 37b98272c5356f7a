package extract

import (
	"strings"
)

// Boolean fields: a labelled yes or no, the phrases a field's keyword
// has, then the keyword itself unless negated.

func (x *extractor) boolean(name string, kws []string, sc scope) (any, bool) {
	d := x.d
	if sc.from >= sc.to || sc.from >= len(d.toks) {
		return false, false
	}
	lower := strings.ToLower(d.text[d.toks[sc.from].start:])
	if from, to, ok := x.label(kws, sc); ok {
		switch v := strings.ToLower(d.text[d.toks[from].start:d.toks[to-1].end]); {
		case yesValues[v]:
			return true, true
		case noValues[v]:
			return false, true
		}
	}
	for _, kw := range kws {
		key := kw
		if k, ok := boolAliases[kw]; ok {
			key = k
		}
		ph, ok := boolPhrases[key]
		if !ok {
			continue
		}
		for _, no := range ph.no {
			if wordIndex(lower, no) >= 0 {
				return false, true
			}
		}
		for _, yes := range ph.yes {
			if wordIndex(lower, yes) >= 0 {
				return true, true
			}
		}
	}
	// the keyword itself, unless negated
	for i := sc.from; i < sc.to; i++ {
		t := d.toks[i]
		hit := false
		for _, kw := range kws {
			if len(kw) >= 3 && (t.lower == kw || strings.HasPrefix(t.lower, kw) && len(t.lower) <= len(kw)+3) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		for j := i - 1; j >= sc.from && j >= i-3; j-- {
			if negations[d.toks[j].lower] || strings.HasSuffix(d.toks[j].lower, "n't") {
				return false, true
			}
		}
		return true, true
	}
	return false, true
}
