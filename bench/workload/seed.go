package workload

import (
	"encoding/json"
	"fmt"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// Seed returns the data every workload reads: parameters /bench/p000 to
// /bench/p099 in both regions and secrets bench/db0 to bench/db4 in the
// default region, all SecureString or JSON, all tagged for App and Env.
func Seed() *fakeaws.Config {
	c := &fakeaws.Config{Regions: map[string]fakeaws.Seed{}}
	for _, region := range []string{DefaultRegion, OtherRegion} {
		var seed fakeaws.Seed
		for i := range seedParameters {
			seed.Parameters = append(seed.Parameters, fakeaws.Parameter{
				Name: paramName(i), Value: paramValue(region, i),
				Type: "SecureString", Tags: tags(),
			})
		}
		c.Regions[region] = seed
	}
	seed := c.Regions[DefaultRegion]
	for i := range seedSecrets {
		text, err := json.Marshal(secretFields(i))
		if err != nil {
			panic(err) // a map of strings always marshals
		}
		seed.Secrets = append(seed.Secrets, fakeaws.Secret{
			Name: secretName(i), String: string(text), Tags: tags(),
		})
	}
	c.Regions[DefaultRegion] = seed
	return c
}

// SeedJSON is Seed as the fakeaws command's -config file.
func SeedJSON() ([]byte, error) {
	return json.Marshal(Seed())
}

func tags() map[string]string {
	return map[string]string{"copilot-application": App, "copilot-environment": Env}
}

func paramVar(i int) string  { return fmt.Sprintf("PARAM_%03d", i) }
func paramName(i int) string { return fmt.Sprintf("/bench/p%03d", i) }

// paramValue is 48 bytes or so, the size of a typical token or password,
// and differs by region so that a parameter read from the wrong region
// shows.
func paramValue(region string, i int) string {
	return fmt.Sprintf("%s-%03d-8f14e45fceea167a5a36dedd4bea2543c4ca4238", region, i)
}

func secretName(i int) string { return fmt.Sprintf("bench/db%d", i) }

// secretFields is the JSON object that secret i holds, as an RDS secret
// would.
func secretFields(i int) map[string]string {
	return map[string]string{
		"username": fmt.Sprintf("user%d", i),
		"password": fmt.Sprintf("c81e728d9d4c2f636f067f89cc14862c-%d", i),
		"host":     fmt.Sprintf("db%d.cluster-abc.us-east-1.rds.amazonaws.com", i),
		"port":     "5432",
	}
}
