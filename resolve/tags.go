package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The tags by which a Copilot execution role may read a parameter or secret.
const (
	AppTag = "copilot-application"
	EnvTag = "copilot-environment"
)

// maxFilterNames is the most names one DescribeParameters filter takes.
const maxFilterNames = 50

// Policy is Copilot's tag policy: only parameters and secrets tagged with
// the service's application and environment may be read.
type Policy struct {
	App, Env string
}

// TagError reports a parameter or secret that fails the tag policy.
type TagError struct {
	// Tag is the tag at fault; Want is its required value and Got the
	// value found, if any.
	Tag, Want, Got string
	// Missing says the tag is absent.
	Missing bool
}

func (e *TagError) Error() string {
	if e.Missing {
		return fmt.Sprintf("tag policy: tag %s is missing (want %q)", e.Tag, e.Want)
	}
	return fmt.Sprintf("tag policy: tag %s is %q, want %q", e.Tag, e.Got, e.Want)
}

// AccountError reports a parameter of another account, which a Copilot
// execution role cannot read.
type AccountError struct {
	Account, Own string
}

func (e *AccountError) Error() string {
	return fmt.Sprintf("tag policy: the parameter belongs to account %s, not to %s",
		e.Account, e.Own)
}

// check returns the first tag of tags that breaks the policy, or nil.
func (p *Policy) check(tags map[string]string) error {
	for _, t := range [2][2]string{{AppTag, p.App}, {EnvTag, p.Env}} {
		got, ok := tags[t[0]]
		if !ok {
			return &TagError{Tag: t[0], Want: t[1], Missing: true}
		}
		if got != t[1] {
			return &TagError{Tag: t[0], Want: t[1], Got: got}
		}
	}
	return nil
}

// tagCheck holds the verdicts of a tag check in progress. Each goroutine
// writes only the verdicts of its own mappings.
type tagCheck struct {
	policy   *Policy
	verdicts []error
	account  string
	accErr   error
}

// checkTags starts the tag checks of every mapping, beside the fetches.
// It must run before the fetches start, as it reads out.
func (r *Resolver) checkTags(ctx context.Context, wg *sync.WaitGroup, out []Secret) *tagCheck {
	if r.Policy == nil {
		return nil
	}
	tc := &tagCheck{policy: r.Policy, verdicts: make([]error, len(out))}
	g := groupTags(out)
	if g.accountRegion != "" {
		tc.lookupAccount(ctx, wg, r.Clients, g.accountRegion)
	}
	for region, names := range g.params {
		tc.checkParameters(ctx, wg, r.Clients.SSM(region), names)
	}
	for k, idx := range g.secrets {
		tc.checkSecret(ctx, wg, r.Clients.Secrets(k[0]), k[1], idx)
	}
	return tc
}

// tagGroups are the tag checks a set of mappings needs, each with the
// indexes of the mappings it decides.
type tagGroups struct {
	params        map[string]map[string][]int // region, parameter name
	secrets       map[[2]string][]int         // region and secret id
	accountRegion string                      // where to ask for the account, if needed
}

func groupTags(out []Secret) tagGroups {
	g := tagGroups{params: make(map[string]map[string][]int), secrets: make(map[[2]string][]int)}
	for i := range out {
		s := &out[i]
		if s.Err != nil {
			continue
		}
		ref, name := s.Ref, bareName(s.Ref.ID)
		if ref.Account != "" && ref.Service == SSM {
			g.accountRegion = s.Region
		}
		switch {
		case ref.Service == SecretsManager:
			k := [2]string{s.Region, ref.ID}
			g.secrets[k] = append(g.secrets[k], i)
		case strings.HasPrefix(name, secretPrefix):
			k := [2]string{s.Region, strings.TrimPrefix(name, secretPrefix)}
			g.secrets[k] = append(g.secrets[k], i)
		default:
			if g.params[s.Region] == nil {
				g.params[s.Region] = make(map[string][]int)
			}
			g.params[s.Region][name] = append(g.params[s.Region][name], i)
		}
	}
	return g
}

// apply records the verdicts once every check is done. A fetch error
// stays first: it says more than the tag check of a missing parameter.
func (tc *tagCheck) apply(out []Secret) {
	for i := range out {
		s := &out[i]
		if tc == nil {
			s.Tags = "off"
			continue
		}
		// Another account's parameter is refused whatever its tags say.
		var err error
		if s.Ref.Account != "" && s.Ref.Service == SSM {
			err = tc.accountVerdict(s.Ref.Account)
		}
		if err == nil {
			err = tc.verdicts[i]
		}
		if s.Err == nil {
			s.Err = err
		}
		s.Tags = "ok"
		if err != nil {
			s.Tags = "failed"
		}
	}
}

func (tc *tagCheck) accountVerdict(account string) error {
	switch {
	case tc.accErr != nil:
		return fmt.Errorf("tag policy: cannot learn this account to compare: %w", tc.accErr)
	case account != tc.account:
		return &AccountError{Account: account, Own: tc.account}
	}
	return nil
}

func (tc *tagCheck) lookupAccount(ctx context.Context, wg *sync.WaitGroup,
	c Clients, region string) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		tc.account, tc.accErr = c.Account(ctx, region)
		if tc.accErr != nil {
			tc.accErr = awsError(ctx, tc.accErr, nil)
		}
	}()
}

// checkParameters asks DescribeParameters, fifty names at a time, which of
// names carry both tags; the others are looked at one by one to say which
// tag is at fault.
func (tc *tagCheck) checkParameters(ctx context.Context, wg *sync.WaitGroup,
	client SSMAPI, names map[string][]int) {
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	for start := 0; start < len(list); start += maxFilterNames {
		chunk := list[start:min(start+maxFilterNames, len(list))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc.checkChunk(ctx, client, chunk, names)
		}()
	}
}

func (tc *tagCheck) checkChunk(ctx context.Context, client SSMAPI,
	chunk []string, names map[string][]int) {
	passed, err := tc.tagged(ctx, client, chunk)
	var wg sync.WaitGroup
	for _, name := range chunk {
		if passed[paramKey(name)] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			verdict := err
			if verdict == nil {
				verdict = tc.parameterTags(ctx, client, name)
			}
			for _, i := range names[name] {
				tc.verdicts[i] = verdict
			}
		}()
	}
	wg.Wait()
}

// tagged returns the keys of the names that carry both tags.
func (tc *tagCheck) tagged(ctx context.Context, client SSMAPI,
	chunk []string) (map[string]bool, error) {
	in := &ssm.DescribeParametersInput{
		MaxResults: aws.Int32(maxFilterNames),
		ParameterFilters: []types.ParameterStringFilter{
			{Key: aws.String("Name"), Option: aws.String("Equals"), Values: chunk},
			{Key: aws.String("tag:" + AppTag), Values: []string{tc.policy.App}},
			{Key: aws.String("tag:" + EnvTag), Values: []string{tc.policy.Env}},
		},
	}
	passed := make(map[string]bool, len(chunk))
	for {
		out, err := client.DescribeParameters(ctx, in)
		if err != nil {
			return nil, deniedCheck(ctx, err, "ssm:DescribeParameters")
		}
		for _, p := range out.Parameters {
			passed[paramKey(aws.ToString(p.Name))] = true
		}
		if aws.ToString(out.NextToken) == "" {
			return passed, nil
		}
		in.NextToken = out.NextToken
	}
}

// parameterTags explains why a parameter failed the filter.
func (tc *tagCheck) parameterTags(ctx context.Context, client SSMAPI, name string) error {
	out, err := client.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{
		ResourceId:   aws.String(name),
		ResourceType: types.ResourceTypeForTaggingParameter,
	})
	if err != nil {
		return deniedCheck(ctx, err, "ssm:ListTagsForResource")
	}
	tags := make(map[string]string, len(out.TagList))
	for _, t := range out.TagList {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if err := tc.policy.check(tags); err != nil {
		return err
	}
	return errors.New("tag policy: the parameter was not listed with its tags")
}

func (tc *tagCheck) checkSecret(ctx context.Context, wg *sync.WaitGroup,
	client SecretsAPI, id string, idx []int) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		verdict := tc.secretTags(ctx, client, id)
		for _, i := range idx {
			tc.verdicts[i] = verdict
		}
	}()
}

func (tc *tagCheck) secretTags(ctx context.Context, client SecretsAPI, id string) error {
	out, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{
		SecretId: aws.String(id),
	})
	if err != nil {
		return deniedCheck(ctx, err, "secretsmanager:DescribeSecret")
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tc.policy.check(tags)
}

// deniedCheck words the failure of a tag check's own call, and points to
// the switch that turns the check off when the call is denied.
func deniedCheck(ctx context.Context, err error, action string) error {
	err = awsError(ctx, err, nil)
	var ce *CodeError
	if errors.As(err, &ce) && (ce.Code == "AccessDeniedException" || ce.Code == "AccessDenied") {
		return fmt.Errorf("tag policy: %s was denied (%s); allow it, "+
			"or turn the check off with --no-tag-check", action, ce.Code)
	}
	return fmt.Errorf("tag policy: %s: %w", action, err)
}
