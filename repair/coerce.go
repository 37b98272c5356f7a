package repair

import (
	"encoding/json"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/reask/reask/schema"
)

// Coerce changes the values of v that fail s into the type s asks for,
// where the intended value is beyond doubt, and records each change:
//
//   - a string holding a number where an integer or number is expected:
//     "30" → 30, " 4.5 " → 4.5, "$1,299.50" → 1299.50 (currency signs and
//     thousands separators dropped); never "thirty", never "4.5" for an
//     integer;
//   - "true", "yes", "false", "no" (any case) where a boolean is expected;
//   - a number where a string is expected: 30 → "30";
//   - a single value where an array is expected: "a" → ["a"];
//   - a string that differs from exactly one enum (or const) value only in
//     case and surrounding spaces: " Positive" → "positive";
//   - a field that additionalProperties: false forbids is dropped;
//   - a string holding a JSON object or array where one is expected is
//     decoded.
//
// Coerce never fills a missing field, never guesses between two enum
// values and never touches a value that is already valid where it stands:
// it validates first and walks only into what failed. Where no rule makes
// a value valid it is left as it is, for validation to report. $ref,
// allOf, nested objects and arrays are followed; for anyOf and oneOf the
// first alternative that coercion makes valid is used, and a nullable
// value (anyOf with null) is coerced to its non-null alternative.
//
// v is a decoded JSON value (nil, bool, json.Number or float64, string,
// []any, map[string]any), a tree as decoding gives; it is not modified:
// changed objects and arrays are copies, unchanged parts are shared with
// v, and v itself is returned when nothing changes. A nil schema changes
// nothing. Coerce is safe for concurrent use.
func Coerce(v any, s *schema.Schema) (any, []Fix) {
	out, fixes, _ := coerce(v, s)
	return out, fixes
}

// coerce is Coerce that also reports whether v was valid as given: its
// first step validates the whole value, and a caller that would validate
// it again can skip that.
func coerce(v any, s *schema.Schema) (out any, fixes []Fix, valid bool) {
	if s == nil {
		return v, nil, false
	}
	var c coercer
	out = c.coerce(v, s.Root(), "", 0)
	return out, c.fixes, c.rootValid
}

// coercer collects the fixes of one Coerce.
type coercer struct {
	fixes     []Fix
	rootValid bool // the whole value validated before any change
}

// coerce validates v against sch and walks into what failed.
func (c *coercer) coerce(v any, sch schema.Node, path string, depth int) any {
	if sch.IsZero() || depth > MaxDepthCeiling {
		return v
	}
	dirty := sch.Failures(v) // the places that failed
	if dirty == nil {
		c.rootValid = c.rootValid || depth == 0
		return v
	}
	return c.walk(v, sch, path, "", dirty, depth)
}

// walk coerces v, which sits at rel (relative to the validated value) and
// at path (in the document), with schema sch.
func (c *coercer) walk(v any, sch schema.Node, path, rel string, dirty map[string]bool, depth int) any {
	if sch.IsZero() || !dirty[rel] || depth > MaxDepthCeiling {
		return v
	}
	sch = sch.Deref()
	if ref := sch.Ref(); !ref.IsZero() { // $ref beside other keywords: both apply
		v = c.walk(v, ref, path, rel, dirty, depth+1)
	}
	for _, sub := range sch.AllOf() {
		v = c.walk(v, sub, path, rel, dirty, depth+1)
	}
	v = c.own(v, sch, path, rel, dirty, depth)
	if alts := sch.AnyOf(); len(alts) > 0 {
		v = c.alternatives(v, alts, path, depth)
	}
	if alts := sch.OneOf(); len(alts) > 0 {
		v = c.alternatives(v, alts, path, depth)
	}
	return v
}

// own applies the keywords of sch itself (type, enum, properties, items).
func (c *coercer) own(v any, sch schema.Node, path, rel string, dirty map[string]bool, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		if allows(sch, "object") {
			return c.object(x, sch, path, rel, dirty, depth)
		}
	case []any:
		if allows(sch, "array") {
			return c.array(x, sch, path, rel, dirty, depth)
		}
	}
	return c.convert(v, sch, path, depth)
}

func (c *coercer) object(x map[string]any, sch schema.Node, path, rel string, dirty map[string]bool, depth int) any {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out map[string]any // a copy, made at the first change
	for _, k := range keys {
		sub, forbidden := sch.Property(k)
		if forbidden {
			if out == nil {
				out = copyMap(x)
			}
			delete(out, k)
			c.fix(schema.JoinPointer(path, k), KindDropUnknownField, x[k], nil, true)
			continue
		}
		if sub.IsZero() {
			continue
		}
		n := len(c.fixes)
		nv := c.walk(x[k], sub, schema.JoinPointer(path, k), schema.JoinPointer(rel, k), dirty, depth+1)
		if len(c.fixes) > n {
			if out == nil {
				out = copyMap(x)
			}
			out[k] = nv
		}
	}
	if out == nil {
		return x
	}
	return out
}

func (c *coercer) array(x []any, sch schema.Node, path, rel string, dirty map[string]bool, depth int) any {
	var out []any
	for i, item := range x {
		sub := sch.Item(i)
		if sub.IsZero() {
			continue
		}
		t := strconv.Itoa(i)
		n := len(c.fixes)
		nv := c.walk(item, sub, schema.JoinPointer(path, t), schema.JoinPointer(rel, t), dirty, depth+1)
		if len(c.fixes) > n {
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = nv
		}
	}
	if out == nil {
		return x
	}
	return out
}

// alternatives handles anyOf and oneOf: a value valid against an
// alternative stays; a nullable value is coerced to its one non-null
// alternative; otherwise the first alternative that coercion makes valid
// is used.
func (c *coercer) alternatives(v any, alts []schema.Node, path string, depth int) any {
	for _, a := range alts {
		if a.Accepts(v) {
			return v
		}
	}
	var nonNull []schema.Node
	for _, a := range alts {
		if !onlyNull(a) {
			nonNull = append(nonNull, a)
		}
	}
	if v != nil && len(nonNull) == 1 {
		return c.coerce(v, nonNull[0], path, depth+1)
	}
	for _, a := range alts {
		var sub coercer
		nv := sub.coerce(v, a, path, depth+1)
		if len(sub.fixes) > 0 && a.Accepts(nv) {
			c.fixes = append(c.fixes, sub.fixes...)
			return nv
		}
	}
	return v
}

// convert changes a value whose type the schema does not allow, or a
// string that is not one of the enum values.
func (c *coercer) convert(v any, sch schema.Node, path string, depth int) any {
	if types := sch.Types(); types != nil && !typeAllowed(v, types) {
		for _, t := range types {
			if nv, kind, ok := convertTo(v, t); ok {
				c.fix(path, kind, v, nv, false)
				if kind == KindParseEmbedded {
					return c.coerce(nv, sch, path, depth+1) // and what it holds
				}
				v = nv
				break
			}
			if t == "array" {
				if _, isArr := v.([]any); !isArr && v != nil {
					c.fix(path, KindWrapInArray, v, []any{v}, false)
					v = c.coerce([]any{v}, sch, path, depth+1)
					return v
				}
			}
		}
	}
	if values := sch.Enum(); values != nil {
		for _, e := range values {
			if equalJSON(v, e) {
				return v
			}
		}
		var match []any
		for _, e := range values {
			if looselyEqual(v, e) {
				match = append(match, e)
			}
		}
		if len(match) == 1 {
			kind := KindEnumCase
			switch match[0].(type) {
			case json.Number, float64:
				kind = KindStringToNumber
			case string:
				if _, isStr := v.(string); !isStr {
					kind = KindNumberToString
				}
			}
			c.fix(path, kind, v, match[0], false)
			v = match[0]
		}
	}
	return v
}

// convertTo converts v to JSON type t when the meaning is beyond doubt.
func convertTo(v any, t string) (any, Kind, bool) {
	switch x := v.(type) {
	case string:
		switch t {
		case "integer":
			if n, ok := parseNumber(x); ok && isIntegral(n) {
				return n, KindStringToInteger, true
			}
		case "number":
			if n, ok := parseNumber(x); ok {
				return n, KindStringToNumber, true
			}
		case "boolean":
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "yes":
				return true, KindStringToBoolean, true
			case "false", "no":
				return false, KindStringToBoolean, true
			}
		case "object", "array":
			s := strings.TrimSpace(x)
			if len(s) >= 2 && (s[0] == '{') == (t == "object") && (s[0] == '{' || s[0] == '[') {
				if end, err := scanStrict([]byte(s), 0, DefaultMaxDepth); !err.failed() && end == len(s) {
					if val, err := decodeJSON([]byte(s)); err == nil {
						return val, KindParseEmbedded, true
					}
				}
			}
		}
	case json.Number:
		if t == "string" {
			return string(x), KindNumberToString, true
		}
	case float64:
		if t == "string" && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return strconv.FormatFloat(x, 'f', -1, 64), KindNumberToString, true
		}
	case int:
		if t == "string" {
			return strconv.Itoa(x), KindNumberToString, true
		}
	}
	return nil, "", false
}

// parseNumber reads a number written for people: " 30 ", "+4.5", "$1,299.50",
// "-€3", "1e3". Thousands separators must group digits by three; a
// currency sign may come first or after the sign; a leading zero (007) is
// refused. The result is a JSON number with the digits as written.
func parseNumber(s string) (json.Number, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	currency := false
	for _, sign := range [...]string{"$", "€", "£", "¥", "₹"} {
		if strings.HasPrefix(s, sign) {
			s = strings.TrimPrefix(s, sign)
			currency = true
			break
		}
	}
	if currency && !neg && strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	exp := ""
	if i := strings.IndexAny(frac, "eE"); hasFrac && i >= 0 {
		frac, exp = frac[:i], frac[i:]
	} else if i := strings.IndexAny(intPart, "eE"); !hasFrac && i >= 0 {
		intPart, exp = intPart[:i], intPart[i:]
	}
	grouped := strings.Contains(intPart, ",")
	if grouped {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return "", false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return "", false
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || !allDigits(intPart) || (hasFrac && (frac == "" || !allDigits(frac))) {
		return "", false
	}
	if exp != "" {
		if grouped || currency {
			return "", false
		}
		e := exp[1:]
		if strings.HasPrefix(e, "+") || strings.HasPrefix(e, "-") {
			e = e[1:]
		}
		if e == "" || !allDigits(e) {
			return "", false
		}
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		// 007 is a code, and 000 may be what is left of 1,000,000 after a
		// comma split it: not a number beyond doubt.
		return "", false
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	b.WriteString(exp)
	return json.Number(b.String()), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isIntegral reports whether the JSON number n is a whole number. It reads
// the digits rather than computing the value, so that 1e999999999 costs
// nothing.
func isIntegral(n json.Number) bool {
	s := strings.TrimPrefix(string(n), "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			return false // an exponent beyond int: not a number anyone meant
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		if exp >= 0 {
			return true
		}
		// Negative exponent: the last -exp digits of intPart must be 0.
		digits := strings.TrimLeft(intPart, "0")
		if digits == "" {
			return true
		}
		return -exp <= len(digits)-len(strings.TrimRight(digits, "0"))
	}
	return exp >= len(frac)
}

// maxExactExponent bounds the exponents compared exactly; numbers beyond
// it are compared by their text, so a hostile exponent costs nothing.
const maxExactExponent = 400

// ratOf returns the exact value of a JSON number's text.
func ratOf(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > maxExactExponent || e < -maxExactExponent {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

// allows reports whether sch admits JSON type t (or says nothing of type).
func allows(sch schema.Node, t string) bool {
	types := sch.Types()
	if types == nil {
		return true
	}
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// typeAllowed reports whether v has one of the types.
func typeAllowed(v any, types []string) bool {
	t := jsonTypeOf(v)
	for _, x := range types {
		if x == t || (x == "number" && t == "integer") || (x == "integer" && t == "number" && numberIsIntegral(v)) {
			return true
		}
	}
	return false
}

func numberIsIntegral(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return isIntegral(x)
	case float64:
		return x == math.Trunc(x) && !math.IsInf(x, 0)
	}
	return false
}

// jsonTypeOf names the JSON type of v ("integer" for whole numbers).
func jsonTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64, float32, int, int64, int32, uint, uint64:
		if numberIsIntegral(v) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// onlyNull reports whether sch admits null only.
func onlyNull(sch schema.Node) bool {
	sch = sch.Deref()
	if sch.IsZero() {
		return false
	}
	if t := sch.Types(); len(t) == 1 && t[0] == "null" {
		return true
	}
	if e := sch.Enum(); len(e) == 1 && e[0] == nil {
		return true
	}
	return false
}

// equalJSON compares JSON values, numbers by value.
func equalJSON(a, b any) bool {
	if x, ok := a.(json.Number); ok {
		if y, ok := b.(json.Number); ok && x == y {
			return true
		}
	}
	if na, ok := numberRat(a); ok {
		nb, ok := numberRat(b)
		return ok && na.Cmp(nb) == 0
	}
	if _, ok := a.(json.Number); ok {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// looselyEqual reports whether v is enum value e written differently: a
// string in another case or with surrounding spaces, or a number written
// as a string (or the other way round).
func looselyEqual(v, e any) bool {
	switch x := v.(type) {
	case string:
		switch y := e.(type) {
		case string:
			return strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y))
		case json.Number, float64:
			n, ok := parseNumber(x)
			return ok && equalJSON(n, y)
		}
	case json.Number, float64, int:
		if y, ok := e.(string); ok {
			n, ok := parseNumber(y)
			return ok && equalJSON(v, n)
		}
	}
	return false
}

func numberRat(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case json.Number:
		return ratOf(string(x))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(x), true
	case int:
		return new(big.Rat).SetInt64(int64(x)), true
	}
	return nil, false
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fix records a coercion from before to after at path.
func (c *coercer) fix(path string, k Kind, before, after any, removed bool) {
	f := Fix{Path: path, Offset: -1, Kind: k, Before: shortJSON(before)}
	if !removed {
		f.After = shortJSON(after)
	}
	c.fixes = append(c.fixes, f)
}

func shortJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return shortText(string(b))
}

// decodeJSON decodes valid JSON with numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	d := newDocument(b, Options{Level: Off})
	if err := d.run(true); err != nil {
		return nil, err
	}
	return d.val, nil
}
