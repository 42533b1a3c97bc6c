package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// imdsToken is the session token the fake instance metadata hands out.
const imdsToken = "imds-session-token"

// fakeIMDS serves the instance metadata an EC2 instance with a role sees,
// and answers only requests that carry an IMDSv2 session token.
type fakeIMDS struct {
	region string
	tokens atomic.Int32
}

func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
			http.Error(w, "missing TTL", http.StatusBadRequest)
			return
		}
		f.tokens.Add(1)
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		fmt.Fprint(w, imdsToken)
		return
	}
	if r.Header.Get("X-Aws-Ec2-Metadata-Token") != imdsToken {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/latest/dynamic/instance-identity/document":
		json.NewEncoder(w).Encode(map[string]string{
			"region": f.region, "accountId": fakeaws.DefaultAccount})
	case "/latest/meta-data/iam/security-credentials/":
		fmt.Fprint(w, "app-role")
	case "/latest/meta-data/iam/security-credentials/app-role":
		json.NewEncoder(w).Encode(map[string]string{
			"Code": "Success", "Type": "AWS-HMAC",
			"AccessKeyId": "ASIAINSTANCEROLE", "SecretAccessKey": "role-secret",
			"Token": "role-session", "LastUpdated": time.Now().UTC().Format(time.RFC3339),
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	default:
		http.NotFound(w, r)
	}
}

// bareEnv is an environment with no AWS settings at all but the endpoint.
func bareEnv(t *testing.T, url string, extra ...string) []string {
	return append([]string{
		"PATH=" + childPath,
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + url,
		"SECRET_EXEC_SECRETS=TOKEN: /app/token",
	}, extra...)
}

// TestInstanceRole resolves on an EC2 instance with no static keys: the
// region and the role credentials both come from IMDSv2.
func TestInstanceRole(t *testing.T) {
	s := fakeaws.New()
	aws := httptest.NewServer(s)
	defer aws.Close()
	defer s.Close()
	s.PutParameter("eu-west-1", fakeaws.Parameter{Name: "/app/token", Value: "token-7d2e"})
	imds := &fakeIMDS{region: "eu-west-1"}
	meta := httptest.NewServer(imds)
	defer meta.Close()

	env := bareEnv(t, aws.URL, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+meta.URL)
	r := run(t, env, "--", "printenv", "TOKEN")
	expect(t, r, 0, "token-7d2e\n", "")
	reqs := s.Requests("GetParameters")
	if len(reqs) != 1 || reqs[0].Region != "eu-west-1" || reqs[0].AccessKey != "ASIAINSTANCEROLE" {
		t.Errorf("GetParameters calls %+v, want one in eu-west-1 signed by the role", reqs)
	}
	if imds.tokens.Load() == 0 {
		t.Error("no IMDSv2 session token was asked for")
	}
}

// TestContainerCredentials resolves with the credentials of a container
// endpoint, as on ECS outside the agent's secrets or on EKS.
func TestContainerCredentials(t *testing.T) {
	s := fakeaws.New()
	aws := httptest.NewServer(s)
	defer aws.Close()
	defer s.Close()
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "/app/token", Value: "token-7d2e"})
	creds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "container-auth" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "container-secret",
			"Token":      "container-session",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	defer creds.Close()

	env := bareEnv(t, aws.URL, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI="+creds.URL+"/v2/credentials",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth")
	r := run(t, env, "--", "printenv", "TOKEN")
	expect(t, r, 0, "token-7d2e\n", "")
	reqs := s.Requests("GetParameters")
	if len(reqs) != 1 || reqs[0].AccessKey != "ASIACONTAINER" {
		t.Errorf("GetParameters calls %+v, want one signed by the container role", reqs)
	}
}

// TestNoRegionOffEC2 fails at once off EC2 when no region is set anywhere:
// the instance metadata refuses, and the message says where it looked.
func TestNoRegionOffEC2(t *testing.T) {
	env := bareEnv(t, "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+closedEndpoint(t))
	start := time.Now()
	r := run(t, env, "--", "printenv", "TOKEN")
	took := time.Since(start)
	want := "secret-exec: no region: none was given by --region or SECRET_EXEC_REGION, " +
		"AWS_REGION, AWS_DEFAULT_REGION or the AWS profile, and the EC2 instance metadata " +
		"gave none within 1s"
	if r.status != 1 || len(r.stderr) < len(want) || r.stderr[:len(want)] != want || r.stdout != "" {
		t.Errorf("status %d, stdout %q, stderr %q; want 1 and %q...", r.status, r.stdout,
			r.stderr, want)
	}
	if took > time.Second {
		t.Errorf("took %v to give up; the metadata lookup is bounded by 1s", took)
	}
}
