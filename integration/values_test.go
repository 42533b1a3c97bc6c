package integration

import (
	"fmt"
	"strings"
	"testing"
)

// TestValuesAsStored hands values over byte for byte: spaces, blank
// lines, tabs and UTF-8 are kept.
func TestValuesAsStored(t *testing.T) {
	t.Parallel()
	param, secret := unique("/app/bytes"), unique("app/bytes")
	const paramValue = "  line one\nline two = ünï ✓\n\n"
	const secretValue = "tab\there \n"
	putParameter(t, param, paramValue)
	createSecret(t, secret, secretValue)

	env := awsEnv(t, "P=ssm://"+param, "S=secretsmanager://"+secret)
	r := run(t, env, "--", "printenv", "P", "S")
	expect(t, r, 0, paramValue+"\n"+secretValue+"\n", "")
}

// TestManyParameters resolves more parameters than one GetParameters call
// and one page of DescribeParameters take, under the tag policy, with a
// name mapped twice and one parameter missing.
func TestManyParameters(t *testing.T) {
	t.Parallel()
	const n = 11
	prefix := unique("/copilot/demo/test/secrets/many")
	var puts [][]string
	for i := range n {
		name := fmt.Sprintf("%s/p%02d", prefix, i)
		value := fmt.Sprintf("many-value-%02d", i)
		puts = append(puts, putArgs(name, value, copilotTags("demo", "test")...))
	}
	awsAll(t, puts...)
	var secrets, names, want []string
	for i := range n {
		secrets = append(secrets, fmt.Sprintf("V%02d: %s/p%02d", i, prefix, i))
		names = append(names, fmt.Sprintf("V%02d", i))
		want = append(want, fmt.Sprintf("many-value-%02d\n", i))
	}
	secrets = append(secrets, "AGAIN: "+prefix+"/p03")
	text := strings.Join(secrets, "\n")
	env := awsEnv(t, "SECRET_EXEC_SECRETS="+text, "COPILOT_APPLICATION_NAME=demo",
		"COPILOT_ENVIRONMENT_NAME=test")
	r := run(t, env, append(append([]string{"--", "printenv"}, names...), "AGAIN")...)
	expect(t, r, 0, strings.Join(want, "")+"many-value-03\n", "")

	path, notRun := marker(t)
	env = append(env, "GONE=ssm://"+prefix+"/gone")
	r = run(t, env, touch(path)...)
	expect(t, r, 1, "", failed(1,
		"GONE: "+prefix+"/gone (us-east-1): ParameterNotFound: no such parameter"))
	notRun()
}
