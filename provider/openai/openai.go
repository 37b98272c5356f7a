// Package openai is a reask.Provider for the OpenAI chat completions API and
// every server that speaks it: OpenAI, Azure-style proxies, OpenRouter,
// Ollama, vLLM, llama.cpp's server, LiteLLM, and reask's own simulator and
// gateway.
//
// It is a thin client over net/http rather than the official openai-go SDK:
// reask owns retries, so it needs the raw status, error type and code, every
// response header (Retry-After, x-ratelimit-*) and the request id on
// successes as well as failures; and one endpoint with four modes is a
// small, stable wire format, whose answer it reads with the gateway's own
// decoder. It never retries by itself.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/internal/openaiwire"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/shared"
)

// DefaultBaseURL is OpenAI's API.
const DefaultBaseURL = "https://api.openai.com/v1"

// DefaultMaxResponseBytes bounds a response body read into memory.
const DefaultMaxResponseBytes = 32 << 20

// Config configures a Provider. Model is required; every other zero field
// has a documented default.
type Config struct {
	// BaseURL of the API, up to and including the version: "…/v1".
	// Default DefaultBaseURL.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer …"; empty sends none (local
	// servers). It never appears in errors, logs or reports.
	APIKey reask.Secret
	// Model to ask, e.g. "gpt-4o-mini".
	Model string
	// Name overrides the provider's name in reports ("openai/<model>").
	Name string
	// Headers are added to every request (OpenAI-Organization, routing
	// headers of a proxy, …).
	Headers map[string]string
	// HTTPClient sends the requests. Default: a client with no overall
	// timeout (the caller's context bounds each call). Redirects are not
	// followed — a 3xx is an error naming where it pointed — unless the
	// client sets its own CheckRedirect; the provider uses a copy of the
	// client with that policy and never changes the client given.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response body. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Clock reads HTTP-date Retry-After headers. Default: the system clock.
	Clock clock.Clock
	// Strict says when json_schema response formats and tools are sent
	// strict: the loop sends the schema rewritten for OpenAI's strict
	// structured outputs (optional properties required and nullable,
	// every object closed, what strict mode refuses moved into
	// descriptions; see package schema/dialect). Default StrictAuto:
	// strict when the rewrite qualifies, else the schema as it is, not
	// strict, with the reason in Report.Relaxed. StrictOff sends every
	// schema as it is (servers that refuse strict); StrictOn refuses a
	// schema that cannot be strict.
	Strict dialect.Strict
}

// LogValue keeps the API key out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("model", c.Model),
		slog.String("api_key", c.APIKey.String()))
}

// Provider calls an OpenAI-compatible chat completions endpoint.
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
	cfg.HTTPClient = httpapi.WithoutRedirects(cfg.HTTPClient)
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	name := cfg.Name
	if name == "" {
		name = "openai/" + cfg.Model
	}
	return &Provider{cfg: cfg, endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions", name: name, scrub: httpapi.NewScrubber(cfg.APIKey)}
}

// Name returns "openai/<model>" unless Config.Name says otherwise.
func (p *Provider) Name() string { return p.name }

// Model returns the configured model.
func (p *Provider) Model() string { return p.cfg.Model }

// Account returns the account the provider calls — base URL, model, API
// key — under which a fleet of processes shares its limits
// (reask.Config.Shared).
func (p *Provider) Account() shared.Account {
	return shared.Account{BaseURL: strings.TrimRight(p.cfg.BaseURL, "/"), Model: p.cfg.Model, APIKey: p.cfg.APIKey.Reveal()}
}

// SchemaTarget says that the API takes OpenAI's dialect of JSON Schema,
// strict as Config.Strict says, in json_schema and tools modes.
func (p *Provider) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	switch req.Mode {
	case reask.ModeJSONSchema, reask.ModeTools, "":
		return dialect.Target{Dialect: dialect.OpenAI, Strict: p.cfg.Strict}, true
	}
	return dialect.Target{}, false
}

// Complete sends one chat completion request, streamed when the request
// asks for it (Request.OnDelta; see stream.go).
func (p *Provider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	body, err := p.encode(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", p.name, err)
	}
	if req.OnDelta != nil {
		return p.stream(ctx, req, body)
	}
	hresp, err := p.post(ctx, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	return p.answer(hresp)
}

// post sends a request body and returns the answer, its headers scrubbed
// of the key.
func (p *Provider) post(ctx context.Context, body []byte, accept string) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", accept)
	if p.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+p.cfg.APIKey.Reveal())
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

// answer reads a whole (not streamed) answer: a chat completion, or an
// error answer.
func (p *Provider) answer(hresp *http.Response) (*reask.Response, error) {
	data, err := httpapi.ReadBody(hresp.Body, p.cfg.MaxResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the response: %w", p.name, err)
	}
	data = p.scrub.Bytes(data)
	now := p.cfg.Clock.Now()
	snap, _ := ratelimit.ParseOpenAI(hresp.Header)
	if hresp.StatusCode/100 != 2 {
		return nil, ParseError(p.name, hresp.StatusCode, hresp.Header, data, now, p.cfg.APIKey)
	}
	resp, err := decodeAnswer(data)
	if err != nil {
		return nil, fmt.Errorf("%s: HTTP %d with an unreadable body: %w", p.name, hresp.StatusCode, err)
	}
	resp.RequestID = hresp.Header.Get("x-request-id")
	resp.RateLimit = snap
	return resp, nil
}

// ParseError reads an error answer of an OpenAI-compatible API — the body
// {"error": {"message", "type", "code", "param"}}, or any other body as a
// shortened message — into a *reask.ProviderError for provider name,
// classified (see Classify), with the key redacted and the wait the
// provider asked for (Retry-After, or for a 429 the reset of its exhausted
// quota) filled in. The gateway reads its upstreams' errors with it too.
func ParseError(name string, status int, h http.Header, data []byte, now time.Time, key reask.Secret) *reask.ProviderError {
	pe := &reask.ProviderError{
		Provider:   name,
		StatusCode: status,
		RequestID:  h.Get("x-request-id"),
	}
	pe.RateLimit, _ = ratelimit.ParseOpenAI(h)
	var body struct {
		Error *struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Param   json.RawMessage `json:"param"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		pe.Message = body.Error.Message
		pe.Type = body.Error.Type
		pe.Code = rawString(body.Error.Code)
		pe.Param = rawString(body.Error.Param)
	} else {
		pe.Message = httpapi.Excerpt(data)
	}
	pe.Kind = Classify(pe)
	return httpapi.Complete(pe, h, now, key)
}

var _ httpapi.ErrorParser = ParseError

// Classify says what an error answer of an OpenAI-compatible API means to
// reask, from its status, type, code and message as OpenAI's error codes
// guide documents them (platform.openai.com/docs/guides/error-codes):
//
//   - insufficient_quota (429 "You exceeded your current quota"):
//     KindQuota; only billing ends it.
//   - rate_limit_exceeded whose message says "Request too large" (429
//     "Request too large for gpt-4o … on tokens per min (TPM): Limit
//     30000, Requested 45000"): KindBadRequest. The one request needs more
//     tokens than the per-minute limit holds, so no wait lets it through;
//     fewer input or max_tokens, or a higher limit, do.
//   - context_length_exceeded (400 "This model's maximum context length
//     is …"): KindContextLength.
//   - a type or code saying overloaded (servers that speak the API for
//     another provider: "overloaded_error"): KindServer.
//   - anything else by its status (reask.StatusKind): 429
//     rate_limit_exceeded a rate limit, 401 invalid_api_key and 403
//     unsupported_country_region_territory auth, 404 model_not_found a bad
//     request, 500 and 503 ("The engine is currently overloaded") server.
//
// Codes are matched in the type as well as the code, case-insensitively,
// since servers that mimic the API put them in either.
func Classify(pe *reask.ProviderError) reask.Kind {
	code := strings.ToLower(pe.Code + " " + pe.Type)
	switch {
	case strings.Contains(code, "insufficient_quota"):
		return reask.KindQuota
	case strings.Contains(code, "context_length_exceeded"):
		return reask.KindContextLength
	case strings.Contains(code, "overloaded"):
		return reask.KindServer
	case pe.StatusCode == http.StatusTooManyRequests && strings.Contains(code, "rate_limit_exceeded") &&
		strings.Contains(strings.ToLower(pe.Message), "request too large"):
		return reask.KindBadRequest
	}
	return reask.StatusKind(pe.StatusCode)
}

// rawString reads a JSON string, number or null as text.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// decodeAnswer reads a chat completion as the gateway reads its upstreams'
// (see internal/openaiwire).
func decodeAnswer(data []byte) (*reask.Response, error) {
	var a openaiwire.Answer
	if err := a.Read(data); err != nil {
		return nil, err
	}
	return a.Response()
}
