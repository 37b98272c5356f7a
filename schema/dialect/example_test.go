package dialect_test

import (
	"fmt"

	"github.com/reask/reask/schema/dialect"
)

// Select rewrites a schema for OpenAI's strict structured outputs: the
// optional nickname becomes required and nullable, the length bound moves
// into the description, and the report says so.
func ExampleSelect() {
	doc := []byte(`{"type":"object","properties":{"name":{"type":"string","maxLength":40},"nickname":{"type":"string"}},"required":["name"]}`)
	r, err := dialect.Select(doc, dialect.OpenAI, dialect.StrictAuto)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Dialect, r.Strict)
	fmt.Println(string(r.Schema))
	for _, c := range r.Relaxed {
		fmt.Println(c.Pointer, c.Action)
	}
	// Output:
	// openai-strict true
	// {"type":"object","properties":{"name":{"type":"string","description":"maxLength: 40"},"nickname":{"type":["string","null"]}},"required":["name","nickname"],"additionalProperties":false}
	// /properties/name/maxLength described
}

// Absent reads the null the model wrote for the optional nickname as the
// nickname left out, before the answer is validated against the user's
// schema.
func ExampleResult_Absent() {
	doc := []byte(`{"type":"object","properties":{"name":{"type":"string"},"nickname":{"type":"string"}},"required":["name"]}`)
	r, _ := dialect.Rewrite(doc, dialect.OpenAIStrict)
	answer := map[string]any{"name": "Ann", "nickname": nil}
	_, text, removed := r.Absent(answer, []byte(`{"name":"Ann","nickname":null}`))
	fmt.Println(string(text), removed)
	// Output:
	// {"name":"Ann"} [/nickname]
}

// Gemini's legacy responseSchema has no const and upper-case type names.
func ExampleRewrite_geminiLegacy() {
	doc := []byte(`{"type":"object","properties":{"kind":{"const":"invoice"},"total":{"type":["number","null"]}},"required":["kind","total"]}`)
	r, _ := dialect.Rewrite(doc, dialect.GeminiSchema)
	fmt.Println(string(r.Schema))
	// Output:
	// {"type":"OBJECT","properties":{"kind":{"enum":["invoice"],"type":"STRING"},"total":{"type":"NUMBER","nullable":true}},"required":["kind","total"],"propertyOrdering":["kind","total"]}
}
