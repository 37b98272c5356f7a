package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/gateway"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/sim"
)

// Rerunning a batch makes no model call for the items already extracted:
// the response cache, on by default under XDG_CACHE_HOME, answers them.
func TestBatchRerunHitsCache(t *testing.T) {
	srv := newLoopbackSim(t, sim.Config{Seed: 1})
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	in, schemaFile, out := batchFiles(t, threeItems)
	batchRun := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"batch", "--schema", schemaFile, "--in", in, "--out", out, "--base-url", srv.URL + "/v1"}, extra...)
		if _, stderr, code := runCLI(t, env, "", args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	batchRun(out)
	first := len(srv.requests())
	if first < 3 {
		t.Fatalf("first run: %d calls, want at least 3", first)
	}
	for _, r := range records(t, out) {
		if r.Cache != "miss" {
			t.Errorf("first run, item %s: cache %q, want miss", r.ID, r.Cache)
		}
	}
	if _, err := os.Stat(filepath.Join(env["XDG_CACHE_HOME"], "reask", "cache.db")); err != nil {
		t.Fatalf("the cache is not under XDG_CACHE_HOME/reask: %v", err)
	}

	again := filepath.Join(t.TempDir(), "again.jsonl")
	batchRun(again)
	if n := len(srv.requests()); n != first {
		t.Fatalf("the rerun made %d model calls, want 0", n-first)
	}
	for _, r := range records(t, again) {
		if !r.OK || r.Cache != "hit" || r.Calls != 0 || r.CostUSD == nil || *r.CostUSD != 0 {
			t.Errorf("rerun, item %s: ok %v cache %q calls %d cost %v; want a $0 hit without calls", r.ID, r.OK, r.Cache, r.Calls, r.CostUSD)
		}
	}
	stdout, stderr, code := runCLI(t, env, "", "stats", again)
	if code != 0 || !strings.Contains(stdout, "hits / misses") || !strings.Contains(stdout, "3 / 0") {
		t.Errorf("reask stats of the rerun: exit %d\n%s%s", code, stdout, stderr)
	}

	off := filepath.Join(t.TempDir(), "off.jsonl")
	batchRun(off, "--no-cache")
	if n := len(srv.requests()); n < first+3 {
		t.Fatalf("--no-cache: %d model calls, want at least 3", n-first)
	}
	for _, r := range records(t, off) {
		if r.Cache != "" {
			t.Errorf("--no-cache, item %s: cache %q, want none", r.ID, r.Cache)
		}
	}
}

// A cache directory that cannot be created is said on stderr and counted
// in every record; the extractions succeed without it.
func TestBatchUnwritableCache(t *testing.T) {
	srv := newLoopbackSim(t, sim.Config{Seed: 1})
	notDir := writeFile(t, "file", "not a directory")
	in, schemaFile, out := batchFiles(t, threeItems)
	_, stderr, code := runCLI(t, map[string]string{"XDG_CACHE_HOME": notDir}, "", "batch", "--schema", schemaFile,
		"--in", in, "--out", out, "--base-url", srv.URL+"/v1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "going on without the response cache") || !strings.Contains(stderr, notDir) {
		t.Errorf("stderr does not say the cache is off and where: %q", stderr)
	}
	for _, r := range records(t, out) {
		if !r.OK || r.CacheErrors != 2 {
			t.Errorf("item %s: ok %v, cache errors %d; want ok and 2 (read and write)", r.ID, r.OK, r.CacheErrors)
		}
	}
	if _, _, code := runCLI(t, nil, "", "batch", "--schema", schemaFile, "--in", in, "--out", out+"2", "--cache-ttl", "-1s"); code != 1 {
		t.Errorf("--cache-ttl -1s: exit %d, want 1", code)
	}
}

// reask serve: the cache is opt-in (--cache or the file's "cache"), in the
// user's cache directory unless --cache-dir says otherwise.
func TestServeCacheFlags(t *testing.T) {
	base := serveOptions{addr: "127.0.0.1:0", maxBody: 100, upstreamTimeout: time.Second, requestTimeout: time.Minute, maxAttempts: 2,
		jsonObject: string(gateway.JSONObjectRepair), promptSchema: string(gateway.PromptSchemaJSONObject), upstream: "http://127.0.0.1:9/v1"}
	xdg := t.TempDir()
	getenv := func(k string) string { return map[string]string{"XDG_CACHE_HOME": xdg}[k] }
	cfg, err := serveConfig(base, getenv)
	if err != nil || cfg.Cache.On {
		t.Fatalf("without --cache: on %v, err %v; want off", cfg.Cache.On, err)
	}
	o := base
	o.cache = serveCacheFlags{on: true, ttl: time.Hour}
	o.changed = func(name string) bool { return name == "cache" || name == "cache-ttl" }
	cfg, err = serveConfig(o, getenv)
	if err != nil || !cfg.Cache.On || cfg.Cache.Dir != filepath.Join(xdg, "reask") || cfg.Cache.TTL != time.Hour {
		t.Fatalf("--cache --cache-ttl 1h: %+v, %v", cfg.Cache, err)
	}
	if _, err := serveConfig(o, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "--cache-dir") {
		t.Fatalf("--cache without a cache directory or Redis: %v, want an error naming --cache-dir", err)
	}
	file := writeFile(t, "gateway.json", `{"upstreams":[{"name":"u","base_url":"http://127.0.0.1:9/v1"}],"cache":true,"cache_dir":"`+xdg+`","cache_ttl":"2h"}`)
	o = base
	o.upstream, o.configFile = "", file
	cfg, err = serveConfig(o, getenv)
	if err != nil || !cfg.Cache.On || cfg.Cache.Dir != xdg || cfg.Cache.TTL != 2*time.Hour {
		t.Fatalf("the file's cache: %+v, %v", cfg.Cache, err)
	}
}

// reask worker --cache keeps results in the fleet's Redis: the same job
// run again is answered from it, every record a hit without a call.
func TestWorkerCacheInRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := t.TempDir()
	in, schemaPath, _ := jobInput(t, dir, 4, "")
	// The longest Redis timeout: on a busy machine a missed cache read is a
	// miss, which this test would take for a cache that does not work.
	startWorker(t, srv.URL(), "cached", nil, "--cache", "--redis-timeout", "1s")
	for i, want := range []string{"miss", "hit"} {
		name := fmt.Sprintf("c%d", i)
		out := filepath.Join(dir, name+".jsonl")
		if _, stderr, code := runBinary(t, "", "batch", "--job-poll-interval", poll, "--redis", srv.URL(), "--job", name,
			"--schema", schemaPath, "--in", in, "--out", out, "--no-cache"); code != 0 {
			t.Fatalf("job %s: exit %d: %s", name, code, stderr)
		}
		recs := records(t, out)
		if len(recs) != 4 {
			t.Fatalf("job %s: %d records, want 4", name, len(recs))
		}
		for _, r := range recs {
			if !r.OK || r.Cache != want || (want == "hit" && r.Calls != 0) {
				t.Errorf("job %s, item %s: ok %v cache %q calls %d; want %s", name, r.ID, r.OK, r.Cache, r.Calls, want)
			}
		}
	}
}
