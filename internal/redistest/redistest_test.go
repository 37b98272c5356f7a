package redistest

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// A started server answers; killed, its port refuses connections; restarted,
// it answers again on the same port.
func TestStartKillRestart(t *testing.T) {
	s := Start(t)
	if err := s.Ping(); err != nil {
		t.Fatalf("a started server: %v", err)
	}
	port := s.Port
	s.Kill()
	if err := s.Ping(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Ping after Kill: %v, want ErrNotRunning", err)
	}
	if c, err := net.Dial("tcp", s.Addr); err == nil {
		c.Close()
		t.Fatalf("%s accepts connections after Kill", s.Addr)
	}
	s.Kill() // a second Kill does nothing
	s.Restart()
	if s.Port != port {
		t.Fatalf("restarted on port %d, want %d", s.Port, port)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("a restarted server: %v", err)
	}
	if !strings.HasPrefix(s.URL(), "redis://127.0.0.1:") {
		t.Errorf("URL %q", s.URL())
	}
}

// Extra arguments reach the server: one that needs a password still
// answers PING (with NOAUTH), which is enough to be up.
func TestStartWithArgs(t *testing.T) {
	s := Start(t, "--requirepass", "s3cret")
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
}

// Two servers of one test get different ports.
func TestTwoServers(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Port == b.Port {
		t.Fatalf("both on port %d", a.Port)
	}
}

// A missing redis-server skips the test with a line saying how to install
// it, unless REASK_REQUIRE_REDIS is set, which makes it a failure.
func TestMissing(t *testing.T) {
	for _, tt := range []struct {
		require string
		skip    bool
		says    string
	}{
		{"", true, "skipping"},
		{"0", true, "skipping"},
		{"1", false, "must run"},
	} {
		skip, msg := missing(tt.require)
		if skip != tt.skip || !strings.Contains(msg, tt.says) || !strings.Contains(msg, "apt-get install -y redis-server") {
			t.Errorf("missing(%q) = %v, %q; want skip %v and %q", tt.require, skip, msg, tt.skip, tt.says)
		}
	}
}

// A paused server accepts connections but does not answer; resumed, it
// answers again.
func TestPauseResume(t *testing.T) {
	s := Start(t)
	s.Pause()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	var buf [16]byte
	if n, err := c.Read(buf[:]); err == nil {
		t.Fatalf("a paused server answered %q", buf[:n])
	}
	s.Resume()
	if err := s.Ping(); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
}
