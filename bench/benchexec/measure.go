package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"time"
)

// runTimeout bounds one run; the slowest case takes well under a second.
const runTimeout = 30 * time.Second

// sample is the outcome of one run.
type sample struct {
	// toExec is the time from just before the fork of the measured
	// program to the probe's first reading of the clock.
	toExec time.Duration
	// rss is the peak resident set of the process, across its execs; it
	// is at least what launch itself used, about 2 MiB.
	rss int64
	// stderr is what the run printed there, though it succeeded.
	stderr string
}

// runOnce runs argv, with the probe last in argv, in exactly env through
// the launch program, and measures it.
func runOnce(launch string, argv, env []string) (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, launch, argv...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", argv[0], err, stderr.Bytes())
	}
	s, err := parseRun(stdout.String())
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", argv[0], err, stderr.Bytes())
	}
	s.stderr = stderr.String()
	return s, nil
}

// parseRun reads what the probe and then launch printed: the probe's
// clock, and launch's clock before the fork and the peak RSS in KiB.
func parseRun(out string) (sample, error) {
	var probe, start, rss int64
	_, err := fmt.Sscanf(out, "%d\nlaunch %d %d\n", &probe, &start, &rss)
	if err != nil {
		return sample{}, fmt.Errorf("unexpected output %q: %v", out, err)
	}
	return sample{toExec: time.Duration(probe - start), rss: rss * 1024}, nil
}

// summary is the distribution of a set of samples.
type summary struct {
	n                int
	median, p10, p90 time.Duration
	rssMedian        int64
	rssMax           int64
}

func summarize(samples []sample) summary {
	times := make([]time.Duration, len(samples))
	rss := make([]int64, len(samples))
	for i, s := range samples {
		times[i], rss[i] = s.toExec, s.rss
	}
	slices.Sort(times)
	slices.Sort(rss)
	return summary{
		n:         len(samples),
		median:    quantile(times, 0.5),
		p10:       quantile(times, 0.1),
		p90:       quantile(times, 0.9),
		rssMedian: quantile(rss, 0.5),
		rssMax:    rss[len(rss)-1],
	}
}

// quantile interpolates linearly between the closest ranks of sorted.
func quantile[T ~int64 | ~float64](sorted []T, q float64) T {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + T(frac*float64(sorted[i+1]-sorted[i]))
}
