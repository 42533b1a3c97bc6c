package resolve

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// mustParseRef parses a reference that the test knows to be good.
func mustParseRef(t testing.TB, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustParseSecretRef(t testing.TB, s string) Ref {
	t.Helper()
	r, err := ParseSecretRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantMapping is a mapping as a test expects it: name, service, ID and the
// reference text.
type wantMapping struct {
	name    string
	service Service
	text    string
}

func checkMappings(t *testing.T, what string, got []Mapping, source string, want []wantMapping) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d mappings %+v, want %d", what, len(got), got, len(want))
	}
	for i, w := range want {
		m := got[i]
		if m.Name != w.name || m.Ref.Service != w.service || m.Ref.Text != w.text {
			t.Errorf("%s: mapping %d = %s %v %q, want %s %v %q", what, i,
				m.Name, m.Ref.Service, m.Ref.Text, w.name, w.service, w.text)
		}
		if source != "" && m.Source != source {
			t.Errorf("%s: mapping %d source %q, want %q", what, i, m.Source, source)
		}
	}
}

const mapYAML = `# a Copilot secrets block
GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET
DB_URL: /copilot/app/test/secrets/db_url
PINNED: NAME:3
LABELED: 'NAME:blue'
REMOTE: arn:aws:ssm:eu-west-1:123456789012:parameter/shared/x
VIA_SSM: /aws/reference/secretsmanager/db
DB_PASSWORD:
  secretsmanager: 'db:password::'
DB_USER: {secretsmanager: "arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:username::"}
WHOLE: {secretsmanager: db}
`

var mapWant = []wantMapping{
	{"GITHUB_WEBHOOK_SECRET", SSM, "GH_WEBHOOK_SECRET"},
	{"DB_URL", SSM, "/copilot/app/test/secrets/db_url"},
	{"PINNED", SSM, "NAME:3"},
	{"LABELED", SSM, "NAME:blue"},
	{"REMOTE", SSM, "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/x"},
	{"VIA_SSM", SSM, "/aws/reference/secretsmanager/db"},
	{"DB_PASSWORD", SecretsManager, "db:password::"},
	{"DB_USER", SecretsManager,
		"arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:username::"},
	{"WHOLE", SecretsManager, "db"},
}

func TestParseSecretsMapYAML(t *testing.T) {
	ms, err := ParseSecrets([]byte(mapYAML), "SECRET_EXEC_SECRETS")
	if err != nil {
		t.Fatal(err)
	}
	checkMappings(t, "map YAML", ms, "SECRET_EXEC_SECRETS", mapWant)
	if r := ms[6].Ref; r.ID != "db" || r.JSONKey != "password" {
		t.Errorf("DB_PASSWORD ref = %+v, want ID db, JSONKey password", r)
	}
	if r := ms[2].Ref; r.ID != "NAME" || r.Selector != "3" {
		t.Errorf("PINNED ref = %+v, want ID NAME, Selector 3", r)
	}
}

func TestParseSecretsMapJSON(t *testing.T) {
	const text = `{
  "GITHUB_WEBHOOK_SECRET": "GH_WEBHOOK_SECRET",
  "DB_URL": "/copilot/app/test/secrets/db_url",
  "PINNED": "NAME:3",
  "LABELED": "NAME:blue",
  "REMOTE": "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/x",
  "VIA_SSM": "/aws/reference/secretsmanager/db",
  "DB_PASSWORD": {"secretsmanager": "db:password::"},
  "DB_USER": {"secretsmanager": "arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:username::"},
  "WHOLE": {"secretsmanager": "db"}
}`
	ms, err := ParseSecrets([]byte(text), "text")
	if err != nil {
		t.Fatal(err)
	}
	checkMappings(t, "map JSON", ms, "text", mapWant)
}

// YAML refuses tabs for indentation; JSON allows them.
func TestParseSecretsJSONWithTabs(t *testing.T) {
	text := "{\n\t\"B\": \"/b\",\n\t\"A\": {\n\t\t\"secretsmanager\": \"db:k::\"\n\t}\n}\n"
	ms, err := ParseSecrets([]byte(text), "text")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ms, func(a, b Mapping) int { return strings.Compare(a.Name, b.Name) })
	checkMappings(t, "tabbed JSON", ms, "text", []wantMapping{
		{"A", SecretsManager, "db:k::"},
		{"B", SSM, "/b"},
	})
}

func TestParseSecretsList(t *testing.T) {
	want := []wantMapping{
		{"DB_PASSWORD", SecretsManager,
			"arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:password::"},
		{"API_KEY", SSM, "/app/api_key"},
		{"REMOTE", SSM, "arn:aws:ssm:eu-west-1:123456789012:parameter/x:2"},
	}
	texts := map[string]string{
		"JSON": `[
  {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:password::"},
  {"valueFrom": "/app/api_key", "name": "API_KEY"},
  {"name": "REMOTE", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/x:2"}
]`,
		"YAML": `
- name: DB_PASSWORD
  valueFrom: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf:password::'
- name: API_KEY
  valueFrom: /app/api_key
- {name: REMOTE, valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/x:2"}
`,
	}
	for form, text := range texts {
		ms, err := ParseSecrets([]byte(text), "task.json")
		if err != nil {
			t.Errorf("%s: %v", form, err)
			continue
		}
		checkMappings(t, "list "+form, ms, "task.json", want)
	}
}

func TestParseSecretsEmpty(t *testing.T) {
	for _, text := range []string{"", "   \n \n", "\n", "# nothing\n", "---\n", "null", "~",
		"{}", "[]"} {
		ms, err := ParseSecrets([]byte(text), "text")
		if err != nil || len(ms) != 0 {
			t.Errorf("ParseSecrets(%q) = %+v, %v; want no mappings", text, ms, err)
		}
	}
}

// Text of blanks only holds no mappings, tabs included: a YAML blank line
// may hold tabs, and SECRET_EXEC_SECRETS="$(printf '\t')" is as empty as "".
func TestParseSecretsBlankWithTab(t *testing.T) {
	for _, text := range []string{"\t", "   \n\t\n", "\t# comment\n"} {
		ms, err := ParseSecrets([]byte(text), "text")
		if err != nil || len(ms) != 0 {
			t.Errorf("ParseSecrets(%q) = %+v, %v; want no mappings", text, ms, err)
		}
	}
}

func TestParseSecretsErrors(t *testing.T) {
	tests := []struct {
		text, msg string
		line      int
	}{
		{"A: {from_cfn: MyExport}", "from_cfn is not supported", 1},
		{"A:\n  from_cfn: MyExport", "from_cfn is not supported", 1},
		{"A: 123", `want a string, not int "123"`, 1},
		{"A: 1.5", "want a string", 1},
		{"A: true", "want a string", 1},
		{"A: null", "want a string", 1},
		{"A:", "want a string", 1},
		{"A: [x]", "want a string", 1},
		{`{"A": 5}`, "want a string", 1},
		{`[{"name": "A", "valueFrom": 5}]`, "want a string", 1},
		{"A: {secretsmanager: 5}", "secretsmanager: want a string", 1},
		{"A: {secretsmanager: db, other: x}", "want a reference", 1},
		{"A: {vault: x}", `unknown key "vault"`, 1},
		{"A: x\n1A: y", `invalid variable name "1A"`, 2},
		{"A-B: x", `invalid variable name "A-B"`, 1},
		{"A B: x", "invalid variable name", 1},
		{`"": x`, "invalid variable name", 1},
		{"[x]: y", "variable name must be a string", 1},
		{`[{"name": "A.B", "valueFrom": "x"}]`, `invalid variable name "A.B"`, 1},
		{`[{"name": 5, "valueFrom": "x"}]`, "invalid variable name", 1},
		{`[{"name": "A", "valueFrom": "x", "type": "ssm"}]`, `unknown field "type"`, 1},
		{"- name: A\n  valueFrom: x\n- name: B\n  valueFrom: y\n  extra: 1",
			`unknown field "extra"`, 3},
		{`[{"name": "A"}]`, "want both name and valueFrom", 1},
		{`[{"valueFrom": "x"}]`, "want both name and valueFrom", 1},
		{`["A"]`, "list entry", 1},
		{"just a string", "want a map", 1},
		{"42", "want a map", 1},
		{"A: 'NAME:'", "empty version or label", 1},
		{"A: 'my param'", "invalid character", 1},
		{"A: {secretsmanager: 'arn:aws:ssm:eu-west-1:123456789012:parameter/x'}",
			"not a Secrets Manager secret ARN", 1},
		{`[{"name": "A", "valueFrom": "arn:aws:s3:us-east-1:123456789012:b/x"}]`,
			`service "s3"`, 1},
		{"A: [", "malformed YAML or JSON", 0},
		{"A: 'unterminated", "malformed YAML or JSON", 0},
		{`{"A": "x"`, "malformed YAML or JSON", 0},
		{"A: x\n  B: y", "malformed YAML or JSON", 0},
	}
	for _, tt := range tests {
		ms, err := ParseSecrets([]byte(tt.text), "secrets.yml")
		if err == nil {
			t.Errorf("ParseSecrets(%q) = %+v, want an error", tt.text, ms)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("ParseSecrets(%q): %T %v, want *ConfigError", tt.text, err, err)
			continue
		}
		if ce.Source != "secrets.yml" || !strings.HasPrefix(err.Error(), "secrets.yml") {
			t.Errorf("ParseSecrets(%q): %q does not name the source", tt.text, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseSecrets(%q): %q does not say %q", tt.text, err, tt.msg)
		}
		if tt.line > 0 && ce.Line != tt.line {
			t.Errorf("ParseSecrets(%q): line %d, want %d", tt.text, ce.Line, tt.line)
		}
		if ms != nil {
			t.Errorf("ParseSecrets(%q): mappings %+v returned with the error", tt.text, ms)
		}
	}
}

// An error about a mapping names its variable, so that the user can find it.
func TestParseSecretsErrorNamesVariable(t *testing.T) {
	for _, text := range []string{
		"GOOD: x\nBAD_ONE: 'NAME:'",
		`[{"name": "BAD_ONE", "valueFrom": "NAME:"}]`,
		"BAD_ONE: {from_cfn: X}",
		"BAD_ONE: 7",
	} {
		_, err := ParseSecrets([]byte(text), "text")
		if err == nil || !strings.Contains(err.Error(), "BAD_ONE") {
			t.Errorf("ParseSecrets(%q) = %v, want an error naming BAD_ONE", text, err)
		}
	}
}

// A variable written twice in one text with two references does not pass
// unnoticed once the sources are merged.
func TestParseSecretsDuplicateKey(t *testing.T) {
	for _, text := range []string{"A: x\nA: y", `{"A": "x", "A": "y"}`,
		`[{"name": "A", "valueFrom": "x"}, {"name": "A", "valueFrom": "y"}]`} {
		ms, err := ParseSecrets([]byte(text), "text")
		if err == nil {
			_, err = Merge(ms)
		}
		if err == nil {
			t.Errorf("%q: A mapped to x and y without an error", text)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, name := range []string{"A", "_", "a1", "_X_9", "DB_PASSWORD", "lower"} {
		if !ValidName(name) {
			t.Errorf("ValidName(%q) = false", name)
		}
	}
	for _, name := range []string{"", "1A", "9", "A-B", "A.B", "A B", "A=B", "É", "A\x00"} {
		if ValidName(name) {
			t.Errorf("ValidName(%q) = true", name)
		}
	}
}

func TestInline(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin:/bin",
		"DB=ssm:///copilot/a/e/secrets/X",
		"KEY=ssm://NAME:3",
		"REMOTE=ssm://arn:aws:ssm:eu-west-1:123456789012:parameter/x",
		"VIA_SSM=ssm:///aws/reference/secretsmanager/db",
		"PASSWORD=secretsmanager://db:password::",
		"WHOLE=secretsmanager://arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf",
		"SECRET_EXEC_SECRETS=ssm://ignored",
		"SECRET_EXEC_BROKEN=ssm://not a valid name",
		"PLAIN=value",
		"URL=https://ssm://x",
		"REF=/aws/reference/secretsmanager/db",
		"UPPER=SSM://x",
		"NOEQUALS",
		"EMPTY=",
	}
	ms, err := Inline(environ)
	if err != nil {
		t.Fatal(err)
	}
	want := []wantMapping{
		{"DB", SSM, "/copilot/a/e/secrets/X"},
		{"KEY", SSM, "NAME:3"},
		{"REMOTE", SSM, "arn:aws:ssm:eu-west-1:123456789012:parameter/x"},
		{"VIA_SSM", SSM, "/aws/reference/secretsmanager/db"},
		{"PASSWORD", SecretsManager, "db:password::"},
		{"WHOLE", SecretsManager,
			"arn:aws:secretsmanager:us-east-2:123456789012:secret:db-AbCdEf"},
	}
	checkMappings(t, "Inline", ms, "", want)
	for _, m := range ms {
		if m.Source != "variable "+m.Name {
			t.Errorf("%s: source %q, want %q", m.Name, m.Source, "variable "+m.Name)
		}
	}
	if got := ms[0].Ref.ID; got != "/copilot/a/e/secrets/X" {
		t.Errorf("ssm:///copilot/a/e/secrets/X: ID %q, want /copilot/a/e/secrets/X", got)
	}
	if r := ms[4].Ref; r.ID != "db" || r.JSONKey != "password" {
		t.Errorf("secretsmanager://db:password:: = %+v", r)
	}
}

func TestInlineNone(t *testing.T) {
	ms, err := Inline([]string{"HOME=/root", "SECRET_EXEC_SECRETS=A: x"})
	if err != nil || ms != nil {
		t.Errorf("Inline = %+v, %v; want nothing", ms, err)
	}
	if ms, err := Inline(nil); err != nil || ms != nil {
		t.Errorf("Inline(nil) = %+v, %v", ms, err)
	}
}

func TestInlineErrors(t *testing.T) {
	tests := []struct {
		kv, name, msg string
	}{
		{"X=ssm://", "X", "empty reference"},
		{"X=ssm://bad name", "X", "invalid character"},
		{"X=ssm://NAME:", "X", "empty version or label"},
		{"X=ssm://arn:aws:secretsmanager:us-east-2:123456789012:secret:db", "X",
			"ssm:// takes an SSM parameter"},
		{"X=secretsmanager://", "X", "empty reference"},
		{"X=secretsmanager://arn:aws:ssm:eu-west-1:123456789012:parameter/x", "X",
			"not a Secrets Manager secret ARN"},
		{"X=secretsmanager://db:a:b:c:d", "X", "too many fields"},
		{"1X=ssm://a", "1X", "invalid variable name"},
		{"A-B=secretsmanager://db", "A-B", "invalid variable name"},
	}
	for _, tt := range tests {
		ms, err := Inline([]string{"PATH=/bin", tt.kv})
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("Inline(%q) = %+v, %v; want a *ConfigError", tt.kv, ms, err)
			continue
		}
		if ce.Source != "variable "+tt.name {
			t.Errorf("Inline(%q): source %q, want %q", tt.kv, ce.Source, "variable "+tt.name)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Inline(%q): %q does not say %q", tt.kv, err, tt.msg)
		}
	}
}

func TestMerge(t *testing.T) {
	text := []Mapping{
		{Name: "A", Ref: mustParseRef(t, "/a"), Source: "SECRET_EXEC_SECRETS"},
		{Name: "B", Ref: mustParseRef(t, "/b"), Source: "SECRET_EXEC_SECRETS"},
	}
	file := []Mapping{
		{Name: "C", Ref: mustParseSecretRef(t, "db:k::"), Source: "manifest.yml"},
		{Name: "A", Ref: mustParseRef(t, "/a"), Source: "manifest.yml"},
	}
	inline := []Mapping{
		{Name: "D", Ref: mustParseRef(t, "/d"), Source: "variable D"},
		{Name: "B", Ref: mustParseRef(t, "/b"), Source: "variable B"},
	}
	ms, err := Merge(text, nil, file, inline)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+" "+m.Ref.Text+" "+m.Source)
	}
	want := []string{
		"A /a SECRET_EXEC_SECRETS",
		"B /b SECRET_EXEC_SECRETS",
		"C db:k:: manifest.yml",
		"D /d variable D",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Merge =\n%q\nwant\n%q", got, want)
	}
	if ms, err := Merge(); err != nil || len(ms) != 0 {
		t.Errorf("Merge() = %+v, %v", ms, err)
	}
}

func TestMergeConflict(t *testing.T) {
	text := []Mapping{{Name: "DB", Ref: mustParseRef(t, "/prod/db"), Source: "SECRET_EXEC_SECRETS"}}
	inline := []Mapping{{Name: "DB", Ref: mustParseRef(t, "/test/db"), Source: "variable DB"}}
	ms, err := Merge(text, inline)
	if err == nil {
		t.Fatalf("Merge = %+v, want a conflict", ms)
	}
	for _, s := range []string{"DB", "SECRET_EXEC_SECRETS", "variable DB", "/prod/db", "/test/db"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("conflict error %q does not name %q", err, s)
		}
	}
}

// The SSM parameter db and the Secrets Manager secret db are two different
// references, though both are written "db".
func TestMergeConflictAcrossServices(t *testing.T) {
	text := []Mapping{{Name: "DB", Ref: mustParseRef(t, "db"), Source: "SECRET_EXEC_SECRETS"}}
	file := []Mapping{{Name: "DB", Ref: mustParseSecretRef(t, "db"), Source: "manifest.yml"}}
	ms, err := Merge(text, file)
	if err == nil {
		t.Fatalf("Merge(ssm db, secretsmanager db) = %+v, want a conflict naming "+
			"SECRET_EXEC_SECRETS and manifest.yml", ms)
	}
	if !strings.Contains(err.Error(), "SECRET_EXEC_SECRETS") ||
		!strings.Contains(err.Error(), "manifest.yml") {
		t.Errorf("conflict error %q does not name both sources", err)
	}
}

func TestEnviron(t *testing.T) {
	base := []string{
		"PATH=/bin",
		"SECRET_EXEC_SECRETS=A: x",
		"A=1",
		"SECRET_EXEC_REGION=eu-west-1",
		"B=2",
		"A=3",
		"SECRET_EXECUTOR=kept",
		"NOEQUALS",
		"DB=ssm:///copilot/a/e/secrets/X",
		"SECRET_EXEC_=also removed",
	}
	vars := []Var{
		{"B", "new"},
		{"C", "c=with=equals\nand a newline "},
		{"DB", "replaced"},
		{"B", "newer"},
		{"E", ""},
	}
	got := Environ(base, vars)
	want := []string{
		"PATH=/bin",
		"A=3",
		"B=newer",
		"SECRET_EXECUTOR=kept",
		"NOEQUALS",
		"DB=replaced",
		"C=c=with=equals\nand a newline ",
		"E=",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Environ =\n%q\nwant\n%q", got, want)
	}
	if base[2] != "A=1" || len(base) != 10 {
		t.Errorf("Environ changed its base: %q", base)
	}
}

func TestEnvironEmpty(t *testing.T) {
	if got := Environ(nil, nil); len(got) != 0 {
		t.Errorf("Environ(nil, nil) = %q", got)
	}
	got := Environ([]string{"SECRET_EXEC_SECRETS=x"}, []Var{{"A", "1"}})
	if !slices.Equal(got, []string{"A=1"}) {
		t.Errorf("Environ = %q, want [A=1]", got)
	}
}
