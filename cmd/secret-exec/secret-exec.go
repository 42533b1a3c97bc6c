// Command secret-exec fetches AWS secrets into its environment, as the
// Amazon ECS agent does with a task definition's secrets, and then
// replaces itself with a command.
//
// It stands first in a container's ENTRYPOINT, or in front of any command
// on a host:
//
//	ENTRYPOINT ["/secret-exec", "--"]
//	CMD ["/app/server"]
//
// Mappings come from SECRET_EXEC_SECRETS (YAML or JSON: a map of variable
// names to references, as in a Copilot manifest, or a list of {name,
// valueFrom}, as in a task definition), from SECRET_EXEC_SECRETS_FILE, and
// from variables whose value is ssm://REF or secretsmanager://REF. With no
// mapping at all the command is executed at once, without loading any AWS
// configuration. See the usage text below for every setting.
//
// With --init (SECRET_EXEC_INIT=1) secret-exec does not exec the command
// but starts it as a child and stays, as tini does: it forwards signals,
// reaps orphans and exits with the command's status. With --refresh it
// also resolves the mappings again on a period and restarts or stops the
// command when a value changed. See supervise.go and docs/supervisor.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/secret-exec/secret-exec/resolve"
)

const usage = `Usage:
    secret-exec [flags] [--] COMMAND [ARG...]
    secret-exec --check [flags]

secret-exec fetches the AWS SSM parameters and Secrets Manager secrets that
its mappings name, sets them as environment variables and replaces itself
with COMMAND. Put -- before COMMAND so that its own flags are left alone.

Settings (each flag has an environment twin):
    --secrets TEXT        SECRET_EXEC_SECRETS       mappings, YAML or JSON
    --secrets-file FILE   SECRET_EXEC_SECRETS_FILE  mappings, Copilot manifest
                                                    or ECS task definition
    --app NAME            SECRET_EXEC_APP           Copilot application
    --env NAME            SECRET_EXEC_ENV           Copilot environment
                          (else COPILOT_APPLICATION_NAME, COPILOT_ENVIRONMENT_NAME)
    --container NAME      SECRET_EXEC_CONTAINER     container of a task definition
    --region REGION       SECRET_EXEC_REGION        default region
    --timeout DURATION    SECRET_EXEC_TIMEOUT       deadline for all fetches (30s)
    --no-tag-check        SECRET_EXEC_TAG_CHECK=off skip the Copilot tag policy
    -v                    SECRET_EXEC_VERBOSE=1     names, regions, timings on stderr
    --check                                         resolve and report, run nothing
    --version, --help

    --init                SECRET_EXEC_INIT=1        run COMMAND as a child and stay:
                                                    forward signals, reap orphans
    --refresh DURATION    SECRET_EXEC_REFRESH       resolve again every DURATION
                                                    (+-10%); implies --init; 0 is off
    --on-change ACTION    SECRET_EXEC_ON_CHANGE     when a value changed: restart
                                                    COMMAND (default) or exit 0
    --stop-timeout DUR    SECRET_EXEC_STOP_TIMEOUT  wait after SIGTERM before SIGKILL,
                                                    on a change (10s)

    A variable set to ssm://NAME or secretsmanager://ID is replaced by the
    value it refers to. A duration is Go's (300ms, 5m) or whole seconds.

    With --init, secret-exec reaps orphans, as PID 1 or as a subreaper, and
    passes the signals it catches, but SIGCHLD, SIGURG and SIGPIPE, to
    COMMAND, which runs in a process group of its own (the terminal's
    foreground one, if any). Mappings are read once; a refresh that fails is
    logged and leaves COMMAND running.

Mappings:
    GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET        parameter in the default region
    DB_PASSWORD: /copilot/app/env/secrets/db:3     version 3 (or :label)
    API_KEY: arn:aws:ssm:eu-west-1:123456789012:parameter/api_key
    DB_USER: {secretsmanager: "prod/db:username::"} key of a JSON secret

Exit status:
    0        --check passed, or --on-change exit stopped the command;
             otherwise the command's own status
    1        a secret could not be resolved; nothing was run
    2        usage or configuration error; nothing was run
    126      the command could not be executed
    127      the command was not found
    128+n    signal n arrived while secrets were being resolved,
             or (--init) signal n killed the command

Examples:
    SECRET_EXEC_SECRETS='DB_PASSWORD: /myapp/db_password' secret-exec -- ./server
    secret-exec --secrets-file manifest.yml --app myapp --env test --check
    secret-exec --refresh 5m --on-change exit -- ./server
`

var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run does all that secret-exec does and returns its exit status. On
// success without --init it does not return: the command takes the
// process over.
func run(args, environ []string, stdout, stderr io.Writer) int {
	getenv := func(name string) string { v, _ := lookupEnv(environ, name); return v }
	s, err := parseSettings(args, getenv)
	switch {
	case err != nil:
		return fail(stderr, exitUsage, err)
	case s.help:
		fmt.Fprint(stderr, usage)
		return 0
	case s.version:
		fmt.Fprintln(stdout, "secret-exec", buildVersion())
		return 0
	case s.check && len(s.command) > 0:
		return fail(stderr, exitUsage, usagef("--check runs no command: drop %q", s.command[0]))
	case !s.check && len(s.command) == 0:
		return fail(stderr, exitUsage, usagef("no command given (see --help)"))
	}
	ms, plain, err := mappings(s, environ)
	if err != nil {
		return fail(stderr, exitUsage, err)
	}
	switch {
	case len(ms) == 0 && s.check:
		printReport(stdout, nil)
		return 0
	case len(ms) == 0:
		return launch(s, resolve.Environ(environ, plain), nil, func() {}, stderr)
	}
	handover := stopOnSignal()
	start := time.Now()
	r, secrets, err := resolveAll(s, ms)
	if s.verbose {
		logSecrets(stderr, secrets, time.Since(start))
	}
	if s.check {
		printReport(stdout, secrets)
	}
	if err != nil {
		return fail(stderr, exitResolve, err)
	}
	if s.check {
		return 0
	}
	rf := newRefresher(s, r, ms, environ, plain, secrets, stderr)
	return launch(s, rf.environ(secrets), rf, handover, stderr)
}

// launch runs the command with env: in place of secret-exec, or with
// --init as its child, refreshed by rf when rf is not nil. Handover ends
// the signal handling of the resolution.
func launch(s *settings, env []string, rf *refresher, handover func(), stderr io.Writer) int {
	if !s.init {
		return execute(s.command, env, stderr)
	}
	sv := newSupervisor(s, env, stderr)
	if rf != nil && s.refresh > 0 {
		sv.period, sv.update = s.refresh, rf.update
	}
	return sv.run(handover)
}

// mappings gathers the mappings of every source, and the plain
// environment of a task definition.
func mappings(s *settings, environ []string) ([]resolve.Mapping, []resolve.Var, error) {
	var text []resolve.Mapping
	file := &resolve.File{}
	var err error
	if s.secrets != "" {
		text, err = resolve.ParseSecrets([]byte(s.secrets), "SECRET_EXEC_SECRETS")
		if err != nil {
			return nil, nil, err
		}
	}
	if s.secretsFile != "" {
		if file, err = readFile(s, environ); err != nil {
			return nil, nil, err
		}
	}
	inline, err := resolve.Inline(environ)
	if err != nil {
		return nil, nil, err
	}
	ms, err := resolve.Merge(text, file.Mappings, inline)
	return ms, file.Environment, err
}

func readFile(s *settings, environ []string) (*resolve.File, error) {
	data, err := readLimited(s.secretsFile, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	return resolve.ParseFile(data, s.secretsFile, resolve.FileOptions{
		App:       s.app,
		Env:       s.env,
		Container: s.container,
		LookupEnv: func(name string) (string, bool) { return lookupEnv(environ, name) },
	})
}

// maxFileSize bounds a secrets file. The largest task definition ECS
// registers is 64 KiB; anything near this is not a mappings file.
const maxFileSize = 1 << 20

// readLimited reads a regular file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return nil, err
	case int64(len(data)) > limit:
		return nil, fmt.Errorf("%s: larger than %d KiB", name, limit>>10)
	}
	return data, nil
}

// stopSignals end secret-exec while it resolves.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// stopOnSignal ends secret-exec at once, with 128+n, when signal n arrives
// while it resolves: nothing has been run yet, so nothing is left behind.
// The supervisor calls handover, once its own handling is in place, to end
// this one; it returns when secret-exec can no longer exit from here, so
// that no command it then starts is left orphaned.
func stopOnSignal() (handover func()) {
	c := make(chan os.Signal, 1)
	done, gone := make(chan struct{}), make(chan struct{})
	for _, sig := range stopSignals {
		// A signal given ignored stays ignored, for the command to
		// inherit: catching it would reset it at the exec.
		if !signal.Ignored(sig) {
			signal.Notify(c, sig)
		}
	}
	go func() {
		defer close(gone)
		select {
		case sig := <-c:
			os.Exit(exitSignalBase + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
		<-gone
	}
}

// resolveAll loads the AWS configuration and resolves every mapping within
// the deadline. The resolver it returns serves the refreshes of --refresh,
// with the same clients and cached credentials.
func resolveAll(s *settings, ms []resolve.Mapping) (*resolve.Resolver, []resolve.Secret, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	r, err := newResolver(ctx, s, ms)
	if err != nil {
		return nil, nil, err
	}
	secrets, err := r.Resolve(ctx, ms)
	return r, secrets, err
}

// newResolver finds the region and the credentials once, for start-up and
// every refresh.
func newResolver(ctx context.Context, s *settings,
	ms []resolve.Mapping) (*resolve.Resolver, error) {
	cfg, err := resolve.LoadConfig(ctx, s.region, s.timeout)
	if err != nil {
		return nil, err
	}
	r := &resolve.Resolver{Clients: resolve.NewClients(cfg), Policy: policy(s)}
	if needsRegion(ms) {
		if r.Region, err = resolve.FindRegion(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if err := resolve.CheckCredentials(ctx, cfg); err != nil {
		return nil, err
	}
	return r, nil
}

func policy(s *settings) *resolve.Policy {
	if s.noTagCheck || s.app == "" || s.env == "" {
		return nil
	}
	return &resolve.Policy{App: s.app, Env: s.env}
}

// needsRegion reports whether any reference lacks a region of its own.
func needsRegion(ms []resolve.Mapping) bool {
	for _, m := range ms {
		if m.Ref.Region == "" {
			return true
		}
	}
	return false
}

func vars(secrets []resolve.Secret) []resolve.Var {
	vs := make([]resolve.Var, len(secrets))
	for i, s := range secrets {
		vs[i] = resolve.Var{Name: s.Name, Value: s.Value}
	}
	return vs
}

// execute runs the command in place of secret-exec, or returns the status
// of its failure to do so.
func execute(argv, env []string, stderr io.Writer) int {
	err := execCommand(argv, env)
	return fail(stderr, err.status, err)
}

// fail prints err, one line at a time, and returns status.
func fail(w io.Writer, status int, err error) int {
	var re *resolve.Error
	if errors.As(err, &re) {
		fmt.Fprintf(w, "secret-exec: %d of the secrets could not be resolved; nothing was run:\n",
			len(re.Failed))
		printFailures(w, re)
		return status
	}
	fmt.Fprintf(w, "secret-exec: %v\n", err)
	return status
}

// printFailures prints one line per failed mapping: its variable,
// reference, region and error, never a value.
func printFailures(w io.Writer, re *resolve.Error) {
	for _, s := range re.Failed {
		fmt.Fprintf(w, "secret-exec:   %s\n", s.Failure())
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
