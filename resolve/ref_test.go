package resolve

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

const (
	testARN    = "arn:aws:ssm:eu-west-1:123456789012:parameter"
	testSecARN = "arn:aws:secretsmanager:us-east-2:123456789012:secret"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"NAME", Ref{Service: SSM, ID: "NAME"}},
		{"db_password.v2-x", Ref{Service: SSM, ID: "db_password.v2-x"}},
		{"/copilot/app/test/secrets/DB", Ref{Service: SSM, ID: "/copilot/app/test/secrets/DB"}},
		{"/x", Ref{Service: SSM, ID: "/x"}},
		{"NAME:3", Ref{Service: SSM, ID: "NAME", Selector: "3"}},
		{"NAME:label", Ref{Service: SSM, ID: "NAME", Selector: "label"}},
		{"/a/b:prod.v1", Ref{Service: SSM, ID: "/a/b", Selector: "prod.v1"}},
		{testARN + "/x", Ref{Service: SSM, Region: "eu-west-1",
			Account: "123456789012", ID: testARN + "/x"}},
		{testARN + "/a/b", Ref{Service: SSM, Region: "eu-west-1",
			Account: "123456789012", ID: testARN + "/a/b"}},
		{testARN + "/a/b:7", Ref{Service: SSM, Region: "eu-west-1",
			Account: "123456789012", ID: testARN + "/a/b", Selector: "7"}},
		{testARN + "/x:blue", Ref{Service: SSM, Region: "eu-west-1",
			Account: "123456789012", ID: testARN + "/x", Selector: "blue"}},
		{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x", Ref{Service: SSM,
			Region: "cn-north-1", Account: "123456789012",
			ID: "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x"}},
		{"arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/x", Ref{Service: SSM,
			Region: "us-gov-west-1", Account: "123456789012",
			ID: "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/x"}},
		// Full ARN, with the six random characters Secrets Manager adds.
		{testSecARN + ":db-AbCdEf", Ref{Service: SecretsManager, Region: "us-east-2",
			Account: "123456789012", ID: testSecARN + ":db-AbCdEf"}},
		// Partial ARN.
		{testSecARN + ":db", Ref{Service: SecretsManager, Region: "us-east-2",
			Account: "123456789012", ID: testSecARN + ":db"}},
		{testSecARN + ":db-AbCdEf:username::", Ref{Service: SecretsManager,
			Region: "us-east-2", Account: "123456789012",
			ID: testSecARN + ":db-AbCdEf", JSONKey: "username"}},
		{testSecARN + ":db::AWSPREVIOUS:", Ref{Service: SecretsManager,
			Region: "us-east-2", Account: "123456789012",
			ID: testSecARN + ":db", Stage: "AWSPREVIOUS"}},
		{testSecARN + ":app/db:password:AWSCURRENT:v-1", Ref{Service: SecretsManager,
			Region: "us-east-2", Account: "123456789012", ID: testSecARN + ":app/db",
			JSONKey: "password", Stage: "AWSCURRENT", VersionID: "v-1"}},
		{testSecARN + ":db:::0123-abcd", Ref{Service: SecretsManager,
			Region: "us-east-2", Account: "123456789012",
			ID: testSecARN + ":db", VersionID: "0123-abcd"}},
		{testSecARN + ":db:host", Ref{Service: SecretsManager, Region: "us-east-2",
			Account: "123456789012", ID: testSecARN + ":db", JSONKey: "host"}},
		{"/aws/reference/secretsmanager/db", Ref{Service: SSM,
			ID: "/aws/reference/secretsmanager/db"}},
		{"/aws/reference/secretsmanager/app/db+x=y.z@w-1", Ref{Service: SSM,
			ID: "/aws/reference/secretsmanager/app/db+x=y.z@w-1"}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
			continue
		}
		tt.want.Text = tt.in
		if got != tt.want {
			t.Errorf("ParseRef(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := []struct {
		in, msg string
	}{
		{"", "empty reference"},
		{"arn:aws:ssm", "malformed ARN"},
		{"arn:aws:ssm:eu-west-1:123456789012", "malformed ARN"},
		{"arn:aws:s3:us-east-1:123456789012:bucket/x", `service "s3"`},
		{"arn:aws:s3:::my-bucket", ""},
		{"arn:aws:kms:eu-west-1:123456789012:key/1", `service "kms"`},
		{"arn:azure:ssm:eu-west-1:123456789012:parameter/x", `partition "azure"`},
		{"arn::ssm:eu-west-1:123456789012:parameter/x", "partition"},
		{"arn:aws:ssm::123456789012:parameter/x", "missing region"},
		{"arn:aws:ssm:eu west 1:123456789012:parameter/x", "region"},
		{"arn:aws:ssm:eu-west-1:1234:parameter/x", `account "1234"`},
		{"arn:aws:ssm:eu-west-1:1234567890123:parameter/x", "account"},
		{"arn:aws:ssm:eu-west-1::parameter/x", "account"},
		{"arn:aws:ssm:eu-west-1:123456789012:document/x", "parameter"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/", "missing parameter name"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/x:", "empty version"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/a//b", "empty path segment"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:db", "secret"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:", "missing secret name"},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret::key::", "missing secret name"},
		{testSecARN + ":db:key:stage:id:extra", "too many fields"},
		{testSecARN + ":d b", "invalid character"},
		{"NAME:", "empty version or label"},
		{"/a/b:", "empty version or label"},
		{":3", "missing parameter name"},
		{"NAME:1:2", "invalid character"},
		{"NAME:la bel", "invalid character"},
		{"my param", "invalid character"},
		{"name$", "invalid character"},
		{"naïve", "invalid character"},
		{"a\x00b", "invalid character"},
		{"a/b", "must begin with /"},
		{"/a/", "empty path segment"},
		{"/a//b", "empty path segment"},
		{"/aws/reference/secretsmanager/", "missing secret name"},
		{"/aws/reference/secretsmanager/db:1", "takes no selector"},
		{"/aws/reference/secretsmanager/d b", "invalid character"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		checkRefError(t, "ParseRef", tt.in, tt.msg, got, err)
	}
}

func checkRefError(t *testing.T, fn, in, msg string, got Ref, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%q) = %+v, want an error", fn, in, got)
		return
	}
	var re *RefError
	if !errors.As(err, &re) {
		t.Errorf("%s(%q): error %T %v, want *RefError", fn, in, err, err)
		return
	}
	if re.Ref != in {
		t.Errorf("%s(%q): RefError.Ref = %q", fn, in, re.Ref)
	}
	if in != "" && !strings.Contains(err.Error(), strconv.Quote(in)) {
		t.Errorf("%s(%q): error %q does not name the reference", fn, in, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("%s(%q): error %q does not say %q", fn, in, err, msg)
	}
	if got != (Ref{}) {
		t.Errorf("%s(%q): returned %+v with the error, want a zero Ref", fn, in, got)
	}
}

// An account is twelve digits, as the error message itself says; letters
// must not pass for one.
func TestParseRefAccountDigits(t *testing.T) {
	for _, in := range []string{
		"arn:aws:ssm:eu-west-1:12345678901a:parameter/x",
		"arn:aws:ssm:eu-west-1:abcdefghijkl:parameter/x",
		"arn:aws:secretsmanager:eu-west-1:ABCDEFGHIJKL:secret:db",
	} {
		got, err := ParseRef(in)
		checkRefError(t, "ParseRef", in, "want 12 digits", got, err)
	}
}

func TestParseRefEmptyIsErrEmptyRef(t *testing.T) {
	for _, parse := range []func(string) (Ref, error){ParseRef, ParseSecretRef} {
		if _, err := parse(""); !errors.Is(err, ErrEmptyRef) {
			t.Errorf("parse(\"\") = %v, want ErrEmptyRef", err)
		}
	}
}

func TestParseSecretRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"db", Ref{ID: "db"}},
		{"app/db+x=y.z@w-1", Ref{ID: "app/db+x=y.z@w-1"}},
		{"db:password", Ref{ID: "db", JSONKey: "password"}},
		{"db:username::", Ref{ID: "db", JSONKey: "username"}},
		{"db::AWSPREVIOUS:", Ref{ID: "db", Stage: "AWSPREVIOUS"}},
		{"db:::v-1", Ref{ID: "db", VersionID: "v-1"}},
		{"db:k:AWSCURRENT:v-1", Ref{ID: "db", JSONKey: "k",
			Stage: "AWSCURRENT", VersionID: "v-1"}},
		{"db:::", Ref{ID: "db"}},
		{testSecARN + ":db-AbCdEf", Ref{Region: "us-east-2",
			Account: "123456789012", ID: testSecARN + ":db-AbCdEf"}},
		{testSecARN + ":db:password::", Ref{Region: "us-east-2",
			Account: "123456789012", ID: testSecARN + ":db", JSONKey: "password"}},
	}
	for _, tt := range tests {
		got, err := ParseSecretRef(tt.in)
		if err != nil {
			t.Errorf("ParseSecretRef(%q): %v", tt.in, err)
			continue
		}
		tt.want.Text, tt.want.Service = tt.in, SecretsManager
		if got != tt.want {
			t.Errorf("ParseSecretRef(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseSecretRefErrors(t *testing.T) {
	tests := []struct {
		in, msg string
	}{
		{"", "empty reference"},
		{":key", "missing secret name"},
		{"db:a:b:c:d", "too many fields"},
		{"d b", "invalid character"},
		{"db!", "invalid character"},
		{testARN + "/x", "not a Secrets Manager secret ARN"},
		{"arn:aws:s3:us-east-1:123456789012:bucket/x", `service "s3"`},
		{"arn:aws:secretsmanager:us-east-1:123456789012", "malformed ARN"},
		{"arn:nope:secretsmanager:us-east-1:123456789012:secret:db", "partition"},
		{"arn:aws:secretsmanager:us-east-1:42:secret:db", "account"},
		{testSecARN + ":db:a:b:c:d", "too many fields"},
	}
	for _, tt := range tests {
		got, err := ParseSecretRef(tt.in)
		checkRefError(t, "ParseSecretRef", tt.in, tt.msg, got, err)
	}
}

func TestServiceString(t *testing.T) {
	for s, want := range map[Service]string{
		SSM: "ssm", SecretsManager: "secretsmanager", 0: "unknown",
	} {
		if got := s.String(); got != want {
			t.Errorf("Service(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}
