package reask

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

// check turns an answer into a valid document, or says why it cannot:
// finish reason, emptiness and refusal first, then parsing (with local
// repair), schema validation and the task's semantic check. It also returns
// the parsed value (nil when it did not parse) for the exhaustion report.
func (j *job) check(ctx context.Context, resp *Response, raw string) (json.RawMessage, any, []repair.Fix, *ContentError) {
	if resp.Refusal != "" {
		return nil, nil, nil, &ContentError{Kind: KindRefusal, Message: schema.Shorten(resp.Refusal, 200)}
	}
	if resp.FinishReason == "length" {
		return nil, nil, nil, &ContentError{Kind: KindTruncated, Message: "the provider stopped at its token limit (finish_reason \"length\")"}
	}
	if strings.TrimSpace(raw) == "" {
		if resp.FinishReason == "content_filter" {
			return nil, nil, nil, &ContentError{Kind: KindRefusal, Message: "the provider's content filter stopped the answer"}
		}
		return nil, nil, nil, &ContentError{Kind: KindEmpty, Message: "the answer has no content"}
	}
	s := j.task.Schema
	res, err := repair.Parse([]byte(raw), repair.Options{Level: j.set.repairLevel, Schema: s})
	if err != nil {
		var fixes []repair.Fix
		if res != nil {
			fixes = res.Fixes
		}
		if errors.Is(err, repair.ErrTruncated) {
			return nil, nil, fixes, &ContentError{Kind: KindTruncated, Message: err.Error(), Err: err}
		}
		return nil, nil, fixes, &ContentError{Kind: KindJSONSyntax, Message: err.Error(), Err: err}
	}
	if vs := s.Validate(res.Value); len(vs) > 0 {
		return nil, res.Value, res.Fixes, &ContentError{Kind: KindSchema, Message: "schema violation", Violations: vs, Err: &schema.ValidationError{Violations: vs}}
	}
	doc := json.RawMessage(res.JSON)
	if j.task.Validate != nil {
		if err := j.task.Validate(ctx, doc); err != nil {
			cerr := &ContentError{Kind: KindSemantic, Message: err.Error(), Err: err}
			var ve *schema.ValidationError
			if errors.As(err, &ve) {
				cerr.Violations = ve.Violations
			}
			return nil, res.Value, res.Fixes, cerr
		}
	}
	return doc, res.Value, res.Fixes, nil
}
