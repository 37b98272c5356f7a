package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/metrics"
	"github.com/reask/reask/price"
	"github.com/reask/reask/schema"
)

// Defaults for zero Config fields.
const (
	DefaultMaxBodyBytes     = 4 << 20
	DefaultUpstreamTimeout  = 2 * time.Minute
	DefaultRequestTimeout   = 10 * time.Minute
	DefaultMaxResponseBytes = 32 << 20
	DefaultSchemaCacheSize  = 256
	// DefaultSchemaCacheBytes bounds the memory of the compiled schemas
	// kept between requests (see schema.Schema.Footprint).
	DefaultSchemaCacheBytes = 64 << 20
	// DefaultAPIKeyEnv is the environment variable an upstream's API key is
	// read from when the configuration file names none.
	DefaultAPIKeyEnv = "REASK_UPSTREAM_API_KEY"
	// CatchAll is the Fallbacks key for models routed to the upstream that
	// lists no models.
	CatchAll = "*"
)

// ErrConfig is matched by every configuration error.
var ErrConfig = errors.New("invalid gateway configuration")

// ConfigError names the configuration field that is wrong, as the
// configuration file spells it ("upstreams[1].base_url").
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "gateway config: " + e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Config configures a Gateway. Upstreams is required; every other zero
// field has a documented default.
type Config struct {
	// Upstreams are the OpenAI-compatible APIs the gateway calls. A request
	// for model M goes to the first upstream that lists M; models no
	// upstream lists go to the upstream that lists none (the catch-all, at
	// most one), or get 404 model_not_found when there is none.
	Upstreams []Upstream
	// Fallbacks maps a model name (or CatchAll) to the targets tried, in
	// order, when the model's own upstream fails in transport or its
	// circuit is open. A target is "upstream/model", or "upstream" for a
	// catch-all upstream asked for the requested model.
	Fallbacks map[string][]string
	// DefaultModel is used for requests that name no model.
	DefaultModel string
	// ClientKeys are the keys clients must present ("Authorization: Bearer
	// KEY"). Empty: no authentication (only safe on loopback).
	ClientKeys []reask.Secret
	// OpenOps serves /metrics and /dashboard without a client key even when
	// ClientKeys is set. They show counts and names only.
	OpenOps bool
	// AllowedHosts are host names (or IP addresses), without port, that a
	// gateway with no ClientKeys answers besides the loopback ones
	// (localhost, 127.0.0.0/8, ::1) — for a reverse proxy on the same
	// machine that forwards its own Host. Any other Host gets 403
	// host_not_allowed, which stops DNS rebinding. With ClientKeys the Host
	// is not checked.
	AllowedHosts []string
	// AllowedOrigins are the browser origins ("https://app.example",
	// scheme://host[:port]) whose cross-origin POSTs the gateway accepts;
	// any other cross-origin browser POST gets 403 cross_origin_request,
	// with or without ClientKeys. The gateway sends no CORS headers: a
	// page whose origin is listed must be served through a proxy that
	// adds them, or be the gateway's own origin behind that proxy.
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body; larger ones get 413. Default
	// DefaultMaxBodyBytes (4 MiB).
	MaxBodyBytes int64
	// UpstreamTimeout bounds each upstream call: until the whole answer for
	// an ordinary request, until the response headers for a stream.
	// Default DefaultUpstreamTimeout.
	UpstreamTimeout time.Duration
	// RequestTimeout bounds a whole request: every attempt, retry and wait.
	// Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxResponseBytes bounds an upstream answer read into memory. Default
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxAttempts is reask's total number of content attempts per
	// schema-enforced request. Default reask.DefaultMaxAttempts.
	MaxAttempts int
	// Mode is how the schema is conveyed upstream. Default: as the client
	// sent it (json_schema for a response format, tools for a forced tool).
	// A json_object request carries no schema and goes as json_object; a
	// request held to its prompt's schema (PromptSchema) goes as it came.
	Mode reask.Mode
	// JSONObject is what the gateway does with a json_object request (a
	// response_format that asks for any JSON object, no schema). Default
	// JSONObjectRepair.
	JSONObject JSONObjectMode
	// PromptSchema is which requests without a schema of their own are
	// held to a JSON Schema written in their system or developer
	// messages (bare, fenced or after a label such as "JSON schema:"),
	// compiled within Schema's limits and cached like a request schema.
	// Default PromptSchemaAuto: json_object requests the gateway repairs
	// (not with JSONObjectPassthrough), and requests with no response
	// format whose prompt plainly asks for an object of that schema. A prompt schema that does
	// not compile, passes a limit or is one of several different ones is
	// not enforced: the X-Reask-Prompt-Schema-Error header says why.
	PromptSchema PromptSchemaMode
	// PromptSchemaScanBytes bounds how much of a request's system and
	// developer messages is searched for a schema, in order; a schema
	// beyond it is not found. Default DefaultPromptSchemaScanBytes (256
	// KiB).
	PromptSchemaScanBytes int
	// SchemaCacheSize bounds the compiled schemas kept between requests.
	// Default DefaultSchemaCacheSize.
	SchemaCacheSize int
	// SchemaCacheBytes bounds their memory, as schema.Schema.Footprint
	// estimates it. Default DefaultSchemaCacheBytes (64 MiB). A schema
	// enters the cache only once a request with it has succeeded.
	SchemaCacheBytes int64
	// MaxConcurrentCompiles bounds the client schemas compiled at once
	// (cached ones need no compilation): within the schema limits one
	// takes up to a core for a fraction of a second, so this bounds the
	// share of the machine clients sending new schemas can take. A request
	// whose schema waits for a slot until its timeout gets 503
	// server_busy. Default half the CPUs, at least 1.
	MaxConcurrentCompiles int
	// Schema is how clients' schemas are compiled: the limits a schema
	// must stay within (a schema beyond one gets 400 invalid_json_schema
	// naming the limit) and how formats are asserted. Zero fields are
	// schema's defaults.
	Schema schema.Config
	// Logger receives one line per request. Default: discard.
	Logger *slog.Logger
	// Metrics receives every event; nil makes a collector of its own (see
	// Gateway.Metrics).
	Metrics *metrics.Collector
	// Observer, if set, sees every event of every route's client after the
	// metrics do, in the context of the request it serves (tracing:
	// package otelreask). Default: none.
	Observer func(context.Context, reask.Event)
	// HTTPClient calls the upstreams. Default: a client with a pooled
	// transport sized for a busy gateway and no overall timeout. Upstream
	// redirects are not followed (a 3xx answers 502 upstream_redirect)
	// unless this client sets its own CheckRedirect; the gateway uses a
	// copy of the client with that policy and never changes it.
	HTTPClient *http.Client
	// Clock reads time for reask's policies and the dashboard. Default:
	// the system clock.
	Clock clock.Clock
	// Reask is the reask configuration every route's client starts from:
	// backoff, retries, retry budget, breaker and rate-limit settings, ...
	// Its Fallbacks, Mode, Schema, MaxAttempts, CallTimeout, Clock, Logger
	// and Observer are the gateway's own (Config.Fallbacks, Mode, Schema,
	// MaxAttempts, UpstreamTimeout, Clock, Logger and Metrics), and its
	// Instructions and SchemaInPrompt shape a prompt the gateway never
	// builds (it sends its clients' messages): they must be left zero.
	Reask reask.Config
	// Redis, when its URL is set, puts the gateway in fleet mode: every
	// route's circuit breaker, rate limiter (with the Retry-After hold)
	// and retry budget are kept in that Redis, shared with every gateway
	// replica and batch process that names it and the same upstream
	// account (base URL, model, API key), so that N replicas pace to one
	// limit, open one breaker and spend one budget. New connects and
	// checks it (reachable, the credentials, Redis 6 or later); Close
	// disconnects. While Redis cannot be used, calls fall back to the
	// gateway's own policies (FailMode fleet.FailOpen, the default) or are
	// refused (fleet.FailClosed). Zero fields take package fleet's
	// defaults (Timeout 50 ms); Logger and Clock default to the
	// gateway's. Reask.Shared must be left nil.
	Redis fleet.Config
	// Cache turns the response cache on (off by default, see CacheConfig):
	// a schema-enforced request whose model, messages, schema and mode
	// were answered and validated before is answered from it with no
	// upstream call ($0, X-Reask-Cache: hit); a request with the header
	// "x-reask-cache: off" neither reads nor writes it. In fleet mode it
	// is in Redis, shared by every replica; else in the file Cache.Dir.
	// Reask.Cache, when set, is used instead.
	Cache CacheConfig

	// ClientKeyNames name ClientKeys, by index, on the dashboard and in
	// the metrics' client label; a key without a name (or with an empty
	// one) is labelled "key-" and the first 8 hex digits of its SHA-256.
	// Names are at most 64 letters, digits, '.', '_' or '-'.
	ClientKeyNames []string
	// LogBurst is how many log lines of one kind (level, message, outcome,
	// kind, status, provider, upstream), WARN and above, pass per
	// LogInterval; the rest are counted and told in one summary line per
	// kind ("... (1,312 more like this in the last 10s)"). Default
	// DefaultLogBurst; -1 logs every line.
	LogBurst int
	// LogInterval is the span LogBurst counts over. Default
	// DefaultLogInterval.
	LogInterval time.Duration
	// RecentFailures is how many failed requests the dashboard lists, the
	// latest first, with their problems. Default DefaultRecentFailures,
	// at most MaxRecentFailures; -1 lists none.
	RecentFailures int
	// DashboardContent shows content in the dashboard's failure list: the
	// values the model gave (a problem's "got"), its last answer and the
	// error message the client got. Default off: problems are listed by
	// path, problem and expected only. Keys are scrubbed either way.
	DashboardContent bool
	// ReadyProbeTimeout bounds the probe (GET /models) /readyz sends to an
	// upstream whose last call could not connect. Default
	// DefaultReadyProbeTimeout; -1 sends no probe (the upstream stays
	// unready until a request reaches it).
	ReadyProbeTimeout time.Duration
	// ReadyProbeInterval is the least time between two probes of one
	// upstream; /readyz answers from the last probe in between. Default
	// DefaultReadyProbeInterval.
	ReadyProbeInterval time.Duration

	// Prices are per-model prices that replace or add to Reask.Prices
	// (default price.Default(), the table shipped with reask): the
	// configuration file's "prices". Every call is priced with the result
	// (x-reask-cost-usd, the cost metrics, the dashboard, Reask.MaxCost —
	// the file's "max_cost" — and ClientDailyCost); a model without a
	// price is "unpriced", never $0.
	Prices map[string]price.Price
	// ClientDailyCost maps a client key's label (its ClientKeyNames name,
	// or "key-" and 8 hex digits of its SHA-256) to the most its requests
	// may cost per day, in US dollars, days starting at midnight UTC on
	// Clock. A key that has spent it gets 429 insufficient_quota, with
	// Retry-After until midnight, for the rest of the day; a request of
	// such a key for a model without a price gets 400 model_unpriced. The
	// limit is checked before each request, so requests in flight when it
	// is reached finish and can take the day's spend past it. Outside
	// fleet mode the spend is counted in this process and starts from $0
	// when the gateway starts. In fleet mode (Redis) it is the fleet's: one
	// Redis counter per key and UTC day ("reask:spend:", a hash of the key,
	// never the key, and the date; expiring an hour after the day), read
	// before each request and increased after each; while Redis cannot be
	// used each replica falls back to its own count (fail-open, counted in
	// reask_shared_state_errors_total and logged once per change) and adds
	// what it spent meanwhile once Redis answers. Default: no limit.
	ClientDailyCost map[string]float64

	// Presets bind JSON Schemas to model aliases (see Preset): a request
	// for a preset's name goes upstream as a request for its model and is
	// held to its schema (X-Reask-Schema: preset), for clients that
	// cannot send one. GET /v1/models lists their names.
	Presets []Preset
}

// Defaults and bounds of the dashboard, log and readiness fields.
const (
	DefaultLogBurst           = 10
	DefaultLogInterval        = 10 * time.Second
	DefaultRecentFailures     = 20
	MaxRecentFailures         = 1000
	DefaultReadyProbeTimeout  = time.Second
	DefaultReadyProbeInterval = 5 * time.Second
)

// JSONObjectMode says what the gateway does with json_object requests.
type JSONObjectMode string

const (
	// JSONObjectRepair guarantees one JSON object: the answer is repaired
	// locally (fences, prose, trailing commas, quotes, Python literals,
	// comments) and re-asked with feedback when it is not one JSON
	// object, and the gateway adds an instruction of its own when no
	// message says "json" (OpenAI refuses json_object without it). A
	// request with n > 1 or with tools is passed through. The default.
	JSONObjectRepair JSONObjectMode = "repair"
	// JSONObjectPassthrough forwards json_object requests as they are,
	// like requests without a schema.
	JSONObjectPassthrough JSONObjectMode = "passthrough"
)

// Upstream is one OpenAI-compatible API.
type Upstream struct {
	// Name identifies the upstream in fallbacks, metrics and the dashboard.
	Name string
	// BaseURL is the API's base, up to and including the version: "…/v1".
	BaseURL string
	// APIKey is sent upstream as "Authorization: Bearer …"; empty sends
	// none. It never reaches a client.
	APIKey reask.Secret
	// Models this upstream serves; empty makes it the catch-all.
	Models []string
	// Headers are added to every upstream request.
	Headers map[string]string
	// API is the API the upstream speaks besides Chat Completions, which
	// every OpenAI-compatible server (vLLM, Ollama, llama.cpp) speaks:
	// APIResponses sends Responses API requests (POST /v1/responses) to
	// its /responses as they are; APIChat, the default, translates them
	// into chat completions. Chat completions always go to
	// /chat/completions. APIGemini makes the upstream Google's Gemini API:
	// BaseURL is its root with the version ("…/v1beta"), APIKey goes in
	// x-goog-api-key, and every request is sent to generateContent and
	// answered back as a chat completion (see APIGemini).
	API UpstreamAPI
}

// UpstreamAPI names the API an upstream serves Responses requests with.
type UpstreamAPI string

// The upstream APIs.
const (
	// APIChat translates Responses requests into chat completions (and
	// the answers back): for servers that speak only Chat Completions.
	APIChat UpstreamAPI = "chat"
	// APIResponses forwards Responses requests to the upstream's own
	// /responses: for OpenAI and servers that speak the Responses API.
	APIResponses UpstreamAPI = "responses"
	// APIGemini translates chat completions (and Responses requests) into
	// Gemini's generateContent and its answers back: the schema as
	// responseJsonSchema, a forced tool as a function call, the client's
	// temperature and max_tokens; other sampling parameters are not sent.
	// Without a schema the gateway enforces, a request with tools or a
	// stream is refused (400). Its errors are read as the Gemini API's
	// (RetryInfo, QuotaFailure; see package provider/gemini).
	APIGemini UpstreamAPI = "gemini"
)

// withDefaults returns c with its zero fields set.
func (c Config) withDefaults() Config {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.UpstreamTimeout == 0 {
		c.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = reask.DefaultMaxAttempts
	}
	if c.PromptSchema == "" {
		c.PromptSchema = PromptSchemaAuto
	}
	if c.PromptSchemaScanBytes == 0 {
		c.PromptSchemaScanBytes = DefaultPromptSchemaScanBytes
	}
	if c.SchemaCacheSize == 0 {
		c.SchemaCacheSize = DefaultSchemaCacheSize
	}
	if c.SchemaCacheBytes == 0 {
		c.SchemaCacheBytes = DefaultSchemaCacheBytes
	}
	if c.MaxConcurrentCompiles == 0 {
		c.MaxConcurrentCompiles = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.LogBurst == 0 {
		c.LogBurst = DefaultLogBurst
	}
	if c.LogInterval == 0 {
		c.LogInterval = DefaultLogInterval
	}
	if c.RecentFailures == 0 {
		c.RecentFailures = DefaultRecentFailures
	}
	if c.ReadyProbeTimeout == 0 {
		c.ReadyProbeTimeout = DefaultReadyProbeTimeout
	}
	if c.ReadyProbeInterval == 0 {
		c.ReadyProbeInterval = DefaultReadyProbeInterval
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	return c
}

// Validate reports the first problem of c, naming the field as the
// configuration file spells it.
func (c Config) Validate() error {
	if len(c.Upstreams) == 0 {
		return configErr("upstreams", "at least one upstream is required")
	}
	if err := c.validateReask(); err != nil {
		return err
	}
	names := map[string]bool{}
	served := map[string]string{} // model → upstream
	catchAll := ""
	for i, u := range c.Upstreams {
		f := fmt.Sprintf("upstreams[%d]", i)
		switch {
		case u.Name == "":
			return configErr(f+".name", "required")
		case strings.ContainsAny(u.Name, "/ \t\n"):
			return configErr(f+".name", "%q: no slashes or spaces (fallbacks write upstream/model)", u.Name)
		case names[u.Name]:
			return configErr(f+".name", "%q is used twice", u.Name)
		}
		names[u.Name] = true
		if err := checkBaseURL(u.BaseURL); err != nil {
			return configErr(f+".base_url", "%v", err)
		}
		if u.API != "" && u.API != APIChat && u.API != APIResponses && u.API != APIGemini {
			return configErr(f+".api", "%q: want chat (the default), responses or gemini", u.API)
		}
		for k := range u.Headers {
			switch http.CanonicalHeaderKey(k) {
			case "Authorization", "Content-Type", "Content-Length", "Host":
				return configErr(f+".headers", "%q is set by the gateway", k)
			}
		}
		if len(u.Models) == 0 {
			if catchAll != "" {
				return configErr(f+".models", "upstreams %q and %q both list no models; only one upstream may take every model", catchAll, u.Name)
			}
			catchAll = u.Name
		}
		seen := map[string]bool{}
		for j, m := range u.Models {
			mf := fmt.Sprintf("%s.models[%d]", f, j)
			switch {
			case strings.TrimSpace(m) == "" || m != strings.TrimSpace(m):
				return configErr(mf, "%q is not a model name", m)
			case m == CatchAll:
				return configErr(mf, "%q is reserved for fallbacks; list no models to take every model", m)
			case seen[m]:
				return configErr(mf, "%q is listed twice", m)
			}
			seen[m] = true
			if _, ok := served[m]; !ok {
				served[m] = u.Name
			}
		}
	}
	for model, targets := range c.Fallbacks {
		f := fmt.Sprintf("fallbacks[%q]", model)
		if model == CatchAll {
			if catchAll == "" {
				return configErr(f, "no upstream takes every model (one with no models)")
			}
		} else if _, ok := served[model]; !ok && catchAll == "" {
			return configErr(f, "no upstream serves model %q", model)
		}
		if len(targets) == 0 {
			return configErr(f, "empty: list targets as \"upstream/model\"")
		}
		for j, t := range targets {
			if _, err := c.parseTarget(t); err != nil {
				return configErr(fmt.Sprintf("%s[%d]", f, j), "%v", err)
			}
		}
	}
	if _, err := c.compilePresets(served, catchAll != ""); err != nil {
		return err
	}
	if c.DefaultModel != "" {
		if _, ok := served[c.DefaultModel]; !ok && catchAll == "" {
			return configErr("default_model", "no upstream serves %q", c.DefaultModel)
		}
	}
	for i, k := range c.ClientKeys {
		if strings.TrimSpace(k.Reveal()) == "" || strings.ContainsAny(k.Reveal(), " \t\r\n") {
			return configErr(fmt.Sprintf("client_keys[%d]", i), "empty or contains white space")
		}
	}
	for i, h := range c.AllowedHosts {
		if err := checkAllowedHost(h); err != nil {
			return configErr(fmt.Sprintf("allowed_hosts[%d]", i), "%v", err)
		}
	}
	for i, o := range c.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return configErr(fmt.Sprintf("allowed_origins[%d]", i), "%v", err)
		}
	}
	switch {
	case c.MaxBodyBytes < 0:
		return configErr("max_body_bytes", "%d: want 0 (default %d) or more", c.MaxBodyBytes, DefaultMaxBodyBytes)
	case c.UpstreamTimeout < 0:
		return configErr("upstream_timeout", "%s: want 0 (default %s) or more", c.UpstreamTimeout, DefaultUpstreamTimeout)
	case c.RequestTimeout < 0:
		return configErr("request_timeout", "%s: want 0 (default %s) or more", c.RequestTimeout, DefaultRequestTimeout)
	case c.MaxResponseBytes < 0:
		return configErr("max_response_bytes", "%d: want 0 (default) or more", c.MaxResponseBytes)
	case c.MaxAttempts < 0:
		return configErr("max_attempts", "%d: want 0 (default %d) or more", c.MaxAttempts, reask.DefaultMaxAttempts)
	case c.Mode != "" && !c.Mode.Valid():
		return configErr("mode", "%q: want json_schema, json_object, tools or text", c.Mode)
	case c.JSONObject != "" && c.JSONObject != JSONObjectRepair && c.JSONObject != JSONObjectPassthrough:
		return configErr("json_object", "%q: want repair or passthrough", c.JSONObject)
	case c.PromptSchema != "" && c.PromptSchema != PromptSchemaAuto && c.PromptSchema != PromptSchemaJSONObject && c.PromptSchema != PromptSchemaAlways && c.PromptSchema != PromptSchemaOff:
		return configErr("prompt_schema", "%q: want auto, json_object, always or off", c.PromptSchema)
	case c.PromptSchemaScanBytes < 0:
		return configErr("prompt_schema_scan_bytes", "%d: want 0 (default %d) or more", c.PromptSchemaScanBytes, DefaultPromptSchemaScanBytes)
	case c.SchemaCacheSize < 0:
		return configErr("schema_cache_size", "%d: want 0 (default) or more", c.SchemaCacheSize)
	case c.MaxConcurrentCompiles < 0:
		return configErr("max_concurrent_compiles", "%d: want 0 (default: half the CPUs) or more", c.MaxConcurrentCompiles)
	case c.SchemaCacheBytes < 0:
		return configErr("schema_cache_bytes", "%d: want 0 (default %d) or more", c.SchemaCacheBytes, DefaultSchemaCacheBytes)
	case !knownFormatLevel(c.Schema.Formats):
		return configErr("schema.formats", "%v: want lenient, strict or annotate", c.Schema.Formats)
	}
	if err := c.validateRedis(); err != nil {
		return err
	}
	if err := c.validateCost(); err != nil {
		return err
	}
	return c.validateOps()
}

// validateCost checks the prices, the per-request budget and the daily
// spend limits.
func (c Config) validateCost() error {
	if _, err := c.priceTable(); err != nil {
		return err
	}
	if m := c.Reask.MaxCost; m < 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		return configErr("max_cost", "%v: want US dollars per request, 0 for no limit", m)
	}
	if len(c.ClientDailyCost) == 0 {
		return nil
	}
	if len(c.ClientKeys) == 0 {
		return configErr("client_keys", "a daily spend limit is set, but no client keys: every request would be anonymous")
	}
	labels := map[string]bool{}
	for _, l := range newClientLabels(c.ClientKeys, c.ClientKeyNames) {
		labels[l] = true
	}
	for _, l := range slices.Sorted(maps.Keys(c.ClientDailyCost)) {
		v := c.ClientDailyCost[l]
		switch {
		case !labels[l]:
			return configErr(fmt.Sprintf("client_keys[%q].max_daily_cost", l), "no client key is labelled %q", l)
		case v <= 0 || math.IsNaN(v) || math.IsInf(v, 0):
			return configErr(fmt.Sprintf("client_keys[%q].max_daily_cost", l), "%v: want a positive number of US dollars", v)
		}
	}
	return nil
}

// priceTable is the table calls are priced with: Reask.Prices (default
// the built-in one) with Prices over it.
func (c Config) priceTable() (*price.Table, error) {
	base := c.Reask.Prices
	if base == nil {
		base = price.Default()
	}
	if len(c.Prices) == 0 {
		return base, nil
	}
	t, err := base.With(c.Prices)
	if err != nil {
		var pe *price.Error
		if errors.As(err, &pe) {
			return nil, configErr("prices"+strings.TrimPrefix(pe.Field, "models"), "%s", pe.Msg)
		}
		return nil, configErr("prices", "%v", err)
	}
	return t, nil
}

// validateRedis checks the fleet-mode fields without connecting.
func (c Config) validateRedis() error {
	r := c.Redis
	if r.URL == "" {
		if r.Timeout != 0 || r.FailMode != fleet.FailOpen {
			return configErr("redis", "redis_fail or redis_timeout is set without a Redis URL")
		}
		return nil
	}
	if _, err := fleet.ParseURL(r.URL); err != nil {
		return configErr("redis", "%v", err)
	}
	if r.Timeout < 0 || r.Timeout > fleet.MaxTimeout {
		return configErr("redis_timeout", "%s: want 0 (default %s) up to %s", r.Timeout, fleet.DefaultTimeout, fleet.MaxTimeout)
	}
	if r.FailMode != fleet.FailOpen && r.FailMode != fleet.FailClosed {
		return configErr("redis_fail", "%v: want open or closed", r.FailMode)
	}
	return nil
}

// validateOps checks the client key names and the dashboard, log and
// readiness fields.
// validateReask refuses the reask settings the gateway sets itself, which
// it would otherwise overwrite without a word.
func (c Config) validateReask() error {
	r := c.Reask
	for _, f := range []struct {
		name, use string
		set       bool
	}{
		{"Fallbacks", "fallbacks", len(r.Fallbacks) > 0},
		{"Mode", "Mode", r.Mode != ""},
		{"Schema", "Schema", r.Schema != (schema.Config{})},
		// The gateway sends its clients' messages: no prompt of reask's.
		{"Instructions", "the clients' messages", r.Instructions != ""},
		{"SchemaInPrompt", "Mode json_object", r.SchemaInPrompt},
		{"MaxAttempts", "MaxAttempts", r.MaxAttempts != 0},
		{"CallTimeout", "UpstreamTimeout", r.CallTimeout != 0},
		{"Clock", "Clock", r.Clock != nil},
		{"Logger", "Logger", r.Logger != nil},
		{"Observer", "Metrics", r.Observer != nil},
		{"Shared", "Redis", r.Shared != nil},
	} {
		if f.set {
			return configErr("Reask."+f.name, "set by the gateway: use %s", f.use)
		}
	}
	return nil
}

func (c Config) validateOps() error {
	if len(c.ClientKeyNames) > len(c.ClientKeys) {
		return configErr("client_keys", "%d names for %d keys", len(c.ClientKeyNames), len(c.ClientKeys))
	}
	seen := map[string]bool{}
	for i, n := range c.ClientKeyNames {
		if n == "" {
			continue
		}
		if err := checkClientName(n); err != nil {
			return configErr(fmt.Sprintf("client_keys[%d].name", i), "%v", err)
		}
		if seen[n] {
			return configErr(fmt.Sprintf("client_keys[%d].name", i), "%q is used twice", n)
		}
		seen[n] = true
	}
	switch {
	case c.LogBurst < -1:
		return configErr("log_burst", "%d: want -1 (log every line), 0 (default %d) or more", c.LogBurst, DefaultLogBurst)
	case c.LogInterval < 0:
		return configErr("log_interval", "%s: want 0 (default %s) or more", c.LogInterval, DefaultLogInterval)
	case c.RecentFailures < -1 || c.RecentFailures > MaxRecentFailures:
		return configErr("recent_failures", "%d: want -1 (none), 0 (default %d) or up to %d", c.RecentFailures, DefaultRecentFailures, MaxRecentFailures)
	case c.ReadyProbeTimeout < 0 && c.ReadyProbeTimeout != -1:
		return configErr("ready_probe_timeout", "%s: want -1 (no probe), 0 (default %s) or more", c.ReadyProbeTimeout, DefaultReadyProbeTimeout)
	case c.ReadyProbeInterval < 0:
		return configErr("ready_probe_interval", "%s: want 0 (default %s) or more", c.ReadyProbeInterval, DefaultReadyProbeInterval)
	}
	return nil
}

// knownFormatLevel reports whether l is one of schema's levels.
func knownFormatLevel(l schema.FormatLevel) bool {
	_, err := l.MarshalText()
	return err == nil
}

// targetRef is a parsed fallback target.
type targetRef struct {
	upstream int    // index in Config.Upstreams
	model    string // "" for "the requested model" on a catch-all
}

// parseTarget reads "upstream/model" or "upstream" (catch-all only).
func (c Config) parseTarget(s string) (targetRef, error) {
	name, model, hasModel := strings.Cut(s, "/")
	for i, u := range c.Upstreams {
		if u.Name != name {
			continue
		}
		if !hasModel {
			if len(u.Models) > 0 {
				return targetRef{}, fmt.Errorf("%q: upstream %q lists its models; write %q", s, name, name+"/MODEL")
			}
			return targetRef{upstream: i}, nil
		}
		if model == "" {
			return targetRef{}, fmt.Errorf("%q: empty model", s)
		}
		if len(u.Models) > 0 && !contains(u.Models, model) {
			return targetRef{}, fmt.Errorf("%q: upstream %q does not list model %q", s, name, model)
		}
		return targetRef{upstream: i, model: model}, nil
	}
	if !hasModel {
		// A bare model name: say how a target is written, with the
		// upstreams that serve that model.
		var serving []string
		for _, u := range c.Upstreams {
			if contains(u.Models, s) {
				serving = append(serving, fmt.Sprintf("%q", u.Name+"/"+s))
			}
		}
		hint := ""
		if len(serving) > 0 {
			hint = ", such as " + strings.Join(serving, " or ")
		}
		return targetRef{}, fmt.Errorf("%q: no upstream is called %q; a fallback target is \"upstream/model\"%s (or, alone, the name of the upstream that lists no models)", s, name, hint)
	}
	return targetRef{}, fmt.Errorf("%q: no upstream is called %q", s, name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func checkBaseURL(s string) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: want an http or https URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if u.User != nil {
		return fmt.Errorf("the URL holds credentials; put the key in the environment (api_key_env)")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: no query or fragment", s)
	}
	return nil
}

// File is the JSON configuration file, read by LoadConfig:
//
//	{
//	  "upstreams": [
//	    {"name": "openai", "base_url": "https://api.openai.com/v1",
//	     "api_key_env": "OPENAI_API_KEY", "models": ["gpt-4o-mini", "gpt-4o"]},
//	    {"name": "local", "base_url": "http://127.0.0.1:11434/v1", "api": "chat"}
//	  ],
//	  "fallbacks": {"gpt-4o": ["openai/gpt-4o-mini", "local/llama3.1"]},
//	  "default_model": "gpt-4o-mini",
//	  "max_body_bytes": 4194304,
//	  "upstream_timeout": "2m",
//	  "request_timeout": "10m",
//	  "max_attempts": 3,
//	  "mode": "json_schema",
//	  "json_object": "repair",
//	  "prompt_schema": "json_object",
//	  "allowed_hosts": ["gateway.internal"],
//	  "allowed_origins": ["https://app.example"],
//	  "redis": "redis://redis.internal:6379/0", "redis_fail": "open", "redis_timeout": "50ms",
//	  "client_keys": [{"name": "team-a", "key_env": "TEAM_A_KEY", "max_daily_cost": 25}],
//	  "prices": {"llama3.1": {"input": 0, "output": 0}, "gpt-4o": {"input": 2.5, "cached_input": 1.25, "output": 10}},
//	  "max_cost": 0.05
//	}
//
// API keys never appear in the file: each upstream names the environment
// variable holding its key (api_key_env, default REASK_UPSTREAM_API_KEY; an
// unset variable sends no key). Client keys come from the command line or
// the environment. Unknown fields are errors.
type File struct {
	Upstreams             []FileUpstream      `json:"upstreams"`
	Fallbacks             map[string][]string `json:"fallbacks,omitempty"`
	DefaultModel          string              `json:"default_model,omitempty"`
	OpenOps               bool                `json:"open_ops,omitempty"`
	AllowedHosts          []string            `json:"allowed_hosts,omitempty"`
	AllowedOrigins        []string            `json:"allowed_origins,omitempty"`
	MaxBodyBytes          int64               `json:"max_body_bytes,omitempty"`
	UpstreamTimeout       string              `json:"upstream_timeout,omitempty"`
	RequestTimeout        string              `json:"request_timeout,omitempty"`
	MaxResponseBytes      int64               `json:"max_response_bytes,omitempty"`
	MaxAttempts           int                 `json:"max_attempts,omitempty"`
	Mode                  string              `json:"mode,omitempty"`
	JSONObject            string              `json:"json_object,omitempty"`
	PromptSchema          string              `json:"prompt_schema,omitempty"`
	PromptSchemaScanBytes int                 `json:"prompt_schema_scan_bytes,omitempty"`
	SchemaCacheSize       int                 `json:"schema_cache_size,omitempty"`
	SchemaCacheBytes      int64               `json:"schema_cache_bytes,omitempty"`
	MaxConcurrentCompiles int                 `json:"max_concurrent_compiles,omitempty"`
	// Schema holds the limits and format level of clients' schemas:
	// {"max_bytes": 1048576, "max_depth": 32, "max_subschemas": 5000,
	// "formats": "lenient"} (see schema.Config; -1 turns a limit off).
	Schema schema.Config `json:"schema,omitzero"`
	// ClientKeys are named client keys, each read from an environment
	// variable: [{"name": "team-a", "key_env": "TEAM_A_KEY"}]. Keys given
	// on the command line or in REASK_CLIENT_KEYS are added, unnamed.
	ClientKeys []FileClientKey `json:"client_keys,omitempty"`
	// The dashboard, log and readiness fields of Config; durations as
	// "10s", and "off" for a ready_probe_timeout of -1.
	LogBurst           int    `json:"log_burst,omitempty"`
	LogInterval        string `json:"log_interval,omitempty"`
	RecentFailures     int    `json:"recent_failures,omitempty"`
	DashboardContent   bool   `json:"dashboard_content,omitempty"`
	ReadyProbeTimeout  string `json:"ready_probe_timeout,omitempty"`
	ReadyProbeInterval string `json:"ready_probe_interval,omitempty"`
	// Redis puts the gateway in fleet mode (Config.Redis): a URL,
	// redis://[user:pass@]host:port/db or rediss://… for TLS (a password
	// is better given with --redis or REASK_REDIS_URL, which override
	// it); redis_fail is "open" (the default) or "closed", redis_timeout
	// a duration such as "50ms".
	Redis        string `json:"redis,omitempty"`
	RedisFail    string `json:"redis_fail,omitempty"`
	RedisTimeout string `json:"redis_timeout,omitempty"`
	// Cache turns the response cache on (Config.Cache); cache_dir holds
	// its file outside fleet mode, cache_ttl is a duration such as "24h".
	Cache    bool   `json:"cache,omitempty"`
	CacheDir string `json:"cache_dir,omitempty"`
	CacheTTL string `json:"cache_ttl,omitempty"`
	// Prices replace or add model prices (Config.Prices), each as a price
	// file's entry, in US dollars per million tokens: {"gpt-4o-mini":
	// {"input": 0.15, "cached_input": 0.075, "output": 0.6}} (see package
	// price). MaxCost bounds what one request may spend, in US dollars
	// (reask.Config.MaxCost; 0: no limit).
	Prices  map[string]json.RawMessage `json:"prices,omitempty"`
	MaxCost float64                    `json:"max_cost,omitempty"`
	// Presets bind a JSON Schema to a model alias (Config.Presets):
	// [{"name": "extract-person", "model": "gpt-4o-mini", "schema_file":
	// "person.schema.json"}], or "schema": {...} inline instead of
	// schema_file (exactly one; a relative schema_file is read from the
	// configuration file's directory, or the working directory for
	// ParseConfig). A request whose model is "extract-person" goes
	// upstream as one for gpt-4o-mini (its routing, fallbacks and
	// prices) and is held to the schema — repaired, validated, re-asked
	// with field-level feedback, 422 when every attempt fails, answer
	// header X-Reask-Schema: preset — when it sends json_object or no
	// response format (then the answer is the validated JSON), on
	// /v1/chat/completions and /v1/responses, streamed or not; a request
	// that sends its own json_schema or forced tool is held to that one.
	// A name must not be a model an upstream lists, the model must be
	// one an upstream serves, and the schema must compile within
	// "schema"'s limits: each is checked when the file is loaded.
	Presets []FilePreset `json:"presets,omitempty"`
}

// FileClientKey is a named client key in the configuration file: the key
// itself is read from the environment variable KeyEnv, which must be set.
type FileClientKey struct {
	Name   string `json:"name"`
	KeyEnv string `json:"key_env"`
	// MaxDailyCost is the most the key's requests may cost per UTC day,
	// in US dollars (Config.ClientDailyCost); 0: no limit.
	MaxDailyCost float64 `json:"max_daily_cost,omitempty"`
}

// FileUpstream is an upstream in the configuration file.
type FileUpstream struct {
	Name      string            `json:"name"`
	BaseURL   string            `json:"base_url"`
	APIKeyEnv string            `json:"api_key_env,omitempty"`
	Models    []string          `json:"models,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// API is "chat" (the default), "responses" or "gemini" (see Upstream.API).
	API string `json:"api,omitempty"`
}

// LoadConfig reads the configuration file at path; getenv reads the API
// keys' environment variables (os.Getenv when nil).
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c, err := parseConfig(data, getenv, filepath.Dir(path))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a configuration file's content (see File) and validates
// it; getenv reads the API keys' environment variables (os.Getenv when nil).
func ParseConfig(data []byte, getenv func(string) string) (Config, error) {
	return parseConfig(data, getenv, ".")
}

// parseConfig is ParseConfig with the presets' schema files read from
// dir.
func parseConfig(data []byte, getenv func(string) string, dir string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		if perr := presetsError(data); perr != nil {
			return Config{}, perr
		}
		return Config{}, fileError(err)
	}
	if dec.More() {
		return Config{}, configErr("(file)", "more than one JSON value")
	}
	c := Config{
		Fallbacks:             f.Fallbacks,
		DefaultModel:          f.DefaultModel,
		OpenOps:               f.OpenOps,
		AllowedHosts:          f.AllowedHosts,
		AllowedOrigins:        f.AllowedOrigins,
		MaxBodyBytes:          f.MaxBodyBytes,
		MaxResponseBytes:      f.MaxResponseBytes,
		MaxAttempts:           f.MaxAttempts,
		Mode:                  reask.Mode(f.Mode),
		JSONObject:            JSONObjectMode(f.JSONObject),
		PromptSchema:          PromptSchemaMode(f.PromptSchema),
		PromptSchemaScanBytes: f.PromptSchemaScanBytes,
		SchemaCacheSize:       f.SchemaCacheSize,
		SchemaCacheBytes:      f.SchemaCacheBytes,
		MaxConcurrentCompiles: f.MaxConcurrentCompiles,
		Schema:                f.Schema,
	}
	var err error
	if c.UpstreamTimeout, err = parseDuration("upstream_timeout", f.UpstreamTimeout); err != nil {
		return Config{}, err
	}
	if err := f.applyOps(&c, getenv); err != nil {
		return Config{}, err
	}
	if c.RequestTimeout, err = parseDuration("request_timeout", f.RequestTimeout); err != nil {
		return Config{}, err
	}
	if err := f.applyCost(&c); err != nil {
		return Config{}, err
	}
	if err := f.applyPresets(&c, dir); err != nil {
		return Config{}, err
	}
	c.Redis.URL = f.Redis
	if c.Redis.FailMode, err = fleet.ParseFailMode(f.RedisFail); err != nil {
		return Config{}, configErr("redis_fail", "%q: want open or closed", f.RedisFail)
	}
	if c.Redis.Timeout, err = parseDuration("redis_timeout", f.RedisTimeout); err != nil {
		return Config{}, err
	}
	c.Cache.On, c.Cache.Dir = f.Cache, f.CacheDir
	if c.Cache.TTL, err = parseDuration("cache_ttl", f.CacheTTL); err != nil {
		return Config{}, err
	}
	for i, u := range f.Upstreams {
		env := u.APIKeyEnv
		if env == "" {
			env = DefaultAPIKeyEnv
		} else if strings.ContainsAny(env, "= \t") {
			return Config{}, configErr(fmt.Sprintf("upstreams[%d].api_key_env", i), "%q is not an environment variable name", env)
		}
		c.Upstreams = append(c.Upstreams, Upstream{Name: u.Name, BaseURL: u.BaseURL,
			APIKey: reask.Secret(getenv(env)), Models: u.Models, Headers: u.Headers, API: UpstreamAPI(u.API)})
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// applyCost reads the file's prices and per-request budget.
func (f *File) applyCost(c *Config) error {
	c.Reask.MaxCost = f.MaxCost
	for _, m := range slices.Sorted(maps.Keys(f.Prices)) {
		p, err := price.ParseModel(f.Prices[m])
		if err != nil {
			field := fmt.Sprintf("prices[%q]", m)
			var pe *price.Error
			if errors.As(err, &pe) {
				if pe.Field != "" {
					field += "." + pe.Field
				}
				return configErr(field, "%s", pe.Msg)
			}
			return configErr(field, "%v", err)
		}
		if c.Prices == nil {
			c.Prices = map[string]price.Price{}
		}
		c.Prices[m] = p
	}
	return nil
}

// applyOps sets c's client keys and its dashboard, log and readiness
// fields from the file.
func (f *File) applyOps(c *Config, getenv func(string) string) error {
	for i, k := range f.ClientKeys {
		field := fmt.Sprintf("client_keys[%d]", i)
		switch {
		case k.Name == "":
			return configErr(field+".name", "required")
		case k.KeyEnv == "" || strings.ContainsAny(k.KeyEnv, "= \t"):
			return configErr(field+".key_env", "%q: want the name of the environment variable holding the key", k.KeyEnv)
		}
		key := getenv(k.KeyEnv)
		if key == "" {
			return configErr(field+".key_env", "%s is not set", k.KeyEnv)
		}
		c.ClientKeys = append(c.ClientKeys, reask.Secret(key))
		c.ClientKeyNames = append(c.ClientKeyNames, k.Name)
		if k.MaxDailyCost != 0 {
			if k.MaxDailyCost < 0 {
				return configErr(field+".max_daily_cost", "%v: want a positive number of US dollars (0 or none: no limit)", k.MaxDailyCost)
			}
			if c.ClientDailyCost == nil {
				c.ClientDailyCost = map[string]float64{}
			}
			c.ClientDailyCost[k.Name] = k.MaxDailyCost
		}
	}
	c.LogBurst, c.RecentFailures, c.DashboardContent = f.LogBurst, f.RecentFailures, f.DashboardContent
	var err error
	if c.LogInterval, err = parseDuration("log_interval", f.LogInterval); err != nil {
		return err
	}
	if f.ReadyProbeTimeout == "off" {
		c.ReadyProbeTimeout = -1
	} else if c.ReadyProbeTimeout, err = parseDuration("ready_probe_timeout", f.ReadyProbeTimeout); err != nil {
		return err
	}
	if c.ReadyProbeInterval, err = parseDuration("ready_probe_interval", f.ReadyProbeInterval); err != nil {
		return err
	}
	return nil
}

func parseDuration(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, configErr(field, "%q is not a duration such as \"30s\" or \"2m\"", s)
	}
	return d, nil
}

// fileError names the field of a JSON decoding error.
func fileError(err error) error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "(file)"
		}
		return configErr(field, "want %s, got JSON %s", ute.Type, ute.Value)
	case errors.As(err, &se):
		return configErr("(file)", "not valid JSON at byte %d: %v", se.Offset, err)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return configErr(strings.Trim(f, `"`), "unknown field")
	}
	return configErr("(file)", "%s", strings.TrimPrefix(msg, "json: "))
}
