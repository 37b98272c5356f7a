package reask

import (
	"strings"

	"github.com/reask/reask/schema"
)

// initialMessages builds the first request of an extraction from an input text.
// In json_schema and tools modes the schema travels in the request's
// response format or tool definition; in json_object and text modes (and
// with Config.SchemaInPrompt) it is written into the prompt too.
func initialMessages(set *settings, s *schema.Schema, input string, mode Mode) []Message {
	sys := set.instructions
	if sys == "" {
		sys = DefaultInstructions
	}
	var b strings.Builder
	b.WriteString("Extract information from this text.\n\n")
	if set.schemaInPrompt || mode == ModeJSONObject || mode == ModeText {
		b.WriteString("Schema:\n")
		b.Write(s.JSON())
		b.WriteString("\n\n")
	}
	b.WriteString("Text:\n")
	b.WriteString(input)
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
