package resolve

import (
	"errors"
	"fmt"
	"strings"
)

// Service names the AWS service that holds a referenced value.
type Service int

const (
	// SSM is AWS Systems Manager Parameter Store.
	SSM Service = iota + 1
	// SecretsManager is AWS Secrets Manager.
	SecretsManager
)

func (s Service) String() string {
	switch s {
	case SSM:
		return "ssm"
	case SecretsManager:
		return "secretsmanager"
	}
	return "unknown"
}

// secretPrefix is the SSM path through which Parameter Store serves
// Secrets Manager secrets.
const secretPrefix = "/aws/reference/secretsmanager/"

// Ref is a parsed reference: the valueFrom of an ECS secret.
type Ref struct {
	// Text is the reference as it was written.
	Text string
	// Service is the service that holds the value.
	Service Service
	// Region is the region named by an ARN; empty means the default region.
	Region string
	// Account is the account named by an ARN, if any.
	Account string
	// ID is what the service is asked for: a parameter name or ARN without
	// its selector, or a secret's name or ARN without its ECS suffix.
	ID string
	// Selector is an SSM version number or label, without its colon.
	Selector string
	// JSONKey, Stage and VersionID are the ECS suffix of a Secrets Manager
	// reference; an empty field is unset.
	JSONKey, Stage, VersionID string
}

// ErrEmptyRef is returned for a reference that is empty.
var ErrEmptyRef = errors.New("empty reference")

// RefError reports a reference that cannot be parsed.
type RefError struct {
	Ref string
	Err error
}

func (e *RefError) Error() string {
	if e.Ref == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("reference %q: %v", e.Ref, e.Err)
}

func (e *RefError) Unwrap() error { return e.Err }

// ParseRef parses a reference as an ECS task definition's valueFrom takes
// it: an SSM parameter name or path with an optional ":version" or
// ":label", an SSM parameter ARN, or a Secrets Manager secret ARN with the
// optional ":json-key:version-stage:version-id" suffix.
func ParseRef(s string) (Ref, error) {
	return parse(s, func() (Ref, error) {
		if strings.HasPrefix(s, "arn:") {
			return parseARN(s)
		}
		return parseParameter(s)
	})
}

// ParseSecretRef parses the value of a Copilot `secretsmanager:` entry:
// a secret name or ARN with the optional ECS suffix.
func ParseSecretRef(s string) (Ref, error) {
	return parse(s, func() (Ref, error) {
		if !strings.HasPrefix(s, "arn:") {
			return parseSecretSuffix(s, Ref{Service: SecretsManager})
		}
		r, err := parseARN(s)
		if err == nil && r.Service != SecretsManager {
			err = errors.New("not a Secrets Manager secret ARN")
		}
		return r, err
	})
}

// parse runs a parser over a non-empty reference and records its text.
func parse(s string, parser func() (Ref, error)) (Ref, error) {
	r, err := Ref{}, ErrEmptyRef
	if s != "" {
		r, err = parser()
	}
	if err != nil {
		return Ref{}, &RefError{Ref: s, Err: err}
	}
	r.Text = s
	return r, nil
}

func parseParameter(s string) (Ref, error) {
	name, sel, _ := strings.Cut(s, ":")
	r := Ref{Service: SSM, ID: name, Selector: sel}
	if err := checkParameterName(name); err != nil {
		return Ref{}, err
	}
	if strings.HasPrefix(name, secretPrefix) && sel != "" {
		return Ref{}, errors.New("a Secrets Manager secret read through SSM takes no selector")
	}
	return r, checkSelector(s, sel)
}

func checkParameterName(name string) error {
	if name == "" {
		return errors.New("missing parameter name")
	}
	if strings.HasPrefix(name, secretPrefix) {
		if len(name) == len(secretPrefix) {
			return errors.New("missing secret name after " + secretPrefix)
		}
		return checkChars("secret name", name[len(secretPrefix):], "/_+=.@-")
	}
	if strings.Contains(name, "/") && name[0] != '/' {
		return errors.New("a parameter path must begin with /")
	}
	if strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return errors.New("empty path segment in parameter name")
	}
	return checkChars("parameter name", name, "/_.-")
}

func checkSelector(s, sel string) error {
	if !strings.Contains(s, ":") {
		return nil
	}
	if sel == "" {
		return errors.New("empty version or label after colon")
	}
	return checkChars("version or label", sel, "_.-")
}

// checkChars reports whether s holds only ASCII letters, digits and extra.
func checkChars(what, s, extra string) error {
	for _, c := range s {
		ok := c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			c >= '0' && c <= '9' || strings.ContainsRune(extra, c))
		if !ok {
			return fmt.Errorf("invalid character %q in %s", c, what)
		}
	}
	return nil
}
