package extract

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	kWord  = 'w' // letters, with inner ' and -
	kNum   = 'n' // digits, with inner , . / : -
	kCode  = 'c' // letters and digits mixed: WH-1000XM5, INV-2024-0042, 3rd
	kPunct = 'p' // one punctuation or symbol character
	kEmail = 'e'
	kURL   = 'u'
)

type token struct {
	start, end int
	kind       byte
	nl         bool // a line break comes before the token
	sent       int  // sentence number
	claimed    bool // part of an email, phone, date, address, id or item
	lower      string
}

type span struct{ start, end int }

type dateMatch struct {
	span
	tok  int // index of the first token
	date time.Time
}

type phoneMatch struct {
	span
	tok int
}

type address struct {
	span
	tok                     int // first token
	street, city, state, zp string
}

// doc is an input text, scanned once; the field extractors read it.
type doc struct {
	text    string
	toks    []token
	emails  []int // token indexes
	urls    []int
	phones  []phoneMatch
	dates   []dateMatch
	addrs   []address
	items   []lineItem
	itemsOK bool
	itemTok []bool // token i is part of a line item
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

func newDoc(text string) *doc {
	d := &doc{text: text}
	d.tokenize()
	d.scanPhones()
	d.scanDates()
	d.scanAddresses()
	return d
}

func (d *doc) tok(i int) string { return d.text[d.toks[i].start:d.toks[i].end] }

// tokenize splits the text into tokens. Emails and URLs become one token.
func (d *doc) tokenize() {
	s := d.text
	d.toks = make([]token, 0, len(s)/4+4)
	var emails []span
	for off := 0; ; {
		at := strings.IndexByte(s[off:], '@')
		if at < 0 {
			break
		}
		at += off
		if st, en, ok := emailAt(s, at); ok {
			emails = append(emails, span{st, en})
			off = en
		} else {
			off = at + 1
		}
	}
	nl := true
	sent := 0
	for i := 0; i < len(s); {
		c := s[i]
		if len(emails) > 0 && i >= emails[0].start {
			if i == emails[0].start {
				d.toks = append(d.toks, token{start: i, end: emails[0].end, kind: kEmail, nl: nl, sent: sent})
				nl = false
				i = emails[0].end
				emails = emails[1:]
				continue
			}
			emails = emails[1:]
		}
		if c == '\n' {
			if !nl {
				sent++
			}
			nl = true
			i++
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		var kind byte
		switch {
		case r == 'h' && (strings.HasPrefix(s[i:], "http://") || strings.HasPrefix(s[i:], "https://")) ||
			r == 'w' && strings.HasPrefix(s[i:], "www."):
			j := i
			for j < len(s) && s[j] > ' ' && s[j] != '<' && s[j] != '>' && s[j] != '"' {
				j++
			}
			for j > i && strings.IndexByte(".,;:!?)]'", s[j-1]) >= 0 {
				j--
			}
			i, kind = j, kURL
		case isLetter(r) || r < utf8.RuneSelf && isDigit(c):
			j := i
			letters, digits := false, false
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				switch {
				case isLetter(r2):
					letters = true
					j += sz
					continue
				case r2 < utf8.RuneSelf && isDigit(s[j]):
					digits = true
					j += sz
					continue
				}
				// connectors inside a token
				if j+1 < len(s) {
					prev, next := s[j-1], s[j+1]
					nr, _ := utf8.DecodeRuneInString(s[j+1:])
					switch {
					case (r2 == '\'' || r2 == '’') && isLetter(rune(prev)) && isLetter(nr):
						j += sz
						continue
					case r2 == '-' && (isLetter(rune(prev)) || isDigit(prev)) && (isLetter(nr) || isDigit(next)):
						j += sz
						continue
					case (r2 == '.' || r2 == ',' || r2 == '/' || r2 == ':') && isDigit(prev) && isDigit(next):
						j += sz
						continue
					}
				}
				break
			}
			i = j
			switch {
			case letters && digits:
				kind = kCode
			case digits:
				kind = kNum
			default:
				kind = kWord
			}
		default:
			i += size
			kind = kPunct
		}
		d.toks = append(d.toks, token{start: start, end: i, kind: kind, nl: nl, sent: sent})
		nl = false
		if kind == kPunct && (c == '.' || c == '!' || c == '?') {
			// a dot after a single capital (an initial) or an abbreviation
			// does not end a sentence.
			if c != '.' || !d.abbreviation(len(d.toks)-1) {
				sent++
			}
		}
	}
	for i := range d.toks {
		t := &d.toks[i]
		t.lower = strings.ToLower(s[t.start:t.end])
	}
	for i := range d.toks {
		switch d.toks[i].kind {
		case kEmail:
			d.emails = append(d.emails, i)
			d.toks[i].claimed = true
		case kURL:
			d.urls = append(d.urls, i)
			d.toks[i].claimed = true
		}
	}
}

func (d *doc) abbreviation(dot int) bool {
	if dot == 0 {
		return false
	}
	p := d.toks[dot-1]
	w := d.text[p.start:p.end]
	if p.end != d.toks[dot].start {
		return false
	}
	if len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z' {
		return true
	}
	switch strings.ToLower(w) {
	case "mr", "mrs", "ms", "dr", "st", "no", "inc", "co", "jr", "sr", "ave", "vs", "e.g", "i.e", "approx", "ltd", "corp":
		return true
	}
	return false
}

// emailAt tries to read an email address around the @ at index at.
func emailAt(s string, at int) (start, end int, ok bool) {
	isLocal := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isDigit(b) || strings.IndexByte("._%+-", b) >= 0
	}
	isHost := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isDigit(b) || b == '.' || b == '-'
	}
	start = at
	for start > 0 && isLocal(s[start-1]) {
		start--
	}
	for start < at && s[start] == '.' {
		start++
	}
	end = at + 1
	for end < len(s) && isHost(s[end]) {
		end++
	}
	for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	host := s[at+1 : end]
	if start == at || !strings.Contains(host, ".") || strings.HasPrefix(host, ".") {
		return 0, 0, false
	}
	return start, end, true
}

// isPunct reports whether token i is the punctuation s.
func (d *doc) isPunct(i int, s string) bool {
	return i >= 0 && i < len(d.toks) && d.toks[i].kind == kPunct && d.tok(i) == s
}

// adjacent reports whether token j starts right where token i ends.
func (d *doc) adjacent(i, j int) bool {
	return i >= 0 && j < len(d.toks) && d.toks[i].end == d.toks[j].start
}

// capitalised reports whether token i is a word starting with a capital.
func (d *doc) capitalised(i int) bool {
	if i < 0 || i >= len(d.toks) || d.toks[i].kind != kWord {
		return false
	}
	r, _ := utf8.DecodeRuneInString(d.tok(i))
	return unicode.IsUpper(r)
}

// allCaps reports whether token i is a word of two or more capitals.
func (d *doc) allCaps(i int) bool {
	w := d.tok(i)
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// scanPhones finds telephone numbers: 7 to 15 digits written with spaces,
// dashes, dots, parentheses or a leading +.
func (d *doc) scanPhones() {
	s := d.text
	for i := 0; i < len(d.toks); i++ {
		t := d.toks[i]
		if t.claimed {
			continue
		}
		c := s[t.start]
		if !(c == '+' || c == '(' || isDigit(c)) || t.kind != kNum && t.kind != kPunct {
			continue
		}
		if t.start > 0 {
			p := s[t.start-1]
			if isDigit(p) || p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z' || p == '-' || p == '#' || p == '$' || p == '/' {
				continue
			}
		}
		j := t.start
		digits, seps, lastDigit := 0, 0, -1
		for j < len(s) {
			b := s[j]
			switch {
			case isDigit(b):
				digits++
				lastDigit = j
			case b == ' ' || b == '-' || b == '.' || b == '(' || b == ')' || b == '+' && j == t.start:
				if b == ' ' && j+1 < len(s) && !isDigit(s[j+1]) && s[j+1] != '(' {
					j = len(s) + 1
					continue
				}
				seps++
			default:
				j = len(s) + 1
				continue
			}
			if digits > 15 {
				break
			}
			j++
		}
		if digits < 7 || digits > 15 || lastDigit < 0 {
			continue
		}
		end := lastDigit + 1
		lit := s[t.start:end]
		if seps == 0 && digits < 10 {
			continue
		}
		if looksLikeDate(lit) || strings.Count(lit, ".") > 0 && strings.Count(lit, ".") < 2 {
			continue
		}
		if end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
			continue
		}
		d.phones = append(d.phones, phoneMatch{span: span{t.start, end}, tok: i})
		for k := i; k < len(d.toks) && d.toks[k].start < end; k++ {
			d.toks[k].claimed = true
			i = k
		}
	}
}

func looksLikeDate(s string) bool {
	_, ok := parseNumericDate(s)
	return ok
}

// parseNumericDate reads 2024-04-02, 2024/04/02, 04/02/2024 and 4-2-2024
// (month first, as American texts write it).
func parseNumericDate(s string) (time.Time, bool) {
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		if s[i] == '-' || s[i] == '/' || s[i] == '.' {
			sep = s[i]
			break
		}
	}
	if sep == 0 {
		return time.Time{}, false
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return time.Time{}, false
	}
	n := [3]int{}
	for i, p := range parts {
		if p == "" || len(p) > 4 {
			return time.Time{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return time.Time{}, false
		}
		n[i] = v
	}
	var y, m, day int
	switch {
	case len(parts[0]) == 4:
		y, m, day = n[0], n[1], n[2]
	case len(parts[2]) == 4:
		m, day, y = n[0], n[1], n[2]
		if m > 12 && day <= 12 {
			m, day = day, m
		}
	default:
		return time.Time{}, false
	}
	return makeDate(y, m, day)
}

func makeDate(y, m, day int) (time.Time, bool) {
	if y < 1000 || y > 2999 || m < 1 || m > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// dayNumber reads 3, 03, 3rd, 21st.
func dayNumber(w string) (int, bool) {
	w = strings.TrimRight(strings.ToLower(w), "stndrh")
	n, err := strconv.Atoi(w)
	if err != nil || n < 1 || n > 31 {
		return 0, false
	}
	return n, true
}

func (d *doc) month(i int) (int, bool) {
	if i < 0 || i >= len(d.toks) || d.toks[i].kind != kWord {
		return 0, false
	}
	m, ok := months[d.toks[i].lower]
	if !ok {
		return 0, false
	}
	if m == 5 && !d.capitalised(i) {
		return 0, false // "may" the verb
	}
	return m, true
}

func (d *doc) year(i int) (int, bool) {
	if i < 0 || i >= len(d.toks) || d.toks[i].kind != kNum || len(d.tok(i)) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(d.tok(i))
	return y, err == nil && y >= 1000
}

// scanDates finds dates written with numbers or with month names.
func (d *doc) scanDates() {
	claim := func(from, to int, t time.Time) {
		d.dates = append(d.dates, dateMatch{span: span{d.toks[from].start, d.toks[to].end}, tok: from, date: t})
		for k := from; k <= to; k++ {
			d.toks[k].claimed = true
		}
	}
	for i := 0; i < len(d.toks); i++ {
		t := d.toks[i]
		if t.claimed {
			continue
		}
		if t.kind == kNum {
			if dt, ok := parseNumericDate(d.tok(i)); ok {
				claim(i, i, dt)
				continue
			}
		}
		if t.kind == kCode && strings.ContainsRune(d.tok(i), 'T') {
			// 2024-03-05T10:00:00Z, 2024-03-05T10:00
			w := d.tok(i)
			for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
				if dt, err := time.Parse(layout, w); err == nil {
					claim(i, i, dt)
					break
				}
			}
			continue
		}
		// Month day[,] year
		if m, ok := d.month(i); ok {
			j := i + 1
			if d.isPunct(j, ".") {
				j++
			}
			if j < len(d.toks) && (d.toks[j].kind == kNum || d.toks[j].kind == kCode) {
				if day, ok := dayNumber(d.tok(j)); ok {
					k := j + 1
					if d.isPunct(k, ",") {
						k++
					}
					if y, ok := d.year(k); ok {
						if dt, ok := makeDate(y, m, day); ok {
							claim(i, k, dt)
							i = k
						}
					}
				}
			}
			continue
		}
		// day [of] Month[,] year
		if t.kind == kNum || t.kind == kCode {
			day, ok := dayNumber(d.tok(i))
			if !ok {
				continue
			}
			j := i + 1
			if j < len(d.toks) && d.toks[j].lower == "of" {
				j++
			}
			m, ok := d.month(j)
			if !ok {
				continue
			}
			k := j + 1
			if d.isPunct(k, ".") {
				k++
			}
			if d.isPunct(k, ",") {
				k++
			}
			if y, ok := d.year(k); ok {
				if dt, ok := makeDate(y, m, day); ok {
					claim(i, k, dt)
					i = k
				}
			}
		}
	}
}

// scanAddresses finds street addresses: a house number, a street name
// ending in a street suffix, then maybe a city, a state code and a ZIP.
func (d *doc) scanAddresses() {
	for i := 0; i < len(d.toks); i++ {
		t := d.toks[i]
		if t.claimed || t.kind != kNum || len(d.tok(i)) > 6 || strings.ContainsAny(d.tok(i), ".,/:") {
			continue
		}
		j := i + 1
		words := 0
		for j < len(d.toks) && words < 4 && (d.capitalised(j) || d.toks[j].kind == kNum && words == 0) {
			if streetSuffixes[d.toks[j].lower] && words > 0 {
				break
			}
			words++
			j++
		}
		if words == 0 || j >= len(d.toks) || !streetSuffixes[d.toks[j].lower] || !d.capitalised(j) {
			continue
		}
		a := address{tok: i}
		streetEnd := j
		if d.isPunct(j+1, ".") && d.adjacent(j, j+1) {
			j++
		}
		// a unit: Apt 4B, Suite 200, Unit 5, #12
		k := j + 1
		if d.isPunct(k, ",") {
			k++
		}
		if k < len(d.toks) {
			switch d.toks[k].lower {
			case "apt", "apartment", "suite", "ste", "unit", "#":
				if k+1 < len(d.toks) && (d.toks[k+1].kind == kNum || d.toks[k+1].kind == kCode || d.allCaps(k+1) && len(d.tok(k+1)) <= 2) {
					streetEnd = k + 1
					j = k + 1
				}
			}
		}
		a.street = d.text[d.toks[i].start:d.toks[streetEnd].end]
		end := d.toks[streetEnd].end
		last := j
		// city
		k = j + 1
		if d.isPunct(k, ",") {
			k++
		}
		cityStart := k
		for k < len(d.toks) && d.capitalised(k) && !(d.allCaps(k) && usStates[d.tok(k)]) && k-cityStart < 3 {
			k++
		}
		if k > cityStart {
			a.city = d.text[d.toks[cityStart].start:d.toks[k-1].end]
			end = d.toks[k-1].end
			last = k - 1
			if d.isPunct(k, ",") {
				k++
			}
			if k < len(d.toks) && d.toks[k].kind == kWord && usStates[d.tok(k)] {
				a.state = d.tok(k)
				end = d.toks[k].end
				last = k
				k++
				if k < len(d.toks) && d.toks[k].kind == kNum && (len(d.tok(k)) == 5 || len(d.tok(k)) == 10 && d.tok(k)[5] == '-') {
					a.zp = d.tok(k)
					end = d.toks[k].end
					last = k
				}
			}
		}
		a.span = span{d.toks[i].start, end}
		d.addrs = append(d.addrs, a)
		for m := i; m <= last; m++ {
			d.toks[m].claimed = true
		}
		i = last
	}
}

// number reads token i as a number: 30, 4.5, 1,250.00.
func (d *doc) number(i int) (float64, bool) {
	if i < 0 || i >= len(d.toks) || d.toks[i].kind != kNum {
		return 0, false
	}
	w := d.tok(i)
	if strings.ContainsAny(w, "/:-") {
		return 0, false
	}
	if strings.Contains(w, ",") {
		// 1,250.00 groups thousands; 4,5 is not ours to guess.
		parts := strings.Split(strings.SplitN(w, ".", 2)[0], ",")
		for k, p := range parts {
			if k > 0 && len(p) != 3 || k == 0 && (len(p) == 0 || len(p) > 3) {
				return 0, false
			}
		}
		w = strings.ReplaceAll(w, ",", "")
	}
	f, err := strconv.ParseFloat(w, 64)
	return f, err == nil
}

// currency is the currency sign or code written next to a number token, if
// any: "$", "€", "£", "USD".
func (d *doc) currency(i int) string {
	if i > 0 && d.toks[i-1].kind == kPunct {
		switch p := d.tok(i - 1); p {
		case "$", "€", "£", "¥":
			return p
		}
	}
	if i > 1 && d.toks[i-1].kind == kPunct && d.tok(i-1) == "-" {
		if p := d.tok(i - 2); p == "$" || p == "€" || p == "£" {
			return p
		}
	}
	if i+1 < len(d.toks) {
		switch d.toks[i+1].lower {
		case "usd", "dollars", "dollar", "bucks":
			return "USD"
		case "eur", "euro", "euros", "€":
			return "EUR"
		case "gbp", "pounds", "£":
			return "GBP"
		}
	}
	if i > 0 {
		switch d.toks[i-1].lower {
		case "usd", "us$":
			return "USD"
		case "eur":
			return "EUR"
		case "gbp":
			return "GBP"
		}
	}
	return ""
}
