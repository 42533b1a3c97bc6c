package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// initTrace is what GODEBUG=inittrace=1 says about a program's package
// initialisation, as medians over several runs.
type initTrace struct {
	// order lists the packages in the order they were initialised.
	order []string
	// clock is the median wall time of each package's init, in ms.
	clock map[string]float64
	// mainAt is the median time from the start of the runtime to the end
	// of the last init, that is to main, in ms.
	mainAt float64
}

// total is the sum of the median init times, in ms.
func (t *initTrace) total() float64 {
	sum := 0.0
	for _, ms := range t.clock {
		sum += ms
	}
	return sum
}

// traceInits runs argv runs times with GODEBUG=inittrace=1 in env. The
// command that argv executes must print nothing on stderr.
func traceInits(argv, env []string, runs int) (*initTrace, error) {
	clocks := map[string][]float64{}
	var order []string
	var mainAt []float64
	for range runs {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(slices.Clip(env), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", argv[0], err, stderr.Bytes())
		}
		inits, err := parseTrace(stderr.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", argv[0], err)
		}
		for _, in := range inits {
			if clocks[in.pkg] == nil {
				order = append(order, in.pkg)
			}
			clocks[in.pkg] = append(clocks[in.pkg], in.clock)
		}
		if len(inits) > 0 {
			last := inits[len(inits)-1]
			mainAt = append(mainAt, last.at+last.clock)
		}
	}
	t := &initTrace{order: order, clock: map[string]float64{}, mainAt: medianOf(mainAt)}
	for pkg, c := range clocks {
		t.clock[pkg] = medianOf(c)
	}
	return t, nil
}

// initLine is one line of the trace: a package, when its init started
// and how long it took, in ms.
type initLine struct {
	pkg       string
	at, clock float64
}

// parseTrace reads lines such as
// "init net/netip @2.4 ms, 0.16 ms clock, 48 bytes, 2 allocs".
func parseTrace(out string) ([]initLine, error) {
	var inits []initLine
	for line := range strings.Lines(out) {
		var in initLine
		_, err := fmt.Sscanf(line, "init %s @%f ms, %f ms clock", &in.pkg, &in.at, &in.clock)
		if err != nil {
			return nil, fmt.Errorf("unexpected inittrace line %q", line)
		}
		inits = append(inits, in)
	}
	return inits, nil
}

func medianOf(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return quantile(s, 0.5)
}
