package fakeaws

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Parameter is one version of an SSM parameter to seed.
type Parameter struct {
	// Name is "X" or "/a/b", never an ARN.
	Name  string `json:"name"`
	Value string `json:"value"`
	// Type is String (the default), StringList or SecureString. A later
	// version may change it.
	Type string `json:"type,omitempty"`
	// Tags, when not nil, replace the parameter's tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Labels are moved to this version from any other version, as
	// LabelParameterVersion does.
	Labels []string `json:"labels,omitempty"`
	// Account, when set to another account than the server's, makes this
	// a parameter shared from that account: only its ARN finds it.
	Account string `json:"account,omitempty"`
}

// Secret is one version of a Secrets Manager secret to seed.
type Secret struct {
	Name string `json:"name"`
	// String is the SecretString, unless Binary is not nil: a secret
	// holds one or the other.
	String string `json:"string,omitempty"`
	Binary []byte `json:"binary,omitempty"`
	// Tags, when not nil, replace the secret's tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Stages of this version, AWSCURRENT when empty. Each stage is moved
	// here from whichever version held it; a version losing AWSCURRENT
	// gets AWSPREVIOUS, as PutSecretValue does.
	Stages []string `json:"stages,omitempty"`
	// VersionID is a random UUID when empty.
	VersionID string `json:"versionId,omitempty"`
}

const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

type regionData struct {
	params  map[paramKey]*param
	secrets map[string]*secret
}

// paramKey names a parameter; account is empty for the server's own.
type paramKey struct{ account, name string }

type param struct {
	typ      string
	tags     map[string]string
	versions []paramVersion // version n at index n-1
	labels   map[string]int64
}

type paramVersion struct {
	value    string
	modified time.Time
}

type secret struct {
	name     string
	tags     map[string]string
	created  time.Time
	changed  time.Time
	versions map[string]*secretVersion
}

type secretVersion struct {
	id      string
	str     string
	bin     []byte
	stages  []string
	created time.Time
}

// data returns the region's store, creating it on first use.
func (s *Server) data(region string) *regionData {
	rd := s.regions[region]
	if rd == nil {
		rd = &regionData{params: map[paramKey]*param{}, secrets: map[string]*secret{}}
		s.regions[region] = rd
	}
	return rd
}

// PutParameter adds p as the newest version of its parameter in region,
// creating the parameter at version 1, and returns the version number.
func (s *Server) PutParameter(region string, p Parameter) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := paramKey{name: p.Name}
	if p.Account != s.account {
		key.account = p.Account
	}
	rd := s.data(region)
	x := rd.params[key]
	if x == nil {
		x = &param{typ: "String", labels: map[string]int64{}}
		rd.params[key] = x
	}
	if p.Type != "" {
		x.typ = p.Type
	}
	if p.Tags != nil {
		x.tags = maps.Clone(p.Tags)
	}
	x.versions = append(x.versions, paramVersion{p.Value, time.Now()})
	v := int64(len(x.versions))
	for _, l := range p.Labels {
		x.labels[l] = v
	}
	return v
}

// ParameterARN returns the ARN of the server account's parameter name.
func (s *Server) ParameterARN(region, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return paramARN(region, s.account, name)
}

func paramARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s",
		region, account, strings.TrimPrefix(name, "/"))
}

// resolve returns the version a selector ("", "3" or "label") picks.
func (x *param) resolve(sel string) (int64, bool) {
	if sel == "" {
		return int64(len(x.versions)), true
	}
	// Labels may not begin with a digit, so a digit means a version.
	if sel[0] >= '0' && sel[0] <= '9' {
		n, err := strconv.ParseInt(sel, 10, 64)
		return n, err == nil && n >= 1 && n <= int64(len(x.versions))
	}
	n, ok := x.labels[sel]
	return n, ok
}

// PutSecret adds sec as a new version of its secret in region, creating
// the secret, and returns the version id.
func (s *Server) PutSecret(region string, sec Secret) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.data(region)
	now := time.Now()
	x := rd.secrets[sec.Name]
	if x == nil {
		x = &secret{name: sec.Name, created: now, versions: map[string]*secretVersion{}}
		rd.secrets[sec.Name] = x
	}
	if sec.Tags != nil {
		x.tags = maps.Clone(sec.Tags)
	}
	v := &secretVersion{id: sec.VersionID, str: sec.String, bin: bytes.Clone(sec.Binary),
		created: now}
	if v.id == "" {
		v.id = newUUID()
	}
	x.versions[v.id] = v
	x.changed = now
	stages := sec.Stages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	for _, st := range stages {
		x.assign(st, v)
	}
	return v.id
}

// assign moves stage to v, passing AWSPREVIOUS to the version that loses
// AWSCURRENT.
func (x *secret) assign(stage string, v *secretVersion) {
	prev := x.take(stage)
	v.stages = append(v.stages, stage)
	if stage == stageCurrent && prev != nil && prev != v {
		x.take(stagePrevious)
		prev.stages = append(prev.stages, stagePrevious)
	}
}

// take removes stage from the version holding it and returns that version.
func (x *secret) take(stage string) *secretVersion {
	for _, v := range x.versions {
		if i := slices.Index(v.stages, stage); i >= 0 {
			v.stages = slices.Delete(v.stages, i, i+1)
			return v
		}
	}
	return nil
}

// pick returns the version a GetSecretValue asks for, or nil.
func (x *secret) pick(id, stage string) *secretVersion {
	if id != "" {
		v := x.versions[id]
		if v == nil || stage != "" && !slices.Contains(v.stages, stage) {
			return nil
		}
		return v
	}
	if stage == "" {
		stage = stageCurrent
	}
	for _, v := range x.versions {
		if slices.Contains(v.stages, stage) {
			return v
		}
	}
	return nil
}

// SecretARN returns the full ARN of secret name in region, with the
// six-character suffix AWS appends. The suffix is derived from the region
// and name, so it is stable across runs.
func (s *Server) SecretARN(region, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secretARN(region, name)
}

func (s *Server) secretARN(region, name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s",
		region, s.account, name, arnSuffix(region, name))
}

func arnSuffix(region, name string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	sum := sha256.Sum256([]byte(region + "/" + name))
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

// findSecret looks a SecretId up: a name, a full ARN or a partial ARN.
func (s *Server) findSecret(region, id string) *secret {
	rd := s.data(region)
	if !strings.HasPrefix(id, "arn:") {
		return rd.secrets[id]
	}
	f := strings.SplitN(id, ":", 7)
	if len(f) != 7 || f[2] != "secretsmanager" || f[3] != region ||
		f[4] != s.account || f[5] != "secret" {
		return nil
	}
	if x := rd.secrets[f[6]]; x != nil {
		return x
	}
	i := strings.LastIndexByte(f[6], '-')
	if i < 0 {
		return nil
	}
	x := rd.secrets[f[6][:i]]
	if x == nil || f[6][i+1:] != arnSuffix(region, x.name) {
		return nil
	}
	return x
}

// newUUID returns a random version id shaped like the ones AWS makes.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:])
}
