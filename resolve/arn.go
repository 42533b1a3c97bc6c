package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// partitions are the AWS partitions an ARN may name.
var partitions = []string{
	"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b",
	"aws-iso-e", "aws-iso-f", "aws-eusc",
}

// parseARN parses an SSM parameter ARN or a Secrets Manager secret ARN.
func parseARN(s string) (Ref, error) {
	f := strings.SplitN(s, ":", 6)
	if len(f) < 6 {
		return Ref{}, errors.New(
			"malformed ARN: want arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")
	}
	partition, service, region, account, resource := f[1], f[2], f[3], f[4], f[5]
	if !slices.Contains(partitions, partition) {
		return Ref{}, fmt.Errorf("unknown partition %q in ARN", partition)
	}
	if service != "ssm" && service != "secretsmanager" {
		return Ref{}, fmt.Errorf("ARN of service %q: want ssm or secretsmanager", service)
	}
	if err := checkRegion(region); err != nil {
		return Ref{}, err
	}
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return Ref{}, fmt.Errorf("malformed account %q in ARN: want 12 digits", account)
	}
	r := Ref{Region: region, Account: account}
	prefix := strings.Join(f[:5], ":") + ":"
	if service == "ssm" {
		return parseParameterARN(prefix, resource, r)
	}
	return parseSecretARN(prefix, resource, r)
}

func checkRegion(region string) error {
	if region == "" {
		return errors.New("missing region in ARN")
	}
	if checkChars("region", region, "-") != nil {
		return fmt.Errorf("malformed region %q in ARN", region)
	}
	return nil
}

func parseParameterARN(prefix, resource string, r Ref) (Ref, error) {
	rest, ok := strings.CutPrefix(resource, "parameter/")
	if !ok {
		return Ref{}, errors.New("SSM ARN must name a parameter: want ...:parameter/NAME")
	}
	name, sel, _ := strings.Cut(rest, ":")
	r.Service = SSM
	r.ID = prefix + "parameter/" + name
	r.Selector = sel
	if err := checkParameterName(bareName(r.ID)); err != nil {
		return Ref{}, err
	}
	if err := checkSelector(rest, sel); err != nil {
		return Ref{}, err
	}
	return r, nil
}

// bareName is the parameter name of an SSM ID, which may be an ARN: the
// ARN of /a/b ends in parameter/a/b, that of x in parameter/x.
func bareName(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	_, rest, _ := strings.Cut(id, ":parameter/")
	if strings.Contains(rest, "/") {
		return "/" + rest
	}
	return rest
}

func parseSecretARN(prefix, resource string, r Ref) (Ref, error) {
	rest, ok := strings.CutPrefix(resource, "secret:")
	if !ok {
		return Ref{}, errors.New("Secrets Manager ARN must name a secret: want ...:secret:ID")
	}
	r.Service = SecretsManager
	r, err := parseSecretSuffix(rest, r)
	if err != nil {
		return Ref{}, err
	}
	r.ID = prefix + "secret:" + r.ID
	return r, nil
}

// parseSecretSuffix splits "ID[:json-key[:version-stage[:version-id]]]".
func parseSecretSuffix(s string, r Ref) (Ref, error) {
	f := strings.Split(s, ":")
	if len(f) > 4 {
		return Ref{}, errors.New("too many fields: want ID:json-key:version-stage:version-id")
	}
	f = append(f, "", "", "")
	r.ID, r.JSONKey, r.Stage, r.VersionID = f[0], f[1], f[2], f[3]
	if r.ID == "" {
		return Ref{}, errors.New("missing secret name")
	}
	if err := checkChars("secret name", r.ID, "/_+=.@-"); err != nil {
		return Ref{}, err
	}
	return r, nil
}
