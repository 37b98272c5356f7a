// Package gemini is a reask.Provider for Google's Gemini API
// (generativelanguage.googleapis.com): POST
// {base}/models/{model}:generateContent, the key in x-goog-api-key.
//
// The conversation goes as contents of roles user and model, system
// messages as systemInstruction. ModeJSONSchema, the default, asks for
// JSON (generationConfig.responseMimeType "application/json") constrained
// to the schema, sent as responseJsonSchema (JSON Schema) or, with
// Config.LegacySchema, as responseSchema (Gemini's OpenAPI 3.0 subset).
// ModeTools declares one function whose parameters are the schema and
// forces its call (functionCallingConfig mode ANY); a re-ask answers the
// call with a functionResponse. ModeJSONObject asks for JSON without a
// schema and ModeText for plain text; reask puts the schema in the prompt
// for both.
//
// The schema the API is sent is what Config.Schema makes of the task's;
// reask validates every answer against the task's own schema, so what the
// API was not sent is still enforced by the re-ask loop.
//
// Like packages openai and anthropic it is a thin net/http client rather
// than the official SDK (google.golang.org/genai): reask owns retries and
// must read the raw error — its status name and its google.rpc details
// (RetryInfo, QuotaFailure, ErrorInfo) — to tell a rate limit from a spent
// daily quota; responses must be bounded and scrubbed of the key before
// anything reads them; and the base URL, version included, must point
// anywhere (the simulator, a proxy) without the SDK's split of host and
// API version or its Google credential chain. It never retries by itself.
package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/shared"
)

// Defaults.
const (
	// DefaultBaseURL is the Gemini API's root, version included.
	DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"
	// DefaultModel is the model the CLI asks when none is named.
	DefaultModel = "gemini-2.5-flash"
	// DefaultMaxResponseBytes bounds a response body read into memory.
	DefaultMaxResponseBytes = 32 << 20
)

// Config configures a Provider. Model is required; every other zero field
// has a documented default.
type Config struct {
	// BaseURL of the API, up to and including the version: "…/v1beta".
	// Default DefaultBaseURL. Requests go to
	// {BaseURL}/models/{model}:generateContent.
	BaseURL string
	// APIKey is sent as x-goog-api-key; empty sends none (local servers).
	// It never appears in errors, logs or reports.
	APIKey reask.Secret
	// Model to ask, e.g. "gemini-2.5-flash" ("models/" in front is
	// accepted and dropped).
	Model string
	// Name overrides the provider's name in reports ("gemini/<model>").
	Name string
	// LegacySchema sends the schema as generationConfig.responseSchema
	// (and function parameters as parameters): Gemini's OpenAPI 3.0
	// subset, for models and API versions without responseJsonSchema. The
	// default sends responseJsonSchema (and parametersJsonSchema).
	LegacySchema bool
	// Schema makes the schema the API is sent from the task's; nil uses
	// PrepareSchema. See SchemaFunc.
	Schema SchemaFunc
	// Headers are added to every request.
	Headers map[string]string
	// HTTPClient sends the requests. Default: a client without timeout
	// (the caller's context bounds each call). Redirects are not followed —
	// a 3xx is an error naming where it pointed — unless the client sets
	// its own CheckRedirect; the provider uses a copy of the client with
	// that policy and never changes the client given.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response body. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Clock dates what the headers say. Default: the system clock.
	Clock clock.Clock
}

// LogValue keeps the API key out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("model", c.Model),
		slog.String("api_key", c.APIKey.String()))
}

// Provider calls the generateContent method of the Gemini API. It is safe
// for concurrent use.
type Provider struct {
	cfg   Config
	base  string // BaseURL without its trailing slash
	name  string
	scrub *httpapi.Scrubber // the key, from all the server sends back
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
	cfg.Model = strings.TrimPrefix(cfg.Model, "models/")
	if cfg.Schema == nil {
		cfg.Schema = PrepareSchema
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
		name = "gemini/" + cfg.Model
	}
	return &Provider{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), name: name, scrub: httpapi.NewScrubber(cfg.APIKey)}
}

// Name returns "gemini/<model>" unless Config.Name says otherwise.
func (p *Provider) Name() string { return p.name }

// SchemaTarget says that the API takes Gemini's dialect of JSON Schema —
// responseJsonSchema, or the legacy responseSchema with
// Config.LegacySchema — in json_schema and tools modes: the loop sends the
// schema rewritten for it (schema/dialect) and enforces what it drops.
// Config.Schema then prepares the rewritten schema (PrepareSchema sends it
// as it is, adding only what is missing of propertyOrdering).
func (p *Provider) SchemaTarget(req *reask.Request) (dialect.Target, bool) {
	switch req.Mode {
	case reask.ModeJSONSchema, reask.ModeTools, "":
		d := dialect.GeminiJSONSchema
		if p.cfg.LegacySchema {
			d = dialect.GeminiSchema
		}
		return dialect.Target{Dialect: d}, true
	}
	return dialect.Target{}, false
}

// Model returns the configured model.
func (p *Provider) Model() string { return p.cfg.Model }

// Account returns the account the provider calls — base URL, model, API
// key — under which a fleet of processes shares its limits
// (reask.Config.Shared).
func (p *Provider) Account() shared.Account {
	return shared.Account{BaseURL: p.base, Model: p.cfg.Model, APIKey: p.cfg.APIKey.Reveal()}
}

// Dialect is the schema dialect the provider sends: DialectJSONSchema,
// or DialectLegacy with Config.LegacySchema.
func (p *Provider) Dialect() Dialect {
	if p.cfg.LegacySchema {
		return DialectLegacy
	}
	return DialectJSONSchema
}

// Endpoint returns the URL a request for model goes to (the configured
// model when empty).
func (p *Provider) Endpoint(model string) string {
	if model == "" {
		model = p.cfg.Model
	}
	return p.base + "/models/" + url.PathEscape(strings.TrimPrefix(model, "models/")) + ":generateContent"
}

// Complete sends one generateContent request.
func (p *Provider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	body, model, err := p.encode(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", p.name, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Endpoint(model), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if p.cfg.APIKey != "" {
		hreq.Header.Set("x-goog-api-key", p.cfg.APIKey.Reveal())
	}
	// What the server sends back may echo the key (in an error, the
	// content): Fetch scrubs it from all of it before anything reads it.
	data, err := httpapi.Fetch(p.cfg.HTTPClient, hreq, p.cfg.Headers, p.scrub, p.cfg.MaxResponseBytes,
		func(status int, h http.Header, data []byte) *reask.ProviderError {
			return ParseError(p.name, status, h, data, p.cfg.Clock.Now(), p.cfg.APIKey)
		})
	if err != nil {
		var pe *reask.ProviderError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	resp, err := decodeResponse(data)
	if err != nil {
		var blocked *blockedError
		if errors.As(err, &blocked) {
			return nil, blocked.providerError(p.name, http.StatusOK)
		}
		return nil, fmt.Errorf("%s: an answer with an unreadable body: %w", p.name, err)
	}
	if resp.Model == "" {
		resp.Model = model
	}
	return resp, nil
}

// blockedError is an answer without candidates because the prompt itself
// was blocked (promptFeedback.blockReason).
type blockedError struct {
	reason string
}

func (e *blockedError) Error() string { return "the prompt was blocked (blockReason " + e.reason + ")" }

// providerError is the blocked prompt as reask sees it: a request that
// cannot succeed as sent (KindBadRequest). Sending it again, or re-asking
// with the same prompt and more text, would be blocked again.
func (e *blockedError) providerError(name string, status int) *reask.ProviderError {
	return &reask.ProviderError{Provider: name, StatusCode: status, Type: "PROMPT_BLOCKED", Code: e.reason,
		Message: "Gemini blocked the prompt (promptFeedback.blockReason " + e.reason + "); change the input or the safetySettings",
		Kind:    reask.KindBadRequest}
}

// retryDelay reads a google.protobuf.Duration as JSON writes it ("39s",
// "1.5s", "0.339209s").
func retryDelay(s string) (time.Duration, bool) {
	if !strings.HasSuffix(s, "s") {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

// errorBody is the API's error answer: a google.rpc.Status as JSON.
type errorBody struct {
	Error *struct {
		Code    int           `json:"code"`
		Message string        `json:"message"`
		Status  string        `json:"status"`
		Details []errorDetail `json:"details"`
	} `json:"error"`
}

// errorDetail is one of a google.rpc.Status's details: the members of
// RetryInfo, QuotaFailure and ErrorInfo that reask reads.
type errorDetail struct {
	Type       string `json:"@type"`
	RetryDelay string `json:"retryDelay"` // google.rpc.RetryInfo
	Violations []struct {
		QuotaMetric string `json:"quotaMetric"`
		QuotaID     string `json:"quotaId"`
		QuotaValue  string `json:"quotaValue"`
	} `json:"violations"` // google.rpc.QuotaFailure
	Reason string `json:"reason"` // google.rpc.ErrorInfo
}

// Detail types the classification reads.
const (
	typeRetryInfo    = "type.googleapis.com/google.rpc.RetryInfo"
	typeQuotaFailure = "type.googleapis.com/google.rpc.QuotaFailure"
	typeErrorInfo    = "type.googleapis.com/google.rpc.ErrorInfo"
)

// ParseError reads an error answer of the Gemini API — the body
// {"error": {"code", "message", "status", "details"}}, a list holding one,
// or any other body as a shortened message — into a *reask.ProviderError
// for provider name: Type is the status name ("RESOURCE_EXHAUSTED"), Code
// the reason that decides its kind (a QuotaFailure's daily or zero-limit
// quota id, else an ErrorInfo reason such as "API_KEY_INVALID", else the
// first quota id), classified (see Classify), with the key redacted and
// the wait the API asked for — Retry-After, else a rate limit's
// RetryInfo.retryDelay — filled in.
func ParseError(name string, status int, h http.Header, data []byte, now time.Time, key reask.Secret) *reask.ProviderError {
	pe := &reask.ProviderError{Provider: name, StatusCode: status}
	var body errorBody
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []errorBody
		if json.Unmarshal(trimmed, &list) == nil && len(list) > 0 {
			body = list[0]
		}
	} else {
		_ = json.Unmarshal(trimmed, &body)
	}
	var delay time.Duration
	var hasDelay bool
	if e := body.Error; e != nil {
		pe.Type, pe.Message = e.Status, e.Message
		var quota, firstQuota, reason string
		for _, d := range e.Details {
			switch d.Type {
			case typeRetryInfo:
				delay, hasDelay = retryDelay(d.RetryDelay)
			case typeErrorInfo:
				if reason == "" {
					reason = d.Reason
				}
			case typeQuotaFailure:
				for _, v := range d.Violations {
					if firstQuota == "" {
						firstQuota = v.QuotaID
					}
					if quota == "" && spentQuota(v.QuotaID, v.QuotaValue) {
						quota = v.QuotaID
					}
				}
			}
		}
		pe.Code = firstNonEmpty(quota, reason, firstQuota)
	} else {
		pe.Message = httpapi.Excerpt(data)
	}
	pe.Kind = Classify(pe)
	pe = httpapi.Complete(pe, h, now, key)
	if pe.RetryAfter == 0 && hasDelay && pe.Kind == reask.KindRateLimit {
		pe.RetryAfter = delay
	}
	return pe
}

var _ httpapi.ErrorParser = ParseError

// spentQuota reports whether a QuotaFailure violation is of a quota no
// short wait refills: a daily one (quota ids "…PerDay…"), or one whose
// limit is 0 (the tier has none of it: only billing adds some).
func spentQuota(id, value string) bool {
	return strings.Contains(id, "PerDay") || value == "0"
}

// Classify says what an error answer of the Gemini API means to reask,
// from its status name (Type), its deciding reason or quota id (Code, see
// ParseError), its HTTP status and its message, as Google's API
// troubleshooting and rate-limit pages document them
// (ai.google.dev/gemini-api/docs/troubleshooting, …/rate-limits):
//
//   - RESOURCE_EXHAUSTED (429) whose QuotaFailure names a daily quota
//     ("GenerateRequestsPerDayPerProjectPerModel-FreeTier") or a quota
//     whose limit is 0 ("limit: 0" in the message): KindQuota; waiting
//     minutes does not help, only the next day or billing.
//   - RESOURCE_EXHAUSTED otherwise (a per-minute quota, or no details):
//     KindRateLimit, retried after RetryInfo.retryDelay when it says.
//   - an ErrorInfo reason API_KEY_INVALID (400 INVALID_ARGUMENT "API key
//     not valid. Please pass a valid API key.") or any other API_KEY_…
//     reason: KindAuth, though the status is 400.
//   - FAILED_PRECONDITION about billing (400 "Gemini API free tier is not
//     available in your country. Please enable billing …"): KindQuota.
//   - INVALID_ARGUMENT saying the input is over the model's limit (400
//     "The input token count (N) exceeds the maximum number of tokens
//     allowed (M)."): KindContextLength.
//   - UNAVAILABLE (503 "The model is overloaded."), INTERNAL (500) and
//     DEADLINE_EXCEEDED (504): KindServer.
//   - anything else by its status (reask.StatusKind): 400
//     INVALID_ARGUMENT a bad request, 401 UNAUTHENTICATED and 403
//     PERMISSION_DENIED auth, 404 NOT_FOUND a bad request.
func Classify(pe *reask.ProviderError) reask.Kind {
	msg := strings.ToLower(pe.Message)
	status := strings.ToUpper(pe.Type)
	switch {
	case strings.HasPrefix(pe.Code, "API_KEY_"):
		return reask.KindAuth
	case status == "RESOURCE_EXHAUSTED" || pe.StatusCode == http.StatusTooManyRequests:
		if strings.Contains(pe.Code, "PerDay") || strings.Contains(msg, "limit: 0") {
			return reask.KindQuota
		}
		return reask.KindRateLimit
	case status == "FAILED_PRECONDITION" && strings.Contains(msg, "billing"):
		return reask.KindQuota
	case strings.Contains(msg, "input token count") && strings.Contains(msg, "exceeds the maximum"):
		return reask.KindContextLength
	case status == "UNAVAILABLE" || status == "INTERNAL" || status == "DEADLINE_EXCEEDED":
		return reask.KindServer
	}
	return reask.StatusKind(pe.StatusCode)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
