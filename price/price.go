// Package price says what tokens cost: a table of US dollars per million
// tokens for each model — input, cached input, output and the batch APIs'
// discount — shipped with reask as data (prices.json, embedded, with its
// source and date) and replaced by a file of the same format when asked
// (reask's --prices flag or REASK_PRICES). Nothing is fetched at run time:
// prices are facts that change seldom, and a network call to learn them
// would be one more thing to fail.
//
// The file format:
//
//	{
//	  "source": "where the prices come from (optional)",
//	  "date": "2026-12-02 (optional: when they were taken, YYYY-MM-DD)",
//	  "models": {
//	    "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.6, "batch_discount": 0.5},
//	    "my-local-model": {"input": 0, "output": 0}
//	  }
//	}
//
// input and output are required, in US dollars per million tokens;
// cached_input, the price of prompt tokens the provider read from its
// prompt cache, defaults to input; batch_discount is the fraction taken off
// in a provider's batch API (0.5: half price), default 0; a model may carry
// its own "source". Every price is a finite number of at least 0; any other
// member is an error naming the file and the field, so that a misspelt
// field never silently prices a model at $0.
//
// A model the table does not hold has no price: callers show it as
// "unpriced", never as $0.
package price

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Price is what one model costs, in US dollars per million tokens.
type Price struct {
	// Input is the price of prompt tokens.
	Input float64
	// CachedInput is the price of prompt tokens read from the provider's
	// prompt cache (OpenAI's cached_tokens, Anthropic's
	// cache_read_input_tokens); the file's default is Input.
	CachedInput float64
	// Output is the price of completion tokens.
	Output float64
	// BatchDiscount is the fraction of the price a provider's batch API
	// takes off, in [0, 1): 0.5 bills half.
	BatchDiscount float64
	// Source says where this model's price comes from, when the table's
	// own source does not.
	Source string
}

// Usage is the tokens one call or one extraction spent.
type Usage struct {
	// Input counts every prompt token, the cached ones included.
	Input int
	// CachedInput counts the prompt tokens read from the provider's
	// prompt cache: a part of Input.
	CachedInput int
	// Output counts the completion tokens.
	Output int
}

// Cost is what u costs at p, in US dollars. Cached input tokens beyond
// Input are counted as Input (a provider never caches more than it read).
func (p Price) Cost(u Usage) float64 {
	cached := min(max(u.CachedInput, 0), max(u.Input, 0))
	fresh := max(u.Input, 0) - cached
	return (float64(fresh)*p.Input + float64(cached)*p.CachedInput + float64(max(u.Output, 0))*p.Output) / 1e6
}

// BatchCost is what u costs at p through the provider's batch API.
func (p Price) BatchCost(u Usage) float64 { return p.Cost(u) * (1 - p.BatchDiscount) }

// Table maps model names to prices. A nil *Table holds no price. A Table
// is immutable and safe for concurrent use.
type Table struct {
	source, date string
	models       map[string]Price
}

//go:embed prices.json
var builtin []byte

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse("prices.json (built in)", builtin)
	if err != nil {
		panic(err) // a test parses the embedded file: it cannot fail here
	}
	return t
})

// Default returns the table shipped with reask (prices.json in this
// package), its source and date recorded in it.
func Default() *Table { return defaultTable() }

// Source says where the table's prices come from; empty when its file did
// not say.
func (t *Table) Source() string {
	if t == nil {
		return ""
	}
	return t.source
}

// Date is when the prices were taken (YYYY-MM-DD); empty when its file
// did not say.
func (t *Table) Date() string {
	if t == nil {
		return ""
	}
	return t.date
}

// Models returns the names the table prices, sorted.
func (t *Table) Models() []string {
	if t == nil {
		return nil
	}
	names := make([]string, 0, len(t.models))
	for m := range t.models {
		names = append(names, m)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the price of model and the table's name for it. Names are
// matched as they are, then without case, then without a provider prefix
// ("openai/gpt-4o-mini", "sim/gpt-4o-mini"), a "-latest" suffix or a date
// suffix ("gpt-4o-mini-2024-07-18", "claude-sonnet-4-5-20250929"), so that
// the dated model a provider reports finds its family's price unless the
// table prices the dated name itself. ok is false when no name matches.
func (t *Table) Lookup(model string) (p Price, name string, ok bool) {
	if t == nil || len(t.models) == 0 {
		return Price{}, "", false
	}
	for _, c := range candidates(model) {
		if p, ok := t.models[c]; ok {
			return p, c, true
		}
	}
	return Price{}, "", false
}

// dateSuffix matches the date versions providers append to model names.
var dateSuffix = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8})$`)

// candidates lists the names model is looked up by, most exact first.
func candidates(model string) []string {
	m := strings.TrimSpace(model)
	out := []string{m}
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	m = strings.ToLower(m)
	add(m)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
		add(m)
	}
	if s, ok := strings.CutSuffix(m, "-latest"); ok {
		m = s
		add(m)
	}
	if loc := dateSuffix.FindStringIndex(m); loc != nil {
		add(m[:loc[0]])
	}
	return out
}

// With returns a copy of t in which each of overrides replaces (or adds)
// the price of its model — the gateway configuration's per-model prices.
// A nil t gives a table of the overrides alone.
func (t *Table) With(overrides map[string]Price) (*Table, error) {
	out := &Table{models: map[string]Price{}}
	if t != nil {
		out.source, out.date = t.source, t.date
		maps.Copy(out.models, t.models)
	}
	for _, m := range slices.Sorted(maps.Keys(overrides)) {
		p := overrides[m]
		if err := checkName(m); err != nil {
			return nil, &Error{Field: fmt.Sprintf("models[%q]", m), Msg: err.Error()}
		}
		if err := p.check(); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Field = fmt.Sprintf("models[%q].%s", m, e.Field)
			}
			return nil, err
		}
		out.models[m] = p
	}
	return out, nil
}

// ErrInvalid is matched by every error about a price file's content.
var ErrInvalid = errors.New("invalid price table")

// Error is a problem with a price table: the file, the field as the file
// spells it (`models["gpt-4o"].input`) and what is wrong.
type Error struct {
	File  string // "" for prices not read from a file
	Field string // "" for the file as a whole
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// MaxFileBytes bounds a price file: a table of every model a provider
// sells is a few kilobytes.
const MaxFileBytes = 4 << 20

// Load reads the price file at path (see the package comment for its
// format). An unreadable file is an error naming it; a bad one is an
// *Error naming the file and the field.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("price file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("price file %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("price file %s is a directory", path)
	}
	if st.Size() > MaxFileBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%d bytes, more than the %d a price file may hold", st.Size(), MaxFileBytes)}
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("price file %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse reads a price file's content; name names it in errors.
func Parse(name string, data []byte) (*Table, error) {
	fail := func(field, format string, args ...any) error {
		return &Error{File: name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fail("", "not a JSON object: %v", err)
	}
	if top == nil {
		return nil, fail("", "not a JSON object")
	}
	t := &Table{models: map[string]Price{}}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "source":
			if json.Unmarshal(v, &t.source) != nil {
				return nil, fail(k, "want a string, got %s", shorten(v))
			}
		case "date":
			if json.Unmarshal(v, &t.date) != nil || !validDate(t.date) {
				return nil, fail(k, "want a date YYYY-MM-DD, got %s", shorten(v))
			}
		case "models":
		default:
			return nil, fail(k, "unknown field (want source, date and models)")
		}
	}
	raw, ok := top["models"]
	if !ok {
		return nil, fail("models", "required: an object of model names and their prices")
	}
	var models map[string]json.RawMessage
	if json.Unmarshal(raw, &models) != nil || models == nil {
		return nil, fail("models", "want an object of model names and their prices, got %s", shorten(raw))
	}
	for _, m := range slices.Sorted(maps.Keys(models)) {
		if err := checkName(m); err != nil {
			return nil, fail(fmt.Sprintf("models[%q]", m), "%v", err)
		}
		p, err := ParseModel(models[m])
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.File = name
				e.Field = fmt.Sprintf("models[%q]", m) + dotted(e.Field)
			}
			return nil, err
		}
		t.models[m] = p
	}
	return t, nil
}

func dotted(field string) string {
	if field == "" {
		return ""
	}
	return "." + field
}

// ParseModel reads one model's entry, {"input": …, "output": …, …} (see
// the package comment). Its errors are *Error values whose Field is the
// entry's member ("input"), for the caller to prefix.
func ParseModel(data []byte) (Price, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return Price{}, &Error{Msg: fmt.Sprintf(`want an object such as {"input": 0.15, "output": 0.6}, got %s`, shorten(data))}
	}
	var p Price
	cached := false
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		var dst *float64
		switch k {
		case "input":
			dst = &p.Input
		case "output":
			dst = &p.Output
		case "cached_input":
			dst, cached = &p.CachedInput, true
		case "batch_discount":
			dst = &p.BatchDiscount
		case "source":
			if json.Unmarshal(v, &p.Source) != nil {
				return Price{}, &Error{Field: k, Msg: fmt.Sprintf("want a string, got %s", shorten(v))}
			}
			continue
		default:
			return Price{}, &Error{Field: k, Msg: "unknown field (want input, cached_input, output, batch_discount and source)"}
		}
		if json.Unmarshal(v, dst) != nil {
			return Price{}, &Error{Field: k, Msg: fmt.Sprintf("want a number of US dollars per million tokens, got %s", shorten(v))}
		}
	}
	for _, req := range []string{"input", "output"} {
		if _, ok := obj[req]; !ok {
			return Price{}, &Error{Field: req, Msg: "required (US dollars per million tokens; 0 for a free model)"}
		}
	}
	if !cached {
		p.CachedInput = p.Input
	}
	return p, p.check()
}

// check reports a price no call can be billed at.
func (p Price) check() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"input", p.Input}, {"cached_input", p.CachedInput}, {"output", p.Output}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return &Error{Field: f.name, Msg: fmt.Sprintf("%v is not a price", f.v)}
		case f.v < 0:
			return &Error{Field: f.name, Msg: fmt.Sprintf("%v is negative: a price is at least 0", f.v)}
		}
	}
	if math.IsNaN(p.BatchDiscount) || p.BatchDiscount < 0 || p.BatchDiscount >= 1 {
		return &Error{Field: "batch_discount", Msg: fmt.Sprintf("%v: want a fraction from 0 up to, not including, 1 (0.5: half price)", p.BatchDiscount)}
	}
	return nil
}

func checkName(m string) error {
	if strings.TrimSpace(m) == "" || m != strings.TrimSpace(m) {
		return fmt.Errorf("%q is not a model name", m)
	}
	return nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func shorten(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 60 {
		s = s[:59] + "…"
	}
	return s
}
