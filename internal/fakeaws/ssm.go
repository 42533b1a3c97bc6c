package fakeaws

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

const (
	secretRefPrefix  = "/aws/reference/secretsmanager/"
	maxGetParameters = 10
	maxNameFilter    = 50
)

// paramOut is a Parameter in GetParameter(s) output and, without Value,
// a ParameterMetadata in DescribeParameters output.
type paramOut struct {
	Name             string
	ARN              string
	Value            string `json:",omitempty"`
	Version          int64
	Type             string
	DataType         string
	LastModifiedDate epoch
	Selector         string `json:",omitempty"`
	SourceResult     string `json:",omitempty"`
}

func paramNotFound(ref string) *apiError {
	return badRequest("ParameterNotFound", "Parameter "+ref+" not found.")
}

func (s *Server) getParameter(region string, in *input) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.lookupParam(region, in.Name, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return struct{ Parameter *paramOut }{p}, nil
}

func (s *Server) getParameters(region string, in *input) (any, *apiError) {
	if len(in.Names) == 0 || len(in.Names) > maxGetParameters {
		return nil, validation("1 validation error detected: Value at 'names' failed to " +
			"satisfy constraint: Member must have length between 1 and 10")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Parameters        []*paramOut
		InvalidParameters []string
	}{[]*paramOut{}, []string{}}
	for i, ref := range in.Names {
		if slices.Contains(in.Names[:i], ref) {
			continue
		}
		p, err := s.lookupParam(region, ref, in.WithDecryption)
		switch {
		case err == nil:
			out.Parameters = append(out.Parameters, p)
		case err.code == "ValidationException":
			return nil, err
		default:
			out.InvalidParameters = append(out.InvalidParameters, ref)
		}
	}
	return out, nil
}

// lookupParam resolves a reference as GetParameter takes it: a name or an
// ARN, with an optional :version or :label selector, or a Secrets Manager
// reference.
func (s *Server) lookupParam(region, ref string, decrypt bool) (*paramOut, *apiError) {
	if id, ok := strings.CutPrefix(ref, secretRefPrefix); ok {
		return s.secretParam(region, ref, id, decrypt)
	}
	key, sel, ok := s.parseParamRef(region, ref)
	x := s.data(region).params[key]
	if !ok || x == nil {
		return nil, paramNotFound(ref)
	}
	ver, ok := x.resolve(sel)
	if !ok {
		return nil, badRequest("ParameterVersionNotFound",
			"Systems Manager could not find version "+sel+" of "+key.name+".")
	}
	account := key.account
	if account == "" {
		account = s.account
	}
	p := x.meta(region, account, key.name, ver)
	p.Value = x.versions[ver-1].value
	if x.typ == "SecureString" && !decrypt {
		// Stands in for the KMS ciphertext: never the value itself.
		sum := sha256.Sum256([]byte(p.Value))
		p.Value = "AQICAH" + base64.StdEncoding.EncodeToString(sum[:])
	}
	if sel != "" {
		p.Selector = ":" + sel
	}
	return p, nil
}

func (x *param) meta(region, account, name string, ver int64) *paramOut {
	return &paramOut{
		Name:             name,
		ARN:              paramARN(region, account, name),
		Version:          ver,
		Type:             x.typ,
		DataType:         "text",
		LastModifiedDate: epoch(x.versions[ver-1].modified),
	}
}

// parseParamRef splits a name or ARN reference into the parameter's key
// and its selector. An ARN of another region finds nothing.
func (s *Server) parseParamRef(region, ref string) (paramKey, string, bool) {
	var key paramKey
	if strings.HasPrefix(ref, "arn:") {
		f := strings.SplitN(ref, ":", 6)
		if len(f) != 6 || f[2] != "ssm" || f[3] != region {
			return key, "", false
		}
		res, ok := strings.CutPrefix(f[5], "parameter/")
		if !ok {
			return key, "", false
		}
		// "parameter/a/b" is "/a/b" but "parameter/x" is "x".
		if strings.Contains(res, "/") {
			res = "/" + res
		}
		if f[4] != s.account {
			key.account = f[4]
		}
		ref = res
	}
	name, sel, _ := strings.Cut(ref, ":")
	key.name = name
	return key, sel, true
}

// secretParam serves /aws/reference/secretsmanager/ID: the secret's
// current value as a SecureString.
func (s *Server) secretParam(region, ref, id string, decrypt bool) (*paramOut, *apiError) {
	if !decrypt {
		return nil, validation("WithDecryption flag must be True for retrieving " +
			"a Secret Manager secret.")
	}
	x := s.findSecret(region, id)
	if x == nil {
		return nil, paramNotFound(ref)
	}
	v := x.pick("", stageCurrent)
	if v == nil {
		return nil, paramNotFound(ref)
	}
	sv := s.secretValue(region, x, v)
	value := sv.SecretString
	if sv.SecretBinary != nil {
		value = base64.StdEncoding.EncodeToString(sv.SecretBinary)
	}
	// SourceResult carries the secret's metadata; the value is left out.
	sv.SecretString, sv.SecretBinary = "", nil
	src, _ := json.Marshal(sv)
	return &paramOut{
		Name:             ref,
		ARN:              sv.ARN,
		Value:            value,
		Type:             "SecureString",
		DataType:         "text",
		LastModifiedDate: sv.CreatedDate,
		SourceResult:     string(src),
	}, nil
}

func (s *Server) describeParameters(region string, in *input) (any, *apiError) {
	if err := checkFilters(in.ParameterFilters); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > DefaultPageSize {
		return nil, validation("MaxResults must be between 1 and 50")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := s.ownParamNames(region, nameFilter(in.ParameterFilters))
	start, ok := pageStart(names, in.NextToken)
	if !ok {
		return nil, badRequest("InvalidNextToken", "The specified token is not valid.")
	}
	size := s.pageSize
	if in.MaxResults > 0 {
		size = min(size, in.MaxResults)
	}
	end := min(start+size, len(names))
	out := struct {
		Parameters []*paramOut
		NextToken  string `json:",omitempty"`
	}{Parameters: []*paramOut{}}
	rd := s.data(region)
	for _, name := range names[start:end] {
		// Like AWS, the page bounds the parameters scanned, not those
		// matched, so a page may hold fewer than MaxResults.
		x := rd.params[paramKey{name: name}]
		if matchFilters(in.ParameterFilters, name, x) {
			out.Parameters = append(out.Parameters,
				x.meta(region, s.account, name, int64(len(x.versions))))
		}
	}
	if end < len(names) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[end-1]))
	}
	return out, nil
}

// ownParamNames lists the server account's parameters in region, sorted;
// only those in only, when it is not nil. A Name filter is taken to be
// looked up by name, so its pages are not padded with the other
// parameters of the account.
func (s *Server) ownParamNames(region string, only []string) []string {
	var names []string
	for key := range s.data(region).params {
		if key.account == "" && (only == nil || slices.Contains(only, key.name)) {
			names = append(names, key.name)
		}
	}
	slices.Sort(names)
	return names
}

// nameFilter returns the values of a Name filter, or nil.
func nameFilter(filters []filter) []string {
	for _, f := range filters {
		if f.Key == "Name" {
			return f.Values
		}
	}
	return nil
}

// listTags answers ListTagsForResource for a parameter of the server's
// own account.
func (s *Server) listTags(region string, in *input) (any, *apiError) {
	if in.ResourceType != "Parameter" {
		return nil, validation("this fake lists the tags of parameters only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.data(region).params[paramKey{name: in.ResourceID}]
	if x == nil {
		return nil, badRequest("InvalidResourceId", "The resource ID is not valid.")
	}
	out := struct{ TagList []tag }{TagList: []tag{}}
	for _, k := range slices.Sorted(maps.Keys(x.tags)) {
		out.TagList = append(out.TagList, tag{k, x.tags[k]})
	}
	return out, nil
}

// pageStart returns the index after the name a NextToken holds.
func pageStart(names []string, token string) (int, bool) {
	if token == "" {
		return 0, true
	}
	last, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	i, found := slices.BinarySearch(names, string(last))
	if found {
		i++
	}
	return i, true
}

// checkFilters rejects the ParameterFilters this fake does not know.
func checkFilters(filters []filter) *apiError {
	for _, f := range filters {
		switch {
		case f.Option != "" && f.Option != "Equals":
			return badRequest("InvalidFilterOption", "The filter option "+f.Option+
				" is not supported by this fake.")
		case f.Key == "Name" && (len(f.Values) == 0 || len(f.Values) > maxNameFilter):
			return validation("a Name filter takes 1 to 50 values")
		case f.Key != "Name" && !strings.HasPrefix(f.Key, "tag:"):
			return badRequest("InvalidFilterKey", "The filter key "+f.Key+
				" is not supported by this fake.")
		}
	}
	return nil
}

// matchFilters reports whether a parameter passes all filters. A tag
// filter without values asks only for the tag key.
func matchFilters(filters []filter, name string, x *param) bool {
	for _, f := range filters {
		tagKey, isTag := strings.CutPrefix(f.Key, "tag:")
		v, hasTag := x.tags[tagKey]
		switch {
		case !isTag && !slices.Contains(f.Values, name):
			return false
		case isTag && (!hasTag || len(f.Values) > 0 && !slices.Contains(f.Values, v)):
			return false
		}
	}
	return true
}
