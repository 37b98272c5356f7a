// Package gateway is an OpenAI-compatible HTTP proxy that guarantees
// schema-valid output for any client: point an OpenAI SDK — Python, Node,
// curl — at it, send a chat completion with
// response_format {type: "json_schema", ...} or a forced tool, and the
// answer's content (or the tool call's arguments) is valid against that
// schema: repaired locally or re-asked upstream with field-level feedback
// as needed, with backoff, circuit breaking and rate limiting upstream.
//
// Endpoints:
//
//	POST /v1/chat/completions  schema-enforced (see below) or passed through
//	POST /v1/responses         the same, in OpenAI's Responses API (see below)
//	GET  /v1/models            the models the gateway routes
//	GET  /healthz              liveness, never authenticated
//	GET  /readyz               readiness: 503 naming the upstream that cannot be
//	                           reached or whose breaker is open; never authenticated
//	GET  /metrics              Prometheus metrics, all named reask_*
//	GET  /dashboard            a live page: success rate, attempts, error kinds,
//	                           repairs, tokens and wasted tokens, breakers
//	GET  /dashboard/data       the page's JSON
//
// # Schema-enforced requests
//
// The client's messages are sent upstream as they are — every field and
// content part — and so are its other fields (temperature, seed,
// max_tokens, top_p, user, ...). reask appends its feedback turns upstream
// only. The answer is an ordinary chat.completion whose content is the
// valid JSON (for a forced tool: a tool_calls answer whose arguments are
// the valid JSON); usage sums every attempt, and the headers
// x-reask-attempts, x-reask-repairs (local fixes in the returned answer),
// x-reask-wasted-tokens, x-reask-calls, x-reask-upstream and
// x-reask-cost-usd (US dollars, every attempt included, priced with
// Config.Prices; "unpriced" for a model without a price) tell what it
// took, and x-reask-schema which schema the answer was held to ("request";
// "prompt" and "json_object" in JSON mode, below). When every attempt fails: HTTP 422 with an OpenAI-style error
// (code "reask_exhausted") listing each problem (path, problem, expected,
// got).
//
// A streamed request with a schema (stream: true) is validated first and
// streamed afterwards: the gateway runs the whole loop without streaming
// upstream, then sends the valid answer as chat.completion.chunk events
// (role, content in pieces, finish_reason, usage when
// stream_options.include_usage is set, [DONE]). The first byte therefore
// comes when the answer is known to be valid, and a failure is an ordinary
// HTTP error, never a stream cut short.
//
// # JSON mode
//
// A request with response_format {type: "json_object"} (any JSON object, no
// schema) gets one JSON object too, unless Config.JSONObject is
// JSONObjectPassthrough: the answer is repaired locally (fences, prose,
// trailing commas, quotes, Python literals, comments, a document in a
// string) and re-asked with feedback when it is not one JSON object (an
// array, a string, no JSON, cut off), against the schema {"type":
// "object"}. OpenAI refuses json_object unless a message says "json": when
// none does, the gateway adds a system turn of its own after the client's
// ("Answer with one JSON object only: ..."). It goes upstream as
// json_object whatever Config.Mode says, and is streamed as a schema
// request is. A json_object request with n > 1 or with tools passes
// through.
//
// # Schemas written in the prompt
//
// Clients in JSON mode write the schema into the prompt: instructor
// ("json schema: {...}"), the AI SDK's prompt injection ("JSON schema:\n
// {...}"), LangChain's jsonMode users. A json_object request without a
// schema of its own whose system or developer messages (Responses
// instructions included) hold one JSON Schema — a strict JSON object with
// "properties", "$defs" or "definitions" objects or "type": "object", bare,
// fenced or after a label; only outermost objects, within the first
// Config.PromptSchemaScanBytes bytes — is held to it as to a request
// schema: compiled within Config.Schema's limits and cached, repaired,
// validated, re-asked with field-level feedback (x-reask-schema: prompt,
// a 422 "no answer valid against the JSON Schema in the prompt"). It still
// goes upstream as json_object. User messages are not searched: they hold
// the input, which may be a schema itself. By default (PromptSchemaAuto) a
// request with no response format whose prompt plainly asks for such an
// object — an object schema with "properties", and the word "JSON" in the
// system or developer messages (instructor's MD_JSON) — is held to its
// prompt's schema too, sent upstream as it came, and answered with the
// validated JSON, unfenced; PromptSchemaAlways does so for every request
// with no response format and a schema in its prompt, PromptSchemaJSONObject
// for json_object requests only. A prompt schema that
// does not compile, passes a limit, or is one of several different ones is
// not the client's error: the request is served as without it
// (x-reask-schema: json_object, or passed through), the header
// x-reask-prompt-schema-error says why, and a debug line names the reason
// (never the prompt's content). PromptSchemaOff never reads the prompt.
//
// # Pass-through
//
// Requests without a schema are forwarded byte for byte through the same
// reask client, with reask.Client.Send: they get the transport retries,
// retry budget, rate limiter, circuit breaker and fallbacks of the
// schema-enforced requests, and share their breaker state. A streamed
// pass-through is copied to the client event by event as it arrives; it
// can be retried (or fall back) only until the upstream's headers arrive.
//
// # Errors
//
// Upstream errors that retrying cannot fix (400, 401, 403, 404, quota)
// keep their status and error type, code and param; 429 and 5xx keep
// theirs once retries are spent, with Retry-After when the upstream gave
// one. An upstream that refuses the gateway's own credentials gets a
// message saying so, never the upstream's text, which may quote part of
// the key. An open circuit is 503 (code "circuit_open", Retry-After until
// the cool-down ends), a timeout 504, an unreachable upstream 502. An
// upstream's redirect is never followed (it would re-send the prompt and
// the configured headers wherever it points): 502 "upstream_redirect".
//
// # Keys
//
// Clients present one of Config.ClientKeys as "Authorization: Bearer KEY"
// (compared in constant time); the client's Authorization header never
// goes upstream, and the upstream key never reaches a client, a log, the
// metrics or the dashboard: what an upstream sends back — headers, error
// bodies, answers, stream lines, model lists — is scrubbed of every
// configured upstream key, whole and in the masked forms providers quote
// ("sk-abc12****wxyz", "sk-...wxyz": at least six of the key's characters
// around asterisks, dots or "…"), before the gateway reads, logs or
// forwards it. A key streamed token by token, split across events, is not
// caught.
//
// # Browsers
//
// A web page the operator visits must not spend the upstream key (see
// browserGuard): POST /v1/chat/completions and /v1/responses need
// "Content-Type: application/json" (415 otherwise), a cross-origin browser POST is 403
// cross_origin_request unless its origin is in Config.AllowedOrigins, and
// a gateway without client keys answers only loopback Host names
// (localhost, 127.0.0.0/8, ::1) and Config.AllowedHosts — 403
// host_not_allowed otherwise — which stops DNS rebinding. The dashboard,
// opened on the gateway's own address, is not affected.
//
// # Duplicate members
//
// A top-level member the gateway reads (model, messages, stream,
// stream_options, max_tokens, max_completion_tokens, n, response_format,
// tools, tool_choice) sent twice, or under a name differing only in case,
// is 400 duplicate_parameter: the gateway would check one value and the
// upstream might act on another.
//
// # The Responses API
//
// POST /v1/responses serves OpenAI's Responses API — what the official
// SDKs' responses.create/parse and the Vercel AI SDK's default openai(model)
// call — with the chat endpoint's guarantees, guards and policies: a
// request with text.format {type: "json_schema", name, schema, strict} or
// a forced function tool (flat: {type: "function", name, parameters};
// forced by tool_choice {type: "function", name}, or "required" with one
// tool) runs the same repair → validate → re-ask loop, and its answer is a
// response object whose assistant message's output_text (or whose
// function_call's arguments) is the valid JSON; text.format {type:
// "json_object"} is served as response_format json_object is on chat.
// input is a string or items (messages with text, image and file parts,
// function_call and function_call_output items), instructions go first.
// usage counts input_tokens and output_tokens summed over every attempt;
// the x-reask-* headers, the 422 reask_exhausted, the errors and their
// shape are the chat endpoint's; stream: true gets the Responses events
// (response.created, response.in_progress, response.output_item.added,
// response.content_part.added, response.output_text.delta ...,
// response.output_text.done, response.content_part.done,
// response.output_item.done, response.completed; function_call_arguments
// deltas for a tool), validated first as on chat.
//
// Each upstream call goes in the API its upstream speaks (Upstream.API):
// to an upstream with api "responses" (OpenAI) as a Responses request —
// on the schema path the client's members and input items as sent, then
// reask's turns as input items; without a schema the client's body byte
// for byte, its answer or stream copied back as it comes. To an upstream
// with api "chat", the default, since every OpenAI-compatible server
// (vLLM, Ollama, llama.cpp) speaks it, the request is translated into a
// chat completion — instructions and input into messages, text.format into
// response_format, tools nested, max_output_tokens into max_tokens,
// reasoning.effort into reasoning_effort — and the answer (or, as it
// comes, the stream) back into the Responses API's; store, metadata,
// include and truncation are dropped, members the gateway does not know
// are forwarded. What a chat upstream cannot serve — previous_response_id,
// conversation, prompt, item references, hosted tools (web_search, ...),
// images by file_id — is refused with a 400 unsupported_parameter naming
// the member (an upstream with api "responses" gets it as it is — on the
// schema path the id answered is the last attempt's, whose stored
// conversation holds the re-asks; a route's fallbacks may speak either
// API, each call goes in its target's).
// background: true is refused either way: its answer would be fetched with
// GET /v1/responses/{id}, and the gateway stores no responses (that path
// is 404). The members the gateway reads (model, input, instructions,
// stream, stream_options, text, tools, tool_choice, max_output_tokens,
// previous_response_id, conversation, background, prompt,
// parallel_tool_calls, reasoning) may be sent once each, as on chat; chat
// members (messages, response_format, max_tokens, ...) are unknown
// parameters.
package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/internal/httpapi"
	"github.com/reask/reask/metrics"
	"github.com/reask/reask/provider/gemini"
	"github.com/reask/reask/provider/openai"
)

// Gateway is the HTTP handler. It is safe for concurrent use, starts no
// goroutines and holds no state a request outlives but the policies,
// metrics and pooled upstream connections; Close releases the idle
// connections.
type Gateway struct {
	presets    map[string]*promptSchema // Config.Presets by name, compiled
	cfg        Config
	upstreams  []*upstream
	routes     map[string]*route
	catchAll   *route
	clients    []*reask.Client
	metrics    *metrics.Collector
	schemas    *schemaCache
	keyHashes  [][sha256.Size]byte
	log        *slog.Logger
	guard      *browserGuard
	started    time.Time
	ownClient  *http.Client // the HTTP client New made, closed by Close
	tele       *telemetry
	fleet      *fleetState  // nil outside fleet mode (Config.Redis)
	closeCache func() error // closes the cache file Config.Cache opened; nil: none
	spend      *spendLimits // nil without Config.ClientDailyCost
}

// route is the reask client serving one model (or the catch-all): its
// primary target and fallbacks, and the policies they share.
type route struct {
	name    string
	client  *reask.Client
	primary *target // the first target the client tries
}

// New returns a gateway for cfg, or an error naming the configuration
// field that is wrong.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &Gateway{cfg: cfg, routes: map[string]*route{}, log: cfg.Logger, started: cfg.Clock.Now(),
		schemas: newSchemaCache(cfg.SchemaCacheSize, cfg.MaxConcurrentCompiles)}
	g.guard = newBrowserGuard(cfg)
	presets, err := cfg.presetSchemas()
	if err != nil {
		return nil, err
	}
	g.presets = presets
	prices, err := cfg.priceTable()
	if err != nil {
		return nil, err
	}
	g.cfg.Reask.Prices = prices
	g.spend = newSpendLimits(cfg, prices)
	if cfg.Metrics == nil {
		m, err := metrics.New(metrics.Config{Clock: cfg.Clock})
		if err != nil {
			return nil, err
		}
		cfg.Metrics = m
		g.cfg.Metrics = m
	}
	g.metrics = cfg.Metrics
	hc := httpapi.WithoutRedirects(cfg.HTTPClient)
	if cfg.HTTPClient == nil {
		hc = newHTTPClient()
		g.ownClient = hc
	}
	var keys []reask.Secret
	for _, u := range cfg.Upstreams {
		keys = append(keys, u.APIKey)
		keys = append(keys, headerCredentials(u.Headers)...)
	}
	scrub := httpapi.NewScrubber(keys...)
	tele, log, err := newTelemetry(cfg, keys)
	if err != nil {
		return nil, err
	}
	g.tele, g.log = tele, log
	for _, u := range cfg.Upstreams {
		base := strings.TrimRight(u.BaseURL, "/")
		up := &upstream{
			name: u.Name, chatURL: base + "/chat/completions", modelsURL: base + "/models",
			responsesURL: base + "/responses", api: u.API,
			key: u.APIKey, scrub: scrub, headers: u.Headers, models: u.Models, client: hc,
			timeout: cfg.UpstreamTimeout, maxBytes: cfg.MaxResponseBytes, clock: cfg.Clock,
			parseError: openai.ParseError, // every upstream but Gemini's speaks the OpenAI API
		}
		if u.API == APIGemini {
			up.gemini, up.parseError = newGeminiProvider(u, hc, cfg), gemini.ParseError
		}
		g.upstreams = append(g.upstreams, up)
	}
	for _, k := range cfg.ClientKeys {
		g.keyHashes = append(g.keyHashes, sha256.Sum256([]byte(k.Reveal())))
	}
	if cfg.Redis.URL != "" {
		cfg.Logger = log
		f, err := connectFleet(cfg)
		if err != nil {
			return nil, err
		}
		g.fleet = f
		g.cfg.Reask.Shared = f.store.Shared()
		g.spend.shareWith(f.store, cfg.ClientKeys, g.tele.labels)
		if err := g.metrics.Registry().Register(fleetCollector{g}); err != nil {
			f.store.Close()
			return nil, fmt.Errorf("gateway: the fleet metrics: %w", err)
		}
	}
	if err := g.openCache(); err != nil {
		if g.fleet != nil {
			g.fleet.store.Close()
		}
		return nil, err
	}
	if err := g.buildRoutes(); err != nil {
		if g.fleet != nil {
			g.fleet.store.Close()
		}
		return nil, err
	}
	return g, nil
}

// minHeaderCredential is the shortest configured header value taken for a
// credential: shorter ones ("1", "beta") would redact ordinary text.
const minHeaderCredential = 8

// headerCredentials returns the values of configured upstream headers that
// carry credentials — Azure's api-key, x-api-key, a token, a second
// Authorization (without its scheme) — so that they are scrubbed like the
// upstream key from all an upstream sends back. A header carries one when
// its name holds "key", "token", "secret", "auth", "cookie" or "password".
func headerCredentials(h map[string]string) []reask.Secret {
	var out []reask.Secret
	for name, v := range h {
		n := strings.ToLower(name)
		if !strings.Contains(n, "key") && !strings.Contains(n, "token") && !strings.Contains(n, "secret") &&
			!strings.Contains(n, "auth") && !strings.Contains(n, "cookie") && !strings.Contains(n, "password") {
			continue
		}
		if scheme, rest, ok := strings.Cut(v, " "); ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Basic")) {
			v = rest
		}
		if v = strings.TrimSpace(v); len(v) >= minHeaderCredential {
			out = append(out, reask.Secret(v))
		}
	}
	return out
}

// newHTTPClient pools enough connections per upstream for a busy gateway
// (Go's default keeps two idle ones per host, which makes a loaded proxy
// open a connection per request), and follows no redirect (see
// httpapi.WithoutRedirects).
func newHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return httpapi.WithoutRedirects(&http.Client{Transport: tr})
}

// buildRoutes makes one reask client per routed model: the first upstream
// listing it, then its fallbacks; and one for the catch-all upstream.
func (g *Gateway) buildRoutes() error {
	targets := map[targetRef]*target{}
	targetFor := func(ref targetRef) *target {
		if t, ok := targets[ref]; ok {
			return t
		}
		up := g.upstreams[ref.upstream]
		name := up.name
		if ref.model != "" {
			name += "/" + ref.model
		}
		t := &target{name: name, up: up, model: ref.model}
		targets[ref] = t
		return t
	}
	catchAll := -1
	primary := map[string]targetRef{}
	var order []string
	for i, u := range g.cfg.Upstreams {
		if len(u.Models) == 0 && catchAll < 0 {
			catchAll = i
		}
		for _, m := range u.Models {
			if _, ok := primary[m]; !ok {
				primary[m] = targetRef{upstream: i, model: m}
				order = append(order, m)
			}
		}
	}
	for m := range g.cfg.Fallbacks {
		if _, ok := primary[m]; !ok && m != CatchAll {
			// A model only the catch-all serves, with fallbacks of its own.
			primary[m] = targetRef{upstream: catchAll}
			order = append(order, m)
		}
	}
	chain := func(name string, first targetRef) (*route, error) {
		p := targetFor(first)
		var fbs []reask.Provider
		seen := map[*target]bool{p: true}
		for _, ref := range g.cfg.Fallbacks[name] {
			r, _ := g.cfg.parseTarget(ref) // validated
			if t := targetFor(r); !seen[t] {
				seen[t] = true
				fbs = append(fbs, t)
			}
		}
		rc := g.cfg.Reask
		// The gateway bounds each call itself (UpstreamTimeout): until the
		// whole answer, or until a stream's headers, so that a long stream
		// copied through is not cut.
		rc.CallTimeout = -1
		rc.Clock, rc.Logger, rc.Observer = g.cfg.Clock, g.log, g.observer(name)
		rc.MaxAttempts, rc.Fallbacks = g.cfg.MaxAttempts, fbs
		c, err := reask.New(p, rc)
		if err != nil {
			return nil, fmt.Errorf("gateway: route %s: %w", name, err)
		}
		g.clients = append(g.clients, c)
		g.metrics.Watch(c.Status)
		return &route{name: name, client: c, primary: p}, nil
	}
	for _, m := range order {
		r, err := chain(m, primary[m])
		if err != nil {
			return err
		}
		g.routes[m] = r
	}
	if catchAll >= 0 {
		r, err := chain(CatchAll, targetRef{upstream: catchAll})
		if err != nil {
			return err
		}
		g.catchAll = r
	}
	return nil
}

// route returns the route serving model, or nil.
func (g *Gateway) route(model string) *route {
	if r, ok := g.routes[model]; ok {
		return r
	}
	return g.catchAll
}

// Metrics returns the collector the gateway feeds (Config.Metrics, or its
// own).
func (g *Gateway) Metrics() *metrics.Collector { return g.metrics }

// Status returns the merged policy state of every route, at now.
func (g *Gateway) Status(now time.Time) []reask.PolicyStatus {
	out := make([]reask.PolicyStatus, len(g.clients))
	for i, c := range g.clients {
		out[i] = c.Status(now)
	}
	return out
}

// Close releases the idle upstream connections of the HTTP client New
// made and writes the log summaries still pending. In-flight requests are
// not affected; the gateway stays usable, but in fleet mode (Config.Redis)
// Close also leaves the fleet and disconnects from Redis: the policies
// are local from then on.
func (g *Gateway) Close() error {
	g.tele.flush()
	if g.ownClient != nil {
		g.ownClient.CloseIdleConnections()
	}
	if g.closeCache != nil {
		g.closeCache()
	}
	if g.fleet != nil {
		return g.fleet.store.Close()
	}
	return nil
}

// Routes (the metrics' route label).
const (
	routeChat      = "/v1/chat/completions"
	routeResponses = "/v1/responses"
	routeModels    = "/v1/models"
	routeHealth    = "/healthz"
	routeReady     = "/readyz"
	routeMetrics   = "/metrics"
	routeDashboard = "/dashboard"
	routeOther     = "other"
)

// ServeHTTP routes a request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	g.metrics.InFlight(1)
	sw := &statusWriter{ResponseWriter: w}
	route, kind := g.serve(sw, r)
	g.metrics.InFlight(-1)
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(t0)
	g.metrics.ObserveHTTP(route, kind, status, d)
	if route != routeMetrics && route != routeDashboard && route != routeHealth && route != routeReady {
		g.log.LogAttrs(r.Context(), slog.LevelInfo, "gateway: request",
			slog.String("method", r.Method), slog.String("route", route), slog.String("kind", kind),
			slog.Int("status", status), slog.Duration("duration", d))
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) (route, kind string) {
	path := r.URL.Path
	if path != routeHealth && path != routeReady && !g.guard.check(w, r) {
		return routeOf(path), "rejected"
	}
	switch {
	case path == routeChat:
		if !g.allow(w, r, http.MethodPost, false) || !jsonBody(w, r) {
			return routeChat, "rejected"
		}
		return routeChat, g.chat(w, r)
	case path == routeResponses:
		if !g.allow(w, r, http.MethodPost, false) || !jsonBody(w, r) {
			return routeResponses, "rejected"
		}
		return routeResponses, g.responses(w, r)
	case strings.HasPrefix(path, responsesPrefix):
		if g.allow(w, r, r.Method, false) {
			storedResponse(w, r)
		}
		return routeResponses, "rejected"
	case path == routeModels:
		if !g.allow(w, r, http.MethodGet, false) {
			return routeModels, "rejected"
		}
		g.models(w, r)
		return routeModels, "passthrough"
	case path == routeHealth:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, http.MethodGet)
			return routeHealth, "rejected"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		return routeHealth, "ops"
	case path == routeReady:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, http.MethodGet)
			return routeReady, "rejected"
		}
		g.ready(w, r)
		return routeReady, "ops"
	case path == routeMetrics:
		if !g.allow(w, r, http.MethodGet, true) {
			return routeMetrics, "rejected"
		}
		g.metrics.Handler().ServeHTTP(w, r)
		return routeMetrics, "ops"
	case path == routeDashboard || strings.HasPrefix(path, routeDashboard+"/"):
		if !g.allow(w, r, http.MethodGet, true) {
			return routeDashboard, "rejected"
		}
		g.dashboard(w, r)
		return routeDashboard, "ops"
	}
	writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: ptr("unknown_url"),
		Message: fmt.Sprintf("Unknown request URL: %s %s. The gateway serves POST /v1/chat/completions, POST /v1/responses and GET /v1/models.", r.Method, path)})
	return routeOther, "rejected"
}

// routeOf is the route (the metrics' label) serving path.
func routeOf(path string) string {
	switch {
	case path == routeChat, path == routeModels, path == routeHealth, path == routeReady, path == routeMetrics:
		return path
	case path == routeResponses || strings.HasPrefix(path, responsesPrefix):
		return routeResponses
	case path == routeDashboard || strings.HasPrefix(path, routeDashboard+"/"):
		return routeDashboard
	}
	return routeOther
}

// allow checks the method and the client's key, answering the request
// when it fails. ops marks the operational endpoints, which a browser may
// open with HTTP Basic authentication (any user name, a client key as the
// password).
func (g *Gateway) allow(w http.ResponseWriter, r *http.Request, method string, ops bool) bool {
	if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
		methodNotAllowed(w, method)
		return false
	}
	if len(g.keyHashes) == 0 || (ops && g.cfg.OpenOps) || g.authorized(r, ops) {
		return true
	}
	if ops {
		w.Header().Set("WWW-Authenticate", `Basic realm="reask gateway", charset="UTF-8"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="reask gateway"`)
	}
	writeError(w, http.StatusUnauthorized, apiError{Type: "invalid_request_error", Code: ptr("invalid_api_key"),
		Message: "Incorrect or missing API key: present one of the gateway's client keys as \"Authorization: Bearer KEY\"."})
	return false
}

// authorized compares the presented key with every configured key in
// constant time (through their SHA-256 digests, so that neither the keys'
// lengths nor which key matched shows in the timing).
func (g *Gateway) authorized(r *http.Request, basic bool) bool {
	h := r.Header.Get("Authorization")
	var key string
	if k, ok := cutPrefixFold(h, "Bearer "); ok {
		key = strings.TrimSpace(k)
	} else if b, ok := cutPrefixFold(h, "Basic "); ok && basic {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b))
		if err != nil {
			return false
		}
		_, key, _ = strings.Cut(string(dec), ":")
	}
	if key == "" {
		return false
	}
	sum := sha256.Sum256([]byte(key))
	match := 0
	for i := range g.keyHashes {
		match |= subtle.ConstantTimeCompare(sum[:], g.keyHashes[i][:])
	}
	return match == 1
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

func methodNotAllowed(w http.ResponseWriter, allowed string) {
	w.Header().Set("Allow", allowed)
	writeError(w, http.StatusMethodNotAllowed, apiError{Type: "invalid_request_error", Code: ptr("method_not_allowed"),
		Message: "Method not allowed; use " + allowed + "."})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush sends buffered data to the client.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// readBody reads a request body within the size limit, answering 413 (or
// 400) itself when it cannot.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := g.cfg.MaxBodyBytes
	tooLarge := func() {
		writeError(w, http.StatusRequestEntityTooLarge, apiError{Type: "invalid_request_error", Code: ptr("request_too_large"),
			Message: fmt.Sprintf("The request body is larger than the gateway's limit of %d bytes.", limit)})
	}
	if r.ContentLength > limit {
		tooLarge()
		return nil, false
	}
	body, err := readAllLimited(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge()
		} else {
			writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Code: ptr("invalid_body"),
				Message: "The request body could not be read: " + err.Error()})
		}
		return nil, false
	}
	return body, true
}

// firstReadBytes is the most a request body's buffer holds before any byte
// has arrived: the declared Content-Length sizes the buffer up to this,
// and it grows (doubling) only as the body's bytes come in.
const firstReadBytes = 32 << 10

// readAllLimited reads r into a buffer that grows as bytes arrive. The
// declared length only sizes the first chunk (up to firstReadBytes), so a
// client that declares megabytes and sends one byte costs kilobytes, not
// the declared size, for as long as it holds the connection.
func readAllLimited(r io.Reader, declared int64) ([]byte, error) {
	var buf bytes.Buffer
	if declared > 0 {
		buf.Grow(int(min(declared, firstReadBytes)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// requestContext bounds a request by the configured timeout.
func (g *Gateway) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.cfg.RequestTimeout)
}
