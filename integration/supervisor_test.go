package integration

import (
	"bytes"
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

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// Supervisor mode: secret-exec --init as PID 1 of a PID namespace and as a
// subreaper, and --refresh against moto and against the fake endpoint.
// Each command is an sh script that gets a directory of its own as $0 and
// leaves there what it saw.

// supervisorIdle waits for a signal, but for at most about 15 s, so that
// a command a failed test leaves behind ends by itself.
const supervisorIdle = `i=0; while [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; exit 99`

// plainEnv is a clean environment without AWS settings.
var plainEnv = []string{"PATH=" + childPath, "AWS_EC2_METADATA_DISABLED=true"}

// lockedBuffer is a buffer that a process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// supervised is a run that the test watches while it lasts.
type supervised struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
}

// startSupervised starts name in exactly env; it is killed at the end of
// the test if it still runs.
func startSupervised(t *testing.T, env []string, name string, args ...string) *supervised {
	t.Helper()
	s := &supervised{t: t, done: make(chan struct{})}
	s.cmd = exec.Command(name, args...)
	s.cmd.Env = append([]string{}, env...) // never nil: nil would inherit
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// wait returns the exit status, which must come within runTimeout.
func (s *supervised) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(runTimeout):
		s.t.Fatalf("no end within %v\nstderr: %s", runTimeout, s.stderr.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

// until waits for cond, for at most runTimeout.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, runTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fileLines returns the lines of a file, none if it does not exist yet.
func fileLines(path string) []string {
	b, _ := os.ReadFile(path)
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func untilLines(t *testing.T, path string, want ...string) {
	t.Helper()
	until(t, strings.Join(want, ", ")+" in "+filepath.Base(path), func() bool {
		return slices.Equal(fileLines(path), want)
	})
}

// orphanScript starts an orphan that records its parent and exits, and
// checks that the orphan was given to the command's parent, secret-exec,
// and that secret-exec reaped it: a zombie would keep its /proc entry.
const orphanScript = `
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

// TestSupervisorPID1 runs the built secret-exec --init as PID 1 of a new
// PID namespace, as the first process of a container without an init,
// with a secret from moto.
func TestSupervisorPID1(t *testing.T) {
	t.Parallel()
	name := unique("/app/init")
	putParameter(t, name, "init-value-53")
	cases := []struct {
		name, script string
		status       int
	}{
		{"exit status", "exit 3", 3},
		{"killed by SIGKILL", "kill -KILL $$", 128 + 9},
		{"killed by SIGTERM", "kill -TERM $$", 128 + 15},
		{"orphans reaped", orphanScript + `
			if grep ') Z ' /proc/[0-9]*/stat; then echo zombies left; exit 1; fi`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			script := `cd "$0" || exit 91
				[ $PPID = 1 ] || { echo "parent $PPID, not PID 1"; exit 90; }
				[ "$P" = init-value-53 ] || { echo "P is not the secret"; exit 92; }
				` + c.script
			s := startSupervised(t, awsEnv(t, "SECRET_EXEC_SECRETS=P: "+name),
				"unshare", "--pid", "--fork", "--mount-proc", binary,
				"--init", "--", "sh", "-c", script, t.TempDir())
			if got := s.wait(); got != c.status {
				t.Errorf("exit status %d, want %d\nstdout: %s", got, c.status, s.stdout.String())
			}
			expectQuiet(t, s)
		})
	}
}

// expectQuiet checks that a run printed nothing: success is silent.
func expectQuiet(t *testing.T, s *supervised) {
	t.Helper()
	if out := s.stdout.String() + s.stderr.String(); out != "" {
		t.Errorf("output:\n%s", out)
	}
}

// TestSupervisorStop sends SIGTERM to secret-exec as PID 1, as docker stop
// does: the command traps it and its status is secret-exec's.
func TestSupervisorStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `cd "$0"; trap 'echo TERM >got; exit 42' TERM; touch ready; ` + supervisorIdle
	s := startSupervised(t, plainEnv, "unshare", "--pid", "--fork",
		"--mount-proc", binary, "--init", "--", "sh", "-c", script, dir)
	until(t, "ready", func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	if err := syscall.Kill(childProcess(t, s.cmd.Process.Pid), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := s.wait(); got != 42 {
		t.Errorf("exit status %d, want 42", got)
	}
	untilLines(t, dir+"/got", "TERM")
	expectQuiet(t, s)
}

// childProcess finds the only child of pid in /proc: secret-exec, under
// unshare.
func childProcess(t *testing.T, pid int) int {
	t.Helper()
	var found int
	until(t, "child of unshare", func() bool {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, path := range stats {
			b, _ := os.ReadFile(path)
			_, rest, _ := bytes.Cut(b, []byte(") "))
			if f := strings.Fields(string(rest)); len(f) > 1 && f[1] == strconv.Itoa(pid) {
				found, _ = strconv.Atoi(filepath.Base(filepath.Dir(path)))
				return true
			}
		}
		return false
	})
	return found
}

// TestSupervisorSubreaper runs secret-exec --init as an ordinary process:
// as a child subreaper it is given the command's orphans, and reaps them.
func TestSupervisorSubreaper(t *testing.T) {
	t.Parallel()
	s := startSupervised(t, plainEnv, binary, "--init", "--",
		"sh", "-c", `cd "$0" || exit 91; `+orphanScript, t.TempDir())
	if got := s.wait(); got != 0 {
		t.Errorf("exit status %d, want 0\nstdout: %s", got, s.stdout.String())
	}
	expectQuiet(t, s)
}

// refreshScript records each start of the command with the value of $P,
// and exits 0 on SIGTERM.
const refreshScript = `cd "$0"; echo "start $P" >>starts; trap 'exit 0' TERM; ` + supervisorIdle

// TestSupervisorRefresh overwrites a parameter in moto: within two
// periods the command runs again with the new value. Then the parameter
// is deleted: the refreshes fail, and the command keeps running.
func TestSupervisorRefresh(t *testing.T) {
	t.Parallel()
	const period = time.Second
	name := unique("/app/rotated")
	putParameter(t, name, "first-value-59")
	dir := t.TempDir()
	s := startSupervised(t, awsEnv(t, "SECRET_EXEC_SECRETS=P: "+name),
		binary, "--refresh", period.String(), "--", "sh", "-c", refreshScript, dir)
	untilLines(t, dir+"/starts", "start first-value-59")
	awsCLI(t, "ssm", "put-parameter", "--name", name, "--value", "second-value-61",
		"--type", "SecureString", "--overwrite")
	changed := time.Now()
	untilLines(t, dir+"/starts", "start first-value-59", "start second-value-61")
	if took := time.Since(changed); took > 2*period {
		t.Errorf("the command ran with the new value %v after the change, "+
			"want within two periods (%v)", took, 2*period)
	}
	awsCLI(t, "ssm", "delete-parameter", "--name", name)
	failure := "secret-exec: refresh: 1 of the secrets could not be resolved; " +
		"the command keeps running:\nsecret-exec:   P: " + name + " (us-east-1): ParameterNotFound"
	until(t, "failed refresh", func() bool { return strings.Contains(s.stderr.String(), failure) })
	s.cmd.Process.Signal(syscall.SIGTERM)
	if got := s.wait(); got != 0 {
		t.Errorf("exit status %d, want 0\nstderr: %s", got, s.stderr.String())
	}
	untilLines(t, dir+"/starts", "start first-value-59", "start second-value-61")
	want := "secret-exec: refresh: P changed; restarting the command\n"
	if !strings.HasPrefix(s.stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant first:\n%s", s.stderr.String(), want)
	}
	noLeak(t, "stderr", s.stderr.String(), "first-value-59", "second-value-61")
}

// TestSupervisorRefreshTimeout makes the fake endpoint hang after
// start-up: each refresh fails at the deadline, logged, and the command
// keeps running; when AWS answers again, nothing changed and nothing is
// restarted.
func TestSupervisorRefreshTimeout(t *testing.T) {
	t.Parallel()
	fake := fakeaws.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer fake.Close()
	fake.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "kept-value-67"})
	env := without(awsEnv(t, "SECRET_EXEC_SECRETS=P: p"), "AWS_ENDPOINT_URL")
	env = append(env, "AWS_ENDPOINT_URL="+srv.URL)
	dir := t.TempDir()
	s := startSupervised(t, env, binary, "--refresh", "200ms", "--timeout", "300ms",
		"--", "sh", "-c", refreshScript, dir)
	untilLines(t, dir+"/starts", "start kept-value-67")
	fake.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Hang})
	failure := "secret-exec: refresh: 1 of the secrets could not be resolved; " +
		"the command keeps running:\n" +
		"secret-exec:   P: p (us-east-1): timeout: no answer before the deadline\n"
	until(t, "two failed refreshes", func() bool {
		return strings.Count(s.stderr.String(), failure) >= 2
	})
	fake.SetFaults()
	calls := fake.Calls("GetParameters")
	until(t, "a refresh that succeeds", func() bool {
		return fake.Calls("GetParameters") > calls+1
	})
	s.cmd.Process.Signal(syscall.SIGTERM)
	if got := s.wait(); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
	untilLines(t, dir+"/starts", "start kept-value-67")
	if rest := strings.ReplaceAll(s.stderr.String(), failure, ""); rest != "" {
		t.Errorf("stderr, less the failures:\n%s", rest)
	}
}
