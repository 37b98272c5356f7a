package sim

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/sim/fault"
)

func TestBuiltinProfiles(t *testing.T) {
	for _, name := range ProfileNames() {
		p, err := BuiltinProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p.Name != name {
			t.Errorf("name %q", p.Name)
		}
	}
	if _, err := BuiltinProfile("chaos"); !errors.Is(err, ErrProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestFlakyFaultShare: about a quarter to a third of the flaky profile's
// first answers carry a content fault.
func TestFlakyFaultShare(t *testing.T) {
	p, _ := BuiltinProfile("flaky")
	p.Transport, p.Latency = Transport{}, Latency{}
	_, ts := newTest(t, Config{Seed: 11, Profile: p})
	faulty := 0
	const n = 400
	for i := range n {
		req := chatBody("gpt-4o-mini", []msg{{"role": "user", "content": "Extract the account as JSON.\nSchema: " + accountSchema + "\nText: " + accountText + " Ref " + string(rune('a'+i%26)) + string(rune('a'+i/26))}},
			"temperature", 0, "response_format", msg{"type": "json_object"})
		c := decodeCompletion(t, post(t, ts, "/v1/chat/completions", req))
		if c.content() != prettyAccount {
			faulty++
		}
	}
	share := float64(faulty) / n
	if share < 0.2 || share > 0.38 {
		t.Errorf("flaky: %.2f of first answers faulty", share)
	}
}

const prettyAccount = "{\n  \"name\": \"John Doe\",\n  \"age\": 30,\n  \"plan\": \"pro\",\n  \"active\": true,\n  \"address\": {\n    \"city\": \"Boston\",\n    \"zip\": \"02118\"\n  }\n}"

func TestLoadProfile(t *testing.T) {
	p, err := LoadProfile("testdata/flaky-fast.json")
	if err != nil {
		t.Fatal(err)
	}
	flaky, _ := BuiltinProfile("flaky")
	if p.Name != "flaky-fast" || p.Faults[fault.MissingField] != 0.2 || p.Faults[fault.Truncated] != 0 || p.Faults[fault.Fence] != flaky.Faults[fault.Fence] {
		t.Errorf("faults %v", p.Faults)
	}
	if p.Latency.Median != 0 || p.Transport.Drop != 0 || p.Transport.ServerError != flaky.Transport.ServerError || p.RPM != 600 {
		t.Errorf("profile %+v", p)
	}
	if len(p.Outages) != 1 || time.Duration(p.Outages[0].Duration) != 10*time.Second {
		t.Errorf("outages %+v", p.Outages)
	}
	if flaky2, _ := BuiltinProfile("flaky"); flaky2.Faults[fault.MissingField] != 0.04 {
		t.Error("loading a profile changed the built-in")
	}
	if _, err := LoadProfile("testdata/missing.json"); !errors.Is(err, ErrProfile) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseProfileErrors(t *testing.T) {
	tests := []struct {
		name, doc, field string
	}{
		{"unknown field", `{"fautls": {}}`, "fautls"},
		{"unknown nested field", `{"transport": {"drops": 0.1}}`, "drops"},
		{"unknown fault", `{"faults": {"fences": 0.1}}`, "faults.fences"},
		{"rate above 1", `{"faults": {"fence": 1.5}}`, "faults.fence"},
		{"negative rate", `{"transport": {"server_error": -0.1}}`, "transport.server_error"},
		{"transport sum", `{"transport": {"server_error": 0.6, "drop": 0.6}}`, "transport"},
		{"negative duration", `{"latency": {"median": "-5ms"}}`, "latency.median"},
		{"bad duration", `{"latency": {"p99": "fast"}}`, "latency.p99"},
		{"number duration", `{"stream": {"slow_delay": 50}}`, "stream.slow_delay"},
		{"bad outage", `{"outages": [{"start": "1m", "duration": "soon"}]}`, "outages[0].duration"},
		{"outage every", `{"outages": [{"start": "1m", "duration": "2m", "every": "1m"}]}`, "outages[0].every"},
		{"wrong type", `{"rpm": "many"}`, "rpm"},
		{"negative rpm", `{"rpm": -1}`, "rpm"},
		{"bad base", `{"base": "chaos"}`, "base"},
		{"rate as string", `{"feedback": {"fix_specific": "high"}}`, "feedback.fix_specific"},
		{"batch failed lines", `{"batch": {"failed_lines": 1.5}}`, "batch.failed_lines"},
		{"batch expire", `{"batch": {"expire": -0.1}}`, "batch.expire"},
		{"batch negative duration", `{"batch": {"in_progress": "-1s"}}`, "batch.in_progress"},
		{"batch bad duration", `{"batch": {"cancelling": "soon"}}`, "batch.cancelling"},
		{"batch negative limit", `{"batch": {"max_lines": -1}}`, "batch.max_lines"},
		{"batch unknown field", `{"batch": {"validate": "1s"}}`, "validate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(tt.doc))
			var pe *ProfileError
			if !errors.As(err, &pe) || !errors.Is(err, ErrProfile) {
				t.Fatalf("error %v, want a ProfileError", err)
			}
			if pe.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", pe.Field, tt.field, err)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{RPM: -1}); !errors.Is(err, ErrConfig) {
		t.Errorf("negative RPM: %v", err)
	}
	if _, err := New(Config{Profile: Profile{Faults: map[fault.Kind]float64{"fence": 2}}}); !errors.Is(err, ErrProfile) {
		t.Errorf("bad profile: %v", err)
	}
}

func TestResolveProfile(t *testing.T) {
	if p, err := ResolveProfile("hostile"); err != nil || p.Name != "hostile" {
		t.Errorf("hostile: %v %v", p.Name, err)
	}
	if p, err := ResolveProfile("testdata/flaky-fast.json"); err != nil || p.Name != "flaky-fast" {
		t.Errorf("file: %v %v", p.Name, err)
	}
	if _, err := ResolveProfile("nope"); !errors.Is(err, ErrProfile) {
		t.Errorf("nope: %v", err)
	}
}

// TestProfileDocNamesEveryFault: Profile's doc comment, which is what a
// profile file's author reads, names every fault kind.
func TestProfileDocNamesEveryFault(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "profile.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE && g.Specs[0].(*ast.TypeSpec).Name.Name == "Profile" {
			doc = g.Doc.Text()
		}
	}
	doc = strings.Join(strings.Fields(doc), " ")
	for _, k := range fault.Kinds() {
		if !strings.Contains(doc, " "+string(k)+",") && !strings.Contains(doc, " "+string(k)+".") {
			t.Errorf("Profile's doc does not name fault kind %s", k)
		}
	}
}

// TestProfileBatchSection: a profile's batch section is read, its zero
// fields take the documented defaults, and a base's batch rates are kept
// unless replaced.
func TestProfileBatchSection(t *testing.T) {
	p, err := ParseProfile([]byte(`{"base": "flaky", "batch": {"in_progress": "30s", "max_lines": 10}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Batch.withDefaults()
	want := BatchAPI{Validating: Duration(DefaultBatchValidating), InProgress: Duration(30 * time.Second),
		Finalizing: Duration(DefaultBatchFinalizing), Cancelling: Duration(DefaultBatchCancelling),
		FailedLines: 0.01, Expire: 0.02, MaxLines: 10, MaxFileBytes: 200 << 20, MaxRequests: 100_000, MaxRequestBytes: 256 << 20}
	if got != want {
		t.Errorf("batch section %+v, want %+v", got, want)
	}
	clean, _ := BuiltinProfile("clean")
	if d := clean.Batch.withDefaults(); d.FailedLines != 0 || d.Expire != 0 || time.Duration(d.Validating+d.InProgress+d.Finalizing) != 3*time.Second {
		t.Errorf("clean batches %+v", d)
	}
}
