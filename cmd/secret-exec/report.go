package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/secret-exec/secret-exec/resolve"
)

// printReport prints the --check table: one line per variable, never a
// value.
func printReport(w io.Writer, secrets []resolve.Secret) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tREFERENCE\tREGION\tVERSION\tTAGS\tSTATUS")
	for _, s := range secrets {
		status, version := "ok", s.Version
		if s.Err != nil {
			status, version = "FAILED", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Source, s.Ref.Text,
			dash(s.Region), dash(version), dash(s.Tags), status)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logSecrets prints the -v lines: where each variable came from and how
// long its fetch took, never a value.
func logSecrets(w io.Writer, secrets []resolve.Secret, total time.Duration) {
	for _, s := range secrets {
		outcome := "ok"
		if s.Err != nil {
			outcome = "failed"
		}
		fmt.Fprintf(w, "secret-exec: %s from %s: %s %s in %s, version %s, tags %s, %v: %s\n",
			s.Name, s.Source, s.Ref.Service, s.Ref.Text, dash(s.Region), dash(s.Version),
			dash(s.Tags), s.Elapsed.Round(time.Microsecond), outcome)
	}
	fmt.Fprintf(w, "secret-exec: resolved %d mappings in %v\n",
		len(secrets), total.Round(time.Microsecond))
}
