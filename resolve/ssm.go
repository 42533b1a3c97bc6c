package resolve

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// maxNames is the most names one GetParameters call takes.
const maxNames = 10

// paramRequest is one distinct name asked of SSM, with the secrets that
// wait for it.
type paramRequest struct {
	name      string // as sent: name or ARN, with its selector
	key       string // as matched against answers; see paramKey
	versioned bool   // whether a version or label was asked for
	secrets   []*Secret
}

// fetchParameters starts the GetParameters calls for the parameters of one
// region: names deduplicated, at most ten a call, every call at once.
func (r *Resolver) fetchParameters(ctx context.Context, wg *sync.WaitGroup,
	region string, list []*Secret) {
	client := r.Clients.SSM(region)
	for _, batch := range batchParameters(list) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			getParameters(ctx, client, batch)
		}()
	}
}

// batchParameters groups the distinct names of list into batches of at most
// ten. Two names that SSM may answer alike (the same parameter at two
// versions, say) go into different batches, so that every answer matches
// exactly one request.
func batchParameters(list []*Secret) [][]*paramRequest {
	var (
		batches [][]*paramRequest
		byName  = make(map[string]*paramRequest)
	)
	for _, s := range list {
		name := s.Ref.ID
		if s.Ref.Selector != "" {
			name += ":" + s.Ref.Selector
		}
		if req := byName[name]; req != nil {
			req.secrets = append(req.secrets, s)
			continue
		}
		req := &paramRequest{name: name, key: paramKey(name),
			versioned: s.Ref.Selector != "", secrets: []*Secret{s}}
		byName[name] = req
		batches = addToBatch(batches, req)
	}
	return batches
}

func addToBatch(batches [][]*paramRequest, req *paramRequest) [][]*paramRequest {
	for i, b := range batches {
		if len(b) < maxNames && !hasKey(b, req.key) {
			batches[i] = append(b, req)
			return batches
		}
	}
	return append(batches, []*paramRequest{req})
}

func hasKey(batch []*paramRequest, key string) bool {
	for _, r := range batch {
		if r.key == key {
			return true
		}
	}
	return false
}

// paramKey reduces a parameter name, as asked or as answered, to the part
// every form shares. SSM answers an ARN with the bare name and a selector
// in a field of its own; emulators answer a secret read through SSM with
// the secret's name and may drop the selector.
func paramKey(name string) string {
	if strings.HasPrefix(name, "arn:") {
		if i := strings.Index(name, ":parameter/"); i >= 0 {
			name = name[i+len(":parameter/"):]
		}
	}
	name = strings.TrimPrefix(name, "/")
	name = strings.TrimPrefix(name, secretPrefix[1:])
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

func getParameters(ctx context.Context, client SSMAPI, batch []*paramRequest) {
	names := make([]string, len(batch))
	for i, req := range batch {
		names[i] = req.name
	}
	start := time.Now()
	var a attempts
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{
		Names:          names,
		WithDecryption: aws.Bool(true),
	}, a.ssm)
	elapsed := time.Since(start)
	for _, req := range batch {
		for _, s := range req.secrets {
			s.Elapsed = elapsed
		}
	}
	if err != nil {
		err = awsError(ctx, err, &a)
		for _, req := range batch {
			fail(req.secrets, err)
		}
		return
	}
	matchParameters(batch, out)
}

// matchParameters hands each answer of a GetParameters call to the
// request it answers.
func matchParameters(batch []*paramRequest, out *ssm.GetParametersOutput) {
	byKey := make(map[string]*paramRequest, len(batch))
	byName := make(map[string]*paramRequest, len(batch))
	for _, req := range batch {
		byKey[req.key] = req
		byName[req.name] = req
	}
	answered := make(map[*paramRequest]bool, len(batch))
	for _, p := range out.Parameters {
		req := byKey[paramKey(aws.ToString(p.Name))]
		if req == nil {
			continue
		}
		answered[req] = true
		setParameter(req.secrets, p)
	}
	for _, name := range out.InvalidParameters {
		req := byName[name]
		if req == nil {
			req = byKey[paramKey(name)]
		}
		if req != nil && !answered[req] {
			answered[req] = true
			fail(req.secrets, notFound(req))
		}
	}
	for _, req := range batch {
		if !answered[req] {
			fail(req.secrets, &CodeError{Code: "ParameterNotFound",
				Message: "SSM returned neither a value nor an error"})
		}
	}
}

func notFound(req *paramRequest) error {
	if req.versioned {
		return &CodeError{Code: "ParameterVersionNotFound",
			Message: "no such parameter, version or label"}
	}
	return &CodeError{Code: "ParameterNotFound", Message: "no such parameter"}
}

func setParameter(list []*Secret, p types.Parameter) {
	value := aws.ToString(p.Value)
	err := checkValue(value)
	for _, s := range list {
		if s.Err != nil {
			continue
		}
		s.Version = strconv.FormatInt(p.Version, 10)
		s.Value, s.Err = value, err
	}
}
