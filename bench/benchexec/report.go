package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/secret-exec/secret-exec/bench/workload"
)

// The budgets of the benchmark issue.
const (
	maxBinary     = 12 << 20
	maxOverFloor  = time.Millisecond
	maxRoundTrips = 2
	maxOwnWork    = 15 * time.Millisecond
	maxRSS        = 30 << 20
	// bigWorkload is the number of mappings from which the RSS budget
	// applies.
	bigWorkload = 100
)

// results is everything one benchmark run measured.
type results struct {
	binarySize int64
	floorSize  int64
	zero       []*contender
	cases      []*benchCase
	traces     map[string]*initTrace // by program name
}

// t0 is secret-exec's median time to exec with no mappings.
func (r *results) t0() time.Duration { return summarize(r.zero[2].samples).median }

// direct is the median time to exec the probe directly.
func (r *results) direct() time.Duration { return summarize(r.zero[0].samples).median }

// timeBudget is the most time to exec a case may take: two round trips
// plus the time with no mappings plus 15 ms.
func (r *results) timeBudget(c *benchCase) time.Duration {
	return maxRoundTrips*c.latency + r.t0() + maxOwnWork
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", d.Seconds()*1000) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// writeZero writes the table of the runs with no mappings.
func (r *results) writeZero(w io.Writer) {
	fmt.Fprintf(w, "| program | median | p10 | p90 | minus direct exec | peak RSS (median) |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range r.zero {
		s := summarize(c.samples)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", c.name, ms(s.median),
			ms(s.p10), ms(s.p90), ms(s.median-r.direct()), mib(s.rssMedian))
	}
}

// writeTimes writes the time to exec and the peak RSS of every case.
func (r *results) writeTimes(w io.Writer) {
	fmt.Fprintf(w, "| mappings | ms/request | tag check | median | p10 | p90 "+
		"| minus direct exec | peak RSS median / max | time budget | time | RSS |\n")
	fmt.Fprintf(w, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for _, c := range r.cases {
		s := summarize(c.samples)
		rss := "—"
		if c.w.Mappings >= bigWorkload {
			rss = verdict(s.rssMax <= maxRSS)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s |\n",
			c.w.Name, c.latency.Milliseconds(), onOff(c.tagCheck), ms(s.median),
			ms(s.p10), ms(s.p90), ms(s.median-r.direct()), mib(s.rssMedian),
			mib(s.rssMax), ms(r.timeBudget(c)), verdict(s.median <= r.timeBudget(c)), rss)
	}
}

// ops are the operations that the calls table shows, in its order.
var ops = []string{"GetParameters", "DescribeParameters", "GetSecretValue", "DescribeSecret"}

// writeCalls writes the calls per run of every case.
func (r *results) writeCalls(w io.Writer) {
	fmt.Fprintf(w, "| mappings | ms/request | tag check | %s | other | expected |\n",
		strings.Join(ops, " | "))
	fmt.Fprintf(w, "| --- | ---: | --- |%s ---: | --- |\n", strings.Repeat(" ---: |", len(ops)))
	for _, c := range r.cases {
		cells := make([]string, len(ops))
		for i, op := range ops {
			cells[i] = c.callCell(op)
		}
		expected := verdict(c.callsOK())
		if !c.callsOK() {
			expected += fmt.Sprintf(" (%d of %d runs)", c.deviant, len(c.samples))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %d | %s |\n", c.w.Name,
			c.latency.Milliseconds(), onOff(c.tagCheck), strings.Join(cells, " | "),
			c.otherCalls(), expected)
	}
}

// writeAnomalies lists the runs that made other calls than expected or
// printed on stderr, or says there were none.
func (r *results) writeAnomalies(w io.Writer) {
	n := 0
	for _, c := range r.cases {
		if c.deviant > 0 {
			fmt.Fprintf(w, "- %s: %d of %d runs made other calls than expected; "+
				"the first: %s\n", c.label(), c.deviant, len(c.samples), c.firstDeviant)
			n++
		}
		if c.noisy > 0 {
			fmt.Fprintf(w, "- %s: %d of %d runs printed on stderr; the first:\n\n",
				c.label(), c.noisy, len(c.samples))
			fmt.Fprintf(w, "  ```\n  %s\n  ```\n", strings.TrimSpace(c.firstNoise))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(w, "None: every run made exactly the expected calls and printed "+
			"nothing on stderr.\n")
	}
}

// callCell shows the calls of op per run, per region when there are two
// (default region first), and how many were in flight together at most.
func (c *benchCase) callCell(op string) string {
	byRegion := c.calls[op]
	if len(byRegion) == 0 {
		return "0"
	}
	regions := []string{workload.DefaultRegion, workload.OtherRegion}
	var parts []string
	for _, region := range regions {
		if n, ok := byRegion[region]; ok {
			parts = append(parts, perRun(n, len(c.samples)))
		}
	}
	return fmt.Sprintf("%s (%d)", strings.Join(parts, " + "), c.inFlight[op])
}

func perRun(n, runs int) string {
	if n%runs == 0 {
		return fmt.Sprint(n / runs)
	}
	return fmt.Sprintf("%.2f", float64(n)/float64(runs))
}

// otherCalls counts the calls of operations outside ops, such as
// GetParameter or ListTagsForResource, over all runs.
func (c *benchCase) otherCalls() int {
	n := 0
	for op, byRegion := range c.calls {
		if !slices.Contains(ops, op) {
			for _, k := range byRegion {
				n += k
			}
		}
	}
	return n
}

// writeInits writes the slowest package inits of secret-exec beside the
// floor's.
func (r *results) writeInits(w io.Writer, top int) {
	se, fl := r.traces["secret-exec"], r.traces["floor"]
	fmt.Fprintf(w, "secret-exec reaches main %.2f ms after its runtime starts; its package "+
		"inits take %.2f ms in all. The floor reaches main after %.2f ms, inits %.2f ms.\n\n",
		se.mainAt, se.total(), fl.mainAt, fl.total())
	pkgs := slices.Clone(se.order)
	slices.SortStableFunc(pkgs, func(a, b string) int {
		return cmp.Compare(se.clock[b], se.clock[a])
	})
	fmt.Fprintf(w, "| package | secret-exec | floor |\n| --- | ---: | ---: |\n")
	for _, pkg := range pkgs[:min(top, len(pkgs))] {
		floor := "not linked"
		if v, ok := fl.clock[pkg]; ok {
			floor = fmt.Sprintf("%.3f ms", v)
		}
		fmt.Fprintf(w, "| %s | %.3f ms | %s |\n", pkg, se.clock[pkg], floor)
	}
	var only []string
	sum := 0.0
	for _, pkg := range pkgs {
		if _, ok := fl.clock[pkg]; !ok {
			only = append(only, pkg)
			sum += se.clock[pkg]
		}
	}
	fmt.Fprintf(w, "\n%d packages with an init are in secret-exec but not in the floor; "+
		"their inits take %.3f ms: %s.\n", len(only), sum, strings.Join(only, ", "))
}
