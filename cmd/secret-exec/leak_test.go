package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// leakValues are the distinctive values the leak test stores: none of them
// may appear in any output or file of secret-exec's own.
var leakValues = []string{
	"LEAK-plain-5b1e", "LEAK-tagged-77c0", "LEAK-json-user-a81f", "LEAK-json-pw-0d3c",
	"LEAK-text-secret-e4b2", "LEAK-nul-9f", "LEAK-big-",
}

func leakServer(t *testing.T) *fakeaws.Server {
	s := fakeaws.New()
	put := func(name, value string, tags map[string]string) {
		s.PutParameter("us-east-1", fakeaws.Parameter{Name: name, Value: value,
			Type: "SecureString", Tags: tags})
	}
	put("plain", "LEAK-plain-5b1e", nil)
	put("tagged", "LEAK-tagged-77c0",
		map[string]string{"copilot-application": "demo", "copilot-environment": "test"})
	put("nul", "LEAK-nul-9f\x00tail", nil)
	put("big", "LEAK-big-"+strings.Repeat("z", 200<<10), nil)
	s.PutSecret("us-east-1", fakeaws.Secret{Name: "db",
		String: `{"user": "LEAK-json-user-a81f", "password": "LEAK-json-pw-0d3c"}`})
	s.PutSecret("us-east-1", fakeaws.Secret{Name: "text", String: "LEAK-text-secret-e4b2"})
	return s
}

// TestNoLeak runs every failure path, -v and --check with distinctive
// values, and looks for them in stdout, stderr and every file the run
// leaves in its working, home and temporary directories.
func TestNoLeak(t *testing.T) {
	s := leakServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	cases := []struct {
		name     string
		mappings string
		args     []string
		faults   []fakeaws.Fault
	}{
		{"verbose success", "A: plain\nB: {secretsmanager: 'db:user::'}",
			[]string{"-v", "--", "true"}, nil},
		{"check", "A: plain\nT: tagged", []string{"--check", "--app", "demo", "--env", "test"}, nil},
		{"check verbose", "A: plain\nS: {secretsmanager: text}", []string{"-v", "--check"}, nil},
		{"missing", "A: plain\nM: missing", []string{"-v", "--", "true"}, nil},
		{"tag policy", "A: plain\nT: tagged",
			[]string{"--app", "demo", "--env", "prod", "--", "true"}, nil},
		{"nul", "N: nul", []string{"-v", "--", "true"}, nil},
		{"json key", "K: {secretsmanager: 'db:nokey::'}\nP: {secretsmanager: 'db:password::'}",
			[]string{"-v", "--", "true"}, nil},
		{"not json", "X: {secretsmanager: 'text:key::'}", []string{"-v", "--", "true"}, nil},
		{"not found", "A: plain", []string{"-v", "--", "no-such-command"}, nil},
		{"too large", "B: big", []string{"--", "true"}, nil},
		{"timeout", "A: plain\nS: {secretsmanager: text}",
			[]string{"-v", "--timeout", "300ms", "--", "true"},
			[]fakeaws.Fault{{Op: "GetSecretValue", Kind: fakeaws.Hang}}},
		{"throttled", "A: plain", []string{"--timeout", "1s", "--", "true"},
			[]fakeaws.Fault{{Op: "GetParameters", Kind: fakeaws.Throttle, Count: 2}}},
		{"denied", "A: plain", []string{"--", "true"},
			[]fakeaws.Fault{{Op: "GetParameters", Kind: fakeaws.Error, Code: "AccessDeniedException"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.SetFaults(c.faults...)
			dir := t.TempDir()
			cmd := exec.Command("secret-exec", c.args...)
			cmd.Dir = dir
			cmd.Env = append(fakeEnv(t, srv.URL), "SECRET_EXEC_SECRETS="+c.mappings,
				"HOME="+dir, "TMPDIR="+dir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if cmd.ProcessState == nil {
				t.Fatal("secret-exec did not run")
			}
			checkNoLeak(t, "stdout", stdout.String())
			checkNoLeak(t, "stderr", stderr.String())
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(path)
					checkNoLeak(t, path, string(b))
				}
				return nil
			})
		})
	}
}

func checkNoLeak(t *testing.T, where, out string) {
	t.Helper()
	for _, v := range leakValues {
		if strings.Contains(out, v) {
			t.Errorf("%s shows %q:\n%s", where, v, out)
		}
	}
}
