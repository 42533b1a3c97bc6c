package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCommandStatus checks the statuses of a command that cannot be run,
// whether or not there were secrets to resolve first.
func TestCommandStatus(t *testing.T) {
	t.Parallel()
	name := unique("/app/exec")
	putParameter(t, name, "exec-value-61")
	// A script without execute permission, found by path or in PATH.
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("#!/bin/sh\necho ran\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		argv   []string
		status int
		stderr string
	}{
		{"not found", childPath, []string{"no-such-command-xyz"}, 127,
			"secret-exec: no-such-command-xyz: not found in PATH\n"},
		{"no such path", childPath, []string{"/nonexistent/command"}, 127,
			"secret-exec: /nonexistent/command: not found\n"},
		{"not executable", childPath, []string{notes}, 126,
			"secret-exec: " + notes + ": cannot execute: permission denied\n"},
		{"not executable in PATH", dir + ":" + childPath, []string{"notes.txt"}, 126,
			"secret-exec: notes.txt: cannot execute: exec " + notes + ": permission denied\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			argv := append([]string{"--"}, c.argv...)
			r := run(t, bareEnvironment(c.path), argv...)
			expect(t, r, c.status, "", c.stderr)
		})
		t.Run(c.name+" after secrets", func(t *testing.T) {
			argv := append([]string{"--"}, c.argv...)
			env := awsEnv(t, "X=ssm://"+name)
			env = append(without(env, "PATH"), "PATH="+c.path)
			r := run(t, env, argv...)
			expect(t, r, c.status, "", c.stderr)
		})
	}
}

// TestNoMappings runs the command at once when there is nothing to
// resolve: no AWS setting is needed and no connection is made.
func TestNoMappings(t *testing.T) {
	t.Parallel()
	bare := bareEnvironment(childPath)
	r := run(t, bare, "--", "sh", "-c", "exit 7")
	expect(t, r, 7, "", "")

	r = run(t, bare, "--", "env")
	expect(t, r, 0, environLines(bare), "")

	empty := writeFile(t, "empty.yml", "# no secrets yet\n")
	r = run(t, append(bare, "SECRET_EXEC_SECRETS_FILE="+empty), "--", "env")
	expect(t, r, 0, environLines(bare), "")

	// Even with an endpoint and an empty mapping text, nothing is asked.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	env := []string{
		"PATH=" + childPath,
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=http://" + l.Addr().String(),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://" + l.Addr().String(),
		"SECRET_EXEC_SECRETS=",
		"PLAIN=value",
	}
	r = run(t, env, "--", "printenv", "PLAIN")
	expect(t, r, 0, "value\n", "")
	if n := conns.Load(); n != 0 {
		t.Errorf("secret-exec made %d connections with nothing to resolve", n)
	}
}

// TestUsage checks that mistakes in the settings give status 2 and run
// nothing.
func TestUsage(t *testing.T) {
	t.Parallel()
	r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS=X: /app/x"))
	expect(t, r, 2, "", "secret-exec: no command given (see --help)\n")

	cases := []struct {
		name, setting, stderr string
	}{
		{"bad timeout", "SECRET_EXEC_TIMEOUT=soon",
			"secret-exec: timeout \"soon\": want a duration such as 30s or whole seconds\n"},
		{"bad tag switch", "SECRET_EXEC_TAG_CHECK=maybe",
			"secret-exec: SECRET_EXEC_TAG_CHECK=\"maybe\": want off or on\n"},
		{"bad name", "SECRET_EXEC_SECRETS=1X: /app/x",
			"secret-exec: SECRET_EXEC_SECRETS:1: invalid variable name \"1X\": " +
				"want [A-Za-z_][A-Za-z0-9_]*\n"},
		{"missing secrets file", "SECRET_EXEC_SECRETS_FILE=/nonexistent.yml",
			"secret-exec: secrets file: open /nonexistent.yml: no such file or directory\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, notRun := marker(t)
			r := run(t, awsEnv(t, c.setting), touch(path)...)
			expect(t, r, 2, "", c.stderr)
			notRun()
		})
	}
}

// bareEnvironment has no AWS setting but the one that keeps the SDK, were
// it ever loaded, away from the instance metadata.
func bareEnvironment(path string) []string {
	return []string{"PATH=" + path, "AWS_EC2_METADATA_DISABLED=true"}
}

// TestExecReplaces checks that secret-exec replaces itself with the
// command, as gosu and tini's tests do: the command has secret-exec's
// process ID, gets its stdin, and its status is secret-exec's.
func TestExecReplaces(t *testing.T) {
	t.Parallel()
	name := unique("/app/pid")
	putParameter(t, name, "pid-value-141")
	var cmd *exec.Cmd
	keep := func(c *exec.Cmd) {
		cmd = c
		c.Stdin = strings.NewReader("from stdin\n")
	}
	script := `echo "$$ $X"; cat; exit 9`
	r := runCommand(t, awsEnv(t, "X=ssm://"+name), keep, binary, "--", "sh", "-c", script)
	want := fmt.Sprintf("%d pid-value-141\nfrom stdin\n", cmd.Process.Pid)
	expect(t, r, 9, want, "")
}

// TestSignalWhileResolving ends secret-exec with 128+n when signal n
// arrives before the secrets are resolved, and runs nothing.
func TestSignalWhileResolving(t *testing.T) {
	t.Parallel()
	path, notRun := marker(t)
	hung, conns := hangingEndpoint(t)
	env := append(without(awsEnv(t), "AWS_ENDPOINT_URL"),
		"AWS_ENDPOINT_URL="+hung, "X=ssm:///app/hangs")
	var stderr strings.Builder
	cmd := exec.Command(binary, touch(path)...)
	cmd.Env, cmd.Stderr = env, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once a request is out, secret-exec is resolving.
	for start := time.Now(); conns() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			cmd.Process.Kill()
			t.Fatal("secret-exec made no request")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("secret-exec went on resolving after SIGTERM")
	}
	if got := cmd.ProcessState.ExitCode(); got != 128+int(syscall.SIGTERM) {
		t.Errorf("status %d after SIGTERM, want %d; stderr:\n%s",
			got, 128+int(syscall.SIGTERM), stderr.String())
	}
	notRun()
}

// TestVerbose prints names, sources, regions and timings with -v, and no
// value.
func TestVerbose(t *testing.T) {
	t.Parallel()
	name := unique("/app/verbose")
	putParameter(t, name, "verbose-value-151")
	for _, how := range [][]string{{"-v"}, {"SECRET_EXEC_VERBOSE=1"}} {
		env, args := awsEnv(t, "X=ssm://"+name), []string{"--", "printenv", "X"}
		if strings.Contains(how[0], "=") {
			env = append(env, how[0])
		} else {
			args = append(how, args...)
		}
		r := run(t, env, args...)
		if r.status != 0 || r.stdout != "verbose-value-151\n" {
			t.Errorf("%s: status %d, stdout %q", how[0], r.status, r.stdout)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		for _, l := range lines {
			if !strings.HasPrefix(l, "secret-exec: ") {
				t.Errorf("%s: line without the secret-exec: prefix: %q", how[0], l)
			}
		}
		wantParts(t, r.stderr, "secret-exec: X", "variable X", name, "us-east-1")
		noLeak(t, "stderr", r.stderr, "verbose-value-151")
	}
}

// TestHelpAndVersion prints the usage text on stderr and the version on
// stdout, both with status 0.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	r := run(t, bareEnvironment(childPath), "--help")
	if r.status != 0 || r.stdout != "" {
		t.Errorf("--help: status %d, stdout %q", r.status, r.stdout)
	}
	wantParts(t, r.stderr, "Usage:", "SECRET_EXEC_SECRETS", "Exit status:", "Examples:")

	r = run(t, bareEnvironment(childPath), "--version")
	if r.status != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "secret-exec ") {
		t.Errorf("--version: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
}
