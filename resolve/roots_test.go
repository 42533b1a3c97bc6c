package resolve

import (
	"crypto/x509"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFallbackRoots checks, in a process that sees no system CA files as
// in a scratch image, that the resolution path installs the bundled roots.
func TestFallbackRoots(t *testing.T) {
	if os.Getenv("SECRET_EXEC_TEST_ROOTS") == "child" {
		fallbackRoots()
		pool, err := x509.SystemCertPool()
		if err != nil || pool.Equal(x509.NewCertPool()) {
			t.Fatalf("no roots after fallbackRoots: %v", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFallbackRoots$", "-test.v")
	cmd.Env = append(os.Environ(), "SECRET_EXEC_TEST_ROOTS=child",
		"SSL_CERT_FILE=/nonexistent/ca.pem", "SSL_CERT_DIR=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFallbackRoots") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
