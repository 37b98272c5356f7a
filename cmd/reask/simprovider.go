package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/schema/dialect"
	"github.com/reask/reask/sim"
)

// loadProfile reads a built-in profile name or a JSON profile file.
func loadProfile(nameOrFile string) (sim.Profile, error) {
	if strings.HasSuffix(nameOrFile, ".json") || strings.ContainsAny(nameOrFile, `/\`) {
		return sim.LoadProfile(nameOrFile)
	}
	return sim.BuiltinProfile(nameOrFile)
}

// startSim serves a simulator on a loopback port (real connections, so that
// its dropped-connection faults behave as on a network) and returns its
// base URL and a function that stops it.
func startSim(cfg sim.Config) (string, func(), error) {
	srv, err := sim.New(cfg)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the simulator: %w", err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String() + "/v1", func() { hs.Close() }, nil
}

func (f *providerFlags) openSim(_ context.Context, model string, implicit bool, strict dialect.Strict) (*openedProvider, error) {
	prof, err := loadProfile(f.simProfile)
	if err != nil {
		return nil, fmt.Errorf("--sim-profile: %w", err)
	}
	if model == "" {
		model = sim.DefaultModels[0]
	}
	url, stop, err := startSim(sim.Config{Seed: f.simSeed, Profile: prof})
	if err != nil {
		return nil, err
	}
	p := openai.NewProvider(openai.Config{BaseURL: url, Model: model, Name: "sim/" + model, Strict: strict})
	op := &openedProvider{Provider: p, close: stop, builtinSim: true}
	if implicit {
		op.note = fmt.Sprintf("no provider configured, so using the built-in simulator (--provider sim, profile %s, seed %d); set OPENAI_API_KEY or --base-url to use a real model", f.simProfile, f.simSeed)
	}
	return op, nil
}

// openSimWith serves a simulator of profile prof and seed on loopback and
// returns it as a provider of model (default: the simulator's first), for
// a worker running a job's simulator.
func openSimWith(prof sim.Profile, seed int64, model string) (*openedProvider, error) {
	if model == "" {
		model = defaultModel["sim"]
	}
	url, stop, err := startSim(sim.Config{Seed: seed, Profile: prof})
	if err != nil {
		return nil, err
	}
	p := openai.NewProvider(openai.Config{BaseURL: url, Model: model, Name: "sim/" + model})
	return &openedProvider{Provider: p, close: stop}, nil
}
