package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// secretKey names one secret version: what one GetSecretValue call fetches.
type secretKey struct {
	region, id, stage, versionID string
}

// fetchSecret starts the one GetSecretValue call that serves every mapping
// of list, however many JSON keys they take from it.
func (r *Resolver) fetchSecret(ctx context.Context, wg *sync.WaitGroup,
	k secretKey, list []*Secret) {
	client := r.Clients.Secrets(k.region)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.id)}
	if k.stage != "" {
		in.VersionStage = aws.String(k.stage)
	}
	if k.versionID != "" {
		in.VersionId = aws.String(k.versionID)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		var a attempts
		out, err := client.GetSecretValue(ctx, in, a.secrets)
		for _, s := range list {
			s.Elapsed = time.Since(start)
		}
		if err != nil {
			fail(list, awsError(ctx, err, &a))
			return
		}
		setSecret(list, out)
	}()
}

func setSecret(list []*Secret, out *secretsmanager.GetSecretValueOutput) {
	for _, s := range list {
		if s.Err != nil {
			continue
		}
		s.Version = aws.ToString(out.VersionId)
		if out.SecretString == nil {
			s.Err = errors.New("the secret holds binary data, not a string")
			continue
		}
		value := *out.SecretString
		var err error
		if s.Ref.JSONKey != "" {
			value, err = jsonKey(value, s.Ref.JSONKey)
		}
		if err == nil {
			err = checkValue(value)
		}
		s.Value, s.Err = value, err
	}
}

// jsonKey picks a top-level key of a JSON object: a string as it is, any
// other value as its compact JSON text.
func jsonKey(text, key string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
		return "", fmt.Errorf("json-key %q: the secret is not a JSON object", key)
	}
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("json-key %q: no such key in the secret", key)
	}
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", fmt.Errorf("json-key %q: %v", key, err)
	}
	return b.String(), nil
}

// checkValue refuses a value that cannot be an environment variable.
func checkValue(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return errors.New("the value holds a NUL byte, which no environment variable can carry")
	}
	return nil
}
