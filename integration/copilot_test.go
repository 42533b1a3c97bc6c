package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// manifest is a Copilot service manifest; %[1]s is the suffix that makes
// its names unique.
const manifest = `# The manifest for the "api" service.
name: api
type: Load Balanced Web Service

image:
  build: Dockerfile
  port: 8080

variables:
  LOG_LEVEL: info

secrets:
  GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET_%[1]s
  DB_PASSWORD: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/db_%[1]s
  QUOTE: "'/copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/db_%[1]s'"
  DB_USER:
    secretsmanager: '${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/db_%[1]s:username::'

environments:
  prod:
    count: 2
    secrets:
      GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET_PROD_%[1]s
`

// TestCopilotManifest reads the secrets of a Copilot manifest, with the
// environment's overrides and Copilot's interpolation.
func TestCopilotManifest(t *testing.T) {
	t.Parallel()
	id := fmt.Sprint(seq.Add(1))
	seed := [][]string{
		putArgs("GH_WEBHOOK_SECRET_"+id, "hook-test-122", copilotTags("demo", "test")...),
		putArgs("GH_WEBHOOK_SECRET_PROD_"+id, "hook-prod-123", copilotTags("demo", "prod")...),
	}
	for _, e := range []string{"test", "prod"} {
		tags := copilotTags("demo", e)
		seed = append(seed,
			putArgs("/copilot/demo/"+e+"/secrets/db_"+id, "db-"+e+"-121", tags...),
			secretArgs("demo/"+e+"/db_"+id, `{"username":"admin-`+e+`"}`, tags...))
	}
	awsAll(t, seed...)
	file := writeFile(t, "manifest.yml", fmt.Sprintf(manifest, id))
	vars := []string{"--", "printenv", "GITHUB_WEBHOOK_SECRET", "DB_PASSWORD", "QUOTE", "DB_USER"}

	cases := []struct {
		name   string
		env    []string
		args   []string
		stdout string
	}{
		{"test", nil, []string{"--secrets-file", file, "--app", "demo", "--env", "test"},
			"hook-test-122\ndb-test-121\ndb-test-121\nadmin-test\n"},
		{"prod", nil, []string{"--secrets-file", file, "--app", "demo", "--env", "prod"},
			"hook-prod-123\ndb-prod-121\ndb-prod-121\nadmin-prod\n"},
		{"COPILOT variables", []string{"SECRET_EXEC_SECRETS_FILE=" + file,
			"COPILOT_APPLICATION_NAME=demo", "COPILOT_ENVIRONMENT_NAME=prod"}, nil,
			"hook-prod-123\ndb-prod-121\ndb-prod-121\nadmin-prod\n"},
		{"no tag check", []string{"SECRET_EXEC_SECRETS_FILE=" + file},
			[]string{"--app", "demo", "--env", "test", "--no-tag-check"},
			"hook-test-122\ndb-test-121\ndb-test-121\nadmin-test\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, awsEnv(t, c.env...), slices.Concat(c.args, vars)...)
			expect(t, r, 0, c.stdout, "")
		})
	}

	t.Run("interpolation from the environment", func(t *testing.T) {
		file := writeFile(t, "manifest.yml", "type: Backend Service\nsecrets:\n"+
			"  HOOK: GH_WEBHOOK_SECRET_${HOOK_SUFFIX}\n")
		env := awsEnv(t, "HOOK_SUFFIX="+id)
		r := run(t, env, "--secrets-file", file, "--app", "demo", "--env", "test",
			"--", "printenv", "HOOK")
		expect(t, r, 0, "hook-test-122\n", "")
	})

	t.Run("no app", func(t *testing.T) {
		path, notRun := marker(t)
		r := run(t, awsEnv(t), slices.Concat([]string{"--secrets-file", file, "--env", "test"},
			touch(path))...)
		wantConfigError(t, r, file, "COPILOT_APPLICATION_NAME")
		notRun()
	})
}

// TestCopilotManifestErrors refuses what a manifest may hold but
// secret-exec cannot do.
func TestCopilotManifestErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, manifest, mention string
	}{
		{"undefined variable", "type: Backend Service\nsecrets:\n" +
			"  X: /copilot/${COPILOT_APPLICATION_NAME}/${UNDEFINED_VARIABLE}/x\n",
			"UNDEFINED_VARIABLE"},
		{"from_cfn", "type: Backend Service\nsecrets:\n" +
			"  X:\n    from_cfn: stack-SecretsExport\n", "from_cfn"},
		// \${ is a literal ${, which no parameter name may hold; the
		// reference is quoted as written.
		{"escaped", "type: Backend Service\nsecrets:\n" +
			"  X: /copilot/\\${NOT_EXPANDED}/x\n",
			`reference "/copilot/\\${NOT_EXPANDED}/x" is not valid once its variables`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, notRun := marker(t)
			file := writeFile(t, "manifest.yml", c.manifest)
			env := awsEnv(t, "SECRET_EXEC_SECRETS_FILE="+file)
			r := run(t, env, slices.Concat([]string{"--app", "demo", "--env", "test"},
				touch(path))...)
			wantConfigError(t, r, file, c.mention)
			notRun()
		})
	}
}

// wantConfigError checks a configuration error: status 2, nothing on
// stdout, one message that names the file and mention.
func wantConfigError(t *testing.T, r result, file, mention string) {
	t.Helper()
	if r.status != 2 || r.stdout != "" {
		t.Errorf("status %d, stdout %q, want 2 and nothing", r.status, r.stdout)
	}
	wantParts(t, r.stderr, "secret-exec: ", file, mention)
}

// taskDefinition is an ECS task definition with two containers; %[1]s is
// the SSM parameter and %[2]s the ARN of the database secret.
const taskDefinition = `{
	"family": "api",
	"networkMode": "awsvpc",
	"containerDefinitions": [
		{
			"name": "app",
			"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest",
			"essential": true,
			"environment": [
				{"name": "ROLE", "value": "app"},
				{"name": "LOG_LEVEL", "value": "debug"}
			],
			"secrets": [
				{"name": "GITHUB_WEBHOOK_SECRET", "valueFrom": "%[1]s"},
				{"name": "DB_PASSWORD", "valueFrom": "%[2]s:password::"}
			]
		},
		{
			"name": "sidecar",
			"image": "public.ecr.aws/aws-observability/aws-otel-collector:latest",
			"environment": [{"name": "ROLE", "value": "sidecar"}],
			"secrets": [{"name": "DB_USER", "valueFrom": "%[2]s:username::"}]
		}
	]
}`

// TestTaskDefinition applies the environment and secrets of a task
// definition's container, as ECS would.
func TestTaskDefinition(t *testing.T) {
	t.Parallel()
	hook := unique("GH_WEBHOOK_SECRET")
	putParameter(t, hook, "hook-value-131")
	arn := createSecret(t, unique("api/db"), `{"username":"admin","password":"pw-132"}`)
	bare := fmt.Sprintf(taskDefinition, hook, arn)
	twoContainers := writeFile(t, "task.json", bare)
	described := writeFile(t, "described.json", `{"taskDefinition": `+bare+`, "tags": []}`)
	oneContainer := writeFile(t, "one.json", `{"containerDefinitions": [{"name": "app", `+
		`"environment": [{"name": "ROLE", "value": "app"}, `+
		`{"name": "GITHUB_WEBHOOK_SECRET", "value": "placeholder"}], `+
		`"secrets": [{"name": "GITHUB_WEBHOOK_SECRET", "valueFrom": "`+hook+`"}]}]}`)

	appEnv := []string{"ROLE=app", "LOG_LEVEL=debug",
		"GITHUB_WEBHOOK_SECRET=hook-value-131", "DB_PASSWORD=pw-132"}
	sidecarEnv := []string{"ROLE=sidecar", "DB_USER=admin"}
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"--container app", nil, []string{"--secrets-file", twoContainers, "--container", "app"},
			appEnv},
		{"SECRET_EXEC_CONTAINER", []string{"SECRET_EXEC_CONTAINER=sidecar",
			"SECRET_EXEC_SECRETS_FILE=" + twoContainers}, nil, sidecarEnv},
		{"described", nil, []string{"--secrets-file", described, "--container", "app"}, appEnv},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The task definition's environment wins over secret-exec's own.
			env := awsEnv(t, append(c.env, "ROLE=host")...)
			r := run(t, env, slices.Concat(c.args, []string{"--", "env"})...)
			want := without(env, "ROLE")
			want = slices.DeleteFunc(want, func(kv string) bool {
				return strings.HasPrefix(kv, "SECRET_EXEC_")
			})
			wantEnviron(t, r, slices.Concat(want, c.want))
		})
	}

	// The secret wins over the environment entry of its name, as in ECS.
	t.Run("one container", func(t *testing.T) {
		r := run(t, awsEnv(t, "ROLE=host"), "--secrets-file", oneContainer,
			"--", "printenv", "ROLE", "GITHUB_WEBHOOK_SECRET")
		expect(t, r, 0, "app\nhook-value-131\n", "")
	})

	t.Run("which container", func(t *testing.T) {
		path, notRun := marker(t)
		env := awsEnv(t, "SECRET_EXEC_SECRETS_FILE="+twoContainers)
		r := run(t, env, touch(path)...)
		wantConfigError(t, r, twoContainers, "--container")
		wantParts(t, r.stderr, "secret-exec: ", "app", "sidecar")
		notRun()
	})
}

// wantEnviron checks that a run of env succeeded and printed exactly the
// variables of want, in any order.
func wantEnviron(t *testing.T, r result, want []string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if r.status != 0 || r.stderr != "" || !slices.Equal(got, want) {
		t.Errorf("status %d, stderr %q, environment:\n%s\nwant:\n%s", r.status, r.stderr,
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
