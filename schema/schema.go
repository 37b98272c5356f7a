// Package schema compiles JSON Schemas (draft 2020-12), derives them from Go
// types and turns validation failures into field-level violations that a
// model can act on.
//
// Validation itself is done by github.com/santhosh-tekuri/jsonschema, a
// complete and well-tested implementation of every draft up to 2020-12; this
// package adds what reask needs on top: JSON Pointer paths, the value that
// was received, and a plain-language description of what the schema expects.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// resourceURL is the name the compiler gives the document; it never leaves
// the process and no loader is configured, so nothing is fetched.
const resourceURL = "reask:///schema.json"

// ErrInvalid is matched by every error Compile returns for a bad document.
var ErrInvalid = errors.New("invalid JSON Schema")

// Schema is a compiled JSON Schema. It is immutable and safe for concurrent
// use.
type Schema struct {
	name string
	raw  json.RawMessage // compact document
	doc  any             // decoded document, for fragments
	root *jsonschema.Schema
	cfg  Config // how it was compiled, for the schemas derived from it
	// subschemas is how many the document holds, for Footprint.
	subschemas int
}

// Config says how documents are compiled: the limits they must stay within
// and how their formats are asserted. Its zero value is the defaults, which
// Compile uses. Limits is embedded so that a configuration file writes its
// fields beside formats: {"max_depth": 32, "formats": "strict"}.
type Config struct {
	Limits
	// Formats is how "format" is asserted. Default FormatLenient.
	Formats FormatLevel `json:"formats,omitempty"`
}

// Compile parses and compiles a JSON Schema document with the default
// Config. Documents without "$schema" are read as draft 2020-12.
// References may point inside the document only; nothing is loaded from the
// network or the file system. Formats ("email", "date", …) are asserted,
// not merely annotated, because extracted data that violates its declared
// format is wrong data; see FormatLevel for the rule of each.
func Compile(document []byte) (*Schema, error) {
	return Config{}.CompileNamed("", document)
}

// CompileNamed is Compile with a name for the schema, used where a provider
// wants one (OpenAI's json_schema.name, a tool's name). An empty name is
// taken from the document's "title", else "result".
func CompileNamed(name string, document []byte) (*Schema, error) {
	return Config{}.CompileNamed(name, document)
}

// Compile is the package's Compile with c.
func (c Config) Compile(document []byte) (*Schema, error) {
	return c.CompileNamed("", document)
}

// CompileNamed is the package's CompileNamed with c: the document is
// measured against c's Limits before it is compiled (a *LimitError says
// which limit it passes and where), and the compiled schema is refused when
// it holds a reference cycle (ErrRefCycle) or a place where validation
// would visit more than MaxSubschemas subschemas.
func (c Config) CompileNamed(name string, document []byte) (*Schema, error) {
	if err := c.Formats.check(); err != nil {
		return nil, err
	}
	limits := c.Limits.withDefaults()
	trimmed := bytes.TrimSpace(document)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("schema: %w: the document is empty", ErrInvalid)
	}
	if err := limits.checkBytes(len(trimmed)); err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(trimmed))
	if err != nil {
		return nil, fmt.Errorf("schema: %w: not JSON: %v", ErrInvalid, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema: %w: the document must be a JSON object, got %s", ErrInvalid, jsonType(doc))
	}
	m := &measurer{limits: limits}
	if err := m.walk(doc, true, 1); err != nil {
		return nil, err
	}
	jc := jsonschema.NewCompiler()
	jc.DefaultDraft(jsonschema.Draft2020)
	c.Formats.register(jc)
	jc.UseLoader(refusingLoader{})
	if err := jc.AddResource(resourceURL, doc); err != nil {
		return nil, fmt.Errorf("schema: %w: %v", ErrInvalid, err)
	}
	root, err := jc.Compile(resourceURL)
	if err != nil {
		return nil, fmt.Errorf("schema: %w: %s", ErrInvalid, compileMessage(err))
	}
	if err := limits.checkGraph(root); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, trimmed); err != nil {
		return nil, fmt.Errorf("schema: %w: %v", ErrInvalid, err)
	}
	if name == "" {
		if t, ok := obj["title"].(string); ok {
			name = t
		}
	}
	return &Schema{name: sanitizeName(name), raw: compact.Bytes(), doc: doc, root: root, cfg: c,
		subschemas: m.subschemas}, nil
}

// MustCompile is Compile for schemas known at compile time; it panics on error.
func MustCompile(document string) *Schema {
	s, err := Compile([]byte(document))
	if err != nil {
		panic(err)
	}
	return s
}

// Name is a name for the schema that satisfies OpenAI's and Anthropic's rules
// for function and schema names (^[a-zA-Z0-9_-]{1,64}$).
func (s *Schema) Name() string { return s.name }

// JSON returns the compact schema document. The caller must not modify it.
func (s *Schema) JSON() json.RawMessage { return s.raw }

// Config returns the Config the schema was compiled with.
func (s *Schema) Config() Config { return s.cfg }

// bytesPerSubschema is a little more than what one compiled subschema and
// its share of the decoded document hold in memory (1.3 to 1.7 KiB
// measured, deeper schemas having longer locations).
const bytesPerSubschema = 2 << 10

// Footprint estimates the memory the schema holds, in bytes — the compact
// document, the decoded one and the compiled subschemas — for caches that
// bound what they keep by size.
func (s *Schema) Footprint() int {
	return 2*len(s.raw) + s.subschemas*bytesPerSubschema
}

// String returns the schema document.
func (s *Schema) String() string { return string(s.raw) }

type refusingLoader struct{}

func (refusingLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external reference %q: only references inside the document are allowed", url)
}

func compileMessage(err error) string {
	var sve *jsonschema.SchemaValidationError
	if errors.As(err, &sve) {
		var ve *jsonschema.ValidationError
		if errors.As(sve.Err, &ve) {
			vs := violationsOf(ve, sve.Err)
			if len(vs) > 0 {
				msgs := make([]string, len(vs))
				for i, v := range vs {
					msgs[i] = "at " + displayPath(v.Path) + ": " + v.Problem
					if v.Expected != "" {
						msgs[i] += "; expected " + v.Expected
					}
				}
				return "the document does not follow the JSON Schema meta-schema: " + strings.Join(msgs, "; ")
			}
		}
	}
	msg := err.Error()
	return strings.ReplaceAll(msg, resourceURL, "schema")
}

func sanitizeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "result"
	}
	return b.String()
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64, float32, int, int64, int32, uint, uint64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
