package integration

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoRegion fails plainly, and soon, when no region is set anywhere and
// the instance metadata does not answer.
func TestNoRegion(t *testing.T) {
	t.Parallel()
	name := unique("/app/region")
	putParameter(t, name, "region-value-101")
	secret := unique("app/region")
	arn := createSecret(t, secret, "arn-value-102")
	path, notRun := marker(t)
	env := []string{
		"PATH=" + childPath,
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + closedEndpoint(t),
		"X=ssm://" + name,
	}
	start := time.Now()
	r := run(t, env, touch(path)...)
	elapsed := time.Since(start)
	if r.status != 1 || r.stdout != "" {
		t.Errorf("status %d, stdout %q, want 1 and nothing", r.status, r.stdout)
	}
	wantParts(t, r.stderr, "secret-exec: no region: ", "--region", "SECRET_EXEC_REGION",
		"AWS_REGION", "AWS_DEFAULT_REGION", "profile", "EC2 instance metadata")
	notRun()
	// The instance metadata gets at most a second (SPEC section 6).
	if elapsed > 3*time.Second {
		t.Errorf("secret-exec took %v to find no region", elapsed)
	}

	for _, set := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "SECRET_EXEC_REGION"} {
		r = run(t, append(env, set+"=us-east-1"), "--", "printenv", "X")
		expect(t, r, 0, "region-value-101\n", "")
	}
	r = run(t, env, "--region", "us-east-1", "--", "printenv", "X")
	expect(t, r, 0, "region-value-101\n", "")

	// An ARN carries its own region.
	env = append(without(env, "X"), "Y=secretsmanager://"+arn)
	r = run(t, env, "--", "printenv", "Y")
	expect(t, r, 0, "arn-value-102\n", "")
}

// TestNoCredentials fails plainly when the credentials chain finds
// nothing.
func TestNoCredentials(t *testing.T) {
	t.Parallel()
	base := []string{
		"PATH=" + childPath,
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_REGION=us-east-1",
		"SECRET_EXEC_SECRETS=X: /app/anything",
	}
	for _, imds := range []string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + closedEndpoint(t),
		"AWS_EC2_METADATA_DISABLED=true",
	} {
		t.Run(strings.Split(imds, "=")[0], func(t *testing.T) {
			path, notRun := marker(t)
			r := run(t, append(base, imds), touch(path)...)
			if r.status != 1 || r.stdout != "" {
				t.Errorf("status %d, stdout %q, want 1 and nothing", r.status, r.stdout)
			}
			wantParts(t, r.stderr, "secret-exec: no AWS credentials: ", "AWS_ACCESS_KEY_ID",
				"shared config and credentials files", "EC2 instance metadata")
			notRun()
		})
	}
}

// TestTimeout ends resolution at the deadline when AWS never answers, and
// says so for every mapping.
func TestTimeout(t *testing.T) {
	t.Parallel()
	hung, _ := hangingEndpoint(t)
	secrets := "{A: /app/a, B: {secretsmanager: app/b}}"
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"--timeout", nil, []string{"--timeout", "1s"}},
		{"SECRET_EXEC_TIMEOUT", []string{"SECRET_EXEC_TIMEOUT=1"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path, notRun := marker(t)
			env := append(without(awsEnv(t, c.env...), "AWS_ENDPOINT_URL"),
				"AWS_ENDPOINT_URL="+hung, "SECRET_EXEC_SECRETS="+secrets)
			start := time.Now()
			r := run(t, env, append(c.args, touch(path)...)...)
			elapsed := time.Since(start)
			expect(t, r, 1, "", failed(2,
				"A: /app/a (us-east-1): timeout: no answer before the deadline",
				"B: app/b (us-east-1): timeout: no answer before the deadline"))
			notRun()
			if elapsed < time.Second || elapsed > 4*time.Second {
				t.Errorf("secret-exec gave up after %v, want about 1s", elapsed)
			}
		})
	}
}

// hangingEndpoint returns the URL of a server that reads requests and
// never answers, and a count of the connections it took.
func hangingEndpoint(t *testing.T) (url string, conns func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		accepted []net.Conn
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range accepted {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted)
	}
	return "http://" + l.Addr().String(), count
}

// wantParts checks that text begins with prefix and holds every part.
func wantParts(t *testing.T, text, prefix string, parts ...string) {
	t.Helper()
	if !strings.HasPrefix(text, prefix) {
		t.Errorf("%q does not begin with %q", text, prefix)
	}
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%q does not mention %q", text, p)
		}
	}
}
