package reask_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
)

// failing is a provider whose every call fails with err, as one written
// outside reask might, classifying its errors or not.
type failing struct {
	err   error
	calls atomic.Int32
}

func (p *failing) Complete(context.Context, *reask.Request) (*reask.Response, error) {
	p.calls.Add(1)
	return nil, p.err
}

func (p *failing) Name() string { return "failing" }

// TestProviderErrorKinds: reask classifies a *ProviderError by the Kind its
// provider set, else by the HTTP status alone; a provider's code or type
// means nothing to it (issue 14). The kind decides whether it retries.
func TestProviderErrorKinds(t *testing.T) {
	tests := []struct {
		name string
		pe   reask.ProviderError
		want reask.Kind
	}{
		{"an insufficient_quota code without a kind is a 429", reask.ProviderError{StatusCode: 429, Type: "insufficient_quota", Code: "insufficient_quota"}, reask.KindRateLimit},
		{"a context_length_exceeded code without a kind is a 400", reask.ProviderError{StatusCode: 400, Type: "invalid_request_error", Code: "context_length_exceeded"}, reask.KindBadRequest},
		{"an overloaded type without a kind is a 429", reask.ProviderError{StatusCode: 429, Type: "overloaded_error"}, reask.KindRateLimit},
		{"the provider's quota kind on a 429", reask.ProviderError{StatusCode: 429, Kind: reask.KindQuota}, reask.KindQuota},
		{"the provider's bad request kind on a 429", reask.ProviderError{StatusCode: 429, Kind: reask.KindBadRequest}, reask.KindBadRequest},
		{"the provider's server kind on a 400", reask.ProviderError{StatusCode: 400, Kind: reask.KindServer}, reask.KindServer},
		{"401", reask.ProviderError{StatusCode: 401}, reask.KindAuth},
		{"403", reask.ProviderError{StatusCode: 403}, reask.KindAuth},
		{"404", reask.ProviderError{StatusCode: 404}, reask.KindBadRequest},
		{"408", reask.ProviderError{StatusCode: 408}, reask.KindServer},
		{"409", reask.ProviderError{StatusCode: 409}, reask.KindServer},
		{"413", reask.ProviderError{StatusCode: 413}, reask.KindBadRequest},
		{"422", reask.ProviderError{StatusCode: 422}, reask.KindBadRequest},
		{"500", reask.ProviderError{StatusCode: 500}, reask.KindServer},
		{"501", reask.ProviderError{StatusCode: 501}, reask.KindBadRequest},
		{"503", reask.ProviderError{StatusCode: 503}, reask.KindServer},
		{"505", reask.ProviderError{StatusCode: 505}, reask.KindBadRequest},
		{"529", reask.ProviderError{StatusCode: 529}, reask.KindServer},
		{"302", reask.ProviderError{StatusCode: 302}, reask.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reask.StatusKind(tt.pe.StatusCode); tt.pe.Kind == "" && got != tt.want {
				t.Errorf("StatusKind(%d) = %s, want %s", tt.pe.StatusCode, got, tt.want)
			}
			pe := tt.pe
			pe.Provider = "failing"
			p := &failing{err: &pe}
			c := reasktest.NewClient(t, p, reask.Config{Clock: clock.NewFake(start), Random: func() float64 { return 0.5 }})
			_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
			var got *reask.ProviderError
			if !errors.As(err, &got) || got != &pe {
				t.Fatalf("error %v (%T), want the provider's *ProviderError", err, err)
			}
			if len(rep.Records) == 0 || len(rep.Records[0].Calls) == 0 {
				t.Fatalf("no call recorded: %+v", rep)
			}
			if k := rep.Records[0].Calls[0].Outcome; k != tt.want {
				t.Errorf("call outcome %s, want %s", k, tt.want)
			}
			calls := p.calls.Load()
			if tt.want.Retryable() && calls < 2 {
				t.Errorf("%d call(s): a %s is retried", calls, tt.want)
			}
			if !tt.want.Retryable() && calls != 1 {
				t.Errorf("%d calls: a %s is not retried", calls, tt.want)
			}
		})
	}
}

// TestRequestTooLargeIsNotRetried: OpenAI's 429 "Request too large" says
// one request needs more tokens than the per-minute limit holds; no wait
// lets it through, so it stops at once as a bad request instead of
// spending the retries (and the Retry-After) on it (issue 14).
func TestRequestTooLargeIsNotRetried(t *testing.T) {
	body := apiError("tokens", "rate_limit_exceeded", "Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Requested 45000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.")
	f := newFixture(t, []step{{status: 429, header: map[string]string{"Retry-After": "2"}, body: body}}, reask.Config{})
	_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
	if providerStatus(err) != 429 {
		t.Fatalf("error %v, want the 429", err)
	}
	if n := f.script.calls(); n != 1 {
		t.Errorf("server saw %d calls, want 1", n)
	}
	if rep.Outcome != reask.KindBadRequest || rep.Records[0].Calls[0].Outcome != reask.KindBadRequest {
		t.Errorf("outcome %s / %s, want %s", rep.Outcome, rep.Records[0].Calls[0].Outcome, reask.KindBadRequest)
	}
	if sl := f.clock.Sleeps(); len(sl) != 0 {
		t.Errorf("slept %v, want no wait", sl)
	}
}

// providerWords are error codes, types and phrases of providers' APIs.
// The root package matches none of them: each provider package classifies
// its own errors (issue 14).
var providerWords = []string{
	"insufficient_quota", "rate_limit_exceeded", "context_length_exceeded", "overloaded",
	"invalid_api_key", "model_not_found", "rate_limit_error", "billing_error", "credit balance",
	"prompt is too long", "request too large", "resource_exhausted",
}

// TestRootKnowsNoProviderStrings reads the root package's source: no string
// literal in it holds a provider's error code or phrase.
func TestRootKnowsNoProviderStrings(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) < 10 {
		t.Fatalf("found %d source files of the root package, want them all", len(files))
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s := strings.ToLower(lit.Value)
			for _, w := range providerWords {
				if strings.Contains(s, w) {
					t.Errorf("%s: %s holds the provider string %q", fset.Position(lit.Pos()), lit.Value, w)
				}
			}
			return true
		})
	}
}
