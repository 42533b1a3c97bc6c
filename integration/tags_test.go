package integration

import (
	"testing"
)

// TestTagPolicy applies Copilot's tag policy (SPEC section 4) to
// parameters tagged with the aws CLI.
func TestTagPolicy(t *testing.T) {
	t.Parallel()
	good := unique("/copilot/demo/test/secrets/GITHUB_WEBHOOK_SECRET")
	untagged := unique("/copilot/demo/test/secrets/UNTAGGED")
	otherEnv := unique("/copilot/demo/prod/secrets/OTHER_ENV")
	otherApp := unique("/copilot/other/test/secrets/OTHER_APP")
	awsAll(t,
		putArgs(good, "good-value-81", copilotTags("demo", "test")...),
		putArgs(untagged, "untagged-value-82"),
		putArgs(otherEnv, "env-value-83", copilotTags("demo", "prod")...),
		putArgs(otherApp, "app-value-84", copilotTags("other", "test")...))
	values := []string{"good-value-81", "untagged-value-82", "env-value-83", "app-value-84"}

	accepted := []struct {
		name string
		env  []string
		args []string
	}{
		{"flags", nil, []string{"--app", "demo", "--env", "test"}},
		{"SECRET_EXEC_APP", []string{"SECRET_EXEC_APP=demo", "SECRET_EXEC_ENV=test"}, nil},
		{"COPILOT variables", []string{
			"COPILOT_APPLICATION_NAME=demo", "COPILOT_ENVIRONMENT_NAME=test"}, nil},
		{"flags first", []string{
			"COPILOT_APPLICATION_NAME=other", "COPILOT_ENVIRONMENT_NAME=prod"},
			[]string{"--app", "demo", "--env", "test"}},
		{"SECRET_EXEC_APP first", []string{"SECRET_EXEC_APP=demo", "SECRET_EXEC_ENV=test",
			"COPILOT_APPLICATION_NAME=other", "COPILOT_ENVIRONMENT_NAME=prod"}, nil},
	}
	for _, c := range accepted {
		t.Run("tagged/"+c.name, func(t *testing.T) {
			env := awsEnv(t, append(c.env, "SECRET_EXEC_SECRETS=GOOD: "+good)...)
			r := run(t, env, append(c.args, "--", "printenv", "GOOD")...)
			expect(t, r, 0, "good-value-81\n", "")
		})
	}

	refused := []struct {
		name, ref, verdict string
	}{
		{"untagged", untagged, `tag copilot-application is missing (want "demo")`},
		{"other environment", otherEnv, `tag copilot-environment is "prod", want "test"`},
		{"other application", otherApp, `tag copilot-application is "other", want "demo"`},
	}
	for _, c := range refused {
		for _, how := range accepted[:3] {
			t.Run(c.name+"/"+how.name, func(t *testing.T) {
				path, notRun := marker(t)
				env := awsEnv(t, append(how.env,
					"SECRET_EXEC_SECRETS={GOOD: "+good+", BAD: "+c.ref+"}")...)
				r := run(t, env, append(how.args, touch(path)...)...)
				expect(t, r, 1, "", failed(1,
					"BAD: "+c.ref+" (us-east-1): tag policy: "+c.verdict))
				notRun()
				noLeak(t, "stderr", r.stderr, values...)
			})
		}
	}

	t.Run("check", func(t *testing.T) {
		env := awsEnv(t, "SECRET_EXEC_SECRETS={GOOD: "+good+", BAD: "+otherEnv+"}")
		r := run(t, env, "--check", "--app", "demo", "--env", "test")
		expect(t, r, 1, r.stdout, failed(1, "BAD: "+otherEnv+
			` (us-east-1): tag policy: tag copilot-environment is "prod", want "test"`))
		wantRows(t, checkReport(t, r.stdout),
			"GOOD|SECRET_EXEC_SECRETS|"+good+"|us-east-1|1|ok|ok",
			"BAD|SECRET_EXEC_SECRETS|"+otherEnv+"|us-east-1|-|failed|FAILED")
		noLeak(t, "output", r.stdout+r.stderr, values...)
	})

	off := []struct {
		name string
		env  []string
		args []string
	}{
		{"--no-tag-check", nil, []string{"--app", "demo", "--env", "test", "--no-tag-check"}},
		{"SECRET_EXEC_TAG_CHECK=off", []string{"SECRET_EXEC_TAG_CHECK=off",
			"COPILOT_APPLICATION_NAME=demo", "COPILOT_ENVIRONMENT_NAME=test"}, nil},
		{"no app or env", nil, nil},
	}
	for _, c := range off {
		t.Run("off/"+c.name, func(t *testing.T) {
			env := awsEnv(t, append(c.env,
				"SECRET_EXEC_SECRETS={GOOD: "+good+", UNTAGGED: "+untagged+"}")...)
			r := run(t, env, append(c.args, "--", "printenv", "GOOD", "UNTAGGED")...)
			expect(t, r, 0, "good-value-81\nuntagged-value-82\n", "")
		})
	}
}
