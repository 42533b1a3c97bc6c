// Package proctest watches processes from a test: it starts a command in
// an environment of its own, collects its output while it runs, waits for
// its end within a timeout, and reads what it left in files. Its sh
// scripts are commands for secret-exec to supervise, so that the tests of
// cmd/secret-exec and those of the built binary in integration check the
// same things.
//
// It is imported only by tests.
package proctest

import (
	"bytes"
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

// Buffer is a buffer that a process writes while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Proc is a running process that the test watches while it lasts.
type Proc struct {
	// Cmd is the started command.
	Cmd *exec.Cmd
	// Stdout and Stderr hold what the process wrote so far.
	Stdout, Stderr Buffer

	t       *testing.T
	timeout time.Duration
	done    chan struct{}
}

// Start starts the named program with args in exactly env, never the
// test's own environment. Wait gives the process timeout to end. The
// process is killed at the end of the test if it still runs.
func Start(t *testing.T, timeout time.Duration, env []string, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, timeout: timeout, done: make(chan struct{})}
	p.Cmd = exec.Command(name, args...)
	p.Cmd.Env = append([]string{}, env...) // never nil: nil would inherit
	p.Cmd.Stdout, p.Cmd.Stderr = &p.Stdout, &p.Stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Cmd.Process.Kill()
		<-p.done
	})
	return p
}

// Wait returns the exit status of the process, which must end within the
// timeout given to Start.
func (p *Proc) Wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(p.timeout):
		p.t.Fatalf("no end within %v\nstderr: %s", p.timeout, p.Stderr.String())
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// ExpectStatus waits for the end of the process and checks its exit
// status, and that its stderr is exactly stderr.
func (p *Proc) ExpectStatus(status int, stderr string) {
	p.t.Helper()
	if got := p.Wait(); got != status {
		p.t.Errorf("exit status %d, want %d\nstderr: %s", got, status, p.Stderr.String())
	}
	if got := p.Stderr.String(); got != stderr {
		p.t.Errorf("stderr:\n%s\nwant:\n%s", got, stderr)
	}
}

// Poll calls cond every few milliseconds until it holds or timeout has
// passed, and reports whether it held.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Lines returns the lines of a file that a command writes, none if it
// does not exist yet.
func Lines(path string) []string {
	b, _ := os.ReadFile(path)
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Child finds a child of pid in /proc, and reports whether there was one.
// It is meant for a pid with a single child, such as unshare --fork.
func Child(pid int) (int, bool) {
	parent := strconv.Itoa(pid)
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, _ := os.ReadFile(path)
		_, rest, _ := bytes.Cut(b, []byte(") "))
		if f := strings.Fields(string(rest)); len(f) > 1 && f[1] == parent {
			child, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			return child, err == nil
		}
	}
	return 0, false
}
