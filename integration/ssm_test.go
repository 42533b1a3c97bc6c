package integration

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// failed is what secret-exec prints when n mappings failed, followed by
// one line per failure.
func failed(n int, lines ...string) string {
	s := fmt.Sprintf("secret-exec: %d of the secrets could not be resolved; nothing was run:\n", n)
	for _, l := range lines {
		s += "secret-exec:   " + l + "\n"
	}
	return s
}

// TestReadmeExample runs the README's first command: one parameter stored
// as Copilot stores it, mapped as in a manifest's secrets block.
func TestReadmeExample(t *testing.T) {
	t.Parallel()
	name := unique("GH_WEBHOOK_SECRET")
	putParameter(t, name, "secretvalue1234", copilotTags("demo", "test")...)
	env := awsEnv(t, "SECRET_EXEC_SECRETS=GITHUB_WEBHOOK_SECRET: "+name)

	r := run(t, env, "--", "printenv", "GITHUB_WEBHOOK_SECRET")
	expect(t, r, 0, "secretvalue1234\n", "")

	// The child gets the mapped variable and none of secret-exec's settings.
	r = run(t, env, "--", "env")
	expect(t, r, 0, environLines(env, "GITHUB_WEBHOOK_SECRET=secretvalue1234"), "")
	if strings.Contains(r.stdout, "SECRET_EXEC_") {
		t.Errorf("the command saw secret-exec's settings:\n%s", r.stdout)
	}
}

// TestMappingForms takes the same parameters through every source and
// form of section 2 of the SPEC.
func TestMappingForms(t *testing.T) {
	t.Parallel()
	x := unique("/app/x")
	inline := unique("/copilot/a/e/secrets/X")
	putParameter(t, x, "x-value-71")
	putParameter(t, inline, "inline-value-72")

	mapText := "X: " + x + "\n"
	listText := `[{"name":"X","valueFrom":"` + x + `"}]`
	mapFile := writeFile(t, "secrets.yml", mapText)
	listFile := writeFile(t, "secrets.json", listText)
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"text map", []string{"SECRET_EXEC_SECRETS=" + mapText}, nil},
		{"text JSON map", []string{`SECRET_EXEC_SECRETS={"X": "` + x + `"}`}, nil},
		{"text list", []string{"SECRET_EXEC_SECRETS=" + listText}, nil},
		{"--secrets", nil, []string{"--secrets", listText}},
		{"--secrets-file map", nil, []string{"--secrets-file", mapFile}},
		{"--secrets-file list", nil, []string{"--secrets-file", listFile}},
		{"SECRET_EXEC_SECRETS_FILE map", []string{"SECRET_EXEC_SECRETS_FILE=" + mapFile}, nil},
		{"SECRET_EXEC_SECRETS_FILE list", []string{"SECRET_EXEC_SECRETS_FILE=" + listFile}, nil},
		{"same mapping twice", []string{"SECRET_EXEC_SECRETS=" + mapText},
			[]string{"--secrets-file", listFile}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(c.args, "--", "printenv", "X")
			r := run(t, awsEnv(t, c.env...), args...)
			expect(t, r, 0, "x-value-71\n", "")
		})
	}

	t.Run("inline", func(t *testing.T) {
		env := awsEnv(t, "BEFORE=1", "X=ssm://"+inline, "AFTER=2")
		r := run(t, env, "--", "env")
		want := strings.Replace(environLines(env), "X=ssm://"+inline, "X=inline-value-72", 1)
		expect(t, r, 0, want, "")
	})

	t.Run("conflict", func(t *testing.T) {
		path, notRun := marker(t)
		env := awsEnv(t, "SECRET_EXEC_SECRETS="+mapText, "X=ssm://"+inline)
		r := run(t, env, touch(path)...)
		wantConflict(t, r, x, "SECRET_EXEC_SECRETS", inline, "variable X")
		notRun()
	})

	t.Run("conflict with the file", func(t *testing.T) {
		path, notRun := marker(t)
		other := writeFile(t, "other.yml", "X: "+inline+"\n")
		env := awsEnv(t, "SECRET_EXEC_SECRETS="+mapText, "SECRET_EXEC_SECRETS_FILE="+other)
		r := run(t, env, touch(path)...)
		wantConflict(t, r, x, "SECRET_EXEC_SECRETS", inline, other)
		notRun()
	})
}

// wantConflict checks the configuration error of a variable X mapped to
// two references: status 2, one line that names both and both places.
func wantConflict(t *testing.T, r result, ref1, place1, ref2, place2 string) {
	t.Helper()
	if r.status != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("status %d, stdout %q, stderr %q, want 2 and one line", r.status, r.stdout,
			r.stderr)
	}
	wantParts(t, r.stderr, "secret-exec: X ", ref1, place1, ref2, place2)
}

// TestVersions picks versions and labels of a parameter stored twice.
func TestVersions(t *testing.T) {
	t.Parallel()
	name := unique("/app/versioned")
	putParameter(t, name, "first-value-31")
	awsCLI(t, "ssm", "put-parameter", "--name", name, "--value", "second-value-32",
		"--type", "SecureString", "--overwrite")
	awsCLI(t, "ssm", "label-parameter-version", "--name", name,
		"--parameter-version", "1", "--labels", "stable")

	secrets := fmt.Sprintf("{A: %q, B: %q, C: %q, D: %q}",
		name+":1", name, name+":stable", name+":2")
	env := awsEnv(t, "SECRET_EXEC_SECRETS="+secrets)
	r := run(t, env, "--", "printenv", "A", "B", "C", "D")
	expect(t, r, 0, "first-value-31\nsecond-value-32\nfirst-value-31\nsecond-value-32\n", "")

	r = run(t, env, "--check")
	expect(t, r, 0, r.stdout, "") // the table is checked below
	wantRows(t, checkReport(t, r.stdout),
		"A|SECRET_EXEC_SECRETS|"+name+":1|us-east-1|1|off|ok",
		"B|SECRET_EXEC_SECRETS|"+name+"|us-east-1|2|off|ok",
		"C|SECRET_EXEC_SECRETS|"+name+":stable|us-east-1|1|off|ok",
		"D|SECRET_EXEC_SECRETS|"+name+":2|us-east-1|2|off|ok")

	t.Run("missing", func(t *testing.T) {
		path, notRun := marker(t)
		secrets := fmt.Sprintf("{A: %q, E: %q, F: %q}", name+":1", name+":9", name+":nolabel")
		r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS="+secrets), touch(path)...)
		const notFound = "ParameterVersionNotFound: no such parameter, version or label"
		expect(t, r, 1, "", failed(2,
			"E: "+name+":9 (us-east-1): "+notFound,
			"F: "+name+":nolabel (us-east-1): "+notFound))
		notRun()
		noLeak(t, "stderr", r.stderr, "first-value-31", "second-value-32")
	})
}

// TestMissingParameters lists every missing parameter and runs nothing.
func TestMissingParameters(t *testing.T) {
	t.Parallel()
	found := unique("/app/found")
	missing1, missing2 := unique("/app/missing"), unique("MISSING")
	putParameter(t, found, "found-value-41")
	secrets := fmt.Sprintf("{M1: %s, OK: %s, M2: %s}", missing1, found, missing2)
	path, notRun := marker(t)

	r := run(t, awsEnv(t, "SECRET_EXEC_SECRETS="+secrets), touch(path)...)
	expect(t, r, 1, "", failed(2,
		"M1: "+missing1+" (us-east-1): ParameterNotFound: no such parameter",
		"M2: "+missing2+" (us-east-1): ParameterNotFound: no such parameter"))
	notRun()
	noLeak(t, "stderr", r.stderr, "found-value-41")
}

// TestCheck prints the report of --check: a header and one aligned line
// per variable, never a value.
func TestCheck(t *testing.T) {
	t.Parallel()
	hook, db := unique("GH_WEBHOOK_SECRET"), unique("/copilot/demo/test/secrets/db")
	putParameter(t, hook, "hook-value-51", copilotTags("demo", "test")...)
	putParameter(t, db, "db-value-52", copilotTags("demo", "test")...)
	values := []string{"hook-value-51", "db-value-52"}
	secrets := fmt.Sprintf("{GITHUB_WEBHOOK_SECRET: %s, DB_PASSWORD: %q}", hook, db)
	env := awsEnv(t, "SECRET_EXEC_SECRETS="+secrets)

	r := run(t, env, "--check", "--app", "demo", "--env", "test")
	expect(t, r, 0, r.stdout, "") // the table is checked below
	wantRows(t, checkReport(t, r.stdout),
		"GITHUB_WEBHOOK_SECRET|SECRET_EXEC_SECRETS|"+hook+"|us-east-1|1|ok|ok",
		"DB_PASSWORD|SECRET_EXEC_SECRETS|"+db+"|us-east-1|1|ok|ok")
	noLeak(t, "stdout", r.stdout, values...)

	r = run(t, env, "--check", "--no-tag-check")
	expect(t, r, 0, r.stdout, "") // the table is checked below
	wantRows(t, checkReport(t, r.stdout),
		"GITHUB_WEBHOOK_SECRET|SECRET_EXEC_SECRETS|"+hook+"|us-east-1|1|off|ok",
		"DB_PASSWORD|SECRET_EXEC_SECRETS|"+db+"|us-east-1|1|off|ok")

	t.Run("missing", func(t *testing.T) {
		missing := unique("/copilot/demo/test/secrets/gone")
		env := awsEnv(t, "SECRET_EXEC_SECRETS="+secrets, "GONE=ssm://"+missing)
		r := run(t, env, "--check", "--no-tag-check")
		expect(t, r, 1, r.stdout, failed(1,
			"GONE: "+missing+" (us-east-1): ParameterNotFound: no such parameter"))
		wantRows(t, checkReport(t, r.stdout),
			"GITHUB_WEBHOOK_SECRET|SECRET_EXEC_SECRETS|"+hook+"|us-east-1|1|off|ok",
			"DB_PASSWORD|SECRET_EXEC_SECRETS|"+db+"|us-east-1|1|off|ok",
			"GONE|variable GONE|"+missing+"|us-east-1|-|off|FAILED")
		noLeak(t, "output", r.stdout+r.stderr, values...)
	})

	t.Run("with a command", func(t *testing.T) {
		path, notRun := marker(t)
		r := run(t, env, append([]string{"--check"}, touch(path)...)...)
		expect(t, r, 2, "", "secret-exec: --check runs no command: drop \"sh\"\n")
		notRun()
	})
}

// checkReport parses the table of --check, checks its header and that its
// columns are aligned, and returns its rows, fields joined by "|".
func checkReport(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	const header = "NAME|SOURCE|REFERENCE|REGION|VERSION|TAGS|STATUS"
	if got := strings.Join(columns(lines[0]), "|"); got != header {
		t.Fatalf("--check header %q, want %q\n%s", got, header, out)
	}
	starts := columnStarts(lines[0])
	var rows []string
	for _, l := range lines[1:] {
		if s := columnStarts(l); !slices.Equal(s, starts) {
			t.Errorf("--check columns not aligned: %v, header %v\n%s", s, starts, out)
		}
		rows = append(rows, strings.Join(columns(l), "|"))
	}
	return rows
}

// columnRE separates the columns of the report: at least two spaces, as a
// single space may stand inside a column.
var columnRE = regexp.MustCompile(`  +`)

func columns(line string) []string {
	return columnRE.Split(strings.TrimSpace(line), -1)
}

// columnStarts returns the offset of every column of a line.
func columnStarts(line string) []int {
	starts := []int{0}
	for _, loc := range columnRE.FindAllStringIndex(line, -1) {
		starts = append(starts, loc[1])
	}
	return starts
}

// wantRows compares the rows of a report.
func wantRows(t *testing.T, rows []string, want ...string) {
	t.Helper()
	if !slices.Equal(rows, want) {
		t.Errorf("--check rows:\n%s\nwant:\n%s",
			strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
