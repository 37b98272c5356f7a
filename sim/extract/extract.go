package extract

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxNesting bounds how deep the extractor follows a recursive schema.
const maxNesting = 8

// Extract answers schema s from text. The answer always has the schema's
// shape: required members are present, typed as the schema says; a member
// the text says nothing about gets null when the schema allows it, its
// default, or an empty value of its type.
func Extract(s *Schema, text string) any {
	x := extractor{d: newDoc(text)}
	return x.value("", s, x.whole(), 0)
}

type scope struct {
	from, to int // token range
	segment  bool
	item     *lineItem
}

type extractor struct {
	d           *doc
	ratingScale int // the scale of the last rating read, when the text gives one ("/10")
}

func (x *extractor) whole() scope { return scope{0, len(x.d.toks), false, nil} }

func (x *extractor) value(name string, s *Schema, sc scope, depth int) any {
	v, ok := x.field(name, s, sc, depth, nil)
	if !ok {
		return defaultFor(s, 0)
	}
	return v
}

// defaultFor is what a model writes for a field the text says nothing
// about.
func defaultFor(s *Schema, depth int) any {
	if s == nil {
		return nil
	}
	if s.HasDefault {
		return Clone(s.Default)
	}
	if s.Nullable {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.Type {
	case "string":
		return ""
	case "integer":
		if s.HasMinimum && s.Minimum > 0 {
			return Int(int64(math.Ceil(s.Minimum)))
		}
		return Int(0)
	case "number":
		if s.HasMinimum && s.Minimum > 0 {
			return Float(s.Minimum)
		}
		return Float(0)
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		o := &Object{}
		if depth > maxNesting {
			return o
		}
		for _, p := range s.Properties {
			if p.Required {
				o.Set(p.Name, defaultFor(p.Schema, depth+1))
			}
		}
		return o
	}
	return nil
}

// field extracts one value; ok is false when the text says nothing.
func (x *extractor) field(name string, s *Schema, sc scope, depth int, kws []string) (any, bool) {
	if s == nil || depth > maxNesting {
		return nil, false
	}
	c := conceptOf(name, s)
	if kws == nil {
		kws = keywords(name, c)
	}
	if len(s.Enum) > 0 {
		return x.enum(name, s, c, kws, sc)
	}
	switch s.Type {
	case "object":
		return x.object(name, s, sc, depth), true
	case "array":
		return x.array(name, s, c, sc, depth)
	case "string", "":
		str, ok := x.str(name, s, c, kws, sc)
		if !ok {
			return nil, false
		}
		return str, true
	case "integer", "number":
		f, ok := x.num(name, s, c, kws, sc)
		if !ok {
			return nil, false
		}
		if s.Type == "integer" {
			return Int(int64(math.Round(f))), true
		}
		return Float(f), true
	case "boolean":
		return x.boolean(name, kws, sc)
	case "null":
		return nil, true
	}
	return nil, false
}

func (x *extractor) object(name string, s *Schema, sc scope, depth int) *Object {
	o, _ := x.objectFound(name, s, sc, depth)
	return o
}

// objectFound extracts an object and counts the members the text gave.
func (x *extractor) objectFound(name string, s *Schema, sc scope, depth int) (*Object, int) {
	if x.addressLike(name, s) {
		if a, ok := x.address(sc); ok {
			return x.addressObject(s, a), len(s.Properties)
		}
	}
	found := 0
	// the words siblings share do not tell them apart: issue_date and
	// due_date are found by "issue" and "due", not by "date".
	// Only siblings of one concept compete for a word: "due" finds both
	// amount_due's money and due_date's date.
	count := map[string]int{}
	for _, p := range s.Properties {
		seen := map[string]bool{}
		c := conceptOf(p.Name, p.Schema)
		for _, w := range keywords(p.Name, c) {
			if !seen[w] {
				seen[w] = true
				count[strconv.Itoa(int(c))+w]++
			}
		}
	}
	o := &Object{Keys: make([]string, 0, len(s.Properties)), Values: make([]any, 0, len(s.Properties))}
	dates := x.assignDates(s, sc, count)
	for _, p := range s.Properties {
		c := conceptOf(p.Name, p.Schema)
		kws := keywords(p.Name, c)
		distinct := kws[:0:0]
		for _, w := range kws {
			if count[strconv.Itoa(int(c))+w] < 2 {
				distinct = append(distinct, w)
			}
		}
		if len(distinct) > 0 {
			kws = distinct
		}
		var v any
		var ok bool
		if dt, isDate := dates[p.Name]; isDate {
			v, ok = formatDate(dt, p.Schema), !dt.IsZero()
		} else {
			v, ok = x.field(p.Name, p.Schema, sc, depth+1, kws)
		}
		if ok {
			found++
		} else {
			switch {
			case p.Schema.Nullable:
				v = nil
			case p.Required:
				v = defaultFor(p.Schema, depth+1)
			default:
				continue
			}
		}
		o.Keys = append(o.Keys, p.Name)
		o.Values = append(o.Values, v)
	}
	return o, found
}

func (x *extractor) addressLike(name string, s *Schema) bool {
	if conceptOf(name, s) == cAddress {
		return true
	}
	n := 0
	for _, p := range s.Properties {
		switch conceptOf(p.Name, p.Schema) {
		case cStreet, cCity, cState, cZip:
			n++
		}
	}
	return n >= 2
}

func (x *extractor) address(sc scope) (address, bool) {
	for _, a := range x.d.addrs {
		if a.tok >= sc.from && a.tok < sc.to {
			return a, true
		}
	}
	return address{}, false
}

func (x *extractor) addressObject(s *Schema, a address) *Object {
	o := &Object{}
	for _, p := range s.Properties {
		var v any
		switch conceptOf(p.Name, p.Schema) {
		case cStreet:
			v = a.street
		case cCity:
			v = a.city
		case cState:
			v = a.state
		case cZip:
			v = a.zp
		case cCountry:
			if a.state != "" {
				v = "USA"
			} else {
				v = ""
			}
		case cAddress:
			v = x.d.text[a.start:a.end]
		default:
			if !p.Required {
				continue
			}
			v = defaultFor(p.Schema, 0)
		}
		if str, _ := v.(string); str == "" && p.Schema.Nullable {
			v = nil
		}
		if p.Schema.Type != "string" && p.Schema.Type != "" {
			if str, isStr := v.(string); isStr {
				if p.Schema.Type == "integer" || p.Schema.Type == "number" {
					if n, err := strconv.Atoi(str); err == nil {
						v = Int(int64(n))
					} else {
						v = defaultFor(p.Schema, 0)
					}
				}
			}
		}
		o.Set(p.Name, v)
	}
	return o
}

// ---- strings ----

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
			case len(parts) > 0 && d.toks[j].kind == kWord && !d.toks[j].nl && (d.toks[j].lower == "van" || d.toks[j].lower == "de" || d.toks[j].lower == "von" || d.toks[j].lower == "der" || d.toks[j].lower == "da" || d.toks[j].lower == "del"):
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
			case pl == "the" || pl == "this" || pl == "my" || pl == "a" || pl == "an" || pl == "our" || pl == "your":
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
			if !(nx == "is" || nx == "," || nx == "(" || nx == "was" || nx == "'s" || personCues[d.toks[max(first-1, 0)].lower] && first > 0) {
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
			case t.kind == kNum && k > j && !strings.ContainsAny(d.tok(k), ",/:.") && !(k+1 < len(d.toks) && (d.toks[k+1].lower == "out" || d.toks[k+1].lower == "stars" || d.toks[k+1].lower == "star" || d.toks[k+1].lower == "/")):
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
		cue := false
		switch d.toks[i].lower {
		case "this", "the", "my", "these", "our", "new", "of", "bought", "purchased", "ordered", "got", "product", "love", "hate":
			cue = true
		}
		if !cue {
			continue
		}
		j := i + 1
		if d.isPunct(j, ":") {
			j++
		}
		if j < sc.to && (d.toks[j].lower == "the" || d.toks[j].lower == "a" || d.toks[j].lower == "new" || d.toks[j].lower == "an") {
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
		if d.toks[i].lower == "this" || d.toks[i].lower == "these" || d.toks[i].lower == "my" {
			if t := d.toks[i+1]; t.kind == kWord && !notNouns[t.lower] {
				return d.tok(i + 1), true
			}
		}
	}
	return "", false
}

// notNouns cannot be what "this" points at in a review.
var notNouns = set("is", "was", "one", "thing", "product", "item", "so", "very", "really", "new", "amazing", "great",
	"is,", "has", "had", "will", "would", "just", "time", "year", "week", "month", "morning", "evening", "a", "the")

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
			case t.kind == kWord && (t.lower == "no" || t.lower == "number" || t.lower == "num" || t.lower == "id" || t.lower == "ref" || t.lower == "reference" || t.lower == "is"):
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

// notPlaces answer "where?" without a place.
var notPlaces = set("online", "virtual", "remote", "zoom", "tbd", "tba", "n/a", "none", "web", "teams", "livestream")

// eventWords introduce an event's title: "Webinar: Intro to Rust".
var eventWords = set("webinar", "workshop", "meetup", "conference", "talk", "session", "summit", "event", "seminar", "hackathon")

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

// ---- enums ----

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
		switch strings.ToLower(e) {
		case "other", "unknown", "none", "neutral", "n/a", "unspecified":
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
		switch strings.ToLower(v) {
		case "positive", "negative", "neutral", "mixed":
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
		switch d.currency(i) {
		case "$", "USD":
			return "USD", true
		case "€", "EUR":
			return "EUR", true
		case "£", "GBP":
			return "GBP", true
		case "¥":
			return "JPY", true
		}
	}
	for i := sc.from; i < sc.to; i++ {
		switch d.toks[i].lower {
		case "usd", "dollars", "dollar":
			return "USD", true
		case "eur", "euro", "euros":
			return "EUR", true
		case "gbp", "pounds", "sterling":
			return "GBP", true
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

// ---- numbers ----

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
		case t.lower == "age" || t.lower == "aged" || t.lower == "turned" || t.lower == "turns" || t.lower == "age:":
			for j := i + 1; j < sc.to && j <= i+3; j++ {
				if v, isNum := d.number(j); isNum {
					if ok(v) {
						return v, true
					}
					break
				}
				if lw := d.toks[j].lower; lw != ":" && lw != "is" && lw != "of" && lw != "=" && lw != "-" {
					break
				}
			}
		case t.lower == "is" || t.lower == "am" || t.lower == "are" || t.lower == "was":
			// "He is 34." — a bare number after a person and a verb
			if i == sc.from || i+1 >= sc.to {
				continue
			}
			p := d.toks[i-1].lower
			if !(p == "he" || p == "she" || p == "they" || p == "i" || d.capitalised(i-1) && !notNames[p]) {
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
				if n1 == "years" || n1 == "year" || n1 == "yrs" || n1 == "yo" || n1 == "y/o" {
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
		switch t.lower {
		case "rating", "rated", "rate", "score":
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
	}
	return 0, false
}

// greetings open letters, not headings.
var greetings = set("hi", "hello", "hey", "dear", "thanks", "thank", "greetings", "good", "re", "fwd", "fw")

func isStar(t string) bool { return t == "⭐" || t == "★" }

// ---- booleans ----

var boolPhrases = map[string]struct{ yes, no []string }{
	"paid": {
		yes: []string{"paid in full", "payment received", "has been paid", "was paid", "settled", "paid"},
		no:  []string{"not yet paid", "not paid", "unpaid", "outstanding", "overdue", "awaiting payment", "payment pending", "still due", "paid: no"},
	},
	"recommend": {
		yes: []string{"would recommend", "highly recommend", "recommended", "recommend", "would buy again", "buy it again", "must-have", "must have"},
		no: []string{"would not recommend", "wouldn't recommend", "not recommend", "can't recommend", "cannot recommend",
			"don't recommend", "do not recommend", "not sure i'd recommend", "not sure i would recommend", "avoid", "would not buy again", "wouldn't buy again", "never again", "skip it"},
	},
	"virtual": {
		yes: []string{"virtual", "online", "remote", "zoom", "webinar", "livestream", "video call"},
		no:  []string{"in person", "in-person", "on-site", "onsite", "on site"},
	},
}

func (x *extractor) boolean(name string, kws []string, sc scope) (any, bool) {
	d := x.d
	if sc.from >= sc.to || sc.from >= len(d.toks) {
		return false, false
	}
	lower := strings.ToLower(d.text[d.toks[sc.from].start:])
	if from, to, ok := x.label(kws, sc); ok {
		switch strings.ToLower(d.text[d.toks[from].start:d.toks[to-1].end]) {
		case "yes", "y", "true", "paid", "confirmed", "required", "1":
			return true, true
		case "no", "n", "false", "0", "unpaid", "none":
			return false, true
		}
	}
	for _, kw := range kws {
		key := kw
		switch kw {
		case "online", "remote":
			key = "virtual"
		case "recommended", "recommends":
			key = "recommend"
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

// ---- dates ----

func (x *extractor) nearestDate(kws []string, sc scope) (time.Time, bool) {
	d := x.d
	best, bestDist := time.Time{}, 1000
	first := time.Time{}
	for _, dm := range d.dates {
		if dm.tok < sc.from || dm.tok >= sc.to {
			continue
		}
		if first.IsZero() {
			first = dm.date
		}
		if dist := x.keywordDistance(kws, dm.tok, sc); dist < bestDist {
			best, bestDist = dm.date, dist
		}
	}
	if bestDist < 1000 {
		return best, true
	}
	return first, !first.IsZero()
}

// keywordDistance is how many words separate token at from the nearest
// keyword before it in the same sentence (or after it, at a cost).
func (x *extractor) keywordDistance(kws []string, at int, sc scope) int {
	d := x.d
	best := 1000
	for j, dist := at-1, 0; j >= sc.from && dist < 6; j-- {
		if d.toks[j].sent != d.toks[at].sent && !(d.toks[j].kind == kPunct) {
			break
		}
		if has(kws, d.toks[j].lower) {
			best = dist
			break
		}
		if d.toks[j].kind != kPunct {
			dist++
		}
	}
	return best
}

// assignDates gives each date field of an object its own date: the
// fields nearest their keywords first, the rest in the text's order.
func (x *extractor) assignDates(s *Schema, sc scope, count map[string]int) map[string]time.Time {
	var fields []*Property
	for _, p := range s.Properties {
		if p.Schema.Type == "string" && conceptOf(p.Name, p.Schema) == cDate {
			fields = append(fields, p)
		}
	}
	if len(fields) < 2 {
		return nil
	}
	var dates []dateMatch
	for _, dm := range x.d.dates {
		if dm.tok >= sc.from && dm.tok < sc.to {
			dates = append(dates, dm)
		}
	}
	out := map[string]time.Time{}
	used := make([]bool, len(dates))
	type pair struct{ f, dt, dist int }
	var pairs []pair
	for fi, p := range fields {
		kws := keywords(p.Name, cDate)
		distinct := kws[:0:0]
		for _, w := range kws {
			if count[strconv.Itoa(int(cDate))+w] < 2 {
				distinct = append(distinct, w)
			}
		}
		for di, dm := range dates {
			if dist := x.keywordDistance(distinct, dm.tok, sc); dist < 1000 {
				pairs = append(pairs, pair{fi, di, dist})
			}
		}
	}
	for len(pairs) > 0 {
		bi := 0
		for i, p := range pairs {
			if p.dist < pairs[bi].dist {
				bi = i
			}
		}
		bp := pairs[bi]
		out[fields[bp.f].Name] = dates[bp.dt].date
		used[bp.dt] = true
		kept := pairs[:0]
		for _, p := range pairs {
			if p.f != bp.f && p.dt != bp.dt {
				kept = append(kept, p)
			}
		}
		pairs = kept
	}
	next := 0
	for _, p := range fields {
		if _, ok := out[p.Name]; ok {
			continue
		}
		for next < len(dates) && used[next] {
			next++
		}
		switch {
		case next < len(dates):
			out[p.Name] = dates[next].date
			used[next] = true
		case len(dates) > 0:
			out[p.Name] = dates[0].date // one date for two fields
		default:
			out[p.Name] = time.Time{}
		}
	}
	return out
}

// formatDate writes t as the schema asks: ISO 8601 dates unless the
// format or the description says otherwise.
func formatDate(t time.Time, s *Schema) any {
	if t.IsZero() {
		return defaultFor(s, 0)
	}
	switch {
	case s.Format == "date-time":
		return t.Format(time.RFC3339)
	case strings.Contains(s.Description, "MM/DD/YYYY"):
		return t.Format("01/02/2006")
	case strings.Contains(s.Description, "DD/MM/YYYY"):
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}
