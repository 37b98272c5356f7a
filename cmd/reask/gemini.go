package main

import (
	"fmt"
	"net/url"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/gemini"
)

// openGemini builds the Gemini provider: the key from --api-key or
// GEMINI_API_KEY, the API root (version included) from --base-url or
// GEMINI_BASE_URL, the model from --model or REASK_MODEL.
func (f *providerFlags) openGemini(getenv env, model string) (*openedProvider, error) {
	key := firstNonEmpty(f.apiKey, getenv("GEMINI_API_KEY"))
	baseURL := firstNonEmpty(f.baseURL, getenv("GEMINI_BASE_URL"), gemini.DefaultBaseURL)
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q: want an http or https URL, the API root with its version, such as %s", baseURL, gemini.DefaultBaseURL)
	}
	if key == "" && u.Hostname() == "generativelanguage.googleapis.com" {
		return nil, fmt.Errorf("no API key for %s: set GEMINI_API_KEY or --api-key (or --provider sim to use the simulator)", baseURL)
	}
	if model == "" {
		model = gemini.DefaultModel
	}
	p := gemini.NewProvider(gemini.Config{BaseURL: baseURL, APIKey: reask.Secret(key), Model: model, LegacySchema: f.geminiLegacy})
	return &openedProvider{Provider: p, close: func() {}}, nil
}
