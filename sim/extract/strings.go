package extract

import (
	"strings"
)

// String fields: the kinds the document scanner finds (emails, URLs,
// phones, dates, addresses), a "Label: value" the text gives, then
// names and a summary.

func (x *extractor) str(name string, s *Schema, c concept, kws []string, sc scope) (string, bool) {
	d := x.d
	if sc.item != nil {
		switch c {
		case cPerson, cProduct, cTitle, cSummary, cNone, cItems:
			if sc.item.name != "" {
				return sc.item.name, true
			}
		}
	}
	switch c {
	case cEmail:
		for _, i := range d.emails {
			if i >= sc.from && i < sc.to {
				return d.tok(i), true
			}
		}
		return "", false
	case cURL:
		for _, i := range d.urls {
			if i >= sc.from && i < sc.to {
				return d.tok(i), true
			}
		}
		return "", false
	case cPhone:
		for _, p := range d.phones {
			if p.tok >= sc.from && p.tok < sc.to {
				return d.text[p.start:p.end], true
			}
		}
		return "", false
	case cDate:
		if dt, ok := x.nearestDate(kws, sc); ok {
			return formatDate(dt, s).(string), true
		}
		return "", false
	case cAddress:
		if a, ok := x.address(sc); ok {
			return d.text[a.start:a.end], true
		}
		if from, to, ok := x.label(kws, sc); ok {
			return d.text[d.toks[from].start:d.toks[to-1].end], true
		}
		return "", false
	case cStreet, cCity, cState, cZip, cCountry:
		if c == cCity {
			if _, ok := x.address(sc); !ok {
				if from, to, ok := x.labelWhere(kws, sc, func(from, _ int) bool { return d.capitalised(from) && !notPlaces[d.toks[from].lower] }); ok {
					return d.text[d.toks[from].start:d.toks[to-1].end], true
				}
				return x.city(sc)
			}
		}
		if a, ok := x.address(sc); ok {
			switch c {
			case cStreet:
				return a.street, a.street != ""
			case cCity:
				return a.city, a.city != ""
			case cState:
				return a.state, a.state != ""
			case cZip:
				return a.zp, a.zp != ""
			case cCountry:
				if a.state != "" {
					return "USA", true
				}
			}
		}
	case cSentiment:
		return x.sentiment(), true
	case cCurrency:
		return x.currencyCode(sc)
	case cSummary:
		if from, to, ok := x.label(kws, sc); ok {
			return d.text[d.toks[from].start:d.toks[to-1].end], true
		}
		return x.summary(sc), true
	}
	if from, to, ok := x.labelWhere(kws, sc, func(from, to int) bool { return x.labelFits(c, from, to) }); ok {
		v := d.text[d.toks[from].start:d.toks[to-1].end]
		if c == cID {
			v = strings.TrimPrefix(v, "#")
		}
		return v, true
	}
	switch c {
	case cPerson:
		return x.person(sc)
	case cFirstName, cLastName:
		full, ok := x.person(sc)
		if !ok {
			return "", false
		}
		parts := strings.Fields(full)
		if c == cFirstName {
			return parts[0], true
		}
		if len(parts) < 2 {
			return "", false
		}
		return parts[len(parts)-1], true
	case cOrg:
		return x.org(kws, sc)
	case cProduct:
		return x.product(sc)
	case cID:
		return x.id(kws, sc)
	case cTitle:
		return x.title(sc)
	}
	return "", false
}

// label finds "Label: value" where the label holds one of kws, and
// returns the value's tokens [from, to).
func (x *extractor) label(kws []string, sc scope) (int, int, bool) {
	return x.labelWhere(kws, sc, nil)
}

// labelWhere is label, skipping labels whose value fits refuses ("Bill to:
// Jane Doe" is not the bill's number).
func (x *extractor) labelWhere(kws []string, sc scope, fits func(from, to int) bool) (int, int, bool) {
	d := x.d
	for i := sc.from; i < sc.to; i++ {
		if d.toks[i].kind != kPunct || (d.tok(i) != ":" && d.tok(i) != "=") {
			continue
		}
		// the label: up to three words before, on the same line
		matched := false
		for k := i - 1; k >= sc.from && k >= i-3; k-- {
			t := d.toks[k]
			if t.kind != kWord && !(t.kind == kPunct && t.lower == "-") {
				break
			}
			for _, kw := range kws {
				if t.lower == kw || strings.TrimSuffix(t.lower, "s") == kw {
					matched = true
				}
			}
			if t.nl {
				break
			}
		}
		if !matched {
			continue
		}
		from := i + 1
		to := from
		for to < sc.to {
			t := d.toks[to]
			if to > from && (t.nl || t.sent != d.toks[from].sent && d.toks[to-1].kind == kPunct) {
				break
			}
			if t.kind == kPunct && (t.lower == "|" || t.lower == ";" || t.lower == "—" || t.lower == "–" || t.lower == "-" && to > from) {
				break
			}
			if t.kind == kPunct && t.lower == "," && x.labelAhead(to+1, sc) {
				break
			}
			to++
		}
		for to > from && d.toks[to-1].kind == kPunct && strings.Contains(".,;:!?", d.tok(to-1)) {
			to--
		}
		if to > from && from < len(d.toks) && !d.toks[from].nl || to > from && d.toks[from].nl && !strings.Contains(d.text[d.toks[i].end:d.toks[from].start], "\n\n") {
			if fits == nil || fits(from, to) {
				return from, to, true
			}
		}
	}
	return 0, 0, false
}

// labelFits reports whether a label's value can be the concept's: an id
// is one token with a digit, a person's name starts with a capital.
func (x *extractor) labelFits(c concept, from, to int) bool {
	d := x.d
	switch c {
	case cID:
		for from < to && d.toks[from].kind == kPunct && d.tok(from) == "#" {
			from++
		}
		if to-from != 1 || d.toks[from].claimed {
			return false
		}
		return d.toks[from].kind == kCode || d.toks[from].kind == kNum
	case cPerson, cFirstName, cLastName, cOrg:
		return d.capitalised(from) || d.allCaps(from)
	}
	return true
}

// labelAhead reports whether a "Label:" starts at token i.
func (x *extractor) labelAhead(i int, sc scope) bool {
	d := x.d
	for k := i; k < sc.to && k < i+4; k++ {
		if k > i && d.toks[k].nl {
			return false
		}
		if d.toks[k].kind == kPunct {
			return d.tok(k) == ":" && k > i
		}
		if d.toks[k].kind != kWord {
			return false
		}
	}
	return false
}

// summary is the text itself on one line, cut at a sentence end after
// about 200 characters: an honest, deterministic stand-in for a model's
// summary.
func (x *extractor) summary(sc scope) string {
	d := x.d
	if sc.from >= sc.to {
		return ""
	}
	text := strings.Join(strings.Fields(d.text[d.toks[sc.from].start:d.toks[sc.to-1].end]), " ")
	if len(text) <= 200 {
		return text
	}
	cut := strings.LastIndexAny(text[:200], ".!?")
	if cut < 40 {
		return strings.TrimSpace(text[:200])
	}
	return text[:cut+1]
}
