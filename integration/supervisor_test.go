package integration

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
	"github.com/secret-exec/secret-exec/internal/proctest"
)

// Supervisor mode: secret-exec --init as PID 1 of a PID namespace and as a
// subreaper, and --refresh against moto and against the fake endpoint.
// Each command is an sh script that gets a directory of its own as $0 and
// leaves there what it saw.

// plainEnv is a clean environment without AWS settings.
var plainEnv = []string{"PATH=" + childPath, "AWS_EC2_METADATA_DISABLED=true"}

// startSupervised starts name in exactly env; it is killed at the end of
// the test if it still runs, and its Wait gives it runTimeout to end.
func startSupervised(t *testing.T, env []string, name string, args ...string) *proctest.Proc {
	t.Helper()
	return proctest.Start(t, runTimeout, env, name, args...)
}

// until waits for cond, for at most runTimeout.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !proctest.Poll(runTimeout, cond) {
		t.Fatalf("no %s within %v", what, runTimeout)
	}
}

func untilLines(t *testing.T, path string, want ...string) {
	t.Helper()
	until(t, strings.Join(want, ", ")+" in "+filepath.Base(path), func() bool {
		return slices.Equal(proctest.Lines(path), want)
	})
}

// TestSupervisorPID1 runs the built secret-exec --init as PID 1 of a new
// PID namespace, as the first process of a container without an init,
// with a secret from moto.
func TestSupervisorPID1(t *testing.T) {
	t.Parallel()
	name := unique("/app/init")
	putParameter(t, name, "init-value-53")
	for _, c := range proctest.InitCases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			script := `[ $PPID = 1 ] || { echo "parent $PPID, not PID 1"; exit 90; }
				[ "$P" = init-value-53 ] || { echo "P is not the secret"; exit 92; }
				` + c.Script
			s := startSupervised(t, awsEnv(t, "SECRET_EXEC_SECRETS=P: "+name),
				"unshare", "--pid", "--fork", "--mount-proc", binary,
				"--init", "--", "sh", "-c", script, t.TempDir())
			if got := s.Wait(); got != c.Status {
				t.Errorf("exit status %d, want %d\nstdout: %s", got, c.Status, s.Stdout.String())
			}
			expectQuiet(t, s)
		})
	}
}

// expectQuiet checks that a run printed nothing: success is silent.
func expectQuiet(t *testing.T, s *proctest.Proc) {
	t.Helper()
	if out := s.Stdout.String() + s.Stderr.String(); out != "" {
		t.Errorf("output:\n%s", out)
	}
}

// TestSupervisorStop sends SIGTERM to secret-exec as PID 1, as docker stop
// does: the command traps it and its status is secret-exec's.
func TestSupervisorStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `cd "$0"; trap 'echo TERM >got; exit 42' TERM; touch ready; ` + proctest.Idle
	s := startSupervised(t, plainEnv, "unshare", "--pid", "--fork",
		"--mount-proc", binary, "--init", "--", "sh", "-c", script, dir)
	until(t, "ready", func() bool { _, err := os.Stat(dir + "/ready"); return err == nil })
	var pid int // secret-exec, the only child of unshare
	until(t, "child of unshare", func() (ok bool) {
		pid, ok = proctest.Child(s.Cmd.Process.Pid)
		return ok
	})
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := s.Wait(); got != 42 {
		t.Errorf("exit status %d, want 42", got)
	}
	untilLines(t, dir+"/got", "TERM")
	expectQuiet(t, s)
}

// TestSupervisorSubreaper runs secret-exec --init as an ordinary process:
// as a child subreaper it is given the command's orphans, and reaps them.
func TestSupervisorSubreaper(t *testing.T) {
	t.Parallel()
	s := startSupervised(t, plainEnv, binary, "--init", "--",
		"sh", "-c", proctest.ReapScript, t.TempDir())
	if got := s.Wait(); got != 0 {
		t.Errorf("exit status %d, want 0\nstdout: %s", got, s.Stdout.String())
	}
	expectQuiet(t, s)
}

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
		binary, "--refresh", period.String(), "--", "sh", "-c", proctest.StartsScript, dir)
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
	until(t, "failed refresh", func() bool { return strings.Contains(s.Stderr.String(), failure) })
	s.Cmd.Process.Signal(syscall.SIGTERM)
	if got := s.Wait(); got != 0 {
		t.Errorf("exit status %d, want 0\nstderr: %s", got, s.Stderr.String())
	}
	untilLines(t, dir+"/starts", "start first-value-59", "start second-value-61")
	want := "secret-exec: refresh: P changed; restarting the command\n"
	if !strings.HasPrefix(s.Stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant first:\n%s", s.Stderr.String(), want)
	}
	noLeak(t, "stderr", s.Stderr.String(), "first-value-59", "second-value-61")
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
		"--", "sh", "-c", proctest.StartsScript, dir)
	untilLines(t, dir+"/starts", "start kept-value-67")
	fake.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Hang})
	failure := "secret-exec: refresh: 1 of the secrets could not be resolved; " +
		"the command keeps running:\n" +
		"secret-exec:   P: p (us-east-1): timeout: no answer before the deadline\n"
	until(t, "two failed refreshes", func() bool {
		return strings.Count(s.Stderr.String(), failure) >= 2
	})
	fake.SetFaults()
	calls := fake.Calls("GetParameters")
	until(t, "a refresh that succeeds", func() bool {
		return fake.Calls("GetParameters") > calls+1
	})
	s.Cmd.Process.Signal(syscall.SIGTERM)
	if got := s.Wait(); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
	untilLines(t, dir+"/starts", "start kept-value-67")
	if rest := strings.ReplaceAll(s.Stderr.String(), failure, ""); rest != "" {
		t.Errorf("stderr, less the failures:\n%s", rest)
	}
}
