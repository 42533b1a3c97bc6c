package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/secret-exec/secret-exec/resolve"
)

// refresher resolves the mappings again with the resolver of start-up, so
// a refresh makes the same calls as start-up and no others, and tells
// which values changed. The mappings themselves are read once, at
// start-up.
type refresher struct {
	s       *settings
	r       *resolve.Resolver
	ms      []resolve.Mapping
	base    []string // secret-exec's own environment
	plain   []resolve.Var
	values  []string  // the values the command was given, one per mapping
	verbose io.Writer // where -v lines go; nil without -v
}

func newRefresher(s *settings, r *resolve.Resolver, ms []resolve.Mapping, environ []string,
	plain []resolve.Var, secrets []resolve.Secret, stderr io.Writer) *refresher {
	rf := &refresher{s: s, r: r, ms: ms, base: environ, plain: plain}
	rf.values = values(secrets)
	if s.verbose {
		rf.verbose = stderr
	}
	return rf
}

// environ is the command's environment with secrets.
func (rf *refresher) environ(secrets []resolve.Secret) []string {
	return resolve.Environ(rf.base, append(slices.Clone(rf.plain), vars(secrets)...))
}

// update resolves every mapping once more, within the deadline of
// --timeout. When a value changed, it returns the command's new
// environment and the names of the variables that changed; on an error
// nothing changes.
func (rf *refresher) update() (env, changed []string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), rf.s.timeout)
	defer cancel()
	start := time.Now()
	secrets, err := rf.r.Resolve(ctx, rf.ms)
	if rf.verbose != nil {
		logSecrets(rf.verbose, secrets, time.Since(start))
	}
	if err != nil {
		return nil, nil, err
	}
	for i, s := range secrets {
		if s.Value != rf.values[i] {
			changed = append(changed, s.Name)
		}
	}
	if changed == nil {
		return nil, nil, nil
	}
	rf.values = values(secrets)
	return rf.environ(secrets), changed, nil
}

func values(secrets []resolve.Secret) []string {
	vs := make([]string, len(secrets))
	for i, s := range secrets {
		vs[i] = s.Value
	}
	return vs
}

// logRefreshFailure says why a refresh failed, by names and error codes.
func logRefreshFailure(w io.Writer, err error) {
	var re *resolve.Error
	if !errors.As(err, &re) {
		fmt.Fprintf(w, "secret-exec: refresh failed; the command keeps running: %v\n", err)
		return
	}
	fmt.Fprintf(w, "secret-exec: refresh: %d of the secrets could not be resolved; "+
		"the command keeps running:\n", len(re.Failed))
	printFailures(w, re)
}

// logChange names the variables whose values changed.
func logChange(w io.Writer, changed []string, action string) {
	fmt.Fprintf(w, "secret-exec: refresh: %s changed; %s the command\n",
		strings.Join(changed, ", "), action)
}
