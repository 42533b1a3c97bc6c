package main

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secret-exec": main,
		"show":        show,
	})
}

// show is the command the scripts have secret-exec run. It prints its
// arguments, one a line, then with -env its whole environment, sorted,
// and exits with the status that -exit gives.
func show() {
	args := os.Args[1:]
	status, env := 0, false
	for len(args) > 0 {
		switch args[0] {
		case "-env":
			env, args = true, args[1:]
			continue
		case "-exit":
			status, _ = strconv.Atoi(args[1])
			args = args[2:]
			continue
		}
		break
	}
	for _, a := range args {
		fmt.Println("arg:", a)
	}
	if env {
		vars := os.Environ()
		slices.Sort(vars)
		for _, kv := range vars {
			fmt.Println("env:", kv)
		}
	}
	os.Exit(status)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata",
		Setup: setup,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"fake":   fakeCmd,
			"status": statusCmd,
		},
	})
}

// setup gives every script a fake AWS endpoint of its own and the
// settings that point secret-exec at it. Instance metadata is pointed at
// a closed port, so no test ever leaves the machine.
func setup(env *testscript.Env) error {
	s := fakeaws.New()
	srv := httptest.NewServer(s)
	env.Defer(func() {
		s.Close()
		srv.Close()
	})
	env.Values["fake"] = s
	env.Setenv("FAKE_URL", srv.URL)
	env.Setenv("AWS_ENDPOINT_URL", srv.URL)
	env.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	env.Setenv("AWS_SECRET_ACCESS_KEY", "secret-key-test")
	env.Setenv("AWS_REGION", "us-east-1")
	env.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env.Setenv("AWS_CONFIG_FILE", env.WorkDir+"/no-aws-config")
	env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/no-aws-credentials")
	env.Setenv("HOME", env.WorkDir)
	return nil
}

// statusCmd runs a command and checks its exact exit status:
//
//	status N COMMAND [ARG...]
func statusCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N COMMAND [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// fakeCmd drives the script's fake endpoint:
//
//	fake load FILE          apply a fakeaws JSON config
//	fake calls OP N         OP was called exactly N times
//	fake inflight OP N      at most N calls of OP were in flight together
//	fake reset              zero the counters
//	fake secret-arn VAR REGION NAME
//	                        set VAR to the full ARN of a secret
func fakeCmd(ts *testscript.TestScript, neg bool, args []string) {
	s := ts.Value("fake").(*fakeaws.Server)
	if len(args) == 0 {
		ts.Fatalf("usage: fake load|calls|inflight|reset ...")
	}
	switch args[0] {
	case "load":
		c, err := fakeaws.ParseConfig([]byte(ts.ReadFile(args[1])))
		ts.Check(err)
		s.Apply(c)
	case "calls", "inflight":
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		got := s.Calls(args[1])
		if args[0] == "inflight" {
			got = s.MaxInFlight(args[1])
		}
		if (got == want) == neg {
			ts.Fatalf("%s %s: got %d, want %d", args[0], args[1], got, want)
		}
	case "reset":
		s.Reset()
	case "secret-arn":
		ts.Setenv(args[1], s.SecretARN(args[2], args[3]))
	default:
		ts.Fatalf("fake: unknown verb %q", strings.Join(args, " "))
	}
}
