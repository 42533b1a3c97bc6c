package integration

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secret-exec/secret-exec/bench/workload"
	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// The budgets of the benchmark issue that do not depend on the speed of
// the machine. The timing budgets are measured by bench/run.sh and written
// down in docs/benchmarks.md; they are never asserted here.
const (
	// budgetBinary is the most bytes the stripped static binary may take.
	budgetBinary = 12 << 20
	// budgetLatency delays every request of the fake endpoint, so that
	// calls started together are seen in flight together even when the
	// machine is busy with other tests.
	budgetLatency = 200 * time.Millisecond
)

// TestBudgetBinarySize builds secret-exec as a release is built and checks
// its size.
func TestBudgetBinarySize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "secret-exec")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-o", out, "../cmd/secret-exec")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stripped static binary: %d bytes (%.2f MiB)", fi.Size(), mebibytes(fi.Size()))
	if fi.Size() > budgetBinary {
		t.Errorf("the stripped static binary takes %d bytes (%.2f MiB), over the budget of "+
			"%.0f MiB", fi.Size(), mebibytes(fi.Size()), mebibytes(budgetBinary))
	}
}

func mebibytes(n int64) float64 { return float64(n) / (1 << 20) }

// TestBudgetCalls runs the built binary against an in-process fake
// endpoint and checks the calls of every benchmark workload: ceil(n/10)
// GetParameters per region, one GetSecretValue per secret and, with the
// tag check, ceil(n/50) DescribeParameters per region and one
// DescribeSecret per secret, all of them in flight at once.
func TestBudgetCalls(t *testing.T) {
	fake := fakeaws.New()
	fake.Apply(workload.Seed())
	fake.SetLatency(budgetLatency)
	counter := &budgetCounter{next: fake}
	srv := httptest.NewServer(counter)
	t.Cleanup(func() { fake.Close(); srv.Close() })
	env := append(without(awsEnv(t), "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL="+srv.URL)
	for _, w := range workload.All() {
		for _, tagCheck := range []bool{false, true} {
			name := w.Name + "/tags-off"
			if tagCheck {
				name = w.Name + "/tags-on"
			}
			t.Run(name, func(t *testing.T) {
				fake.Reset()
				counter.reset()
				budgetRun(t, env, w, tagCheck)
				counter.waitIdle(t)
				checkCalls(t, fake.Stats(), counter.most(), w.Calls(tagCheck))
			})
		}
	}
}

// budgetRun runs secret-exec with the mappings of w and checks that the
// command got every value.
func budgetRun(t *testing.T, env []string, w workload.Workload, tagCheck bool) {
	t.Helper()
	if w.Secrets != "" {
		env = append(env, "SECRET_EXEC_SECRETS="+w.Secrets)
	}
	args := append(workload.Args(tagCheck), "--", "env")
	r := run(t, env, args...)
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("status %d, want 0\nstderr: %s", r.status, r.stderr)
	}
	got := map[string]bool{}
	for line := range strings.Lines(r.stdout) {
		got[strings.TrimSuffix(line, "\n")] = true
	}
	for name, value := range w.Want {
		if !got[name+"="+value] {
			t.Errorf("the command did not get %s with its value", name)
		}
	}
}

// checkCalls compares the calls of one run with want, by operation and
// region, and checks that every call was in flight at the same moment:
// the run took one round trip, the tag check included.
func checkCalls(t *testing.T, st fakeaws.Stats, most int, want map[string]map[string]int) {
	t.Helper()
	if !maps.EqualFunc(st.CallsByRegion, want, maps.Equal) {
		t.Errorf("calls by operation and region: %v, want %v", st.CallsByRegion, want)
	}
	total := 0
	for op, byRegion := range want {
		n := 0
		for _, k := range byRegion {
			n += k
		}
		total += n
		if st.MaxInFlight[op] != n {
			t.Errorf("%d %s calls in flight together, want all %d", st.MaxInFlight[op], op, n)
		}
	}
	if most != total {
		t.Errorf("%d calls in flight together, want all %d of the run", most, total)
	}
}

// budgetCounter stands in front of the fake endpoint and counts the AWS
// requests being served together, whatever their operation.
type budgetCounter struct {
	next http.Handler
	mu   sync.Mutex
	now  int
	max  int
}

func (c *budgetCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") == "" {
		c.next.ServeHTTP(w, r) // STS and the fake's own paths
		return
	}
	c.mu.Lock()
	c.now++
	c.max = max(c.max, c.now)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
	}()
	c.next.ServeHTTP(w, r)
}

func (c *budgetCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = c.now
}

func (c *budgetCounter) most() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// waitIdle waits until no request is being served, as a handler may
// still be returning when secret-exec has read its answer and moved on.
func (c *budgetCounter) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		now := c.now
		c.mu.Unlock()
		if now == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still being served", now)
		}
		time.Sleep(time.Millisecond)
	}
}
