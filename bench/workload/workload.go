// Package workload defines what the benchmark and the budget tests run
// secret-exec with: the mappings, the data of the fake AWS endpoint they
// read, and the calls that the performance contract (section 8 of the
// spec) allows for them. Sharing it keeps the benchmark's figures and the
// tests' assertions about the same workloads.
//
// Every parameter and secret is tagged for application [App] and
// environment [Env], so that a run with [Args](true) passes the tag check.
package workload

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// The application, environment, account and regions of the workloads.
const (
	App           = "demo"
	Env           = "test"
	Account       = fakeaws.DefaultAccount
	DefaultRegion = "us-east-1"
	OtherRegion   = "eu-west-1"
)

// API limits that section 8 of the spec holds secret-exec to.
const (
	// NamesPerGet is the most names one GetParameters call takes.
	NamesPerGet = 10
	// NamesPerDescribe is the most names one DescribeParameters filter
	// takes.
	NamesPerDescribe = 50
)

// Sizes of the seeded data: enough for the largest workload.
const (
	seedParameters = 100
	seedSecrets    = 5
)

// secretKeys are the keys of every seeded JSON secret, in the order that
// workloads take them.
var secretKeys = []string{"username", "password", "host", "port"}

// Workload is one set of mappings.
type Workload struct {
	// Name is short and fit for a table: "ssm-100", "sm-5x3".
	Name string
	// Mappings is the number of variables set.
	Mappings int
	// Secrets is the SECRET_EXEC_SECRETS text, empty for no mappings.
	Secrets string
	// Want is the environment the command should get beyond its own.
	Want map[string]string
	// Parameters and SecretIDs count the distinct parameters and secrets
	// read in each region.
	Parameters map[string]int
	SecretIDs  map[string]int
}

// All returns the workloads of the benchmark issue, smallest first: no
// mappings; 1, 10, 40 and 100 SSM parameters in the default region; 100
// split over two regions; and 5 Secrets Manager secrets with 3 JSON keys
// taken from each.
func All() []Workload {
	return []Workload{
		SSM(0), SSM(1), SSM(10), SSM(40), SSM(100),
		SSMTwoRegions(100), SecretsManager(5, 3),
	}
}

// Args returns secret-exec's arguments before "--": the application and
// environment that turn the tag check on, or nothing, which leaves it off.
func Args(tagCheck bool) []string {
	if tagCheck {
		return []string{"--app", App, "--env", Env}
	}
	return nil
}

// builder assembles a workload's mapping text in order.
type builder struct {
	w     Workload
	pairs []string
}

func newBuilder(name string) *builder {
	return &builder{w: Workload{Name: name, Want: map[string]string{},
		Parameters: map[string]int{}, SecretIDs: map[string]int{}}}
}

// add maps variable to ref, a JSON value, with the value it should get.
func (b *builder) add(variable string, ref any, value string) {
	text, err := json.Marshal(ref)
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	b.pairs = append(b.pairs, fmt.Sprintf("%q:%s", variable, text))
	b.w.Want[variable] = value
	b.w.Mappings++
}

func (b *builder) done() Workload {
	if len(b.pairs) > 0 {
		b.w.Secrets = "{" + strings.Join(b.pairs, ",") + "}"
	}
	return b.w
}

// SSM maps n variables to n parameters of the default region, named by
// path.
func SSM(n int) Workload {
	b := newBuilder(fmt.Sprintf("ssm-%d", n))
	if n == 0 {
		b.w.Name = "none"
	}
	for i := range n {
		b.add(paramVar(i), paramName(i), paramValue(DefaultRegion, i))
		b.w.Parameters[DefaultRegion]++
	}
	return b.done()
}

// SSMTwoRegions maps n variables to parameters: the first half by name in
// the default region, the rest by ARN in OtherRegion.
func SSMTwoRegions(n int) Workload {
	b := newBuilder(fmt.Sprintf("ssm-%d-2reg", n))
	for i := range n {
		region, ref := DefaultRegion, paramName(i)
		if i >= n/2 {
			region = OtherRegion
			ref = fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", region, Account, ref)
		}
		b.add(paramVar(i), ref, paramValue(region, i))
		b.w.Parameters[region]++
	}
	return b.done()
}

// SecretsManager maps keys JSON keys of each of n secrets of the default
// region, as {secretsmanager: "NAME:KEY::"}.
func SecretsManager(n, keys int) Workload {
	b := newBuilder(fmt.Sprintf("sm-%dx%d", n, keys))
	for i := range n {
		for _, key := range secretKeys[:keys] {
			variable := fmt.Sprintf("DB%d_%s", i, strings.ToUpper(key))
			ref := map[string]string{"secretsmanager": secretName(i) + ":" + key + "::"}
			b.add(variable, ref, secretFields(i)[key])
		}
		b.w.SecretIDs[DefaultRegion]++
	}
	return b.done()
}

// Calls returns the calls one run may make, by operation and region:
// ceil(n/10) GetParameters and, with the tag check, ceil(n/50)
// DescribeParameters for n parameters of a region; one GetSecretValue and,
// with the tag check, one DescribeSecret per secret.
func (w Workload) Calls(tagCheck bool) map[string]map[string]int {
	calls := map[string]map[string]int{}
	add := func(op, region string, n int) {
		if calls[op] == nil {
			calls[op] = map[string]int{}
		}
		calls[op][region] += n
	}
	for region, n := range w.Parameters {
		add("GetParameters", region, ceilDiv(n, NamesPerGet))
		if tagCheck {
			add("DescribeParameters", region, ceilDiv(n, NamesPerDescribe))
		}
	}
	for region, n := range w.SecretIDs {
		add("GetSecretValue", region, n)
		if tagCheck {
			add("DescribeSecret", region, n)
		}
	}
	return calls
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
