package extract

import (
	"strings"
)

// Enum fields: sentiment and currency by their meaning, else the value a
// label gives or the text first mentions.

func (x *extractor) enum(name string, s *Schema, c concept, kws []string, sc scope) (any, bool) {
	strs := make([]string, 0, len(s.Enum))
	for _, e := range s.Enum {
		str, _ := e.(string)
		strs = append(strs, str)
	}
	pick := func(want string) (any, bool) {
		for i, e := range strs {
			if strings.EqualFold(e, want) {
				return s.Enum[i], true
			}
		}
		return nil, false
	}
	if c == cSentiment || isSentimentEnum(strs) {
		if v, ok := pick(x.sentiment()); ok {
			return v, true
		}
	}
	if c == cCurrency || isCurrencyEnum(strs) {
		if code, ok := x.currencyCode(sc); ok {
			if v, ok := pick(code); ok {
				return v, true
			}
		}
	}
	if from, to, ok := x.label(kws, sc); ok {
		lv := strings.ToLower(x.d.text[x.d.toks[from].start:x.d.toks[to-1].end])
		for i, e := range strs {
			if e != "" && strings.Contains(lv, strings.ToLower(e)) {
				return s.Enum[i], true
			}
		}
	}
	// the first value the text mentions
	bestAt, best := len(x.d.text)+1, -1
	lower := strings.ToLower(x.d.text)
	for i, e := range strs {
		if e == "" {
			continue
		}
		for _, form := range []string{strings.ToLower(e), strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(e))} {
			if at := wordIndex(lower, form); at >= 0 && at < bestAt {
				bestAt, best = at, i
			}
		}
	}
	if best >= 0 {
		return s.Enum[best], true
	}
	for i, e := range strs {
		if fallbackValues[strings.ToLower(e)] {
			return s.Enum[i], true
		}
	}
	return nil, false
}

// wordIndex finds w in s as whole words.
func wordIndex(s, w string) int {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(w)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			return i
		}
		off = i + 1
	}
	return -1
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isDigit(b) || b == '_'
}

func isSentimentEnum(vals []string) bool {
	n := 0
	for _, v := range vals {
		if sentimentValues[strings.ToLower(v)] {
			n++
		}
	}
	return n >= 2
}

func isCurrencyEnum(vals []string) bool {
	n := 0
	for _, v := range vals {
		if len(v) == 3 && strings.ToUpper(v) == v {
			n++
		}
	}
	return n == len(vals) && n > 0
}

func (x *extractor) currencyCode(sc scope) (string, bool) {
	d := x.d
	for i := sc.from; i < sc.to; i++ {
		if d.toks[i].kind != kNum {
			continue
		}
		if code, ok := currencySigns[d.currency(i)]; ok {
			return code, true
		}
	}
	for i := sc.from; i < sc.to; i++ {
		if code, ok := currencyNames[d.toks[i].lower]; ok {
			return code, true
		}
	}
	return "", false
}

// sentiment reads a stated rating first (4 or 5 of 5 is positive, 1 or 2
// negative), then counts opinion words.
func (x *extractor) sentiment() string {
	if r, ok := x.rating(x.whole()); ok {
		switch {
		case r >= 4:
			return "positive"
		case r <= 2:
			return "negative"
		default:
			return "neutral"
		}
	}
	d := x.d
	score, neutral := 0, 0
	for i, t := range d.toks {
		negated := i > 0 && negations[d.toks[i-1].lower] || i > 1 && negations[d.toks[i-2].lower]
		switch {
		case positiveWords[t.lower]:
			if negated {
				score--
			} else {
				score++
			}
		case negativeWords[t.lower]:
			if negated {
				score++
			} else {
				score--
			}
		case neutralWords[t.lower]:
			neutral++
		}
	}
	switch {
	case score > neutral:
		return "positive"
	case score < -neutral:
		return "negative"
	}
	return "neutral"
}
