package reask

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"

	"github.com/reask/reask/cache"
	"github.com/reask/reask/schema"
)

// promptVersion is the version of reask's prompt template in every cache
// key — the prompt built from an Input, in each mode, and the feedback of
// re-asks — so that results stored under an older template miss. It is not
// kept by hand: it hashes the template as rendered for a fixed sample
// (promptSample), once per process, so any change to the texts or to the
// code that writes them changes the key.
var promptVersion = sync.OnceValue(func() string { return promptVersionOf(promptSample()) })

// promptVersionOf names a rendering of the prompt template: "reask-prompt-"
// and the first 16 hex digits of its SHA-256.
func promptVersionOf(rendered string) string {
	sum := sha256.Sum256([]byte(rendered))
	return "reask-prompt-" + hex.EncodeToString(sum[:8])
}

// promptSampleSchema is the schema promptSample renders the template with:
// one field of each kind a violation or a sharpened feedback names.
const promptSampleSchema = `{"type":"object","properties":{"name":{"type":"string","description":"full name"},` +
	`"age":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"type":"string","enum":["a","b"]}}},` +
	`"required":["name","age"],"additionalProperties":false}`

// promptSample renders every part of the prompt template for one fixed
// input: the first messages in each mode (with the default instructions,
// and with the schema in the prompt), the feedback of each kind of failed
// answer, the sharper feedback for fields that failed twice, a patch
// re-ask's feedback and the summary of earlier failures.
func promptSample() string {
	s := schema.MustCompile(promptSampleSchema)
	var b strings.Builder
	write := func(msgs ...Message) {
		for _, m := range msgs {
			b.WriteString(string(m.Role))
			b.WriteString("\n---\n")
			b.WriteString(m.Content)
			b.WriteString("\n---\n")
		}
	}
	for _, inPrompt := range []bool{false, true} {
		for _, mode := range []Mode{ModeJSONSchema, ModeTools, ModeJSONObject, ModeText} {
			write(initialMessages(&settings{schemaInPrompt: inPrompt}, s, "Ada Lovelace, 36, tags a and b.", mode)...)
		}
	}
	vs := s.Validate(map[string]any{"age": -1.5, "tags": []any{"c"}, "extra": true})
	for _, cerr := range []*contentError{
		{Kind: KindJSONSyntax, Message: "unexpected end of input at offset 12"},
		{Kind: KindTruncated, Message: "unexpected end of input"},
		{Kind: KindEmpty},
		{Kind: KindRefusal, Message: "I cannot help with that"},
		{Kind: KindSchema, Violations: vs},
		{Kind: KindSemantic, Violations: vs[:1]},
		{Kind: KindSemantic, Message: "age must match the birth year\nname must be capitalised"},
		{Kind: "other", Message: "no answer"},
	} {
		write(Message{Role: RoleUser, Content: feedbackFor(cerr, 40)})
	}
	j := &job{task: Task{Schema: s}}
	write(Message{Role: RoleUser, Content: j.sharper(vs)},
		Message{Role: RoleUser, Content: patchFeedback(vs, []string{"age", "tags"})},
		Message{Role: RoleUser, Content: summaryOf([]failure{{number: 1, message: "schema /age"}, {number: 2, message: "json_syntax: end"}})})
	return b.String()
}

// cacheEntry is what the cache stores for a validated result.
type cacheEntry struct {
	Doc      json.RawMessage `json:"doc"`
	Provider string          `json:"provider"`
}

// cacheRequest is what a cache key hashes: everything that decides the
// answer of an extraction's first request.
type cacheRequest struct {
	Provider    string          `json:"provider"`
	Model       string          `json:"model,omitempty"`
	Messages    []Message       `json:"messages"`
	Mode        Mode            `json:"mode"`
	Schema      json.RawMessage `json:"schema"`
	SchemaName  string          `json:"schema_name"`
	Strict      bool            `json:"strict"`
	Temperature *float64        `json:"temperature"`
	MaxTokens   int             `json:"max_tokens,omitempty"`
}

// cacheOn says whether this extraction uses the cache.
func (j *job) cacheOn(ctx context.Context) bool {
	return j.set.cache != nil && j.sink == nil && !cache.IsOff(ctx)
}

// fromCache looks the first request up in the cache: on a hit it returns
// the stored document, checked against the task's schema again, and the
// extraction makes no call. It remembers the key for toCache.
func (j *job) fromCache(ctx context.Context, req *Request) (json.RawMessage, bool) {
	if !j.cacheOn(ctx) {
		return nil, false
	}
	b, err := json.Marshal(cacheRequest{Provider: j.client.provider.Name(), Model: req.Model, Messages: req.Messages,
		Mode: req.Mode, Schema: req.Schema, SchemaName: req.SchemaName, Strict: req.Strict,
		Temperature: req.Temperature, MaxTokens: req.MaxTokens})
	if err != nil {
		j.cacheFailed(ctx, "key", err)
		return nil, false
	}
	j.cacheKey = cache.Key(promptVersion(), b)
	j.report.Cache = cache.Miss
	val, ok, err := j.set.cache.Get(ctx, j.cacheKey)
	if err != nil {
		j.cacheFailed(ctx, "read", err)
		return nil, false
	}
	if !ok {
		return nil, false
	}
	var e cacheEntry
	var v any
	if json.Unmarshal(val, &e) != nil || json.Unmarshal(e.Doc, &v) != nil || len(j.task.Schema.Validate(v)) > 0 {
		return nil, false // unreadable or no longer valid: a miss, overwritten after the call
	}
	j.report.Cache = cache.Hit
	j.set.logger.LogAttrs(ctx, slog.LevelDebug, "reask: cache hit", slog.String("key", j.cacheKey))
	return e.Doc, true
}

// toCache stores a validated result under the key fromCache computed.
func (j *job) toCache(ctx context.Context, doc json.RawMessage) {
	if j.cacheKey == "" || j.report.Cache == cache.Hit || !j.cacheOn(ctx) {
		return
	}
	b, err := json.Marshal(cacheEntry{Doc: doc, Provider: j.report.Provider})
	if err == nil {
		err = j.set.cache.Put(ctx, j.cacheKey, b)
	}
	if err != nil {
		j.cacheFailed(ctx, "write", err)
	}
}

// cacheFailed logs and counts a cache operation that failed: the
// extraction goes on as without a cache.
func (j *job) cacheFailed(ctx context.Context, op string, err error) {
	j.report.CacheErrors++
	j.set.logger.LogAttrs(ctx, slog.LevelWarn, "reask: cache "+op+" failed; going on without it", slog.String("error", err.Error()))
}
