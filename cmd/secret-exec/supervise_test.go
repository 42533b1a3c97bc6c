package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// The tests of --init and --refresh run the secret-exec test binary from
// PATH, as process_test.go does. Their commands are sh scripts that get
// a directory of their own as $0 and leave there what they saw.

// idle waits for a signal, but for at most about 15 s, so that a command
// a failed test leaves behind ends by itself.
const idle = `i=0; while [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; exit 99`

// syncBuffer is a buffer that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a running secret-exec, or unshare running it.
type proc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

// start starts argv in exactly env. The process is killed at the end of
// the test if it is still running.
func start(t *testing.T, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{t: t, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait returns the exit status of the process, which must end soon.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("no end within 10s\nstderr: %s", p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// expectStatus waits for the end of p and checks its status, and that
// its stderr is exactly stderr.
func (p *proc) expectStatus(status int, stderr string) {
	p.t.Helper()
	if got := p.wait(); got != status {
		p.t.Errorf("exit status %d, want %d\nstderr: %s", got, status, p.stderr.String())
	}
	if got := p.stderr.String(); got != stderr {
		p.t.Errorf("stderr:\n%s\nwant:\n%s", got, stderr)
	}
}

// plainEnv is a clean environment without any AWS setting.
func plainEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true"}
}

// lines returns the lines of a file the command writes, none if it does
// not exist yet.
func lines(path string) []string {
	b, _ := os.ReadFile(path)
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// waitLines waits until the file at path holds exactly the lines want.
func waitLines(t *testing.T, path string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(lines(path), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", filepath.Base(path), lines(path), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// inNamespace is the command line that runs secret-exec as PID 1 of a new
// PID namespace, with a /proc of its own.
func inNamespace(args ...string) []string {
	return append([]string{"unshare", "--pid", "--fork", "--mount-proc", "secret-exec"}, args...)
}

// reapScript starts an orphan that records its parent and exits, then
// checks that the orphan was given to secret-exec, which is its own
// parent, and that secret-exec reaped it: a zombie would keep its /proc
// entry.
const reapScript = `cd "$0" || exit 91
(sh -c 'echo $$ >orphan.pid; sleep 0.1
	cut -d" " -f4 /proc/$$/stat >ppid.tmp; mv ppid.tmp orphan.ppid' &)
until [ -e orphan.ppid ]; do sleep 0.01; done
parent=$(cat orphan.ppid)
[ "$parent" = "$PPID" ] || { echo "orphan's parent $parent, want $PPID"; exit 1; }
pid=$(cat orphan.pid) n=0
while [ -e /proc/$pid ]; do
	n=$((n+1))
	[ $n -lt 250 ] || { echo "orphan not reaped: $(cat /proc/$pid/stat)"; exit 1; }
	sleep 0.02
done
`

// TestInitPID1 runs secret-exec --init as PID 1 of a new PID namespace, as
// the first process of a container without an init.
func TestInitPID1(t *testing.T) {
	cases := []struct {
		name, script string
		status       int
	}{
		{"exit status", "exit 3", 3},
		{"killed by SIGKILL", "kill -KILL $$", 128 + 9},
		{"killed by SIGTERM", "kill -TERM $$", 128 + 15},
		{"orphans reaped", reapScript + `
			if grep ') Z ' /proc/[0-9]*/stat; then echo zombies left; exit 1; fi`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			script := `[ $PPID = 1 ] || { echo "parent $PPID, not PID 1"; exit 90; }; ` + c.script
			argv := inNamespace("--init", "--", "sh", "-c", script, t.TempDir())
			p := start(t, plainEnv(), argv...)
			p.expectStatus(c.status, "")
			if out := p.stdout.String(); out != "" {
				t.Errorf("stdout: %s", out)
			}
		})
	}
}

// TestInitPID1Signal sends SIGTERM to secret-exec as PID 1, as docker stop
// does: the command, which traps it, gets it and its status is secret-exec's.
func TestInitPID1Signal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `cd "$0"; trap 'echo TERM >got; exit 42' TERM; touch ready; ` + idle
	p := start(t, plainEnv(), inNamespace("--init", "--", "sh", "-c", script, dir)...)
	waitFor(t, func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	pid := childOf(t, p.cmd.Process.Pid)
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.expectStatus(42, "")
	waitLines(t, dir+"/got", "TERM")
}

// childOf finds the only child of pid, in /proc.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	var found int
	waitFor(t, func() bool {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, path := range stats {
			b, _ := os.ReadFile(path)
			_, rest, _ := bytes.Cut(b, []byte(") "))
			f := strings.Fields(string(rest))
			if len(f) > 1 && f[1] == strconv.Itoa(pid) {
				found, _ = strconv.Atoi(filepath.Base(filepath.Dir(path)))
				return true
			}
		}
		return false
	})
	return found
}

// TestInitSubreaper runs secret-exec --init as an ordinary process: it
// becomes a child subreaper, the command's orphans are its children, and
// it reaps them.
func TestInitSubreaper(t *testing.T) {
	t.Parallel()
	p := start(t, plainEnv(), "secret-exec", "--init", "--", "sh", "-c", reapScript, t.TempDir())
	p.expectStatus(0, "")
	if out := p.stdout.String(); out != "" {
		t.Errorf("stdout: %s", out)
	}
}

// TestInitForwards sends signals one by one to secret-exec --init: each
// reaches the command but SIGURG, which the Go runtime uses itself, and
// SIGPIPE, which the kernel sends for secret-exec's own writes.
func TestInitForwards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sigs := []syscall.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGUSR1,
		unix.SIGURG, unix.SIGUSR2, unix.SIGPIPE, unix.SIGALRM, unix.SIGTSTP, unix.SIGCONT,
		unix.SIGWINCH, unix.SIGTTIN, unix.SIGTTOU, syscall.Signal(40)}
	script := `cd "$0"; `
	for _, sig := range sigs {
		script += fmt.Sprintf(`trap 'echo %d >>got' %d; `, sig, sig)
	}
	script += `trap 'echo 15 >>got; exit 42' TERM; touch ready; ` + idle
	p := start(t, plainEnv(), "secret-exec", "--init", "--", "sh", "-c", script, dir)
	waitFor(t, func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	var want []string
	for _, sig := range append(sigs, unix.SIGTERM) {
		p.signal(sig)
		if sig == unix.SIGURG || sig == unix.SIGPIPE {
			continue // checked by the next signal's line coming alone
		}
		want = append(want, strconv.Itoa(int(sig)))
		waitLines(t, dir+"/got", want...)
	}
	p.expectStatus(42, "")
}

// TestInitSignalWhileResolving sends a signal while a fetch hangs: as
// without --init, secret-exec ends at once with 128+n and runs nothing.
func TestInitSignalWhileResolving(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "hung-value"})
	s.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Hang})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS=P: p", "SECRET_EXEC_INIT=1")
	p := start(t, env, "secret-exec", "--", "sh", "-c", `touch "$0/ran"`, dir)
	waitFor(t, func() bool { return s.Calls("GetParameters") > 0 })
	p.signal(unix.SIGTERM)
	p.expectStatus(128+15, "")
	if _, err := os.Stat(dir + "/ran"); err == nil {
		t.Errorf("the command ran")
	}
}

// TestInitTerminal runs secret-exec --init on a terminal of its own, as
// docker run -it does: the command is in the foreground, reads the
// terminal, gets the kernel's SIGWINCH, and has SIGTTIN and SIGTTOU at
// their defaults. Under stty tostop, secret-exec's own lines, written from
// the background, still get through: it ignores SIGTTOU, as tini does.
func TestInitTerminal(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag |= unix.TOSTOP
	if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	script := `read -r line; awk '{print "pgrp", $5, "tpgid", $8}' /proc/self/stat
		awk '/^SigIgn:/ {print "ignored", $2}' /proc/self/status
		trap 'echo winch; exit 7' WINCH; echo ready; ` + idle
	cmd := exec.Command("secret-exec", "--init", "-v", "--", "sh", "-c", script)
	cmd.Env = plainEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	slave.Close()
	var out syncBuffer
	go io.Copy(&out, master)
	master.WriteString("go\n")
	waitFor(t, func() bool { return strings.Contains(out.String(), "ready") })
	err = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 90})
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("no end within 10s\noutput: %s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Errorf("exit status %d, want 7\noutput: %s", code, out.String())
	}
	waitFor(t, func() bool { return strings.Contains(out.String(), "ended with status 7") })
	checkTerminal(t, out.String(), cmd.Process.Pid)
}

// checkTerminal checks what the command of TestInitTerminal saw.
func checkTerminal(t *testing.T, out string, supervisor int) {
	var pgrp, tpgid int
	var ignored string
	for _, line := range strings.Split(out, "\n") {
		fmt.Sscanf(line, "pgrp %d tpgid %d", &pgrp, &tpgid)
		fmt.Sscanf(line, "ignored %s", &ignored)
	}
	if pgrp == 0 || pgrp != tpgid || pgrp == supervisor {
		t.Errorf("command's group %d, terminal's %d, secret-exec's %d: "+
			"want the command's own group in the foreground\n%s", pgrp, tpgid, supervisor, out)
	}
	mask, err := strconv.ParseUint(strings.TrimSpace(ignored), 16, 64)
	if err != nil || mask&(1<<(unix.SIGTTIN-1)|1<<(unix.SIGTTOU-1)) != 0 {
		t.Errorf("the command ignores signals %q (%v): want SIGTTIN and SIGTTOU at "+
			"their defaults", ignored, err)
	}
	for _, want := range []string{"winch", "secret-exec: started sh, pid "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// openPTY opens a pseudo-terminal, neither end of which becomes the
// test's controlling terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TestInitNoMappings supervises a command with nothing to resolve: no
// AWS setting is needed and, even with --refresh, no call is made.
func TestInitNoMappings(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	env := append(plainEnv(), "AWS_ENDPOINT_URL="+url, "SECRET_EXEC_REFRESH=50ms")
	p := start(t, env, "secret-exec", "--", "sh", "-c", `sleep 0.4; exit 5`)
	p.expectStatus(5, "")
	if n := s.Stats().Total; n != 0 {
		t.Errorf("%d calls to AWS, want none", n)
	}
}

func fakeServer(t *testing.T) (*fakeaws.Server, string) {
	s := fakeaws.New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return s, srv.URL
}

// startsScript records each start of the command with the value of $P,
// and exits 0 on SIGTERM.
const startsScript = `cd "$0"; echo "start $P" >>starts; trap 'exit 0' TERM; ` + idle

// TestRefreshRestart changes a parameter: the next refresh sees it and
// the command is started again with the new value.
func TestRefreshRestart(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "first-value-17"})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS=P: p")
	p := start(t, env, "secret-exec", "--refresh", "300ms", "--", "sh", "-c", startsScript, dir)
	waitLines(t, dir+"/starts", "start first-value-17")
	changed := time.Now()
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-29"})
	waitLines(t, dir+"/starts", "start first-value-17", "start second-value-29")
	// The next refresh comes within 330 ms; the rest is the restart.
	if took := time.Since(changed); took > 2*time.Second {
		t.Errorf("restarted %v after the change, want about one period", took)
	}
	p.signal(unix.SIGTERM)
	p.expectStatus(0, "secret-exec: refresh: P changed; restarting the command\n")
	if strings.Contains(p.stdout.String(), "value") {
		t.Errorf("stdout: %s", p.stdout.String())
	}
}

// TestRefreshFailure makes refreshes fail: the command keeps running and
// its values, each failure is logged by name and code, and once AWS
// answers again the change is seen.
func TestRefreshFailure(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "first-value-31"})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS=P: p")
	p := start(t, env, "secret-exec", "--refresh", "200ms", "--", "sh", "-c", startsScript, dir)
	waitLines(t, dir+"/starts", "start first-value-31")
	s.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Error,
		Code: "AccessDeniedException", Message: "not allowed"})
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-37"})
	failure := "secret-exec: refresh: 1 of the secrets could not be resolved; " +
		"the command keeps running:\n" +
		"secret-exec:   P: p (us-east-1): AccessDeniedException: not allowed\n"
	waitFor(t, func() bool { return strings.Count(p.stderr.String(), failure) >= 2 })
	waitLines(t, dir+"/starts", "start first-value-31")
	s.SetFaults()
	waitLines(t, dir+"/starts", "start first-value-31", "start second-value-37")
	p.signal(unix.SIGTERM)
	if got := p.wait(); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
	stderr := strings.ReplaceAll(p.stderr.String(), failure, "")
	if want := "secret-exec: refresh: P changed; restarting the command\n"; stderr != want {
		t.Errorf("stderr, less the failures:\n%s\nwant:\n%s", stderr, want)
	}
}

// TestRefreshExit uses --on-change exit with the tag policy on: the
// command is stopped and secret-exec exits 0, though SIGTERM killed the
// command. Every refresh made the calls that start-up made, and no more.
func TestRefreshExit(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	tags := map[string]string{"copilot-application": "app", "copilot-environment": "test"}
	secrets := "S: {secretsmanager: db}\n"
	for i := range 12 {
		s.PutParameter("us-east-1", fakeaws.Parameter{Name: fmt.Sprintf("p%02d", i),
			Value: fmt.Sprintf("value-%02d", i), Tags: tags})
		secrets += fmt.Sprintf("P%02d: p%02d\n", i, i)
	}
	s.PutSecret("us-east-1", fakeaws.Secret{Name: "db", String: "db-value", Tags: tags})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS="+secrets)
	p := start(t, env, "secret-exec", "--app", "app", "--env", "test", "--refresh", "100ms",
		"--on-change", "exit", "--", "sh", "-c", `cd "$0"; echo start >>starts; `+idle, dir)
	waitFor(t, func() bool { return s.Calls("GetSecretValue") >= 3 })
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p05", Value: "value-05-new"})
	p.expectStatus(0, "secret-exec: refresh: P05 changed; stopping the command\n")
	waitLines(t, dir+"/starts", "start")
	n := s.Calls("GetSecretValue")
	for op, want := range map[string]int{"GetParameters": 2 * n, "DescribeParameters": n,
		"DescribeSecret": n, "ListTagsForResource": 0} {
		if got := s.Calls(op); got != want {
			t.Errorf("%d resolutions made %d %s calls, want %d", n, got, op, want)
		}
	}
}

// TestRefreshStopTimeout restarts a command that ignores SIGTERM: it is
// killed after --stop-timeout, with what it started, and started again.
func TestRefreshStopTimeout(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "first-value-41"})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS=P: p",
		"SECRET_EXEC_REFRESH=200ms", "SECRET_EXEC_STOP_TIMEOUT=300ms")
	script := `cd "$0"; echo "start $P" >>starts; trap '' TERM; ` + idle
	p := start(t, env, "secret-exec", "--", "sh", "-c", script, dir)
	waitLines(t, dir+"/starts", "start first-value-41")
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-43"})
	waitLines(t, dir+"/starts", "start first-value-41", "start second-value-43")
	p.signal(unix.SIGINT)
	p.expectStatus(128+2, "secret-exec: refresh: P changed; restarting the command\n"+
		"secret-exec: sh did not stop within 300ms: killing it\n")
}
