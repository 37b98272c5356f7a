package reask_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
)

// dnsFailing is an OpenAI provider whose every connection fails in the DNS
// lookup with dnsErr, as Go's resolver reports it, without asking the
// machine's resolver; dials counts the connections tried.
func dnsFailing(clk clock.Clock, name string, dnsErr *net.DNSError, dials *int) reask.Provider {
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		*dials++
		return nil, &net.OpError{Op: "dial", Net: network, Err: dnsErr}
	}}
	return openai.NewProvider(openai.Config{BaseURL: "http://" + dnsErr.Name + "/v1", APIKey: "sk-test-secret", Model: "test-model",
		Name: name, HTTPClient: &http.Client{Transport: tr}, Clock: clk})
}

// A host name that does not exist fails the call at once, naming the host,
// and moves to the next provider; a DNS failure that may pass (a timeout,
// SERVFAIL) is retried like a dropped connection.
func TestHostNotFoundIsNotRetried(t *testing.T) {
	const host = "api.example.invalid" // RFC 2606: never resolves
	tests := []struct {
		name    string
		dnsErr  *net.DNSError
		kind    reask.Kind
		calls   int
		inError string
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: host, Server: "10.0.0.53:53", IsNotFound: true},
			reask.KindHostNotFound, 1, `host "api.example.invalid" not found, check the base URL`},
		{"server failure", &net.DNSError{Err: "server misbehaving", Name: host, Server: "10.0.0.53:53", IsTemporary: true},
			reask.KindConnection, 1 + reask.DefaultMaxTransportRetries, "giving up after 5 transport retries"},
		{"lookup timeout", &net.DNSError{Err: "i/o timeout", Name: host, Server: "10.0.0.53:53", IsTimeout: true},
			reask.KindTimeout, 1 + reask.DefaultMaxTransportRetries, "giving up after 5 transport retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(start)
			dials := 0
			c := reasktest.NewClient(t, dnsFailing(clk, "openai/test-model", tt.dnsErr, &dials), reask.Config{Clock: clk, Random: func() float64 { return 0.5 }, Backoff: backoff.Policy{Base: time.Second, Max: time.Minute}})
			_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
			var de *net.DNSError
			if !errors.As(err, &de) || de.Name != host {
				t.Fatalf("error %v, want it to wrap the *net.DNSError for %s", err, host)
			}
			if !strings.Contains(err.Error(), tt.inError) {
				t.Errorf("error %q lacks %q", err, tt.inError)
			}
			if rep.Calls != tt.calls || dials != tt.calls {
				t.Errorf("%d calls, %d dials; want %d", rep.Calls, dials, tt.calls)
			}
			if rep.Outcome != tt.kind {
				t.Errorf("outcome %s, want %s", rep.Outcome, tt.kind)
			}
			if tt.kind == reask.KindHostNotFound && len(clk.Sleeps()) != 0 {
				t.Errorf("slept %v before giving up on a host that does not exist", clk.Sleeps())
			}
		})
	}

	t.Run("falls back at once", func(t *testing.T) {
		clk := clock.NewFake(start)
		dials := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, completion(johnJSON, "", false))
		}))
		t.Cleanup(srv.Close)
		backup := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "backup-model", Name: "backup", Clock: clk})
		dnsErr := &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		c := reasktest.NewClient(t, dnsFailing(clk, "primary", dnsErr, &dials), reask.Config{Clock: clk, Fallbacks: []reask.Provider{backup}})
		got, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
		if err != nil || got.Name != "John Doe" {
			t.Fatalf("got %+v, %v", got, err)
		}
		if k := callOutcomes(rep); !slices.Equal(k, []reask.Kind{reask.KindHostNotFound, reask.KindOK}) || dials != 1 {
			t.Errorf("call outcomes %v after %d dial(s), want [host_not_found ok] after 1", k, dials)
		}
		if len(rep.Switches) != 1 || rep.Switches[0].Reason != string(reask.KindHostNotFound) {
			t.Errorf("switches %+v, want one to the backup for host_not_found", rep.Switches)
		}
	})
}
