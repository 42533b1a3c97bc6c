package resolve

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFileManifest(t *testing.T) {
	const manifest = `
name: api
type: Backend Service
image:
  location: repo:${UNDEFINED_BUT_UNUSED}
secrets:
  HOOK: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/hook
  QUOTED: "'quoted'"
  TEAM: /teams/${TEAM}/token
  DB: {secretsmanager: 'app/db:password::'}
environments:
  prod:
    secrets:
      DB: {secretsmanager: 'app/prod-db:password::'}
      EXTRA: extra
`
	env := map[string]string{"TEAM": "blue"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		env  string
		want map[string]string // variable -> reference text
	}{
		{"test", map[string]string{
			"HOOK": "/copilot/demo/test/secrets/hook", "QUOTED": "quoted",
			"TEAM": "/teams/blue/token", "DB": "app/db:password::"}},
		{"prod", map[string]string{
			"HOOK": "/copilot/demo/prod/secrets/hook", "QUOTED": "quoted",
			"TEAM": "/teams/blue/token", "DB": "app/prod-db:password::", "EXTRA": "extra"}},
	}
	for _, tt := range tests {
		f, err := ParseFile([]byte(manifest), "m.yml",
			FileOptions{App: "demo", Env: tt.env, LookupEnv: lookup})
		if err != nil {
			t.Fatalf("%s: %v", tt.env, err)
		}
		got := make(map[string]string)
		for _, m := range f.Mappings {
			got[m.Name] = m.Ref.Text
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.env, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tt.env, k, got[k], v)
			}
		}
	}
}

func TestExpand(t *testing.T) {
	opt := FileOptions{App: "a", Env: "e",
		LookupEnv: func(k string) (string, bool) { return map[string]string{"X": "x"}[k], k == "X" }}
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${X}/${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}", "x/a-e", ""},
		{`\${X}`, "${X}", ""},
		{`a\${X}b${X}`, "a${X}bx", ""},
		{"${not valid}", "${not valid}", ""},
		{"${X", "${X", ""},
		{"$X", "$X", ""},
		{"${Y}", "", "${Y}: variable Y is not defined"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, opt)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("expand(%q): error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFileTaskDefinition(t *testing.T) {
	const td = `{"taskDefinition": {"containerDefinitions": [
		{"name": "web", "environment": [{"name": "A", "value": "1"}],
		 "secrets": [{"name": "S", "valueFrom": "/p"}]},
		{"name": "side"}]}}`
	_, err := ParseFile([]byte(td), "td.json", FileOptions{})
	if err == nil || !strings.Contains(err.Error(), "2 containers (web, side)") {
		t.Fatalf("no container chosen: %v", err)
	}
	f, err := ParseFile([]byte(td), "td.json", FileOptions{Container: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Environment) != 1 || f.Environment[0] != (Var{"A", "1"}) {
		t.Errorf("environment %v", f.Environment)
	}
	if len(f.Mappings) != 1 || f.Mappings[0].Name != "S" || f.Mappings[0].Ref.ID != "/p" ||
		f.Mappings[0].Source != "td.json (container web)" {
		t.Errorf("mappings %+v", f.Mappings)
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"secrets:\n  A: {from_cfn: x}\ntype: x\n", "f:2: A: from_cfn is not supported"},
		{`{"containerDefinitions": []}`, "f: containerDefinitions: want a list"},
		{`{"containerDefinitions": [{"name": "c", "secrets": {}}]}`, "f:1: secrets: want a list"},
		{`{"containerDefinitions": [{"name": "c", "environment": [{"name": "A"}]}]}`,
			"f: line 1: environment: want {name, value}"},
		{"type: x\nsecrets:\n  A: /p/${NOPE}\n", "f:3: ${NOPE}: variable NOPE is not defined"},
	}
	for _, tt := range tests {
		_, err := ParseFile([]byte(tt.in), "f", FileOptions{})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseFile(%q): %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("type: x\nsecrets:\n  A: /p/${COPILOT_APPLICATION_NAME}\n" +
		"environments:\n  e:\n    secrets:\n      A: {secretsmanager: 's:k::'}\n"))
	f.Add([]byte(`{"taskDefinition": {"containerDefinitions": [{"name": "c",
		"secrets": [{"name": "A", "valueFrom": "p"}], "environment": [{"name": "B", "value": "v"}]}]}}`))
	f.Add([]byte("A: b\nC: {secretsmanager: x}\n"))
	f.Add([]byte(`[{"name": "A", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/x"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data, "f", FileOptions{App: "a", Env: "e",
			LookupEnv: func(string) (string, bool) { return "v", true }})
		if err != nil {
			return
		}
		for _, m := range file.Mappings {
			if !ValidName(m.Name) || m.Ref.Service == 0 {
				t.Fatalf("bad mapping %+v", m)
			}
		}
	})
}

// TestParseFileNoInterpolatedValueInErrors checks that an invalid
// reference is quoted as written, not with a variable's value in it.
func TestParseFileNoInterpolatedValueInErrors(t *testing.T) {
	const manifest = "type: Backend Service\nname: api\nsecrets:\n" +
		"  X: /p/${TOKEN}\n  Y:\n    secretsmanager: '${TOKEN}:k::'\n"
	for _, token := range []string{"hunter2+secret", "a:b:c:d:e"} {
		lookup := func(string) (string, bool) { return token, true }
		_, err := ParseFile([]byte(manifest), "m.yml", FileOptions{LookupEnv: lookup})
		if err == nil || strings.Contains(err.Error(), token) {
			t.Errorf("error %v: want one that does not show %q", err, token)
		}
	}
}

// TestParseFilePlainMapWithManifestWords reads a plain map whose variables
// happen to be called type, name and environments as a plain map.
func TestParseFilePlainMapWithManifestWords(t *testing.T) {
	const text = "DB: /app/db\ntype: /app/type\nname: n\nenvironments: {secretsmanager: e}\n"
	f, err := ParseFile([]byte(text), "f", FileOptions{})
	if err != nil || len(f.Mappings) != 4 {
		t.Fatalf("got %+v, %v; want 4 mappings", f, err)
	}
}
