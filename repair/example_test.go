package repair_test

import (
	"errors"
	"fmt"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

func ExampleParse() {
	answer := "Here is the person:\n```json\n{name: 'Ada', age: 36, languages: ['en', 'fr',],}\n```"
	res, err := repair.Parse([]byte(answer), repair.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(res.JSON))
	for _, f := range res.Fixes {
		fmt.Println(f)
	}
	// Output:
	// {"name":"Ada","age":36,"languages":["en","fr"]}
	// (root): surrounding_prose at byte 0: Here is the person: → (nothing)
	// (root): markdown_fence at byte 20: ```json → (nothing)
	// /name: unquoted_key at byte 29: name → "name"
	// /name: single_quotes at byte 35: 'Ada' → "Ada"
	// /age: unquoted_key at byte 42: age → "age"
	// /languages: unquoted_key at byte 51: languages → "languages"
	// /languages/0: single_quotes at byte 63: 'en' → "en"
	// /languages/1: single_quotes at byte 69: 'fr' → "fr"
	// /languages: trailing_comma at byte 73: , → (nothing)
	// (root): trailing_comma at byte 75: , → (nothing)
	// (root): markdown_fence at byte 78: ``` → (nothing)
}

func ExampleParse_schema() {
	s := schema.MustCompile(`{
		"type": "object",
		"additionalProperties": false,
		"properties": {
			"age": {"type": "integer"},
			"sentiment": {"enum": ["positive", "negative", "neutral"]},
			"tags": {"type": "array", "items": {"type": "string"}}
		}
	}`)
	res, err := repair.Parse([]byte(`{"age": "30", "sentiment": "Positive", "tags": "urgent", "note": "x"}`), repair.Options{Schema: s})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(res.JSON))
	for _, f := range res.Fixes {
		fmt.Println(f)
	}
	// Output:
	// {"age":30,"sentiment":"positive","tags":["urgent"]}
	// /age: string_to_integer: "30" → 30
	// /note: drop_unknown_field: "x" → (nothing)
	// /sentiment: enum_case: "Positive" → "positive"
	// /tags: wrap_in_array: "urgent" → ["urgent"]
}

func ExampleParse_truncated() {
	_, err := repair.Parse([]byte(`{"items": [{"id": 1}, {"id": 2, "name": "Wid`), repair.Options{})
	var te *repair.TruncatedError
	if errors.As(err, &te) {
		fmt.Println(err)
		fmt.Println("read so far:", string(te.Partial))
	}
	// Output:
	// truncated JSON: the input ends at byte 44 inside a string in an object in an array in an object ("\"}]}" never closed)
	// read so far: {"items":[{"id":1},{"id":2}]}
}

func ExampleParse_syntaxError() {
	_, err := repair.Parse([]byte(`{"name": "Ada", : 36}`), repair.Options{})
	fmt.Println(err)
	// Output:
	// line 1, column 17: unexpected character ':', expected an object key, near {"name": "Ada", : 36}
}

func ExampleCoerce() {
	s := schema.MustCompile(`{"type": "object", "properties": {"price": {"type": "number"}, "paid": {"type": "boolean"}}}`)
	v, fixes := repair.Coerce(map[string]any{"price": "$1,299.50", "paid": "yes"}, s)
	fmt.Println(v)
	fmt.Println(len(fixes), "fixes")
	// Output:
	// map[paid:true price:1299.50]
	// 2 fixes
}
