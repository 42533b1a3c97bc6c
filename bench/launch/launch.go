// Command launch starts a command for the benchmark and measures it:
//
//	launch COMMAND [ARG...]
//
// It reads CLOCK_MONOTONIC just before it forks, runs COMMAND (a path, not
// looked up) with its own standard files and environment, waits for it,
// and then prints one line after whatever COMMAND printed:
//
//	launch START_NS MAXRSS_KIB
//
// It exits 1 when COMMAND did not exit 0, printing nothing on stdout.
//
// The benchmark cannot fork secret-exec itself and trust the peak RSS that
// wait4 reports: when a process calls execve, Linux folds the high-water
// mark of the address space it leaves into its maxrss, and a child of a Go
// program leaves its parent's (vfork shares it; fork copies its page
// tables). The harness's own ten-odd MiB would hide secret-exec's peak. This
// launcher is a small static program, so what it adds is less than what
// any Go command, the probe included, needs for itself.
package main

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: launch COMMAND [ARG...]", 2)
	}
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		fail("launch: "+err.Error(), 1)
	}
	pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], attr)
	if err != nil {
		fail("launch: "+os.Args[1]+": "+err.Error(), 1)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case err != nil:
		fail("launch: wait: "+err.Error(), 1)
	case ws.Signaled():
		fail("launch: "+os.Args[1]+" was killed by "+ws.Signal().String(), 1)
	case ws.ExitStatus() != 0:
		fail("launch: "+os.Args[1]+" exited "+strconv.Itoa(ws.ExitStatus()), 1)
	}
	line := "launch " + strconv.FormatInt(ts.Nano(), 10) + " " +
		strconv.FormatInt(ru.Maxrss, 10) + "\n"
	if _, err := os.Stdout.WriteString(line); err != nil {
		os.Exit(1)
	}
}

func fail(msg string, status int) {
	os.Stderr.WriteString(msg + "\n")
	os.Exit(status)
}
