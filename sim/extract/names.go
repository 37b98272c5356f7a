package extract

import (
	"strings"
)

// Names of things: people, companies, products, identifiers, places and
// events, found by their shape (capitalised runs, suffixes, cue words).

// person finds a person's name: capitalised words, preferably after a cue
// ("from", "contact", "I'm") and known to be a first name.
func (x *extractor) person(sc scope) (string, bool) {
	best, bestScore := "", -100
	for _, c := range x.personCandidates(sc) {
		if c.score > bestScore {
			best, bestScore = c.name, c.score
		}
	}
	if bestScore < 0 {
		return "", false
	}
	return best, true
}

// persons lists every name the text gives a person, in order.
func (x *extractor) persons(sc scope) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range x.personCandidates(sc) {
		if c.score >= 2 && !seen[c.name] {
			seen[c.name] = true
			out = append(out, c.name)
		}
	}
	return out
}

type personCandidate struct {
	name  string
	score int
}

// personCandidates scores each run of capitalised words as a name.
func (x *extractor) personCandidates(sc scope) []personCandidate {
	d := x.d
	var out []personCandidate
	for i := sc.from; i < sc.to; i++ {
		if !d.capitalised(i) || d.toks[i].claimed {
			continue
		}
		if i > sc.from && d.capitalised(i-1) && !d.toks[i].nl && !notNames[d.toks[i-1].lower] {
			continue // not the start of a run
		}
		// the run
		j := i
		var parts []int
		for j < sc.to && len(parts) < 4 {
			switch {
			case d.capitalised(j) && !d.toks[j].claimed && (!d.toks[j].nl || j == i):
				parts = append(parts, j)
				j++
				if d.isPunct(j, ".") && len(d.tok(j-1)) == 1 && d.adjacent(j-1, j) {
					j++ // an initial
				}
				continue
			case len(parts) > 0 && d.toks[j].kind == kWord && !d.toks[j].nl && nameParticles[d.toks[j].lower]:
				if d.capitalised(j + 1) {
					parts = append(parts, j)
					j++
					continue
				}
			}
			break
		}
		// trim words that are never names
		for len(parts) > 0 && (notNames[d.toks[parts[0]].lower] || d.allCaps(parts[0])) {
			parts = parts[1:]
		}
		for len(parts) > 0 && (notNames[d.toks[parts[len(parts)-1]].lower] || d.allCaps(parts[len(parts)-1])) {
			parts = parts[:len(parts)-1]
		}
		if len(parts) == 0 {
			continue
		}
		for _, p := range parts {
			if notNames[d.toks[p].lower] || d.allCaps(p) {
				parts = nil
				break
			}
		}
		if len(parts) == 0 || len(parts) > 3 {
			continue
		}
		first, last := parts[0], parts[len(parts)-1]
		next := last + 1
		if d.isPunct(next, ".") && len(d.tok(last)) == 1 {
			next++
		}
		if next < len(d.toks) && (orgSuffixes[d.toks[next].lower] || streetSuffixes[d.toks[next].lower] && d.capitalised(next)) {
			continue
		}
		if orgSuffixes[d.toks[last].lower] {
			continue
		}
		score := 0
		if len(parts) >= 2 {
			score += 2
		}
		if firstNames[d.toks[first].lower] {
			score += 2
		}
		prev := first - 1
		if prev >= 0 && !d.toks[first].nl || prev >= 0 && d.toks[prev].kind == kPunct {
			pl := d.toks[prev].lower
			if (d.isPunct(prev, ":") || d.isPunct(prev, ",")) && prev > 0 {
				pl = d.toks[prev-1].lower // "Name: Jo", "Thanks, Jo"
			}
			switch {
			case personCues[pl]:
				score += 3
			case determiners[pl]:
				score -= 4
			}
			if d.toks[prev].kind == kNum || d.toks[prev].kind == kCode {
				score -= 3
			}
		} else {
			score++ // starts the text or a line
		}
		if len(parts) == 1 && !firstNames[d.toks[first].lower] {
			// a lone capitalised word is a name only when the text
			// treats it like one
			nx := d.toks[min(last+1, len(d.toks)-1)].lower
			if !(afterNames[nx] || personCues[d.toks[max(first-1, 0)].lower] && first > 0) {
				score -= 3
			}
		}
		if x.inItems(first) {
			score -= 4
		}
		out = append(out, personCandidate{d.text[d.toks[first].start:d.toks[last].end], score})
		i = j - 1
	}
	return out
}

// org finds a company: capitalised words ending in Inc, Corp, GmbH..., or
// capitalised words after a cue.
func (x *extractor) org(kws []string, sc scope) (string, bool) {
	d := x.d
	for i := sc.from; i < sc.to; i++ {
		if !orgSuffixes[d.toks[i].lower] || !d.capitalised(i) && !d.allCaps(i) {
			continue
		}
		j := i
		for j-1 >= sc.from && (d.capitalised(j-1) || d.toks[j-1].lower == "&" || d.allCaps(j-1)) && !d.toks[j].nl && !notNames[d.toks[j-1].lower] {
			j--
		}
		if j == i {
			continue
		}
		for i+1 < sc.to && orgSuffixes[d.toks[i+1].lower] && (d.capitalised(i+1) || d.allCaps(i+1)) && !d.toks[i+1].nl {
			i++
		}
		return d.text[d.toks[j].start:d.toks[i].end], true
	}
	for i := sc.from; i < sc.to; i++ {
		if !has(kws, d.toks[i].lower) {
			continue
		}
		j := i + 1
		if d.isPunct(j, ":") {
			j++
		}
		k := j
		for k < sc.to && (d.capitalised(k) || d.allCaps(k)) && k-j < 4 {
			k++
		}
		if k > j {
			return d.text[d.toks[j].start:d.toks[k-1].end], true
		}
	}
	return "", false
}

// product finds a product's name: the capitalised run after "this", "the",
// "my" or "review of", else the noun after "this".
func (x *extractor) product(sc scope) (string, bool) {
	d := x.d
	run := func(j int) int {
		k := j
		for k < sc.to && !d.toks[k].nl || k == j && k < sc.to {
			t := d.toks[k]
			switch {
			case d.capitalised(k) && !(k > j && notNames[t.lower] && !d.allCaps(k)):
			case t.kind == kCode:
			case t.kind == kNum && k > j && !strings.ContainsAny(d.tok(k), ",/:.") && !(k+1 < len(d.toks) && ratingUnits[d.toks[k+1].lower]):
			case k > j && t.kind == kWord && hasUpperInside(d.tok(k)):
			case k == j && t.kind == kWord && hasUpperInside(d.tok(k)):
			default:
				return k
			}
			k++
		}
		return k
	}
	for i := sc.from; i < sc.to; i++ {
		if !productCues[d.toks[i].lower] {
			continue
		}
		j := i + 1
		if d.isPunct(j, ":") {
			j++
		}
		if j < sc.to && productArticles[d.toks[j].lower] {
			j++
		}
		if j >= sc.to {
			continue
		}
		k := run(j)
		if k > j && !(k == j+1 && d.allCaps(j) && d.toks[j].kind == kWord) && months[d.toks[j].lower] == 0 && !notNames[d.toks[j].lower] {
			return d.text[d.toks[j].start:d.toks[k-1].end], true
		}
	}
	// "Pixel 8 review"
	for i := sc.from; i < sc.to; i++ {
		if d.toks[i].lower != "review" || i == sc.from {
			continue
		}
		j := i
		for j > sc.from && !d.toks[j].nl && (d.capitalised(j-1) || d.toks[j-1].kind == kCode || d.toks[j-1].kind == kNum && j-1 > sc.from && d.capitalised(j-2)) && !notNames[d.toks[j-1].lower] {
			j--
		}
		if j < i {
			return d.text[d.toks[j].start:d.toks[i-1].end], true
		}
	}
	for i := sc.from; i+1 < sc.to; i++ {
		if pointers[d.toks[i].lower] {
			if t := d.toks[i+1]; t.kind == kWord && !notNouns[t.lower] {
				return d.tok(i + 1), true
			}
		}
	}
	return "", false
}

func hasUpperInside(w string) bool {
	for i, r := range w {
		if i > 0 && r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}

// id finds an identifier after its keyword: "Invoice INV-2024-0042",
// "order #88231", "Bill no. B-7781".
func (x *extractor) id(kws []string, sc scope) (string, bool) {
	d := x.d
	for i := sc.from; i < sc.to; i++ {
		if !has(kws, d.toks[i].lower) && !(d.toks[i].lower == "#" && has(kws, "#")) {
			continue
		}
		for j := i + 1; j < sc.to && j <= i+4; j++ {
			t := d.toks[j]
			switch {
			case t.kind == kCode || t.kind == kNum && !strings.ContainsAny(d.tok(j), ",."):
				if _, isDate := parseNumericDate(d.tok(j)); isDate {
					continue
				}
				return d.tok(j), true
			case t.kind == kPunct && (t.lower == "#" || t.lower == ":" || t.lower == "." || t.lower == "-"):
			case t.kind == kWord && idFillers[t.lower]:
			default:
				j = sc.to
			}
		}
	}
	return "", false
}

// city finds a place written as "in Berlin" when the text has no street
// address.
func (x *extractor) city(sc scope) (string, bool) {
	d := x.d
	for i := sc.from; i+1 < sc.to; i++ {
		if d.toks[i].lower != "in" || !d.capitalised(i+1) || notNames[d.toks[i+1].lower] || months[d.toks[i+1].lower] != 0 {
			continue
		}
		j := i + 1
		for j < sc.to && j < i+3 && d.capitalised(j) && !d.toks[j].nl && !notNames[d.toks[j].lower] {
			j++
		}
		return d.text[d.toks[i+1].start:d.toks[j-1].end], true
	}
	return "", false
}

func (x *extractor) title(sc scope) (string, bool) {
	d := x.d
	for i := sc.from; i+2 < sc.to; i++ {
		if !eventWords[d.toks[i].lower] || !(d.isPunct(i+1, ":") || d.isPunct(i+1, "—") || d.isPunct(i+1, "–")) {
			continue
		}
		j := i + 2
		k := j
		for k < sc.to && !d.toks[k].nl && !(d.toks[k].kind == kPunct && strings.Contains("(—–,.;|", d.tok(k))) {
			k++
		}
		if k > j {
			return d.text[d.toks[j].start:d.toks[k-1].end], true
		}
	}
	// a quoted title
	for i := sc.from; i < sc.to; i++ {
		if d.toks[i].kind == kPunct && (d.tok(i) == "\"" || d.tok(i) == "“") {
			for j := i + 1; j < sc.to && j < i+20; j++ {
				if d.toks[j].kind == kPunct && (d.tok(j) == "\"" || d.tok(j) == "”") && j > i+1 {
					return d.text[d.toks[i+1].start:d.toks[j-1].end], true
				}
			}
		}
	}
	// a short first line that stands alone, as headings do
	if sc.from < sc.to && d.capitalised(sc.from) && !greetings[d.toks[sc.from].lower] {
		end := sc.from + 1
		for end < sc.to && !d.toks[end].nl {
			end++
		}
		if end < sc.to && end-sc.from <= 10 {
			ok := true
			for k := sc.from; k < end; k++ {
				if d.toks[k].kind == kPunct && strings.Contains(":?|@", d.tok(k)) || d.toks[k].kind == kEmail {
					ok = false
				}
			}
			for end > sc.from && d.toks[end-1].kind == kPunct && strings.Contains(".!,", d.tok(end-1)) {
				end--
			}
			if ok && end > sc.from {
				return d.text[d.toks[sc.from].start:d.toks[end-1].end], true
			}
		}
	}
	return "", false
}
