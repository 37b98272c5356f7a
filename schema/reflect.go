package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	invopop "github.com/invopop/jsonschema"
)

// ErrUnsupportedType is matched by the error For returns for a Go type that
// cannot be described as a JSON object schema.
var ErrUnsupportedType = errors.New("unsupported Go type")

// For derives a JSON Schema from the Go type T, which must be a struct (or a
// pointer to one). Fields follow encoding/json: their json tag names them, a
// field tagged omitempty or omitzero is optional and every other field is
// required; `jsonschema:"..."` tags add descriptions, enums and bounds (see
// github.com/invopop/jsonschema). Objects forbid unknown fields, which makes
// the schema fit OpenAI's strict mode when no field is optional.
func For[T any]() (*Schema, error) {
	return FromType(reflect.TypeFor[T]())
}

// FromType is For with a reflect.Type.
func FromType(t reflect.Type) (*Schema, error) { return Config{}.FromType(t) }

// FromType is the package's FromType, compiled with c.
func (c Config) FromType(t reflect.Type) (*Schema, error) {
	if t == nil {
		return nil, fmt.Errorf("schema: %w: nil type", ErrUnsupportedType)
	}
	root := t
	for root.Kind() == reflect.Pointer {
		root = root.Elem()
	}
	if root.Kind() != reflect.Struct {
		return nil, fmt.Errorf("schema: %w %s: the extracted type must be a struct, because providers require a JSON object at the top level", ErrUnsupportedType, t)
	}
	if err := checkType(root, root.String(), map[reflect.Type]bool{}); err != nil {
		return nil, err
	}
	r := invopop.Reflector{
		Anonymous:      true,
		ExpandedStruct: true,
	}
	js := r.ReflectFromType(root)
	js.Version = ""
	doc, err := json.Marshal(js)
	if err != nil {
		return nil, fmt.Errorf("schema: %w %s: %v", ErrUnsupportedType, t, err)
	}
	return c.CompileNamed(snake(root.Name()), doc)
}

// checkType rejects kinds that have no JSON form, naming the field at fault.
func checkType(t reflect.Type, where string, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer, reflect.Uintptr:
		return fmt.Errorf("schema: %w: %s has type %s, which has no JSON form", ErrUnsupportedType, where, t)
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return checkType(t.Elem(), where+"[]", seen)
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			return fmt.Errorf("schema: %w: %s is a map with %s keys; JSON object keys are strings", ErrUnsupportedType, where, t.Key())
		}
		return checkType(t.Elem(), where+"[key]", seen)
	case reflect.Struct:
		if _, ok := reflect.New(t).Interface().(json.Unmarshaler); ok {
			return nil // custom JSON form, e.g. time.Time
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			if err := checkType(f.Type, where+"."+f.Name, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// snake turns a Go type name into snake_case: OrderInfo → order_info.
func snake(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
