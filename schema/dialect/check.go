package dialect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Problem is a rule of a provider that a schema breaks.
type Problem struct {
	// Pointer is a JSON Pointer into the checked document: the subschema
	// at fault.
	Pointer string `json:"pointer"`
	// Keyword is the keyword at fault ("" for the subschema as a whole).
	Keyword string `json:"keyword,omitempty"`
	// Message says what is wrong, in the provider's words where they are
	// known.
	Message string `json:"message"`
}

func (p Problem) String() string {
	at := p.Pointer
	if at == "" {
		at = "(root)"
	}
	return at + ": " + p.Message
}

// Context renders Pointer as OpenAI's error messages do: ('properties',
// 'name'), ('items',), () for the root.
func (p Problem) Context() string {
	toks := splitPointer(p.Pointer)
	if len(toks) == 0 {
		return "()"
	}
	q := make([]string, len(toks))
	for i, t := range toks {
		q[i] = "'" + t + "'"
	}
	if len(q) == 1 {
		return "(" + q[0] + ",)"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// Limits of OpenAI's strict structured outputs, from its "Supported
// schemas" documentation.
const (
	OpenAIMaxProperties   = 5000    // object properties in all
	OpenAIMaxNesting      = 10      // levels of nested objects
	OpenAIMaxStringLength = 120_000 // property and definition names, enum and const values, in all
	OpenAIMaxEnumValues   = 1000    // enum values in all
	// A single enum of more than OpenAIBigEnum string values may hold at
	// most OpenAIBigEnumLength characters.
	OpenAIBigEnum       = 250
	OpenAIBigEnumLength = 15_000
)

// Check returns the rules of dialect d that the schema doc breaks, nil
// when it follows them all. For OpenAI and Anthropic without strict the
// rules are few (Anthropic wants an object at the root); the strict
// dialects' and Gemini's are their published subsets: a schema that passes
// is accepted, and every constraint in it is one the provider says it
// enforces. doc must be one JSON value (ErrNotJSON).
func Check(doc []byte, d Dialect) ([]Problem, error) {
	tree, err := parse(doc)
	if err != nil {
		return nil, err
	}
	return checkTree(tree, d), nil
}

// checker walks one document for one dialect.
type checker struct {
	d        Dialect
	root     any
	cycles   refCycles
	problems []Problem
	seen     map[string]bool
	// OpenAI's limits.
	props, enums, strLen int
}

func (c *checker) add(ptr, kw, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := ptr + "\x00" + kw + "\x00" + msg
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.problems = append(c.problems, Problem{Pointer: ptr, Keyword: kw, Message: msg})
}

func checkTree(tree any, d Dialect) []Problem {
	c := &checker{d: d, root: tree, seen: map[string]bool{}}
	switch d {
	case OpenAI:
		return nil
	case Anthropic:
		c.rootObject(tree, "input_schema: the root must have type \"object\"")
		return c.problems
	case OpenAIStrict, AnthropicStrict, GeminiJSONSchema, GeminiSchema:
	default:
		return nil
	}
	c.cycles = findCycles(tree)
	switch d {
	case OpenAIStrict:
		root, _ := tree.(*object)
		if root == nil || len(types(root)) != 1 || types(root)[0] != "object" || root.has("anyOf") {
			got := "None"
			if root != nil && len(types(root)) > 0 {
				got = strings.Join(types(root), ", ")
			}
			c.add("", "type", `schema must be a JSON Schema of 'type: "object"', got 'type: "%s"'.`, got)
		}
	case AnthropicStrict:
		c.rootObject(tree, "input_schema: the root must have type \"object\"")
		if c.cycles.recursive() {
			c.add("", "$ref", "recursive schemas are not supported in strict mode")
		}
	}
	c.walk(tree, "", "", 0)
	if d == OpenAIStrict {
		c.openAILimits(tree)
	}
	return c.problems
}

func (c *checker) rootObject(tree any, msg string) {
	root, _ := tree.(*object)
	if root == nil || !slices.Equal(types(root), []string{"object"}) {
		c.add("", "type", "%s", msg)
	}
}

// The keywords each dialect takes. OpenAI's and Anthropic's strict modes
// take annotations too (title, description, default, examples, $comment,
// …): a keyword not named here or in the dialect's refusals is read as one.
var (
	openAIRefused = setOf("allOf", "not", "dependentRequired", "dependentSchemas", "dependencies", "if", "then", "else",
		"patternProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames", "minProperties", "maxProperties",
		"minLength", "maxLength", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems", "oneOf", "additionalItems")
	anthropicRefused = setOf("not", "dependentRequired", "dependentSchemas", "dependencies", "if", "then", "else",
		"patternProperties", "unevaluatedProperties", "unevaluatedItems", "propertyNames", "minProperties", "maxProperties",
		"minLength", "maxLength", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems", "oneOf", "additionalItems",
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "maxItems")
	// Gemini's responseJsonSchema takes only these (its API reference:
	// "only the following properties are supported").
	geminiJSONKeywords = setOf("$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum", "items",
		"prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf", "properties", "additionalProperties",
		"required", "propertyOrdering")
	// The fields of the Gemini API's Schema object.
	geminiSchemaFields = setOf("type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
		"properties", "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example",
		"anyOf", "propertyOrdering", "default", "items", "minimum", "maximum")
	geminiTypes = setOf("STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL")
)

// walk checks the subschema v at ptr; ctxKw is the keyword that holds it.
func (c *checker) walk(v any, ptr, ctxKw string, depth int) {
	if depth > MaxDepth {
		return
	}
	s, ok := v.(*object)
	if !ok {
		if _, isBool := v.(bool); isBool && c.d != GeminiJSONSchema {
			c.add(ptr, "", "schema must be a JSON Schema object, not a boolean")
		}
		return
	}
	switch c.d {
	case OpenAIStrict:
		c.openAI(s, ptr)
	case AnthropicStrict:
		c.anthropic(s, ptr)
	case GeminiJSONSchema:
		c.geminiJSON(s, ptr)
	case GeminiSchema:
		c.geminiLegacy(s, ptr)
	}
	eachSub(s, ptr, func(sub any, p string, defs bool) {
		c.walk(sub, p, "", depth+1)
	})
}

func (c *checker) openAI(s *object, ptr string) {
	for _, k := range s.keys {
		if openAIRefused[k] {
			c.add(ptr, k, "'%s' is not permitted.", k)
		}
	}
	if !hasTypeKeyword(s) {
		c.add(ptr, "type", "schema must have a 'type' key.")
	}
	if ref, ok := s.vals["$ref"].(string); ok {
		if len(s.keys) > 1 {
			c.add(ptr, "$ref", "'$ref' cannot be used beside other keywords (%s).", strings.Join(slices.DeleteFunc(slices.Clone(s.keys), func(k string) bool { return k == "$ref" }), ", "))
		}
		c.localRef(ptr, ref)
	}
	if f, ok := s.vals["format"].(string); ok && !openAIFormats[f] {
		c.add(ptr, "format", "'%s' is not a supported format: use one of date-time, time, date, duration, email, hostname, ipv4, ipv6, uuid.", f)
	}
	if p, ok := s.vals["pattern"].(string); ok && !patternOK(OpenAIStrict, p) {
		c.add(ptr, "pattern", "'pattern' may not use lookaround or backreferences.")
	}
	c.primitiveEnum(s, ptr)
	ts := types(s)
	if slices.Contains(ts, "object") || ts == nil && s.has("properties") {
		if s.vals["additionalProperties"] != false {
			c.add(ptr, "additionalProperties", "'additionalProperties' is required to be supplied and to be false.")
		}
		req := map[string]bool{}
		if r, ok := s.vals["required"].([]any); ok {
			for _, x := range r {
				if n, ok := x.(string); ok {
					req[n] = true
				}
			}
		}
		if props, ok := s.vals["properties"].(*object); ok {
			for _, name := range props.keys {
				if !req[name] {
					c.add(ptr, "required", "'required' is required to be supplied and to be an array including every key in properties. Missing '%s'.", name)
					break
				}
			}
		}
	}
	if slices.Contains(ts, "array") && !s.has("items") {
		c.add(ptr, "items", "'items' is required to be supplied when 'type' is 'array'.")
	}
}

func (c *checker) anthropic(s *object, ptr string) {
	for _, k := range s.keys {
		if anthropicRefused[k] {
			c.add(ptr, k, "'%s' is not supported in strict mode", k)
		}
	}
	if ref, ok := s.vals["$ref"].(string); ok {
		c.localRef(ptr, ref)
	}
	if all, ok := s.vals["allOf"].([]any); ok {
		for _, b := range all {
			if bo, ok := b.(*object); ok && bo.has("$ref") {
				c.add(ptr, "allOf", "allOf with $ref is not supported")
				break
			}
		}
	}
	if f, ok := s.vals["format"].(string); ok && !anthropicFormats[f] {
		c.add(ptr, "format", "string format '%s' is not supported: use one of date-time, time, date, duration, email, hostname, uri, ipv4, ipv6, uuid", f)
	}
	if p, ok := s.vals["pattern"].(string); ok && !patternOK(AnthropicStrict, p) {
		c.add(ptr, "pattern", "pattern uses backreferences, lookaround, word boundaries or a large {n,m}")
	}
	if n, ok := s.get("minItems"); ok {
		if i, isInt := intValue(n); !isInt || i > 1 {
			c.add(ptr, "minItems", "minItems must be 0 or 1")
		}
	}
	c.primitiveEnum(s, ptr)
	ts := types(s)
	if slices.Contains(ts, "object") || ts == nil && s.has("properties") {
		if s.vals["additionalProperties"] != false {
			c.add(ptr, "additionalProperties", "For 'object' type, 'additionalProperties' must be explicitly set to false")
		}
	}
}

func (c *checker) geminiJSON(s *object, ptr string) {
	for _, k := range s.keys {
		if !geminiJSONKeywords[k] {
			c.add(ptr, k, "'%s' is not supported by responseJsonSchema", k)
		}
	}
	if ref, ok := s.vals["$ref"].(string); ok {
		for _, k := range s.keys {
			if !strings.HasPrefix(k, "$") {
				c.add(ptr, "$ref", "if $ref is set, no other properties but those starting with $ may be set (found '%s')", k)
				break
			}
		}
		c.localRef(ptr, ref)
	}
	if e, ok := s.vals["enum"].([]any); ok {
		for _, x := range e {
			switch x.(type) {
			case string, json.Number:
			default:
				c.add(ptr, "enum", "enum takes strings and numbers only")
			}
		}
	}
	// A reference that closes a cycle must sit inside an optional
	// property.
	if props, ok := s.vals["properties"].(*object); ok {
		req := requiredSet(s)
		unit := c.cycles.unitOf(ptr)
		for _, name := range props.keys {
			if req[name] && c.cycles.through(unit, props.vals[name]) {
				c.add(join(join(ptr, "properties"), name), "required", "a cyclic reference may only be used within non-required properties")
			}
		}
	}
}

func (c *checker) geminiLegacy(s *object, ptr string) {
	for _, k := range s.keys {
		if !geminiSchemaFields[k] {
			c.add(ptr, k, "Unknown name %q at 'generation_config.response_schema%s': Cannot find field.", k, ptr)
		}
	}
	t := ""
	switch x := s.vals["type"].(type) {
	case string:
		t = strings.ToUpper(x)
		if !geminiTypes[t] {
			c.add(ptr, "type", "Invalid value at 'generation_config.response_schema%s.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), %q", ptr, x)
		}
	case nil:
		if !s.has("anyOf") {
			c.add(ptr, "type", "type: must be specified")
		}
	default:
		c.add(ptr, "type", "Invalid value at 'generation_config.response_schema%s.type': Proto field is not repeating, cannot start list.", ptr)
	}
	if e, ok := s.vals["enum"].([]any); ok {
		for _, x := range e {
			if _, isStr := x.(string); !isStr {
				c.add(ptr, "enum", "enum: only string values are supported")
				break
			}
		}
	}
	if f, ok := s.vals["format"].(string); ok && !formatOK(GeminiSchema, f, []string{strings.ToLower(t)}) {
		c.add(ptr, "format", "format %q is not supported for type %s", f, t)
	}
	switch t {
	case "OBJECT":
		props, _ := s.vals["properties"].(*object)
		if props == nil || len(props.keys) == 0 {
			c.add(ptr, "properties", "properties: should be non-empty for OBJECT type")
		}
		if r, ok := s.vals["required"].([]any); ok {
			for _, x := range r {
				if n, _ := x.(string); props == nil || !props.has(n) {
					c.add(ptr, "required", "required: property %q is not defined", n)
				}
			}
		}
		if o, ok := s.vals["propertyOrdering"].([]any); ok && props != nil {
			for _, x := range o {
				if n, _ := x.(string); !props.has(n) {
					c.add(ptr, "propertyOrdering", "propertyOrdering: property %q is not defined", n)
				}
			}
		}
	case "ARRAY":
		if !s.has("items") {
			c.add(ptr, "items", "items: missing field for ARRAY type")
		}
	}
}

// primitiveEnum: strict grammars take enums of strings, numbers, booleans
// and null.
func (c *checker) primitiveEnum(s *object, ptr string) {
	if e, ok := s.vals["enum"].([]any); ok {
		for _, x := range e {
			switch x.(type) {
			case []any, *object:
				c.add(ptr, "enum", "enum values must be strings, numbers, booleans or null")
				return
			}
		}
	}
}

// localRef: every dialect that takes references takes them inside the
// document only.
func (c *checker) localRef(ptr, ref string) {
	if _, _, ok := resolve(c.root, ref); !ok {
		c.add(ptr, "$ref", "reference %q does not resolve inside the schema", ref)
	}
}

func requiredSet(s *object) map[string]bool {
	req := map[string]bool{}
	if r, ok := s.vals["required"].([]any); ok {
		for _, x := range r {
			if n, ok := x.(string); ok {
				req[n] = true
			}
		}
	}
	return req
}

// openAILimits counts what OpenAI bounds over the whole schema.
func (c *checker) openAILimits(tree any) {
	var count func(v any, depth int)
	count = func(v any, depth int) {
		s, ok := v.(*object)
		if !ok || depth > MaxDepth {
			return
		}
		if props, ok := s.vals["properties"].(*object); ok {
			c.props += len(props.keys)
			for _, k := range props.keys {
				c.strLen += len(k)
			}
		}
		for _, defs := range []string{"$defs", "definitions"} {
			if m, ok := s.vals[defs].(*object); ok {
				for _, k := range m.keys {
					c.strLen += len(k)
				}
			}
		}
		if e, ok := s.vals["enum"].([]any); ok {
			c.enums += len(e)
			total := 0
			strs := 0
			for _, x := range e {
				if str, ok := x.(string); ok {
					strs++
					total += len(str)
					c.strLen += len(str)
				}
			}
			if strs > OpenAIBigEnum && total > OpenAIBigEnumLength {
				c.add("", "enum", "an enum of more than %d string values may hold at most %d characters in all (%d)", OpenAIBigEnum, OpenAIBigEnumLength, total)
			}
		}
		if str, ok := s.vals["const"].(string); ok {
			c.strLen += len(str)
		}
		eachSub(s, "", func(sub any, _ string, _ bool) { count(sub, depth+1) })
	}
	count(tree, 0)
	if c.props > OpenAIMaxProperties {
		c.add("", "properties", "a schema may have at most %d object properties in all (%d)", OpenAIMaxProperties, c.props)
	}
	if c.enums > OpenAIMaxEnumValues {
		c.add("", "enum", "a schema may have at most %d enum values in all (%d)", OpenAIMaxEnumValues, c.enums)
	}
	if c.strLen > OpenAIMaxStringLength {
		c.add("", "", "the names, enum and const values of a schema may hold at most %d characters in all (%d)", OpenAIMaxStringLength, c.strLen)
	}
	if d := c.nesting(tree, 0, map[string]int{}, map[*object]int{}); d > OpenAIMaxNesting {
		c.add("", "", "a schema may nest at most %d levels of objects (%d)", OpenAIMaxNesting, d)
	}
}

// nesting returns the deepest level of objects under v (an object counts
// one), references followed but not into a recursion; memo keeps each
// subschema's count, so that a definition used in many places is counted
// once.
func (c *checker) nesting(v any, depth int, expanding map[string]int, memo map[*object]int) int {
	s, ok := v.(*object)
	if !ok || depth > OpenAIMaxNesting+1 {
		return 0
	}
	if n, ok := memo[s]; ok {
		return n
	}
	n := c.nestingOf(s, depth, expanding, memo)
	memo[s] = n
	return n
}

func (c *checker) nestingOf(s *object, depth int, expanding map[string]int, memo map[*object]int) int {
	level := 0
	if slices.Contains(types(s), "object") {
		level = 1
	}
	deepest := 0
	if ref, ok := s.vals["$ref"].(string); ok && expanding[ref] == 0 {
		if t, _, found := resolve(c.root, ref); found {
			expanding[ref]++
			deepest = c.nesting(t, depth, expanding, memo)
			expanding[ref]--
		}
	}
	eachSub(s, "", func(sub any, p string, defs bool) {
		if defs {
			return
		}
		if d := c.nesting(sub, depth+level, expanding, memo); d > deepest {
			deepest = d
		}
	})
	return level + deepest
}
