package reask

import (
	"sync"

	"github.com/reask/reask/schema"
	"github.com/reask/reask/schema/dialect"
)

// schemaTargeter is a provider that says in which JSON Schema dialect its
// API takes a request's schema (see Provider): the loop sends it the schema
// rewritten for that dialect, strict where it qualifies, and enforces what
// the rewrite relaxed in its own validation.
type schemaTargeter interface {
	SchemaTarget(req *Request) (dialect.Target, bool)
}

// maxDialectCache bounds the rewrites a client keeps: one per schema and
// target, the cache emptied when full (a gateway sees many schemas; a batch
// reuses one).
const maxDialectCache = 256

type dialectKey struct {
	s *schema.Schema
	t dialect.Target
}

// dialectCache keeps a client's rewrites: they are pure functions of the
// schema and the target, and a batch asks for the same one per item.
type dialectCache struct {
	mu sync.Mutex
	m  map[dialectKey]*dialect.Result
}

func (c *dialectCache) get(s *schema.Schema, t dialect.Target) (*dialect.Result, error) {
	if c == nil {
		return t.Select(s.JSON())
	}
	k := dialectKey{s, t}
	c.mu.Lock()
	r, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := t.Select(s.JSON())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxDialectCache {
		c.m = make(map[dialectKey]*dialect.Result)
	}
	c.m[k] = r
	c.mu.Unlock()
	return r, nil
}

// shape returns the request as provider p takes it: in json_schema and
// tools modes, for a provider that says its dialect, a copy with the schema
// s rewritten and Strict set as the rewrite decided, and the rewrite; else
// req itself and nil. The rewrite is recorded in the report (Dialect,
// Relaxed), since the answer checked next is this provider's.
func (j *job) shape(p Provider, req *Request, s *schema.Schema) (*Request, *dialect.Result, error) {
	j.report.Dialect, j.report.Relaxed = 0, nil
	st, ok := p.(schemaTargeter)
	if !ok || s == nil || len(req.Schema) == 0 || (req.Mode != ModeJSONSchema && req.Mode != ModeTools) {
		return req, nil, nil
	}
	t, ok := st.SchemaTarget(req)
	if !ok || t.Dialect == 0 {
		return req, nil, nil
	}
	res, err := j.client.dialects.get(s, t)
	if err != nil {
		return nil, nil, err
	}
	out := *req
	out.Schema, out.Strict = res.Schema, res.Strict
	j.report.Dialect, j.report.Relaxed = res.Dialect, res.Relaxed
	return &out, res, nil
}

// absent takes out of a parsed answer the nulls that stand for absent
// optional properties in the schema last sent (OpenAI's strict form makes
// every property required), before it is validated against the task's
// schema; see dialect.Result.Absent.
func (j *job) absent(p parsedAnswer) parsedAnswer {
	if j.sent == nil {
		return p
	}
	v, text, removed := j.sent.Absent(p.value, p.text)
	if removed == nil {
		return p
	}
	p.value, p.text, p.valid = v, text, false
	return p
}
