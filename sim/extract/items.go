package extract

import (
	"strconv"
	"strings"
)

// lineItem is one entry of an order: "2x Widget ($10 each)".
type lineItem struct {
	from, to int // token range of the segment
	name     string
	qty      int // 0 when the text gives none
	unit     float64
	hasUnit  bool
}

// String writes the item as a model lists it in an array of strings:
// "2x Widget", or the bare name when no quantity is given.
func (it lineItem) String() string {
	if it.qty > 0 {
		return strconv.Itoa(it.qty) + "x " + it.name
	}
	return it.name
}

var itemLabels = set("items", "item", "order", "products", "ordered", "cart", "purchase", "purchased", "lines", "goods", "basket")

// notItems are words that end up where an item's name would be.
var notItems = set("total", "subtotal", "tax", "shipping", "ship", "delivery", "discount", "grand total", "order total", "sum", "fee")

var itemStops = set("at", "for", "each", "per", "@", "x", "×", "ea", "apiece", "and", "plus", "with", "costing",
	"priced", "totaling", "totalling", "(", ")", "$", "€", "£", ",", ";", ":", "=", "–", "—", "|", "/", "*", "•")

// lineItems finds the order's items once: in a labelled list ("Items:
// ..."), in bullet lines, or in sentences that give quantities.
func (x *extractor) lineItems() []lineItem {
	d := x.d
	if d.itemsOK {
		return d.items
	}
	d.itemsOK = true
	if items := x.tableItems(); len(items) > 0 {
		d.items = items
		return items
	}
	var regions [][3]int
	// a labelled list
	for i := 0; i < len(d.toks); i++ {
		if !d.isPunct(i, ":") || i == 0 || !itemLabels[d.toks[i-1].lower] || d.toks[i-1].kind != kWord {
			continue
		}
		from := i + 1
		to := from
		for to < len(d.toks) && !(to > from && d.toks[to].nl) {
			to++
		}
		if to == from || from < len(d.toks) && d.toks[from].nl {
			// the list is on the following lines
			to = from
			for to < len(d.toks) && (to == from || !d.toks[to].nl || x.bulletAt(to) || x.hasQuantity(to, x.lineEnd(to))) {
				if d.toks[to].nl && !x.bulletAt(to) && !x.hasQuantity(to, x.lineEnd(to)) {
					break
				}
				to = x.lineEnd(to)
			}
		}
		regions = append(regions, [3]int{from, to, 0})
		i = to - 1
	}
	// bullet lines
	if len(regions) == 0 {
		for i := 0; i < len(d.toks); i++ {
			if !d.toks[i].nl || !x.bulletAt(i) {
				continue
			}
			end := x.lineEnd(i)
			if x.hasQuantity(i, end) || x.hasMoney(i, end) {
				regions = append(regions, [3]int{i, end, 0})
			}
			i = end - 1
		}
	}
	// sentences that give quantities
	if len(regions) == 0 {
		for i := 0; i < len(d.toks); {
			j := i
			for j < len(d.toks) && d.toks[j].sent == d.toks[i].sent {
				j++
			}
			if x.hasQuantity(i, j) {
				regions = append(regions, [3]int{i, j, 1})
			}
			i = j
		}
	}
	for _, r := range regions {
		for _, seg := range x.segments(r[0], r[1]) {
			if r[2] == 1 && !x.hasQuantity(seg[0], seg[1]) {
				continue // in prose, an item has a quantity
			}
			if it, ok := x.parseItem(seg[0], seg[1]); ok && !notItems[strings.ToLower(it.name)] {
				d.items = append(d.items, it)
			}
		}
	}
	return d.items
}

func (x *extractor) lineEnd(i int) int {
	j := i + 1
	for j < len(x.d.toks) && !x.d.toks[j].nl {
		j++
	}
	return j
}

func (x *extractor) bulletAt(i int) bool {
	d := x.d
	if i >= len(d.toks) {
		return false
	}
	switch d.tok(i) {
	case "-", "*", "•", "–", "·":
		return true
	}
	return d.toks[i].kind == kNum && len(d.tok(i)) <= 2 && (d.isPunct(i+1, ".") || d.isPunct(i+1, ")")) && d.adjacent(i, i+1)
}

// inItems reports whether token i belongs to a line item.
func (x *extractor) inItems(i int) bool {
	d := x.d
	if d.itemTok == nil {
		d.itemTok = make([]bool, len(d.toks))
		for _, it := range x.lineItems() {
			for k := it.from; k < it.to; k++ {
				d.itemTok[k] = true
			}
		}
	}
	return i >= 0 && i < len(d.itemTok) && d.itemTok[i]
}

// quantityAt reads a quantity at token i: "2x", "x2", "2 x", "× 2",
// "qty 2". It returns the quantity and the tokens it spans.
func (x *extractor) quantityAt(i, end int) (qty, from, to int, ok bool) {
	d := x.d
	t := d.toks[i]
	w := t.lower
	switch t.kind {
	case kCode:
		if n, err := strconv.Atoi(strings.TrimSuffix(w, "x")); err == nil && strings.HasSuffix(w, "x") {
			return n, i, i + 1, n > 0
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(w, "x")); err == nil && strings.HasPrefix(w, "x") {
			return n, i, i + 1, n > 0
		}
	case kNum:
		n, err := strconv.Atoi(w)
		if err != nil || n <= 0 || n > 10000 || d.currency(i) != "" {
			return 0, 0, 0, false
		}
		if i+1 < end && (d.toks[i+1].lower == "x" || d.toks[i+1].lower == "×" || d.toks[i+1].lower == "*") {
			return n, i, i + 2, true
		}
	case kWord, kPunct:
		if (w == "x" || w == "×") && i+1 < end {
			if n, err := strconv.Atoi(d.tok(i + 1)); err == nil && d.toks[i+1].kind == kNum && n > 0 {
				return n, i, i + 2, true
			}
		}
		if (w == "qty" || w == "quantity") && i+1 < end {
			j := i + 1
			if d.isPunct(j, ":") {
				j++
			}
			if j < end {
				if n, err := strconv.Atoi(d.tok(j)); err == nil && n > 0 {
					return n, i, j + 1, true
				}
			}
		}
	}
	return 0, 0, 0, false
}

func (x *extractor) hasQuantity(from, to int) bool {
	for i := from; i < to && i < len(x.d.toks); i++ {
		if _, _, _, ok := x.quantityAt(i, to); ok {
			return true
		}
	}
	return false
}

func (x *extractor) hasMoney(from, to int) bool {
	for i := from; i < to && i < len(x.d.toks); i++ {
		if x.d.toks[i].kind == kNum && x.d.currency(i) != "" {
			return true
		}
	}
	return false
}

// segments splits a list region at commas, semicolons, "and", "plus" and
// line breaks outside parentheses.
func (x *extractor) segments(from, to int) [][2]int {
	d := x.d
	var out [][2]int
	start, depth := from, 0
	for i := from; i < to; i++ {
		t := d.toks[i]
		cut := false
		switch {
		case t.kind == kPunct && (t.lower == "(" || t.lower == "["):
			depth++
		case t.kind == kPunct && (t.lower == ")" || t.lower == "]"):
			depth--
		case depth > 0:
		case t.nl && i > start:
			cut = true
			out = append(out, [2]int{start, i})
			start = i
			continue
		case t.kind == kPunct && (t.lower == "," || t.lower == ";"):
			cut = true
		case t.kind == kPunct && t.lower == "." && i+1 < to && d.toks[i+1].sent != t.sent:
			cut = true
		case t.kind == kWord && (t.lower == "and" || t.lower == "plus" || t.lower == "&"):
			cut = x.hasQuantity(i+1, min(i+4, to))
		}
		if cut {
			if i > start {
				out = append(out, [2]int{start, i})
			}
			start = i + 1
		}
	}
	if to > start {
		out = append(out, [2]int{start, to})
	}
	return out
}

// parseItem reads one segment: a quantity, a name and a price.
func (x *extractor) parseItem(from, to int) (lineItem, bool) {
	d := x.d
	it := lineItem{from: from, to: to}
	qFrom, qTo := -1, -1
	for i := from; i < to; i++ {
		if q, a, b, ok := x.quantityAt(i, to); ok {
			it.qty, qFrom, qTo = q, a, b
			break
		}
	}
	// a bare leading count: "3 Blue Mug at $8.50"
	if qFrom < 0 {
		i := from
		if x.bulletAt(i) {
			i++
			if d.isPunct(i, ".") || d.isPunct(i, ")") {
				i++
			}
		}
		if i+1 < to && d.toks[i].kind == kNum && d.currency(i) == "" && d.capitalised(i+1) {
			if n, err := strconv.Atoi(d.tok(i)); err == nil && n > 0 && n < 1000 {
				it.qty, qFrom, qTo = n, i, i+1
			}
		}
	}
	// the price
	unitMarked, totalMarked := false, false
	for i := from; i < to; i++ {
		switch d.toks[i].lower {
		case "each", "ea", "apiece", "per", "@", "/ea", "unit":
			unitMarked = true
		case "total", "=", "totaling", "totalling":
			totalMarked = true
		}
		if d.toks[i].kind == kNum && !it.hasUnit && (d.currency(i) != "" || i > from && (d.toks[i-1].lower == "@" || d.toks[i-1].lower == "at")) {
			if v, ok := d.number(i); ok {
				it.unit, it.hasUnit = v, true
			}
		}
	}
	if it.hasUnit && !unitMarked && totalMarked && it.qty > 1 {
		it.unit = round2(it.unit / float64(it.qty))
	}
	// the name: the run of words next to the quantity
	isName := func(i int) bool {
		t := d.toks[i]
		if itemStops[t.lower] || i >= qFrom && i < qTo {
			return false
		}
		return t.kind == kWord || t.kind == kCode || t.kind == kPunct && (t.lower == "-" || t.lower == "'" || t.lower == "&") && i > from
	}
	var a, b int
	if qFrom >= 0 && qTo < to && isName(qTo) {
		a = qTo
		b = a
		for b < to && isName(b) {
			b++
		}
	} else if qFrom > from {
		b = qFrom
		for b > from && d.toks[b-1].kind == kPunct && (d.tok(b-1) == "(" || d.tok(b-1) == "[") {
			b-- // "Widget (x2)"
		}
		a = b
		for a > from && isName(a-1) {
			a--
		}
	} else {
		a = from
		for a < to && !isName(a) {
			a++
		}
		b = a
		for b < to && isName(b) {
			b++
		}
	}
	// keep the capitalised part: "like Blue Mug" is "Blue Mug"
	caps := false
	for i := a; i < b; i++ {
		if d.capitalised(i) || d.toks[i].kind == kCode {
			caps = true
		}
	}
	if caps {
		for a < b && !(d.capitalised(a) || d.toks[a].kind == kCode) {
			a++
		}
		for b > a && !(d.capitalised(b-1) || d.toks[b-1].kind == kCode || d.toks[b-1].kind == kWord && b-1 > a) {
			b--
		}
	}
	for b > a && d.toks[b-1].kind == kPunct {
		b--
	}
	if a >= b {
		return it, false
	}
	it.name = d.text[d.toks[a].start:d.toks[b-1].end]
	if it.qty == 0 && !it.hasUnit {
		return it, false
	}
	return it, true
}

// ---- arrays ----

func (x *extractor) array(name string, s *Schema, c concept, sc scope, depth int) (any, bool) {
	out := []any{}
	el := s.Items
	if el == nil {
		el = &Schema{Type: "string"}
	}
	single := strings.TrimSuffix(name, "s")
	ec := conceptOf(single, el)
	switch el.Type {
	case "object":
		if items := x.lineItems(); len(items) > 0 && x.itemShaped(el) {
			for k := range items {
				it := items[k]
				out = append(out, x.object("", el, scope{from: it.from, to: it.to, segment: true, item: &it}, depth+1))
			}
			return out, true
		}
		out = x.objectList(el, sc, depth)
		return out, len(out) > 0
	case "string", "":
		switch ec {
		case cEmail:
			for _, i := range x.d.emails {
				out = append(out, x.d.tok(i))
			}
			return out, len(out) > 0
		case cPhone:
			for _, p := range x.d.phones {
				out = append(out, x.d.text[p.start:p.end])
			}
			return out, len(out) > 0
		}
		if ec == cPerson || c == cPerson {
			if from, to, ok := x.label(keywords(name, c), sc); ok {
				for _, v := range x.listValues(from, to) {
					out = append(out, v)
				}
				return out, len(out) > 0
			}
			for _, p := range x.persons(sc) {
				out = append(out, p)
			}
			return out, len(out) > 0
		}
		if c == cItems || ec == cProduct || has(nameWords(name), "items", "products", "order") {
			for _, it := range x.lineItems() {
				out = append(out, it.String())
			}
			return out, len(out) > 0
		}
		if from, to, ok := x.label(keywords(name, c), sc); ok {
			for _, v := range x.listValues(from, to) {
				out = append(out, v)
			}
			return out, len(out) > 0
		}
	case "integer", "number":
		if from, to, ok := x.label(keywords(name, c), sc); ok {
			for i := from; i < to; i++ {
				if v, ok := x.d.number(i); ok {
					if el.Type == "integer" {
						out = append(out, Int(int64(v)))
					} else {
						out = append(out, Float(v))
					}
				}
			}
			return out, len(out) > 0
		}
	}
	return out, false
}

// itemShaped reports whether an object schema describes a line item: a
// name-like member and a quantity or price.
func (x *extractor) itemShaped(s *Schema) bool {
	named, counted := false, false
	for _, p := range s.Properties {
		switch conceptOf(p.Name, p.Schema) {
		case cPerson, cProduct, cTitle, cSummary, cNone:
			if p.Schema.Type == "string" {
				named = true
			}
		case cQuantity, cMoney:
			counted = true
		}
	}
	return named && counted
}

// listValues splits a labelled list ("Tags: a, b and c") into its values.
func (x *extractor) listValues(from, to int) []string {
	d := x.d
	var out []string
	start := from
	flush := func(end int) {
		if end > start {
			if v := strings.TrimSpace(d.text[d.toks[start].start:d.toks[end-1].end]); v != "" {
				out = append(out, v)
			}
		}
	}
	for i := from; i < to; i++ {
		t := d.toks[i]
		if t.kind == kPunct && (t.lower == "," || t.lower == ";" || t.lower == "/") || t.kind == kWord && (t.lower == "and" || t.lower == "&" || t.lower == "or") {
			flush(i)
			start = i + 1
		}
	}
	flush(to)
	return out
}

// objectList reads an array of objects from a text that lists them one
// per line, one per sentence, or separated by commas: every part that
// gives at least half of the object's members is an element.
func (x *extractor) objectList(el *Schema, sc scope, depth int) []any {
	d := x.d
	if len(el.Properties) == 0 || sc.from >= sc.to {
		return []any{}
	}
	need := max(1, (len(el.Properties)+1)/2)
	try := func(segs [][2]int) []any {
		var out []any
		for _, sg := range segs {
			o, found := x.objectFound("", el, scope{from: sg[0], to: sg[1], segment: true}, depth+1)
			if found >= need {
				out = append(out, o)
			}
		}
		return out
	}
	split := func(cut func(i int) bool) [][2]int {
		var segs [][2]int
		start := sc.from
		for i := sc.from; i < sc.to; i++ {
			if i > start && cut(i) {
				segs = append(segs, [2]int{start, i})
				start = i
			}
		}
		return append(segs, [2]int{start, sc.to})
	}
	for _, cut := range []func(i int) bool{
		func(i int) bool { return d.toks[i].nl },
		func(i int) bool { return d.toks[i].sent != d.toks[i-1].sent },
		func(i int) bool {
			p := d.toks[i-1]
			return p.kind == kPunct && (p.lower == "," || p.lower == ";") || p.lower == "and"
		},
	} {
		if segs := split(cut); len(segs) >= 2 {
			if out := try(segs); len(out) >= 2 {
				return out
			}
		}
	}
	if out := try([][2]int{{sc.from, sc.to}}); len(out) == 1 {
		return out
	}
	return []any{}
}

// tableItems reads line items from a table written with pipes:
//
//	| Qty | Item   | Price  |
//	|-----|--------|--------|
//	| 2   | Widget | $10.00 |
//
// The header names the columns; rows follow until a line without pipes.
func (x *extractor) tableItems() []lineItem {
	d := x.d
	for i := 0; i < len(d.toks); i++ {
		if !d.toks[i].nl {
			continue
		}
		end := x.lineEnd(i)
		cells := x.cells(i, end)
		if len(cells) < 2 {
			continue
		}
		col := map[string]int{"qty": -1, "name": -1, "price": -1, "total": -1}
		for k, c := range cells {
			h := strings.ToLower(d.text[d.toks[c[0]].start:d.toks[c[1]-1].end])
			switch {
			case strings.Contains(h, "qty") || strings.Contains(h, "quantity") || h == "count" || h == "units" || h == "#":
				col["qty"] = k
			case strings.Contains(h, "unit") || strings.Contains(h, "price") || strings.Contains(h, "each") || h == "rate" || h == "cost":
				col["price"] = k
			case strings.Contains(h, "total") || strings.Contains(h, "amount"):
				col["total"] = k
			case strings.Contains(h, "item") || strings.Contains(h, "product") || strings.Contains(h, "description") || h == "name":
				col["name"] = k
			}
		}
		if col["name"] < 0 || col["qty"] < 0 && col["price"] < 0 {
			continue
		}
		var items []lineItem
		for r := end; r < len(d.toks); {
			rend := x.lineEnd(r)
			row := x.cells(r, rend)
			if len(row) < 2 {
				break
			}
			it := lineItem{from: r, to: rend}
			cellText := func(k int) string {
				if k < 0 || k >= len(row) {
					return ""
				}
				return strings.TrimSpace(d.text[d.toks[row[k][0]].start:d.toks[row[k][1]-1].end])
			}
			cellNum := func(k int) (float64, bool) {
				if k < 0 || k >= len(row) {
					return 0, false
				}
				for t := row[k][0]; t < row[k][1]; t++ {
					if v, ok := d.number(t); ok {
						return v, true
					}
				}
				return 0, false
			}
			if strings.Trim(cellText(col["name"]), "-: ") == "" {
				r = rend
				continue // the header's underline
			}
			it.name = cellText(col["name"])
			if q, ok := cellNum(col["qty"]); ok && q > 0 {
				it.qty = int(q)
			}
			if p, ok := cellNum(col["price"]); ok {
				it.unit, it.hasUnit = p, true
			} else if t, ok := cellNum(col["total"]); ok {
				it.unit, it.hasUnit = round2(t/float64(max(it.qty, 1))), true
			}
			if !notItems[strings.ToLower(it.name)] {
				items = append(items, it)
			}
			r = rend
		}
		if len(items) > 0 {
			return items
		}
	}
	return nil
}

// cells splits the tokens of a table row at its pipes.
func (x *extractor) cells(from, to int) [][2]int {
	d := x.d
	var out [][2]int
	start := from
	pipes := 0
	for i := from; i < to; i++ {
		if d.toks[i].kind == kPunct && d.tok(i) == "|" {
			pipes++
			if i > start {
				out = append(out, [2]int{start, i})
			}
			start = i + 1
		}
	}
	if to > start {
		out = append(out, [2]int{start, to})
	}
	if pipes < 1 {
		return nil
	}
	return out
}
