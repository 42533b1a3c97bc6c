// Command fakeaws serves the fake AWS endpoint of package
// internal/fakeaws to other processes: benchmark scripts and tests that
// drive a built secret-exec binary.
//
// Usage:
//
//	fakeaws [-addr 127.0.0.1:0] [-config seed.json] [-latency 20ms] [-stats-on-exit]
//
// The first line on stdout is the URL it listens on, such as
// http://127.0.0.1:41234; give it to secret-exec as AWS_ENDPOINT_URL. It
// serves until SIGINT or SIGTERM. GET /_fake/stats returns the call
// counts, POST /_fake/reset zeroes them and POST /_fake/config applies
// more data or other faults; see the package documentation for the JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/secret-exec/secret-exec/internal/fakeaws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address`")
	config := flag.String("config", "", "JSON seed and fault `file`")
	latency := flag.Duration("latency", 0, "delay every AWS request by `duration`")
	statsOnExit := flag.Bool("stats-on-exit", false, "print the stats JSON to stderr on exit")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}

	s := fakeaws.New()
	if *config != "" {
		c, err := fakeaws.LoadConfig(*config)
		if err != nil {
			fatal(err)
		}
		s.Apply(c)
	}
	if *latency > 0 {
		s.SetLatency(*latency)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-errc:
		fatal(err)
	case <-ctx.Done():
	}

	// Release hung requests first, or Shutdown would wait for them.
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if *statsOnExit {
		enc := json.NewEncoder(os.Stderr)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.Stats())
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "fakeaws:", err)
	os.Exit(1)
}
