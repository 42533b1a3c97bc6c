package integration

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// Fleet start: many containers start together against SSM's default
// GetParameters quota.
const (
	fleetSize    = 100
	fleetSecrets = 30
	ssmRate      = 40 // GetParameters requests a second, and the burst
)

// TestFleetStart starts 100 processes at once, 30 secrets each, against an
// endpoint that throttles above 40 requests a second. Backoff with jitter
// must bring every one of them up within the default deadline.
func TestFleetStart(t *testing.T) {
	s := fakeaws.New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	var mappings strings.Builder
	for i := range fleetSecrets {
		name := fmt.Sprintf("/fleet/secret%02d", i)
		s.PutParameter("us-east-1", fakeaws.Parameter{Name: name, Value: fmt.Sprint("v", i)})
		fmt.Fprintf(&mappings, "S%02d: %s\n", i, name)
	}
	s.SetRateLimit(fakeaws.RateLimit{Op: "GetParameters", Rate: ssmRate, Burst: ssmRate})

	env := bareEnv(t, srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"SECRET_EXEC_SECRETS="+mappings.String())
	results := make([]result, fleetSize)
	var wg sync.WaitGroup
	for i := range fleetSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, env, "--", "sh", "-c", `echo "$S00 $S29"`)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.status != 0 || r.stdout != "v0 v29\n" || r.stderr != "" {
			t.Errorf("process %d: status %d, stdout %q, stderr %q", i, r.status, r.stdout, r.stderr)
		}
	}
	st := s.Stats()
	t.Logf("%d GetParameters calls, %d throttled, for %d needed",
		st.Calls["GetParameters"], st.Faults["GetParameters"], fleetSize*3)
	if st.Faults["GetParameters"] == 0 {
		t.Error("the endpoint never throttled: the test proves nothing")
	}
}
