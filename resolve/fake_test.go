package resolve

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// fakeAWS stands in for SSM, Secrets Manager and STS in every region. It
// answers as the real services do (or, with moto set, as the moto emulator
// does), counts and records the calls, and measures how many were in
// flight at once: each call takes delay.
type fakeAWS struct {
	// delay is how long each call takes.
	delay time.Duration
	// moto makes GetParameters answer as moto does: no Selector, a secret
	// read through SSM named by its bare ID, results in any order.
	moto bool
	// account is the account of the credentials.
	account string
	// pageSize, when set, bounds the results of a DescribeParameters page
	// below MaxResults.
	pageSize int
	// noRecord stops the recording of names, for benchmarks.
	noRecord bool
	// silent holds names that GetParameters neither answers nor lists as
	// invalid; unlisted holds names that DescribeParameters leaves out.
	silent, unlisted map[string]bool

	mu      sync.Mutex
	params  map[string]map[string]*fakeParam  // region, name
	shared  map[string]*fakeParam             // "account region name"
	secrets map[string]map[string]*fakeSecret // region, name
	// errs holds the error of an operation, by "Op" or "Op region".
	errs       map[string]error
	accountErr error

	calls       map[string]int        // by "Op" and by "Op region"
	names       map[string][][]string // by op: the names of each call
	inflight    int
	maxInflight int
	opInflight  map[string]int
	opMax       map[string]int
	overlaps    map[[2]string]bool // {op, op in flight when it began}
}

type fakeParam struct {
	values []string // version n is values[n-1]
	labels map[string]int
	tags   map[string]string
}

type fakeSecret struct {
	name, arn string
	versions  map[string]fakeSecretVersion
	stages    map[string]string // stage to version id
	tags      map[string]string
}

type fakeSecretVersion struct {
	str *string
	bin []byte
}

const (
	fakeAccount  = "123456789012"
	otherAccount = "210987654321"
)

func newFakeAWS() *fakeAWS {
	return &fakeAWS{
		delay:      50 * time.Millisecond,
		account:    fakeAccount,
		params:     make(map[string]map[string]*fakeParam),
		shared:     make(map[string]*fakeParam),
		secrets:    make(map[string]map[string]*fakeSecret),
		errs:       make(map[string]error),
		calls:      make(map[string]int),
		names:      make(map[string][][]string),
		opInflight: make(map[string]int),
		opMax:      make(map[string]int),
		overlaps:   make(map[[2]string]bool),
	}
}

// putParam stores a parameter of the own account whose versions hold values.
func (f *fakeAWS) putParam(region, name string, values ...string) *fakeParam {
	p := &fakeParam{values: values, labels: map[string]int{}, tags: map[string]string{}}
	if f.params[region] == nil {
		f.params[region] = make(map[string]*fakeParam)
	}
	f.params[region][name] = p
	return p
}

// putShared stores a parameter that another account shares.
func (f *fakeAWS) putShared(account, region, name, value string) *fakeParam {
	p := &fakeParam{values: []string{value}, tags: map[string]string{}}
	f.shared[account+" "+region+" "+name] = p
	return p
}

func (p *fakeParam) tag(app, env string) *fakeParam {
	p.tags[AppTag], p.tags[EnvTag] = app, env
	return p
}

// putSecret stores a secret whose AWSCURRENT version, v-current, holds value.
func (f *fakeAWS) putSecret(region, name, value string) *fakeSecret {
	s := &fakeSecret{
		name: name,
		arn: "arn:aws:secretsmanager:" + region + ":" + f.account +
			":secret:" + name + "-AbCdEf",
		versions: map[string]fakeSecretVersion{"v-current": {str: &value}},
		stages:   map[string]string{"AWSCURRENT": "v-current"},
		tags:     map[string]string{},
	}
	if f.secrets[region] == nil {
		f.secrets[region] = make(map[string]*fakeSecret)
	}
	f.secrets[region][name] = s
	return s
}

func (s *fakeSecret) addVersion(id, value, stage string) {
	s.versions[id] = fakeSecretVersion{str: &value}
	s.stages[stage] = id
}

func (s *fakeSecret) tag(app, env string) *fakeSecret {
	s.tags[AppTag], s.tags[EnvTag] = app, env
	return s
}

// values returns every value the fake holds, for leak checks.
func (f *fakeAWS) values() []string {
	var vs []string
	for _, byName := range f.params {
		for _, p := range byName {
			vs = append(vs, p.values...)
		}
	}
	for _, p := range f.shared {
		vs = append(vs, p.values...)
	}
	for _, byName := range f.secrets {
		for _, s := range byName {
			for _, v := range s.versions {
				if v.str != nil {
					vs = append(vs, *v.str)
				}
				vs = append(vs, string(v.bin))
			}
		}
	}
	return vs
}

func fakeAPIError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

// call records a call and waits delay, as the SDK would: a cancelled or
// expired context ends the wait with the context's error.
func (f *fakeAWS) call(ctx context.Context, service, op, region string, names []string) error {
	f.mu.Lock()
	f.calls[op]++
	f.calls[op+" "+region]++
	if !f.noRecord {
		f.names[op] = append(f.names[op], slices.Clone(names))
	}
	for other, n := range f.opInflight {
		if n > 0 {
			f.overlaps[[2]string{op, other}] = true
		}
	}
	f.inflight++
	f.opInflight[op]++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.opMax[op] = max(f.opMax[op], f.opInflight[op])
	err := f.errs[op+" "+region]
	if err == nil {
		err = f.errs[op]
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.opInflight[op]--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		err = &smithy.CanceledError{Err: ctx.Err()}
	}
	if err != nil {
		return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
	}
	return nil
}

// count returns the number of calls of an operation ("Op") or of an
// operation in a region ("Op region").
func (f *fakeAWS) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

// SSM, Secrets and Account make the fake a Clients.

func (f *fakeAWS) SSM(region string) SSMAPI         { return &fakeSSM{f, region} }
func (f *fakeAWS) Secrets(region string) SecretsAPI { return &fakeSecrets{f, region} }

func (f *fakeAWS) Account(ctx context.Context, region string) (string, error) {
	if err := f.call(ctx, "STS", "GetCallerIdentity", region, nil); err != nil {
		return "", err
	}
	return f.account, f.accountErr
}

type fakeSSM struct {
	f      *fakeAWS
	region string
}

// splitParamName splits a name as GetParameters takes it: a name, path or
// ARN, with an optional selector. arnRegion and account are set for ARNs.
func splitParamName(s string) (arnRegion, account, name, sel string) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		name, sel, _ = strings.Cut(s, ":")
		return "", "", name, sel
	}
	f := strings.SplitN(rest, ":", 5)
	if len(f) < 5 || f[1] != "ssm" {
		return "", "", s, ""
	}
	name, sel, _ = strings.Cut(strings.TrimPrefix(f[4], "parameter/"), ":")
	if strings.Contains(name, "/") {
		name = "/" + name
	}
	return f[2], f[3], name, sel
}

func (p *fakeParam) pick(sel string) (string, int64, bool) {
	n := len(p.values)
	if sel != "" {
		v, err := strconv.Atoi(sel)
		if err != nil {
			v = p.labels[sel]
		}
		n = v
	}
	if n < 1 || n > len(p.values) {
		return "", 0, false
	}
	return p.values[n-1], int64(n), true
}

func (c *fakeSSM) GetParameters(ctx context.Context, in *ssm.GetParametersInput,
	_ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	if err := c.f.call(ctx, "SSM", "GetParameters", c.region, in.Names); err != nil {
		return nil, err
	}
	if len(in.Names) > 10 {
		return nil, &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters",
			Err: fakeAPIError("ValidationException",
				"member must have length less than or equal to 10")}
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	out := &ssm.GetParametersOutput{}
	for _, asked := range in.Names {
		if c.f.silent[asked] {
			continue
		}
		p, ok := c.lookup(asked)
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, asked)
			continue
		}
		out.Parameters = append(out.Parameters, p)
	}
	if c.f.moto {
		rand.Shuffle(len(out.Parameters), func(i, j int) {
			out.Parameters[i], out.Parameters[j] = out.Parameters[j], out.Parameters[i]
		})
	}
	return out, nil
}

func (c *fakeSSM) lookup(asked string) (types.Parameter, bool) {
	arnRegion, account, name, sel := splitParamName(asked)
	if arnRegion != "" && arnRegion != c.region {
		return types.Parameter{}, false
	}
	if id, ok := strings.CutPrefix(name, secretPrefix); ok {
		return c.lookupSecret(name, id, sel)
	}
	p, answer := c.f.params[c.region][name], name
	if account != "" && account != c.f.account {
		// A shared parameter is answered by its ARN.
		p = c.f.shared[account+" "+c.region+" "+name]
		answer = strings.TrimSuffix(asked, ":"+sel)
	}
	if p == nil {
		return types.Parameter{}, false
	}
	value, version, ok := p.pick(sel)
	if !ok {
		return types.Parameter{}, false
	}
	out := types.Parameter{Name: aws.String(answer), Value: aws.String(value),
		Version: version, Type: types.ParameterTypeSecureString}
	if sel != "" && !c.f.moto {
		out.Selector = aws.String(":" + sel)
	}
	return out, true
}

func (c *fakeSSM) lookupSecret(name, id, sel string) (types.Parameter, bool) {
	s := c.f.secrets[c.region][id]
	if s == nil || sel != "" {
		return types.Parameter{}, false
	}
	v := s.versions[s.stages["AWSCURRENT"]]
	if v.str == nil {
		return types.Parameter{}, false
	}
	if c.f.moto {
		name = id
	}
	return types.Parameter{Name: aws.String(name), Value: v.str,
		Type: types.ParameterTypeSecureString}, true
}

// DescribeParameters implements the filters secret-exec uses: Name with
// Equals, and tag:KEY, every filter to be met.
func (c *fakeSSM) DescribeParameters(ctx context.Context, in *ssm.DescribeParametersInput,
	_ ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error) {
	var names []string
	tags := make(map[string][]string)
	for _, flt := range in.ParameterFilters {
		key := aws.ToString(flt.Key)
		switch {
		case key == "Name":
			names = flt.Values
		case strings.HasPrefix(key, "tag:"):
			tags[key[len("tag:"):]] = flt.Values
		}
	}
	if err := c.f.call(ctx, "SSM", "DescribeParameters", c.region, names); err != nil {
		return nil, err
	}
	if err := checkDescribeInput(in); err != nil {
		return nil, &smithy.OperationError{ServiceID: "SSM",
			OperationName: "DescribeParameters", Err: err}
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	var match []string
	for name, p := range c.f.params[c.region] {
		if (names == nil || slices.Contains(names, name)) && tagsMatch(p.tags, tags) &&
			!c.f.unlisted[name] {
			match = append(match, name)
		}
	}
	sort.Strings(match)
	return c.page(match, in), nil
}

func checkDescribeInput(in *ssm.DescribeParametersInput) error {
	for _, flt := range in.ParameterFilters {
		key := aws.ToString(flt.Key)
		if key == "Name" && aws.ToString(flt.Option) != "Equals" && flt.Option != nil {
			return fakeAPIError("InvalidFilterOption", "want Equals")
		}
		if key != "Name" && !strings.HasPrefix(key, "tag:") {
			return fakeAPIError("InvalidFilterKey", key)
		}
		if len(flt.Values) == 0 || len(flt.Values) > 50 {
			return fakeAPIError("ValidationException", "1 to 50 filter values")
		}
	}
	if n := aws.ToInt32(in.MaxResults); n < 0 || n > 50 {
		return fakeAPIError("ValidationException", "MaxResults above 50")
	}
	return nil
}

func tagsMatch(have map[string]string, want map[string][]string) bool {
	for k, vs := range want {
		v, ok := have[k]
		if !ok || !slices.Contains(vs, v) {
			return false
		}
	}
	return true
}

func (c *fakeSSM) page(match []string,
	in *ssm.DescribeParametersInput) *ssm.DescribeParametersOutput {
	size := int(aws.ToInt32(in.MaxResults))
	if size == 0 {
		size = 50
	}
	if c.f.pageSize > 0 {
		size = min(size, c.f.pageSize)
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	end := min(start+size, len(match))
	out := &ssm.DescribeParametersOutput{}
	for _, name := range match[start:end] {
		out.Parameters = append(out.Parameters, types.ParameterMetadata{Name: aws.String(name)})
	}
	if end < len(match) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out
}

func (c *fakeSSM) ListTagsForResource(ctx context.Context, in *ssm.ListTagsForResourceInput,
	_ ...func(*ssm.Options)) (*ssm.ListTagsForResourceOutput, error) {
	name := aws.ToString(in.ResourceId)
	if err := c.f.call(ctx, "SSM", "ListTagsForResource", c.region, []string{name}); err != nil {
		return nil, err
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	p := c.f.params[c.region][name]
	if p == nil || in.ResourceType != types.ResourceTypeForTaggingParameter {
		return nil, &smithy.OperationError{ServiceID: "SSM", OperationName: "ListTagsForResource",
			Err: fakeAPIError("InvalidResourceId", "the resource ID is not valid")}
	}
	out := &ssm.ListTagsForResourceOutput{}
	for k, v := range p.tags {
		out.TagList = append(out.TagList, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

type fakeSecrets struct {
	f      *fakeAWS
	region string
}

// find looks a secret up by name, full ARN or partial ARN.
func (c *fakeSecrets) find(id string) *fakeSecret {
	for _, s := range c.f.secrets[c.region] {
		if id == s.name || id == s.arn || id == s.arn[:len(s.arn)-len("-AbCdEf")] {
			return s
		}
	}
	return nil
}

func notFoundSecret(op string) error {
	return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: op,
		Err: fakeAPIError("ResourceNotFoundException",
			"Secrets Manager can't find the specified secret")}
}

func (c *fakeSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	id := aws.ToString(in.SecretId)
	err := c.f.call(ctx, "Secrets Manager", "GetSecretValue", c.region, []string{id})
	if err != nil {
		return nil, err
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	s := c.find(id)
	if s == nil {
		return nil, notFoundSecret("GetSecretValue")
	}
	stage := aws.ToString(in.VersionStage)
	vid := aws.ToString(in.VersionId)
	switch {
	case vid != "" && stage != "" && s.stages[stage] != vid:
		return nil, notFoundSecret("GetSecretValue")
	case vid == "" && stage == "":
		vid = s.stages["AWSCURRENT"]
	case vid == "":
		vid = s.stages[stage]
	}
	v, ok := s.versions[vid]
	if !ok {
		return nil, notFoundSecret("GetSecretValue")
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(s.arn), Name: aws.String(s.name),
		SecretString: v.str, SecretBinary: v.bin, VersionId: aws.String(vid)}, nil
}

func (c *fakeSecrets) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	id := aws.ToString(in.SecretId)
	err := c.f.call(ctx, "Secrets Manager", "DescribeSecret", c.region, []string{id})
	if err != nil {
		return nil, err
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	s := c.find(id)
	if s == nil {
		return nil, notFoundSecret("DescribeSecret")
	}
	out := &secretsmanager.DescribeSecretOutput{ARN: aws.String(s.arn), Name: aws.String(s.name)}
	for k, v := range s.tags {
		out.Tags = append(out.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}
