// Command benchexec measures how long secret-exec takes to hand over to
// its command, which calls it makes and how much memory it needs, against
// the fake AWS endpoint, and checks the figures against the budgets of the
// benchmark issue. bench/run.sh builds everything and runs it:
//
//	benchexec -bin DIR [-runs 200] [-zero-runs 200] [-warmup 5]
//	          [-latency 20ms] [-trace-runs 30] [-rev REVISION]
//
// DIR holds the programs that run.sh builds: secret-exec, fakeaws, floor,
// probe and launch. The command that secret-exec executes is the probe,
// which prints CLOCK_MONOTONIC as soon as it runs. Every measured program
// is started by launch, which reads the same clock just before it forks
// and reports the peak RSS of the process, across its execs; the time to
// exec is the difference of the two readings, so it includes the probe's
// own start-up, as does every baseline. (Why launch and not the harness
// forks: see its package comment.)
//
// With no mappings, the probe executed directly, the floor program (the
// same SDK packages linked, nothing but an exec) and secret-exec are run
// in turn, zero-runs times each. Then every workload of package workload
// runs at 0 ms and at the given latency per request, with the tag check
// off and on, runs times each, the cases taking turns round by round.
// Before each run the fake's counters are reset and after it they are
// read, so the calls are those of that run alone.
//
// The report, in Markdown, goes to stdout; progress goes to stderr. The
// exit status is 1 when a run failed, not when a budget is missed: the
// report says that.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

type options struct {
	bin       string
	rev       string
	runs      int
	zeroRuns  int
	warmup    int
	traceRuns int
	latency   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "`directory` of the programs that run.sh builds")
	flag.IntVar(&o.runs, "runs", 200, "runs of each case")
	flag.IntVar(&o.zeroRuns, "zero-runs", 200, "runs of each program with no mappings")
	flag.IntVar(&o.warmup, "warmup", 5, "rounds run before measuring")
	flag.IntVar(&o.traceRuns, "trace-runs", 30, "runs with GODEBUG=inittrace=1")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency of every request")
	flag.StringVar(&o.rev, "rev", "unknown", "source `revision` measured, for the report")
	flag.Parse()
	if o.bin == "" || flag.NArg() > 0 || o.runs < 1 || o.zeroRuns < 1 || o.traceRuns < 1 ||
		o.latency <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchexec:", err)
		os.Exit(1)
	}
}

func run(o options, w io.Writer) error {
	dir, err := os.MkdirTemp("", "benchexec-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &harness{bin: o.bin, home: dir}
	if h.fake, err = startFake(h.path("fakeaws"), dir); err != nil {
		return err
	}
	defer h.fake.stop()
	load := loadAverage()
	began := time.Now()
	r, err := h.measureAll(o)
	if err != nil {
		return err
	}
	r.write(w, o, machine{load: load + " before, " + loadAverage() + " after",
		took: time.Since(began)})
	return nil
}

// measureAll takes every measurement of the report.
func (h *harness) measureAll(o options) (*results, error) {
	r := &results{}
	var err error
	if r.binarySize, err = h.size("secret-exec"); err != nil {
		return nil, err
	}
	if r.floorSize, err = h.size("floor"); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "benchexec: no mappings")
	if r.zero, err = h.zeroMapping(o.zeroRuns, o.warmup); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "benchexec: workloads")
	lats := []time.Duration{0, o.latency}
	if r.cases, err = h.matrix(lats, o.runs, o.warmup); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "benchexec: package initialisation")
	if r.traces, err = h.traceAll(o.traceRuns); err != nil {
		return nil, err
	}
	return r, nil
}

// traceAll traces the package initialisation of secret-exec with no
// mappings and of the floor. They execute /bin/true, which prints no
// trace of its own.
func (h *harness) traceAll(runs int) (map[string]*initTrace, error) {
	traces := map[string]*initTrace{}
	for name, argv := range map[string][]string{
		"secret-exec": {h.path("secret-exec"), "--", "/bin/true"},
		"floor":       {h.path("floor"), "/bin/true"},
	} {
		t, err := traceInits(argv, h.env(""), runs)
		if err != nil {
			return nil, err
		}
		traces[name] = t
	}
	return traces, nil
}

func (h *harness) size(name string) (int64, error) {
	fi, err := os.Stat(h.path(name))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// machine describes the conditions of the run.
type machine struct {
	load string
	took time.Duration
}

func (r *results) write(w io.Writer, o options, m machine) {
	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "- CPUs (nproc): %d\n- CPU: %s\n- Go: %s %s/%s\n- Kernel: Linux %s\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		kernel())
	fmt.Fprintf(w, "- Source: %s\n- Load average (1, 5, 15 min): %s\n", o.rev, m.load)
	fmt.Fprintf(w, "- Runs: %d per case and %d per program with no mappings, after %d "+
		"warm-up rounds; %s in all\n\n", o.runs, o.zeroRuns, o.warmup, m.took.Round(time.Second))
	fmt.Fprintf(w, "## Budgets\n\n")
	r.writeBudgets(w)
	fmt.Fprintf(w, "\n## No mappings\n\n")
	r.writeZero(w)
	fmt.Fprintf(w, "\n## Time to exec and peak RSS\n\n")
	r.writeTimes(w)
	fmt.Fprintf(w, "\n## Calls per run (most in flight together)\n\n")
	r.writeCalls(w)
	fmt.Fprintf(w, "\n## Anomalies\n\n")
	r.writeAnomalies(w)
	fmt.Fprintf(w, "\n## Package initialisation (median of %d runs)\n\n", o.traceRuns)
	r.writeInits(w, 12)
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
