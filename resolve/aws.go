package resolve

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Retry settings. A fleet of containers starting together can exceed SSM's
// request rate for a while; each call keeps trying with jittered
// exponential backoff until it succeeds or the deadline passes.
const (
	// MaxAttempts bounds the attempts of one call.
	MaxAttempts = 25
	// MaxBackoff bounds the wait between two attempts.
	MaxBackoff = 4 * time.Second
	// MaxAttemptTimeout bounds one attempt, so that a hung connection is
	// dropped and tried again instead of eating the whole deadline. A
	// shorter deadline gives each attempt a third of it.
	MaxAttemptTimeout = 8 * time.Second
	// IMDSTimeout bounds the search for a region in the EC2 instance
	// metadata, so that start-up off EC2 does not stall.
	IMDSTimeout = time.Second
)

// LoadConfig loads the SDK's shared configuration and credentials chain.
// Region, when not empty, overrides the region the chain finds. Deadline
// is the time all resolution may take; each attempt of a call gets a
// third of it, and at most MaxAttemptTimeout.
func LoadConfig(ctx context.Context, region string, deadline time.Duration) (aws.Config, error) {
	attempt := min(deadline/3, MaxAttemptTimeout)
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(newRetryer),
		config.WithHTTPClient(plainBodies{awshttp.NewBuildableClient().WithTimeout(attempt)}),
		// The SDK would print its warnings to stderr without our prefix;
		// success must print nothing, and failures are reported by us.
		config.WithLogger(logging.Nop{}),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.BaseEndpoint == nil || !strings.HasPrefix(*cfg.BaseEndpoint, "http:") {
		fallbackRoots()
	}
	return cfg, nil
}

// plainBodies sends request bodies as plain readers. The SDK closes a
// request's body once the response headers are in; on a fast endpoint
// (loopback, an emulator) net/http may still be writing it through the
// body's WriteTo, which then fails and costs the connection and a retry.
// Read, unlike WriteTo, is done by the time the headers arrive.
type plainBodies struct {
	aws.HTTPClient
}

func (c plainBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return c.HTTPClient.Do(req)
}

func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
		// Every process has its own token bucket; the deadline is the
		// real bound on retries.
		o.RateLimiter = ratelimit.None
	})
}

var rootsOnce sync.Once

// fallbackRoots gives TLS the CA roots of the Mozilla bundle when the
// system has none, as in a scratch image. It runs on the resolution path
// only: parsing the bundle costs a millisecond or two.
func fallbackRoots() {
	rootsOnce.Do(func() {
		pool, err := x509.SystemCertPool()
		if err == nil && !pool.Equal(x509.NewCertPool()) {
			return
		}
		pool = x509.NewCertPool()
		for r := range bundle.Roots() {
			cert, err := x509.ParseCertificate(r.Certificate)
			if err != nil {
				continue
			}
			pool.AddCertWithConstraint(cert, r.Constraint)
		}
		x509.SetFallbackRoots(pool)
	})
}

// FindRegion returns the configured region, or else asks the EC2 instance
// metadata within IMDSTimeout.
func FindRegion(ctx context.Context, cfg aws.Config) (string, error) {
	if cfg.Region != "" {
		return cfg.Region, nil
	}
	ctx, cancel := context.WithTimeout(ctx, IMDSTimeout)
	defer cancel()
	// One attempt: off EC2 a refused connection is the answer, and
	// retrying it would only hold up the error.
	client := imds.NewFromConfig(cfg, func(o *imds.Options) { o.Retryer = aws.NopRetryer{} })
	out, err := client.GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil {
		return "", fmt.Errorf("no region: none was given by --region or SECRET_EXEC_REGION, "+
			"AWS_REGION, AWS_DEFAULT_REGION or the AWS profile, and the EC2 instance "+
			"metadata gave none within %v (%s)", IMDSTimeout, shortError(err))
	}
	return out.Region, nil
}

// CheckCredentials makes sure the credentials chain finds credentials, so
// that their absence is reported once and plainly.
func CheckCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("no AWS credentials: the credentials chain is empty")
	}
	_, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("no AWS credentials: looked at AWS_ACCESS_KEY_ID and "+
			"AWS_SECRET_ACCESS_KEY, the shared config and credentials files "+
			"(AWS_PROFILE), SSO, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), "+
			"the container endpoint (AWS_CONTAINER_CREDENTIALS_*) and the EC2 "+
			"instance metadata (%s)", shortError(err))
	}
	return nil
}

// shortError keeps the last part of an SDK error chain, which says what
// went wrong without the layers of operation names.
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i > 12 {
		s = s[i+2:]
	}
	return s
}

// NewClients returns Clients that build one client per service and region
// from cfg, as they are first asked for.
func NewClients(cfg aws.Config) Clients {
	return &awsClients{
		cfg:     cfg,
		ssm:     make(map[string]*ssm.Client),
		secrets: make(map[string]*secretsmanager.Client),
	}
}

type awsClients struct {
	cfg     aws.Config
	mu      sync.Mutex
	ssm     map[string]*ssm.Client
	secrets map[string]*secretsmanager.Client
}

func (c *awsClients) SSM(region string) SSMAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ssm[region] == nil {
		c.ssm[region] = ssm.NewFromConfig(c.cfg, func(o *ssm.Options) { o.Region = region })
	}
	return c.ssm[region]
}

func (c *awsClients) Secrets(region string) SecretsAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secrets[region] == nil {
		c.secrets[region] = secretsmanager.NewFromConfig(c.cfg,
			func(o *secretsmanager.Options) { o.Region = region })
	}
	return c.secrets[region]
}

func (c *awsClients) Account(ctx context.Context, region string) (string, error) {
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Region = region })
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}
