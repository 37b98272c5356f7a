// Package anthropic is a reask.Provider for Anthropic's Messages API.
//
// Structured output goes through tool use: the schema becomes a tool's
// input_schema and tool_choice forces the call, so ModeJSONSchema and
// ModeTools both use it; ModeJSONObject and ModeText put the schema in the
// prompt and read JSON from the text. A re-ask answers every tool_use block
// of the failed answer with a tool_result (is_error: true), in the order of
// the blocks, so the feedback stays with the first call, the one checked;
// the API rejects a conversation that leaves a tool_use unanswered.
//
// Like package openai it is a thin net/http client rather than the official
// SDK, for the same reasons: reask owns retries (the SDK retries by
// default), reads every rate-limit header (anthropic-ratelimit-*,
// retry-after) on successes and failures, and needs the raw error type
// (overloaded_error on 529, rate_limit_error on 429).
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/shared"
)

// Defaults.
const (
	DefaultBaseURL          = "https://api.anthropic.com"
	DefaultVersion          = "2023-06-01"
	DefaultMaxTokens        = 4096
	DefaultMaxResponseBytes = 32 << 20
)

// Config configures a Provider. Model is required.
type Config struct {
	// BaseURL of the API, without the version path. Default DefaultBaseURL.
	BaseURL string
	// APIKey is sent as x-api-key. It never appears in errors, logs or reports.
	APIKey reask.Secret
	// Model to ask, e.g. "claude-sonnet-4-5".
	Model string
	// Name overrides the provider's name in reports ("anthropic/<model>").
	Name string
	// Version is the anthropic-version header. Default DefaultVersion.
	Version string
	// MaxTokens is sent when the request does not bound the answer itself;
	// the API requires a value. Default DefaultMaxTokens.
	MaxTokens int
	// Headers are added to every request (anthropic-beta, …).
	Headers map[string]string
	// HTTPClient sends the requests. Default: a client without timeout.
	// Redirects are not followed — a 3xx is an error naming where it
	// pointed — unless the client sets its own CheckRedirect; the provider
	// uses a copy of the client with that policy and never changes the
	// client given.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response body. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Clock dates rate-limit resets. Default: the system clock.
	Clock clock.Clock
	// Strict says when the tool is sent with strict: true (Anthropic's
	// structured outputs: its input is decoded to the schema). The loop
	// sends the schema rewritten for strict tools — every object closed,
	// numeric and length bounds and what else strict tools refuse moved
	// into descriptions; see package schema/dialect. Default StrictAuto:
	// strict when the model has structured outputs (Claude Sonnet 4.5,
	// Haiku 4.5, Opus 4.1 and every later model) and the rewrite
	// qualifies, else the schema as it is, not strict, with the reason in
	// Report.Relaxed. StrictOn sends every tool strict, whatever the model;
	// StrictOff none.
	Strict dialect.Strict
}

// LogValue keeps the API key out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("model", c.Model),
		slog.String("api_key", c.APIKey.String()))
}

// Provider calls the Messages API.
type Provider struct {
	cfg      Config
	endpoint string
	name     string
	scrub    *httpapi.Scrubber // the key, from all the server sends back
}

var (
	_ reask.Provider       = (*Provider)(nil)
	_ shared.AccountHolder = (*Provider)(nil)
)

// NewProvider returns a provider for cfg. It does not contact the server.
func NewProvider(cfg Config) *Provider {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	cfg.HTTPClient = httpapi.WithoutRedirects(cfg.HTTPClient)
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	name := cfg.Name
	if name == "" {
		name = "anthropic/" + cfg.Model
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	base = strings.TrimSuffix(base, "/v1")
	return &Provider{cfg: cfg, endpoint: base + "/v1/messages", name: name, scrub: httpapi.NewScrubber(cfg.APIKey)}
}

// SchemaTarget says that the API takes a tool's input_schema, strict as
// Config.Strict says (see there for the models), in json_schema and tools
// modes.
func (p *Provider) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	switch req.Mode {
	case reask.ModeJSONSchema, reask.ModeTools, "":
	default:
		return dialect.Target{}, false
	}
	s := p.cfg.Strict
	model := p.cfg.Model
	if req.Model != "" {
		model = req.Model
	}
	if s == dialect.StrictAuto && !StructuredOutputs(model) {
		s = dialect.StrictOff
	}
	return dialect.Target{Dialect: dialect.Anthropic, Strict: s}, true
}

// modelVersion reads a model name of the Claude 4 naming scheme:
// claude-<family>-<major>[-<minor>][-<date>], as in claude-sonnet-4-5 or
// claude-opus-4-1-20250805.
var modelVersion = regexp.MustCompile(`^claude-([a-z]+)-(\d+)(?:-(\d{1,2}))?(?:$|[-@])`)

// StructuredOutputs reports whether the model named has Anthropic's
// structured outputs (strict tools): Claude Opus 4.1, Sonnet 4.5, Haiku
// 4.5 and every model of a later version. Older names (claude-3-5-…,
// claude-sonnet-4-…) and unknown ones do not.
func StructuredOutputs(model string) bool {
	m := modelVersion.FindStringSubmatch(model)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[2])
	minor := 0
	if m[3] != "" {
		minor, _ = strconv.Atoi(m[3])
	}
	switch {
	case major > 4:
		return true
	case major < 4:
		return false
	}
	return minor >= 5 || m[1] == "opus" && minor >= 1
}

// Name returns "anthropic/<model>" unless Config.Name says otherwise.
func (p *Provider) Name() string { return p.name }

// Account returns the account the provider calls — base URL, model, API
// key — under which a fleet of processes shares its limits
// (reask.Config.Shared).
func (p *Provider) Account() shared.Account {
	return shared.Account{BaseURL: strings.TrimSuffix(p.endpoint, "/messages"), Model: p.cfg.Model, APIKey: p.cfg.APIKey.Reveal()}
}

// Complete sends one Messages API request, streamed when the request asks
// for it (Request.OnDelta; see stream.go).
func (p *Provider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	body, err := p.encode(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", p.name, err)
	}
	if req.OnDelta != nil {
		return p.stream(ctx, req, body)
	}
	hresp, err := p.post(ctx, body)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	return p.answer(hresp)
}

// post sends a request body and returns the answer, its headers scrubbed
// of the key.
func (p *Provider) post(ctx context.Context, body []byte) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("anthropic-version", p.cfg.Version)
	if p.cfg.APIKey != "" {
		hreq.Header.Set("x-api-key", p.cfg.APIKey.Reveal())
	}
	for k, v := range p.cfg.Headers {
		hreq.Header.Set(k, v)
	}
	hresp, err := p.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return nil, p.scrub.Error(err)
	}
	// A server may echo the key (in a request id, a masked key in an
	// error, the content): none of it reaches a report or a log.
	p.scrub.Header(hresp.Header)
	return hresp, nil
}

// answer reads a whole (not streamed) answer: a message, or an error
// answer.
func (p *Provider) answer(hresp *http.Response) (*reask.Response, error) {
	data, err := httpapi.ReadBody(hresp.Body, p.cfg.MaxResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the response: %w", p.name, err)
	}
	data = p.scrub.Bytes(data)
	now := p.cfg.Clock.Now()
	snap, _ := ratelimit.ParseAnthropic(hresp.Header, now)
	requestID := hresp.Header.Get("request-id")
	if hresp.StatusCode/100 != 2 {
		return nil, ParseError(p.name, hresp.StatusCode, hresp.Header, data, now, p.cfg.APIKey)
	}
	resp, err := decodeResponse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: HTTP %d with an unreadable body: %w", p.name, hresp.StatusCode, err)
	}
	resp.RequestID = requestID
	resp.RateLimit = snap
	return resp, nil
}

// ParseError reads an error answer of the Messages API — the body
// {"type": "error", "error": {"type", "message"}}, or any other body as a
// shortened message — into a *reask.ProviderError for provider name,
// classified (see Classify), with its rate-limit headers, the key redacted
// and the wait the API asked for (retry-after, or for a 429 the reset of
// its exhausted limit) filled in.
func ParseError(name string, status int, h http.Header, data []byte, now time.Time, key reask.Secret) *reask.ProviderError {
	pe := &reask.ProviderError{Provider: name, StatusCode: status, RequestID: h.Get("request-id")}
	pe.RateLimit, _ = ratelimit.ParseAnthropic(h, now)
	var body struct {
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		pe.Type = body.Error.Type
		pe.Message = body.Error.Message
	} else {
		pe.Message = httpapi.Excerpt(data)
	}
	pe.Kind = Classify(pe)
	return httpapi.Complete(pe, h, now, key)
}

var _ httpapi.ErrorParser = ParseError

// Classify says what an error answer of the Messages API means to reask,
// from its status, error type and message as Anthropic's errors page
// documents them (docs.claude.com/en/api/errors). The API has no code
// beyond the type, so what the type leaves open the message tells:
//
//   - billing_error, or a message about the credit balance (400
//     invalid_request_error "Your credit balance is too low to access the
//     Anthropic API"): KindQuota; only billing ends it.
//   - a message saying the prompt is longer than the model takes (400
//     invalid_request_error "prompt is too long: 210000 tokens > 200000
//     maximum", or "input length and max_tokens exceed context limit"):
//     KindContextLength.
//   - overloaded_error (529 "Overloaded"): KindServer.
//   - anything else by its status (reask.StatusKind): 429 rate_limit_error
//     a rate limit, 401 authentication_error and 403 permission_error
//     auth, 400 invalid_request_error, 404 not_found_error and 413
//     request_too_large a bad request, 500 api_error server.
func Classify(pe *reask.ProviderError) reask.Kind {
	msg := strings.ToLower(pe.Message)
	switch {
	case pe.Type == "billing_error" || strings.Contains(msg, "credit balance"):
		return reask.KindQuota
	case strings.Contains(msg, "prompt is too long") || strings.Contains(msg, "exceed context limit"):
		return reask.KindContextLength
	case strings.Contains(strings.ToLower(pe.Type), "overloaded"):
		return reask.KindServer
	}
	return reask.StatusKind(pe.StatusCode)
}
