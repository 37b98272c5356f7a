package main

import (
	"fmt"
	"net/url"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/schema/dialect"
)

func (f *providerFlags) openAnthropic(getenv env, model string, strict dialect.Strict) (*openedProvider, error) {
	key := firstNonEmpty(f.apiKey, getenv("ANTHROPIC_API_KEY"))
	baseURL := firstNonEmpty(f.baseURL, getenv("ANTHROPIC_BASE_URL"), anthropic.DefaultBaseURL)
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q: want an http or https URL such as %s", baseURL, anthropic.DefaultBaseURL)
	}
	if key == "" && u.Hostname() == "api.anthropic.com" {
		return nil, fmt.Errorf("no API key for %s: set ANTHROPIC_API_KEY or --api-key (or --provider sim to use the simulator)", baseURL)
	}
	if model == "" {
		model = defaultModel["anthropic"]
	}
	p := anthropic.NewProvider(anthropic.Config{BaseURL: baseURL, APIKey: reask.Secret(key), Model: model, Strict: strict})
	return &openedProvider{Provider: p, close: func() {}}, nil
}
