package proctest

// The scripts are run as sh -c script dir: each gets a directory of its
// own as $0 and leaves there what it saw.

// Idle waits for a signal, but for at most about 15 s, so that a command
// a failed test leaves behind ends by itself. It exits 99.
const Idle = `i=0; while [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; exit 99`

// StartsScript records each start of the command with the value of $P in
// the file starts, and exits 0 on SIGTERM.
const StartsScript = `cd "$0"; echo "start $P" >>starts; trap 'exit 0' TERM; ` + Idle

// ReapScript starts an orphan that records its parent and exits, then
// checks that the orphan was given to the command's parent, secret-exec,
// and that secret-exec reaped it: a zombie would keep its /proc entry.
const ReapScript = `cd "$0" || exit 91
(sh -c 'echo $$ >orphan.pid; sleep 0.1
	cut -d" " -f4 /proc/$$/stat >ppid.tmp; mv ppid.tmp orphan.ppid' &)
until [ -e orphan.ppid ]; do sleep 0.01; done
parent=$(cat orphan.ppid)
[ "$parent" = "$PPID" ] || { echo "orphan's parent $parent, want $PPID"; exit 1; }
pid=$(cat orphan.pid) n=0
while [ -e /proc/$pid ]; do
	n=$((n+1))
	[ $n -lt 250 ] || { echo "orphan not reaped: $(cat /proc/$pid/stat)"; exit 1; }
	sleep 0.02
done
`

// InitCase is a command for secret-exec --init as PID 1 of a PID
// namespace, and the exit status secret-exec must then end with.
type InitCase struct {
	Name, Script string
	Status       int
}

// InitCases are the commands that secret-exec as PID 1 must report as
// their own status: an exit, deaths by signal, and a run whose orphans
// must all be reaped, with no zombie left in the namespace.
var InitCases = []InitCase{
	{"exit status", "exit 3", 3},
	{"killed by SIGKILL", "kill -KILL $$", 128 + 9},
	{"killed by SIGTERM", "kill -TERM $$", 128 + 15},
	{"orphans reaped", ReapScript + `
		if grep ') Z ' /proc/[0-9]*/stat; then echo zombies left; exit 1; fi`, 0},
}
