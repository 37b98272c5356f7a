package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/provider/gemini"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/schema/dialect"
)

// upstream is one configured API, shared by the targets that use it.
type upstream struct {
	name         string
	chatURL      string
	responsesURL string
	modelsURL    string
	api          UpstreamAPI // how Responses requests go (Upstream.API)
	key          reask.Secret
	scrub        *httpapi.Scrubber // every upstream's key, from all an upstream sends back
	headers      map[string]string
	models       []string
	client       *http.Client
	timeout      time.Duration
	maxBytes     int64
	clock        clock.Clock

	// parseError reads the upstream's error answers into classified
	// *reask.ProviderError values: its API's parser (openai.ParseError).
	parseError httpapi.ErrorParser
	// gemini calls a Gemini upstream (APIGemini); nil for the others.
	gemini *gemini.Provider
}

// target is a model on an upstream: a reask.Provider. Its requests are
// built from the gateway request each call carries as its Tag (see
// exchange), so that the client's own fields and messages reach the
// upstream unchanged.
type target struct {
	name  string // "upstream/model", or "upstream" for the catch-all
	up    *upstream
	model string // "" asks for the model the client requested
}

var _ reask.Provider = (*target)(nil)

// Name keys the target's circuit breaker, rate limiter and metrics.
func (t *target) Name() string { return t.name }

// SchemaTarget says that an upstream takes OpenAI's dialect of JSON
// Schema: a client's response_format or forced tool goes upstream in
// OpenAI's strict form (optional properties required and nullable, every
// object closed, what strict mode refuses moved into descriptions) when
// the client asked for strict and the rewrite qualifies, else as the client
// wrote it, not strict. The answer is still validated against the client's
// own schema; x-reask-schema-relaxed lists what the upstream was not sent.
func (t *target) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	ex, ok := req.Tag.(*exchange)
	if !ok || ex == nil || ex.passthrough {
		return dialect.Target{}, false
	}
	if t.up.gemini != nil {
		// A Gemini upstream is sent Gemini's dialect, whatever the client's
		// strict says (Gemini has no strict mode).
		return t.up.gemini.SchemaTarget(req)
	}
	strict := dialect.StrictOff
	if ex.req.strict {
		strict = dialect.StrictAuto
	}
	return dialect.Target{Dialect: dialect.OpenAI, Strict: strict}, true
}

// errNoExchange is returned when a target is called without a gateway
// request as the call's Tag: targets only serve the gateway.
var errNoExchange = errors.New("gateway: target called without a gateway request")

// Complete sends one upstream call: the client's request rebuilt with
// reask's conversation (schema path) or forwarded as is (pass-through).
// A Responses API request goes to an upstream that speaks it as a
// Responses request (see completeResponses), to any other as the chat
// completion it translates to.
func (t *target) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	ex, ok := req.Tag.(*exchange)
	if !ok || ex == nil {
		return nil, errNoExchange
	}
	model := t.model
	if model == "" {
		model = ex.req.model
	}
	if rx := ex.req.responses; rx != nil {
		rx.raw, rx.api = false, t.up.api
		if t.up.api == APIResponses {
			resp, err := t.completeResponses(ctx, ex, rx, req, model)
			if resp != nil && resp.Model == "" {
				resp.Model = model
			}
			return resp, err
		}
		if err := rx.chatRefusal(t.name); err != nil {
			return nil, err
		}
	}
	if t.up.gemini != nil {
		return t.completeGemini(ctx, ex, req, model)
	}
	var body []byte
	var err error
	if ex.passthrough {
		body, err = ex.passthroughBody(model)
	} else {
		body, err = ex.encode(req, model)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", t.name, err)
	}
	if req.OnDelta != nil && !ex.passthrough {
		// A live stream's call (see enforceLive).
		return t.up.sendStreamed(ctx, t.name, ex, body, req.Mode == reask.ModeTools, req.OnDelta)
	}
	resp, err := t.up.send(ctx, t.name, ex, body)
	if resp != nil && resp.Model == "" {
		resp.Model = model // a pass-through answer is not read: price it by the model asked for
	}
	return resp, err
}

// send posts body to the upstream's chat completions endpoint. A stream
// that the upstream accepts is copied to the client as it arrives; the
// call then cannot be retried, so a stream that breaks off midway ends
// the call without an error (ex.streamErr says what happened).
func (u *upstream) send(ctx context.Context, name string, ex *exchange, body []byte) (*reask.Response, error) {
	stream := ex.passthrough && ex.req.stream
	return u.post(ctx, name, u.chatURL, body, stream, func(ctx context.Context, a *upstreamReply) (*reask.Response, error) {
		if stream {
			return a.copyStream(ctx, ex, chatStreamUsage)
		}
		data, err := a.body()
		if err != nil {
			return nil, err
		}
		var resp *reask.Response
		if ex.passthrough {
			// The client reads the answer, whatever its shape; reask only
			// needs its usage.
			resp = &reask.Response{Usage: usageOf(data)}
			ex.setPassthroughAnswer(name, a.hresp, data)
		} else {
			return a.read(ex, data)
		}
		return a.finish(resp), nil
	})
}

// whole reads a whole schema-path answer (see read).
func (a *upstreamReply) whole(ex *exchange) (*reask.Response, error) {
	data, err := a.body()
	if err != nil {
		return nil, err
	}
	return a.read(ex, data)
}

// read decodes a schema-path answer, data, and keeps it in ex.
func (a *upstreamReply) read(ex *exchange, data []byte) (*reask.Response, error) {
	var ans openaiwire.Answer
	if err := ans.Read(data); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d with an unreadable body: %v", a.name, a.hresp.StatusCode, err)
	}
	resp, err := ans.Response()
	if err != nil {
		return nil, fmt.Errorf("%s: HTTP %d: %v", a.name, a.hresp.StatusCode, err)
	}
	ex.setAnswer(a.name, &ans)
	return a.finish(resp), nil
}

// upstreamReply is an upstream's successful (2xx) answer whose headers
// have arrived: post hands it to the function reading it.
type upstreamReply struct {
	u        *upstream
	name     string
	hresp    *http.Response // headers scrubbed
	snap     ratelimit.Snapshot
	timer    *time.Timer
	timedOut *atomic.Bool
}

// post sends body to url with the upstream's headers and key, within the
// upstream timeout, and hands a 2xx answer to read (with a context that
// ends when post returns); any other status is the upstream's error,
// parsed. stream asks for an event stream (Accept: text/event-stream).
func (u *upstream) post(ctx context.Context, name, url string, body []byte, stream bool,
	read func(context.Context, *upstreamReply) (*reask.Response, error)) (*reask.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := &upstreamReply{u: u, name: name, timedOut: new(atomic.Bool)}
	a.timer = time.AfterFunc(u.timeout, func() { a.timedOut.Store(true); cancel() })
	defer a.timer.Stop()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	u.setHeaders(hreq.Header)
	hreq.Header.Set("Content-Type", "application/json")
	if stream {
		hreq.Header.Set("Accept", "text/event-stream")
	} else {
		hreq.Header.Set("Accept", "application/json")
	}
	hresp, err := u.client.Do(hreq)
	if err != nil {
		return nil, a.fail(err)
	}
	defer hresp.Body.Close()
	// What the upstream sends back may quote its key (an echoed
	// Authorization in x-request-id, a masked key in an error, a key in
	// the model's content): scrubbed before anything reads it.
	u.scrub.Header(hresp.Header)
	now := u.clock.Now()
	a.hresp = hresp
	a.snap, _ = ratelimit.ParseOpenAI(hresp.Header)
	if hresp.StatusCode/100 != 2 {
		data, rerr := httpapi.ReadBody(hresp.Body, u.maxBytes)
		if rerr != nil {
			return nil, a.fail(fmt.Errorf("%s: HTTP %d, reading the error body: %w", name, hresp.StatusCode, rerr))
		}
		return nil, u.parseError(name, hresp.StatusCode, hresp.Header, u.scrub.Bytes(data), now, u.key)
	}
	return read(ctx, a)
}

// fail words an error of the call: a timeout when the upstream timeout
// cut it, else the error scrubbed of the upstream keys.
func (a *upstreamReply) fail(err error) error {
	if a.timedOut.Load() {
		return fmt.Errorf("%s: no answer within the upstream timeout of %s: %w", a.name, a.u.timeout, context.DeadlineExceeded)
	}
	return a.u.scrub.Error(err)
}

// body reads the whole answer within the upstream's size bound, scrubbed
// of the upstream keys.
func (a *upstreamReply) body() ([]byte, error) {
	data, err := httpapi.ReadBody(a.hresp.Body, a.u.maxBytes)
	if err != nil {
		return nil, a.fail(fmt.Errorf("%s: reading the answer: %w", a.name, err))
	}
	return a.u.scrub.Bytes(data), nil
}

// finish adds the answer's request id and rate-limit headers to resp.
func (a *upstreamReply) finish(resp *reask.Response) *reask.Response {
	resp.RequestID = a.hresp.Header.Get("x-request-id")
	resp.RateLimit = a.snap
	return resp
}

// copyStream copies the answer, an event stream, to the client (see
// exchange.copyStream); the upstream timeout no longer applies: the
// stream runs as long as the client stays.
func (a *upstreamReply) copyStream(ctx context.Context, ex *exchange, usage streamUsage) (*reask.Response, error) {
	a.timer.Stop()
	if a.timedOut.Load() {
		return nil, a.fail(context.DeadlineExceeded)
	}
	return a.finish(ex.copyStream(ctx, a.name, a.hresp, a.u.scrub, usage)), nil
}

// usageOf reads the usage of a chat completion without decoding the rest:
// the last "usage" member, where OpenAI-compatible servers put it, whose
// object (numbers and nested objects of numbers) ends at its matching
// brace. The whole answer is decoded only when that fails.
func usageOf(data []byte) reask.Usage {
	var u struct {
		Usage *reask.Usage `json:"usage"`
	}
	if i := bytes.LastIndex(data, []byte(`"usage"`)); i > 0 && data[i-1] != '\\' {
		rest := bytes.TrimLeft(data[i+len(`"usage"`):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			if obj := objectPrefix(rest); obj != nil && json.Unmarshal(obj, &u.Usage) == nil && u.Usage != nil {
				return total(*u.Usage)
			}
		}
	}
	if json.Unmarshal(data, &u) == nil && u.Usage != nil {
		return total(*u.Usage)
	}
	return reask.Usage{}
}

// objectPrefix returns the JSON object data starts with, up to its
// matching brace, or nil; an object holding strings gives nil (a brace
// could hide in one).
func objectPrefix(data []byte) []byte {
	if len(data) == 0 || data[0] != '{' {
		return nil
	}
	depth := 0
	for i, c := range data {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return data[:i+1]
			}
		case '"':
			if i > 0 && data[i-1] == ':' {
				return nil // a string value
			}
		}
	}
	return nil
}

func total(u reask.Usage) reask.Usage {
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}

func (u *upstream) setHeaders(h http.Header) {
	for k, v := range u.headers {
		h.Set(k, v)
	}
	if u.key != "" {
		h.Set("Authorization", "Bearer "+u.key.Reveal())
	}
}

// streamLineLimit bounds one SSE line the gateway inspects for usage;
// longer lines are copied without being read.
const streamLineLimit = 64 << 10

// streamUsage reads the usage an event's data reports, if any.
type streamUsage func(data []byte) (reask.Usage, bool)

// chatStreamUsage reads a chat.completion.chunk's usage (the last chunk's,
// when the client asked for it with stream_options.include_usage).
func chatStreamUsage(data []byte) (reask.Usage, bool) {
	var chunk struct {
		Usage *reask.Usage `json:"usage"`
	}
	if json.Unmarshal(data, &chunk) != nil || chunk.Usage == nil {
		return reask.Usage{}, false
	}
	return *chunk.Usage, true
}

// copyStream copies an upstream's event stream to the client, flushing
// after every event, and returns the usage the stream reported, read from
// the events' data by usage. Each line is
// scrubbed of the upstream keys as it passes (a line longer than
// streamLineLimit piece by piece; content streamed token by token is
// checked per event, so a key split across events is not caught).
func (ex *exchange) copyStream(ctx context.Context, name string, hresp *http.Response, scrub *httpapi.Scrubber, usage streamUsage) *reask.Response {
	resp := &reask.Response{}
	w := ex.w
	h := w.Header()
	copyHeaders(h, hresp.Header)
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/event-stream")
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	setPassthroughHeaders(h, name)
	ex.committed = true
	w.WriteHeader(hresp.StatusCode)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	br := bufio.NewReaderSize(hresp.Body, streamLineLimit)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			line = scrub.Bytes(line)
			if _, werr := w.Write(line); werr != nil {
				ex.streamErr = fmt.Errorf("writing to the client: %w", werr)
				return resp
			}
			if bytes.HasPrefix(line, []byte("data:")) && bytes.Contains(line, []byte(`"usage":{`)) {
				if u, ok := usage(bytes.TrimSpace(line[len("data:"):])); ok {
					resp.Usage = u
				}
			}
			if len(bytes.TrimSpace(line)) == 0 {
				_ = rc.Flush() // the end of an event
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			_ = rc.Flush()
			return resp
		default:
			_ = rc.Flush()
			if ctx.Err() == nil {
				ex.streamErr = fmt.Errorf("the upstream's stream broke off: %w", err)
			} else {
				ex.streamErr = fmt.Errorf("the stream ended early: %w", ctx.Err())
			}
			return resp
		}
	}
}

// forwardedHeaders are the upstream response headers a client sees. The
// upstream's x-ratelimit-* headers are not among them: they describe the
// gateway's account, shared by every client, and the gateway paces its
// upstream calls itself.
var forwardedHeaders = []string{"Content-Type", "X-Request-Id", "Openai-Processing-Ms", "Openai-Version", "Retry-After", "Retry-After-Ms"}

func copyHeaders(dst, src http.Header) {
	for _, k := range forwardedHeaders {
		if v := src.Get(k); v != "" {
			dst.Set(k, v)
		}
	}
}

// setPassthroughHeaders writes the x-reask-* headers of a pass-through
// answer: one attempt, nothing repaired or wasted, and the target used.
func setPassthroughHeaders(h http.Header, target string) {
	h.Set("X-Reask-Attempts", "1")
	h.Set("X-Reask-Repairs", "0")
	h.Set("X-Reask-Wasted-Tokens", "0")
	h.Set("X-Reask-Upstream", target)
}
