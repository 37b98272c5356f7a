package schema_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/reask/reask/schema"
)

// A Config bounds the documents it compiles and says how formats are
// asserted; a document beyond a limit is refused before it is compiled.
func ExampleConfig() {
	cfg := schema.Config{Limits: schema.Limits{MaxDepth: 8}, Formats: schema.FormatLenient}
	deep := strings.Repeat(`{"items":`, 10) + `{}` + strings.Repeat(`}`, 10)
	_, err := cfg.Compile([]byte(deep))
	var le *schema.LimitError
	fmt.Println(errors.As(err, &le), le.Limit, le.Max)

	s, _ := cfg.Compile([]byte(`{"type":"string","format":"email"}`))
	fmt.Println(s.Validate("kwame.garcía14@mail.test") == nil)

	strict, _ := schema.Config{Formats: schema.FormatStrict}.Compile([]byte(`{"type":"string","format":"email"}`))
	fmt.Println(strict.Validate("kwame.garcía14@mail.test")[0].Problem)

	_, err = schema.Compile([]byte(`{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`))
	fmt.Println(errors.Is(err, schema.ErrRefCycle))
	// Output:
	// true max_depth 8
	// true
	// not a valid email
	// true
}
