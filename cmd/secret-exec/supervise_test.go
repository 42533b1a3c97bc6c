package main

import (
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
	"github.com/secret-exec/secret-exec/internal/proctest"
)

// The tests of --init and --refresh run the secret-exec test binary from
// PATH, as process_test.go does. Their commands are sh scripts that get
// a directory of their own as $0 and leave there what they saw.

// waitTimeout is how long a test waits for a process to end or for a file
// to hold what it should.
const waitTimeout = 10 * time.Second

// start starts argv in exactly env. The process is killed at the end of
// the test if it is still running.
func start(t *testing.T, env []string, argv ...string) *proctest.Proc {
	t.Helper()
	return proctest.Start(t, waitTimeout, env, argv[0], argv[1:]...)
}

// plainEnv is a clean environment without any AWS setting.
func plainEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true"}
}

// waitLines waits until the file at path holds exactly the lines want.
func waitLines(t *testing.T, path string, want ...string) {
	t.Helper()
	holds := func() bool { return slices.Equal(proctest.Lines(path), want) }
	if !proctest.Poll(waitTimeout, holds) {
		t.Fatalf("%s holds %q, want %q", filepath.Base(path), proctest.Lines(path), want)
	}
}

// inNamespace is the command line that runs secret-exec as PID 1 of a new
// PID namespace, with a /proc of its own.
func inNamespace(args ...string) []string {
	return append([]string{"unshare", "--pid", "--fork", "--mount-proc", "secret-exec"}, args...)
}

// TestInitPID1 runs secret-exec --init as PID 1 of a new PID namespace, as
// the first process of a container without an init.
func TestInitPID1(t *testing.T) {
	for _, c := range proctest.InitCases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			script := `[ $PPID = 1 ] || { echo "parent $PPID, not PID 1"; exit 90; }; ` + c.Script
			argv := inNamespace("--init", "--", "sh", "-c", script, t.TempDir())
			p := start(t, plainEnv(), argv...)
			p.ExpectStatus(c.Status, "")
			if out := p.Stdout.String(); out != "" {
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
	script := `cd "$0"; trap 'echo TERM >got; exit 42' TERM; touch ready; ` + proctest.Idle
	p := start(t, plainEnv(), inNamespace("--init", "--", "sh", "-c", script, dir)...)
	waitFor(t, func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	var pid int // secret-exec, the only child of unshare
	waitFor(t, func() (ok bool) { pid, ok = proctest.Child(p.Cmd.Process.Pid); return ok })
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.ExpectStatus(42, "")
	waitLines(t, dir+"/got", "TERM")
}

// TestInitSubreaper runs secret-exec --init as an ordinary process: it
// becomes a child subreaper, the command's orphans are its children, and
// it reaps them.
func TestInitSubreaper(t *testing.T) {
	t.Parallel()
	p := start(t, plainEnv(), "secret-exec", "--init", "--",
		"sh", "-c", proctest.ReapScript, t.TempDir())
	p.ExpectStatus(0, "")
	if out := p.Stdout.String(); out != "" {
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
	script += `trap 'echo 15 >>got; exit 42' TERM; touch ready; ` + proctest.Idle
	p := start(t, plainEnv(), "secret-exec", "--init", "--", "sh", "-c", script, dir)
	waitFor(t, func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	var want []string
	for _, sig := range append(sigs, unix.SIGTERM) {
		p.Signal(sig)
		if sig == unix.SIGURG || sig == unix.SIGPIPE {
			continue // checked by the next signal's line coming alone
		}
		want = append(want, strconv.Itoa(int(sig)))
		waitLines(t, dir+"/got", want...)
	}
	p.ExpectStatus(42, "")
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
	p.Signal(unix.SIGTERM)
	p.ExpectStatus(128+15, "")
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
		trap 'echo winch; exit 7' WINCH; echo ready; ` + proctest.Idle
	cmd := exec.Command("secret-exec", "--init", "-v", "--", "sh", "-c", script)
	cmd.Env = plainEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	slave.Close()
	var out proctest.Buffer
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
	p.ExpectStatus(5, "")
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

// TestRefreshRestart changes a parameter: the next refresh sees it and
// the command is started again with the new value.
func TestRefreshRestart(t *testing.T) {
	t.Parallel()
	s, url := fakeServer(t)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "first-value-17"})
	dir := t.TempDir()
	env := append(fakeEnv(t, url), "SECRET_EXEC_SECRETS=P: p")
	p := start(t, env, "secret-exec", "--refresh", "300ms", "--",
		"sh", "-c", proctest.StartsScript, dir)
	waitLines(t, dir+"/starts", "start first-value-17")
	changed := time.Now()
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-29"})
	waitLines(t, dir+"/starts", "start first-value-17", "start second-value-29")
	// The next refresh comes within 330 ms; the rest is the restart.
	if took := time.Since(changed); took > 2*time.Second {
		t.Errorf("restarted %v after the change, want about one period", took)
	}
	p.Signal(unix.SIGTERM)
	p.ExpectStatus(0, "secret-exec: refresh: P changed; restarting the command\n")
	if strings.Contains(p.Stdout.String(), "value") {
		t.Errorf("stdout: %s", p.Stdout.String())
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
	p := start(t, env, "secret-exec", "--refresh", "200ms", "--",
		"sh", "-c", proctest.StartsScript, dir)
	waitLines(t, dir+"/starts", "start first-value-31")
	s.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Error,
		Code: "AccessDeniedException", Message: "not allowed"})
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-37"})
	failure := "secret-exec: refresh: 1 of the secrets could not be resolved; " +
		"the command keeps running:\n" +
		"secret-exec:   P: p (us-east-1): AccessDeniedException: not allowed\n"
	waitFor(t, func() bool { return strings.Count(p.Stderr.String(), failure) >= 2 })
	waitLines(t, dir+"/starts", "start first-value-31")
	s.SetFaults()
	waitLines(t, dir+"/starts", "start first-value-31", "start second-value-37")
	p.Signal(unix.SIGTERM)
	if got := p.Wait(); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
	stderr := strings.ReplaceAll(p.Stderr.String(), failure, "")
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
	script := `cd "$0"; echo start >>starts; ` + proctest.Idle
	p := start(t, env, "secret-exec", "--app", "app", "--env", "test", "--refresh", "100ms",
		"--on-change", "exit", "--", "sh", "-c", script, dir)
	waitFor(t, func() bool { return s.Calls("GetSecretValue") >= 3 })
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p05", Value: "value-05-new"})
	p.ExpectStatus(0, "secret-exec: refresh: P05 changed; stopping the command\n")
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
	script := `cd "$0"; echo "start $P" >>starts; trap '' TERM; ` + proctest.Idle
	p := start(t, env, "secret-exec", "--", "sh", "-c", script, dir)
	waitLines(t, dir+"/starts", "start first-value-41")
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "second-value-43"})
	waitLines(t, dir+"/starts", "start first-value-41", "start second-value-43")
	p.Signal(unix.SIGINT)
	p.ExpectStatus(128+2, "secret-exec: refresh: P changed; restarting the command\n"+
		"secret-exec: sh did not stop within 300ms: killing it\n")
}
