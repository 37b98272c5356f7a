package reask

import (
	"strings"

	"github.com/reask/reask/schema"
)

// DefaultInstructions is the system message unless WithInstructions replaces it.
const DefaultInstructions = `You are a precise data extraction assistant. Extract the requested information from the user's text and answer with JSON that matches the given schema exactly: every required field, the declared types, no extra fields. Use only information present in the text. If you receive feedback about errors in your previous answer, correct exactly those errors and answer again with the complete JSON.`

// initialMessages builds the first request of an extraction from an input text.
// In json_schema and tools modes the schema travels in the request's
// response format or tool definition; in json_object and text modes (and
// with WithSchemaInPrompt) it is written into the prompt too.
func initialMessages(set *settings, s *schema.Schema, input string, mode Mode) []Message {
	sys := set.instructions
	if sys == "" {
		sys = DefaultInstructions
	}
	var b strings.Builder
	b.WriteString("Extract information from the following text.\n\n")
	if set.schemaInPrompt || mode == ModeJSONObject || mode == ModeText {
		b.WriteString("Schema:\n")
		b.Write(s.JSON())
		b.WriteString("\n\n")
	}
	b.WriteString("Text:\n")
	b.WriteString(input)
	b.WriteString("\n\nReturn only valid JSON matching the schema.")
	return []Message{
		{Role: RoleSystem, Content: sys},
		{Role: RoleUser, Content: b.String()},
	}
}

// estimateTokens is a provider-neutral estimate of a conversation's size:
// about four characters per token, plus a few tokens per message. It is
// used for budgets only, never for accounting (providers report real usage).
func estimateTokens(msgs []Message, extra int) int {
	n := extra / 4
	for _, m := range msgs {
		n += 4 + (len(m.Content)+3)/4
		for _, tc := range m.ToolCalls {
			n += 4 + (len(tc.Name)+len(tc.Arguments)+3)/4
		}
	}
	return n
}
