// Package integration builds the real secret-exec binary and drives it
// from outside against moto, a local emulator of SSM, Secrets Manager and
// STS, seeded with the aws CLI as a user would seed the real services.
//
// It needs python3 with moto (pip install 'moto[server]'), the aws CLI
// (pip install awscli) and, for the chroot test, root and a static
// /bin/busybox (apt-get install busybox-static). A missing tool fails the
// run with these instructions; no test is ever skipped.
//
// Every run of secret-exec or aws gets a clean environment with the EC2
// instance metadata disabled or pointed at a closed loopback port, so
// nothing leaves the machine.
package integration

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the harness.
const (
	buildTimeout = 5 * time.Minute
	motoStartup  = 60 * time.Second
	runTimeout   = 30 * time.Second
)

// childPath is the PATH secret-exec and its commands get.
const childPath = "/usr/bin:/bin"

var (
	// binary is the secret-exec built for this run.
	binary string
	// endpoint is moto's URL.
	endpoint string
)

// minParallel is the least number of tests run at once: they spend their
// time waiting for processes, not computing.
const minParallel = 6

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && runtime.GOMAXPROCS(0) < minParallel {
		flag.Set("test.parallel", fmt.Sprint(minParallel))
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "secret-exec-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := checkTools(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: FAIL:", err)
		return 1
	}
	binary = filepath.Join(dir, "secret-exec")
	if err := build(binary); err != nil {
		fmt.Fprintln(os.Stderr, "integration: FAIL: building secret-exec:", err)
		return 1
	}
	stop, err := startMoto(filepath.Join(dir, "moto.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: FAIL: starting moto:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// checkTools makes sure moto and the aws CLI are there, and says how to
// get them when they are not.
func checkTools() error {
	out, err := exec.Command("python3", "-c", "import moto.server").CombinedOutput()
	if err != nil {
		return fmt.Errorf("python3 with moto is needed to emulate AWS: "+
			"install it with  pip install 'moto[server]'  (%v: %s)",
			err, bytes.TrimSpace(out))
	}
	if _, err := exec.LookPath("aws"); err != nil {
		return fmt.Errorf("the aws CLI is needed to seed moto: "+
			"install it with  pip install awscli  (%v)", err)
	}
	return nil
}

// build compiles secret-exec as a release is built: static, trimmed.
func build(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "../cmd/secret-exec")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

// startMoto starts moto on a free loopback port, in a process group of
// its own, and returns once it answers. stop ends the whole group.
func startMoto(logName string) (stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%v (install moto with  pip install 'moto[server]')", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	stop = func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	endpoint = "http://127.0.0.1:" + port
	if err := waitForMoto(exited); err != nil {
		stop()
		log, _ := os.ReadFile(logName)
		return nil, fmt.Errorf("%v\nmoto's output:\n%s", err, log)
	}
	return stop, nil
}

// waitForMoto polls moto until it answers HTTP, it exits, or motoStartup
// passes.
func waitForMoto(exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(motoStartup)
	for time.Now().Before(deadline) {
		resp, err := client.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("moto exited before it answered")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("moto did not answer at %s within %v", endpoint, motoStartup)
}

// freePort returns a loopback TCP port that nothing listens on.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// closedEndpoint returns the URL of a loopback port that nothing listens
// on, for an instance metadata endpoint that refuses at once.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + port
}

// result is the outcome of one run.
type result struct {
	stdout, stderr string
	status         int
}

// awsEnv is the clean environment of a secret-exec run against moto,
// followed by extra.
func awsEnv(t *testing.T, extra ...string) []string {
	return append([]string{
		"PATH=" + childPath,
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}, extra...)
}

// without returns env without the variables named.
func without(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// run runs secret-exec with args in exactly env.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCommand(t, env, nil, binary, args...)
}

// runCommand runs a program in exactly env, never the test's own, and
// waits at most runTimeout. setup, when not nil, adjusts the command
// before it starts.
func runCommand(t *testing.T, env []string, setup func(*exec.Cmd),
	name string, args ...string) result {
	t.Helper()
	r, err := execute(env, setup, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// execute is runCommand for any goroutine: it returns an error when the
// program could not be started or did not end in time.
func execute(env []string, setup func(*exec.Cmd), name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{}, env...) // never nil: nil would inherit
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if setup != nil {
		setup(cmd)
	}
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s %q: no end within %v\nstderr: %s",
			name, args, runTimeout, r.stderr)
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.status = exit.ExitCode()
	case err != nil:
		return r, fmt.Errorf("%s %q: %v\nstderr: %s", name, args, err, r.stderr)
	}
	return r, nil
}

// awsCLI runs the aws CLI against moto and returns its output. A failure
// ends the test.
func awsCLI(t *testing.T, args ...string) string {
	t.Helper()
	return awsAll(t, args)[0]
}

// awsAll runs aws CLI commands against moto, all at once, and returns
// their outputs. A failure ends the test.
func awsAll(t *testing.T, commands ...[]string) []string {
	t.Helper()
	home := t.TempDir()
	outs := make([]string, len(commands))
	errs := make([]error, len(commands))
	var wg sync.WaitGroup
	for i, args := range commands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = awsRun(home, args...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return outs
}

// awsRun runs the aws CLI against moto, with home as its HOME.
func awsRun(home string, args ...string) (string, error) {
	env := []string{
		"PATH=" + os.Getenv("PATH"), // python3 may live anywhere
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if v, ok := os.LookupEnv("PYENV_VERSION"); ok {
		env = append(env, "PYENV_VERSION="+v)
	}
	full := append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)
	r, err := execute(env, nil, "aws", full...)
	if err == nil && r.status != 0 {
		err = fmt.Errorf("aws %s: status %d\n%s", strings.Join(args, " "), r.status, r.stderr)
	}
	return r.stdout, err
}

// copilotTags are the --tags arguments of the aws CLI that Copilot puts
// on the secrets of app and env.
func copilotTags(app, env string) []string {
	return []string{
		"Key=copilot-application,Value=" + app,
		"Key=copilot-environment,Value=" + env,
	}
}

// putParameter stores a SecureString parameter with the aws CLI.
func putParameter(t *testing.T, name, value string, tags ...string) {
	t.Helper()
	awsCLI(t, putArgs(name, value, tags...)...)
}

// putArgs are the aws CLI arguments that store a SecureString parameter.
func putArgs(name, value string, tags ...string) []string {
	args := []string{"ssm", "put-parameter", "--name", name, "--value", value,
		"--type", "SecureString"}
	if len(tags) > 0 {
		args = append(append(args, "--tags"), tags...)
	}
	return args
}

var seq atomic.Int64

// unique returns name with a suffix that no other test of this process
// uses, so that tests share moto without sharing names.
func unique(name string) string {
	return fmt.Sprintf("%s_%d", name, seq.Add(1))
}

// expect checks the outcome of a run exactly.
func expect(t *testing.T, r result, status int, stdout, stderr string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d\nstderr: %s", r.status, status, r.stderr)
	}
	if r.stdout != stdout {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, stdout)
	}
	if r.stderr != stderr {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, stderr)
	}
}

// noLeak fails the test when any of values appears in out.
func noLeak(t *testing.T, what, out string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(out, v) {
			t.Errorf("%s shows the secret value %q:\n%s", what, v, out)
		}
	}
}

// marker returns the path of a file that a command would create if it
// ran, and a check that it was never created.
func marker(t *testing.T) (path string, notRun func()) {
	path = filepath.Join(t.TempDir(), "MARKER")
	return path, func() {
		t.Helper()
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the command ran: %s exists (%v)", path, err)
		}
	}
}

// touch is a command that creates the marker at path.
func touch(path string) []string {
	return []string{"--", "sh", "-c", `touch "$0"`, path}
}

// environLines is what `env` prints for env, less secret-exec's settings,
// followed by the lines of vars.
func environLines(env []string, vars ...string) string {
	var b strings.Builder
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SECRET_EXEC_") {
			b.WriteString(kv + "\n")
		}
	}
	for _, kv := range vars {
		b.WriteString(kv + "\n")
	}
	return b.String()
}

// writeFile writes a file in a new temporary directory and returns its
// path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
