package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// throttlingSSM serves SSM's GetParameters, answering ThrottlingException
// to the first throttled requests, and counts the requests.
func throttlingSSM(t *testing.T, throttled int32) (url string, requests *atomic.Int32) {
	t.Helper()
	requests = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if requests.Add(1) <= throttled {
			w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type": "ThrottlingException", "message": "Rate exceeded"}`)
			return
		}
		if target := r.Header.Get("X-Amz-Target"); target != "AmazonSSM.GetParameters" {
			t.Errorf("unexpected call %s", target)
		}
		fmt.Fprint(w, `{"Parameters": [{"Name": "/app/throttled", "Type": "SecureString", `+
			`"Value": "throttled-value-161", "Version": 4}], "InvalidParameters": []}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// TestThrottling retries throttled calls inside the deadline, so that a
// fleet of containers starting together all come up (SPEC section 8).
func TestThrottling(t *testing.T) {
	t.Parallel()
	url, requests := throttlingSSM(t, 3)
	env := append(without(awsEnv(t), "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL="+url,
		"X=ssm:///app/throttled")
	r := run(t, env, "--timeout", "10s", "--", "printenv", "X")
	expect(t, r, 0, "throttled-value-161\n", "")
	if n := requests.Load(); n != 4 {
		t.Errorf("%d requests, want 3 throttled and 1 answered", n)
	}
}

// TestThrottledToTheDeadline names the AWS error that kept the call
// retrying until the deadline (SPEC section 7: every failure comes with
// its AWS error code), rather than saying that nothing answered.
func TestThrottledToTheDeadline(t *testing.T) {
	t.Parallel()
	url, requests := throttlingSSM(t, 1<<30)
	path, notRun := marker(t)
	env := append(without(awsEnv(t), "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL="+url,
		"X=ssm:///app/throttled")
	r := run(t, env, append([]string{"--timeout", "2s"}, touch(path)...)...)
	notRun()
	if r.status != 1 || r.stdout != "" {
		t.Errorf("status %d, stdout %q, want 1 and nothing", r.status, r.stdout)
	}
	if n := requests.Load(); n < 2 {
		t.Errorf("%d requests: the throttled call was not retried", n)
	}
	prefix := strings.TrimSuffix(failed(1, "X: /app/throttled (us-east-1): "), "\n")
	wantParts(t, r.stderr, prefix, "ThrottlingException")
}

// TestBadGatewayToTheDeadline says what answered when a proxy in front of
// AWS gives HTTP 502 until the deadline: "no answer" would send the user
// looking for a network fault.
func TestBadGatewayToTheDeadline(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
	}))
	t.Cleanup(srv.Close)
	path, notRun := marker(t)
	env := append(without(awsEnv(t), "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL="+srv.URL,
		"X=ssm:///app/behind-a-proxy")
	r := run(t, env, append([]string{"--timeout", "2s"}, touch(path)...)...)
	notRun()
	if r.status != 1 || r.stdout != "" {
		t.Errorf("status %d, stdout %q, want 1 and nothing", r.status, r.stdout)
	}
	if n := requests.Load(); n < 2 {
		t.Errorf("%d requests: the failed call was not retried", n)
	}
	prefix := strings.TrimSuffix(failed(1, "X: /app/behind-a-proxy (us-east-1): timeout"), "\n")
	wantParts(t, r.stderr, prefix, "502")
	if strings.Contains(r.stderr, "no answer") {
		t.Errorf("the endpoint answered %d times, yet secret-exec says:\n%s",
			requests.Load(), r.stderr)
	}
}
