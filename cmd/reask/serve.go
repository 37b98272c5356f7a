package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

// serveOptions are the flags of "reask serve".
type serveOptions struct {
	addr            string
	upstream        string
	upstreamAPI     string
	models          []string
	clientKeys      []string
	configFile      string
	maxBody         int64
	upstreamTimeout time.Duration
	requestTimeout  time.Duration
	maxAttempts     int
	mode            string
	jsonObject      string
	promptSchema    string
	openOps         bool
	allowHosts      []string
	allowOrigins    []string
	grace           time.Duration
	verbose         bool
	logBurst        int
	logInterval     time.Duration
	showContent     bool
	schema          schemaFlags
	redis           redisFlags
	cost            costFlags
	cache           serveCacheFlags
	// changed tells which flags the user set (they override the file).
	changed func(name string) bool
}

func (a *app) serveCommand() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve --upstream URL [flags]",
		Short: "Run an OpenAI-compatible gateway that guarantees schema-valid output",
		Long: `Serve runs an OpenAI-compatible HTTP gateway in front of an upstream API.
Point any OpenAI client at http://ADDR/v1: a chat completion with
response_format {type: "json_schema", ...} or a forced tool — or a Responses API
request (POST /v1/responses) with text.format {type: "json_schema", ...} or a
forced function tool — gets back content
valid against the schema — repaired locally or re-asked upstream with
field-level feedback — with backoff, circuit breaking and rate limiting
upstream. Headers x-reask-attempts, x-reask-repairs and x-reask-wasted-tokens
say what it took; when every attempt fails the answer is HTTP 422 listing the
problems. A json_object request (JSON mode, no schema) gets one JSON object:
repaired locally, re-asked when it is not one, and the word "json" that OpenAI
wants in its messages added when they lack it (--json-object passthrough
forwards it as is); when its system or developer messages hold a JSON Schema
(instructor, LangChain's jsonMode, the AI SDK's "JSON schema:" prompt), the
answer is held to that schema (x-reask-schema: prompt). By default
(--prompt-schema auto) so is a request with no response_format whose system
or developer messages say "JSON" and hold an object schema (instructor's
MD_JSON); json_object holds json_object requests only, always every request
with no response_format, off none. Requests without a schema pass through, with the same
retries and breaker. A streamed request with a schema is validated first, then
streamed.

The upstream API key is read from REASK_UPSTREAM_API_KEY (with --config, from
each upstream's api_key_env) and never reaches a client. Clients present a key
given with --client-key or REASK_CLIENT_KEYS (comma-separated) as
"Authorization: Bearer KEY"; the gateway refuses to listen beyond loopback
without one. /metrics (Prometheus) and /dashboard (a live page) want a client
key too — a browser asks for it (any user name, the key as password) — unless
--open-ops. /healthz (liveness) and /readyz (503 naming an upstream that cannot
be reached or whose circuit breaker is open) are always open.

Web pages the operator visits must not spend the upstream key: a POST needs
"Content-Type: application/json", cross-origin POSTs from browsers are refused
(allow a web app's origin with --allow-origin), and without client keys only
loopback Host names are answered (localhost, 127.0.0.0/8, ::1), which stops
DNS rebinding (allow a proxy's name with --allow-host). SIGTERM or SIGINT stops accepting
connections and lets requests in flight finish (up to --shutdown-grace).
Unless GOGC is set, the garbage collector runs at GOGC=400: a proxy's heap is
small and collections weigh on its tail latency.`,
		Example: `  REASK_UPSTREAM_API_KEY=sk-... reask serve --addr 127.0.0.1:8080 --upstream https://api.openai.com/v1
  reask serve --upstream http://127.0.0.1:9090/v1 --model gpt-4o-mini   # in front of "reask sim"
  REASK_CLIENT_KEYS=team-key-1,team-key-2 reask serve --addr 0.0.0.0:8080 --config gateway.json
  reask serve --upstream https://api.openai.com/v1 --upstream-api responses   # Responses requests go as they are
  curl -s localhost:8080/v1/responses -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini",
    "input":"Contact John Doe, age 30","text":{"format":{"type":"json_schema","name":"person","schema":{
    "type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}}}}'
  curl -s localhost:8080/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini",
    "messages":[{"role":"user","content":"Contact John Doe, age 30"}],
    "response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object",
    "properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}}}}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			if a.getenv("GOGC") == "" {
				// A proxy's live heap is a few megabytes and every request
				// allocates: Go's default (a collection each time the heap
				// doubles) collects many times a second under load, each
				// collection taking a core from the requests in flight.
				// Letting the heap grow fivefold between collections costs
				// a few megabytes and trims the tail latency (see
				// bench/gateway/RESULTS.md). GOGC overrides it.
				debug.SetGCPercent(serveGCPercent)
			}
			return a.serve(cmd.Context(), o, nil)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT")
	fs.StringVar(&o.upstream, "upstream", "", "base URL of the upstream OpenAI-compatible API, e.g. https://api.openai.com/v1 (or use --config)")
	fs.StringVar(&o.upstreamAPI, "upstream-api", string(gateway.APIChat), "how the upstream gets Responses API requests (POST /v1/responses): chat (translated to chat completions, which every OpenAI-compatible server speaks) or responses (as they are, for OpenAI), or gemini (the upstream is Google's Gemini API: its root with the version, key in GEMINI_API_KEY); with --config, each upstream's \"api\"")
	fs.StringArrayVar(&o.models, "model", nil, "a model the upstream serves (repeatable; the first is the default); without it every model is passed on")
	fs.StringArrayVar(&o.clientKeys, "client-key", nil, "a key clients must present (repeatable; env REASK_CLIENT_KEYS, comma-separated; flags show in ps)")
	fs.StringVar(&o.configFile, "config", "", "JSON file with upstreams, models and fallbacks (see the gateway package's File)")
	fs.Int64Var(&o.maxBody, "max-body", gateway.DefaultMaxBodyBytes, "largest request body in bytes; larger ones get 413")
	fs.DurationVar(&o.upstreamTimeout, "upstream-timeout", gateway.DefaultUpstreamTimeout, "time limit of each upstream call (of its headers, for a stream)")
	fs.DurationVar(&o.requestTimeout, "request-timeout", gateway.DefaultRequestTimeout, "time limit of a whole request: every attempt, retry and wait")
	fs.IntVar(&o.maxAttempts, "max-attempts", reask.DefaultMaxAttempts, "content attempts per schema-enforced request, the first included")
	fs.StringVar(&o.mode, "mode", "", "how the schema goes upstream: json_schema, json_object, tools or text (default: as the client sent it)")
	fs.StringVar(&o.jsonObject, "json-object", string(gateway.JSONObjectRepair), "json_object requests (JSON mode, no schema): repair (one JSON object, repaired or re-asked) or passthrough (forwarded as they are)")
	fs.StringVar(&o.promptSchema, "prompt-schema", string(gateway.PromptSchemaAuto), "hold requests without a schema to a JSON Schema written in their system or developer messages: auto (json_object requests, and requests with no response_format whose prompt says JSON and holds an object schema; the answer is the validated JSON), json_object (json_object requests only), always (every request with no response_format) or off")
	fs.BoolVar(&o.openOps, "open-ops", false, "serve /metrics and /dashboard without a client key")
	fs.StringArrayVar(&o.allowHosts, "allow-host", nil, "a Host name answered without client keys besides loopback ones, e.g. a reverse proxy's (repeatable)")
	fs.StringArrayVar(&o.allowOrigins, "allow-origin", nil, "a browser origin (scheme://host[:port]) whose cross-origin POSTs are accepted (repeatable)")
	fs.DurationVar(&o.grace, "shutdown-grace", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "log every request on stderr")
	fs.IntVar(&o.logBurst, "log-burst", gateway.DefaultLogBurst, "WARN and ERROR lines of one kind logged per --log-interval; the rest are summarised in one line (-1: log every line)")
	fs.DurationVar(&o.logInterval, "log-interval", gateway.DefaultLogInterval, "the span --log-burst counts over")
	fs.BoolVar(&o.showContent, "dashboard-content", false, "show content in the dashboard's failure list: the values the model gave, its last answer, the error message")
	o.schema.register(cmd) // over the file's "schema": only what the flags name
	o.redis.register(fs)   // over the file's "redis", "redis_fail" and "redis_timeout"
	o.cost.register(fs)    // --prices under the file's "prices"; --max-cost over its "max_cost"
	o.cache.register(fs)   // over the file's "cache", "cache_dir" and "cache_ttl"
	return cmd
}

// serveGCPercent is the gateway's GOGC unless the environment sets one.
const serveGCPercent = 400

// serve runs the gateway until ctx ends. ready, when not nil, receives the
// address the gateway listens on (tests listen on port 0).
func (a *app) serve(ctx context.Context, o serveOptions, ready chan<- string) error {
	cfg, err := serveConfig(o, a.getenv)
	if err != nil {
		return err
	}
	if err := checkExposure(o.addr, len(cfg.ClientKeys)); err != nil {
		return err
	}
	if o.grace < 0 {
		return fmt.Errorf("--shutdown-grace is %s: want 0 or more", o.grace)
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	traced := a.traceGateway(ctx, &cfg)
	g, err := gateway.New(cfg)
	if err != nil {
		return o.redis.named(err, a.getenv)
	}
	defer g.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	for _, u := range cfg.Upstreams {
		if u.APIKey == "" {
			fmt.Fprintf(a.stderr, "reask serve: no API key for upstream %s (%s is not set): requests go upstream without one\n", u.Name, keyEnvOf(o))
		}
	}
	auth := "clients must present a key"
	if len(cfg.ClientKeys) == 0 {
		auth = "no client keys: loopback only"
	}
	fmt.Fprintf(a.stderr, "reask serve: gateway on http://%s/v1 (%s), dashboard http://%s/dashboard/\n", ln.Addr(), auth, ln.Addr())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	hs := &http.Server{
		Handler:           traced(g),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if err := serveUntilDone(ctx, hs, ln, o.grace); err != nil {
		return err
	}
	fmt.Fprintln(a.stderr, "reask serve: stopped")
	return nil
}

func keyEnvOf(o serveOptions) string {
	if o.configFile != "" {
		return "its api_key_env"
	}
	return gateway.DefaultAPIKeyEnv
}

// serveConfig builds the gateway's configuration from the flags, the
// configuration file and the environment; flags the user set override the
// file.
func serveConfig(o serveOptions, getenv env) (gateway.Config, error) {
	changed := o.changed
	if changed == nil {
		changed = func(string) bool { return false }
	}
	var cfg gateway.Config
	switch {
	case o.configFile != "" && (o.upstream != "" || len(o.models) > 0 || changed("upstream-api")):
		return cfg, errors.New("--config describes the upstreams: drop --upstream, --model and --upstream-api, or drop --config")
	case o.configFile != "":
		c, err := gateway.LoadConfig(o.configFile, func(k string) string { return getenv(k) })
		if err != nil {
			return cfg, fmt.Errorf("--config: %w", err)
		}
		cfg = c
	case o.upstream != "":
		api := gateway.UpstreamAPI(o.upstreamAPI)
		if api != "" && api != gateway.APIChat && api != gateway.APIResponses && api != gateway.APIGemini {
			return cfg, fmt.Errorf("--upstream-api is %q: want chat, responses or gemini", o.upstreamAPI)
		}
		key := getenv(gateway.DefaultAPIKeyEnv)
		if key == "" && api == gateway.APIGemini {
			key = getenv("GEMINI_API_KEY")
		}
		cfg.Upstreams = []gateway.Upstream{{Name: "default", BaseURL: o.upstream,
			APIKey: reask.Secret(key), Models: o.models, API: api}}
		if len(o.models) > 0 {
			cfg.DefaultModel = o.models[0]
		}
	default:
		return cfg, errors.New("no upstream: give --upstream URL (e.g. https://api.openai.com/v1) or --config FILE")
	}
	for _, k := range o.clientKeys {
		cfg.ClientKeys = append(cfg.ClientKeys, reask.Secret(k))
	}
	for _, k := range strings.Split(getenv("REASK_CLIENT_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.ClientKeys = append(cfg.ClientKeys, reask.Secret(k))
		}
	}
	if o.openOps {
		cfg.OpenOps = true
	}
	cfg.AllowedHosts = append(cfg.AllowedHosts, o.allowHosts...)
	cfg.AllowedOrigins = append(cfg.AllowedOrigins, o.allowOrigins...)
	set := func(name string, fileEmpty bool) bool { return changed(name) || fileEmpty }
	if set("max-body", cfg.MaxBodyBytes == 0) {
		cfg.MaxBodyBytes = o.maxBody
	}
	if set("upstream-timeout", cfg.UpstreamTimeout == 0) {
		cfg.UpstreamTimeout = o.upstreamTimeout
	}
	if set("request-timeout", cfg.RequestTimeout == 0) {
		cfg.RequestTimeout = o.requestTimeout
	}
	if set("max-attempts", cfg.MaxAttempts == 0) {
		cfg.MaxAttempts = o.maxAttempts
	}
	if set("mode", cfg.Mode == "") {
		cfg.Mode = reask.Mode(o.mode)
	}
	if set("log-burst", cfg.LogBurst == 0) {
		cfg.LogBurst = o.logBurst
	}
	if set("log-interval", cfg.LogInterval == 0) {
		cfg.LogInterval = o.logInterval
	}
	if o.showContent {
		cfg.DashboardContent = true
	}
	if set("json-object", cfg.JSONObject == "") {
		cfg.JSONObject = gateway.JSONObjectMode(o.jsonObject)
		if m := cfg.JSONObject; m != "" && m != gateway.JSONObjectRepair && m != gateway.JSONObjectPassthrough {
			return cfg, fmt.Errorf("--json-object is %q: want repair or passthrough", o.jsonObject)
		}
	}
	if set("prompt-schema", cfg.PromptSchema == "") {
		cfg.PromptSchema = gateway.PromptSchemaMode(o.promptSchema)
		switch cfg.PromptSchema {
		case "", gateway.PromptSchemaAuto, gateway.PromptSchemaJSONObject, gateway.PromptSchemaAlways, gateway.PromptSchemaOff:
		default:
			return cfg, fmt.Errorf("--prompt-schema is %q: want auto, json_object, always or off", o.promptSchema)
		}
	}
	if err := o.schema.apply(&cfg.Schema); err != nil {
		return cfg, err
	}
	if err := o.applyRedis(&cfg, getenv, changed); err != nil {
		return cfg, err
	}
	if err := o.cache.apply(&cfg, getenv, changed); err != nil {
		return cfg, err
	}
	if err := o.applyCost(&cfg, getenv, changed); err != nil {
		return cfg, err
	}
	switch {
	case cfg.MaxBodyBytes <= 0:
		return cfg, fmt.Errorf("--max-body is %d: want a positive number of bytes", cfg.MaxBodyBytes)
	case cfg.UpstreamTimeout <= 0:
		return cfg, fmt.Errorf("--upstream-timeout is %s: want a positive duration", cfg.UpstreamTimeout)
	case cfg.RequestTimeout <= 0:
		return cfg, fmt.Errorf("--request-timeout is %s: want a positive duration", cfg.RequestTimeout)
	case cfg.MaxAttempts < 1:
		return cfg, fmt.Errorf("--max-attempts is %d: it counts every attempt, the first included, so it must be at least 1", cfg.MaxAttempts)
	}
	if cfg.Mode != "" {
		if err := reask.Mode(cfg.Mode).Check(); err != nil {
			return cfg, fmt.Errorf("--mode: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		if o.configFile == "" {
			return cfg, fmt.Errorf("%w (from the command line: --upstream, --model, --client-key, --allow-host or --allow-origin)", err)
		}
		return cfg, err
	}
	return cfg, nil
}

// applyRedis sets the gateway's fleet mode from --redis (or
// REASK_REDIS_URL), --redis-fail and --redis-timeout, over the file's.
func (o serveOptions) applyRedis(cfg *gateway.Config, getenv env, changed func(string) bool) error {
	fc, on, err := o.redis.config(getenv)
	if err != nil {
		return err
	}
	if on {
		cfg.Redis.URL = fc.URL
	}
	if changed("redis-fail") {
		cfg.Redis.FailMode = fc.FailMode
	}
	if changed("redis-timeout") || (cfg.Redis.Timeout == 0 && cfg.Redis.URL != "") {
		cfg.Redis.Timeout = fc.Timeout
	}
	if cfg.Redis.URL == "" && (changed("redis-fail") || changed("redis-timeout")) {
		return errors.New("--redis-fail and --redis-timeout need --redis URL (or " + redisEnv + ", or the file's redis)")
	}
	return nil
}

// checkExposure refuses to serve beyond loopback without client keys:
// anyone who could reach the gateway would spend the upstream key.
func checkExposure(addr string, clientKeys int) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT: %w", addr, err)
	}
	if clientKeys > 0 || gateway.IsLoopbackHost(host) {
		return nil
	}
	where := host
	if where == "" {
		where = "every interface"
	}
	return fmt.Errorf("refusing to listen on %s (%s) without client keys: anyone who reaches it would spend the upstream's key; "+
		"give --client-key (or REASK_CLIENT_KEYS), or listen on 127.0.0.1", addr, where)
}
