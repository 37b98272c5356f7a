package repair

import (
	"fmt"
	"math"
	"strings"

	"github.com/reask/reask/schema"
)

// Level says how much repair does.
type Level int

// Repair levels. The zero value is the default.
const (
	// SyntaxAndCoercion repairs the syntax and, when Options.Schema is
	// set, coerces values to the types the schema asks for. The default.
	SyntaxAndCoercion Level = iota
	// SyntaxOnly repairs the syntax and coerces nothing.
	SyntaxOnly
	// Off accepts strict JSON only (RFC 8259 in UTF-8, surrounding
	// whitespace allowed): no fence, prose or comment is stripped, nothing
	// is fixed, and anything else is a *SyntaxError. (The other levels
	// replace invalid UTF-8 with U+FFFD and record an invalid_utf8 fix.)
	Off
)

// String returns the name ParseLevel reads: "coerce", "syntax" or "off".
func (l Level) String() string {
	switch l {
	case SyntaxAndCoercion:
		return "coerce"
	case SyntaxOnly:
		return "syntax"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel reads a level from configuration or a command line: "coerce"
// (or "", "default", "full"), "syntax" or "off".
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "coerce", "default", "full":
		return SyntaxAndCoercion, nil
	case "syntax":
		return SyntaxOnly, nil
	case "off", "none", "strict":
		return Off, nil
	}
	return 0, fmt.Errorf("repair: unknown level %q (want coerce, syntax or off)", s)
}

// Default limits, used where Options leaves a limit at zero.
const (
	// DefaultMaxBytes bounds the input: 16 MiB.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxDepth bounds nesting: 512 levels of arrays and objects.
	DefaultMaxDepth = 512
	// DefaultMaxFixes bounds the fixes of one run: 262,144, about what
	// 4 MiB of JSON as broken as models break it needs (a fix every 17
	// bytes or so) and 40 MB of memory at most.
	DefaultMaxFixes = 1 << 18
	// MaxDepthCeiling caps Options.MaxDepth: the parser recurses once per
	// level, and deeper recursion would use stack without bound. It is
	// the nesting limit of encoding/json.
	MaxDepthCeiling = 10000
	// maxBytesCeiling keeps offsets within int32.
	maxBytesCeiling = 1<<31 - 1
)

// Options configure Parse and Repair. The zero value is ready to use:
// syntax repair, no schema, default limits.
type Options struct {
	// Level chooses how much is repaired; the zero value repairs syntax
	// and coerces.
	Level Level
	// Schema, when set, steers repair: among several JSON values in the
	// text, one that validates is chosen; a JSON document inside a
	// string is decoded only where the schema does not ask for a string;
	// and at the default level values are coerced to the schema's types
	// (see Coerce).
	Schema *schema.Schema
	// MaxBytes bounds the input length; 0 means DefaultMaxBytes. Longer
	// input fails with ErrTooLarge before any work is done.
	MaxBytes int
	// MaxDepth bounds the nesting of arrays and objects; 0 means
	// DefaultMaxDepth, and values above MaxDepthCeiling are lowered to
	// it. Deeper input fails with ErrTooDeep.
	MaxDepth int
	// MaxFixes bounds the work, and the memory, of a repair: the fixes
	// made while reading the text, counting those of values read and then
	// set aside (broken JSON in the prose around the answer). 0 means
	// DefaultMaxFixes, a negative value no limit. More fail with
	// ErrTooManyFixes. A kept fix costs about 150 bytes; the rest of a
	// repair stays within a small multiple of the input.
	MaxFixes int
}

func (o Options) maxBytes() int {
	switch {
	case o.MaxBytes <= 0:
		return DefaultMaxBytes
	case o.MaxBytes > maxBytesCeiling:
		return maxBytesCeiling
	}
	return o.MaxBytes
}

func (o Options) maxFixes() int {
	switch {
	case o.MaxFixes == 0:
		return DefaultMaxFixes
	case o.MaxFixes < 0:
		return math.MaxInt
	}
	return o.MaxFixes
}

func (o Options) maxDepth() int {
	switch {
	case o.MaxDepth <= 0:
		return DefaultMaxDepth
	case o.MaxDepth > MaxDepthCeiling:
		return MaxDepthCeiling
	}
	return o.MaxDepth
}

// Result is a repaired answer.
type Result struct {
	// JSON is the repaired document. For input that is already valid
	// JSON it is exactly the input with surrounding whitespace trimmed —
	// and it shares the input's memory. Otherwise it is freshly written
	// compact JSON, or, when only text around the JSON was removed, the
	// JSON exactly as it was written there.
	JSON []byte
	// Value is the document decoded: nil, bool, json.Number, string,
	// []any or map[string]any. Numbers are json.Number so that big
	// integers and exact decimals survive.
	Value any
	// Fixes lists every change made, in input order for syntax fixes,
	// followed by coercions.
	Fixes []Fix
	// Valid reports that Value, as returned, was validated against
	// Options.Schema during coercion and satisfies it; false means only
	// that it was not checked, or not valid.
	Valid bool
}
