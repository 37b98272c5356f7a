package reask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

// check turns an answer into a valid document, or says why it cannot:
// finish reason, emptiness and refusal first, then parsing (with local
// repair), schema validation and the task's semantic check. It also returns
// the parsed value (nil when it did not parse) for the exhaustion report.
func (j *job) check(ctx context.Context, resp *Response, raw string) (json.RawMessage, any, []repair.Fix, *contentError) {
	p, cerr := j.parse(resp, raw, j.task.Schema)
	if cerr != nil {
		return nil, nil, p.fixes, cerr
	}
	doc, cerr := j.validate(ctx, p.value, p.text, p.valid)
	return doc, p.value, p.fixes, cerr
}

// checkPatch checks the answer to a patch re-ask: it parses the patch,
// merges its fields into the previous answer and checks the whole. An
// answer that holds every required field is taken as a full answer.
func (j *job) checkPatch(ctx context.Context, resp *Response, raw string) (json.RawMessage, any, []repair.Fix, *contentError) {
	plan := j.patch
	p, cerr := j.parse(resp, raw, plan.schema)
	if cerr != nil {
		return nil, nil, p.fixes, cerr
	}
	value, text, fixes := p.value, p.text, p.fixes
	obj, ok := value.(map[string]any)
	if !ok {
		vs := plan.schema.Validate(value)
		return nil, value, fixes, &contentError{Kind: KindSchema, Message: "schema violation", Violations: vs}
	}
	if !j.isFull(obj) {
		merged := make(map[string]any, len(plan.value)+len(plan.fields))
		for k, v := range plan.value {
			merged[k] = v
		}
		for _, f := range plan.fields {
			if v, ok := obj[f]; ok {
				merged[f] = v
			}
		}
		value, text = merged, nil
	}
	doc, cerr := j.validate(ctx, value, text, false)
	return doc, value, fixes, cerr
}

// isFull reports whether obj has every required top-level field.
func (j *job) isFull(obj map[string]any) bool {
	required := j.task.Schema.At("").Required()
	if len(required) == 0 {
		return false
	}
	for _, r := range required {
		if _, ok := obj[r]; !ok {
			return false
		}
	}
	return true
}

// parsedAnswer is an answer parsed and repaired: the value, its JSON text
// (in the model's order of fields), the fixes made, and whether repair
// already found the value valid against the schema it was given.
type parsedAnswer struct {
	value any
	text  []byte
	fixes []repair.Fix
	valid bool
}

// parse checks how the answer ended and parses it, repairing what it can
// with the policy's level, guided by s.
func (j *job) parse(resp *Response, raw string, s *schema.Schema) (parsedAnswer, *contentError) {
	if resp.Refusal != "" {
		return parsedAnswer{}, &contentError{Kind: KindRefusal, Message: schema.Shorten(resp.Refusal, 200)}
	}
	if resp.FinishReason == "length" {
		return parsedAnswer{}, &contentError{Kind: KindTruncated, Message: "the provider stopped at its token limit (finish_reason \"length\")"}
	}
	if strings.TrimSpace(raw) == "" {
		if resp.FinishReason == "content_filter" {
			return parsedAnswer{}, &contentError{Kind: KindRefusal, Message: "the provider's content filter stopped the answer"}
		}
		return parsedAnswer{}, &contentError{Kind: KindEmpty, Message: "the answer has no content"}
	}
	var res *repair.Result
	var err error
	if j.set.repairer != nil {
		res, err = j.set.repairer([]byte(raw), s)
		if err == nil && res == nil {
			err = fmt.Errorf("%w: the repairer returned no result", repair.ErrNoJSON)
		}
		if res != nil {
			res.Valid = false // validated here, whatever the repairer says
		}
	} else {
		res, err = repair.Parse([]byte(raw), repair.Options{Level: j.set.repairLevel, Schema: s})
	}
	if err != nil {
		var fixes []repair.Fix
		if res != nil {
			fixes = res.Fixes
		}
		if errors.Is(err, repair.ErrTruncated) {
			return parsedAnswer{fixes: fixes}, &contentError{Kind: KindTruncated, Message: err.Error(), Err: err}
		}
		return parsedAnswer{fixes: fixes}, &contentError{Kind: KindJSONSyntax, Message: err.Error(), Err: err}
	}
	return j.absent(parsedAnswer{value: res.Value, text: res.JSON, fixes: res.Fixes, valid: res.Valid}), nil
}

// validate checks a parsed value against the task's schema (unless
// schemaValid says repair already did) and semantic rule, and returns it
// as a JSON document: text when given, else the value marshalled.
func (j *job) validate(ctx context.Context, value any, text []byte, schemaValid bool) (json.RawMessage, *contentError) {
	if !schemaValid {
		if vs := j.task.Schema.Validate(value); len(vs) > 0 {
			return nil, &contentError{Kind: KindSchema, Message: "schema violation", Violations: vs, Err: &schema.ValidationError{Violations: vs}}
		}
	}
	doc := json.RawMessage(text)
	if doc == nil {
		b, err := json.Marshal(value)
		if err != nil {
			return nil, &contentError{Kind: KindJSONSyntax, Message: err.Error(), Err: err}
		}
		doc = b
	}
	if j.task.Validate != nil {
		if err := j.task.Validate(ctx, doc); err != nil {
			cerr := &contentError{Kind: KindSemantic, Message: err.Error(), Err: err}
			var ve *schema.ValidationError
			if errors.As(err, &ve) {
				cerr.Violations = ve.Violations
			}
			return nil, cerr
		}
	}
	return doc, nil
}
