package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secret-exec/secret-exec/bench/workload"
	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

// fake is a running fakeaws command.
type fake struct {
	url     string
	cmd     *exec.Cmd
	client  *http.Client
	latency time.Duration
}

// startFake starts the fakeaws command seeded with every workload's data
// and returns once it has printed its URL.
func startFake(bin, dir string) (*fake, error) {
	seed, err := workload.SeedJSON()
	if err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(config, seed, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-config", config)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stderr = os.Stderr
	// Should benchexec die without stopping it, it goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("fakeaws printed no URL: %w", err)
	}
	f := &fake{url: strings.TrimSpace(line), cmd: cmd,
		client: &http.Client{Timeout: 10 * time.Second}}
	return f, nil
}

// stop ends the fakeaws command and waits for it.
func (f *fake) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	_ = f.cmd.Wait()
}

// setLatency delays every later AWS request by d.
func (f *fake) setLatency(d time.Duration) error {
	if d == f.latency {
		return nil
	}
	body := fmt.Sprintf(`{"latency": %q}`, d.String())
	if err := f.post("/_fake/config", body); err != nil {
		return err
	}
	f.latency = d
	return nil
}

// reset zeroes the fake's counters.
func (f *fake) reset() error {
	return f.post("/_fake/reset", "")
}

func (f *fake) post(path, body string) error {
	resp, err := f.client.Post(f.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// stats reads the fake's counters.
func (f *fake) stats(ctx context.Context) (*fakeaws.Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/_fake/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New("GET /_fake/stats: " + resp.Status)
	}
	var st fakeaws.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("GET /_fake/stats: %w", err)
	}
	return &st, nil
}
