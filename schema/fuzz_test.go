package schema_test

import (
	"errors"
	"testing"

	"github.com/reask/reask/schema"
)

// FuzzCompile: whatever the document, Compile does not panic and either
// compiles it or says why with an error matching ErrInvalid (or, for the
// limits, ErrLimit too); a compiled schema validates its own examples
// without panicking, and its walks (At, Describe, Example) return.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"type":"string","format":"email"}`, `{"$ref":"#"}`, `{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`,
		`{"anyOf":[{"$ref":"#"},{"type":"null"}]}`, `{"items":{"items":{"items":{}}}}`, `{"properties":{"properties":{"properties":{}}}}`,
		`{"enum":[{"a":{"b":{}}}],"$ref":"#/enum/0"}`, `{"x":{"type":"integer"},"$ref":"#/x"}`, `{"dependencies":{"a":["b"],"c":{}}}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"a":{"allOf":[{"$ref":"#/definitions/a"}]}},"$ref":"#/definitions/a"}`,
		`{"type":"object","properties":{"e":{"type":"string","format":"idn-email"},"h":{"format":"idn-hostname"}}}`,
		`{"$dynamicAnchor":"m","$dynamicRef":"#m"}`, `[]`, `true`, `{"a":`,
	} {
		f.Add([]byte(s), "kwame.garcía14@mail.test")
	}
	small := schema.Config{Limits: schema.Limits{MaxDepth: 12, MaxSubschemas: 200, MaxBytes: 1 << 14}}
	f.Fuzz(func(t *testing.T, doc []byte, value string) {
		for _, lv := range []schema.FormatLevel{schema.FormatLenient, schema.FormatStrict, schema.FormatAnnotate} {
			cfg := small
			cfg.Formats = lv
			s, err := cfg.Compile(doc)
			if err != nil {
				if !errors.Is(err, schema.ErrInvalid) {
					t.Fatalf("error %v does not match ErrInvalid", err)
				}
				var le *schema.LimitError
				if errors.As(err, &le) && !errors.Is(err, schema.ErrLimit) {
					t.Fatalf("limit error %v does not match ErrLimit", err)
				}
				return
			}
			_ = s.Validate(value)
			_ = s.Validate(map[string]any{"e": value, "h": value})
			_ = s.At("/a/0/b")
			_ = s.Root().Describe()
			_ = s.Root().Example()
		}
	})
}
