package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/reask/reask"
)

const findSchema = `{"type":"object","properties":{"name":{"type":"string","pattern":"^[A-Z]{1}\\w+ }$","description":"a \"quoted\" {brace"},"age":{"type":"integer"}},"required":["name","age"]}`

func sys(s string) reask.Message { return reask.Message{Role: reask.RoleSystem, Content: s} }

func TestFindPromptSchema(t *testing.T) {
	other := `{"type":"object","properties":{"city":{"type":"string"}}}`
	for _, tc := range []struct {
		name string
		msgs []reask.Message
		want string
		err  error
	}{
		{"bare", []reask.Message{sys(findSchema)}, findSchema, nil},
		{"after a label (LangChain jsonMode)", []reask.Message{sys("Extract the fields of this schema from the text: " + findSchema)}, findSchema, nil},
		{"instructor-js", []reask.Message{sys("\n   Given a user prompt, you will return fully valid JSON.\n\n   description: \n   json schema: " +
			`{"name":"Contact","description":"",` + findSchema[1:] + "\n  ")}, `{"name":"Contact","description":"",` + findSchema[1:], nil},
		{"the AI SDK's injection", []reask.Message{sys("Be brief.\n\nJSON schema:\n" + findSchema + "\nYou MUST answer with a JSON object that matches the JSON schema above.")}, findSchema, nil},
		{"fenced", []reask.Message{sys("Answer with JSON like this:\n```json\n" + findSchema + "\n```\nNothing else.")}, findSchema, nil},
		{"a developer message", []reask.Message{{Role: roleDeveloper, Content: "Schema: " + findSchema}}, findSchema, nil},
		{"$defs only", []reask.Message{sys(`Use {"$defs":{"p":{"type":"string"}},"$ref":"#/$defs/p"}.`)}, `{"$defs":{"p":{"type":"string"}},"$ref":"#/$defs/p"}`, nil},
		{"prose braces first", []reask.Message{sys("Fill {name} and {age}; {\"x\": 1} is an example. " + findSchema)}, findSchema, nil},
		{"an unclosed brace in prose first", []reask.Message{sys("Keep { in mind. Schema: " + findSchema)}, findSchema, nil},
		{"a stray closing brace first", []reask.Message{sys("} oops. Schema: " + findSchema)}, findSchema, nil},
		{"the same schema twice", []reask.Message{sys(findSchema), sys("Again: " + findSchema)}, findSchema, nil},
		{"the second system message", []reask.Message{sys("Be precise."), {Role: reask.RoleUser, Content: "hi"}, sys(findSchema)}, findSchema, nil},
		{"an example answer beside it", []reask.Message{sys(findSchema + ` Example: {"name":"Ann","age":3}`)}, findSchema, nil},
		{"two different schemas", []reask.Message{sys(findSchema + " or " + other)}, "", errAmbiguousPromptSchema},
		{"in the user message only", []reask.Message{{Role: reask.RoleUser, Content: findSchema}}, "", nil},
		{"in an assistant message", []reask.Message{{Role: reask.RoleAssistant, Content: findSchema}}, "", nil},
		{"data, not a schema", []reask.Message{sys(`Example: {"type":"chair","name":"x","properties":"many"}`)}, "", nil},
		{"a Python dict", []reask.Message{sys(`Schema: {'type': 'object', 'properties': {'a': {'type': 'string'}}}`)}, "", nil},
		{"a schema with a trailing comma", []reask.Message{sys(`{"type":"object","properties":{},}`)}, "", nil},
		{"an array", []reask.Message{sys(`[{"type":"object"}]`)}, `{"type":"object"}`, nil},
		{"no braces", []reask.Message{sys("Answer in JSON.")}, "", nil},
		{"nothing", nil, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findPromptSchema(tc.msgs, DefaultPromptSchemaScanBytes)
			if string(got) != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("got %s, %v; want %s, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// TestFindPromptSchemaBounds: the scan stops at its budget, over all the
// messages, and an object nested beyond the braces tracked is no
// candidate, while the schema around it still is.
func TestFindPromptSchemaBounds(t *testing.T) {
	msg := "Schema: " + findSchema
	if got, _ := findPromptSchema([]reask.Message{sys(msg)}, len(msg)); string(got) != findSchema {
		t.Errorf("within the budget: %s", got)
	}
	if got, _ := findPromptSchema([]reask.Message{sys(msg)}, len(msg)-1); got != nil {
		t.Errorf("cut by the budget: %s", got)
	}
	if got, _ := findPromptSchema([]reask.Message{sys("Be precise."), sys(msg)}, len(msg)); got != nil {
		t.Errorf("the budget spans the messages: %s", got)
	}
	// Only outermost objects are candidates: a schema inside another
	// object is data, nested shallowly or beyond the braces tracked.
	for _, n := range []int{1, maxPromptBraceDepth + 10} {
		wrapped := strings.Repeat(`{"a":`, n) + findSchema + strings.Repeat("}", n)
		if got, _ := findPromptSchema([]reask.Message{sys(wrapped)}, len(wrapped)); got != nil {
			t.Errorf("inside %d objects: %.80s", n, got)
		}
	}
	opens := strings.Repeat("{", 1<<16) + " " + findSchema
	if got, _ := findPromptSchema([]reask.Message{sys(opens)}, len(opens)); string(got) != findSchema {
		t.Errorf("after unclosed braces: %.80s", got)
	}
}

// FuzzFindPromptSchema: any prompt is searched without a panic; what is
// found is a strict JSON object written in a system message; and a schema
// between prose without braces or quotes is found as written.
func FuzzFindPromptSchema(f *testing.F) {
	for _, s := range [][3]string{
		{"json schema: ", findSchema, "\n"},
		{"```json\n", `{"properties":{}}`, "\n```"},
		{"{ ", `{"type":"object"}`, " }"},
		{`"`, `{"$defs":{}}`, `\`},
		{"", `{"type":"object","properties":{"a":{"enum":["}","{"]}}}`, "}}}"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, before, middle, after string) {
		text := before + middle + after
		got, err := findPromptSchema([]reask.Message{sys(text), {Role: reask.RoleUser, Content: middle}}, DefaultPromptSchemaScanBytes)
		if err != nil && !errors.Is(err, errAmbiguousPromptSchema) {
			t.Fatalf("error %v", err)
		}
		if got != nil {
			var v map[string]any
			if !strings.Contains(text, string(got)) || json.Unmarshal(got, &v) != nil {
				t.Fatalf("found %q in %q", got, text)
			}
		}
		plain := func(s string) bool { return !strings.ContainsAny(s, `{}"\`) }
		if plain(before) && plain(after) && looksLikeSchema(middle) && strings.HasPrefix(middle, "{") && strings.HasSuffix(middle, "}") &&
			strings.Count(middle, "{") <= maxPromptBraceDepth &&
			len(text) <= DefaultPromptSchemaScanBytes && (err != nil || string(got) != middle) {
			t.Fatalf("schema %q between %q and %q: found %q, %v", middle, before, after, got, err)
		}
	})
}

// BenchmarkFindPromptSchema: the search every json_object request pays,
// on instructor-js's system message and on a long one without a schema.
func BenchmarkFindPromptSchema(b *testing.B) {
	for _, bc := range []struct {
		name string
		msgs []reask.Message
	}{
		{"instructor", []reask.Message{sys("Given a user prompt, you will return fully valid JSON.\n description: \n json schema: " + findSchema), {Role: reask.RoleUser, Content: "Contact John Doe"}}},
		{"no schema, 64KiB", []reask.Message{sys(strings.Repeat("Answer in JSON {like this}. ", 64<<10/28))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = findPromptSchema(bc.msgs, DefaultPromptSchemaScanBytes)
			}
		})
	}
}
