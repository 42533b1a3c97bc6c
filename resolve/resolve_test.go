package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

const (
	east = "us-east-1" // the default region of the tests
	west = "eu-west-1"
)

// arnOf returns the ARN of a parameter of the fake's own account.
func arnOf(region, name string) string {
	return "arn:aws:ssm:" + region + ":" + fakeAccount + ":parameter/" +
		strings.TrimPrefix(name, "/")
}

// refMappings maps V0, V1... to refs, parsed as valueFrom.
func refMappings(t testing.TB, refs ...string) []Mapping {
	t.Helper()
	ms := make([]Mapping, len(refs))
	for i, r := range refs {
		ms[i] = Mapping{Name: fmt.Sprintf("V%d", i), Ref: mustParseRef(t, r), Source: "test"}
	}
	return ms
}

// secretMappings maps S0, S1... to refs, parsed as {secretsmanager: ...}.
func secretMappings(t testing.TB, refs ...string) []Mapping {
	t.Helper()
	ms := make([]Mapping, len(refs))
	for i, r := range refs {
		ms[i] = Mapping{Name: fmt.Sprintf("S%d", i), Ref: mustParseSecretRef(t, r), Source: "test"}
	}
	return ms
}

func resolveFake(t testing.TB, f *fakeAWS, p *Policy, ms []Mapping) ([]Secret, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := &Resolver{Clients: f, Region: east, Policy: p}
	return r.Resolve(ctx, ms)
}

// checkValues checks that every secret resolved to its value.
func checkValues(t *testing.T, out []Secret, want ...string) {
	t.Helper()
	if len(out) != len(want) {
		t.Fatalf("got %d secrets, want %d", len(out), len(want))
	}
	for i, s := range out {
		if s.Err != nil {
			t.Errorf("%s (%s): %v", s.Name, s.Ref.Text, s.Err)
		} else if s.Value != want[i] {
			t.Errorf("%s (%s) = %q, want %q", s.Name, s.Ref.Text, s.Value, want[i])
		}
	}
}

// failures checks that err is an *Error listing exactly the failed secrets
// of out, that no failed secret kept a value, and that no value of the fake
// shows in any error; it returns the failures by variable name.
func failures(t *testing.T, f *fakeAWS, out []Secret, err error) map[string]error {
	t.Helper()
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	byName := make(map[string]error)
	for _, s := range out {
		if s.Err != nil {
			byName[s.Name] = s.Err
			if s.Value != "" {
				t.Errorf("%s failed but kept a value", s.Name)
			}
		}
	}
	if len(re.Failed) != len(byName) {
		t.Errorf("*Error lists %d failures, the secrets hold %d", len(re.Failed), len(byName))
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(re.Failed) {
		t.Errorf("error has %d lines for %d failures:\n%s", len(lines), len(re.Failed), err)
	}
	for i, s := range re.Failed {
		if byName[s.Name] == nil {
			t.Errorf("*Error lists %s, which did not fail", s.Name)
		}
		for _, part := range []string{s.Name, s.Ref.Text, s.Region} {
			if i < len(lines) && !strings.Contains(lines[i], part) {
				t.Errorf("failure line %q does not name %q", lines[i], part)
			}
		}
	}
	checkNoLeak(t, f, err)
	return byName
}

// checkNoLeak checks that no value held by f appears in err.
func checkNoLeak(t *testing.T, f *fakeAWS, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, v := range f.values() {
		if len(v) >= 6 && strings.Contains(msg, v) {
			t.Errorf("error shows the value %q:\n%s", v, msg)
		}
	}
}

func wantCode(t *testing.T, name string, err error, code string) {
	t.Helper()
	var ce *CodeError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Errorf("%s: error %v, want AWS code %s", name, err, code)
	}
}

// The fake answers GetParameters as SSM does.
func TestFakeGetParameters(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.delay = 0
	f.putParam(east, "/app/db", "db-one", "db-two")
	c := f.SSM(east)
	ctx := context.Background()
	names := []string{arnOf(east, "/app/db") + ":1", "/missing"}
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 1 || len(out.InvalidParameters) != 1 {
		t.Fatalf("GetParameters = %+v", out)
	}
	p := out.Parameters[0]
	if aws.ToString(p.Name) != "/app/db" || aws.ToString(p.Selector) != ":1" ||
		aws.ToString(p.Value) != "db-one" || out.InvalidParameters[0] != "/missing" {
		t.Errorf("GetParameters answered %s %s %s, invalid %q", aws.ToString(p.Name),
			aws.ToString(p.Selector), aws.ToString(p.Value), out.InvalidParameters)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: make([]string, 11)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		t.Errorf("11 names: %v, want a ValidationException", err)
	}
}

func TestResolveBatches(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	var refs, want []string
	for i := range 25 {
		name := fmt.Sprintf("/app/test/p%02d", i)
		value := fmt.Sprintf("value-of-p%02d\nwith newline ", i)
		f.putParam(east, name, "old-"+value, value)
		refs, want = append(refs, name), append(want, value)
	}
	out := mustResolve(t, f, nil, refs, want)
	for _, s := range out {
		if s.Region != east || s.Version != "2" || s.Tags != "off" {
			t.Errorf("%s: region %q version %q tags %q, want %s 2 off",
				s.Name, s.Region, s.Version, s.Tags, east)
		}
	}
	if n := f.count("GetParameters"); n != 3 {
		t.Errorf("%d GetParameters calls, want 3", n)
	}
	if f.maxInflight != 3 {
		t.Errorf("at most %d calls in flight together, want all 3", f.maxInflight)
	}
	var asked []string
	for _, names := range f.names["GetParameters"] {
		if len(names) > 10 {
			t.Errorf("a call asked for %d names", len(names))
		}
		asked = append(asked, names...)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, refs) {
		t.Errorf("asked for %q, want each of %q once", asked, refs)
	}
}

func TestResolveDuplicates(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/x", "value-of-x")
	f.putParam(east, "/y", "value-of-y")
	mustResolve(t, f, nil, []string{"/x", "/y", "/x", "/x", "/y"},
		[]string{"value-of-x", "value-of-y", "value-of-x", "value-of-x", "value-of-y"})
	if got := f.names["GetParameters"]; len(got) != 1 || len(got[0]) != 2 {
		t.Errorf("GetParameters calls asked %q, want one call for /x and /y", got)
	}
}

func TestResolveRegions(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	var refs, want []string
	for i := range 12 {
		name := fmt.Sprintf("/w/p%02d", i)
		f.putParam(west, name, "west-value-"+name)
		refs, want = append(refs, arnOf(west, name)), append(want, "west-value-"+name)
	}
	for i := range 5 {
		name := fmt.Sprintf("/e/p%02d", i)
		f.putParam(east, name, "east-value-"+name)
		refs, want = append(refs, name), append(want, "east-value-"+name)
	}
	// The same name in two regions holds two values.
	f.putParam(east, "/both/shared", "east-shared-value")
	f.putParam(west, "/both/shared", "west-shared-value")
	refs = append(refs, "/both/shared", arnOf(west, "/both/shared"))
	want = append(want, "east-shared-value", "west-shared-value")

	out := mustResolve(t, f, nil, refs, want)
	for i, s := range out {
		wantRegion := east
		if strings.HasPrefix(refs[i], "arn:") {
			wantRegion = west
		}
		if s.Region != wantRegion {
			t.Errorf("%s: region %q, want %q", s.Ref.Text, s.Region, wantRegion)
		}
	}
	if w, e := f.count("GetParameters "+west), f.count("GetParameters "+east); w != 2 || e != 1 {
		t.Errorf("GetParameters calls: %d in %s, %d in %s; want 2 and 1", w, west, e, east)
	}
	if f.maxInflight != 3 {
		t.Errorf("at most %d calls in flight together, want all 3", f.maxInflight)
	}
}

// Versions and labels of one parameter are answered with the same name,
// and by moto without a selector, so they must not share a call.
func TestResolveVersions(t *testing.T) {
	t.Parallel()
	for _, moto := range []bool{false, true} {
		t.Run(fmt.Sprintf("moto=%v", moto), func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS()
			f.moto = moto
			v := f.putParam(east, "/app/v", "version-one", "version-two", "version-three")
			v.labels["blue"] = 1
			f.putParam(east, "NAME", "name-one", "name-two")
			ms := refMappings(t, "/app/v:1", "/app/v:2", "/app/v", "/app/v:blue",
				arnOf(east, "/app/v")+":2",
				"NAME:1", "NAME:2", "NAME")
			out, err := resolveFake(t, f, nil, ms)
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, out, "version-one", "version-two", "version-three", "version-one",
				"version-two", "name-one", "name-two", "name-two")
			for i, v := range []string{"1", "2", "3", "1", "2", "1", "2", "2"} {
				if out[i].Version != v {
					t.Errorf("%s: version %q, want %s", out[i].Ref.Text, out[i].Version, v)
				}
			}
			for _, names := range f.names["GetParameters"] {
				seen := make(map[string]bool)
				for _, n := range names {
					_, _, bare, _ := splitParamName(n)
					if seen[bare] {
						t.Errorf("one call asked for %q: two forms of %s", names, bare)
					}
					seen[bare] = true
				}
			}
		})
	}
}

// SSM answers an ARN with the parameter's bare name.
func TestResolveARNMatchedBack(t *testing.T) {
	t.Parallel()
	for _, moto := range []bool{false, true} {
		t.Run(fmt.Sprintf("moto=%v", moto), func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS()
			f.moto = moto
			f.putParam(east, "/app/db", "app-db-v1", "app-db-v2")
			f.putParam(east, "plain", "plain-value")
			f.putParam(west, "/app/db", "west-app-db")
			ms := refMappings(t, arnOf(east, "/app/db"), arnOf(east, "plain"),
				arnOf(east, "/app/db")+":1", "/app/db", arnOf(west, "/app/db"), "plain")
			out, err := resolveFake(t, f, nil, ms)
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, out, "app-db-v2", "plain-value", "app-db-v1", "app-db-v2",
				"west-app-db", "plain-value")
		})
	}
}

// A secret read through SSM, which moto names by its bare ID, does not
// take the value of a parameter of that name.
func TestResolveSecretThroughSSM(t *testing.T) {
	t.Parallel()
	for _, moto := range []bool{false, true} {
		t.Run(fmt.Sprintf("moto=%v", moto), func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS()
			f.moto = moto
			f.putParam(east, "db", "parameter-db-value")
			f.putSecret(east, "db", `{"password":"secret-db-password"}`)
			out, err := resolveFake(t, f, nil,
				refMappings(t, "db", "/aws/reference/secretsmanager/db"))
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, out, "parameter-db-value", `{"password":"secret-db-password"}`)
		})
	}
}

func TestResolveNotFound(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/p0", "present-zero")
	f.putParam(east, "/p1", "present-one")
	ms := refMappings(t, "/p0", "/missing/a", "/p1", "/missing/b", "missing-c", "/p0:9")
	out, err := resolveFake(t, f, nil, ms)
	got := failures(t, f, out, err)
	if len(got) != 4 {
		t.Fatalf("%d failures, want 4:\n%v", len(got), err)
	}
	for _, name := range []string{"V1", "V3", "V4"} {
		wantCode(t, name, got[name], "ParameterNotFound")
	}
	wantCode(t, "V5", got["V5"], "ParameterVersionNotFound")
	if out[0].Value != "present-zero" || out[2].Value != "present-one" {
		t.Errorf("the parameters found were not set: %+v", out)
	}
	if !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Errorf("error does not give the code:\n%v", err)
	}
}

// A name that SSM neither answers nor lists as invalid still fails.
func TestResolveUnanswered(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/lost", "lost-value")
	f.putParam(east, "/found", "found-value")
	f.silent = map[string]bool{"/lost": true}
	out, err := resolveFake(t, f, nil, refMappings(t, "/lost", "/found"))
	got := failures(t, f, out, err)
	wantCode(t, "V0", got["V0"], "ParameterNotFound")
	if len(got) != 1 || !strings.Contains(got["V0"].Error(), "neither") {
		t.Errorf("failures %v", err)
	}
}

func TestResolveAPIError(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.errs["GetParameters "+west] = fakeAPIError("AccessDeniedException",
		"User is not authorized to perform: ssm:GetParameters")
	f.putParam(east, "/e", "east-value")
	var refs []string
	for i := range 12 {
		name := fmt.Sprintf("/west/w%d", i)
		f.putParam(west, name, "west-value-"+name)
		refs = append(refs, arnOf(west, name))
	}
	refs = append(refs, "/e")
	out, err := resolveFake(t, f, nil, refMappings(t, refs...))
	got := failures(t, f, out, err)
	if len(got) != 12 {
		t.Errorf("%d failures, want the 12 of %s", len(got), west)
	}
	for name, err := range got {
		wantCode(t, name, err, "AccessDeniedException")
	}
	if s := out[12]; s.Err != nil || s.Value != "east-value" {
		t.Errorf("%s: %q, %v; want its value", s.Ref.Text, s.Value, s.Err)
	}
	if !strings.Contains(err.Error(), "AccessDeniedException") ||
		!strings.Contains(err.Error(), west) {
		t.Errorf("error does not give the code and region:\n%v", err)
	}
}

func TestResolveTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.delay = time.Minute
	f.putParam(east, "/slow", "slow-value")
	f.putSecret(east, "slow", "slow-secret-value")
	ms := append(refMappings(t, "/slow"), secretMappings(t, "slow")...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := (&Resolver{Clients: f, Region: east}).Resolve(ctx, ms)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Resolve took %v past a 20ms deadline", d)
	}
	got := failures(t, f, out, err)
	if len(got) != 2 {
		t.Fatalf("%d failures, want 2", len(got))
	}
	for name, err := range got {
		if !strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: %v, want a timeout", name, err)
		}
	}
}

func TestResolveNUL(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/nul", "before\x00after-nul")
	f.putParam(east, "/ok", "ok-value")
	out, err := resolveFake(t, f, nil, refMappings(t, "/nul", "/ok"))
	got := failures(t, f, out, err)
	if err := got["V0"]; err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL value: %v, want an error saying NUL", err)
	}
	if len(got) != 1 {
		t.Errorf("%d failures, want 1", len(got))
	}
}

func TestResolveNoRegion(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(west, "/west/w", "west-value")
	ms := append(refMappings(t, "/x", arnOf(west, "/west/w")), secretMappings(t, "db")...)
	ctx := context.Background()
	out, err := (&Resolver{Clients: f}).Resolve(ctx, ms)
	got := failures(t, f, out, err)
	for _, name := range []string{"V0", "S0"} {
		if !errors.Is(got[name], ErrNoRegion) {
			t.Errorf("%s: %v, want ErrNoRegion", name, got[name])
		}
	}
	if out[1].Err != nil || out[1].Value != "west-value" {
		t.Errorf("ARN in %s: %q, %v; want its value", west, out[1].Value, out[1].Err)
	}
	if f.count("GetParameters") != 1 || f.count("GetSecretValue") != 0 {
		t.Errorf("calls %v, want one GetParameters in %s only", f.calls, west)
	}
	if !strings.Contains(err.Error(), "no region") {
		t.Errorf("error does not say no region:\n%v", err)
	}
}

func TestResolveNothing(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	out, err := resolveFake(t, f, &Policy{App: "app", Env: "test"}, nil)
	if err != nil || len(out) != 0 {
		t.Errorf("Resolve(nil) = %+v, %v", out, err)
	}
	if len(f.calls) != 0 {
		t.Errorf("Resolve(nil) made calls: %v", f.calls)
	}
}

const dbSecret = `{"username":"admin-user-x","password":"p4ssw0rd-xyz",` +
	`"port":3306,"tls":true,"opts":{ "a" : 1 },"none":null,"ratio":1.50,` +
	`"multi":"line one\nline two  ","list":[1, "two"],"big":12345678901234567890}`

func TestResolveSecretJSONKeys(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putSecret(east, "db", dbSecret)
	ms := secretMappings(t, "db:username", "db:password::", "db:port", "db:tls",
		"db:opts", "db:none", "db:ratio", "db:multi", "db:list", "db:big", "db")
	out, err := resolveFake(t, f, nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, "admin-user-x", "p4ssw0rd-xyz", "3306", "true", `{"a":1}`,
		"null", "1.50", "line one\nline two  ", `[1,"two"]`, "12345678901234567890", dbSecret)
	if n := f.count("GetSecretValue"); n != 1 {
		t.Errorf("%d GetSecretValue calls, want 1", n)
	}
	if out[0].Version != "v-current" || out[0].Region != east || out[0].Tags != "off" {
		t.Errorf("version %q region %q tags %q", out[0].Version, out[0].Region, out[0].Tags)
	}
}

func TestResolveSecretVersions(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	s := f.putSecret(east, "db", `{"password":"current-password"}`)
	s.addVersion("v-old", `{"password":"previous-password"}`, "AWSPREVIOUS")
	f.putSecret(west, "db", `{"password":"west-password"}`)
	arn := "arn:aws:secretsmanager:" + west + ":" + fakeAccount + ":secret:db"
	ms := secretMappings(t, "db:password", "db:password:AWSPREVIOUS:", "db::AWSPREVIOUS:",
		"db:password::v-old", "db:password:AWSCURRENT:", arn+":password::",
		arn+"-AbCdEf:password::")
	out, err := resolveFake(t, f, nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, "current-password", "previous-password",
		`{"password":"previous-password"}`, "previous-password", "current-password",
		"west-password", "west-password")
	if out[1].Version != "v-old" {
		t.Errorf("AWSPREVIOUS: version %q, want v-old", out[1].Version)
	}
	// One call per distinct (secret, stage, version id).
	if n := f.count("GetSecretValue"); n != 6 {
		t.Errorf("%d GetSecretValue calls, want 6", n)
	}
}

func TestResolveSecretErrors(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putSecret(east, "plain", "plain-text-s3cr3t")
	f.putSecret(east, "array", `["array-s3cr3t-item"]`)
	f.putSecret(east, "null", "null")
	f.putSecret(east, "db", `{"password":"p4ssw0rd-xyz","nul":"a\u0000b-s3cr3t"}`)
	f.putSecret(east, "bin", "").versions["v-current"] = fakeSecretVersion{
		bin: []byte("binary-s3cr3t-bytes")}
	f.putSecret(east, "nulwhole", "whole\x00nul-s3cr3t")
	tests := []struct{ ref, msg string }{
		{"plain:key", "not a JSON object"},
		{"array:0", "not a JSON object"},
		{"null:key", "not a JSON object"},
		{"db:username", "no such key"},
		{"db:nul", "NUL"},
		{"bin", "binary"},
		{"bin:key", "binary"},
		{"nulwhole", "NUL"},
		{"missing", "ResourceNotFoundException"},
		{"db:password:NOSUCHSTAGE:", "ResourceNotFoundException"},
	}
	var refs []string
	for _, tt := range tests {
		refs = append(refs, tt.ref)
	}
	out, err := resolveFake(t, f, nil, secretMappings(t, refs...))
	got := failures(t, f, out, err)
	for i, tt := range tests {
		name := fmt.Sprintf("S%d", i)
		if err := got[name]; err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want an error saying %q", tt.ref, err, tt.msg)
		}
	}
}

func TestResolveSecretAPIError(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.errs["GetSecretValue"] = fakeAPIError("AccessDeniedException", "not authorized")
	f.putSecret(east, "db", `{"a":"value-of-a","b":"value-of-b"}`)
	out, err := resolveFake(t, f, nil, secretMappings(t, "db:a", "db:b"))
	for name, err := range failures(t, f, out, err) {
		wantCode(t, name, err, "AccessDeniedException")
	}
}

var testPolicy = &Policy{App: "app", Env: "test"}

func TestTagPolicyPass(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/app/test/db", "db-value-1", "db-value-2").tag("app", "test")
	f.putParam(east, "plain", "plain-value").tag("app", "test")
	f.putParam(west, "/west/w", "west-value").tag("app", "test")
	f.putSecret(east, "creds", `{"user":"user-value"}`).tag("app", "test")
	f.putSecret(east, "ref", "referenced-value").tag("app", "test")
	ms := append(refMappings(t, "/app/test/db", "/app/test/db:1", "plain",
		arnOf(west, "/west/w"), arnOf(east, "plain"), "/aws/reference/secretsmanager/ref"),
		secretMappings(t, "creds:user")...)
	out, err := resolveFake(t, f, testPolicy, ms)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, "db-value-2", "db-value-1", "plain-value", "west-value",
		"plain-value", "referenced-value", "user-value")
	for _, s := range out {
		if s.Tags != "ok" {
			t.Errorf("%s: tags %q, want ok", s.Ref.Text, s.Tags)
		}
	}
	e, w := f.count("DescribeParameters "+east), f.count("DescribeParameters "+west)
	if e != 1 || w != 1 {
		t.Errorf("DescribeParameters: %d calls in %s, %d in %s; want 1 and 1", e, east, w, west)
	}
	if n := f.count("ListTagsForResource"); n != 0 {
		t.Errorf("%d ListTagsForResource calls for parameters that passed", n)
	}
	if n := f.count("DescribeSecret"); n != 2 {
		t.Errorf("%d DescribeSecret calls, want 2 (creds, ref)", n)
	}
	if !f.overlaps[[2]string{"DescribeParameters", "GetParameters"}] &&
		!f.overlaps[[2]string{"GetParameters", "DescribeParameters"}] {
		t.Error("the tag check did not run beside the fetch")
	}
}

func TestTagPolicyOff(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/untagged", "untagged-value")
	f.putSecret(east, "untagged", "untagged-secret")
	out, err := resolveFake(t, f, nil,
		append(refMappings(t, "/untagged"), secretMappings(t, "untagged")...))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, "untagged-value", "untagged-secret")
	for _, op := range []string{"DescribeParameters", "ListTagsForResource", "DescribeSecret"} {
		if n := f.count(op); n != 0 {
			t.Errorf("%d %s calls with the policy off", n, op)
		}
	}
}

func TestTagPolicyFailures(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/ok", "ok-value").tag("app", "test")
	f.putParam(east, "/untagged", "untagged-value")
	f.putParam(east, "/app-only", "app-only-value").tags[AppTag] = "app"
	f.putParam(east, "/prod", "prod-param-value").tag("app", "prod")
	f.putParam(east, "/other-app", "other-app-value").tag("other", "test")
	f.putSecret(east, "prod", "prod-secret-value").tag("app", "prod")
	f.putSecret(east, "untagged", `{"k":"untagged-secret-value"}`)
	ms := append(refMappings(t, "/ok", "/untagged", "/app-only", "/prod", "/other-app",
		"/aws/reference/secretsmanager/prod"),
		secretMappings(t, "prod", "untagged:k")...)
	out, err := resolveFake(t, f, testPolicy, ms)
	got := failures(t, f, out, err)
	want := map[string]TagError{
		"V1": {Tag: AppTag, Want: "app", Missing: true},
		"V2": {Tag: EnvTag, Want: "test", Missing: true},
		"V3": {Tag: EnvTag, Want: "test", Got: "prod"},
		"V4": {Tag: AppTag, Want: "app", Got: "other"},
		"V5": {Tag: EnvTag, Want: "test", Got: "prod"},
		"S0": {Tag: EnvTag, Want: "test", Got: "prod"},
		"S1": {Tag: AppTag, Want: "app", Missing: true},
	}
	if len(got) != len(want) {
		t.Errorf("%d failures, want %d:\n%v", len(got), len(want), err)
	}
	for name, w := range want {
		var te *TagError
		if !errors.As(got[name], &te) {
			t.Errorf("%s: %v, want a *TagError", name, got[name])
			continue
		}
		if *te != w {
			t.Errorf("%s: %+v, want %+v", name, *te, w)
		}
		if msg := te.Error(); !strings.Contains(msg, w.Tag) ||
			!strings.Contains(msg, w.Want) || !strings.Contains(msg, w.Got) {
			t.Errorf("%s: %q does not name the tag and its values", name, msg)
		}
	}
	// The four parameters that DescribeParameters left out are explained.
	if n := f.count("ListTagsForResource"); n != 4 {
		t.Errorf("%d ListTagsForResource calls, want 4", n)
	}
	for _, s := range out {
		want := "failed"
		if s.Name == "V0" {
			want = "ok"
		}
		if s.Tags != want {
			t.Errorf("%s: tags %q, want %q", s.Name, s.Tags, want)
		}
	}
}

// A parameter that carries both tags but that DescribeParameters did not
// list is refused all the same: the check could not be made.
func TestTagPolicyUnlisted(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putParam(east, "/app/x", "unlisted-value").tag("app", "test")
	f.unlisted = map[string]bool{"/app/x": true}
	out, err := resolveFake(t, f, testPolicy, refMappings(t, "/app/x"))
	got := failures(t, f, out, err)
	if err := got["V0"]; err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Errorf("unlisted parameter: %v, want a tag policy failure", err)
	}
}

// A parameter that does not exist is reported as such, not as a tag
// failure.
func TestTagPolicyMissingParameter(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	out, err := resolveFake(t, f, testPolicy, refMappings(t, "/missing"))
	got := failures(t, f, out, err)
	wantCode(t, "V0", got["V0"], "ParameterNotFound")
}

func TestTagPolicyDenied(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.errs["DescribeParameters"] = fakeAPIError("AccessDeniedException", "not authorized")
	f.errs["DescribeSecret"] = fakeAPIError("AccessDeniedException", "not authorized")
	f.putParam(east, "/a", "a-value").tag("app", "test")
	f.putParam(east, "/b", "b-value").tag("app", "test")
	f.putSecret(east, "s", "s-value-secret").tag("app", "test")
	ms := append(refMappings(t, "/a", "/b"), secretMappings(t, "s")...)
	out, err := resolveFake(t, f, testPolicy, ms)
	got := failures(t, f, out, err)
	if len(got) != 3 {
		t.Errorf("%d failures, want 3", len(got))
	}
	for name, err := range got {
		if !strings.Contains(err.Error(), "--no-tag-check") {
			t.Errorf("%s: %q does not mention --no-tag-check", name, err)
		}
	}
	for name, action := range map[string]string{"V0": "ssm:DescribeParameters",
		"S0": "secretsmanager:DescribeSecret"} {
		if !strings.Contains(got[name].Error(), action) {
			t.Errorf("%s: %q does not name %s", name, got[name], action)
		}
	}
}

func TestTagPolicyManyNames(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	var refs, want []string
	for i := range 120 {
		name := fmt.Sprintf("/many/p%03d", i)
		f.putParam(east, name, "many-value-"+name).tag("app", "test")
		refs, want = append(refs, name), append(want, "many-value-"+name)
	}
	mustResolve(t, f, testPolicy, refs, want)
	if n := f.count("DescribeParameters"); n != 3 {
		t.Errorf("%d DescribeParameters calls, want 3", n)
	}
	if n := f.opMax["DescribeParameters"]; n != 3 {
		t.Errorf("at most %d DescribeParameters calls in flight together, want 3", n)
	}
	if n := f.opMax["GetParameters"]; n != 12 {
		t.Errorf("at most %d GetParameters calls in flight together, want 12", n)
	}
	var asked []string
	for _, names := range f.names["DescribeParameters"] {
		if len(names) > 50 {
			t.Errorf("DescribeParameters asked for %d names", len(names))
		}
		asked = append(asked, names...)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, refs) {
		t.Errorf("DescribeParameters asked for %d names, want each of %d once",
			len(asked), len(refs))
	}
}

// DescribeParameters may answer in pages smaller than MaxResults.
func TestTagPolicyPages(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.delay = time.Millisecond
	f.pageSize = 7
	var refs, want []string
	for i := range 30 {
		name := fmt.Sprintf("/paged/p%02d", i)
		f.putParam(east, name, "paged-value-"+name).tag("app", "test")
		refs, want = append(refs, name), append(want, "paged-value-"+name)
	}
	mustResolve(t, f, testPolicy, refs, want)
	if n := f.count("DescribeParameters"); n != 5 {
		t.Errorf("%d DescribeParameters calls, want 5 pages", n)
	}
}

func TestTagPolicySecretsOnce(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	a := f.putSecret(east, "a", `{"user":"a-user-value","pass":"a-pass-value"}`).tag("app", "test")
	a.addVersion("v-old", `{"user":"a-old-user"}`, "AWSPREVIOUS")
	f.putSecret(east, "b", "b-whole-value").tag("app", "test")
	ms := append(secretMappings(t, "a:user", "a:pass", "a:user:AWSPREVIOUS:", "b", "b"),
		refMappings(t, "/aws/reference/secretsmanager/a")...)
	out, err := resolveFake(t, f, testPolicy, ms)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, "a-user-value", "a-pass-value", "a-old-user", "b-whole-value",
		"b-whole-value", `{"user":"a-user-value","pass":"a-pass-value"}`)
	if n := f.count("DescribeSecret"); n != 2 {
		t.Errorf("%d DescribeSecret calls, want one for each of a and b", n)
	}
	if n := f.count("GetSecretValue"); n != 3 {
		t.Errorf("%d GetSecretValue calls, want 3", n)
	}
}

func TestTagPolicyOtherAccount(t *testing.T) {
	t.Parallel()
	for _, ownToo := range []bool{false, true} {
		t.Run(fmt.Sprintf("own=%v", ownToo), func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS()
			f.putShared(otherAccount, east, "/shared/x", "other-account-value")
			if ownToo {
				// A parameter of the same name in the own account, tagged
				// right, must not vouch for the other account's.
				f.putParam(east, "/shared/x", "own-account-value").tag("app", "test")
			}
			f.putParam(east, "/app/mine", "mine-value").tag("app", "test")
			other := "arn:aws:ssm:" + east + ":" + otherAccount + ":parameter/shared/x"
			out, err := resolveFake(t, f, testPolicy,
				refMappings(t, other, arnOf(east, "/app/mine")))
			got := failures(t, f, out, err)
			var ae *AccountError
			if !errors.As(got["V0"], &ae) {
				t.Fatalf("other account: %v, want an *AccountError", got["V0"])
			}
			if ae.Account != otherAccount || ae.Own != fakeAccount {
				t.Errorf("AccountError %+v, want %s, own %s", *ae, otherAccount, fakeAccount)
			}
			if len(got) != 1 || out[1].Value != "mine-value" {
				t.Errorf("the own account's ARN failed: %v", err)
			}
			if n := f.count("GetCallerIdentity"); n != 1 {
				t.Errorf("%d account lookups, want 1", n)
			}
		})
	}
}

// A secret read through SSM by the ARN of its reference parameter is still
// a secret: its tags count, as for /aws/reference/secretsmanager/ID.
func TestTagPolicySecretThroughSSMByARN(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putSecret(west, "db", "db-secret-value").tag("app", "test")
	out, err := resolveFake(t, f, testPolicy,
		refMappings(t, arnOf(west, "/aws/reference/secretsmanager/db")))
	if err != nil {
		checkNoLeak(t, f, err)
		t.Fatalf("a secret tagged for app/test was refused:\n%v", err)
	}
	checkValues(t, out, "db-secret-value")
	if n := f.count("DescribeSecret"); n != 1 {
		t.Errorf("%d DescribeSecret calls, want 1", n)
	}
}

// Without the policy, another account's shared parameter is read.
func TestResolveOtherAccountNoPolicy(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.putShared(otherAccount, east, "/shared/x", "other-account-value")
	other := "arn:aws:ssm:" + east + ":" + otherAccount + ":parameter/shared/x"
	mustResolve(t, f, nil, []string{other},
		[]string{"other-account-value"})
	if n := f.count("GetCallerIdentity"); n != 0 {
		t.Errorf("%d account lookups without the policy", n)
	}
}

func TestTagPolicyAccountLookupFails(t *testing.T) {
	t.Parallel()
	f := newFakeAWS()
	f.accountErr = fakeAPIError("ExpiredToken", "the security token expired")
	f.putParam(east, "/app/mine", "mine-value").tag("app", "test")
	out, err := resolveFake(t, f, testPolicy, refMappings(t, arnOf(east, "/app/mine")))
	got := failures(t, f, out, err)
	if err := got["V0"]; err == nil || !strings.Contains(err.Error(), "ExpiredToken") {
		t.Errorf("account lookup failure: %v, want it reported", err)
	}
}

func BenchmarkResolve100(b *testing.B) {
	f := newFakeAWS()
	f.delay, f.noRecord = 0, true
	refs := make([]string, 100)
	for i := range refs {
		refs[i] = fmt.Sprintf("/bench/p%03d", i)
		f.putParam(east, refs[i], "bench-value-"+refs[i])
	}
	ms := refMappings(b, refs...)
	r := &Resolver{Clients: f, Region: east}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSecrets(b *testing.B) {
	var text strings.Builder
	for i := range 50 {
		fmt.Fprintf(&text, "VAR_%02d: /copilot/app/test/secrets/var_%02d\n", i, i)
	}
	text.WriteString("DB: {secretsmanager: 'db:password::'}\n")
	text.WriteString("REMOTE: arn:aws:ssm:eu-west-1:123456789012:parameter/x:3\n")
	data := []byte(text.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSecrets(data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// mustResolve resolves refs against f, which must succeed with the values
// want, in order.
func mustResolve(t *testing.T, f *fakeAWS, p *Policy, refs, want []string) []Secret {
	t.Helper()
	out, err := resolveFake(t, f, p, refMappings(t, refs...))
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, out, want...)
	return out
}
