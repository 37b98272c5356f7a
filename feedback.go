package reask

import (
	"fmt"
	"strings"

	"github.com/reask/reask/schema"
)

// failure is a failed attempt, kept to build the next request.
type failure struct {
	number  int
	kind    Kind
	message string // one line, for the report and the summary
	// feedback is the text sent back to the model.
	feedback string
	// answer is the assistant turn that failed.
	answer Message
}

// feedbackFor writes the message that tells the model what was wrong with
// its answer: every problem on its own line, each naming the field (a JSON
// Pointer), what is wrong, the value received and what the schema expects.
func feedbackFor(cerr *ContentError, answerLen int) string {
	var b strings.Builder
	switch cerr.Kind {
	case KindJSONSyntax:
		fmt.Fprintf(&b, "Your answer is not valid JSON: %s.\nAnswer again with the complete JSON object only: no prose, no Markdown fences, double-quoted keys and strings, no trailing commas.", cerr.Message)
	case KindTruncated:
		fmt.Fprintf(&b, "Your answer was cut off after %d characters, before the JSON was complete (%s).\nAnswer again with the complete JSON object; keep string values short so that it fits.", answerLen, cerr.Message)
	case KindEmpty:
		b.WriteString("Your answer was empty.\nAnswer with the JSON object extracted from the text.")
	case KindRefusal:
		fmt.Fprintf(&b, "You declined to answer (%s).\nThe task is only to copy information present in the text into the JSON object. Answer with the JSON object.", cerr.Message)
	case KindSchema:
		b.WriteString("Your answer does not match the schema. Fix every problem below and answer again with the complete corrected JSON object only:\n")
		writeViolations(&b, cerr.Violations)
	case KindSemantic:
		b.WriteString("Your answer matches the schema but fails these checks. Fix every problem below and answer again with the complete corrected JSON object only:\n")
		if len(cerr.Violations) > 0 {
			writeViolations(&b, cerr.Violations)
		} else {
			for _, line := range strings.Split(cerr.Message, "\n") {
				b.WriteString("- " + line + "\n")
			}
		}
	default:
		fmt.Fprintf(&b, "Your answer could not be used: %s.\nAnswer again with the complete JSON object only.", cerr.Message)
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeViolations(b *strings.Builder, vs []schema.Violation) {
	for _, v := range vs {
		b.WriteString("- ")
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
}

// summaryOf condenses earlier failures into one line, so the conversation
// keeps their lesson without their tokens.
func summaryOf(earlier []failure) string {
	if len(earlier) == 0 {
		return ""
	}
	parts := make([]string, len(earlier))
	for i, f := range earlier {
		parts[i] = fmt.Sprintf("attempt %d: %s", f.number, f.message)
	}
	return "Earlier answers failed too (" + strings.Join(parts, "; ") + ")."
}

// oneLine summarises a content failure for reports and summaries.
func oneLine(cerr *ContentError) string {
	switch {
	case len(cerr.Violations) == 1:
		return string(cerr.Kind) + " " + cerr.Violations[0].String()
	case len(cerr.Violations) > 1:
		paths := make([]string, 0, len(cerr.Violations))
		for _, v := range cerr.Violations {
			paths = append(paths, v.Path)
		}
		return fmt.Sprintf("%s: %d problems at %s", cerr.Kind, len(cerr.Violations), strings.Join(paths, ", "))
	case cerr.Message != "":
		return string(cerr.Kind) + ": " + schema.Shorten(cerr.Message, 160)
	}
	return string(cerr.Kind)
}
