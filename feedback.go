package reask

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
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
	// provider gave the answer; seen counts, for each of its violations,
	// the consecutive answers that gave it (see repeats); sharpened holds
	// the paths whose schema and example the feedback carried.
	provider  string
	seen      map[repeatKey]repeatCount
	sharpened map[string]bool
}

// repeatCount is how often in a row a violation came back: in answers, and
// in answers to feedback that gave its field's schema and an example.
type repeatCount struct{ answers, sharpened int }

// insistAfterSharpened is how many answers in a row must repeat a
// violation after feedback that sharpened its field before the model is
// taken to insist: two specific corrections ignored, not one, since a
// model that samples may well fix the field on the next try.
const insistAfterSharpened = 2

// repeatKey identifies a violation with the value that caused it: its
// path, keyword and the value's canonical JSON, hashed.
type repeatKey [sha256.Size]byte

// maxRepeatValue bounds a repeated value as reports and errors show it.
const maxRepeatValue = 200

// answerRepeats is what repeats finds in an answer's violations.
type answerRepeats struct {
	// seen counts, for each violation, the consecutive answers that gave
	// it, this one included.
	seen map[repeatKey]repeatCount
	// insisted has every violation when each one repeated, in the last
	// insistAfterSharpened answers, the answer before after feedback that
	// sharpened its field; nil otherwise.
	insisted []Repeat
}

// repeats compares an answer's violations with the previous answer's
// (prev, nil for the first): a violation repeats when the previous answer,
// from the same provider, had the same keyword at the same JSON Pointer
// with the same value (canonical JSON), or lacked the field as this one
// does. The model insists when every violation has repeated
// insistAfterSharpened times in a row after feedback that gave its schema
// and an example.
func repeats(vs []schema.Violation, value any, provider string, prev *failure) answerRepeats {
	out := answerRepeats{seen: make(map[repeatKey]repeatCount, len(vs))}
	if prev != nil && prev.provider != provider {
		prev = nil
	}
	insists := len(vs) > 0 && prev != nil
	for _, v := range vs {
		canon, present := canonicalAt(value, v.Path)
		k := keyOf(v, canon, present)
		c := repeatCount{answers: 1}
		if prev != nil {
			if p, ok := prev.seen[k]; ok {
				c.answers += p.answers
				if prev.sharpened[v.Path] {
					c.sharpened = p.sharpened + 1
				}
			}
		}
		if _, dup := out.seen[k]; dup {
			continue
		}
		out.seen[k] = c
		if c.sharpened < insistAfterSharpened {
			insists = false
			continue
		}
		if insists {
			r := Repeat{Path: v.Path, Keyword: v.Keyword, Problem: v.Problem, Times: c.answers}
			if present {
				r.Value = schema.Shorten(canon, maxRepeatValue)
			}
			out.insisted = append(out.insisted, r)
		}
	}
	if !insists {
		out.insisted = nil
	}
	return out
}

func keyOf(v schema.Violation, canon string, present bool) repeatKey {
	h := sha256.New()
	for _, s := range []string{v.Path, v.Keyword, strconv.FormatBool(present), canon} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	var k repeatKey
	h.Sum(k[:0])
	return k
}

// canonicalAt returns the canonical JSON of the value at JSON Pointer p in
// v, and whether there is one: object members sorted (encoding/json sorts
// map keys), numbers by value, so that 30 and 30.0 are the same.
func canonicalAt(v any, p string) (string, bool) {
	x, ok := schema.Lookup(v, p)
	if !ok {
		return "", false
	}
	b, err := json.Marshal(canonicalNumbers(x))
	if err != nil {
		return fmt.Sprint(x), true
	}
	return string(b), true
}

// canonicalNumbers returns v with every json.Number that a float64 holds
// exactly replaced by it, so that numbers compare by value.
func canonicalNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if r, ok := new(big.Rat).SetString(string(x)); err == nil && ok && r.Cmp(new(big.Rat).SetFloat64(f)) == 0 {
			return f
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonicalNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonicalNumbers(e)
		}
		return out
	}
	return v
}

// feedbackFor writes the message that tells the model what was wrong with
// its answer: every problem on its own line, each naming the field (a JSON
// Pointer), what is wrong, the value received and what the schema expects.
func feedbackFor(cerr *contentError, answerLen int) string {
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
func oneLine(cerr *contentError) string {
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
