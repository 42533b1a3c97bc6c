#!/usr/bin/env bash
# Builds secret-exec as a release is built, the fake AWS endpoint, the
# floor program, the probe and the launcher, then runs the benchmark.
# Arguments go to benchexec (for example -runs 20 for a quick look); the
# Markdown report goes to stdout, progress to stderr. A full run takes
# about two minutes on two cores.
#
#   bash bench/run.sh > /tmp/bench.md
#
# Nothing leaves the machine: the fake endpoint listens on loopback and
# every run has the EC2 instance metadata turned off.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d "${TMPDIR:-/tmp}/secret-exec-bench.XXXXXX")
trap 'rm -rf "$bin"' EXIT

release() {
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin/$1" "$2"
}
echo "run.sh: building into $bin" >&2
release secret-exec ./cmd/secret-exec
release floor ./bench/floor
release probe ./bench/probe
release launch ./bench/launch
go build -o "$bin/fakeaws" ./internal/cmd/fakeaws
go build -o "$bin/benchexec" ./bench/benchexec

# Tracked files changed since the commit make the revision "-dirty".
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
"$bin/benchexec" -bin "$bin" -rev "$rev" "$@"
