package price_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reask/reask/price"
	"github.com/reask/reask/sim"
)

// The built-in table parses, says where and when its prices were taken,
// and prices every real model the providers default to and the simulator
// names (sim-1, the simulator's own, is no real model and has no price).
func TestDefaultTable(t *testing.T) {
	tab := price.Default()
	if !strings.Contains(tab.Source(), "LiteLLM") || tab.Date() == "" {
		t.Errorf("source %q, date %q: want both recorded", tab.Source(), tab.Date())
	}
	models := append([]string{"gpt-4o-mini", "claude-sonnet-4-5"}, sim.DefaultModels...)
	for _, m := range models {
		_, _, ok := tab.Lookup(m)
		if want := m != "sim-1"; ok != want {
			t.Errorf("Lookup(%q) ok = %v, want %v", m, ok, want)
		}
	}
	for _, m := range tab.Models() {
		p, _, _ := tab.Lookup(m)
		if p.Input <= 0 || p.Output <= 0 || p.CachedInput > p.Input || p.BatchDiscount != 0.5 {
			t.Errorf("%s: %+v: want positive prices, cached at most input, batch half price", m, p)
		}
	}
}

func TestLookup(t *testing.T) {
	tab, err := price.Parse("t.json", []byte(`{"models": {
		"gpt-4o": {"input": 2.5, "output": 10},
		"gpt-4o-2024-05-13": {"input": 5, "output": 15},
		"claude-3-5-haiku": {"input": 0.8, "output": 4}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		model, want string
	}{
		{"gpt-4o", "gpt-4o"},
		{"GPT-4o", "gpt-4o"},
		{"openai/gpt-4o", "gpt-4o"},
		{"sim/gpt-4o", "gpt-4o"},
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"}, // priced itself: not its family's price
		{"claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"gpt-4o-mini", ""},
		{"llama3.1", ""},
		{"", ""},
	} {
		_, name, ok := tab.Lookup(tc.model)
		if name != tc.want || ok != (tc.want != "") {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tc.model, name, ok, tc.want)
		}
	}
	var nilTable *price.Table
	if _, _, ok := nilTable.Lookup("gpt-4o"); ok {
		t.Error("a nil table priced a model")
	}
}

func TestCost(t *testing.T) {
	p := price.Price{Input: 2, CachedInput: 0.5, Output: 8, BatchDiscount: 0.5}
	for _, tc := range []struct {
		u    price.Usage
		want float64
	}{
		{price.Usage{}, 0},
		{price.Usage{Input: 1_000_000}, 2},
		{price.Usage{Input: 1_000_000, CachedInput: 400_000}, 0.6*2 + 0.4*0.5},
		{price.Usage{Input: 100, CachedInput: 500}, 100 * 0.5 / 1e6}, // cached beyond input: capped
		{price.Usage{Input: 1000, Output: 500}, (1000*2 + 500*8) / 1e6},
	} {
		if got := p.Cost(tc.u); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Cost(%+v) = %v, want %v", tc.u, got, tc.want)
		}
	}
	if got := p.BatchCost(price.Usage{Input: 1_000_000}); got != 1 {
		t.Errorf("BatchCost = %v, want 1 (half of 2)", got)
	}
}

// A bad price file is an error naming the file and the field; none is a
// table that prices a model at $0 by mistake.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"not json", `{`, "p.json: not a JSON object"},
		{"array", `[]`, "p.json: not a JSON object"},
		{"null", `null`, "p.json: not a JSON object"},
		{"no models", `{"source": "x"}`, "p.json: models: required"},
		{"models not object", `{"models": [1]}`, "p.json: models: want an object"},
		{"unknown top field", `{"models": {}, "modles": {}}`, "p.json: modles: unknown field"},
		{"bad date", `{"models": {}, "date": "Dec 2"}`, "p.json: date: want a date YYYY-MM-DD"},
		{"source not string", `{"models": {}, "source": 1}`, "p.json: source: want a string"},
		{"negative", `{"models": {"m": {"input": -1, "output": 1}}}`, `p.json: models["m"].input: -1 is negative`},
		{"negative cached", `{"models": {"m": {"input": 1, "cached_input": -0.1, "output": 1}}}`, `p.json: models["m"].cached_input: -0.1 is negative`},
		{"unknown model field", `{"models": {"m": {"input": 1, "ouput": 1}}}`, `p.json: models["m"].ouput: unknown field`},
		{"case matters", `{"models": {"m": {"Input": 1, "output": 1}}}`, `p.json: models["m"].Input: unknown field`},
		{"missing output", `{"models": {"m": {"input": 1}}}`, `p.json: models["m"].output: required`},
		{"string price", `{"models": {"m": {"input": "1", "output": 1}}}`, `p.json: models["m"].input: want a number`},
		{"discount 1", `{"models": {"m": {"input": 1, "output": 1, "batch_discount": 1}}}`, `p.json: models["m"].batch_discount: 1: want a fraction`},
		{"entry not object", `{"models": {"m": 3}}`, `p.json: models["m"]: want an object`},
		{"blank name", `{"models": {" ": {"input": 1, "output": 1}}}`, `p.json: models[" "]: " " is not a model name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := price.Parse("p.json", []byte(tc.data))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, price.ErrInvalid) {
				t.Fatalf("err = %v, want one starting %q and matching ErrInvalid", err, tc.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	tab, err := price.Parse("p.json", []byte(`{"models": {"free": {"input": 0, "output": 0}, "m": {"input": 3, "output": 4, "source": "x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, _, _ := tab.Lookup("m")
	if p != (price.Price{Input: 3, CachedInput: 3, Output: 4, Source: "x"}) {
		t.Errorf("m = %+v: cached input defaults to input, no batch discount", p)
	}
	if p, _, ok := tab.Lookup("free"); !ok || p.Cost(price.Usage{Input: 10, Output: 10}) != 0 {
		t.Errorf("free = %+v, %v: want priced, at $0 since the file says so", p, ok)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(good, []byte(`{"models": {"m": {"input": 1, "output": 2}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if tab, err := price.Load(good); err != nil || len(tab.Models()) != 1 {
		t.Fatalf("Load = %v, %v", tab, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"models": {"m": {"input": -2, "output": 2}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "missing.json: no such file"},
		{dir, "is a directory"},
		{bad, bad + `: models["m"].input: -2 is negative`},
	} {
		if _, err := price.Load(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want an error with %q", tc.path, err, tc.want)
		}
	}
}

func TestWith(t *testing.T) {
	tab, err := price.Default().With(map[string]price.Price{"gpt-4o-mini": {Input: 1, CachedInput: 1, Output: 1}, "local": {}})
	if err != nil {
		t.Fatal(err)
	}
	if p, _, _ := tab.Lookup("gpt-4o-mini"); p.Input != 1 {
		t.Errorf("override not applied: %+v", p)
	}
	if p, _, _ := price.Default().Lookup("gpt-4o-mini"); p.Input != 0.15 {
		t.Errorf("With changed the default table: %+v", p)
	}
	if _, _, ok := tab.Lookup("local"); !ok {
		t.Error("an added model is not priced")
	}
	if _, err := tab.With(map[string]price.Price{"m": {Input: -1}}); err == nil || !strings.Contains(err.Error(), `models["m"].input: -1 is negative`) {
		t.Errorf("negative override: %v", err)
	}
}
