package extract

import (
	"math"
	"strconv"
	"strings"
)

// Number fields: ages, ratings, a labelled number, the number nearest
// its keyword, and money.

func (x *extractor) num(name string, s *Schema, c concept, kws []string, sc scope) (float64, bool) {
	d := x.d
	if sc.item != nil {
		switch c {
		case cQuantity:
			if sc.item.qty > 0 {
				return float64(sc.item.qty), true
			}
			return 1, true
		case cMoney:
			w := nameWords(name)
			if has(w, "total", "subtotal", "amount", "line") && !has(w, "unit") {
				return round2(sc.item.unit * float64(max(sc.item.qty, 1))), sc.item.hasUnit
			}
			return sc.item.unit, sc.item.hasUnit
		}
	}
	switch c {
	case cAge:
		if v, ok := x.age(sc); ok {
			return v, true
		}
	case cRating:
		if v, ok := x.rating(sc); ok {
			if x.ratingScale == 10 && s.HasMaximum && s.Maximum <= 5 {
				v /= 2 // "9/10" on a five-star field
			}
			return v, true
		}
	}
	hasNumber := func(from, to int) bool {
		for i := from; i < to; i++ {
			if _, ok := d.number(i); ok && !d.toks[i].claimed {
				return true
			}
		}
		return false
	}
	if from, to, ok := x.labelWhere(kws, sc, hasNumber); ok {
		for i := from; i < to; i++ {
			if v, ok := d.number(i); ok && !d.toks[i].claimed {
				return v, true
			}
		}
	}
	money := c == cMoney
	best, bestDist := 0.0, 1000
	for i := sc.from; i < sc.to; i++ {
		t := d.toks[i]
		if !has(kws, t.lower) {
			continue
		}
		// after the keyword
		for j, dist := i+1, 0; j < sc.to && dist < 6; j++ {
			if d.toks[j].sent != t.sent && d.toks[j].kind != kPunct {
				break
			}
			if v, ok := d.number(j); ok && !d.toks[j].claimed && (!money || d.currency(j) != "" || dist <= 1) && !x.inItems(j) {
				if dist < bestDist {
					best, bestDist = v, dist
				}
				break
			}
			if d.toks[j].kind != kPunct {
				dist++
			}
		}
		// before it: "5 stars", "$45 total"
		for j, dist := i-1, 1; j >= sc.from && dist < 4; j-- {
			if d.toks[j].sent != t.sent {
				break
			}
			if v, ok := d.number(j); ok && !d.toks[j].claimed && (!money || d.currency(j) != "") && !x.inItems(j) {
				if dist+1 < bestDist {
					best, bestDist = v, dist+1
				}
				break
			}
			if d.toks[j].kind != kPunct {
				dist++
			}
		}
	}
	if bestDist < 1000 {
		return best, true
	}
	if money {
		if has(kws, "total") || has(kws, "amount") {
			if items := x.lineItems(); len(items) > 0 {
				sum := 0.0
				for _, it := range items {
					sum += it.unit * float64(max(it.qty, 1))
				}
				return round2(sum), true
			}
		}
		// the only amount of money in the text
		var only float64
		n := 0
		for i := sc.from; i < sc.to; i++ {
			if v, ok := d.number(i); ok && d.currency(i) != "" && !x.inItems(i) {
				only = v
				n++
			}
		}
		if n == 1 {
			return only, true
		}
	}
	return 0, false
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// age reads "age 30", "aged 30", "30 years old", "30-year-old", "(45)"
// after a name.
func (x *extractor) age(sc scope) (float64, bool) {
	d := x.d
	ok := func(v float64) bool { return v > 0 && v < 130 && v == math.Trunc(v) }
	for i := sc.from; i < sc.to; i++ {
		t := d.toks[i]
		switch {
		case ageCues[t.lower]:
			for j := i + 1; j < sc.to && j <= i+3; j++ {
				if v, isNum := d.number(j); isNum {
					if ok(v) {
						return v, true
					}
					break
				}
				if !ageFillers[d.toks[j].lower] {
					break
				}
			}
		case copulas[t.lower]:
			// "He is 34." — a bare number after a person and a verb
			if i == sc.from || i+1 >= sc.to {
				continue
			}
			p := d.toks[i-1].lower
			if !(pronouns[p] || d.capitalised(i-1) && !notNames[p]) {
				continue
			}
			if v, isNum := d.number(i + 1); isNum && ok(v) && !d.toks[i+1].claimed &&
				(i+2 >= sc.to || d.toks[i+2].kind == kPunct && d.tok(i+2) != "%" && d.tok(i+2) != "/" || d.toks[i+2].lower == "this" || d.toks[i+2].lower == "and") {
				return v, true
			}
		case t.kind == kNum:
			v, isNum := d.number(i)
			if !isNum || !ok(v) {
				continue
			}
			if i+1 < sc.to {
				n1 := d.toks[i+1].lower
				if yearWords[n1] {
					return v, true
				}
			}
			if d.isPunct(i-1, "(") && d.isPunct(i+1, ")") && i >= 2 && d.capitalised(i-2) {
				return v, true
			}
			if d.isPunct(i-1, ",") && i >= 2 && d.capitalised(i-2) && !notNames[d.toks[i-2].lower] && (i+1 >= sc.to || d.isPunct(i+1, ",") || d.isPunct(i+1, ".")) {
				return v, true
			}
		case t.kind == kCode:
			w := t.lower
			if k := strings.Index(w, "-year"); k > 0 {
				if v, err := strconv.Atoi(w[:k]); err == nil && ok(float64(v)) {
					return float64(v), true
				}
			}
		}
	}
	return 0, false
}

// rating reads "5 stars", "4.5/5", "4 out of 5", "5-star", then the
// weaker "rating: 4" or "rated it 3".
func (x *extractor) rating(sc scope) (float64, bool) {
	d := x.d
	valid := func(v float64) bool { return v >= 0 && v <= 10 }
	for i := sc.from; i < sc.to; i++ {
		t := d.toks[i]
		switch t.kind {
		case kNum:
			w := d.tok(i)
			if k := strings.IndexByte(w, '/'); k > 0 {
				a, err1 := strconv.ParseFloat(w[:k], 64)
				b, err2 := strconv.ParseFloat(w[k+1:], 64)
				if err1 == nil && err2 == nil && (b == 5 || b == 10) && a <= b {
					x.ratingScale = int(b)
					return a, true
				}
				continue
			}
			v, ok := d.number(i)
			if !ok || !valid(v) || t.claimed || i+1 >= sc.to {
				continue
			}
			switch d.toks[i+1].lower {
			case "stars", "star", "-star":
				return v, true
			case "out":
				if i+3 < sc.to && d.toks[i+2].lower == "of" {
					return v, true
				}
			case "/":
				return v, true
			}
		case kCode:
			if k := strings.Index(t.lower, "-star"); k > 0 {
				if v, err := strconv.ParseFloat(t.lower[:k], 64); err == nil && valid(v) {
					return v, true
				}
			}
		case kWord:
			// "four stars", "five out of five"
			if v, ok := smallNumbers[t.lower]; ok && i+1 < sc.to {
				if n := d.toks[i+1].lower; n == "stars" || n == "star" || n == "out" && i+2 < sc.to && d.toks[i+2].lower == "of" {
					return float64(v), true
				}
			}
		}
	}
	// ⭐⭐⭐⭐ or ★★★☆☆
	for i := sc.from; i < sc.to; i++ {
		if !isStar(d.tok(i)) {
			continue
		}
		n := 0
		for ; i < sc.to && (isStar(d.tok(i)) || d.tok(i) == "\ufe0f" || d.tok(i) == "☆"); i++ {
			if isStar(d.tok(i)) {
				n++
			}
		}
		if n <= 10 {
			return float64(n), true
		}
	}
	for i := sc.from; i < sc.to; i++ {
		t := d.toks[i]
		if !ratingCues[t.lower] {
			continue
		}
		for j := i + 1; j < sc.to && j <= i+3; j++ {
			if v, ok := d.number(j); ok {
				if valid(v) && !d.toks[j].claimed {
					return v, true
				}
				break
			}
			if d.toks[j].sent != t.sent {
				break
			}
		}
	}
	return 0, false
}

func isStar(t string) bool { return t == "⭐" || t == "★" }
