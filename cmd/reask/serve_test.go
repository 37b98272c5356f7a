package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/gateway"
)

func TestServeConfig(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"REASK_UPSTREAM_API_KEY": "sk-up", "REASK_CLIENT_KEYS": " k2 , ,k3"}[k]
	}
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2}
	o := base
	o.upstream, o.models, o.clientKeys, o.mode = "http://127.0.0.1:9/v1", []string{"m1", "m2"}, []string{"k1"}, "tools"
	cfg, err := serveConfig(o, env)
	if err != nil {
		t.Fatal(err)
	}
	u := cfg.Upstreams[0]
	if u.BaseURL != o.upstream || u.APIKey != "sk-up" || len(u.Models) != 2 || cfg.DefaultModel != "m1" {
		t.Errorf("upstream %+v default %q", u, cfg.DefaultModel)
	}
	if len(cfg.ClientKeys) != 3 || cfg.ClientKeys[0] != "k1" || cfg.ClientKeys[2] != "k3" {
		t.Errorf("client keys %v", cfg.ClientKeys)
	}
	if cfg.MaxBodyBytes != 100 || cfg.UpstreamTimeout != time.Second || cfg.MaxAttempts != 2 || cfg.Mode != reask.ModeTools {
		t.Errorf("config %+v", cfg)
	}

	// A file's values stand unless a flag is set.
	file := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1","api_key_env":"A_KEY"}],"max_attempts":5,"max_body_bytes":7}`), 0o600)
	o = base
	o.configFile = file
	o.changed = func(name string) bool { return name == "max-body" }
	cfg, err = serveConfig(o, func(k string) string { return map[string]string{"A_KEY": "sk-a"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxAttempts != 5 || cfg.MaxBodyBytes != 100 || cfg.Upstreams[0].APIKey != "sk-a" || cfg.RequestTimeout != time.Minute {
		t.Errorf("config %+v", cfg)
	}

	for _, tc := range []struct {
		name string
		mod  func(*serveOptions)
		want string
	}{
		{"no upstream", func(o *serveOptions) {}, "no upstream"},
		{"both", func(o *serveOptions) { o.upstream, o.configFile = "http://x/v1", file }, "drop --upstream"},
		{"bad url", func(o *serveOptions) { o.upstream = "localhost:9090" }, "base_url"},
		{"bad body", func(o *serveOptions) { o.upstream, o.maxBody = "http://x/v1", 0 }, "--max-body"},
		{"bad attempts", func(o *serveOptions) { o.upstream, o.maxAttempts = "http://x/v1", 0 }, "--max-attempts"},
		{"bad mode", func(o *serveOptions) { o.upstream, o.mode = "http://x/v1", "xml" }, "--mode"},
		{"bad timeout", func(o *serveOptions) { o.upstream, o.upstreamTimeout = "http://x/v1", -time.Second }, "--upstream-timeout"},
		{"bad file", func(o *serveOptions) { o.configFile = filepath.Join(t.TempDir(), "none.json") }, "--config"},
	} {
		o := base
		tc.mod(&o)
		if _, err := serveConfig(o, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestServeAllowFlags: --allow-host and --allow-origin add to the file's
// allowed_hosts and allowed_origins, and a bad value is refused by name.
func TestServeAllowFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(file, []byte(`{"upstreams":[{"name":"a","base_url":"http://127.0.0.1:9/v1"}],"allowed_hosts":["proxy.internal"]}`), 0o600)
	o := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		configFile: file, allowHosts: []string{"gw.example"}, allowOrigins: []string{"https://app.example"}}
	cfg, err := serveConfig(o, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.AllowedHosts, []string{"proxy.internal", "gw.example"}) || !slices.Equal(cfg.AllowedOrigins, []string{"https://app.example"}) {
		t.Errorf("allowed hosts %v, origins %v", cfg.AllowedHosts, cfg.AllowedOrigins)
	}
	o = serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		upstream: "http://127.0.0.1:9/v1", allowOrigins: []string{"app.example"}}
	if _, err := serveConfig(o, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "allowed_origins[0]") || !strings.Contains(err.Error(), "--allow-origin") {
		t.Errorf("a bad --allow-origin: %v", err)
	}
}

func TestCheckExposure(t *testing.T) {
	for _, tc := range []struct {
		addr string
		keys int
		ok   bool
	}{
		{"127.0.0.1:8080", 0, true},
		{"localhost:8080", 0, true},
		{"[::1]:8080", 0, true},
		{"127.1.2.3:8080", 0, true},
		{"0.0.0.0:8080", 0, false},
		{":8080", 0, false},
		{"[::]:8080", 0, false},
		{"192.0.2.1:8080", 0, false},
		{"gateway.example:8080", 0, false},
		{"0.0.0.0:8080", 1, true},
		{"8080", 1, false},
	} {
		err := checkExposure(tc.addr, tc.keys)
		if (err == nil) != tc.ok {
			t.Errorf("%s with %d keys: %v", tc.addr, tc.keys, err)
		}
	}
}

func TestServeRefusesAnOpenAddressWithoutKeys(t *testing.T) {
	var stderr bytes.Buffer
	code := runWithEnv(t.Context(), []string{"serve", "--addr", "0.0.0.0:0", "--upstream", "http://127.0.0.1:9/v1"},
		strings.NewReader(""), io.Discard, &stderr, func(string) string { return "" })
	if code != 1 || !strings.Contains(stderr.String(), "refusing to listen") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeShutsDownGracefully(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	var gotKey string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("Authorization")
		close(arrived)
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	}))
	defer up.Close()

	stderr := &syncBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		getenv: func(k string) string { return map[string]string{"REASK_UPSTREAM_API_KEY": "sk-up"}[k] }}
	o := serveOptions{addr: "127.0.0.1:0", upstream: up.URL + "/v1", clientKeys: []string{"ck"}, maxBody: gateway.DefaultMaxBodyBytes,
		upstreamTimeout: time.Minute, requestTimeout: time.Minute, maxAttempts: 1, grace: time.Minute}
	ctx, stop := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, o, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, stderr)
	}

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer ck")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-arrived // the request is in flight upstream
	stop()    // SIGTERM
	// The listener closes at once; the request in flight is not cut.
	waitRefused(t, addr)
	close(release)
	r := <-res
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"hi"`) {
		t.Errorf("in-flight request: %+v", r)
	}
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if gotKey != "Bearer sk-up" {
		t.Errorf("upstream key %q", gotKey)
	}
	if s := stderr.String(); !strings.Contains(s, "gateway on http://"+addr) || !strings.Contains(s, "stopped") || strings.Contains(s, "sk-up") {
		t.Errorf("stderr: %s", s)
	}
}

// waitRefused waits until addr refuses connections (Shutdown closes the
// listener right away, but in its own goroutine).
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the listener is still open after shutdown began")
}
