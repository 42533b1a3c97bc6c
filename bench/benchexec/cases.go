package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/secret-exec/secret-exec/bench/workload"
	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// harness holds what every run needs.
type harness struct {
	bin  string // directory of the built programs
	home string // an empty HOME, so that no AWS profile is read
	fake *fake
}

func (h *harness) path(name string) string { return filepath.Join(h.bin, name) }

// env returns the clean environment of a run: dummy credentials, the fake
// endpoint, no instance metadata, and the mappings when not empty.
func (h *harness) env(secrets string) []string {
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + h.home,
		"AWS_ENDPOINT_URL=" + h.fake.url,
		"AWS_ACCESS_KEY_ID=AKIDBENCHMARK",
		"AWS_SECRET_ACCESS_KEY=benchmark",
		"AWS_REGION=" + workload.DefaultRegion,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if secrets != "" {
		env = append(env, "SECRET_EXEC_SECRETS="+secrets)
	}
	return env
}

// contender is one way of starting the probe with no mappings.
type contender struct {
	name    string
	argv    []string
	samples []sample
}

// zeroMapping measures the probe executed directly, through the floor
// program and through secret-exec with no mappings, interleaved so that
// the three share whatever else the machine is doing.
func (h *harness) zeroMapping(runs, warmup int) ([]*contender, error) {
	probe := h.path("probe")
	cs := []*contender{
		{name: "probe executed directly", argv: []string{probe}},
		{name: "floor (SDK linked, exec only)", argv: []string{h.path("floor"), probe}},
		{name: "secret-exec, no mappings", argv: []string{h.path("secret-exec"), "--", probe}},
	}
	env := h.env("")
	for i := range warmup + runs {
		for j := range cs {
			c := cs[(i+j)%len(cs)]
			s, err := runOnce(h.path("launch"), c.argv, env)
			if err != nil {
				return nil, err
			}
			if i >= warmup {
				c.samples = append(c.samples, s)
			}
		}
	}
	return cs, nil
}

// benchCase is one workload at one latency with the tag check on or off.
type benchCase struct {
	w        workload.Workload
	latency  time.Duration
	tagCheck bool
	samples  []sample
	// calls totals the calls of the kept runs by operation and region.
	calls map[string]map[string]int
	// inFlight is the most calls of one operation in flight together in
	// any kept run.
	inFlight map[string]int
	// deviant counts the runs whose calls were not those expected, and
	// firstDeviant describes the first of them.
	deviant      int
	firstDeviant string
	// noisy counts the runs that printed on stderr, which a successful
	// run never should, and firstNoise is what the first printed.
	noisy      int
	firstNoise string
}

func newCases(latencies []time.Duration) []*benchCase {
	var cases []*benchCase
	for _, lat := range latencies {
		for _, w := range workload.All() {
			for _, tc := range []bool{false, true} {
				cases = append(cases, &benchCase{w: w, latency: lat, tagCheck: tc,
					calls: map[string]map[string]int{}, inFlight: map[string]int{}})
			}
		}
	}
	return cases
}

func (c *benchCase) label() string {
	return fmt.Sprintf("%s at %d ms, tag check %s", c.w.Name, c.latency.Milliseconds(),
		onOff(c.tagCheck))
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *benchCase) argv(h *harness) []string {
	argv := append([]string{h.path("secret-exec")}, workload.Args(c.tagCheck)...)
	return append(argv, "--", h.path("probe"))
}

// matrix runs every case runs times after warmup rounds. Each round runs
// every case once, starting one case further along than the round
// before, so that a slow spell of the machine is spread over all cases.
func (h *harness) matrix(latencies []time.Duration, runs, warmup int) ([]*benchCase, error) {
	cases := newCases(latencies)
	start := time.Now()
	for i := range warmup + runs {
		for j := range cases {
			c := cases[(i+j)%len(cases)]
			if err := h.measure(c, i >= warmup); err != nil {
				return nil, fmt.Errorf("%s: %w", c.label(), err)
			}
		}
		if (i+1)%10 == 0 {
			fmt.Fprintf(os.Stderr, "benchexec: round %d of %d, %v\n",
				i+1, warmup+runs, time.Since(start).Round(time.Second))
		}
	}
	return cases, nil
}

// measure runs c once and, when keep is set, records the run and the calls
// it made.
func (h *harness) measure(c *benchCase, keep bool) error {
	if err := h.fake.setLatency(c.latency); err != nil {
		return err
	}
	if err := h.fake.reset(); err != nil {
		return err
	}
	s, err := runOnce(h.path("launch"), c.argv(h), h.env(c.w.Secrets))
	if err != nil || !keep {
		return err
	}
	st, err := h.fake.stats(context.Background())
	if err != nil {
		return err
	}
	c.add(s, st)
	return nil
}

// add records one kept run: its sample and the calls the fake counted.
func (c *benchCase) add(s sample, st *fakeaws.Stats) {
	c.samples = append(c.samples, s)
	for op, byRegion := range st.CallsByRegion {
		if c.calls[op] == nil {
			c.calls[op] = map[string]int{}
		}
		for region, n := range byRegion {
			c.calls[op][region] += n
		}
	}
	for op, n := range st.MaxInFlight {
		c.inFlight[op] = max(c.inFlight[op], n)
	}
	c.check(s, st)
}

// check counts the run among the anomalies when it made other calls than
// the contract allows or printed on stderr.
func (c *benchCase) check(s sample, st *fakeaws.Stats) {
	want := c.w.Calls(c.tagCheck)
	if !maps.EqualFunc(st.CallsByRegion, want, maps.Equal) {
		if c.deviant == 0 {
			c.firstDeviant = fmt.Sprintf("%v, want %v", st.CallsByRegion, want)
		}
		c.deviant++
	}
	if s.stderr != "" {
		if c.noisy == 0 {
			c.firstNoise = s.stderr
		}
		c.noisy++
	}
}

// callsOK reports whether every kept run made exactly the calls that the
// contract allows.
func (c *benchCase) callsOK() bool { return c.deviant == 0 }
