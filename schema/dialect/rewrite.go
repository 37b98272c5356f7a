package dialect

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// RecursionDepth is how many levels of a recursive schema Gemini's legacy
// responseSchema, which has no references, is sent: the definition is
// inlined this many times along any path, and the property that would
// recurse further is left out (a Loosened change). Deeper levels are still
// validated by reask.
const RecursionDepth = 3

// MaxInlined bounds the subschemas a rewrite for Gemini's legacy schema
// writes: inlining the references of a schema whose definitions use one
// another several times grows exponentially. Past it, references are no
// longer expanded (Loosened changes) and Result.Problems says the schema is
// too large for the dialect.
const MaxInlined = 10_000

// Rewrite returns doc rewritten for dialect d: the strongest schema d
// takes, what it relaxed and what it restated. It never changes doc. For a
// strict dialect, Result.Strict says whether the rewrite qualifies; Select
// falls back to the loose form when it does not. doc must be one JSON
// value (ErrNotJSON) nested at most MaxDepth deep (ErrTooDeep); a schema
// that is valid JSON but not a valid JSON Schema is rewritten as far as it
// reads, compiling it is the schema package's job.
func Rewrite(doc []byte, d Dialect) (*Result, error) {
	tree, err := parse(doc)
	if err != nil {
		return nil, err
	}
	r := &Result{Dialect: d}
	tooLarge := false
	switch d {
	case OpenAIStrict, AnthropicStrict, GeminiJSONSchema, GeminiSchema:
		w := &rewriter{d: d, root: tree, cycles: findCycles(tree), absent: map[*object][]string{}, seen: map[string]bool{},
			origin: origins(tree)}
		out := w.top(tree)
		r.tree, r.Relaxed, r.Rewritten, r.absent = out, w.relaxed, w.rewritten, w.absent
		tooLarge = w.tooLarge
	case Anthropic:
		// An input_schema must be an object at its root.
		w := &rewriter{d: d, root: tree, seen: map[string]bool{}}
		if root, ok := tree.(*object); ok {
			root = w.unwrapRoot(root)
			if !root.has("type") && root.has("properties") {
				root = root.clone()
				root.set("type", "object")
				w.restate("/type", "type", Restated, "an input_schema is an object")
			}
			tree = root
		}
		r.tree, r.Rewritten = tree, w.rewritten
	default:
		r.tree = tree
	}
	r.Schema = marshal(r.tree)
	r.Problems = checkTree(r.tree, d)
	if tooLarge {
		r.Problems = append(r.Problems, Problem{Keyword: "$ref", Message: fmt.Sprintf("the schema is too large for Gemini's legacy schema once its references are inlined (more than %d subschemas)", MaxInlined)})
	}
	r.Strict = d.IsStrict() && len(r.Problems) == 0 && !r.hasBlocked()
	if len(r.absent) == 0 {
		r.absent = nil
	}
	return r, nil
}

func (r *Result) hasBlocked() bool {
	for _, c := range r.Relaxed {
		if c.Action == Blocked {
			return true
		}
	}
	return false
}

// rewriter carries one rewrite's state.
type rewriter struct {
	d      Dialect
	root   any
	cycles refCycles
	// relaxed and rewritten collect the changes; seen keeps each
	// (pointer, keyword, action) once, since an inlined definition is
	// walked once per use.
	relaxed, rewritten []Change
	seen               map[string]bool
	absent             map[*object][]string
	// expanding counts, per reference, the expansions in progress (Gemini's
	// legacy schema inlines them).
	expanding map[string]int
	// written counts the subschemas written (for MaxInlined).
	written  int
	tooLarge bool
	// def is the definition (or "" for the root) being walked, for the
	// recursion rules of the dialects that keep references.
	def string
	// origin is where each object of the user's document is in it: a
	// subschema moved by a restatement (oneOf as anyOf, allOf merged, a
	// reference inlined) keeps its own pointer in the changes.
	origin map[*object]string
}

// origins maps every object of the document to its JSON Pointer.
func origins(tree any) map[*object]string {
	m := map[*object]string{}
	var walk func(v any, at string, depth int)
	walk = func(v any, at string, depth int) {
		if depth > MaxDepth {
			return
		}
		switch x := v.(type) {
		case *object:
			if _, seen := m[x]; !seen {
				m[x] = at
			}
			for _, k := range x.keys {
				walk(x.vals[k], join(at, k), depth+1)
			}
		case []any:
			for i, e := range x {
				walk(e, join(at, itoa(i)), depth+1)
			}
		}
	}
	walk(tree, "", 0)
	return m
}

// cut stands, in Gemini's legacy schema, for a recursion not unrolled
// further: the property holding it is left out.
type cut struct{}

func (w *rewriter) change(list *[]Change, c Change) {
	key := c.Pointer + "\x00" + c.Keyword + "\x00" + string(c.Action)
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	*list = append(*list, c)
}

func (w *rewriter) relax(ptr, kw string, a Action, reason string) {
	w.change(&w.relaxed, Change{Pointer: ptr, Keyword: kw, Action: a, Reason: reason})
}

func (w *rewriter) restate(ptr, kw string, a Action, reason string) {
	w.change(&w.rewritten, Change{Pointer: ptr, Keyword: kw, Action: a, Reason: reason})
}

// blockStrict records a place that keeps strict mode off.
func (w *rewriter) blockStrict(ptr, kw, reason string) {
	w.relax(ptr, kw, Blocked, reason)
}

// inlines reports whether the dialect replaces references by their target.
func (w *rewriter) inlines() bool { return w.d == GeminiSchema }

// top rewrites the document's root. For the strict dialects a root that
// only names a definition ({"$ref": "#/$defs/Node", "$defs": …}, as
// Pydantic writes a recursive model) is replaced by that definition, the
// definitions kept: their roots must be objects.
func (w *rewriter) top(tree any) any {
	root, ok := tree.(*object)
	if !ok {
		if w.d.IsStrict() {
			w.blockStrict("", "type", "the root must be an object schema")
		}
		return w.schema(tree, "")
	}
	if w.d.IsStrict() {
		root = w.unwrapRoot(root)
	}
	if w.d == OpenAIStrict && (root.has("anyOf") || root.has("oneOf")) {
		w.blockStrict("", "anyOf", "OpenAI's strict root must be an object, not a union")
	}
	if w.d.IsStrict() && !isObjectSchema(root) && !root.has("allOf") {
		w.blockStrict("", "type", "the root must be an object schema")
	}
	out := w.schema(root, "")
	if _, isCut := out.(cut); isCut {
		return newObject()
	}
	return out
}

// unwrapRoot returns the definition a root that is only a reference names,
// with the root's definitions and annotations, or root itself.
func (w *rewriter) unwrapRoot(root *object) *object {
	ref, ok := root.vals["$ref"].(string)
	if !ok {
		return root
	}
	for _, k := range root.keys {
		switch k {
		case "$ref", "$defs", "definitions", "$schema", "$id", "$comment", "title", "description":
		default:
			return root
		}
	}
	t, _, found := resolve(root, ref)
	to, isObj := t.(*object)
	if !found || !isObj || to.has("$ref") {
		return root
	}
	out := to.clone()
	for _, k := range root.keys {
		if k != "$ref" && !out.has(k) {
			out.set(k, root.vals[k])
		}
	}
	w.restate("/$ref", "$ref", Inlined, "the root is the definition it names: the root must be an object")
	return out
}

// isObjectSchema reports whether s describes objects only.
func isObjectSchema(s *object) bool {
	ts := types(s)
	return len(ts) == 1 && ts[0] == "object" || ts == nil && s.has("properties") && !s.has("anyOf") && !s.has("oneOf")
}

// types lists the JSON types s's "type" allows, nil when it does not say.
func types(s *object) []string {
	switch t := s.vals["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if x, ok := e.(string); ok {
				out = append(out, x)
			}
		}
		return out
	}
	return nil
}

// schema rewrites the subschema v found at src in the user's document.
// It returns the new subschema, or cut{}.
func (w *rewriter) schema(v any, src string) any {
	s, ok := v.(*object)
	if !ok {
		if b, isBool := v.(bool); isBool && b && w.d == OpenAIStrict {
			w.blockStrict(src, "type", "a schema that allows any value cannot be strict")
		}
		if w.d == GeminiSchema {
			if b, isBool := v.(bool); isBool && b {
				return newObject()
			}
		}
		return v
	}
	if at, ok := w.origin[s]; ok {
		src = at
	}
	w.written++
	s = s.clone()
	// $ref: inlined (Gemini's legacy schema, and a reference beside other
	// keywords there) or kept.
	if ref, isRef := s.vals["$ref"].(string); isRef {
		if w.inlines() {
			return w.inline(s, ref, src)
		}
		w.noteCycle(ref, src)
	}
	w.normalize(s, src)
	out := newObject()
	var notes []string
	descAt := -1
	for _, k := range s.keys {
		v := s.vals[k]
		kp := join(src, k)
		switch rule(w.d, k) {
		case keep:
			out.set(k, v)
		case silent:
		case note:
			if v != nil {
				notes = append(notes, k+": "+text(v))
			}
		case drop:
			w.relax(kp, k, Dropped, fmt.Sprintf("%s does not take %s; reask validates it", w.d.words(), k))
		case describe:
			if k == "uniqueItems" && v != true {
				continue
			}
			notes = append(notes, k+": "+text(v))
			w.relax(kp, k, Described, fmt.Sprintf("%s does not enforce %s; it is in the description and reask validates it", w.d.words(), k))
		case special:
			if k == "description" {
				descAt = len(out.keys)
				out.set(k, v)
				continue
			}
			n, isCut := w.keyword(s, out, k, v, src)
			if isCut {
				return cut{}
			}
			notes = append(notes, n...)
		}
	}
	w.closeObject(s, out, src)
	if len(notes) > 0 {
		desc := out.str("description")
		add := strings.Join(notes, ", ")
		if desc != "" {
			desc += " (" + add + ")"
		} else {
			desc = add
		}
		if descAt < 0 {
			out.set("description", desc)
		} else {
			out.vals["description"] = desc
		}
	}
	return out
}

// keyword rewrites one special keyword of s into out and returns notes
// for the description; isCut reports a schema that, in Gemini's legacy
// form, is left out (a recursion cut, see inline).
func (w *rewriter) keyword(s, out *object, k string, v any, src string) (notes []string, isCut bool) {
	kp := join(src, k)
	switch k {
	case "$ref":
		// Where a reference may not have siblings, closeObject moves them
		// to a one-branch anyOf around it.
		out.set(k, w.refName(v))
	case "type":
		if w.d == GeminiSchema {
			w.legacyType(s, out, src)
			return nil, false
		}
		out.set(k, v)
	case "properties":
		w.properties(s, out, src)
	case "required":
		if _, done := out.vals["required"]; !done {
			out.set(k, v)
		}
	case "additionalProperties":
		w.additional(s, out, v, src)
	case "patternProperties":
		if w.d.IsStrict() {
			w.blockStrict(kp, k, "an object with patternProperties (a map) cannot be closed for strict mode")
			return nil, false
		}
		w.relax(kp, k, Dropped, fmt.Sprintf("%s does not take patternProperties; reask validates them", w.d.words()))
	case "items":
		switch it := v.(type) {
		case *object, bool:
			c := w.schema(it, kp)
			if _, isCut := c.(cut); isCut {
				return nil, true
			}
			out.set("items", c)
		}
	case "prefixItems":
		a, _ := v.([]any)
		items := make([]any, 0, len(a))
		for i, e := range a {
			items = append(items, w.schema(e, join(kp, fmt.Sprint(i))))
		}
		out.set(k, items)
	case "anyOf":
		a, _ := v.([]any)
		alts := make([]any, 0, len(a))
		for i, e := range a {
			c := w.schema(e, join(kp, fmt.Sprint(i)))
			if _, isCut := c.(cut); isCut {
				continue
			}
			alts = append(alts, c)
		}
		if len(alts) == 0 {
			return nil, true
		}
		out.set(k, alts)
	case "enum":
		return w.enum(out, v, src), false
	case "const":
		return w.constant(s, out, v, src), false
	case "format":
		f, _ := v.(string)
		if formatOK(w.d, f, types(s)) {
			out.set(k, v)
			return nil, false
		}
		w.relax(kp, k, Described, fmt.Sprintf("%s does not take format %q; it is in the description and reask validates it", w.d.words(), f))
		return []string{"format: " + f}, false
	case "pattern":
		p, _ := v.(string)
		if patternOK(w.d, p) {
			out.set(k, v)
			return nil, false
		}
		reason := fmt.Sprintf("%s does not take this pattern", w.d.words())
		if w.d == GeminiJSONSchema {
			reason = "Gemini's responseJsonSchema does not take pattern"
		}
		w.relax(kp, k, Described, reason+"; it is in the description and reask validates it")
		return []string{"pattern: " + p}, false
	case "exclusiveMinimum", "exclusiveMaximum":
		return w.exclusive(s, out, k, v, src), false
	case "minItems":
		n, ok := intValue(v)
		if w.d == AnthropicStrict && (!ok || n > 1) {
			out.set(k, 1)
			w.relax(kp, k, Loosened, "Anthropic's strict tools take minItems 0 or 1 only; 1 is sent, the rest is in the description and reask validates it")
			return []string{"minItems: " + text(v)}, false
		}
		out.set(k, v)
	case "examples":
		if a, ok := v.([]any); ok && len(a) > 0 {
			out.set("example", a[0])
		}
	case "example":
		out.set(k, v)
	case "$defs", "definitions":
		w.defs(out, k, v, src)
	case "oneOf", "allOf", "additionalItems":
		// normalize has taken them out.
	}
	return nil, false
}

// defs rewrites a map of definitions where the dialect keeps references;
// Gemini's responseJsonSchema takes $defs only, so definitions join them
// (refName renames the references).
func (w *rewriter) defs(out *object, k string, v any, src string) {
	m, ok := v.(*object)
	if !ok || w.inlines() {
		return
	}
	name := k
	if w.d == GeminiJSONSchema && k == "definitions" {
		name = "$defs"
	}
	nm, _ := out.vals[name].(*object)
	if nm == nil {
		nm = newObject()
	}
	for _, def := range m.keys {
		ptr := join(join(src, k), def)
		prev := w.def
		w.def = ptr
		c := w.schema(m.vals[def], ptr)
		w.def = prev
		if !nm.has(def) {
			nm.set(def, c)
		}
	}
	out.set(name, nm)
}

// refName renames, for Gemini's responseJsonSchema, references to
// definitions (draft-07) as references to $defs.
func (w *rewriter) refName(v any) any {
	if ref, ok := v.(string); ok && w.d == GeminiJSONSchema && strings.HasPrefix(ref, "#/definitions/") {
		return "#/$defs/" + strings.TrimPrefix(ref, "#/definitions/")
	}
	return v
}

// normalize restates, in place, what every transforming dialect says
// otherwise: allOf merged into the schema, oneOf as anyOf, tuples as items,
// draft-07's array form of items.
func (w *rewriter) normalize(s *object, src string) {
	if a, ok := s.vals["items"].([]any); ok { // draft-07 tuple
		s.del("items")
		s.set("prefixItems", a)
		if ai, ok := s.get("additionalItems"); ok {
			s.set("items", ai)
		}
	}
	s.del("additionalItems")
	if _, ok := s.get("allOf"); ok {
		w.mergeAllOf(s, src)
	}
	if one, ok := s.get("oneOf"); ok {
		kp := join(src, "oneOf")
		if _, has := s.get("anyOf"); has {
			w.relax(kp, "oneOf", Dropped, fmt.Sprintf("oneOf beside anyOf: %s takes one union; reask validates it", w.d.words()))
		} else {
			s.set("anyOf", one)
			w.relax(kp, "oneOf", Loosened, "sent as anyOf: that exactly one alternative matches is enforced by reask")
		}
		s.del("oneOf")
	}
	if p, ok := s.vals["prefixItems"].([]any); ok && w.d != GeminiJSONSchema {
		w.tuple(s, p, src)
	}
}

// tuple turns prefixItems into items (their union) with the length bounds
// they imply, for the dialects without tuples.
func (w *rewriter) tuple(s *object, prefix []any, src string) {
	alts := slices.Clone(prefix)
	closed := false
	switch it := s.vals["items"].(type) {
	case bool:
		closed = !it
	case *object:
		alts = append(alts, it)
	}
	s.del("prefixItems")
	switch {
	case len(alts) == 1:
		s.set("items", alts[0])
	case len(alts) > 1:
		u := newObject()
		u.set("anyOf", alts)
		s.set("items", u)
	default:
		s.del("items")
	}
	if n, ok := intValue(s.vals["minItems"]); !ok || n < len(prefix) {
		s.set("minItems", len(prefix))
	}
	if closed {
		if n, ok := intValue(s.vals["maxItems"]); !ok || n > len(prefix) {
			s.set("maxItems", len(prefix))
		}
	}
	w.relax(join(src, "prefixItems"), "prefixItems", Loosened, fmt.Sprintf("%s has no tuples: each position takes any of the tuple's schemas; reask validates the positions", w.d.words()))
}

// mergeable keywords: those mergeAllOf knows how to combine.
var mergeable = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true, "description": true,
	"title": true, "$comment": true, "default": true, "examples": true,
}

// mergeAllOf folds allOf's branches (references followed) into s when they
// only describe objects or annotate; otherwise strict mode is off (for the
// strict dialects) or allOf is dropped.
func (w *rewriter) mergeAllOf(s *object, src string) {
	kp := join(src, "allOf")
	branches, _ := s.vals["allOf"].([]any)
	s.del("allOf")
	merged := s.clone()
	for _, b := range branches {
		bo := w.follow(b)
		if bo == nil {
			w.cannotMerge(s, kp, branches)
			return
		}
		for _, k := range bo.keys {
			if !mergeable[k] && !(k == "$defs" || k == "definitions") {
				// Another keyword may simply be copied when s does not
				// have it.
				if _, has := merged.get(k); has {
					w.cannotMerge(s, kp, branches)
					return
				}
				merged.set(k, bo.vals[k])
				continue
			}
			if !mergeInto(merged, k, bo.vals[k]) {
				w.cannotMerge(s, kp, branches)
				return
			}
		}
	}
	*s = *merged
	w.restate(kp, "allOf", Restated, "its branches are merged into one schema")
}

// cannotMerge records an allOf that does not merge and keeps its first
// object branch, so that the model is still told the shape.
func (w *rewriter) cannotMerge(s *object, kp string, branches []any) {
	if w.d.IsStrict() {
		w.blockStrict(kp, "allOf", "allOf that does not merge into one schema cannot be strict")
	} else {
		w.relax(kp, "allOf", Dropped, fmt.Sprintf("%s does not take allOf and its branches do not merge; reask validates them", w.d.words()))
	}
	if !s.has("properties") && !s.has("type") && !s.has("$ref") && len(branches) > 0 {
		if bo := w.follow(branches[0]); bo != nil {
			for _, k := range bo.keys {
				if !s.has(k) {
					s.set(k, bo.vals[k])
				}
			}
		}
	}
}

// follow returns the object schema b is, its references followed.
func (w *rewriter) follow(b any) *object {
	for range 32 {
		o, ok := b.(*object)
		if !ok {
			return nil
		}
		ref, isRef := o.vals["$ref"].(string)
		if !isRef {
			return o
		}
		t, _, found := resolve(w.root, ref)
		if !found {
			return nil
		}
		if len(o.keys) > 1 {
			// A reference with siblings: both apply; merge them.
			c := o.clone()
			c.del("$ref")
			to, ok := t.(*object)
			if !ok {
				return nil
			}
			for _, k := range to.keys {
				if !mergeInto(c, k, to.vals[k]) {
					return nil
				}
			}
			return c
		}
		b = t
	}
	return nil
}

// mergeInto combines keyword k with value v into s, reporting false when
// they conflict.
func mergeInto(s *object, k string, v any) bool {
	cur, has := s.get(k)
	if !has {
		s.set(k, v)
		return true
	}
	switch k {
	case "description", "title", "$comment", "default", "examples":
		return true // s's own annotation stands
	case "required":
		a, _ := cur.([]any)
		b, _ := v.([]any)
		out := slices.Clone(a)
		for _, x := range b {
			if !slices.ContainsFunc(out, func(y any) bool { return y == x }) {
				out = append(out, x)
			}
		}
		s.set(k, out)
		return true
	case "properties":
		a, okA := cur.(*object)
		b, okB := v.(*object)
		if !okA || !okB {
			return false
		}
		m := a.clone()
		for _, name := range b.keys {
			if _, dup := m.get(name); dup {
				if string(marshal(m.vals[name])) != string(marshal(b.vals[name])) {
					return false
				}
				continue
			}
			m.set(name, b.vals[name])
		}
		s.set(k, m)
		return true
	case "additionalProperties":
		if cur == false || v == false {
			s.set(k, false)
			return true
		}
	}
	return string(marshal(cur)) == string(marshal(v))
}

// inline replaces a reference by its target (Gemini's legacy schema),
// unrolling recursion RecursionDepth times.
func (w *rewriter) inline(s *object, ref, src string) any {
	kp := join(src, "$ref")
	t, at, found := resolve(w.root, ref)
	if !found {
		w.relax(kp, "$ref", Dropped, fmt.Sprintf("the reference %q does not resolve inside the document", ref))
		s.del("$ref")
		return w.schema(s, src)
	}
	if w.expanding == nil {
		w.expanding = map[string]int{}
	}
	if w.written > MaxInlined {
		w.tooLarge = true
		w.relax(kp, "$ref", Loosened, fmt.Sprintf("Gemini's legacy schema has no references, and inlining them would write more than %d subschemas", MaxInlined))
		return cut{}
	}
	if w.expanding[ref] >= RecursionDepth {
		w.relax(kp, "$ref", Loosened, fmt.Sprintf("Gemini's legacy schema has no references: the recursion is sent %d levels deep; reask validates the deeper ones", RecursionDepth))
		return cut{}
	}
	w.restate(kp, "$ref", Inlined, "Gemini's legacy schema has no references")
	w.expanding[ref]++
	defer func() { w.expanding[ref]-- }()
	target := t
	if len(s.keys) > 1 {
		// Siblings apply with the target: merge them, as allOf would.
		rest := s.clone()
		rest.del("$ref")
		if to := w.follow(t); to != nil {
			m := to.clone()
			ok := true
			for _, k := range rest.keys {
				if k == "description" || k == "title" {
					m.set(k, rest.vals[k]) // the use's own words
					continue
				}
				if !mergeInto(m, k, rest.vals[k]) {
					ok = false
					break
				}
			}
			if ok {
				target = m
			} else {
				w.relax(src, "$ref", Dropped, "keywords beside the reference conflict with its target; reask validates them")
			}
		}
	}
	return w.schema(target, at)
}

// noteCycle applies, to a reference kept in the document, the recursion
// rules of the dialect: Anthropic's strict tools take none.
func (w *rewriter) noteCycle(ref, src string) {
	if !w.cycles.closes(w.def, ref) {
		return
	}
	if w.d == AnthropicStrict {
		w.blockStrict(join(src, "$ref"), "$ref", "Anthropic's strict tools do not take recursive schemas")
	}
}

// properties rewrites an object's properties; for OpenAI strict every one
// becomes required, optional ones nullable.
func (w *rewriter) properties(s, out *object, src string) {
	props, ok := s.vals["properties"].(*object)
	if !ok {
		return
	}
	kp := join(src, "properties")
	req := map[string]bool{}
	reqList, _ := s.vals["required"].([]any)
	for _, r := range reqList {
		if name, ok := r.(string); ok {
			req[name] = true
		}
	}
	np := newObject()
	var required []any
	for _, name := range props.keys {
		pp := join(kp, name)
		if o, ok := props.vals[name].(*object); ok {
			if at, known := w.origin[o]; known {
				pp = at
			}
		}
		nullAlready := w.admitsNull(props.vals[name], 0)
		if w.d == OpenAIStrict && !req[name] {
			// Said before the property's own changes, in document order.
			if nullAlready {
				w.restate(pp, "required", Nullable, "optional property sent as required; it already admits null, which stays null")
			} else {
				w.restate(pp, "required", Nullable, "optional property sent as required and nullable; a null answer means absent")
			}
		}
		c := w.schema(props.vals[name], pp)
		if _, isCut := c.(cut); isCut {
			continue
		}
		if w.d == GeminiJSONSchema && req[name] && w.cycles.through(w.def, props.vals[name]) {
			req[name] = false
			w.relax(pp, "required", Loosened, "Gemini unrolls a recursive reference only inside an optional property: sent optional, reask requires it")
		}
		if w.d == OpenAIStrict {
			if !req[name] && !nullAlready {
				c = w.nullable(c, out, name)
			}
			required = append(required, name)
		} else if req[name] {
			required = append(required, name)
		}
		np.set(name, c)
	}
	out.set("properties", np)
	if w.d == OpenAIStrict || s.has("required") || len(required) > 0 {
		if w.d != OpenAIStrict {
			// Names required but not declared stay required.
			for _, r := range reqList {
				if name, ok := r.(string); ok && !props.has(name) && !slices.Contains(required, any(name)) {
					if w.d == GeminiSchema {
						continue // the legacy schema refuses them
					}
					required = append(required, name)
				}
			}
		}
		if required == nil {
			required = []any{}
		}
		out.set("required", required)
	}
	if w.d == GeminiSchema && len(np.keys) > 1 {
		order := make([]any, len(np.keys))
		for i, k := range np.keys {
			order[i] = k
		}
		out.set("propertyOrdering", order)
	}
}

// nullable makes the subschema c of an optional property admit null, for
// OpenAI strict where every property is required, and records on obj that
// its null means absent. A property that already admits null keeps its
// null: the model can no longer leave it out.
func (w *rewriter) nullable(c any, obj *object, name string) any {
	o, ok := c.(*object)
	if !ok {
		return c
	}
	w.absent[obj] = append(w.absent[obj], name)
	_, hasConst := o.get("const")
	_, hasRef := o.get("$ref")
	switch t := o.vals["type"].(type) {
	case string:
		if !hasConst && !hasRef && !o.has("anyOf") {
			o.set("type", []any{t, "null"})
			addNullToEnum(o)
			return o
		}
	case []any:
		if !hasConst && !hasRef && !o.has("anyOf") {
			o.set("type", append(slices.Clone(t), "null"))
			addNullToEnum(o)
			return o
		}
	}
	if alts, ok := o.vals["anyOf"].([]any); ok && !o.has("type") && !hasConst && !hasRef && !o.has("enum") {
		o.set("anyOf", append(slices.Clone(alts), nullSchema()))
		return o
	}
	u := newObject()
	u.set("anyOf", []any{o, nullSchema()})
	return u
}

func nullSchema() *object {
	n := newObject()
	n.set("type", "null")
	return n
}

func addNullToEnum(o *object) {
	if e, ok := o.vals["enum"].([]any); ok {
		o.set("enum", append(slices.Clone(e), nil))
	}
}

// admitsNull reports whether the user's subschema v says null is allowed,
// its references followed.
func (w *rewriter) admitsNull(v any, depth int) bool {
	s := w.follow(v)
	if s == nil || depth > 32 {
		return false
	}
	if slices.Contains(types(s), "null") {
		return true
	}
	if c, ok := s.get("const"); ok && c == nil {
		return true
	}
	if e, ok := s.vals["enum"].([]any); ok && slices.Contains(e, any(nil)) {
		return true
	}
	for _, u := range []string{"anyOf", "oneOf"} {
		if alts, ok := s.vals[u].([]any); ok {
			for _, a := range alts {
				if w.admitsNull(a, depth+1) {
					return true
				}
			}
		}
	}
	return false
}

// additional handles additionalProperties: strict dialects close every
// object; Gemini's legacy schema has no such field.
func (w *rewriter) additional(s, out *object, v any, src string) []string {
	kp := join(src, "additionalProperties")
	switch w.d {
	case OpenAIStrict, AnthropicStrict:
		if v == false {
			out.set("additionalProperties", false)
			return nil
		}
		if v == true && s.has("properties") {
			// Extra fields allowed beside declared ones: closed, since a
			// model only writes the declared ones anyway.
			out.set("additionalProperties", false)
			w.restate(kp, "additionalProperties", Restated, "closed for strict mode: the model writes only the declared properties")
			return nil
		}
		w.blockStrict(kp, "additionalProperties", "an object with additionalProperties (a map) cannot be closed for strict mode")
		return nil
	case GeminiSchema:
		if v == false {
			w.relax(kp, "additionalProperties", Dropped, "Gemini's legacy schema has no additionalProperties; reask drops or re-asks extra fields")
		} else if _, isSchema := v.(*object); isSchema {
			w.relax(kp, "additionalProperties", Dropped, "Gemini's legacy schema has no maps (additionalProperties); reask validates their values")
		}
		return nil
	}
	if o, ok := v.(*object); ok {
		out.set("additionalProperties", w.schema(o, kp))
		return nil
	}
	out.set("additionalProperties", v)
	return nil
}

// closeObject applies, after the keywords are read, the object rules of
// the strict dialects — additionalProperties: false where unsaid, a type —
// and moves a reference's siblings into a one-branch anyOf where they are
// not allowed; for Gemini's legacy schema it names the type a schema
// implies.
func (w *rewriter) closeObject(s, out *object, src string) {
	if w.d.IsStrict() && isObjectish(s) {
		props, _ := s.vals["properties"].(*object)
		declared := props != nil && len(props.keys) > 0
		if !out.has("additionalProperties") && !s.has("additionalProperties") && !s.has("patternProperties") {
			if declared {
				out.set("additionalProperties", false)
			} else {
				w.blockStrict(src, "type", "an object without properties takes any members and cannot be strict")
			}
		}
		if !out.has("properties") && out.vals["additionalProperties"] == false {
			out.set("properties", newObject())
			if w.d == OpenAIStrict {
				out.set("required", []any{})
			}
		}
		if !out.has("type") && !out.has("anyOf") && !out.has("$ref") {
			out.set("type", "object")
			w.restate(join(src, "type"), "type", Restated, "a schema with properties is an object")
		}
	}
	if w.d == OpenAIStrict {
		if slices.Contains(types(out), "array") && !out.has("items") {
			w.blockStrict(src, "items", "an array must say its items' type in strict mode")
		}
		if !hasTypeKeyword(out) {
			w.blockStrict(src, "type", "a schema that allows any value cannot be strict")
		}
	}
	if w.d == GeminiSchema {
		w.legacyNullable(out, src)
	}
	if w.d == GeminiSchema && !out.has("type") && !out.has("anyOf") {
		switch {
		case out.has("properties"):
			out.set("type", "OBJECT")
		case out.has("items"):
			out.set("type", "ARRAY")
		case out.has("enum"):
			out.set("type", "STRING")
		}
	}
	if ref, ok := out.vals["$ref"]; ok && len(out.keys) > 1 && (w.d == OpenAIStrict || w.d == GeminiJSONSchema) {
		siblings := false
		for _, k := range out.keys {
			if k != "$ref" && !(w.d == GeminiJSONSchema && strings.HasPrefix(k, "$")) {
				siblings = true
			}
		}
		if siblings {
			r := newObject()
			r.set("$ref", ref)
			out.del("$ref")
			keys := slices.Clone(out.keys)
			vals := out.vals
			*out = *newObject()
			out.set("anyOf", []any{r})
			for _, k := range keys {
				out.set(k, vals[k])
			}
		}
	}
}

// legacyNullable says an anyOf with a null alternative as Gemini's legacy
// schema does: nullable, and the one other alternative in place of the
// anyOf.
func (w *rewriter) legacyNullable(out *object, src string) {
	alts, ok := out.vals["anyOf"].([]any)
	if !ok {
		return
	}
	var rest []any
	null := false
	for _, a := range alts {
		if o, ok := a.(*object); ok && o.str("type") == "NULL" && len(o.keys) == 1 {
			null = true
			continue
		}
		rest = append(rest, a)
	}
	if !null {
		return
	}
	if len(rest) == 0 {
		// Only null is left (the other alternative was a recursion cut).
		out.del("anyOf")
		out.set("type", "NULL")
		return
	}
	out.set("nullable", true)
	if o, ok := rest[0].(*object); ok && len(rest) == 1 && !out.has("type") {
		clash := false
		for _, k := range o.keys {
			if out.has(k) && k != "description" && k != "title" {
				clash = true
			}
		}
		if !clash {
			keys := slices.Clone(out.keys)
			vals := out.vals
			*out = *newObject()
			for _, k := range keys {
				if k == "anyOf" {
					for _, bk := range o.keys {
						if _, own := vals[bk]; !own {
							out.set(bk, o.vals[bk])
						}
					}
					continue
				}
				out.set(k, vals[k])
			}
			w.restate(join(src, "anyOf"), "anyOf", Restated, "a union with null is sent as nullable")
			return
		}
	}
	out.set("anyOf", rest)
	w.restate(join(src, "anyOf"), "anyOf", Restated, "null in the union is sent as nullable")
}

// isObjectish reports whether s describes objects (by type or by
// properties) and nothing else.
func isObjectish(s *object) bool {
	ts := types(s)
	if ts != nil {
		return slices.Contains(ts, "object")
	}
	return s.has("properties") || s.has("additionalProperties") || s.has("patternProperties")
}

// hasTypeKeyword reports whether s says what type its value has.
func hasTypeKeyword(s *object) bool {
	for _, k := range []string{"type", "$ref", "anyOf", "enum", "const"} {
		if s.has(k) {
			return true
		}
	}
	return false
}

// enum handles enum: Gemini takes strings and numbers (its legacy schema,
// strings), null as nullable; strict dialects take primitive values.
func (w *rewriter) enum(out *object, v any, src string) []string {
	kp := join(src, "enum")
	vals, _ := v.([]any)
	switch w.d {
	case OpenAIStrict, AnthropicStrict:
		for _, e := range vals {
			switch e.(type) {
			case []any, *object:
				w.blockStrict(kp, "enum", "an enum of objects or arrays cannot be strict")
			}
		}
		out.set("enum", v)
		return nil
	}
	var kept []any
	hasNull, other := false, false
	for _, e := range vals {
		switch e.(type) {
		case nil:
			hasNull = true
		case string:
			kept = append(kept, e)
		case json.Number:
			if w.d == GeminiJSONSchema {
				kept = append(kept, e)
			} else {
				other = true
			}
		default:
			other = true
		}
	}
	if !other && len(kept) == 0 && hasNull {
		out.set("type", map[bool]string{true: "NULL", false: "null"}[w.d == GeminiSchema])
		w.restate(kp, "enum", Restated, "an enum of null alone is sent as type null")
		return nil
	}
	if other || len(kept) == 0 {
		w.relax(kp, "enum", Described, fmt.Sprintf("%s takes enums of %s only; the values are in the description and reask validates them", w.d.words(), map[bool]string{true: "strings and numbers", false: "strings"}[w.d == GeminiJSONSchema]))
		if hasNull {
			w.markNullable(out, src)
		}
		return []string{"enum: " + text(v)}
	}
	out.set("enum", kept)
	if hasNull {
		w.markNullable(out, src)
	}
	return nil
}

// markNullable records that null is allowed beside what out says: the
// legacy schema's nullable; for responseJsonSchema "null" joins the type.
func (w *rewriter) markNullable(out *object, src string) {
	if w.d == GeminiSchema {
		out.set("nullable", true)
		return
	}
	switch t := out.vals["type"].(type) {
	case string:
		out.set("type", []any{t, "null"})
	case []any:
		if !slices.Contains(t, any("null")) {
			out.set("type", append(slices.Clone(t), "null"))
		}
	case nil:
		var ts []any
		vals, _ := out.vals["enum"].([]any)
		for _, e := range vals {
			name := "string"
			if _, isNum := e.(json.Number); isNum {
				name = "number"
			}
			if !slices.Contains(ts, any(name)) {
				ts = append(ts, name)
			}
		}
		out.set("type", append(ts, "null"))
	}
	w.restate(join(src, "enum"), "enum", Restated, "null in the enum is said by the type")
}

// constant handles const: strict dialects take it; Gemini takes a
// one-value enum of a string (or, for responseJsonSchema, a number).
func (w *rewriter) constant(s, out *object, v any, src string) []string {
	kp := join(src, "const")
	switch w.d {
	case OpenAIStrict, AnthropicStrict:
		out.set("const", v)
		return nil
	}
	switch x := v.(type) {
	case string:
		out.set("enum", []any{x})
		if w.d == GeminiSchema && !s.has("type") {
			out.set("type", "STRING")
		}
		w.restate(kp, "const", Restated, "sent as a one-value enum")
		return nil
	case json.Number:
		if w.d == GeminiJSONSchema {
			out.set("enum", []any{x})
			w.restate(kp, "const", Restated, "sent as a one-value enum")
			return nil
		}
	case nil:
		if w.d == GeminiJSONSchema {
			out.set("type", "null")
			w.restate(kp, "const", Restated, "sent as type null")
			return nil
		}
	}
	if !s.has("type") {
		// The type, at least, is enforced.
		t := ""
		switch x := v.(type) {
		case bool:
			t = "boolean"
		case json.Number:
			t = "number"
			if _, isInt := new(big.Int).SetString(string(x), 10); isInt {
				t = "integer"
			}
		case string:
			t = "string"
		case *object:
			t = "object"
		case []any:
			t = "array"
		}
		if t != "" && (w.d == GeminiJSONSchema || t != "object" && t != "array") {
			if w.d == GeminiSchema {
				t = strings.ToUpper(t)
			}
			out.set("type", t)
		}
	}
	w.relax(kp, "const", Described, fmt.Sprintf("%s takes no const of this type; it is in the description and reask validates it", w.d.words()))
	return []string{"const: " + text(v)}
}

// exclusive handles exclusiveMinimum and exclusiveMaximum: Gemini has
// none, but an integer's exclusive bound is an inclusive one a step in.
func (w *rewriter) exclusive(s, out *object, k string, v any, src string) []string {
	kp := join(src, k)
	switch w.d {
	case OpenAIStrict:
		out.set(k, v)
		return nil
	case GeminiJSONSchema, GeminiSchema:
		ts := types(s)
		n, isNum := v.(json.Number)
		if isNum && len(ts) == 1 && ts[0] == "integer" {
			r, ok := new(big.Rat).SetString(string(n))
			if ok {
				incl, to := "minimum", floorPlusOne(r)
				if k == "exclusiveMaximum" {
					incl, to = "maximum", ceilMinusOne(r)
				}
				if cur, has := s.vals[incl].(json.Number); has {
					if cr, ok := new(big.Rat).SetString(string(cur)); ok {
						if incl == "minimum" && cr.Cmp(new(big.Rat).SetFrac(to, big.NewInt(1))) > 0 ||
							incl == "maximum" && cr.Cmp(new(big.Rat).SetFrac(to, big.NewInt(1))) < 0 {
							return nil // the inclusive bound is tighter already
						}
					}
				}
				out.set(incl, json.Number(to.String()))
				w.restate(kp, k, Restated, "sent as "+incl+" "+to.String()+": the same bound for an integer")
				return nil
			}
		}
	}
	w.relax(kp, k, Described, fmt.Sprintf("%s does not enforce %s; it is in the description and reask validates it", w.d.words(), k))
	return []string{k + ": " + text(v)}
}

// floorPlusOne is the smallest integer above r.
func floorPlusOne(r *big.Rat) *big.Int {
	q := new(big.Int).Div(r.Num(), r.Denom()) // floor for positive denominators (Euclidean)
	return q.Add(q, big.NewInt(1))
}

// ceilMinusOne is the largest integer below r.
func ceilMinusOne(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() == 0 {
		return q.Sub(q, big.NewInt(1))
	}
	return q // floor(r) < r when r is not an integer
}

// legacyType writes "type" for Gemini's legacy schema: one upper-case type
// name, null as nullable, several types as an anyOf.
func (w *rewriter) legacyType(s, out *object, src string) {
	ts := types(s)
	var nonNull []string
	null := false
	for _, t := range ts {
		if t == "null" {
			null = true
		} else {
			nonNull = append(nonNull, t)
		}
	}
	switch {
	case len(nonNull) == 1:
		out.set("type", strings.ToUpper(nonNull[0]))
	case len(nonNull) > 1:
		alts := make([]any, len(nonNull))
		for i, t := range nonNull {
			o := newObject()
			o.set("type", strings.ToUpper(t))
			alts[i] = o
		}
		out.set("anyOf", alts)
		w.restate(join(src, "type"), "type", Restated, "a list of types is sent as an anyOf")
	case null:
		out.set("type", "NULL")
	}
	if null && len(nonNull) > 0 {
		out.set("nullable", true)
		w.restate(join(src, "type"), "type", Restated, "null in the type is sent as nullable")
	}
}

// intValue reads a JSON number that is a small non-negative integer.
func intValue(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		var i int
		if _, err := fmt.Sscan(string(n), &i); err == nil && fmt.Sprint(i) == string(n) {
			return i, true
		}
	case int:
		return n, true
	}
	return 0, false
}
