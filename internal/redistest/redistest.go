// Package redistest runs a real redis-server for tests: each Start launches
// one on a free loopback port, with its own directory and no persistence,
// and stops it when the test ends. Kill and Restart stop and start it again
// on the same port, and Pause and Resume freeze it, for tests of a Redis
// outage. There is no fake: the tests
// of shared state must meet Redis's real semantics (scripts, TTLs, a
// restart that loses everything).
//
// Without a redis-server on PATH the test skips, saying how to install it
// (scripts/install-test-tools does); with REASK_REQUIRE_REDIS=1, which CI
// sets, it fails instead.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is the program Start runs, looked up on PATH.
const Binary = "redis-server"

// RequireEnv is the environment variable that turns a missing redis-server
// from a skip into a failure.
const RequireEnv = "REASK_REQUIRE_REDIS"

// StartTimeout bounds how long Start and Restart wait for the server to
// answer PING.
const StartTimeout = 10 * time.Second

// pollInterval is the pause between two PINGs while the server starts.
const pollInterval = 5 * time.Millisecond

// Server is one redis-server process of a test. Its methods must be called
// from the test's goroutine (or one at a time).
type Server struct {
	// Addr is the server's host:port on the loopback interface.
	Addr string
	// Port is its port, the same across Restart.
	Port int

	t    testing.TB
	bin  string
	dir  string
	args []string // extra arguments, after the defaults

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	runs   int
}

// Start runs a redis-server on a free loopback port and waits until it
// answers PING; the server is killed when the test ends. args are passed
// after the defaults (--port, --bind 127.0.0.1, --save "", --appendonly
// no, --dir of a temporary directory), so a test can add, for example,
// "--requirepass", "secret". Start skips the test when redis-server is not
// installed, or fails it when REASK_REQUIRE_REDIS=1.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		skip, msg := missing(os.Getenv(RequireEnv))
		if skip {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(s.Kill)
	// A port found free may be taken before redis-server binds it: try
	// another a few times.
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: finding a free loopback port: %v", err)
		}
		s.Port, s.Addr = port, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if last = s.start(); last == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// missing returns what to do when redis-server is not on PATH: skip, unless
// require (RequireEnv's value) is set and not "0", and the line to say.
func missing(require string) (skip bool, msg string) {
	const how = "redis-server is not installed (Debian: apt-get install -y redis-server; scripts/install-test-tools does it)"
	if require != "" && require != "0" {
		return false, how + ", and " + RequireEnv + " is set: the Redis tests must run"
	}
	return true, how + ": skipping the Redis test (" + RequireEnv + "=1 makes this a failure)"
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the server's address as a redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// start launches the process and waits for its PONG.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs++
	logPath := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	args := append([]string{
		"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	deadline := time.Now().Add(StartTimeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if ping(s.Addr) == nil {
			return nil
		}
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("%s on port %d exited before answering PING:\n%s", s.bin, s.Port, readLog(logPath))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			s.cmd = nil
			return fmt.Errorf("%s on port %d did not answer PING within %s:\n%s", s.bin, s.Port, StartTimeout, readLog(logPath))
		}
	}
}

func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

// ping sends PING and reads one reply line: any reply, +PONG or an error
// such as -NOAUTH, means the server is up.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "-") {
		return fmt.Errorf("unexpected reply %q to PING", line)
	}
	return nil
}

// Kill stops the server at once (SIGKILL), as a crash would, and waits for
// it to exit. Everything it held is lost. Kill does nothing when the server
// is not running; it also ends a paused one.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Process.Signal(syscall.SIGCONT)
	<-s.exited
	s.cmd = nil
}

// Pause freezes the server (SIGSTOP): connections are still accepted by
// the kernel, but nothing answers, as with a Redis stuck on a slow command
// or an overloaded host. Resume lets it go on.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatalf("redistest: %v to a server that is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redistest: %v: %v", sig, err)
	}
}

// Restart starts the server again on the same port, empty, and waits until
// it answers PING; it kills it first if it is running.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restarting: %v", err)
	}
}

// Running reports whether the server process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// ErrNotRunning is returned by Ping when the server is not running.
var ErrNotRunning = errors.New("redistest: server not running")

// Ping sends PING to the server and reports whether it answered.
func (s *Server) Ping() error {
	if !s.Running() {
		return ErrNotRunning
	}
	return ping(s.Addr)
}
