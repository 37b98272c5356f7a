package disk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask/cache/disk"
	"github.com/reask/reask/clock"
)

func open(t *testing.T, cfg disk.Config) (*disk.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "cache.db")
	s, err := disk.Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestGetPut(t *testing.T) {
	s, _ := open(t, disk.Config{})
	ctx := t.Context()
	if _, ok, err := s.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("empty store: ok %v err %v", ok, err)
	}
	if err := s.Put(ctx, "k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.Get(ctx, "k")
	if !ok || err != nil || string(v) != "v2" {
		t.Fatalf("Get = %q %v %v, want v2", v, ok, err)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
}

func TestTTL(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, _ := open(t, disk.Config{TTL: time.Hour, Clock: clk})
	ctx := t.Context()
	if err := s.Put(ctx, "old", []byte("x")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Minute)
	if _, ok, _ := s.Get(ctx, "old"); !ok {
		t.Fatal("an entry younger than the TTL missed")
	}
	clk.Advance(time.Minute)
	if _, ok, _ := s.Get(ctx, "old"); ok {
		t.Fatal("an entry as old as the TTL was served")
	}
	if err := s.Put(ctx, "new", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d after a Put past the TTL, want 1 (the expired entry removed)", s.Len())
	}
}

func TestMaxBytesEvictsOldest(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, _ := open(t, disk.Config{MaxBytes: 10, MaxEntryBytes: 8, Clock: clk})
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Put(ctx, k, []byte("1234")); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if _, ok, _ := s.Get(ctx, "a"); ok {
		t.Error("the oldest entry was kept past MaxBytes")
	}
	for _, k := range []string{"b", "c"} {
		if _, ok, _ := s.Get(ctx, k); !ok {
			t.Errorf("entry %s was removed, want it kept", k)
		}
	}
	if err := s.Put(ctx, "big", []byte("123456789")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, "big"); ok {
		t.Error("a value over MaxEntryBytes was stored")
	}
}

func TestOpenUnwritable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	path := filepath.Join(dir, "reask", "cache.db")
	_, err := disk.Open(path, disk.Config{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open in a read-only directory: %v, want an error naming %s", err, path)
	}
}

func TestReopenKeeps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := disk.Open(path, disk.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = disk.Open(path, disk.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, _ := s.Get(t.Context(), "k"); !ok || string(v) != "v" {
		t.Fatalf("after reopening: %q %v", v, ok)
	}
}

// A file another holder has open is an error naming it once OpenTimeout
// has passed, so that a second process goes on without the cache.
func TestOpenHeld(t *testing.T) {
	_, path := open(t, disk.Config{})
	_, err := disk.Open(path, disk.Config{OpenTimeout: 20 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "held by another process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a held file: %v, want an error saying it is held, naming %s", err, path)
	}
}
