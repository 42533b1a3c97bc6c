package fakeaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

const region = "us-east-1"

var ctx = context.Background()

// start serves a new fake for the length of the test.
func start(t *testing.T) (*fakeaws.Server, string) {
	t.Helper()
	s := fakeaws.New()
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts.URL
}

func awsConfig(url, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
}

func ssmClient(url, region string) *ssm.Client {
	return ssm.NewFromConfig(awsConfig(url, region))
}

func smClient(url, region string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awsConfig(url, region))
}

// errCode returns the AWS error code of err, failing when it has none.
func errCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want an AWS API error", err)
	}
	return ae.ErrorCode()
}

func getParam(c *ssm.Client, name string) (*ssm.GetParameterOutput, error) {
	return c.GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String(name), WithDecryption: aws.Bool(true)})
}

func TestGetParameters(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "/app/a", Value: "a1",
		Labels: []string{"prod"}})
	s.PutParameter(region, fakeaws.Parameter{Name: "/app/a", Value: "a2"})
	s.PutParameter(region, fakeaws.Parameter{Name: "plain", Value: "p", Type: "SecureString"})
	aARN := s.ParameterARN(region, "/app/a")
	if want := "arn:aws:ssm:us-east-1:123456789012:parameter/app/a"; aARN != want {
		t.Fatalf("ParameterARN = %s, want %s", aARN, want)
	}
	names := []string{"/app/a", "/app/a:1", "/app/a:prod", aARN + ":2",
		"arn:aws:ssm:us-east-1:123456789012:parameter/plain", "missing", "/app/a:9",
		"/app/a:nolabel", "arn:aws:ssm:eu-west-1:123456789012:parameter/plain", "/app/a"}
	out, err := ssmClient(url, region).GetParameters(ctx, &ssm.GetParametersInput{
		Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, strings.Join([]string{aws.ToString(p.Name), aws.ToString(p.Selector),
			aws.ToString(p.Value), string(p.Type), aws.ToString(p.DataType),
			aws.ToString(p.ARN)}, "|")+"|"+string(rune('0'+p.Version)))
		if p.LastModifiedDate == nil || time.Since(*p.LastModifiedDate) > time.Minute {
			t.Errorf("%s: LastModifiedDate = %v", *p.Name, p.LastModifiedDate)
		}
	}
	plainARN := "arn:aws:ssm:us-east-1:123456789012:parameter/plain"
	want := []string{
		"/app/a||a2|String|text|" + aARN + "|2",
		"/app/a|:1|a1|String|text|" + aARN + "|1",
		"/app/a|:prod|a1|String|text|" + aARN + "|1",
		"/app/a|:2|a2|String|text|" + aARN + "|2",
		"plain||p|SecureString|text|" + plainARN + "|1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Parameters:\n got %q\nwant %q", got, want)
	}
	wantInvalid := []string{"missing", "/app/a:9", "/app/a:nolabel",
		"arn:aws:ssm:eu-west-1:123456789012:parameter/plain"}
	if !slices.Equal(out.InvalidParameters, wantInvalid) {
		t.Errorf("InvalidParameters = %q, want %q", out.InvalidParameters, wantInvalid)
	}
}

func TestGetParametersLimit(t *testing.T) {
	_, url := start(t)
	names := make([]string, 11)
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	_, err := ssmClient(url, region).GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if c := errCode(t, err); c != "ValidationException" {
		t.Errorf("11 names: code %s, want ValidationException", c)
	}
}

func TestGetParameter(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "k", Value: "v", Type: "SecureString"})
	c := ssmClient(url, region)
	for _, tc := range []struct{ name, code string }{
		{"nope", "ParameterNotFound"},
		{"k:2", "ParameterVersionNotFound"},
		{"k:lbl", "ParameterVersionNotFound"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/nope", "ParameterNotFound"},
	} {
		_, err := getParam(c, tc.name)
		if got := errCode(t, err); got != tc.code {
			t.Errorf("%s: code %s, want %s", tc.name, got, tc.code)
		}
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(out.Parameter.Value); v == "v" || v == "" {
		t.Errorf("SecureString without decryption gave %q", v)
	}
}

func TestRegions(t *testing.T) {
	s, url := start(t)
	s.PutParameter("eu-west-1", fakeaws.Parameter{Name: "k", Value: "eu"})
	if _, err := getParam(ssmClient(url, region), "k"); errCode(t, err) != "ParameterNotFound" {
		t.Errorf("parameter of eu-west-1 found in %s", region)
	}
	out, err := getParam(ssmClient(url, "eu-west-1"), "k")
	if err != nil || aws.ToString(out.Parameter.Value) != "eu" {
		t.Fatalf("eu-west-1: %v, %v", out, err)
	}
	if n := s.Stats().CallsByRegion["GetParameter"]; n["eu-west-1"] != 1 || n[region] != 1 {
		t.Errorf("CallsByRegion = %v", n)
	}
}

func TestSharedParameter(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "/sh/x", Value: "v", Account: "210987654321"})
	c := ssmClient(url, region)
	arn := "arn:aws:ssm:us-east-1:210987654321:parameter/sh/x"
	out, err := getParam(c, arn)
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Parameter; *p.Name != "/sh/x" || *p.ARN != arn || *p.Value != "v" {
		t.Errorf("shared parameter = %s %s %s", *p.Name, *p.ARN, *p.Value)
	}
	if _, err := getParam(c, "/sh/x"); errCode(t, err) != "ParameterNotFound" {
		t.Error("shared parameter found by bare name")
	}
}

func TestSecretReference(t *testing.T) {
	s, url := start(t)
	s.PutSecret(region, fakeaws.Secret{Name: "db", String: "pw"})
	c := ssmClient(url, region)
	ref := "/aws/reference/secretsmanager/db"
	out, err := getParam(c, ref)
	if err != nil {
		t.Fatal(err)
	}
	p := out.Parameter
	if *p.Name != ref || *p.Value != "pw" || p.Type != ssmtypes.ParameterTypeSecureString ||
		*p.ARN != s.SecretARN(region, "db") || !strings.Contains(*p.SourceResult, `"Name":"db"`) {
		t.Errorf("reference = %+v", p)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref)})
	if code := errCode(t, err); code != "ValidationException" {
		t.Errorf("without decryption: %s, want ValidationException", code)
	}
	gp, err := c.GetParameters(ctx, &ssm.GetParametersInput{
		Names: []string{ref, ref + "x"}, WithDecryption: aws.Bool(true)})
	if err != nil || len(gp.Parameters) != 1 ||
		!slices.Equal(gp.InvalidParameters, []string{ref + "x"}) {
		t.Errorf("GetParameters = %+v, %v", gp, err)
	}
}

func TestDescribeParameters(t *testing.T) {
	s, url := start(t)
	s.SetPageSize(3)
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		env := map[bool]string{true: "prod", false: "test"}[i%2 == 0]
		s.PutParameter(region, fakeaws.Parameter{Name: name, Value: "v",
			Tags: map[string]string{"env": env, "app": "x"}})
	}
	c := ssmClient(url, region)
	in := &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"),
			Values: []string{"a", "b", "c", "e", "g", "zz"}},
		{Key: aws.String("tag:env"), Values: []string{"prod"}},
		{Key: aws.String("tag:app")},
	}}
	var got []string
	pages := ssm.NewDescribeParametersPaginator(c, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.Parameters {
			if p.Version != 1 || p.Type != "String" || *p.DataType != "text" || p.ARN == nil {
				t.Errorf("metadata %+v", p)
			}
			got = append(got, *p.Name)
		}
	}
	if want := []string{"a", "c", "e", "g"}; !slices.Equal(got, want) {
		t.Errorf("matched %q, want %q", got, want)
	}
	// The page bounds the scan of the 5 named parameters that exist, so
	// they take 2 calls of 3.
	if n := s.Calls("DescribeParameters"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	out, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{MaxResults: aws.Int32(2)})
	if err != nil || len(out.Parameters) != 2 || out.NextToken == nil {
		t.Errorf("MaxResults 2: %+v, %v", out, err)
	}
	tags, err := c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{
		ResourceId: aws.String("b"), ResourceType: ssmtypes.ResourceTypeForTaggingParameter})
	if err != nil || len(tags.TagList) != 2 || *tags.TagList[1].Key != "env" ||
		*tags.TagList[1].Value != "test" {
		t.Errorf("ListTagsForResource: %+v, %v", tags, err)
	}
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{
		ResourceId: aws.String("zz"), ResourceType: ssmtypes.ResourceTypeForTaggingParameter})
	if errCode(t, err) != "InvalidResourceId" {
		t.Errorf("ListTagsForResource of a missing parameter: %v", err)
	}
}

func TestDescribeParametersErrors(t *testing.T) {
	_, url := start(t)
	c := ssmClient(url, region)
	for _, tc := range []struct {
		f    ssmtypes.ParameterStringFilter
		code string
	}{
		{ssmtypes.ParameterStringFilter{Key: aws.String("Name"), Values: make([]string, 51)},
			"ValidationException"},
		{ssmtypes.ParameterStringFilter{Key: aws.String("Nope"), Values: []string{"x"}},
			"InvalidFilterKey"},
		{ssmtypes.ParameterStringFilter{Key: aws.String("Name"), Option: aws.String("Contains"),
			Values: []string{"x"}}, "InvalidFilterOption"},
	} {
		_, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{
			ParameterFilters: []ssmtypes.ParameterStringFilter{tc.f}})
		if got := errCode(t, err); got != tc.code {
			t.Errorf("%s: code %s, want %s", *tc.f.Key, got, tc.code)
		}
	}
	_, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{NextToken: aws.String("!")})
	if got := errCode(t, err); got != "InvalidNextToken" {
		t.Errorf("bad token: code %s", got)
	}
}

func TestGetSecretValue(t *testing.T) {
	s, url := start(t)
	v1 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "one"})
	v2 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "two"})
	v3 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "three",
		Stages: []string{"next"}})
	s.PutSecret(region, fakeaws.Secret{Name: "bin", Binary: []byte{0, 1, 2}})
	arn := s.SecretARN(region, "db")
	partial := strings.TrimSuffix(arn, arn[len(arn)-7:])
	c := smClient(url, region)
	for _, tc := range []struct{ id, stage, version, want, wantVersion string }{
		{"db", "", "", "two", v2},
		{arn, "", "", "two", v2},
		{partial, "", "", "two", v2},
		{"db", "AWSPREVIOUS", "", "one", v1},
		{"db", "next", "", "three", v3},
		{"db", "", v1, "one", v1},
		{"db", "AWSCURRENT", v2, "two", v2},
	} {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.id)}
		if tc.stage != "" {
			in.VersionStage = aws.String(tc.stage)
		}
		if tc.version != "" {
			in.VersionId = aws.String(tc.version)
		}
		out, err := c.GetSecretValue(ctx, in)
		if err != nil {
			t.Errorf("%s %s %s: %v", tc.id, tc.stage, tc.version, err)
			continue
		}
		if *out.SecretString != tc.want || *out.VersionId != tc.wantVersion ||
			*out.ARN != arn || *out.Name != "db" || out.CreatedDate == nil {
			t.Errorf("%s %s %s: got %s %s", tc.id, tc.stage, tc.version,
				*out.SecretString, *out.VersionId)
		}
	}
	for _, tc := range []struct{ id, stage, version string }{
		{"nope", "", ""},
		{arn[:len(arn)-1] + "X", "", ""},
		{strings.Replace(arn, region, "eu-west-1", 1), "", ""},
		{"db", "AWSPENDING", ""},
		{"db", "AWSCURRENT", v1},
		{"db", "", "no-such-version"},
	} {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.id)}
		if tc.stage != "" {
			in.VersionStage = aws.String(tc.stage)
		}
		if tc.version != "" {
			in.VersionId = aws.String(tc.version)
		}
		_, err := c.GetSecretValue(ctx, in)
		if code := errCode(t, err); code != "ResourceNotFoundException" {
			t.Errorf("%s %s %s: code %s", tc.id, tc.stage, tc.version, code)
		}
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String("bin")})
	if err != nil || out.SecretString != nil || !slices.Equal(out.SecretBinary, []byte{0, 1, 2}) {
		t.Errorf("binary secret: %+v, %v", out, err)
	}
}

func TestDescribeSecret(t *testing.T) {
	s, url := start(t)
	v1 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "one",
		Tags: map[string]string{"b": "2", "a": "1"}})
	v2 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "two"})
	v3 := s.PutSecret(region, fakeaws.Secret{Name: "db", String: "three"})
	out, err := smClient(url, region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{
		SecretId: aws.String(s.SecretARN(region, "db"))})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, tg := range out.Tags {
		tags = append(tags, *tg.Key+"="+*tg.Value)
	}
	if !slices.Equal(tags, []string{"a=1", "b=2"}) {
		t.Errorf("tags %q", tags)
	}
	st := out.VersionIdsToStages
	if len(st) != 2 || !slices.Equal(st[v3], []string{"AWSCURRENT"}) ||
		!slices.Equal(st[v2], []string{"AWSPREVIOUS"}) || st[v1] != nil {
		t.Errorf("VersionIdsToStages = %v", st)
	}
}

func TestFaults(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "k", Value: "v"})
	s.PutSecret(region, fakeaws.Secret{Name: "db", String: "v"})
	c, sm := ssmClient(url, region), smClient(url, region)
	getSecret := func() error {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
			SecretId: aws.String("db")})
		return err
	}
	for _, tc := range []struct {
		f    fakeaws.Fault
		call func() error
		code string
	}{
		{fakeaws.Fault{Kind: fakeaws.Throttle}, nil, "ThrottlingException"},
		{fakeaws.Fault{Kind: fakeaws.Internal}, nil, "InternalServerError"},
		{fakeaws.Fault{Kind: fakeaws.Internal}, getSecret, "InternalServiceError"},
		{fakeaws.Fault{Kind: fakeaws.Unavailable}, nil, "ServiceUnavailable"},
		{fakeaws.Fault{Kind: fakeaws.Throttle}, getSecret, "ThrottlingException"},
		{fakeaws.Fault{Kind: fakeaws.Error, Code: "AccessDeniedException", Status: 400},
			nil, "AccessDeniedException"},
	} {
		s.SetFaults(tc.f)
		call := tc.call
		if call == nil {
			call = func() error { _, err := getParam(c, "k"); return err }
		}
		if got := errCode(t, call()); got != tc.code {
			t.Errorf("%s: code %s, want %s", tc.f.Kind, got, tc.code)
		}
	}
	s.SetFaults(fakeaws.Fault{Op: "GetParameter", Kind: fakeaws.Drop, Count: 1})
	_, err := getParam(c, "k")
	var send *smithyhttp.RequestSendError
	if !errors.As(err, &send) {
		t.Errorf("drop: got %v, want a RequestSendError", err)
	}
	if _, err := getParam(c, "k"); err != nil {
		t.Errorf("after a Count 1 drop: %v", err)
	}
}

func TestFaultCountEveryRegion(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "k", Value: "v"})
	s.PutParameter("eu-west-1", fakeaws.Parameter{Name: "k", Value: "v"})
	s.SetFaults(
		fakeaws.Fault{Op: "GetParameter", Region: "eu-west-1", Kind: fakeaws.Unavailable},
		fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Throttle},
		fakeaws.Fault{Op: "GetParameter", Kind: fakeaws.Throttle, Count: 2},
		fakeaws.Fault{Op: "*", Kind: fakeaws.Internal, Every: 3},
	)
	c := ssmClient(url, region)
	var got []string
	for range 7 {
		_, err := getParam(c, "k")
		code := "ok"
		if err != nil {
			code = errCode(t, err)
		}
		got = append(got, code)
	}
	want := []string{"ThrottlingException", "ThrottlingException", "ok", "ok",
		"InternalServerError", "ok", "ok"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	_, err := getParam(ssmClient(url, "eu-west-1"), "k")
	if errCode(t, err) != "ServiceUnavailable" {
		t.Errorf("region rule did not fire")
	}
	if n := s.Stats().Faults["GetParameter"]; n != 4 {
		t.Errorf("%d faults counted, want 4", n)
	}
}

func TestHang(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "k", Value: "v"})
	c := ssmClient(url, region)
	s.SetFaults(fakeaws.Fault{Kind: fakeaws.Hang, Count: 1})
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := c.GetParameter(tctx, &ssm.GetParameterInput{Name: aws.String("k")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: got %v, want a deadline error", err)
	}
	s.SetFaults(fakeaws.Fault{Kind: fakeaws.Hang, MaxHang: 50 * time.Millisecond})
	t0 := time.Now()
	if _, err := getParam(c, "k"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("MaxHang 50ms answered after %v", d)
	}
}

func TestRateLimit(t *testing.T) {
	s, url := start(t)
	s.PutParameter(region, fakeaws.Parameter{Name: "k", Value: "v"})
	s.SetRateLimit(fakeaws.RateLimit{Op: "GetParameter", Rate: 0.001, Burst: 3})
	c := ssmClient(url, region)
	for i := range 3 {
		if _, err := getParam(c, "k"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := getParam(c, "k"); errCode(t, err) != "ThrottlingException" {
		t.Error("4th call within the burst of 3 was not throttled")
	}
	// Each region has its own bucket.
	_, err := getParam(ssmClient(url, "eu-west-1"), "k")
	if errCode(t, err) != "ParameterNotFound" {
		t.Error("eu-west-1 shares the bucket of us-east-1")
	}
	if r := s.Requests("GetParameter"); r[3].Fault != "ratelimit" || r[2].Fault != "" {
		t.Errorf("request log %+v", r)
	}
	s.SetRateLimit(fakeaws.RateLimit{Op: "GetParameter", Rate: 1000, Burst: 1})
	time.Sleep(5 * time.Millisecond)
	if _, err := getParam(c, "k"); err != nil {
		t.Errorf("after refill: %v", err)
	}
}

func TestStats(t *testing.T) {
	s, url := start(t)
	s.SetLatency(100 * time.Millisecond)
	c := ssmClient(url, region)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			_, err := c.GetParameters(ctx, &ssm.GetParametersInput{
				Names: []string{string(rune('a' + i)), "z"}})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_, _ = getParam(ssmClient(url, "eu-west-1"), "k")
	if n := s.MaxInFlight("GetParameters"); n != 5 {
		t.Errorf("MaxInFlight = %d, want 5", n)
	}
	resp, err := http.Get(url + "/_fake/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st fakeaws.Stats
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 6 || st.Calls["GetParameters"] != 5 || st.Calls["GetParameter"] != 1 ||
		st.CallsByRegion["GetParameter"]["eu-west-1"] != 1 ||
		st.MaxInFlight["GetParameters"] != 5 {
		t.Errorf("stats %+v", st)
	}
	var asked []string
	for _, r := range s.Requests("GetParameters") {
		asked = append(asked, r.Names[0])
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("names asked %q", asked)
	}
	resp, err = http.Post(url+"/_fake/reset", "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reset: %v %v", resp, err)
	}
	resp.Body.Close()
	if s.Stats().Total != 0 || s.Calls("GetParameters") != 0 ||
		s.MaxInFlight("GetParameters") != 0 {
		t.Errorf("after reset %+v", s.Stats())
	}
}

func TestUnknownOperation(t *testing.T) {
	_, url := start(t)
	req, _ := http.NewRequest("POST", url, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AmazonSSM.PutParameter")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["__type"] != "UnknownOperationException" ||
		resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("got %d %v", resp.StatusCode, body)
	}
}

const seed = `{
  "account": "111111111111",
  "latency": "1ms",
  "regions": {
    "us-east-1": {
      "parameters": [
        {"name": "/app/db", "value": "v1", "type": "SecureString",
         "tags": {"env": "prod"}, "labels": ["prod"]},
        {"name": "/app/db", "value": "v2"}
      ],
      "secrets": [
        {"name": "blob", "binary": "AAEC", "versionId": "v-1"}
      ]
    }
  },
  "faults": [{"op": "DescribeSecret", "kind": "error", "status": 403,
              "code": "AccessDeniedException", "maxHang": "1s"}],
  "rateLimits": [{"op": "GetParameters", "rate": 40, "burst": 40}]
}`

func TestConfig(t *testing.T) {
	s, url := start(t)
	c, err := fakeaws.ParseConfig([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	if c.Latency != time.Millisecond || c.Faults[0].MaxHang != time.Second {
		t.Errorf("durations %v %v", c.Latency, c.Faults[0].MaxHang)
	}
	s.Apply(c)
	out, err := getParam(ssmClient(url, region), "/app/db:prod")
	if err != nil || *out.Parameter.Value != "v1" ||
		*out.Parameter.ARN != "arn:aws:ssm:us-east-1:111111111111:parameter/app/db" {
		t.Fatalf("seeded parameter: %+v %v", out, err)
	}
	sm := smClient(url, region)
	sv, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String("blob")})
	if err != nil || *sv.VersionId != "v-1" || !slices.Equal(sv.SecretBinary, []byte{0, 1, 2}) {
		t.Fatalf("seeded secret: %+v %v", sv, err)
	}
	_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{
		SecretId: aws.String("blob")})
	if code := errCode(t, err); code != "AccessDeniedException" {
		t.Errorf("fault from config: %s", code)
	}
	for _, bad := range []string{`{"faults": [{"kind": "drop", "cont": 1}]}`,
		`{"latency": "soon"}`, `{"faults": [{"kind": "slow"}]}`} {
		if _, err := fakeaws.ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestControlConfig(t *testing.T) {
	s, url := start(t)
	resp, err := http.Post(url+"/_fake/config", "application/json", strings.NewReader(seed))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("config: %v %v", resp, err)
	}
	resp.Body.Close()
	if s.Account() != "111111111111" || s.Latency() != time.Millisecond {
		t.Errorf("account %s latency %v", s.Account(), s.Latency())
	}
}

func TestGetCallerIdentity(t *testing.T) {
	s, url := start(t)
	s.SetAccount("210987654321")
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(),
		&sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != "210987654321" {
		t.Fatalf("GetCallerIdentity: %+v, %v", out, err)
	}
}
