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
}

const defaultTimeout = 30 * time.Second

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
	var timeout string
	fs := flag.NewFlagSet("secret-exec", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.secrets, "secrets", "", "")
	fs.StringVar(&s.secretsFile, "secrets-file", "", "")
	fs.StringVar(&s.app, "app", "", "")
	fs.StringVar(&s.env, "env", "", "")
	fs.StringVar(&s.container, "container", "", "")
	fs.StringVar(&s.region, "region", "", "")
	fs.StringVar(&timeout, "timeout", "", "")
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
	return s, s.fromEnv(getenv, timeout)
}

// fromEnv applies the environment twins of the flags that were not given.
func (s *settings) fromEnv(getenv func(string) string, timeout string) error {
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
	fill(&timeout, "SECRET_EXEC_TIMEOUT")
	var err error
	if s.timeout, err = parseTimeout(timeout); err != nil {
		return err
	}
	if !s.noTagCheck {
		if s.noTagCheck, err = envSwitch(getenv, "SECRET_EXEC_TAG_CHECK", "off", "on"); err != nil {
			return err
		}
	}
	if !s.verbose {
		if s.verbose, err = envSwitch(getenv, "SECRET_EXEC_VERBOSE", "1", "0"); err != nil {
			return err
		}
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

// parseTimeout takes a Go duration or a whole number of seconds.
func parseTimeout(v string) (time.Duration, error) {
	if v == "" {
		return defaultTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseUint(v, 10, 31)
		if nerr != nil {
			return 0, usagef("timeout %q: want a duration such as 30s or whole seconds", v)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, usagef("timeout %q: must be more than zero", v)
	}
	return d, nil
}
