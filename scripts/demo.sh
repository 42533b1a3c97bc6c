#!/usr/bin/env bash
# demo.sh runs the README's first command against moto, a local emulator
# of AWS, so that it needs no AWS account and no network:
#
#   SECRET_EXEC_SECRETS='GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET' \
#       secret-exec -- printenv GITHUB_WEBHOOK_SECRET
#
# It builds secret-exec, starts moto on a free loopback port, stores the
# parameter with the aws CLI as Copilot would, and runs the command.
# It needs go, python3 with moto (pip install 'moto[server]') and the aws
# CLI (pip install awscli). Run it from the repository's root:
#
#   bash scripts/demo.sh
set -euo pipefail

cd "$(dirname "$0")/.."

die() {
	echo "demo: $*" >&2
	exit 1
}

step() {
	printf '\n==> %s\n' "$*"
}

command -v go >/dev/null || die "go is needed: https://go.dev/dl/"
command -v aws >/dev/null || die "the aws CLI is needed: pip install awscli"
python3 -c 'import moto.server' 2>/dev/null ||
	die "python3 with moto is needed: pip install 'moto[server]'"

work=$(mktemp -d)
moto_pid=
cleanup() {
	if [[ -n $moto_pid ]]; then
		kill "$moto_pid" 2>/dev/null || true
		wait "$moto_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

step "Building secret-exec (CGO_ENABLED=0, -trimpath) into $work"
CGO_ENABLED=0 go build -trimpath -o "$work/secret-exec" ./cmd/secret-exec
ls -l "$work/secret-exec"

port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
step "Starting moto at $endpoint"
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for ((i = 0; ; i++)); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		break
	fi
	if ! kill -0 "$moto_pid" 2>/dev/null || ((i >= 300)); then
		cat "$work/moto.log" >&2
		die "moto did not start"
	fi
	sleep 0.1
done

# Both the aws CLI and secret-exec talk to moto only, with dummy
# credentials, and never to the EC2 instance metadata.
aws_env=(
	AWS_ACCESS_KEY_ID=test
	AWS_SECRET_ACCESS_KEY=test
	AWS_EC2_METADATA_DISABLED=true
	AWS_CONFIG_FILE="$work/no-config"
	AWS_SHARED_CREDENTIALS_FILE="$work/no-credentials"
)
# secret-exec runs in a clean environment: only PATH, HOME, the AWS
# settings above and the mapping.
clean_env=(
	env -i PATH="$PATH" HOME="$work" "${aws_env[@]}" AWS_REGION=us-east-1
	AWS_ENDPOINT_URL="$endpoint"
	SECRET_EXEC_SECRETS='GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET'
)

step "Storing the parameter as Copilot does (moto answers in place of SSM)"
echo '$ aws ssm put-parameter --name GH_WEBHOOK_SECRET --value secretvalue1234' \
	'--type SecureString' \
	'--tags Key=copilot-application,Value=demo Key=copilot-environment,Value=test'
env -u AWS_PROFILE -u AWS_SESSION_TOKEN "${aws_env[@]}" AWS_DEFAULT_REGION=us-east-1 \
	aws --endpoint-url "$endpoint" ssm put-parameter \
	--name GH_WEBHOOK_SECRET --value secretvalue1234 --type SecureString \
	--tags Key=copilot-application,Value=demo Key=copilot-environment,Value=test

step "Running the README's first command"
echo "\$ SECRET_EXEC_SECRETS='GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET'" \
	'secret-exec -- printenv GITHUB_WEBHOOK_SECRET'
"${clean_env[@]}" "$work/secret-exec" -- printenv GITHUB_WEBHOOK_SECRET

step "Checking the mapping against Copilot's tag policy, running nothing"
echo "\$ SECRET_EXEC_SECRETS='GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET'" \
	'secret-exec --check --app demo --env test'
"${clean_env[@]}" "$work/secret-exec" --check --app demo --env test

step "Done: printenv, run by secret-exec, printed the parameter's value"
