package reask

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/reask/reask/cache"
)

// promptVersion is the version of reask's prompt template — the prompt
// built from an Input, the feedback of re-asks, how answers are taken and
// checked — in every cache key: change it with what changes an answer, so
// that results stored by an older reask miss.
const promptVersion = "reask-prompt-1"

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
	j.cacheKey = cache.Key(promptVersion, b)
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
