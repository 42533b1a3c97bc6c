package main

import (
	"fmt"
	"io"
	"time"
)

// budget is one line of the budget table.
type budget struct {
	name, limit, measured string
	ok                    bool
}

// budgets checks every budget of the benchmark issue against the results.
func (r *results) budgets() []budget {
	return []budget{
		r.sizeBudget(), r.floorBudget(), r.callBudget(),
		r.tagBudget(), r.timeOfCases(), r.rssBudget(),
	}
}

func (r *results) writeBudgets(w io.Writer) {
	fmt.Fprintf(w, "| budget | limit | measured | result |\n| --- | --- | --- | --- |\n")
	for _, b := range r.budgets() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", b.name, b.limit, b.measured, verdict(b.ok))
	}
}

func (r *results) sizeBudget() budget {
	return budget{
		name:  "stripped static binary",
		limit: "≤ " + mib(maxBinary),
		measured: fmt.Sprintf("%s (%d bytes; the floor program: %s)", mib(r.binarySize),
			r.binarySize, mib(r.floorSize)),
		ok: r.binarySize <= maxBinary,
	}
}

func (r *results) floorBudget() budget {
	floor := summarize(r.zero[1].samples).median
	over := r.t0() - floor
	return budget{
		name:  "no mappings: secret-exec over the floor (medians)",
		limit: "≤ " + ms(maxOverFloor),
		measured: fmt.Sprintf("%s (%s against %s)", ms(over),
			ms(r.t0()), ms(floor)),
		ok: over <= maxOverFloor,
	}
}

func (r *results) callBudget() budget {
	exact := 0
	for _, c := range r.cases {
		if c.callsOK() {
			exact++
		}
	}
	return budget{
		name: "calls: ceil(n/10) GetParameters per region, one GetSecretValue " +
			"per secret; tag check: ceil(n/50) DescribeParameters, one DescribeSecret",
		limit:    "exact, every run",
		measured: fmt.Sprintf("%d of %d cases exact", exact, len(r.cases)),
		ok:       exact == len(r.cases),
	}
}

// tagBudget compares the medians with the tag check on and off: a check
// that took a round trip of its own would add a whole latency.
func (r *results) tagBudget() budget {
	worst, at := time.Duration(-1<<62), ""
	ok := true
	for _, on := range r.cases {
		if !on.tagCheck || on.latency == 0 || on.w.Mappings == 0 {
			continue
		}
		d := summarize(on.samples).median - summarize(r.twin(on).samples).median
		ok = ok && d < on.latency/2
		if d > worst {
			worst, at = d, fmt.Sprintf("%s at %d ms", on.w.Name, on.latency.Milliseconds())
		}
	}
	return budget{
		name:     "tag check adds calls but no round trip",
		limit:    "median on − off < half a request's latency",
		measured: fmt.Sprintf("at most %s (%s)", ms(worst), at),
		ok:       ok,
	}
}

// twin returns the case that differs from c only by the tag check.
func (r *results) twin(c *benchCase) *benchCase {
	for _, o := range r.cases {
		if o.w.Name == c.w.Name && o.latency == c.latency && o.tagCheck != c.tagCheck {
			return o
		}
	}
	panic("no twin of " + c.label())
}

// timeOfCases checks every case against 2 × latency + t0 + 15 ms. The
// issue states the budget at 20 ms a request; at 0 ms it leaves 15 ms for
// secret-exec's own work.
func (r *results) timeOfCases() budget {
	ok := true
	least, at := time.Duration(1<<62), ""
	for _, c := range r.cases {
		m := summarize(c.samples).median
		ok = ok && m <= r.timeBudget(c)
		if room := r.timeBudget(c) - m; room < least {
			least, at = room, fmt.Sprintf("%s: %s of %s", c.label(), ms(m), ms(r.timeBudget(c)))
		}
	}
	return budget{
		name: "time to exec (median), every case",
		limit: fmt.Sprintf("≤ %d × latency + t0 (%s) + %s", maxRoundTrips,
			ms(r.t0()), ms(maxOwnWork)),
		measured: fmt.Sprintf("least room %s (%s)", ms(least), at),
		ok:       ok,
	}
}

func (r *results) rssBudget() budget {
	var worst int64
	at := ""
	for _, c := range r.cases {
		if s := summarize(c.samples); c.w.Mappings >= bigWorkload && s.rssMax > worst {
			worst, at = s.rssMax, c.label()
		}

	}
	return budget{
		name:     fmt.Sprintf("peak RSS with %d secrets", bigWorkload),
		limit:    "≤ " + mib(maxRSS),
		measured: fmt.Sprintf("%s, the most of any run (%s)", mib(worst), at),
		ok:       worst <= maxRSS,
	}
}
