package repair

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/reask/reask/schema"
)

// Parse finds the JSON in a model's answer, repairs its syntax and, at the
// default level with a schema, coerces its values to the schema's types.
// It is what the re-ask loop calls: the loop needs the decoded value to
// validate it.
//
// Valid JSON is recognised by one strict scan and returned unchanged; other
// text is read by a lenient single-pass parser (see the package
// documentation for what it repairs). Among several JSON values in the
// text it chooses one that is valid against opts.Schema, else the largest.
//
// The errors match ErrNoJSON, ErrSyntax (*SyntaxError), ErrTruncated
// (*TruncatedError), ErrTooLarge, ErrTooDeep or ErrTooManyFixes. Parse never panics on any
// input, takes time linear in its length and is safe for concurrent use.
func Parse(input []byte, opts Options) (*Result, error) {
	d := newDocument(input, opts)
	if err := d.run(true); err != nil {
		return nil, err
	}
	return &Result{JSON: d.json, Value: d.val, Fixes: d.fixes, Valid: d.valid}, nil
}

// Repair is Parse without the decoded value: it returns the repaired JSON
// text and the fixes. For valid input without a schema it only scans the
// input, which makes it about ten times faster than Parse on large valid
// documents: it suits `reask repair` without --schema and anything that
// only forwards the text. With a schema it does what Parse does.
func Repair(input []byte, opts Options) ([]byte, []Fix, error) {
	d := newDocument(input, opts)
	if err := d.run(false); err != nil {
		return nil, nil, err
	}
	return d.json, d.fixes, nil
}

// document is one run of Parse or Repair.
type document struct {
	input    []byte
	opts     Options
	maxDepth int
	lo, hi   int // the input without surrounding whitespace

	p    *parser
	root int32 // the chosen value's node, once parsed

	json   []byte
	val    any
	hasVal bool
	fixes  []Fix
	// valid records that coercion found val valid against the schema as
	// it stood, so that the caller need not validate it again.
	valid bool
}

func newDocument(input []byte, opts Options) *document {
	return &document{input: input, opts: opts, maxDepth: opts.maxDepth(), root: -1}
}

// coercing reports whether values are coerced after parsing.
func (d *document) coercing() bool {
	return d.opts.Level == SyntaxAndCoercion && d.opts.Schema != nil
}

func (d *document) run(wantValue bool) error {
	defer func() {
		if d.p != nil {
			d.p.release()
			d.p = nil
		}
	}()
	if max := d.opts.maxBytes(); len(d.input) > max {
		return fmt.Errorf("%w: %d bytes, the limit is %d (Options.MaxBytes)", ErrTooLarge, len(d.input), max)
	}
	d.lo, d.hi = 0, len(d.input)
	for d.lo < d.hi && isSpace(d.input[d.lo]) {
		d.lo++
	}
	for d.hi > d.lo && isSpace(d.input[d.hi-1]) {
		d.hi--
	}
	if d.lo == d.hi {
		return fmt.Errorf("%w: the input is empty", ErrNoJSON)
	}
	wantValue = wantValue || d.coercing()

	// The fast path: strict JSON.
	end, serr := scanStrict(d.input[:d.hi], d.lo, d.maxDepth)
	if !serr.failed() && end == d.hi {
		if d.opts.Level != Off && d.input[d.lo] == '"' {
			if ok, err := d.embedded(wantValue); ok || err != nil {
				return err
			}
		}
		d.json = d.input[d.lo:d.hi]
		if wantValue {
			if err := d.decodeSpan(d.lo, d.hi); err != nil {
				return err
			}
		}
		d.coerce()
		return nil
	}
	if serr.tooDeep {
		return fmt.Errorf("%w: more than %d levels of arrays and objects at byte %d", ErrTooDeep, d.maxDepth, serr.off)
	}
	if d.opts.Level == Off {
		if !serr.failed() {
			return newSyntaxError(d.input, end, "unexpected text after the JSON value")
		}
		return newSyntaxError(d.input, serr.off, serr.message(d.input))
	}

	// A document escaped as if inside a string, without the outer quotes:
	// {\"a\": 1}.
	if ok, err := d.escaped(wantValue); ok || err != nil {
		return err
	}
	return d.lenient(wantValue)
}

// decodeSpan decodes the valid JSON input[lo:hi] into d.val.
func (d *document) decodeSpan(lo, hi int) error {
	p := d.parser()
	p.reset()
	p.end, p.pos, p.strict = hi, lo, true
	n, err := p.value()
	if err != nil {
		// Cannot happen: the span is valid JSON. Should it, the input is
		// refused rather than misread.
		return completeSyntaxError(d.input, p.own(err))
	}
	d.val, d.hasVal = p.decode(n), true
	d.root = n
	return nil
}

func (d *document) parser() *parser {
	if d.p == nil {
		d.p = newParser(d.input, d.maxDepth, d.opts.maxFixes())
	}
	return d.p
}

// embedded handles a document that is one JSON string holding a JSON
// object or array: "{\"a\": 1}". Unless the schema asks for a string, the
// inner document is the answer.
func (d *document) embedded(wantValue bool) (bool, error) {
	return d.embeddedIn(d.input[d.lo:d.hi], nil, wantValue)
}

// embeddedIn is embedded for the JSON string token str, repaired from the
// input with fixes.
func (d *document) embeddedIn(str []byte, fixes []Fix, wantValue bool) (bool, error) {
	if d.opts.Schema != nil && allowsString(d.opts.Schema) {
		return false, nil
	}
	inner := []byte(unquote(str))
	inner = bytes.TrimSpace(inner)
	if len(inner) < 2 || (inner[0] != '{' && inner[0] != '[') {
		return false, nil
	}
	if end, err := scanStrict(inner, 0, d.maxDepth); err.failed() || end != len(inner) {
		return false, nil
	}
	sub := newDocument(inner, d.opts)
	if err := sub.run(wantValue); err != nil {
		return false, nil
	}
	d.json, d.val, d.hasVal, d.valid = sub.json, sub.val, sub.hasVal, sub.valid
	d.fixes = append(fixes, Fix{Path: "", Offset: d.lo, Kind: KindDoubleEncoded,
		Before: shortText(string(str)), After: shortText(string(sub.json))})
	d.fixes = append(d.fixes, sub.fixes...)
	return true, nil
}

// escaped handles a document written with escaped quotes and no outer
// quotes, as models do when they copy JSON out of a JSON string:
// {\"a\": \"b\"}. It unescapes the text once and repairs the result.
func (d *document) escaped(wantValue bool) (bool, error) {
	t := d.input[d.lo:d.hi]
	if !(bytes.HasPrefix(t, []byte(`\"`)) || bytes.HasPrefix(t, []byte(`{\"`)) || bytes.HasPrefix(t, []byte(`[\"`))) {
		return false, nil
	}
	inner := unescapeLoose(t)
	sub := newDocument(inner, d.opts)
	if err := sub.run(wantValue); err != nil {
		return false, nil
	}
	d.json, d.val, d.hasVal, d.valid = sub.json, sub.val, sub.hasVal, sub.valid
	d.fixes = append([]Fix{{Path: "", Offset: d.lo, Kind: KindDoubleEncoded,
		Before: shortText(string(t)), After: shortText(string(inner))}}, sub.fixes...)
	return true, nil
}

// unescapeLoose decodes the JSON escapes in t, keeping a backslash that
// starts no valid escape.
func unescapeLoose(t []byte) []byte {
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '\\' || i+1 >= len(t) {
			out = append(out, c)
			continue
		}
		switch d := t[i+1]; d {
		case '"', '\\', '/':
			out = append(out, d)
			i++
		case 'n':
			out = append(out, '\n')
			i++
		case 't':
			out = append(out, '\t')
			i++
		case 'r':
			out = append(out, '\r')
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

// allowsString reports whether the schema's root says it accepts a
// string (a root that says nothing of type does not).
func allowsString(s *schema.Schema) bool {
	root := s.Root().Deref()
	return root.Types() != nil && allows(root, "string")
}

// candidate is one JSON value found in the text.
type candidate struct {
	start, end int   // its input span
	root       int32 // its node, -1 until parsed
	verbatim   bool  // input[start:end] is valid JSON as written
	fixes      []Fix
	// fixFrom and fixTo delimit a container's fixes in the parser's list;
	// a scalar's are in fixes, with fixFrom -1.
	fixFrom, fixTo int
	err            error // why it failed; its span then runs to the failure
	checked        bool  // validated against the schema: valid is known
	valid          bool  // valid against the schema
	jsonLike       bool  // most of its values were written as JSON, not bare text
	val            any
}

func (c *candidate) size() int { return c.end - c.start }

// lenient finds the candidates, chooses one and writes it.
//
// Candidates are chosen as they are read, and only those the choice can
// still fall on keep their nodes and fixes (see picker): a text of many
// broken or small values costs memory for the few kept, not for all.
func (d *document) lenient(wantValue bool) error {
	p := d.parser()
	pk := picker{d: d}
	pos := d.lo
	for pos < d.hi {
		c := d.input[pos]
		if c != '{' && c != '[' {
			if pos == d.lo {
				mark := p.mark()
				if cand, ok := d.scalar(pos); ok {
					if cand.err != nil {
						pk.bad(cand, mark)
					} else {
						pk.good(cand, mark)
						break // it is the whole text
					}
				}
				if err := p.limitErr(); err != nil {
					return err
				}
			}
			next := bytes.IndexAny(d.input[pos+1:d.hi], "{[")
			if next < 0 {
				break
			}
			pos += 1 + next
			continue
		}
		if c == '{' && pos > d.lo && !d.opensObject(pos) {
			pos++
			continue
		}
		pk.beforeNext()
		mark := p.mark()
		cand := d.container(pos)
		if err := p.limitErr(); err != nil {
			return err
		}
		if cand.err != nil {
			if errors.Is(cand.err, ErrTooDeep) {
				return cand.err
			}
			pk.bad(cand, mark)
			if errors.Is(cand.err, ErrTruncated) {
				break
			}
			pos = max(cand.end, pos+1)
			continue
		}
		pk.good(cand, mark)
		pos = cand.end
	}

	chosen, why, valid := pk.choice()
	// A broken candidate beside a good one counts only if it reads as
	// JSON: a stray bracket in the prose after an answer ("see [the
	// docs") is not a truncated answer.
	failed := pk.badAll
	if chosen != nil {
		failed = pk.badJSON
	}
	if failed != nil && (chosen == nil || (!valid && failed.size() > chosen.size())) {
		var te *TruncatedError
		if errors.As(failed.err, &te) && failed.root >= 0 {
			te.Partial = p.write(nil, failed.root)
		}
		return completeSyntaxError(d.input, failed.err)
	}
	if chosen == nil {
		if emptyCodeBlock(d.input[d.lo:d.hi]) {
			return fmt.Errorf("%w: the text is an empty Markdown code block", ErrNoJSON)
		}
		return fmt.Errorf("%w: the text holds no JSON object or array", ErrNoJSON)
	}

	// Fixes: the value's own, the text around it and the choice, in input
	// order.
	switch {
	case chosen.fixFrom < 0:
		d.fixes = chosen.fixes
	case chosen.fixTo > chosen.fixFrom:
		d.fixes = p.fixes.appendRange(make([]Fix, 0, chosen.fixTo-chosen.fixFrom+4), chosen.fixFrom, chosen.fixTo)
	}
	d.fixes = append(d.fixes, d.around(d.lo, chosen.start, true)...)
	if pk.count > 1 {
		d.fixes = append(d.fixes, Fix{Offset: chosen.start, Kind: KindCandidateChosen,
			Before: fmt.Sprintf("%d JSON values", pk.count),
			After:  fmt.Sprintf("the %s, at byte %d", why, chosen.start)})
	}
	d.fixes = append(d.fixes, d.around(chosen.end, d.hi, false)...)
	// A string records its fixes when it ends; order them by offset.
	slices.SortStableFunc(d.fixes, func(a, b Fix) int { return cmp.Compare(a.Offset, b.Offset) })

	if chosen.root >= 0 && p.nodes[chosen.root].kind == kindString {
		// A repaired string holding a document: '{"a": 1}'.
		if ok, err := d.embeddedIn(p.text(&p.nodes[chosen.root]), d.fixes, wantValue); ok || err != nil {
			return err
		}
	}
	if chosen.verbatim {
		d.json = d.input[chosen.start:chosen.end]
	} else {
		d.json = p.write(make([]byte, 0, chosen.size()+chosen.size()/8+16), chosen.root)
	}
	if wantValue {
		if chosen.val == nil {
			if chosen.root < 0 {
				if err := d.decodeSpan(chosen.start, chosen.end); err != nil {
					return err
				}
				chosen.root = d.root
			} else {
				chosen.val = p.decode(chosen.root)
			}
		}
		if chosen.val != nil {
			d.val = chosen.val
		}
		d.hasVal = true
		d.root = chosen.root
	}
	d.coerce()
	return nil
}

// picker chooses among the candidates as they are read: the largest valid
// against the schema when there are several, else the largest (the first
// on a tie); among broken ones the largest, and the largest that reads as
// JSON. A candidate that is none of these can never be chosen nor
// reported: its nodes and fixes, the last in the parser's lists, are
// dropped at once. So the parser holds the kept candidates, plus those a
// later one displaced (no more than the fixes limit allows).
type picker struct {
	d     *document
	count int // good candidates read
	// all is the largest good candidate; valid the largest valid against
	// the schema, once there are two to choose from.
	all, valid *candidate
	// badAll is the largest broken candidate, badJSON the largest that
	// reads as JSON.
	badAll, badJSON *candidate
}

// beforeNext runs before another candidate is read: with a schema, a
// second good candidate means a choice, so the first is validated now,
// before the parser's lists grow past it. (Its verdict counts only if a
// second one comes.)
func (pk *picker) beforeNext() {
	if pk.count == 1 && pk.d.opts.Schema != nil && !pk.all.checked {
		pk.check(pk.all)
		if pk.all.valid {
			pk.valid = pk.all
		}
	}
}

// check validates c against the schema, coerced when the level says so.
func (pk *picker) check(c *candidate) {
	v := pk.d.candidateValue(c)
	if pk.d.coercing() {
		v, _ = Coerce(v, pk.d.opts.Schema)
	}
	c.checked = true
	c.valid = len(pk.d.opts.Schema.Validate(v)) == 0
}

// good takes a candidate read without error; mark is the parser's state
// before it was read.
func (pk *picker) good(c candidate, mark parserMark) {
	pk.count++
	if pk.d.opts.Schema != nil && pk.count > 1 {
		pk.check(&c)
	}
	all := pk.all == nil || c.size() > pk.all.size()
	valid := c.valid && (pk.valid == nil || c.size() > pk.valid.size())
	if !all && !valid {
		pk.d.p.rollback(mark)
		return
	}
	kept := new(candidate)
	*kept = c
	if all {
		pk.all = kept
	}
	if valid {
		pk.valid = kept
	}
}

// bad takes a broken candidate; only a truncated one keeps its nodes, for
// the partial value its error shows.
func (pk *picker) bad(c candidate, mark parserMark) {
	all := pk.badAll == nil || c.size() > pk.badAll.size()
	js := c.jsonLike && (pk.badJSON == nil || c.size() > pk.badJSON.size())
	if !(all || js) || !errors.Is(c.err, ErrTruncated) {
		c.root = -1
		pk.d.p.rollback(mark)
	}
	if !(all || js) {
		return
	}
	kept := new(candidate)
	*kept = c
	kept.err = pk.d.p.own(c.err)
	if all {
		pk.badAll = kept
	}
	if js {
		pk.badJSON = kept
	}
}

// choice is the chosen candidate, why, and whether it is known valid
// against the schema; nil when there is none.
func (pk *picker) choice() (*candidate, string, bool) {
	if pk.count > 1 && pk.valid != nil {
		return pk.valid, "value valid against the schema", true
	}
	return pk.all, "largest value", false
}

// opensObject reports whether the '{' at pos can start an object: what
// follows it can start a key or end the object. Prose full of braces is
// skipped without parsing.
func (d *document) opensObject(pos int) bool {
	i := pos + 1
	for i < d.hi && isSpace(d.input[i]) {
		i++
	}
	if i >= d.hi {
		return true // truncated
	}
	switch c := d.input[i]; c {
	case '{', '[', ':', ']', ')':
		return false
	}
	return true
}

// container parses the object or array starting at pos.
func (d *document) container(pos int) candidate {
	p := d.parser()
	if end, err := scanStrict(d.input[:d.hi], pos, d.maxDepth); !err.failed() {
		if _, merge := d.membersFollow(end); !merge || d.input[pos] != '{' {
			return candidate{start: pos, end: end, root: -1, verbatim: true}
		}
	}
	p.reset()
	p.end, p.pos = d.hi, pos
	from, nodes := p.fixes.len(), len(p.nodes)
	root, err := p.value()
	cand := candidate{start: pos, end: p.pos, root: root, err: err}
	bare := 0
	for i := from; i < p.fixes.len(); i++ {
		if k := p.fixes.at(i).Kind; k == KindUnquotedString || k == KindUnquotedKey {
			bare++
		}
	}
	cand.jsonLike = 2*bare < len(p.nodes)-nodes
	if err != nil {
		if se, ok := err.(*SyntaxError); ok { // the parser's are not wrapped
			cand.end = se.Offset
		}
		if errors.Is(err, ErrTruncated) {
			cand.end = d.hi
		}
	}
	if err == nil && p.nodes[root].kind == kindObject {
		d.mergeMembers(&cand)
	}
	cand.fixFrom, cand.fixTo = from, p.fixes.len()
	return cand
}

// mergeMembers handles an object closed too early: {"a": 1}, "b": 2}.
// When the object is followed by a comma, a quoted key and a colon, and
// the members that follow end with a closing brace, they belong to it.
func (d *document) mergeMembers(cand *candidate) {
	p := d.parser()
	j, ok := d.membersFollow(cand.end)
	if !ok {
		return
	}
	// Try; undo on failure.
	obj := &p.nodes[cand.root]
	saveLo, saveHi := obj.lo, obj.hi
	var saveNext int32 = -1
	if saveHi >= 0 {
		saveNext = p.nodes[saveHi].next
	}
	nodes, aux, fixes := len(p.nodes), len(p.aux), p.fixes.len()
	p.reset()
	p.end, p.pos = d.hi, j
	p.depth = 1
	p.open = append(p.open, '}')
	if err := p.members(cand.root, -1); err == nil {
		p.fix(KindMismatchedBracket, cand.end-1, "}", "")
		cand.end = p.pos
		return
	}
	obj = &p.nodes[cand.root]
	obj.lo, obj.hi = saveLo, saveHi
	if saveHi >= 0 {
		p.nodes[saveHi].next = saveNext
	}
	p.nodes, p.aux = p.nodes[:nodes], p.aux[:aux]
	p.fixes.truncate(fixes)
}

// membersFollow reports whether a comma and a quoted key with a colon (or
// a value) follow offset i, and where the key starts.
func (d *document) membersFollow(i int) (int, bool) {
	for i < d.hi && isSpace(d.input[i]) {
		i++
	}
	if i >= d.hi || d.input[i] != ',' {
		return 0, false
	}
	j := i + 1
	for j < d.hi && isSpace(d.input[j]) {
		j++
	}
	if j >= d.hi || d.input[j] != '"' {
		return 0, false
	}
	k := j + 1
	for k < d.hi && d.input[k] != '"' && d.input[k] != '\n' {
		k++
	}
	k++
	for k < d.hi && isSpace(d.input[k]) {
		k++
	}
	if k >= d.hi || (d.input[k] != ':' && d.input[k] != '"') {
		return 0, false
	}
	return j, true
}

// scalar parses the text as one value that is not an object or array:
// "text", 12, true, NaN, a function call. It returns nil when the text is
// not such a value (prose).
func (d *document) scalar(pos int) (candidate, bool) {
	if bytes.HasPrefix(d.input[pos:d.hi], []byte("``")) {
		// Two backticks or more open Markdown (a fence, a code span), not
		// a back-quoted string: two backticks are no empty string.
		return candidate{}, false
	}
	p := d.parser()
	p.reset()
	p.end, p.pos = d.hi, pos
	from := p.fixes.len()
	defer p.fixes.truncate(from)
	root, err := p.value()
	if err != nil {
		if errors.Is(err, ErrTruncated) {
			return candidate{start: pos, end: d.hi, root: root, err: err}, true
		}
		return candidate{}, false
	}
	for i := from; i < p.fixes.len(); i++ {
		if f := p.fixes.at(i); f.Path == "" && f.Kind == KindUnquotedString && f.Offset == pos {
			return candidate{}, false // a bare word is prose
		}
	}
	end := p.pos
	p.space()
	for !p.atEnd() && (p.src[p.pos] == ';' || p.src[p.pos] == ',') {
		p.pos++
		p.space()
	}
	if !p.atEnd() && !p.fenced {
		return candidate{}, false
	}
	return candidate{start: pos, end: end, root: root, fixes: p.fixes.appendRange(nil, from, p.fixes.len()), fixFrom: -1}, true
}

// emptyCodeBlock reports whether t is nothing but backticks, and perhaps
// the language tag of an opening fence: three backticks, six, or a fence
// with a tag and no content.
func emptyCodeBlock(t []byte) bool {
	rest := bytes.TrimLeft(t, "`")
	if len(t)-len(rest) >= 3 {
		// The language tag, up to the end of the fence line.
		i := 0
		for i < len(rest) && !isSpace(rest[i]) && rest[i] != '`' {
			i++
		}
		rest = rest[i:]
	}
	return len(bytes.Trim(rest, "` \t\r\n")) == 0
}

// candidateValue decodes a candidate.
func (d *document) candidateValue(c *candidate) any {
	if c.val != nil {
		return c.val
	}
	if c.root < 0 {
		if d.decodeSpan(c.start, c.end) != nil {
			return nil
		}
		c.root = d.root
		c.val = d.val
		d.val, d.hasVal, d.root = nil, false, -1
		return c.val
	}
	c.val = d.parser().decode(c.root)
	return c.val
}

// around records the text removed before (lead) or after the value:
// Markdown fences and prose.
func (d *document) around(lo, hi int, lead bool) []Fix {
	t := d.input[lo:hi]
	if len(bytes.TrimSpace(t)) == 0 {
		return nil
	}
	var out []Fix
	prose := strings.TrimSpace(string(t))
	if i := bytes.Index(t, []byte("```")); i >= 0 {
		// The fence line: ``` and a language tag.
		j := i + 3
		for j < len(t) && t[j] != '\n' && !isSpace(t[j]) {
			j++
		}
		fence := string(t[i:j])
		out = append(out, Fix{Offset: lo + i, Kind: KindMarkdownFence, Before: shortText(fence)})
		prose = strings.TrimSpace(strings.Replace(string(t), fence, "", 1))
		prose = strings.TrimSpace(strings.ReplaceAll(prose, "```", ""))
	}
	if strings.TrimFunc(prose, isInvisible) == "" && prose != "" {
		// A byte order mark or a zero-width space, not prose.
		return append(out, Fix{Offset: lo, Kind: KindUnicodeWhitespace, Before: fmt.Sprintf("%+q", prose)})
	}
	if prose != "" {
		off := lo
		if !lead {
			off = lo + bytes.Index(t, []byte(firstWord(prose)))
		}
		out = append(out, Fix{Offset: off, Kind: KindSurroundingProse, Before: shortText(prose)})
	}
	return out
}

// isInvisible reports whether r is a space, a byte order mark or a
// zero-width space.
func isInvisible(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B'
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t\r\n"); i > 0 {
		return s[:i]
	}
	return s
}

// coerce applies Coerce to the chosen value at the default level with a
// schema, and rewrites the JSON when something changed.
func (d *document) coerce() {
	if !d.coercing() || !d.hasVal {
		return
	}
	v, fixes, valid := coerce(d.val, d.opts.Schema)
	d.valid = valid
	if len(fixes) == 0 {
		return
	}
	d.val = v
	d.fixes = append(d.fixes, fixes...)
	d.json = d.writeValue(nil, v, d.root)
}
