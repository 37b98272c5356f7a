package sim

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/reask/reask/sim/extract"
	"github.com/reask/reask/sim/fault"
)

// The model: a provider-neutral view of a request (conversation) and the
// answer the simulated model gives to it (reply). Both APIs translate
// their requests into a conversation.

type toolCall struct {
	id, name, args string
}

type message struct {
	role      string // system, user, assistant, tool
	text      string
	toolCalls []toolCall
	toolID    string
}

type conversation struct {
	model      string
	msgs       []message
	format     string // "", "text", "json_object", "json_schema"
	schemaRaw  string // from response_format or the chosen tool
	schemaName string
	strict     bool
	tool       string // answer with a call to this tool
	toolsRaw   int    // size of the tool definitions, for the token estimate
	temp       float64
	seed       *int64
	maxTokens  int
	stop       []string
	anthropic  bool
	gemini     bool // Gemini's API: a function call's args are an object, as Anthropic's tool input
}

// reply is one answer.
type reply struct {
	text      string // the content, or the tool call's arguments
	tool      string // the tool called, if any
	toolID    string
	input     any // the tool input (Anthropic), after schema faults
	finish    string
	truncated bool
	faults    []fault.Fault
	tokens    int
}

// estimateTokens is the simulator's token count: about four characters
// per token, plus a few per message, as providers roughly count.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }

func (c *conversation) promptTokens() int {
	n := 3 + estimateTokens(c.schemaRaw) + c.toolsRaw/4
	for _, m := range c.msgs {
		n += 4 + estimateTokens(m.text)
		for _, tc := range m.toolCalls {
			n += 4 + estimateTokens(tc.name) + estimateTokens(tc.args)
		}
	}
	return n
}

// hash identifies the conversation: its model, messages and schema. The
// fault draws of a temperature-0 answer depend on it alone.
func (c *conversation) hash() uint64 {
	h := newHasher()
	h.str(c.model)
	h.str(c.format)
	h.str(c.schemaRaw)
	h.str(c.tool)
	for _, m := range c.msgs {
		h.str(m.role)
		h.str(m.text)
		h.str(m.toolID)
		for _, tc := range m.toolCalls {
			h.str(tc.name)
			h.str(tc.args)
		}
	}
	return h.sum()
}

// task is what the model was asked: the schema, where it came from, and
// the input text.
type task struct {
	schema *extract.Schema
	key    string // identifies schema and input, for the cache
	input  string
	indent string
}

// schemaCache keeps parsed schemas and extracted answers, bounded, so that
// a benchmark's repeated requests cost little.
type schemaCache struct {
	mu      sync.Mutex
	schemas map[string]*extract.Schema
	answers map[string]any
}

// cacheLimit bounds the entries of each cache; cacheKeyLimit the size of
// a key worth caching, so that the caches stay within a few tens of MB.
const (
	cacheLimit    = 512
	cacheKeyLimit = 64 << 10
)

func (sc *schemaCache) schema(raw string) (*extract.Schema, error) {
	sc.mu.Lock()
	s, ok := sc.schemas[raw]
	sc.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := extract.ParseSchema([]byte(raw))
	if err != nil {
		return nil, err
	}
	if len(raw) > cacheKeyLimit {
		return s, nil
	}
	sc.mu.Lock()
	if sc.schemas == nil || len(sc.schemas) >= cacheLimit {
		sc.schemas = map[string]*extract.Schema{}
	}
	sc.schemas[raw] = s
	sc.mu.Unlock()
	return s, nil
}

// answer returns the clean answer of t; callers must not change it.
func (sc *schemaCache) answer(t *task) any {
	key := t.key + "\x00" + t.input
	sc.mu.Lock()
	v, ok := sc.answers[key]
	sc.mu.Unlock()
	if ok {
		return v
	}
	v = extract.Extract(t.schema, t.input)
	if len(key) > cacheKeyLimit {
		return v
	}
	sc.mu.Lock()
	if sc.answers == nil || len(sc.answers) >= cacheLimit {
		sc.answers = map[string]any{}
	}
	sc.answers[key] = v
	sc.mu.Unlock()
	return v
}

// firstAnswer is the index of the first assistant message, or len(msgs).
func (c *conversation) firstAnswer() int {
	for i, m := range c.msgs {
		if m.role == "assistant" {
			return i
		}
	}
	return len(c.msgs)
}

// findTask finds the schema and the input text in the conversation.
func (s *Server) findTask(c *conversation) (*task, error) {
	sysText, userText := c.prompt()
	t := &task{indent: "  "}
	if c.format == "json_schema" || c.tool != "" {
		t.indent = ""
	}
	raw := c.schemaRaw
	if raw == "" {
		// a schema written into the prompt: it is not part of the input
		raw, _ = cutFromPrompt(sysText, userText, findSchemaJSON)
	}
	if raw == "" {
		// a type sketch ("{ name: string, age: int }")
		var sketch *extract.Schema
		span, ok := cutFromPrompt(sysText, userText, func(txt string) (int, int, bool) {
			from, to, sch, ok := extract.FindTypeSchema(txt)
			sketch = sch
			return from, to, ok
		})
		if ok {
			t.schema, t.key = sketch, "sketch:"+span
			t.input = findInput(strings.Join(userText, "\n\n"))
			return t, nil
		}
	}
	input := findInput(strings.Join(userText, "\n\n"))
	if raw != "" {
		sch, err := s.cache.schema(raw)
		if err != nil && c.schemaRaw == "" {
			// a Python dict's repr, as prompts built with str(schema) have
			if v, syn, lerr := extract.ParseLenient(raw); lerr == nil && !syn.Truncated {
				sch, err = extract.SchemaOf(v)
			}
		}
		if err != nil {
			if c.schemaRaw != "" {
				return nil, err
			}
		} else {
			t.schema, t.key, t.input = sch, raw, input
			return t, nil
		}
	}
	all := strings.Join(append(sysText, userText...), "\n")
	if c.format == "json_object" || strings.Contains(strings.ToLower(all), "json") {
		instructions := all
		if input != "" {
			instructions = strings.Replace(all, input, "", 1)
		}
		if sch, key := inferSchema(instructions); sch != nil {
			t.schema, t.key, t.input = sch, key, input
			return t, nil
		}
		if c.format == "json_object" {
			t.schema, t.key, t.input = &extract.Schema{Type: "object"}, "{}", input
			return t, nil
		}
	}
	return nil, nil
}

// prompt returns the texts of the system and user messages before the
// first answer. When there is no user message the system messages are
// read as the user's: the whole task in a system message (BAML's default
// prompt), which a model reads there as well.
func (c *conversation) prompt() (sysText, userText []string) {
	for _, m := range c.msgs[:c.firstAnswer()] {
		switch m.role {
		case "user":
			userText = append(userText, m.text)
		case "system":
			sysText = append(sysText, m.text)
		}
	}
	if len(userText) == 0 {
		return nil, sysText
	}
	return sysText, userText
}

// cutFromPrompt finds, with find, a span in the system texts, then in the
// user texts, and returns the first; found in a user text, it is cut out of
// it (userText is changed in place), since it is not part of the input.
func cutFromPrompt(sysText, userText []string, find func(string) (from, to int, ok bool)) (string, bool) {
	for i, txt := range append(append([]string(nil), sysText...), userText...) {
		if from, to, ok := find(txt); ok {
			if i >= len(sysText) {
				userText[i-len(sysText)] = txt[:from] + txt[to:]
			}
			return txt[from:to], true
		}
	}
	return "", false
}

// findSchemaJSON finds a JSON Schema written into a prompt: an object
// (JSON, or a Python dict's repr) with properties, $defs or items.
func findSchemaJSON(text string) (int, int, bool) {
	for off := 0; off < len(text); {
		i := strings.IndexByte(text[off:], '{')
		if i < 0 {
			return 0, 0, false
		}
		i += off
		end := matchBrace(text, i)
		if end < 0 {
			return 0, 0, false
		}
		span := text[i:end]
		if strings.Contains(span, "properties") || strings.Contains(span, "$defs") || strings.Contains(span, "\"items\"") {
			if v, syn, err := extract.ParseLenient(span); err == nil && !syn.Truncated && !syn.Prose {
				if o, ok := v.(*extract.Object); ok {
					_, p := o.Get("properties")
					_, d := o.Get("$defs")
					_, it := o.Get("items")
					if p || d || it {
						return i, end, true
					}
				}
			}
		}
		off = end
	}
	return 0, 0, false
}

// matchBrace returns the index after the brace that closes the one at i,
// or -1.
func matchBrace(s string, i int) int {
	depth := 0
	var quote byte
	for j := i; j < len(s); j++ {
		c := s[j]
		if quote != 0 {
			switch c {
			case '\\':
				j++
			case quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			quote = c
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

var inputLabels = []string{"text:", "input:", "document:", "passage:", "content:", "review:", "email:", "message:"}

// findInput finds the text to extract from in a prompt: after a "Text:"
// label when there is one, up to a closing instruction ("Return only
// JSON."); otherwise the prompt without its instruction lines.
func findInput(prompt string) string {
	lines := strings.Split(prompt, "\n")
	start := -1
	for i, l := range lines {
		t := strings.ToLower(strings.TrimSpace(l))
		for _, lab := range inputLabels[:4] {
			if strings.HasPrefix(t, lab) {
				start = i
				rest := strings.TrimSpace(strings.TrimSpace(l)[len(lab):])
				lines[i] = rest
				break
			}
		}
		if start >= 0 {
			break
		}
	}
	var kept []string
	if start >= 0 {
		for i := start; i < len(lines); i++ {
			if i > start && instruction(lines[i]) {
				break
			}
			kept = append(kept, lines[i])
		}
	} else {
		for _, l := range lines {
			if !instruction(l) {
				kept = append(kept, l)
			}
		}
	}
	out := strings.TrimSpace(strings.Join(kept, "\n"))
	for _, q := range []string{`"""`, "```", "'''"} {
		if strings.HasPrefix(out, q) && strings.HasSuffix(out, q) && len(out) >= 2*len(q) {
			out = strings.TrimSpace(out[len(q) : len(out)-len(q)])
		}
	}
	if strings.HasPrefix(out, "<text>") && strings.HasSuffix(out, "</text>") {
		out = strings.TrimSpace(out[len("<text>") : len(out)-len("</text>")])
	}
	return out
}

var instructionVerbs = []string{"extract", "return", "respond", "reply", "output", "answer", "parse", "convert", "give",
	"provide", "format", "use", "make sure", "ensure", "remember", "only", "please return", "please respond",
	"please extract", "schema", "do not", "don't", "json"}

// instruction reports whether a prompt line is an instruction about the
// answer's format rather than part of the text.
func instruction(line string) bool {
	t := strings.ToLower(strings.TrimSpace(line))
	if t == "" {
		return false
	}
	if !strings.Contains(t, "json") && !strings.Contains(t, "schema") && !strings.HasPrefix(t, "extract") {
		return false
	}
	for _, v := range instructionVerbs {
		if strings.HasPrefix(t, v) {
			return true
		}
	}
	return false
}

var knownFields = []string{"name", "first_name", "last_name", "age", "email", "phone", "address", "city", "country",
	"total", "items", "rating", "sentiment", "date", "price", "quantity", "summary", "title", "company", "product",
	"amount", "currency", "status", "category", "priority", "location", "url", "tags", "description"}

// inferSchema builds a schema from the field names an instruction
// mentions ("Extract the name, age and email as JSON"), typed by what
// each name usually holds.
func inferSchema(instructions string) (*extract.Schema, string) {
	lower := strings.ToLower(instructions)
	type found struct {
		at   int
		name string
	}
	var fields []found
	seen := map[string]bool{}
	add := func(at int, name string) {
		if !seen[name] {
			seen[name] = true
			fields = append(fields, found{at, name})
		}
	}
	// snake_case and quoted identifiers
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if !(c >= 'a' && c <= 'z') || i > 0 && isIdent(lower[i-1]) {
			continue
		}
		j := i
		for j < len(lower) && isIdent(lower[j]) {
			j++
		}
		w := lower[i:j]
		quoted := i > 0 && j < len(lower) && strings.IndexByte("\"'`", lower[i-1]) >= 0 && lower[i-1] == lower[j]
		if strings.Contains(w, "_") && !strings.HasPrefix(w, "json") || quoted && w != "json" {
			add(i, w)
		} else {
			for _, k := range knownFields {
				if w == k || w == k+"s" && k != "items" && k != "tags" {
					add(i, k)
				}
			}
		}
		i = j
	}
	if len(fields) == 0 {
		return nil, ""
	}
	s := &extract.Schema{Type: "object", AdditionalProperties: true}
	var key strings.Builder
	key.WriteString("inferred:")
	for _, f := range fields {
		ps := &extract.Schema{Type: "string"}
		switch f.name {
		case "age", "quantity", "count":
			ps.Type = "integer"
		case "total", "price", "amount", "rating":
			ps.Type = "number"
		case "items", "tags":
			ps.Type = "array"
			ps.Items = &extract.Schema{Type: "string"}
		}
		s.Properties = append(s.Properties, &extract.Property{Name: f.name, Required: true, Schema: ps})
		key.WriteString(f.name)
		key.WriteByte(',')
	}
	return s, key.String()
}

func isIdent(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' }

// allowed says which faults a request can show: strict structured
// outputs leave only truncation (unless the profile ignores strict); tool
// inputs on the Anthropic API are objects, never text; tool arguments are
// JSON without wrappers.
func (s *Server) allowed(c *conversation, k fault.Kind) bool {
	if c.strict && !s.prof.IgnoreStrict {
		return k == fault.Truncated
	}
	if (c.anthropic || c.gemini) && c.tool != "" {
		return !k.Syntax() || k == fault.Truncated
	}
	if s.prof.ConstrainedJSON && (c.format == "json_object" || c.format == "json_schema" || c.tool != "") {
		return !k.Syntax() || k == fault.Truncated
	}
	if c.tool != "" {
		return !k.Wrapper()
	}
	return true
}

// chooseFaults decides the faults of the next answer. A first answer
// draws them at the profile's rates. After an answer, the faults that
// answer had (as Classify finds them) are fixed with FixSpecific when the
// feedback that follows names them and FixGeneric otherwise; new faults
// appear at the rates scaled by NewFaultScale.
func (s *Server) chooseFaults(c *conversation, clean any, sch *extract.Schema, r *rand.Rand) []fault.Fault {
	last := -1
	for i, m := range c.msgs {
		if m.role == "assistant" {
			last = i
		}
	}
	var out []fault.Fault
	scale := 1.0
	if last >= 0 {
		prev := c.msgs[last].text
		if len(c.msgs[last].toolCalls) > 0 {
			prev = c.msgs[last].toolCalls[0].args
		}
		var fb strings.Builder
		for _, m := range c.msgs[last+1:] {
			fb.WriteString(m.text)
			fb.WriteByte('\n')
		}
		feedback := stripEchoes(fb.String(), prev, sch)
		kept := map[fault.Kind]bool{}
		for _, f := range fault.Classify(prev, clean, sch) {
			p := s.prof.Feedback.FixGeneric
			if fault.Addressed(f, feedback) {
				p = s.prof.Feedback.FixSpecific
			}
			if r.Float64() >= p && s.allowed(c, f.Kind) {
				out = append(out, f)
				kept[f.Kind] = true
			}
		}
		scale = s.prof.Feedback.NewFaultScale
		for _, f := range fault.Draw(s.prof.Faults, scale, r) {
			if !kept[f.Kind] && s.allowed(c, f.Kind) {
				out = append(out, f)
			}
		}
		return out
	}
	for _, f := range fault.Draw(s.prof.Faults, scale, r) {
		if s.allowed(c, f.Kind) {
			out = append(out, f)
		}
	}
	return out
}

// respond writes the model's answer to the conversation. choice tells the
// n choices of one request apart; counter is the request's sampling
// counter, mixed in when the temperature is above 0 and no seed is given.
func (s *Server) respond(c *conversation, choice int, counter uint64) reply {
	h := c.hash()
	sample := uint64(0)
	if c.temp > 0 {
		// sampling: every request, and every choice of one, differs
		sample = mix(counter, uint64(choice)+1)
		if c.seed != nil {
			sample = mix(uint64(*c.seed)^0x9e3779b97f4a7c15, uint64(choice)+1)
		}
	}
	r := rand.New(rand.NewPCG(mix(uint64(s.cfg.Seed), h), sample))
	t, err := s.findTask(c)
	if err != nil || t == nil {
		return s.chatReply(c, r)
	}
	clean := s.cache.answer(t)
	fc, prefill, hasPrefill := c.withoutPrefill()
	faults := s.chooseFaults(fc, clean, t.schema, r)
	opt := fault.Options{Indent: t.indent, Wrappers: c.tool == "" && !hasPrefill}
	a := fault.Render(clean, t.schema, faults, opt, r)
	if hasPrefill && c.tool == "" {
		if p := strings.TrimSpace(prefill); p != "" && strings.HasPrefix(a.Text, p) {
			a.Text = a.Text[len(p):]
		}
	}
	rep := reply{text: a.Text, input: a.Value, truncated: a.Truncated, faults: a.Faults, tool: c.tool}
	if c.tool != "" {
		rep.toolID = toolID(c.anthropic, r)
	}
	c.finish(&rep)
	return rep
}

// withoutPrefill splits off Anthropic's prefill: a last assistant turn
// that the answer continues ("{" forces JSON). It is not an earlier
// answer, so the faults are chosen for the conversation before it.
func (c *conversation) withoutPrefill() (*conversation, string, bool) {
	n := len(c.msgs)
	if !c.anthropic || n == 0 || c.msgs[n-1].role != "assistant" || len(c.msgs[n-1].toolCalls) > 0 {
		return c, "", false
	}
	cp := *c
	cp.msgs = c.msgs[:n-1]
	return &cp, c.msgs[n-1].text, true
}

// finish applies the request's limits to a rendered answer — max_tokens
// cuts it, a stop sequence ends it — and sets its finish reason and
// token count.
func (c *conversation) finish(rep *reply) {
	rep.tokens = estimateTokens(rep.text)
	if c.maxTokens > 0 && rep.tokens > c.maxTokens {
		rep.text = fault.Cut(rep.text, float64(c.maxTokens*4)/float64(len(rep.text)))
		rep.truncated = true
		rep.tokens = c.maxTokens
	}
	if c.tool == "" {
		for _, stop := range c.stop {
			if i := strings.Index(rep.text, stop); stop != "" && i >= 0 {
				rep.text = rep.text[:i]
				rep.tokens = estimateTokens(rep.text)
			}
		}
	}
	if rep.truncated && (c.anthropic || c.gemini) && c.tool != "" {
		// a cut tool_use input holds what of it still parses
		v, _, err := extract.ParseLenient(rep.text)
		if err != nil {
			v = &extract.Object{}
		}
		rep.input = v
	}
	switch {
	case rep.truncated:
		rep.finish = "length"
	case c.tool != "":
		rep.finish = "tool_calls"
	default:
		rep.finish = "stop"
	}
	if c.tool != "" {
		rep.tokens += estimateTokens(c.tool) + 4
	}
}

var chatReplies = []string{
	"Hello! How can I help you today?",
	"I'm a simulated model. Send me a text and a JSON Schema, and I'll extract the data as JSON.",
	"Sure. Could you share the text you'd like me to work with?",
}

// chatReply answers a request that asks for no structured data.
func (s *Server) chatReply(c *conversation, r *rand.Rand) reply {
	text := chatReplies[r.IntN(len(chatReplies))]
	rep := reply{text: text, finish: "stop", tokens: estimateTokens(text)}
	if c.maxTokens > 0 && rep.tokens > c.maxTokens {
		rep.text = text[:min(len(text), c.maxTokens*4)]
		rep.tokens = c.maxTokens
		rep.truncated, rep.finish = true, "length"
	}
	return rep
}

func toolID(anthropic bool, r *rand.Rand) string {
	var b [12]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if anthropic {
		return "toolu_" + hex.EncodeToString(b[:])
	}
	return "call_" + hex.EncodeToString(b[:])
}

// hasher is FNV-1a over strings, each followed by a separator.
type hasher struct{ h uint64 }

func newHasher() hasher { return hasher{h: 14695981039346656037} }

func (h *hasher) str(s string) {
	for i := 0; i < len(s); i++ {
		h.h ^= uint64(s[i])
		h.h *= 1099511628211
	}
	h.h ^= 0xff
	h.h *= 1099511628211
}

func (h *hasher) sum() uint64 { return h.h }

// mix is splitmix64's finaliser over a and b.
func mix(a, b uint64) uint64 {
	z := a ^ (b + 0x9e3779b97f4a7c15 + (a << 6) + (a >> 2))
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// stripEchoes removes from feedback the copies of the answer it quotes —
// the previous answer verbatim, or an object with the schema's members —
// so that quoting an answer does not count as naming its fields: "invalid:
// {...}, try again" tells a model nothing about what is wrong.
func stripEchoes(feedback, prev string, sch *extract.Schema) string {
	if p := strings.TrimSpace(prev); len(p) >= 8 {
		feedback = strings.ReplaceAll(feedback, p, " ")
	}
	if sch == nil || len(sch.Properties) == 0 || !strings.Contains(feedback, "{") {
		return feedback
	}
	var b strings.Builder
	for off := 0; off < len(feedback); {
		i := strings.IndexByte(feedback[off:], '{')
		if i < 0 {
			b.WriteString(feedback[off:])
			break
		}
		i += off
		end := matchBrace(feedback, i)
		if end < 0 {
			b.WriteString(feedback[off:])
			break
		}
		b.WriteString(feedback[off:i])
		if !echoes(feedback[i:end], sch) {
			b.WriteString(feedback[i:end])
		} else {
			b.WriteByte(' ')
		}
		off = end
	}
	return b.String()
}

// echoes reports whether an object written in feedback is an answer to
// the schema: most of its members are the schema's.
func echoes(span string, sch *extract.Schema) bool {
	v, _, err := extract.ParseLenient(span)
	o, ok := v.(*extract.Object)
	if err != nil || !ok || len(o.Keys) < 2 {
		return false
	}
	n := 0
	for _, k := range o.Keys {
		if sch.Property(k) != nil {
			n++
		}
	}
	return 2*n > len(o.Keys)
}
