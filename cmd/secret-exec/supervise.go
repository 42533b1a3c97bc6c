package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxSignal is the highest signal number on Linux (_NSIG - 1).
const maxSignal = 64

// supervisor is secret-exec with --init: the command's parent, as tini
// is. It starts the command with syscall.ForkExec, never with os/exec,
// and reaps every child itself with wait4 on SIGCHLD: exec.Cmd.Wait and a
// wait4(-1) reaper would rob each other of exit statuses.
type supervisor struct {
	argv   []string
	env    []string
	stderr io.Writer
	// verbose says when the command starts and ends.
	verbose bool
	// tty gives the command the terminal's foreground.
	tty bool

	// period is the refresh period, 0 for none; update refreshes.
	period       time.Duration
	update       func() (env, changed []string, err error)
	exitOnChange bool
	stopTimeout  time.Duration

	child    int                // the command's pid
	changing bool               // the command is being stopped for a change
	updating bool               // a refresh is in flight
	tick     <-chan time.Time   // the next refresh
	results  chan refreshResult // the refresh in flight
	killAt   <-chan time.Time   // the end of the command's grace to stop
	ttySigs  chan os.Signal
}

// refreshResult is what an update returned.
type refreshResult struct {
	env, changed []string
	err          error
}

func newSupervisor(s *settings, env []string, stderr io.Writer) *supervisor {
	return &supervisor{
		argv:         s.command,
		env:          env,
		stderr:       stderr,
		verbose:      s.verbose,
		tty:          foreground(),
		exitOnChange: s.exitOnChange,
		stopTimeout:  s.stopTimeout,
		results:      make(chan refreshResult, 1),
		ttySigs:      make(chan os.Signal, 1),
	}
}

// run starts the command and supervises it until it ends, and returns
// the status secret-exec exits with.
func (sv *supervisor) run(handover func()) int {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append(sv.forwarded(), unix.SIGCHLD, unix.SIGPIPE)...)
	if sv.tty {
		signal.Ignore(unix.SIGTTIN, unix.SIGTTOU)
	}
	handover()
	subreaper(sv.stderr)
	if err := sv.spawn(); err != nil {
		return fail(sv.stderr, err.status, err)
	}
	if sv.update != nil {
		sv.tick = time.After(jitter(sv.period))
	}
	return sv.loop(sigs)
}

// loop waits for signals, refreshes and deadlines, and returns when the
// command has ended for good.
func (sv *supervisor) loop(sigs <-chan os.Signal) int {
	for {
		select {
		case sig := <-sigs:
			if !sv.signaled(sig) {
				continue
			}
		case <-sv.tick:
			sv.startRefresh()
			continue
		case r := <-sv.results:
			if ws, ok := sv.reap(); ok {
				// The command ended on its own meanwhile: that end is
				// its status, not a change to act on.
				sv.refreshed(refreshResult{err: r.err})
				if status, done := sv.exited(ws); done {
					return status
				}
				continue
			}
			sv.refreshed(r)
		case <-sv.killAt:
			sv.kill()
			continue
		}
		if ws, ok := sv.reap(); ok {
			if status, done := sv.exited(ws); done {
				return status
			}
		}
	}
}

// signaled handles a signal and reports whether it calls for reaping.
func (sv *supervisor) signaled(sig os.Signal) bool {
	switch sig {
	case unix.SIGCHLD:
		return true
	case unix.SIGPIPE:
		// Caught, not forwarded, so that a write of ours to a closed
		// connection or pipe fails with EPIPE instead of ending secret-exec.
	default:
		sv.forward(sig.(syscall.Signal))
	}
	return false
}

// forwarded lists the signals passed on to the command: every signal Go
// lets a program catch but SIGCHLD, which is the supervisor's own, SIGURG,
// which the Go runtime sends itself to preempt goroutines, and SIGPIPE,
// which the kernel sends secret-exec for its own writes to a closed
// connection (to AWS, during a refresh) or pipe: neither can be told apart
// from one sent by someone else. With a terminal, SIGTTIN and SIGTTOU are
// ignored, as tini ignores them: the kernel sends them to secret-exec's
// group, now in the background, for secret-exec's own use of the
// terminal, and they would only stop the command.
func (sv *supervisor) forwarded() []os.Signal {
	var list []os.Signal
	for n := 1; n <= maxSignal; n++ {
		switch sig := syscall.Signal(n); {
		case sig == unix.SIGCHLD || sig == unix.SIGURG || sig == unix.SIGPIPE:
		case runtimeSignal(sig):
		case signal.Ignored(sig):
			// Left ignored, as it was given, so that the command
			// inherits it ignored (nohup, a background job).
		case sv.tty && (sig == unix.SIGTTIN || sig == unix.SIGTTOU):
		default:
			list = append(list, sig)
		}
	}
	return list
}

// runtimeSignal reports whether the Go runtime keeps sig to itself
// (signal.Notify has no effect on it): SIGKILL and SIGSTOP, which nobody
// can catch, the faults it turns into panics or crashes, SIGPROF and the
// signals 32 to 34 of the C libraries.
func runtimeSignal(sig syscall.Signal) bool {
	switch sig {
	case unix.SIGKILL, unix.SIGSTOP, unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGSTKFLT, unix.SIGSYS, unix.SIGPROF:
		return true
	}
	return sig >= 32 && sig <= 34
}

// forward passes sig on to the command alone, as tini does by default. A
// request to stop during a restart wins: the command is not started
// again, and secret-exec exits with its status.
func (sv *supervisor) forward(sig syscall.Signal) {
	if sv.child <= 0 {
		return // kill(0) would signal secret-exec's own group
	}
	unix.Kill(sv.child, sig)
	if slices.Contains(stopSignals, os.Signal(sig)) {
		sv.changing = false
	}
}

// foreground reports whether stdin is secret-exec's controlling terminal
// and secret-exec's group its foreground one. The command then takes the
// foreground, as with tini; a background job never steals it.
func foreground() bool {
	pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// subreaper makes secret-exec, when it is not PID 1, the parent that the
// command's orphans are given to, so that it reaps them as init would.
func subreaper(stderr io.Writer) {
	if os.Getpid() == 1 {
		return
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(stderr, "secret-exec: orphans will not be reaped: "+
			"PR_SET_CHILD_SUBREAPER: %v\n", err)
	}
}

// spawn starts the command with the current environment.
func (sv *supervisor) spawn() *execError {
	path, err := lookPath(sv.argv[0], sv.env)
	if err != nil {
		return err
	}
	pid, ferr := sv.forkExec(path)
	if ferr != nil {
		return classify(sv.argv[0], ferr, sv.argv, sv.env)
	}
	sv.child = pid
	if sv.verbose {
		fmt.Fprintf(sv.stderr, "secret-exec: started %s, pid %d\n", sv.argv[0], pid)
	}
	return nil
}

// forkExec starts the command in a process group of its own, so that a
// signal sent to secret-exec's group does not reach it twice. With a
// terminal its group is made the foreground one by the child before the
// exec, with every signal blocked: the kernel treats a blocked SIGTTOU as
// an ignored one, so tcsetpgrp does not stop it (tini ignores SIGTTOU in
// its child around the same call).
func (sv *supervisor) forkExec(path string) (int, error) {
	if sv.tty {
		// A signal ignored at fork stays ignored in the command, while a
		// caught one is reset to its default: catch them for the fork.
		signal.Notify(sv.ttySigs, unix.SIGTTIN, unix.SIGTTOU)
		defer signal.Ignore(unix.SIGTTIN, unix.SIGTTOU)
	}
	return syscall.ForkExec(path, sv.argv, &syscall.ProcAttr{
		Env:   sv.env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Foreground: sv.tty},
	})
}

// reap collects the children that have ended and returns the command's
// wait status if it is one of them. While a refresh runs it collects
// only the command: the AWS SDK may be waiting with exec.Cmd.Wait for a
// credential_process of its own. The orphans wait for the refresh's end.
func (sv *supervisor) reap() (main unix.WaitStatus, ended bool) {
	pid := -1
	if sv.updating {
		pid = sv.child
	}
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil || got <= 0:
			return main, ended
		case got == sv.child:
			main, ended = ws, true
		}
	}
}

// exited handles the end of the command: it starts the command again
// after a change, or tells the status secret-exec exits with.
func (sv *supervisor) exited(ws unix.WaitStatus) (status int, done bool) {
	status = ws.ExitStatus()
	if ws.Signaled() {
		status = exitSignalBase + int(ws.Signal())
	}
	if sv.verbose {
		fmt.Fprintf(sv.stderr, "secret-exec: %s ended with status %d\n", sv.argv[0], status)
	}
	changing := sv.changing
	sv.child, sv.changing, sv.killAt = 0, false, nil
	switch {
	case !changing:
		return status, true
	case sv.exitOnChange:
		return 0, true
	}
	if err := sv.spawn(); err != nil {
		return fail(sv.stderr, err.status, err), true
	}
	return 0, false
}

// startRefresh starts a refresh, unless the command is being stopped for
// the last one.
func (sv *supervisor) startRefresh() {
	if sv.changing {
		sv.tick = time.After(jitter(sv.period))
		return
	}
	sv.tick, sv.updating = nil, true
	go func() {
		env, changed, err := sv.update()
		sv.results <- refreshResult{env, changed, err}
	}()
}

// refreshed acts on the outcome of a refresh. Nothing is stopped on an
// error: the command keeps the values it has.
func (sv *supervisor) refreshed(r refreshResult) {
	sv.updating = false
	sv.tick = time.After(jitter(sv.period))
	switch {
	case r.err != nil:
		logRefreshFailure(sv.stderr, r.err)
	case r.changed == nil:
	default:
		sv.stop(r)
	}
}

// stop asks the command to stop, with SIGTERM, so that it can be started
// again with env or secret-exec exit; SIGKILL follows after the grace of
// --stop-timeout.
func (sv *supervisor) stop(r refreshResult) {
	action := "restarting"
	if sv.exitOnChange {
		action = "stopping"
	}
	logChange(sv.stderr, r.changed, action)
	sv.env, sv.changing = r.env, true
	unix.Kill(sv.child, unix.SIGTERM)
	sv.killAt = time.After(sv.stopTimeout)
}

// kill ends a command that outstayed its grace, with the processes it
// left in its group, so that none of them holds on to what the next one
// needs, such as a port.
func (sv *supervisor) kill() {
	sv.killAt = nil
	if sv.child <= 0 {
		return // kill(0) would signal secret-exec's own group
	}
	fmt.Fprintf(sv.stderr, "secret-exec: %s did not stop within %v: killing it\n",
		sv.argv[0], sv.stopTimeout)
	unix.Kill(-sv.child, unix.SIGKILL)
	unix.Kill(sv.child, unix.SIGKILL) // in case it left its group
}

// jitter spreads a period by up to a tenth either way, so that a fleet
// started together does not call AWS in step.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}
