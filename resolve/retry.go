package resolve

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// attempts records the last error of a call's attempts, so that a call
// cut short by the deadline can say what it kept retrying. Attempts of one
// call follow each other, so it needs no lock.
type attempts struct {
	aws.RetryerV2
	last error
}

// IsErrorRetryable records err before asking the SDK's retryer. The end
// of the deadline is no error of the attempt's own, so it is not kept.
func (a *attempts) IsErrorRetryable(err error) bool {
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		a.last = err
	}
	return a.RetryerV2.IsErrorRetryable(err)
}

func (a *attempts) wrap(r aws.Retryer) aws.Retryer {
	v2, ok := r.(aws.RetryerV2)
	if !ok {
		return r
	}
	a.RetryerV2 = v2
	return a
}

func (a *attempts) ssm(o *ssm.Options) { o.Retryer = a.wrap(o.Retryer) }

func (a *attempts) secrets(o *secretsmanager.Options) { o.Retryer = a.wrap(o.Retryer) }
