package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/provider/gemini"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/sim"
)

// wire: recovery on the same profile through each provider's wire format
// the simulator speaks — OpenAI's chat completions, Anthropic's Messages,
// Gemini's generateContent — with the same content and transport faults,
// so that what differs is the wire format and how each provider package
// reads its API's errors (Gemini's RetryInfo, Anthropic's 529, …).
func wire(n int, seed int64, profile string, conc int) error {
	its, err := items(n, seed)
	if err != nil {
		return err
	}
	prof, err := sim.BuiltinProfile(profile)
	if err != nil {
		return err
	}
	root := func(u string) string { return strings.TrimSuffix(u, "/v1") }
	openAI := func(u string) reask.Provider {
		return openai.NewProvider(openai.Config{BaseURL: u, Model: "gpt-4o-mini", HTTPClient: httpClient})
	}
	anth := func(u string) reask.Provider {
		return anthropic.NewProvider(anthropic.Config{BaseURL: root(u), Model: "claude-sonnet-4-5", HTTPClient: httpClient})
	}
	gem := func(legacy bool) func(string) reask.Provider {
		return func(u string) reask.Provider {
			return gemini.NewProvider(gemini.Config{BaseURL: root(u) + "/v1beta", Model: "gemini-2.5-flash", LegacySchema: legacy, HTTPClient: httpClient})
		}
	}
	systems := []wireSystem{
		{"OpenAI chat completions, json_schema", reask.ModeJSONSchema, openAI},
		{"OpenAI chat completions, tools", reask.ModeTools, openAI},
		{"Anthropic Messages, tool use (json_schema)", reask.ModeJSONSchema, anth},
		{"Anthropic Messages, json_object", reask.ModeJSONObject, anth},
		{"Gemini generateContent, responseJsonSchema", reask.ModeJSONSchema, gem(false)},
		{"Gemini generateContent, responseSchema (legacy)", reask.ModeJSONSchema, gem(true)},
		{"Gemini generateContent, function calling (tools)", reask.ModeTools, gem(false)},
	}
	contentOnly := prof
	contentOnly.Transport, contentOnly.Latency, contentOnly.Outages = sim.Transport{}, sim.Latency{}, nil
	for _, run := range []struct {
		what string
		prof sim.Profile
	}{{"", prof}, {" without transport faults", contentOnly}} {
		fmt.Printf("\n### Recovery by wire format: %d items of the simulator's data set, profile %s%s, seed %d, concurrency %d\n\n", n, profile, run.what, seed, conc)
		if err := wireTable(its, run.prof, seed, conc, systems); err != nil {
			return err
		}
	}
	return nil
}

// wireSystem is a provider package and mode to measure.
type wireSystem struct {
	name string
	mode reask.Mode
	p    func(url string) reask.Provider
}

func wireTable(its []item, prof sim.Profile, seed int64, conc int, systems []wireSystem) error {
	fmt.Println("| wire format, mode | success | exact | wrong but accepted | calls/item | attempts/item | transport retries | refused (4xx) | prompt tok/item | completion tok/item | p50 | p99 | wall |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, sys := range systems {
		srv, err := startSim(sim.Config{Seed: seed, Profile: prof})
		if err != nil {
			return err
		}
		c := newClient(sys.p(srv.url), reask.Config{Mode: sys.mode})
		t, wall := runAll(its, conc, func(it item) outcome {
			t0 := time.Now()
			doc, rep, err := c.Run(context.Background(), reask.Task{Schema: it.schema, Input: it.Text})
			return outcome{ok: err == nil, exact: err == nil && sameJSON(doc, it.Gold), attempts: rep.Attempts, calls: rep.Calls,
				promptTokens: rep.Usage.PromptTokens, completionTokens: rep.Usage.CompletionTokens, dur: time.Since(t0),
				insisted: errors.Is(err, reask.ErrInsisted), attemptsSaved: rep.AttemptsSaved}
		})
		st := srv.sim.Stats()
		srv.stop()
		refused := int64(0)
		for code, k := range st.ByStatus {
			if code >= 400 && code < 500 && code != 429 {
				refused += k
			}
		}
		fmt.Printf("| %s | %s | %s | %d | %s | %s | %d | %d | %s | %s | %s | %s | %s |\n", sys.name, pct(t.ok, t.items), pct(t.exact, t.items), t.wrong,
			per(t.calls, t.items), per(t.attempts, t.items), t.calls-t.attempts, refused, per(t.prompt, t.items), per(t.completion, t.items),
			percentile(t.durations, 0.5).Round(time.Millisecond), percentile(t.durations, 0.99).Round(time.Millisecond), wall.Round(time.Millisecond))
	}
	return nil
}
