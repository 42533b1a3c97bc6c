// Command floor is the lower bound of secret-exec's start-up with no
// mappings: it links and initialises the same AWS SDK packages and then
// does nothing but execute its arguments, as in
//
//	floor /path/to/command [ARG...]
//
// The benchmark compares secret-exec with no mappings against it, so that
// the SDK's own package initialisation, which secret-exec cannot avoid
// while it links the SDK, is not counted as secret-exec's work.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: floor COMMAND [ARG...]\n")
		os.Exit(2)
	}
	if os.Args[1] == "" {
		// Never taken: the calls make the linker keep the clients, as
		// secret-exec's resolution path does, without running them.
		link()
	}
	err := unix.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString("floor: " + err.Error() + "\n")
	os.Exit(126)
}

// link uses the SDK the way secret-exec does, so that the same code is
// linked into the binary.
func link() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return
	}
	_, _ = imds.NewFromConfig(cfg).GetRegion(ctx, nil)
	_, _ = ssm.NewFromConfig(cfg).GetParameters(ctx, nil)
	_, _ = ssm.NewFromConfig(cfg).DescribeParameters(ctx, nil)
	_, _ = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, nil)
	_, _ = secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, nil)
}
