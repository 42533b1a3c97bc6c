package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// TestSignalWhileResolving sends a signal while a fetch hangs: secret-exec
// ends at once with 128+n and runs nothing.
func TestSignalWhileResolving(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			s := fakeaws.New()
			srv := httptest.NewServer(s)
			defer srv.Close()
			defer s.Close()
			s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "hung-value"})
			s.SetFaults(fakeaws.Fault{Op: "GetParameters", Kind: fakeaws.Hang})

			marker := t.TempDir() + "/ran"
			cmd := exec.Command("secret-exec", "--", "sh", "-c", "touch "+marker)
			cmd.Env = append(fakeEnv(t, srv.URL), "SECRET_EXEC_SECRETS=P: p")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return s.Calls("GetParameters") > 0 })
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v to stop", took)
			}
			if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) {
				t.Errorf("exit status %d (%v), want %d", code, err, 128+int(sig))
			}
			if out.Len() != 0 {
				t.Errorf("output %q, want none", out.String())
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the command ran")
			}
		})
	}
}

// fakeEnv is a clean environment that points secret-exec at url and
// nowhere else.
func fakeEnv(t *testing.T, url string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret-key-test",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTooLarge gives the command a value over the kernel's limit for one
// environment string: the exec fails with E2BIG, reported as such.
func TestTooLarge(t *testing.T) {
	s := fakeaws.New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	big := bytes.Repeat([]byte("x"), 200<<10)
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "big", Value: string(big)})

	cmd := exec.Command("secret-exec", "--", "true")
	cmd.Env = append(fakeEnv(t, srv.URL), "SECRET_EXEC_SECRETS=BIG: big")
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitCannotExec {
		t.Errorf("exit status %d, want %d", code, exitCannotExec)
	}
	want := "secret-exec: true: cannot execute: arguments and environment"
	if !bytes.HasPrefix(out, []byte(want)) || !bytes.Contains(out, []byte("(E2BIG)")) {
		t.Errorf("output %q, want %q... (E2BIG)", out, want)
	}
	if bytes.Contains(out, []byte("xxxx")) {
		t.Errorf("the value leaked into the output")
	}
}

// TestIgnoredSignalsStayIgnored starts secret-exec with SIGHUP and SIGINT
// ignored, as nohup or a background job does: the command must inherit
// them ignored, with or without --init.
func TestIgnoredSignalsStayIgnored(t *testing.T) {
	s := fakeaws.New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	s.PutParameter("us-east-1", fakeaws.Parameter{Name: "p", Value: "v"})
	for _, init := range []string{"", "--init"} {
		script := `trap "" HUP INT; exec secret-exec ` + init +
			` -- grep SigIgn /proc/self/status`
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(fakeEnv(t, srv.URL), "SECRET_EXEC_SECRETS=P: p")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		var mask uint64
		if _, err := fmt.Sscanf(string(out), "SigIgn: %x", &mask); err != nil {
			t.Fatalf("%s: %q: %v", script, out, err)
		}
		const hupInt = 1<<(syscall.SIGHUP-1) | 1<<(syscall.SIGINT-1)
		if mask&hupInt != hupInt {
			t.Errorf("%s: SigIgn %x, want SIGHUP and SIGINT ignored", script, mask)
		}
	}
}
