package gateway

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/schema"
)

// Request kinds, the metrics' kind label.
const (
	kindSchema       = "schema"
	kindSchemaStream = "schema_stream"
	kindJSONObject   = "json_object"
	kindJSONStream   = "json_object_stream"
	kindPassthrough  = "passthrough"
	kindStream       = "stream"
	kindRejected     = "rejected"
)

// chat serves POST /v1/chat/completions and returns the request's kind.
func (g *Gateway) chat(w http.ResponseWriter, r *http.Request) string {
	body, ok := g.readBody(w, r)
	if !ok {
		return kindRejected
	}
	return g.chatBody(w, r, body, nil)
}

// chatBody serves a chat completions request whose body has been read:
// the client's, or the one the Responses API request rx translates to.
func (g *Gateway) chatBody(w http.ResponseWriter, r *http.Request, body []byte, rx *responsesExchange) string {
	cr, err := parseChatRequest(body)
	if err != nil {
		writeRequestError(w, err)
		return kindRejected
	}
	cr.responses = rx
	if cr.model == "" {
		cr.model = g.cfg.DefaultModel
	}
	if cr.model == "" {
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: ptr("model"),
			Code: ptr("missing_required_parameter"), Message: "You must provide a model parameter."})
		return kindRejected
	}
	g.takePreset(cr)
	rt := g.route(cr.model)
	if rt == nil {
		writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Param: ptr("model"),
			Code: ptr("model_not_found"), Message: fmt.Sprintf("The model `%s` is not served by this gateway.", cr.model)})
		return kindRejected
	}
	if !g.spend.admit(r.Context(), w, g.tele.labels.of(r), cr.model) {
		return kindRejected
	}
	if g.cfg.JSONObject != JSONObjectPassthrough {
		if _, err := cr.takeJSONObject(); err != nil {
			writeRequestError(w, err)
			return kindRejected
		}
	}
	if !g.takePromptSchema(w, r, cr) {
		return kindRejected
	}
	if cr.form == "" {
		return g.passthrough(w, r, rt, cr)
	}
	return g.enforce(w, r, rt, cr)
}

// anyObject is the schema of a json_object request: any JSON object. The
// loop's repair, validation and feedback apply to it as to a client's
// schema: an answer that is an array, a string or no JSON at all is
// re-asked.
var anyObject = schema.MustCompile(`{"type":"object"}`)

// jsonInstruction is the turn the gateway adds to a json_object request
// whose messages never say "json", which OpenAI requires.
const jsonInstruction = "Answer with one JSON object only: no prose, no Markdown fences."

// enforce runs the reask loop for a request with a schema, or for a
// json_object request (with anyObject), and answers with the valid JSON.
func (g *Gateway) enforce(w http.ResponseWriter, r *http.Request, rt *route, cr *chatRequest) string {
	kind := kindSchema
	if cr.stream {
		kind = kindSchemaStream
	}
	switch {
	case cr.prompt != nil:
		kind = kindPromptSchema
		if cr.stream {
			kind = kindPromptStream
		}
	case cr.form == reask.ModeJSONObject:
		kind = kindJSONObject
		if cr.stream {
			kind = kindJSONStream
		}
	}
	live, ok := g.liveMode(w, r, cr)
	if !ok {
		return kindRejected
	}
	ex := &exchange{req: cr, w: w, client: g.tele.labels.of(r)}
	ctx, cancel := g.requestContext(r.Context())
	defer cancel()
	sch, key, ok := g.requestSchema(ctx, w, cr)
	if !ok {
		return kindRejected
	}
	mode := cr.form
	if g.cfg.Mode != "" && cr.form != reask.ModeJSONObject && cr.prompt == nil {
		mode = g.cfg.Mode
	}
	msgs := cr.converted
	switch {
	case cr.prompt != nil && cr.prompt.preset != "":
		// The client's messages do not carry the preset's schema: tell
		// the model in a turn of the gateway's own (it says "JSON").
		msgs = append(append([]reask.Message(nil), msgs...), reask.Message{Role: reask.RoleSystem,
			Content: presetInstruction + string(sch.JSON())})
	case cr.form == reask.ModeJSONObject:
		// No schema to tell; only OpenAI's rule that the messages say
		// "json", in a turn of the gateway's own when the client's don't.
		if !mentionsJSON(msgs) {
			msgs = append(append([]reask.Message(nil), msgs...), reask.Message{Role: reask.RoleSystem, Content: jsonInstruction})
		}
	case cr.prompt != nil:
		// The schema is in the client's own prompt already.
	case mode == reask.ModeJSONObject || mode == reask.ModeText:
		// These modes carry no schema in the request: tell the model in a
		// turn of the gateway's own, after the client's.
		msgs = append(append([]reask.Message(nil), msgs...), reask.Message{Role: reask.RoleSystem,
			Content: "Answer with only a JSON value that is valid against this JSON Schema:\n" + string(sch.JSON())})
	}
	opts := []reask.Option{reask.WithMode(mode)}
	if cr.form == reask.ModeJSONObject || cr.prompt != nil {
		// The client chose JSON mode (or no response format), perhaps
		// because its server has no other: no switch to json_schema after
		// syntax failures.
		opts = append(opts, reask.WithModeFallback(cr.form))
	}
	if cr.maxTokens > 0 {
		opts = append(opts, reask.WithMaxTokens(cr.maxTokens))
	}
	if live {
		return g.enforceLive(ctx, w, r, rt, cr, reask.Task{Schema: sch, Messages: msgs, Tag: ex}, key, opts, kind)
	}
	doc, rep, err := rt.client.Run(cacheContext(ctx, r), reask.Task{Schema: sch, Messages: msgs, Tag: ex}, opts...)
	h := w.Header()
	setReaskHeaders(h, rep)
	setCacheHeader(h, rep)
	h.Set("X-Reask-Schema", cr.schemaSource())
	if d, ok := promptSchemaNotMet(h, cr, err); ok {
		doc, err = d, nil
	}
	if err != nil {
		g.schemaFailed(w, r, cr, rep, err)
		return kind
	}
	if sch != anyObject && (cr.prompt == nil || cr.prompt.preset == "") {
		g.schemas.keep(key, sch, g.cfg.SchemaCacheBytes)
	}
	a := g.answer(ex, rep, cr, doc)
	if cr.stream {
		g.streamAnswer(w, a, cr)
	} else {
		writeJSON(w, http.StatusOK, a)
	}
	return kind
}

// schemaFailed answers a schema request whose extraction failed (rep's
// headers already set): the error answer, with its headers.
func (g *Gateway) schemaFailed(w http.ResponseWriter, r *http.Request, cr *chatRequest, rep *reask.Report, err error) {
	status, e, extra := errorAnswer(err, g.cfg.Clock.Now())
	if ee := (*reask.ExhaustedError)(nil); errors.As(err, &ee) {
		e = exhausted(ee, cr.sought())
	}
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	if status != StatusClientClosedRequest {
		writeError(w, status, e)
	} else {
		w.WriteHeader(status)
	}
	g.log.LogAttrs(r.Context(), slog.LevelInfo, "gateway: schema request failed",
		slog.String("model", cr.model), slog.Int("status", status), slog.Int("attempts", rep.Attempts),
		slog.String("outcome", string(rep.Outcome)), slog.String("error", err.Error()))
}

// requestSchema returns the request's compiled schema (its prompt's, see
// takePromptSchema; anyObject for a json_object request without one) and
// its cache key, or answers the client with why there is none.
func (g *Gateway) requestSchema(ctx context.Context, w http.ResponseWriter, cr *chatRequest) (*schema.Schema, schemaKey, bool) {
	if cr.prompt != nil {
		return cr.prompt.sch, cr.prompt.key, true
	}
	if cr.form == reask.ModeJSONObject {
		return anyObject, schemaKey{}, true
	}
	sch, key, err := g.schemas.compile(ctx, g.cfg.Schema, cr.schemaName, cr.schemaDoc)
	if errors.Is(err, errCompileBusy) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, apiError{Type: "server_error",
			Code: ptr("server_busy"), Message: "The gateway is busy compiling other schemas; retry shortly."})
		return nil, key, false
	}
	if err != nil {
		param := "response_format.json_schema.schema"
		if cr.form == reask.ModeTools {
			param = "tools[].function.parameters"
		}
		// OpenAI's code for a schema it refuses; a *schema.LimitError's
		// message names the limit (max_depth, …) and where it was passed.
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: ptr(param),
			Code: ptr("invalid_json_schema"), Message: "Invalid JSON Schema: " + err.Error()})
		return nil, key, false
	}
	return sch, key, true
}

// maxRelaxedHeader bounds the x-reask-schema-relaxed header: the list of
// pointers is cut there, with "…" at the end.
const maxRelaxedHeader = 1024

// relaxedHeader is the x-reask-schema-relaxed header: the JSON Pointers,
// comma-separated and each once, of the client's schema's constraints that
// the upstream was not sent (or "strict off" reasons), "" when none.
func relaxedHeader(rep *reask.Report) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, c := range rep.Relaxed {
		p := headerPointer(c.Pointer)
		if seen[p] {
			continue
		}
		seen[p] = true
		if b.Len()+len(p)+1 > maxRelaxedHeader {
			b.WriteString(",…")
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	return b.String()
}

// headerPointer writes a JSON Pointer for a header: "/" for the root, and
// control characters, commas, '%' and non-ASCII bytes percent-encoded (as
// in a URI fragment), so that a property's name can neither break the
// header nor the list.
func headerPointer(p string) string {
	if p == "" {
		return "/"
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c >= 0x7f || c == ',' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// setReaskHeaders writes what the answer took.
func setReaskHeaders(h http.Header, rep *reask.Report) {
	if r := relaxedHeader(rep); r != "" {
		h.Set("X-Reask-Schema-Relaxed", r)
	}
	repairs := 0
	if n := len(rep.Records); n > 0 && rep.Records[n-1].Outcome == reask.KindOK {
		repairs = len(rep.Records[n-1].Repairs)
	}
	h.Set("X-Reask-Attempts", strconv.Itoa(rep.Attempts))
	h.Set("X-Reask-Repairs", strconv.Itoa(repairs))
	h.Set("X-Reask-Wasted-Tokens", strconv.Itoa(rep.WastedTokens))
	h.Set("X-Reask-Calls", strconv.Itoa(rep.Calls))
	if rep.Provider != "" {
		h.Set("X-Reask-Upstream", rep.Provider)
	}
	setCostHeader(h, rep)
}

// answer builds the chat.completion for a valid document: the final
// upstream answer's id, model and fingerprint, the document as the
// content (or as a forced tool call's arguments), usage summed over every
// attempt.
func (g *Gateway) answer(ex *exchange, rep *reask.Report, cr *chatRequest, doc json.RawMessage) *completion {
	c := &completion{Object: "chat.completion", Model: cr.model, Usage: &rep.Usage}
	if a := ex.answer; a != nil {
		c.ID, c.Created, c.SystemFingerprint = a.ID, a.Created, a.SystemFingerprint
		if a.Model != "" {
			c.Model = a.Model
		}
	}
	if c.ID == "" {
		c.ID = "chatcmpl-reask-" + randomHex(12)
	}
	if c.Created == 0 {
		c.Created = g.cfg.Clock.Now().Unix()
	}
	content := string(doc)
	msg := &answerMessage{Role: "assistant"}
	finish := "stop"
	if cr.form == reask.ModeTools {
		id := ""
		if a := ex.answer; a != nil && len(a.Choices) > 0 && len(a.Choices[0].Message.ToolCalls) > 0 {
			id = a.Choices[0].Message.ToolCalls[0].ID
		}
		if id == "" {
			id = "call_" + randomHex(12)
		}
		msg.ToolCalls = []openaiwire.ToolCall{{ID: id, Type: "function", Function: openaiwire.Function{Name: cr.schemaName, Arguments: content}}}
		finish = "tool_calls"
	} else {
		msg.Content = &content
	}
	c.Choices = []choice{{Index: 0, Message: msg, Logprobs: jsonNull, FinishReason: &finish}}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, apiError{Type: "server_error", Message: "encoding the answer: " + err.Error()})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// streamChunkBytes is the most content one streamed chunk carries.
const streamChunkBytes = 64

// streamAnswer sends a validated answer as server-sent events, as OpenAI
// streams: a first chunk with the role, the content (or the tool call's
// arguments) in pieces, a chunk with the finish reason, a usage chunk when
// the client asked for one, and [DONE].
func (g *Gateway) streamAnswer(w http.ResponseWriter, c *completion, cr *chatRequest) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	msg := c.Choices[0].Message
	chunk := completion{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
		SystemFingerprint: c.SystemFingerprint}
	send := func(delta *deltaMessage, finish *string) bool {
		chunk.Choices = []choice{{Index: 0, Delta: delta, Logprobs: jsonNull, FinishReason: finish}}
		return writeEvent(w, chunk) == nil
	}
	empty := ""
	var text string
	if len(msg.ToolCalls) > 0 {
		tc := msg.ToolCalls[0]
		zero := 0
		if !send(&deltaMessage{Role: "assistant", ToolCalls: []openaiwire.ToolCall{{Index: &zero, ID: tc.ID, Type: "function",
			Function: openaiwire.Function{Name: tc.Function.Name}}}}, nil) {
			return
		}
		text = tc.Function.Arguments
		for _, piece := range pieces(text, streamChunkBytes) {
			if !send(&deltaMessage{ToolCalls: []openaiwire.ToolCall{{Index: &zero, Function: openaiwire.Function{Arguments: piece}}}}, nil) {
				return
			}
		}
	} else {
		if !send(&deltaMessage{Role: "assistant", Content: &empty}, nil) {
			return
		}
		text = *msg.Content
		for _, piece := range pieces(text, streamChunkBytes) {
			if !send(&deltaMessage{Content: &piece}, nil) {
				return
			}
		}
	}
	if !send(&deltaMessage{}, c.Choices[0].FinishReason) {
		return
	}
	if cr.usage {
		chunk.Choices = []choice{}
		chunk.Usage = c.Usage
		if writeEvent(w, chunk) != nil {
			return
		}
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	_ = rc.Flush()
}

func writeEvent(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(append(buf, b...), "\n\n"...)
	if _, err := w.Write(buf); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}

// pieces splits s into pieces of at most n bytes, on rune boundaries.
func pieces(s string, n int) []string {
	var out []string
	for len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		if i == 0 {
			i = n
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// passthrough forwards a request without a schema through the route's
// client (transport retries, breaker, rate limiter, fallbacks), copying a
// stream as it arrives.
func (g *Gateway) passthrough(w http.ResponseWriter, r *http.Request, rt *route, cr *chatRequest) string {
	kind := kindPassthrough
	if cr.stream {
		kind = kindStream
	}
	ex := &exchange{req: cr, w: w, passthrough: true, client: g.tele.labels.of(r)}
	ctx, cancel := g.requestContext(r.Context())
	defer cancel()
	req := &reask.Request{Messages: cr.estimate(), MaxTokens: cr.maxTokens, Tag: ex}
	_, rep, err := rt.client.Send(ctx, req)
	if ex.committed {
		// The stream went to the client; nothing more can be said.
		if ex.streamErr != nil {
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: stream ended early",
				slog.String("model", cr.model), slog.String("upstream", rep.Provider), slog.String("error", ex.streamErr.Error()))
		}
		return kind
	}
	if err != nil {
		status, e, extra := errorAnswer(err, g.cfg.Clock.Now())
		h := w.Header()
		for k, v := range extra {
			h[k] = v
		}
		setReaskHeaders(h, rep)
		if status != StatusClientClosedRequest {
			writeError(w, status, e)
		} else {
			w.WriteHeader(status)
		}
		return kind
	}
	h := w.Header()
	for k, v := range ex.passHeader {
		h[k] = v
	}
	setPassthroughHeaders(h, ex.passTarget)
	h.Set("X-Reask-Calls", strconv.Itoa(rep.Calls))
	setCostHeader(h, rep)
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(ex.passBody)))
	w.WriteHeader(ex.passStatus)
	_, _ = w.Write(ex.passBody)
	return kind
}

// schemaCache keeps compiled schemas between requests, keyed by the
// digest of name and document, bounded both in count and in bytes (by
// schema.Schema.Footprint), dropping the least recently used first. A schema
// enters only once a request with it has succeeded: a schema that compiles
// but whose requests fail takes no room from the schemas in use. It is safe
// for concurrent use. One gateway's cache sees one schema.Config and one
// byte bound (Config.Schema, Config.SchemaCacheBytes).
type schemaCache struct {
	maxCount int
	// compiling holds a slot per compilation under way: a schema costs
	// up to a core for a moment even within the limits, so a client
	// sending new schemas cannot take more than these slots' cores from
	// the others (cached schemas need no slot).
	compiling chan struct{}

	mu    sync.Mutex
	bytes int64
	order *list.List // of *cachedSchema, most recently used first
	m     map[schemaKey]*list.Element
}

type schemaKey [sha256.Size]byte

type cachedSchema struct {
	key  schemaKey
	sch  *schema.Schema
	size int64
}

// newSchemaCache returns a cache of maxCount schemas that compiles at most
// maxCompiles schemas at a time (at least one).
func newSchemaCache(maxCount, maxCompiles int) *schemaCache {
	return &schemaCache{maxCount: maxCount, compiling: make(chan struct{}, max(1, maxCompiles)),
		order: list.New(), m: make(map[schemaKey]*list.Element)}
}

// errCompileBusy is returned when ctx ends while a compilation waits for a
// slot.
var errCompileBusy = errors.New("gateway: every schema compilation slot stayed busy")

// compile returns the cached schema for name and doc, or compiles it with
// cfg (within its limits) without caching it: keep adds it once it has
// served a request. OpenAPI's "nullable": true is read as OpenAI reads it
// (see rewriteNullable). A compilation waits for a free slot until ctx ends
// (an error matching errCompileBusy and ctx's error).
func (c *schemaCache) compile(ctx context.Context, cfg schema.Config, name string, doc []byte) (*schema.Schema, schemaKey, error) {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(doc)
	var key schemaKey
	h.Sum(key[:0])
	c.mu.Lock()
	if e, ok := c.m[key]; ok {
		c.order.MoveToFront(e)
		s := e.Value.(*cachedSchema).sch
		c.mu.Unlock()
		return s, key, nil
	}
	c.mu.Unlock()
	select {
	case c.compiling <- struct{}{}:
	case <-ctx.Done():
		return nil, key, fmt.Errorf("%w: %w", errCompileBusy, ctx.Err())
	}
	defer func() { <-c.compiling }()
	doc, err := rewriteNullable(doc)
	if err != nil {
		return nil, key, err
	}
	s, err := cfg.CompileNamed(name, doc)
	return s, key, err
}

// keep caches s under key, dropping the least recently used schemas until
// the count bound and maxBytes hold. A schema larger than maxBytes is not
// kept.
func (c *schemaCache) keep(key schemaKey, s *schema.Schema, maxBytes int64) {
	size := int64(s.Footprint())
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok || size > maxBytes || c.maxCount < 1 {
		return
	}
	for c.order.Len() >= c.maxCount || c.bytes+size > maxBytes {
		old := c.order.Remove(c.order.Back()).(*cachedSchema)
		delete(c.m, old.key)
		c.bytes -= old.size
	}
	c.m[key] = c.order.PushFront(&cachedSchema{key: key, sch: s, size: size})
	c.bytes += size
}

// usage returns how many schemas the cache holds and their bytes.
func (c *schemaCache) usage() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
