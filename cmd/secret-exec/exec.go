package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Exit statuses, as a shell gives them.
const (
	exitResolve     = 1
	exitUsage       = 2
	exitCannotExec  = 126
	exitNotFound    = 127
	exitSignalBase  = 128
	defaultPathList = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// execError says why the command could not be executed and with what
// status secret-exec exits.
type execError struct {
	name   string
	status int
	err    error
}

func (e *execError) Error() string { return e.name + ": " + e.err.Error() }

// execCommand replaces secret-exec with the command. It returns only when
// that failed.
func execCommand(argv, env []string) *execError {
	path, lerr := lookPath(argv[0], env)
	if lerr != nil {
		return lerr
	}
	err := unix.Exec(path, argv, env)
	return classify(argv[0], err, argv, env)
}

func classify(name string, err error, argv, env []string) *execError {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &execError{name, exitNotFound, errors.New("not found")}
	case errors.Is(err, unix.E2BIG):
		return &execError{name, exitCannotExec, fmt.Errorf(
			"cannot execute: arguments and environment (%d bytes) exceed "+
				"the system's limit (E2BIG)", size(argv)+size(env))}
	}
	return &execError{name, exitCannotExec, fmt.Errorf("cannot execute: %w", err)}
}

func size(list []string) int {
	n := 0
	for _, s := range list {
		n += len(s) + 1
	}
	return n
}

// lookPath finds the command as a shell would, in the PATH of the
// command's own environment. A name that holds a slash is used as it is.
// An unexecutable match is passed over, but reported when nothing better
// is found.
func lookPath(name string, env []string) (string, *execError) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if name == "" {
		return "", &execError{name, exitNotFound, errors.New("not found")}
	}
	pathList, ok := lookupEnv(env, "PATH")
	if !ok {
		pathList = defaultPathList
	}
	var denied error
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if err := unix.Access(p, unix.X_OK); err != nil {
			denied = &fs.PathError{Op: "exec", Path: p, Err: err}
			continue
		}
		return p, nil
	}
	if denied != nil {
		return "", &execError{name, exitCannotExec, fmt.Errorf("cannot execute: %w", denied)}
	}
	return "", &execError{name, exitNotFound, errors.New("not found in PATH")}
}

func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v, true
		}
	}
	return "", false
}
