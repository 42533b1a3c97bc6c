package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// settings are the flags, each with its environment twin.
type settings struct {
	secrets     string
	secretsFile string
	app, env    string
	container   string
	region      string
	timeout     time.Duration
	check       bool
	noTagCheck  bool
	verbose     bool
	version     bool
	help        bool
	command     []string

	// Supervisor mode: see supervise.go.
	init         bool
	refresh      time.Duration // 0: no refresh
	exitOnChange bool
	stopTimeout  time.Duration
}

// durations are the settings that are parsed once the environment has
// filled what the flags left unset.
type durations struct {
	timeout, refresh, stopTimeout string
}

const (
	defaultTimeout     = 30 * time.Second
	defaultStopTimeout = 10 * time.Second
)

// usageError is a mistake in the flags or settings: status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseSettings reads the flags in args, then fills what they left unset
// from the environment.
func parseSettings(args []string, getenv func(string) string) (*settings, error) {
	s := &settings{}
	var d durations
	var onChange string
	fs := flag.NewFlagSet("secret-exec", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.secrets, "secrets", "", "")
	fs.StringVar(&s.secretsFile, "secrets-file", "", "")
	fs.StringVar(&s.app, "app", "", "")
	fs.StringVar(&s.env, "env", "", "")
	fs.StringVar(&s.container, "container", "", "")
	fs.StringVar(&s.region, "region", "", "")
	fs.StringVar(&d.timeout, "timeout", "", "")
	fs.BoolVar(&s.init, "init", false, "")
	fs.StringVar(&d.refresh, "refresh", "", "")
	fs.StringVar(&onChange, "on-change", "", "")
	fs.StringVar(&d.stopTimeout, "stop-timeout", "", "")
	fs.BoolVar(&s.check, "check", false, "")
	fs.BoolVar(&s.noTagCheck, "no-tag-check", false, "")
	fs.BoolVar(&s.verbose, "v", false, "")
	fs.BoolVar(&s.version, "version", false, "")
	fs.BoolVar(&s.help, "help", false, "")
	fs.BoolVar(&s.help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s.help = true
			return s, nil
		}
		return nil, &usageError{err.Error()}
	}
	s.command = fs.Args()
	if err := s.fromEnv(getenv, &d, &onChange); err != nil {
		return nil, err
	}
	return s, s.supervision(onChange)
}

// fromEnv applies the environment twins of the flags that were not given.
func (s *settings) fromEnv(getenv func(string) string, d *durations, onChange *string) error {
	fill := func(v *string, names ...string) {
		for _, name := range names {
			if *v == "" {
				*v = getenv(name)
			}
		}
	}
	fill(&s.secrets, "SECRET_EXEC_SECRETS")
	fill(&s.secretsFile, "SECRET_EXEC_SECRETS_FILE")
	fill(&s.app, "SECRET_EXEC_APP", "COPILOT_APPLICATION_NAME")
	fill(&s.env, "SECRET_EXEC_ENV", "COPILOT_ENVIRONMENT_NAME")
	fill(&s.container, "SECRET_EXEC_CONTAINER")
	fill(&s.region, "SECRET_EXEC_REGION")
	fill(&d.timeout, "SECRET_EXEC_TIMEOUT")
	fill(&d.refresh, "SECRET_EXEC_REFRESH")
	fill(&d.stopTimeout, "SECRET_EXEC_STOP_TIMEOUT")
	fill(onChange, "SECRET_EXEC_ON_CHANGE")
	if err := s.parseDurations(d); err != nil {
		return err
	}
	return s.switches(getenv)
}

// parseDurations parses the duration settings. A refresh of 0 turns
// refreshing off, so that a flag can override an image's setting; a stop
// timeout of 0 sends SIGKILL right after SIGTERM.
func (s *settings) parseDurations(d *durations) error {
	var err error
	if s.timeout, err = parseDuration("timeout", d.timeout, defaultTimeout, false); err != nil {
		return err
	}
	if s.refresh, err = parseDuration("refresh", d.refresh, 0, true); err != nil {
		return err
	}
	s.stopTimeout, err = parseDuration("stop-timeout", d.stopTimeout, defaultStopTimeout, true)
	return err
}

// switches applies the two-valued environment settings whose flags were
// not given.
func (s *settings) switches(getenv func(string) string) error {
	for _, sw := range []struct {
		v             *bool
		name, yes, no string
	}{
		{&s.noTagCheck, "SECRET_EXEC_TAG_CHECK", "off", "on"},
		{&s.verbose, "SECRET_EXEC_VERBOSE", "1", "0"},
		{&s.init, "SECRET_EXEC_INIT", "1", "0"},
	} {
		if *sw.v {
			continue
		}
		var err error
		if *sw.v, err = envSwitch(getenv, sw.name, sw.yes, sw.no); err != nil {
			return err
		}
	}
	return nil
}

// supervision checks the on-change action. A refresh needs a parent that
// stays to restart the command, so --refresh implies --init.
func (s *settings) supervision(onChange string) error {
	switch strings.ToLower(onChange) {
	case "", "restart":
	case "exit":
		s.exitOnChange = true
	default:
		return usagef("on-change %q: want restart or exit", onChange)
	}
	if s.refresh > 0 {
		s.init = true
	}
	return nil
}

// envSwitch reads a two-valued setting: yes when it is set to the first
// value, no when unset, empty or set to the second.
func envSwitch(getenv func(string) string, name, yes, no string) (bool, error) {
	switch v := getenv(name); strings.ToLower(v) {
	case yes:
		return true, nil
	case no, "":
		return false, nil
	default:
		return false, usagef("%s=%q: want %s or %s", name, v, yes, no)
	}
}

// parseDuration takes a Go duration or a whole number of seconds; empty
// is def. Zero is refused unless zeroOK.
func parseDuration(what, v string, def time.Duration, zeroOK bool) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseUint(v, 10, 31)
		if nerr != nil {
			return 0, usagef("%s %q: want a duration such as 30s or whole seconds", what, v)
		}
		d = time.Duration(n) * time.Second
	}
	switch {
	case d < 0 && zeroOK:
		return 0, usagef("%s %q: must not be negative", what, v)
	case d <= 0 && !zeroOK:
		return 0, usagef("%s %q: must be more than zero", what, v)
	}
	return d, nil
}
