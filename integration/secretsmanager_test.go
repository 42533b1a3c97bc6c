package integration

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dbSecret is a secret as RDS and Copilot store database credentials.
const dbSecret = `{"username":"admin","password":"pw-9f3k","port":3306}`

// createSecret stores a secret string with the aws CLI and returns its
// full ARN.
func createSecret(t *testing.T, name, text string, tags ...string) string {
	t.Helper()
	var out struct{ ARN string }
	decode(t, awsCLI(t, secretArgs(name, text, tags...)...), &out)
	if out.ARN == "" {
		t.Fatalf("create-secret %s: no ARN in the answer", name)
	}
	return out.ARN
}

// secretArgs are the aws CLI arguments that store a secret string.
func secretArgs(name, text string, tags ...string) []string {
	args := []string{"secretsmanager", "create-secret", "--name", name, "--secret-string", text}
	if len(tags) > 0 {
		args = append(append(args, "--tags"), tags...)
	}
	return args
}

// TestSecretsManager takes JSON keys, whole strings and stages of Secrets
// Manager secrets by name, by ARN and through SSM.
func TestSecretsManager(t *testing.T) {
	t.Parallel()
	name := unique("demo/test/mysql")
	arn := createSecret(t, name, dbSecret, copilotTags("demo", "test")...)
	partial := strings.TrimSuffix(arn, arn[strings.LastIndex(arn, "-"):])
	values := []string{"pw-9f3k"}

	three := []string{"DB_USER", "DB_PASSWORD", "DB_PORT"}
	cases := []struct {
		name, secrets string
		vars          []string
		stdout        string
	}{
		{"map form", fmt.Sprintf(`{DB_USER: {secretsmanager: "%[1]s:username::"}, `+
			`DB_PASSWORD: {secretsmanager: "%[1]s:password::"}, `+
			`DB_PORT: {secretsmanager: "%[1]s:port::"}}`, name),
			three, "admin\npw-9f3k\n3306\n"},
		{"ARN", fmt.Sprintf(`[{"name": "DB_USER", "valueFrom": "%[1]s:username::"}, `+
			`{"name": "DB_PASSWORD", "valueFrom": "%[1]s:password::"}, `+
			`{"name": "DB_PORT", "valueFrom": "%[1]s:port::"}]`, arn),
			three, "admin\npw-9f3k\n3306\n"},
		{"partial ARN", fmt.Sprintf(`[{"name": "DB_PASSWORD", "valueFrom": "%s:password::"}]`,
			partial), []string{"DB_PASSWORD"}, "pw-9f3k\n"},
		{"whole by name", fmt.Sprintf(`DB: {secretsmanager: %q}`, name),
			[]string{"DB"}, dbSecret + "\n"},
		{"whole by ARN", fmt.Sprintf(`DB: %q`, arn), []string{"DB"}, dbSecret + "\n"},
		{"whole through SSM", "DB: /aws/reference/secretsmanager/" + name,
			[]string{"DB"}, dbSecret + "\n"},
	}
	policies := [][]string{{"--no-tag-check"}, {"--app", "demo", "--env", "test"}}
	for _, c := range cases {
		for _, policy := range policies {
			t.Run(c.name+"/"+policy[0], func(t *testing.T) {
				env := awsEnv(t, "SECRET_EXEC_SECRETS="+c.secrets)
				args := slices.Concat(policy, []string{"--", "printenv"}, c.vars)
				r := run(t, env, args...)
				expect(t, r, 0, c.stdout, "")
			})
		}
	}

	t.Run("inline", func(t *testing.T) {
		env := awsEnv(t, "DB_USER=secretsmanager://"+name+":username::")
		r := run(t, env, "--", "printenv", "DB_USER")
		expect(t, r, 0, "admin\n", "")
	})

	t.Run("missing key", func(t *testing.T) {
		path, notRun := marker(t)
		secrets := fmt.Sprintf(`{DB_PASSWORD: {secretsmanager: "%[1]s:password::"}, `+
			`DB_HOST: {secretsmanager: "%[1]s:host::"}}`, name)
		r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS="+secrets), touch(path)...)
		expect(t, r, 1, "", failed(1, "DB_HOST: "+name+
			":host:: (us-east-1): json-key \"host\": no such key in the secret"))
		notRun()
		noLeak(t, "stderr", r.stderr, values...)
	})

	t.Run("missing secret", func(t *testing.T) {
		path, notRun := marker(t)
		missing := unique("demo/test/gone")
		r := run(t, awsEnv(t, "GONE=secretsmanager://"+missing), touch(path)...)
		if r.status != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr,
			strings.TrimSuffix(failed(1, "GONE: "+missing+
				" (us-east-1): ResourceNotFoundException"), "\n")) {
			t.Errorf("status %d, stdout %q, stderr:\n%s", r.status, r.stdout, r.stderr)
		}
		notRun()
	})
}

// TestSecretStages reads the versions of a rotated secret by stage and by
// version id, and refuses a key of a secret that is not JSON.
func TestSecretStages(t *testing.T) {
	t.Parallel()
	name := unique("demo/test/token")
	var first, second struct{ VersionId string }
	decode(t, awsCLI(t, "secretsmanager", "create-secret", "--name", name,
		"--secret-string", "token-old-91"), &first)
	decode(t, awsCLI(t, "secretsmanager", "put-secret-value", "--secret-id", name,
		"--secret-string", "token-new-92"), &second)

	secrets := fmt.Sprintf(`{NEW: {secretsmanager: %[1]q}, `+
		`OLD: {secretsmanager: "%[1]s::AWSPREVIOUS:"}, `+
		`FIRST: {secretsmanager: "%[1]s:::%[2]s"}, `+
		`SECOND: {secretsmanager: "%[1]s:::%[3]s"}}`, name, first.VersionId, second.VersionId)
	r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS="+secrets),
		"--", "printenv", "NEW", "OLD", "FIRST", "SECOND")
	expect(t, r, 0, "token-new-92\ntoken-old-91\ntoken-old-91\ntoken-new-92\n", "")

	path, notRun := marker(t)
	r = run(t, awsEnv(t, "TOKEN=secretsmanager://"+name+":key::"), touch(path)...)
	expect(t, r, 1, "", failed(1, "TOKEN: "+name+
		":key:: (us-east-1): json-key \"key\": the secret is not a JSON object"))
	notRun()
	noLeak(t, "stderr", r.stderr, "token-old-91", "token-new-92")
}

// TestSecretValues takes JSON values that are not strings as their
// compact JSON text, a secret of another region by its ARN, and refuses
// a binary secret.
func TestSecretValues(t *testing.T) {
	t.Parallel()
	name := unique("app/settings")
	createSecret(t, name, `{"debug": true, "limits": {"rps": 10, "burst": [1, 2]}, "n": null}`)
	var west struct{ ARN string }
	decode(t, awsCLI(t, "--region", "eu-west-1", "secretsmanager", "create-secret",
		"--name", unique("app/west"), "--secret-string", "west-value-96"), &west)

	secrets := fmt.Sprintf(`{DEBUG: {secretsmanager: "%[1]s:debug::"}, `+
		`LIMITS: {secretsmanager: "%[1]s:limits::"}, N: {secretsmanager: "%[1]s:n::"}, `+
		`WEST: %[2]q}`, name, west.ARN)
	r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS="+secrets),
		"--", "printenv", "DEBUG", "LIMITS", "N", "WEST")
	expect(t, r, 0, "true\n"+`{"rps":10,"burst":[1,2]}`+"\nnull\nwest-value-96\n", "")

	binSecret := unique("app/binary")
	data := writeFile(t, "secret.bin", "bin\x00ary")
	awsCLI(t, "secretsmanager", "create-secret", "--name", binSecret,
		"--secret-binary", "fileb://"+data)
	path, notRun := marker(t)
	r = run(t, awsEnv(t, "B=secretsmanager://"+binSecret), touch(path)...)
	expect(t, r, 1, "", failed(1,
		"B: "+binSecret+" (us-east-1): the secret holds binary data, not a string"))
	notRun()
}

// decode parses the JSON output of the aws CLI into v.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("aws CLI output: %v\n%s", err, out)
	}
}

// TestSecretTagPolicy applies the tag policy to secrets: their own tags
// count, read directly or through SSM.
func TestSecretTagPolicy(t *testing.T) {
	t.Parallel()
	good := unique("demo/test/api")
	prod := unique("demo/prod/api")
	bare := unique("demo/test/bare")
	outs := awsAll(t,
		secretArgs(good, "good-secret-93", copilotTags("demo", "test")...),
		secretArgs(prod, "prod-secret-94", copilotTags("demo", "prod")...),
		secretArgs(bare, "bare-secret-95"))
	var created struct{ ARN string }
	decode(t, outs[1], &created)
	prodARN := created.ARN
	values := []string{"good-secret-93", "prod-secret-94", "bare-secret-95"}

	const otherEnv = `tag copilot-environment is "prod", want "test"`
	const noApp = `tag copilot-application is missing (want "demo")`
	refused := []struct {
		name, yaml, text, value, verdict string
	}{
		{"other environment by name", `{secretsmanager: "` + prod + `"}`, prod,
			"prod-secret-94", otherEnv},
		{"other environment by ARN", `"` + prodARN + `"`, prodARN, "prod-secret-94", otherEnv},
		{"other environment through SSM", "/aws/reference/secretsmanager/" + prod,
			"/aws/reference/secretsmanager/" + prod, "prod-secret-94", otherEnv},
		{"untagged", `{secretsmanager: "` + bare + `"}`, bare, "bare-secret-95", noApp},
		{"untagged through SSM", "/aws/reference/secretsmanager/" + bare,
			"/aws/reference/secretsmanager/" + bare, "bare-secret-95", noApp},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			path, notRun := marker(t)
			secrets := fmt.Sprintf(`{GOOD: {secretsmanager: %q}, BAD: %s}`, good, c.yaml)
			env := awsEnv(t, "SECRET_EXEC_SECRETS="+secrets,
				"COPILOT_APPLICATION_NAME=demo", "COPILOT_ENVIRONMENT_NAME=test")
			r := run(t, env, touch(path)...)
			expect(t, r, 1, "", failed(1, "BAD: "+c.text+" (us-east-1): tag policy: "+c.verdict))
			notRun()
			noLeak(t, "stderr", r.stderr, values...)

			r = run(t, append(env, "SECRET_EXEC_TAG_CHECK=off"), "--", "printenv", "GOOD", "BAD")
			expect(t, r, 0, "good-secret-93\n"+c.value+"\n", "")
		})
	}
}
