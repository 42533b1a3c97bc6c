package integration

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// busybox is the static shell toolbox the chroot holds besides
// secret-exec.
const busybox = "/bin/busybox"

// TestChroot runs secret-exec in a root holding nothing but itself and a
// static busybox: no libc, no CA files, no /etc at all.
func TestChroot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Fatal("TestChroot needs root to chroot: run the integration tests as root")
	}
	if err := checkStatic(busybox); err != nil {
		t.Fatalf("%v: install a static busybox with  apt-get install -y busybox-static", err)
	}
	if err := checkStatic(binary); err != nil {
		t.Fatalf("secret-exec is not static: %v", err)
	}
	root := t.TempDir()
	copyFile(t, binary, filepath.Join(root, "secret-exec"))
	copyFile(t, busybox, filepath.Join(root, "busybox"))

	name := unique("GH_WEBHOOK_SECRET")
	putParameter(t, name, "secretvalue1234", copilotTags("demo", "test")...)
	env := []string{
		"PATH=/",
		"HOME=/",
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"SECRET_EXEC_SECRETS=GITHUB_WEBHOOK_SECRET: " + name,
	}
	chroot := func(c *exec.Cmd) {
		c.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
		c.Dir = "/"
	}
	// Debian's busybox has no printenv applet; its sh prints the variable.
	show := []string{"sh", "-c", `printf '%s\n' "$GITHUB_WEBHOOK_SECRET"`}
	for _, command := range []string{"/busybox", "busybox"} {
		args := slices.Concat([]string{"--app", "demo", "--env", "test", "--", command}, show)
		r := runCommand(t, env, chroot, "/secret-exec", args...)
		expect(t, r, 0, "secretvalue1234\n", "")
	}
}

// checkStatic makes sure name is an ELF executable with no program
// interpreter, that is, one that needs no dynamic loader or libc.
func checkStatic(name string) error {
	f, err := elf.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New(name + " is dynamically linked")
		}
	}
	return nil
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
