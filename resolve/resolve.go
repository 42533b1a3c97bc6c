package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// SSMAPI is the part of the SSM client that secret-exec uses.
type SSMAPI interface {
	GetParameters(context.Context, *ssm.GetParametersInput,
		...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	DescribeParameters(context.Context, *ssm.DescribeParametersInput,
		...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
	ListTagsForResource(context.Context, *ssm.ListTagsForResourceInput,
		...func(*ssm.Options)) (*ssm.ListTagsForResourceOutput, error)
}

// SecretsAPI is the part of the Secrets Manager client that secret-exec
// uses.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput,
		...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput,
		...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// Clients hands out the service clients of a region, and tells the
// account of the credentials in use, asking STS in region.
type Clients interface {
	SSM(region string) SSMAPI
	Secrets(region string) SecretsAPI
	Account(ctx context.Context, region string) (string, error)
}

// Resolver fetches the values of mappings.
type Resolver struct {
	// Clients reach AWS.
	Clients Clients
	// Region is the default region, used by references that are not ARNs.
	Region string
	// Policy, when not nil, is the tag policy every parameter and secret
	// must pass.
	Policy *Policy
}

// Secret is the outcome of one mapping.
type Secret struct {
	Mapping
	// Region is the region the value was fetched from.
	Region string
	// Version is the SSM parameter version or Secrets Manager version id.
	Version string
	// Tags is the verdict of the tag policy: "ok", "off" or "failed".
	Tags string
	// Value is the value; it is set only when Err is nil.
	Value string
	// Elapsed is the time the call that fetched the value took.
	Elapsed time.Duration
	// Err is why the mapping failed, or nil.
	Err error
}

// Error reports the mappings that could not be resolved.
type Error struct {
	Failed []Secret
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Failed))
	for i, s := range e.Failed {
		lines[i] = s.Failure()
	}
	return strings.Join(lines, "\n")
}

// Failure describes a failed mapping in one line: the variable, the
// reference, the region and the error.
func (s *Secret) Failure() string {
	region := s.Region
	if region == "" {
		region = "no region"
	}
	return fmt.Sprintf("%s: %s (%s): %v", s.Name, s.Ref.Text, region, s.Err)
}

// ErrNoRegion is the error of a reference that needs the default region
// when none is known.
var ErrNoRegion = errors.New("no region: give --region or SECRET_EXEC_REGION, " +
	"or set AWS_REGION or a region in the AWS profile")

// Resolve fetches and verifies every mapping at once. It returns one Secret
// per mapping, in order; when any failed, the error is an *Error listing
// every failure and no value should be used.
func (r *Resolver) Resolve(ctx context.Context, ms []Mapping) ([]Secret, error) {
	out := make([]Secret, len(ms))
	var (
		params  = make(map[string][]*Secret)
		secrets = make(map[secretKey][]*Secret)
	)
	for i, m := range ms {
		s := &out[i]
		s.Mapping, s.Region = m, m.Ref.Region
		if s.Region == "" {
			s.Region = r.Region
		}
		switch {
		case s.Region == "":
			s.Err = ErrNoRegion
		case m.Ref.Service == SecretsManager:
			k := secretKey{s.Region, m.Ref.ID, m.Ref.Stage, m.Ref.VersionID}
			secrets[k] = append(secrets[k], s)
		default:
			params[s.Region] = append(params[s.Region], s)
		}
	}
	var wg sync.WaitGroup
	tc := r.checkTags(ctx, &wg, out)
	for region, list := range params {
		r.fetchParameters(ctx, &wg, region, list)
	}
	for k, list := range secrets {
		r.fetchSecret(ctx, &wg, k, list)
	}
	wg.Wait()
	tc.apply(out)
	return out, collect(out)
}

func collect(out []Secret) error {
	var failed []Secret
	for i := range out {
		if out[i].Err != nil {
			out[i].Value = ""
			failed = append(failed, out[i])
		}
	}
	if failed != nil {
		return &Error{Failed: failed}
	}
	return nil
}

// fail sets err on every secret in list that has no error yet.
func fail(list []*Secret, err error) {
	for _, s := range list {
		if s.Err == nil {
			s.Err = err
		}
	}
}

// awsError shortens an SDK error to its code and message, and says when
// the deadline passed, with the last error retried if there was one.
func awsError(ctx context.Context, err error, a *attempts) error {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		if a != nil && a.last != nil {
			return fmt.Errorf("timeout: the deadline passed while retrying %s", errorCode(a.last))
		}
		return errors.New("timeout: no answer before the deadline")
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return &CodeError{Code: api.ErrorCode(), Message: api.ErrorMessage()}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		return &CodeError{Code: fmt.Sprintf("HTTP %d", resp.HTTPStatusCode()),
			Message: "the answer was not an AWS error"}
	}
	return err
}

// errorCode names an attempt's error briefly: its AWS code, its HTTP
// status, or what befell the connection.
func errorCode(err error) string {
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	switch {
	case errors.As(err, &api):
		return api.ErrorCode()
	case errors.As(err, &resp):
		return fmt.Sprintf("HTTP %d", resp.HTTPStatusCode())
	}
	return "a failed connection"
}

// CodeError is an error answered by AWS.
type CodeError struct {
	Code, Message string
}

func (e *CodeError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}
