#!/usr/bin/env bash
# Runs every test of secret-exec: unit, CLI scripts, fuzz seeds, and the
# integration tests that drive the built binary against a moto server.
# Extra arguments go to `go test` (for example -race or -run).
set -euo pipefail
cd "$(dirname "$0")/.."

# The chroot test runs the static binary beside a static busybox and
# nothing else.
if ! [ -x /bin/busybox ] || ! dpkg -s busybox-static >/dev/null 2>&1; then
	echo "test.sh: installing busybox-static for the chroot test" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "test.sh: busybox-static is missing and only root can install it" >&2
		exit 1
	fi
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi

# The integration tests start their own moto server; it must be installed.
if ! python3 -c 'import moto.server, boto3' 2>/dev/null; then
	echo "test.sh: python3 lacks moto's server: pip install 'moto[server]'" >&2
	exit 1
fi
if ! command -v aws >/dev/null; then
	echo "test.sh: the aws CLI is missing: pip install awscli" >&2
	exit 1
fi

go test -count=1 "$@" ./...
