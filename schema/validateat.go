package schema

import (
	"errors"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ValidateAt validates v, the value at JSON Pointer p of a larger document,
// against the subschema that governs it (At(p)), and returns its
// violations with paths into the whole document, worded as Validate words
// them. It returns nil when the schema says nothing about p. A stream
// checks each object and array with it as soon as it closes.
func (s *Schema) ValidateAt(p string, v any) []Violation {
	if s == nil || s.root == nil {
		return nil
	}
	sub := s.at(p)
	if sub == nil {
		return nil
	}
	err := sub.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Violation{{Path: p, Problem: err.Error()}}
	}
	// The error's locations are relative to v: put p before them, and v
	// where p points in a document that holds only it, so that the
	// violations read as the whole document's.
	relocate(ve, SplitPointer(p))
	return s.violations(ve, Embed(p, v))
}

// relocate prefixes the instance location of e and its causes with tokens.
func relocate(e *jsonschema.ValidationError, tokens []string) {
	e.InstanceLocation = append(append([]string(nil), tokens...), e.InstanceLocation...)
	for _, c := range e.Causes {
		relocate(c, tokens)
	}
}

// Embed returns a document in which JSON Pointer p leads to v, and which
// holds nothing else: an object for each name, an array for each index
// (null before it). Indices above 65535 are taken as names.
func Embed(p string, v any) any {
	tokens := SplitPointer(p)
	for i := len(tokens) - 1; i >= 0; i-- {
		if n, err := strconv.Atoi(tokens[i]); err == nil && n >= 0 && n < 1<<16 {
			arr := make([]any, n+1)
			arr[n] = v
			v = arr
			continue
		}
		v = map[string]any{tokens[i]: v}
	}
	return v
}
