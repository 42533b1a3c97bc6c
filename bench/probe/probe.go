// Command probe is the command that the benchmark has secret-exec execute.
// The first thing it does is read CLOCK_MONOTONIC, and it prints the
// reading in nanoseconds on stdout, so that the benchmark can tell how long
// secret-exec took to hand over.
//
// It imports nothing but golang.org/x/sys/unix and strconv, so that its own
// start-up, which every measurement includes, stays as short as a Go program
// allows.
package main

import (
	"strconv"

	"golang.org/x/sys/unix"
)

func main() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		unix.Exit(1)
	}
	buf := strconv.AppendInt(nil, ts.Nano(), 10)
	if _, err := unix.Write(1, append(buf, '\n')); err != nil {
		unix.Exit(1)
	}
}
