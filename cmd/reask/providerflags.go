package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

// providerFlags are the flags of every command that calls a model.
type providerFlags struct {
	provider       string
	baseURL        string
	apiKey         string
	model          string
	mode           string
	maxAttempts    int
	timeout        time.Duration
	callTimeout    time.Duration
	simProfile     string
	simSeed        int64
	schemaInPrompt bool
	stopOnRepeat   bool
	strict         string
	geminiLegacy   bool
	redis          redisFlags
	cost           costFlags
}

// defaultSimProfile is the simulator profile of extract and batch when no
// provider is configured: clean, so that a first try shows what the
// schema and the text give, the same on every run. The demo and "reask sim"
// default to flaky, since showing and testing the retry system is their job.
const defaultSimProfile = "clean"

func (f *providerFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.provider, "provider", "", "openai, anthropic, gemini or sim (default: openai when a base URL or API key is configured, else sim)")
	fs.StringVar(&f.baseURL, "base-url", "", "API base URL, e.g. http://localhost:11434/v1 for Ollama (env OPENAI_BASE_URL; ANTHROPIC_BASE_URL, GEMINI_BASE_URL)")
	fs.StringVar(&f.apiKey, "api-key", "", "API key (env OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY); prefer the environment, flags show in ps")
	fs.BoolVar(&f.geminiLegacy, "gemini-legacy-schema", false, "--provider gemini: send the schema as responseSchema (Gemini's OpenAPI subset) instead of responseJsonSchema")
	fs.StringVar(&f.model, "model", "", "model name (env REASK_MODEL; default gpt-4o-mini, or the simulator's)")
	fs.StringVar(&f.mode, "mode", string(reask.ModeJSONSchema), "how the schema is sent: json_schema, json_object, tools or text")
	fs.IntVar(&f.maxAttempts, "max-attempts", reask.DefaultMaxAttempts, "content attempts in total, the first included (transport retries not counted)")
	fs.DurationVar(&f.timeout, "timeout", 0, "overall time limit per extraction, e.g. 2m (default none)")
	fs.DurationVar(&f.callTimeout, "call-timeout", reask.DefaultCallTimeout, "time limit of each provider call; a call without an answer by then is retried")
	fs.BoolVar(&f.stopOnRepeat, "stop-on-repeat", true, "stop early when the model repeats the same invalid values after sharper feedback twice (--stop-on-repeat=false spends every attempt)")
	fs.BoolVar(&f.schemaInPrompt, "schema-in-prompt", false, "also write the schema into the prompt in json_schema and tools modes (for servers that ignore response_format)")
	fs.StringVar(&f.strict, "strict", "auto", "strict decoding in json_schema and tools modes: auto (when the schema, rewritten for the provider, qualifies; see reask schema check), on (fail if it cannot), off (send schemas as they are)")
	fs.StringVar(&f.simProfile, "sim-profile", defaultSimProfile, "simulator fault profile when --provider sim: clean, flaky (faults, as reask demo shows), hostile or a JSON file")
	fs.Int64Var(&f.simSeed, "sim-seed", 1, "simulator seed when --provider sim")
	f.redis.register(fs)
	f.cost.register(fs)
}

// config returns the reask configuration the flags select; getenv reads
// REASK_PRICES.
func (f *providerFlags) config(getenv env) (reask.Config, error) {
	mode := reask.Mode(f.mode)
	if err := mode.Check(); err != nil {
		return reask.Config{}, fmt.Errorf("--mode: %w", err)
	}
	if f.maxAttempts < 1 {
		return reask.Config{}, fmt.Errorf("--max-attempts is %d: it counts every attempt, the first included, so it must be at least 1", f.maxAttempts)
	}
	if f.timeout < 0 {
		return reask.Config{}, fmt.Errorf("--timeout is %s: want 0 (none) or a positive duration", f.timeout)
	}
	cfg := reask.Config{Mode: mode, MaxAttempts: f.maxAttempts, CallTimeout: f.callTimeout, Timeout: f.timeout,
		SchemaInPrompt: f.schemaInPrompt, KeepOnRepeat: !f.stopOnRepeat}
	if f.callTimeout <= 0 {
		cfg.CallTimeout = -1 // --call-timeout 0: no bound but --timeout's
	}
	if err := f.cost.apply(&cfg, getenv); err != nil {
		return reask.Config{}, err
	}
	return cfg, nil
}

// openedProvider is a provider and what must be released after use.
type openedProvider struct {
	reask.Provider
	close func()
	// note tells the user something they should know (the simulator is in use).
	note string
	// builtinSim is set for the simulator served by this process, whose
	// batches end with it.
	builtinSim bool
}

// open resolves flags > environment > defaults and builds the provider.
// Configuration errors — a missing API key for a real provider, a bad URL,
// a budget in money for a model without a price — are reported here,
// before any work starts.
func (f *providerFlags) open(ctx context.Context, getenv env) (*openedProvider, error) {
	p, err := f.openProvider(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if err := f.cost.check(p.Name()); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (f *providerFlags) openProvider(ctx context.Context, getenv env) (*openedProvider, error) {
	strict, err := dialect.ParseStrict(f.strict)
	if err != nil {
		return nil, fmt.Errorf("--strict: %w", err)
	}
	kind := f.kind(getenv)
	model := firstNonEmpty(f.model, getenv("REASK_MODEL"))
	switch kind {
	case "openai":
		key := firstNonEmpty(f.apiKey, getenv("OPENAI_API_KEY"))
		baseURL := firstNonEmpty(f.baseURL, getenv("OPENAI_BASE_URL"))
		if baseURL == "" {
			baseURL = openai.DefaultBaseURL
		}
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--base-url %q: want an http or https URL such as https://api.openai.com/v1", baseURL)
		}
		if key == "" && strings.EqualFold(u.Hostname(), "api.openai.com") {
			return nil, fmt.Errorf("no API key for %s: set OPENAI_API_KEY or --api-key (or --provider sim to use the simulator)", baseURL)
		}
		if model == "" {
			model = defaultModel[kind]
		}
		p := openai.NewProvider(openai.Config{BaseURL: baseURL, APIKey: reask.Secret(key), Model: model, Strict: strict})
		return &openedProvider{Provider: p, close: func() {}}, nil
	case "anthropic":
		return f.openAnthropic(getenv, model, strict)
	case "gemini":
		return f.openGemini(getenv, model)
	case "sim":
		return f.openSim(ctx, model, f.provider == "", strict)
	default:
		return nil, fmt.Errorf("--provider %q: want openai, anthropic, gemini or sim", kind)
	}
}

// kind is the provider the flags and the environment select: --provider,
// else openai when a base URL or an OpenAI key is configured, else
// anthropic when an Anthropic key is, else the simulator.
func (f *providerFlags) kind(getenv env) string {
	switch {
	case f.provider != "":
		return f.provider
	case f.baseURL != "" || getenv("OPENAI_BASE_URL") != "" || f.apiKey != "" || getenv("OPENAI_API_KEY") != "":
		return "openai"
	case getenv("ANTHROPIC_API_KEY") != "":
		return "anthropic"
	case getenv("GEMINI_API_KEY") != "":
		return "gemini"
	}
	return "sim"
}

// model is the model the flags and the environment select for kind.
func (f *providerFlags) modelFor(kind string, getenv env) string {
	if m := firstNonEmpty(f.model, getenv("REASK_MODEL")); m != "" {
		return m
	}
	return defaultModel[kind]
}

// defaultModel is each provider's model when none is configured.
var defaultModel = map[string]string{"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "sim": sim.DefaultModels[0]}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
