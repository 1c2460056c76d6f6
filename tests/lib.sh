# Shared helpers for the CLI tests (bash): "ok"/"not ok" lines, exit-code and
# output expectations, a scratch directory, and a standard fixture (three
# custodians, a 2-of-3 policy, an office and a station key, a signed order).
set -u
ROOT=${CONSIGN_TEST_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONSIGN=$BUILD/consign
DEVSIM=$BUILD/consign-devsim
TOOLS=$BUILD/tools
T=$(mktemp -d "${TMPDIR:-/tmp}/consign-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# needs COMMAND SKIP-TEXT: without COMMAND (a name on PATH, or a path) to
# run, "skip - SKIP-TEXT" and the test ends.
needs() {
	command -v "$1" >/dev/null && return 0
	skip "$2"
	exit 0
}

# built TEXT CMD...: when CMD fails (a part of consign this build should
# have is missing), "not ok - TEXT" and the test ends.
built() {
	local text=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	notok "$text"
	exit 0
}

# peak NAME CMD...: runs CMD under /usr/bin/time (needs it); prints its peak
# RSS in KiB, leaves its stdout in $T/NAME.out, stderr in $T/NAME.err and
# status in $T/NAME.rc.
peak() {
	local name=$1
	shift
	/usr/bin/time -f "%M" -o "$T/$name.rss" "$@" >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
	tail -1 "$T/$name.rss"
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc"; fi
}

# run CMD...: runs it, keeping stdout in $T/out, stderr in $T/err, status in $RC.
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# expect WANT DESC CMD...: ok when CMD exits with WANT.
expect() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$desc"
	else
		notok "$desc (exit $RC, want $want): $(head -c 400 "$T/err" | tr '\n' ' ')"
	fi
}

# expect_reason WANT REASON DESC CMD...: exit WANT and REASON in stdout or stderr.
expect_reason() {
	local want=$1 reason=$2 desc=$3
	shift 3
	run "$@"
	if [ "$RC" -eq "$want" ] && grep -q -- "$reason" "$T/out" "$T/err"; then
		ok "$desc"
	else
		notok "$desc (exit $RC, want $want with $reason): $(cat "$T/out" "$T/err" | head -c 600 | tr '\n' ' ')"
	fi
}

# has FILE PATTERN: grep -q, for check.
has() { grep -q -- "$2" "$1"; }

# keys DIR NAME...: key pairs DIR/NAME.{pub,key} with passphrase file DIR/NAME.pass.
keys() {
	local dir=$1 n
	shift
	mkdir -p "$dir"
	for n in "$@"; do
		echo "passphrase of $n" >"$dir/$n.pass"
		"$CONSIGN" keygen --id "$n" --kdf interactive --passphrase-file "$dir/$n.pass" \
			-o "$dir/$n" >/dev/null || return 1
	done
}

# sign_as DIR FILE NAME [ARGS...]: NAME signs FILE non-interactively.
sign_as() {
	local dir=$1 file=$2 n=$3
	shift 3
	"$CONSIGN" sign --key "$dir/$n.key" --passphrase-file "$dir/$n.pass" --yes "$@" "$file" >/dev/null
}

# fixture DIR [QUANTITY] [SERIALS]: keys alice bob carol office station, a
# 2-of-3 policy signed by alice and bob (DIR/policy.cbor), and an order for
# batch B42 signed by alice and bob (DIR/order.cbor).
fixture() {
	local dir=$1 qty=${2:-10} serials=${3:-1000-1999}
	keys "$dir" alice bob carol office station || return 1
	"$CONSIGN" policy create --threshold 2 --custodian "$dir/alice.pub" \
		--custodian "$dir/bob.pub" --custodian "$dir/carol.pub" --office "$dir/office.pub" \
		-o "$dir/policy.cbor" >/dev/null || return 1
	sign_as "$dir" "$dir/policy.cbor" alice || return 1
	sign_as "$dir" "$dir/policy.cbor" bob || return 1
	"$CONSIGN" order create --policy "$dir/policy.cbor" --batch B42 --product "Sensor v2" \
		--serials "$serials" --quantity "$qty" --station "$dir/station.pub" \
		-o "$dir/order.cbor" >/dev/null || return 1
	sign_as "$dir" "$dir/order.cbor" alice --policy "$dir/policy.cbor" || return 1
	sign_as "$dir" "$dir/order.cbor" bob --policy "$dir/policy.cbor" || return 1
}

# traced STRACE-ARGS...: strace, with LeakSanitizer off for the traced
# program (it cannot run under ptrace and would turn a clean exit into 86
# under make check-sanitize; the untraced runs of every test check leaks).
# STRACE is the same as a command for timeout and env.
STRACE=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
traced() { "${STRACE[@]}" "$@"; }

# kill_at_syscalls DESC STATECHECK CMD...: runs CMD once under strace to count
# its file-system calls, then again once for each of those calls, killed with
# SIGKILL as it makes it; after each kill runs STATECHECK (a function or
# command that returns 0 when what is on disk is acceptable, and may reset it
# for the next run). Prints one ok/not ok line per call kind; skips without
# strace. KILL_MAX (default 40) caps the kill points per call kind.
kill_at_syscalls() {
	local desc=$1 state=$2 sc n i bad first tried
	shift 2
	if ! command -v strace >/dev/null; then
		skip "$desc: strace is not installed, no kill points"
		return 0
	fi
	local calls=openat,write,pwrite64,fsync,fdatasync,rename,renameat2,close,unlink,unlinkat,link,linkat,ftruncate,mkdir
	# ASan's runtime opens and closes /proc/self/maps a varying number of
	# times, so under it the N-th openat or close is not the same call from
	# run to run: those two kinds are killed in the plain build's run only
	if nm "$CONSIGN" 2>/dev/null | grep -q __asan_init; then
		calls=${calls/openat,/}
		calls=${calls/,close,/,}
	fi
	traced -f -qq -e trace="$calls" -o "$T/strace.count" "$@" >/dev/null 2>&1
	"$state" >/dev/null 2>&1 || true
	for sc in ${calls//,/ }; do
		n=$(grep -c -E "^[0-9]+ +$sc\(" "$T/strace.count")
		[ "$n" -gt 0 ] || continue
		bad=0 first="" tried=0
		for ((i = n > ${KILL_MAX:-40} ? n - ${KILL_MAX:-40} + 1 : 1; i <= n; i++)); do
			tried=$((tried + 1))
			# (a child shell, so its "Killed" notice goes nowhere)
			bash -c '"$@"; exit $?' kill strace -f -qq -o /dev/null -e trace="$sc" \
				-e inject="$sc:signal=KILL:when=$i" "$@" >/dev/null 2>&1
			# strace dies of the signal its tracee got: 128 + 9
			[ $? -eq 137 ] || { bad=$((bad + 1)); [ -z "$first" ] && first="$sc #$i: not killed"; }
			if ! "$state" >"$T/state.out" 2>&1; then
				bad=$((bad + 1))
				[ -z "$first" ] && first="$sc #$i: $(head -c 300 "$T/state.out" | tr '\n' ' ')"
			fi
		done
		if [ "$bad" -eq 0 ]; then
			ok "$desc: killed at each of its last $tried $sc calls, the state is always sound"
		else
			notok "$desc: $bad of $tried kills at $sc left a bad state, first: $first"
		fi
	done
}

# checkx DESC 'EXPRESSION': ok when the shell expression (evaluated here, so
# it may use !, && and || and the caller's variables) is true.
checkx() {
	local desc=$1
	shift
	if eval "$*"; then ok "$desc"; else notok "$desc"; fi
}

# no_ctl FILE...: none of the files holds a control byte besides newline and tab
no_ctl() {
	! cat "$@" | tr -d '\n\t' | LC_ALL=C grep -q '[[:cntrl:]]'
}

# office DIR [QUANTITY] [SERIALS]: fixture DIR and a ledger DIR/L pinned to
# its policy (the office side's tests).
office() {
	fixture "$@" || return 1
	"$CONSIGN" ledger --ledger "$1/L" init --policy "$1/policy.cbor" >/dev/null
}

# office_mkb DIR MKBATCH-OPTIONS...: a synthetic batch under DIR's order,
# sealed with DIR's station key (tests/tools/mkbatch.c).
office_mkb() {
	local dir=$1
	shift
	"$TOOLS/mkbatch" --order "$dir/order.cbor" --key "$dir/station.key" \
		--passphrase-file "$dir/station.pass" "$@"
}

# office_draft DIR BATCH OUT [CREATE-OPTIONS...]: release create into DIR's
# ledger (a draft no custodian has signed).
office_draft() {
	local dir=$1 batch=$2 out=$3
	shift 3
	"$CONSIGN" release create --policy "$dir/policy.cbor" --ledger "$dir/L" "$@" "$batch" \
		-o "$out" >/dev/null
}

# office_release DIR BATCH OUT [CREATE-OPTIONS...]: office_draft, then signed
# by alice and bob.
office_release() {
	local dir=$1 out=$3
	office_draft "$@" || return 1
	sign_as "$dir" "$out" alice --policy "$dir/policy.cbor" &&
		sign_as "$dir" "$out" bob --policy "$dir/policy.cbor"
}

# insider_exclusion DIR BATCH DRAFT OUT: an insider's false "already
# released": office_draft of BATCH (DRAFT), re-signed by the office with
# device 2 excluded as record-released-key of release 1 (OUT).
insider_exclusion() {
	local dir=$1
	office_draft "$dir" "$2" "$3" &&
		"$TOOLS/relsig" "$dir/office.key" "$dir/office.pass" "$3" "$4" exclude 2 \
			record-released-key 1
}

# office_withdraw DIR SEQ OUT: the withdrawal of draft SEQ of DIR's ledger,
# signed by alice and bob (what ledger abandon needs).
office_withdraw() {
	local dir=$1 seq=$2 out=$3
	"$CONSIGN" ledger --ledger "$dir/L" withdraw "$seq" -o "$out" >/dev/null &&
		sign_as "$dir" "$out" alice --policy "$dir/policy.cbor" &&
		sign_as "$dir" "$out" bob --policy "$dir/policy.cbor"
}

# chain_of RELEASE.zip: its chain position SEQ:DIGEST (what --after takes).
chain_of() { "$CONSIGN" inspect --json "$1" | jq -r .release; }

# on_terminal SCREEN ROWSxCOLS CMD...: runs CMD on a new pseudo-terminal
# (ROWSxCOLS, or - for the kernel's default size) and answers its prompts
# from the lines "PROMPT<tab>ANSWER" on stdin: each time PROMPT appears once
# more in what CMD wrote, ANSWER and Enter are typed (after 0.2 s: a prompt
# read without echo is written once echo is off, and what was typed before
# would be flushed). What CMD wrote, carriage returns dropped, goes to
# SCREEN. Returns CMD's exit status, or 99 when a PROMPT never came or CMD
# did not end within 120 s (it is then killed). Answers never appear in a
# command line.
on_terminal() {
	python3 - "$@" 3<&0 <<'PY'
import fcntl, os, pty, select, signal, struct, sys, termios, time
screen, size, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
with os.fdopen(3) as f:
    rules = [(p.encode(), a.encode() + b"\n") for p, a in
             (line.rstrip("\n").split("\t", 1) for line in f)]
pid, fd = pty.fork()
if pid == 0:
    if size != "-":
        rows, cols = (int(n) for n in size.split("x"))
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execv(argv[0], argv)
buf, answered, end, hung = b"", [0] * len(rules), time.time() + 120, False
while True:
    if not select.select([fd], [], [], max(0, end - time.time()))[0]:
        os.kill(pid, signal.SIGKILL)
        hung = True
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
    for i, (prompt, answer) in enumerate(rules):
        while answered[i] < buf.count(prompt):
            time.sleep(0.2)
            os.write(fd, answer)
            answered[i] += 1
_, st = os.waitpid(pid, 0)
open(screen, "wb").write(buf.replace(b"\r", b""))
sys.exit(99 if hung or 0 in answered or not os.WIFEXITED(st) else os.WEXITSTATUS(st))
PY
}

# ---- the factory side (station and simulated devices) ----------------------

# station_built: this build has consign station and consign-devsim (for built).
station_built() { "$CONSIGN" station seal --help && [ -x "$DEVSIM" ]; }

# factory QUANTITY [SERIALS]: the station tests' start: the fixture in
# F=$T/f (QUANTITY devices of SERIALS, 1000-1999 by default), and at exit the
# processes listed in SIMS (simulators) and BG (others) are stopped, a
# station whose id is in ST is killed, and $T is removed.
factory() {
	SIMS="" BG="" ST=""
	trap 'sim_stop $SIMS $BG; [ -n "$ST" ] && kill -9 "$ST" 2>/dev/null; rm -rf "$T"' EXIT
	F=$T/f
	fixture "$F" "$1" "${2:-1000-1999}" || { notok "fixture"; exit 1; }
}

# sim_start NAME DEVSIM-OPTIONS...: a consign-devsim line on a new
# pseudo-terminal linked at $T/NAME.port (waits until it exists), storage in
# $T/NAME.store/, one log line per device in $T/NAME.log. Its process id is
# left in SIM_PID (stop it with sim_stop). A later --storage wins.
sim_start() {
	local name=$1 i
	shift
	mkdir -p "$T/$name.store"
	rm -f "$T/$name.port"
	"$DEVSIM" --pty "$T/$name.port" --storage "$T/$name.store" --log "$T/$name.log" "$@" \
		>>"$T/$name.out" 2>&1 &
	SIM_PID=$!
	for i in $(seq 1 500); do
		[ -L "$T/$name.port" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# sim_stop PID...: ends simulators this test started, by process id.
sim_stop() {
	local p
	for p in "$@"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

# sim_wait N FILE... : waits (up to 60 s) until the logs hold N lines in all.
sim_wait() {
	local want=$1 i
	shift
	for i in $(seq 1 6000); do
		[ "$(cat "$@" 2>/dev/null | wc -l)" -ge "$want" ] && return 0
		sleep 0.01
	done
	return 1
}

# batch_records ZIP: "serial digest key" per record of a batch zip, in order.
batch_records() {
	unzip -p "$1" records.cborseq >"$T/.records.cbor" && "$TOOLS/recls" records "$T/.records.cbor"
}

# ---- external vectors (../shared/vectors) ----------------------------------

# vectors_dir: V is the external vectors' directory ($VECTORS); without it,
# or without jq to read them, the test ends with a skip.
vectors_dir() {
	V=${VECTORS:-}
	if [ -z "$V" ] || [ ! -d "$V" ]; then
		skip "vectors: ../shared/vectors is absent"
		exit 0
	fi
	needs jq "vectors: jq is not installed"
}

# vector_cases TOOL NAME LIST: runs tests/tools/TOOL on LIST (one case a
# line), shows its output and a "# vectors:" summary line. Leaves the number
# of cases in VN, of ok/not ok lines in VGOT, and the output in $T/vec.out,
# its last line "exit STATUS".
vector_cases() {
	local tool=$1 name=$2 list=$3
	VN=$(wc -l <"$list")
	"$TOOLS/$tool" <"$list" >"$T/vec.out" 2>&1
	echo "exit $?" >>"$T/vec.out"
	cat "$T/vec.out"
	VGOT=$(grep -c -E '^(ok|not ok) - ' "$T/vec.out")
	echo "# vectors: $name: $VN cases, $VGOT checks, $(grep -c '^ok - ' "$T/vec.out") ok"
}

# jq filters for the COSE examples: a header map as "-" (empty) or
# KEY=VALUE,...; a text as the hex of its bytes (the examples are ASCII)
JQ_HDR='if . == null or . == {} then "-" else (to_entries | map("\(.key)=\(.value)") | join(",")) end'
JQ_HEX='explode | map(. as $c | "0123456789abcdef"[($c/16|floor):($c/16|floor)+1] + "0123456789abcdef"[($c%16):($c%16)+1]) | join("")'
