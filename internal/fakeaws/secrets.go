package fakeaws

import (
	"maps"
	"slices"
)

// secretValueOut is the GetSecretValue output.
type secretValueOut struct {
	ARN           string
	Name          string
	SecretString  string `json:",omitempty"`
	SecretBinary  []byte `json:",omitempty"`
	VersionID     string `json:"VersionId"`
	VersionStages []string
	CreatedDate   epoch
}

type tag struct{ Key, Value string }

func secretNotFound() *apiError {
	return badRequest("ResourceNotFoundException",
		"Secrets Manager can't find the specified secret.")
}

func (s *Server) getSecretValue(region string, in *input) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.findSecret(region, in.SecretID)
	if x == nil {
		return nil, secretNotFound()
	}
	v := x.pick(in.VersionID, in.VersionStage)
	if v == nil {
		return nil, badRequest("ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for this "+
				"VersionId or VersionStage.")
	}
	return s.secretValue(region, x, v), nil
}

func (s *Server) secretValue(region string, x *secret, v *secretVersion) *secretValueOut {
	out := &secretValueOut{
		ARN:           s.secretARN(region, x.name),
		Name:          x.name,
		SecretString:  v.str,
		SecretBinary:  v.bin,
		VersionID:     v.id,
		VersionStages: slices.Clone(v.stages),
		CreatedDate:   epoch(v.created),
	}
	if v.bin != nil {
		out.SecretString = ""
	}
	return out
}

func (s *Server) describeSecret(region string, in *input) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.findSecret(region, in.SecretID)
	if x == nil {
		return nil, secretNotFound()
	}
	out := struct {
		ARN                string
		Name               string
		Tags               []tag `json:",omitempty"`
		VersionIdsToStages map[string][]string
		CreatedDate        epoch
		LastChangedDate    epoch
	}{
		ARN:                s.secretARN(region, x.name),
		Name:               x.name,
		VersionIdsToStages: map[string][]string{},
		CreatedDate:        epoch(x.created),
		LastChangedDate:    epoch(x.changed),
	}
	for _, k := range slices.Sorted(maps.Keys(x.tags)) {
		out.Tags = append(out.Tags, tag{k, x.tags[k]})
	}
	for id, v := range x.versions {
		// Versions without a stage are deprecated and not listed.
		if len(v.stages) > 0 {
			out.VersionIdsToStages[id] = slices.Clone(v.stages)
		}
	}
	return out, nil
}
