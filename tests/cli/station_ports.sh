# One station per serial port: a second station collect on a port the first
# holds is refused at start with one line naming the port and the holder
# (port-busy, exit 2), as root too, and the first provisions every device
# with no device-serial-mismatch; the UUCP lock file in /var/lock names the
# holder while it runs, is taken over from a process that has ended, binds
# another program that keeps one, and is gone after a normal end, SIGTERM,
# SIGINT or an error; a lost line that comes back as another node moves the
# lock file with it. A port that does not exist or is not a terminal is a
# usage error at start (exit 2, one line), before any journal is made.
. "$(dirname "$0")/../lib.sh"
SIMS=""
ST=""
NB=""
SLEEPER=""
LOCKS=""
# the lock files of this test's ports that still name no live process (a
# station killed here, a planted one); a live one belongs to whoever has the
# pseudo-terminal's number now
cleanup() {
	local f p
	[ -n "$SIMS" ] && kill -CONT $SIMS 2>/dev/null
	sim_stop $SIMS
	[ -n "$ST" ] && kill -9 "$ST" 2>/dev/null && wait "$ST" 2>/dev/null
	[ -n "$SLEEPER" ] && kill "$SLEEPER" 2>/dev/null && wait "$SLEEPER" 2>/dev/null
	for f in $LOCKS; do
		p=$(tr -d ' \n' 2>/dev/null <"$f") || continue
		case "$p" in '' | *[!0-9]*) rm -f "$f" ;; *) kill -0 "$p" 2>/dev/null || rm -f "$f" ;; esac
	done
	[ -n "$NB" ] && rm -rf "$NB"
	rm -rf "$T"
}
trap cleanup EXIT
F=$T/f
fixture "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
POL=(--policy "$F/policy.cbor")
LOCKDIR=/var/lock
uucp=0
[ -d "$LOCKDIR" ] && [ -w "$LOCKDIR" ] && uucp=1

# lockfile LINK: the UUCP lock file of the node LINK points at (pts/3: LCK..pts_3)
lockfile() {
	local r
	r=$(readlink -f "$1")
	r=${r#/dev/}
	echo "$LOCKDIR/LCK..${r//\//_}"
}
# pid_in FILE: the PID a lock file holds, or nothing
pid_in() { { tr -d ' \n' <"$1"; } 2>/dev/null; }
# wait_for CMD...: up to 10 s until CMD succeeds
wait_for() {
	for _ in $(seq 1 1000); do
		"$@" && return 0
		sleep 0.01
	done
	return 1
}
# one_line DESC WANT-EXIT PATTERN: the last run exited WANT with exactly one
# line on stderr matching PATTERN, nothing on stdout
one_line() {
	local desc=$1 want=$2 pat=$3
	if [ "$RC" -eq "$want" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$pat" "$T/err" &&
		[ ! -s "$T/out" ]; then
		ok "$desc"
	else
		notok "$desc (exit $RC, want $want): $(cat "$T/out" "$T/err" | head -c 400 | tr '\n' ' ')"
	fi
}
# finish PID: waits up to 60 s for a station started in the background; its
# exit status in RC (killed: 137)
finish() {
	for _ in $(seq 1 6000); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.01
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
	RC=$?
	ST=""
}
# second DESC PATTERN JOURNAL: a second station, as this user, on the first
# one's port with the same order and JOURNAL of its own: refused at start
# (one line matching PATTERN, exit 2), and JOURNAL is not made
second() {
	run timeout 10 "$CONSIGN" station collect --order "$T/g/order.cbor" --policy "$T/g/policy.cbor" \
		--port "$T/a.port" --journal "$3"
	one_line "$1" 2 "$2"
	check "and makes no journal" [ ! -e "$3" ]
}
dead_pid() {
	local p
	sh -c 'echo $$' >"$T/deadpid"
	p=$(cat "$T/deadpid")
	kill -0 "$p" 2>/dev/null && return 1
	echo "$p"
}

# ---- two stations on one port ---------------------------------------------
# Six devices on the line; the second stations come with the same order
# and a journal of their own, as a second operator would. After the first, the simulator is stopped
# (SIGSTOP) in the middle of the line's work while the second stations come,
# so the first is surely waiting on the line then (its --timeout covers the
# pause), and continued after.
fixture "$T/g" 6 1000-1999 >/dev/null || notok "fixture of the first station's order"
sim_start a --policy "$T/g/policy.cbor" --serial 1000 --count 6 --stall 300 --linger 3000 ||
	notok "simulator a starts"
SIMS="$SIMS $SIM_PID"
SA=$SIM_PID
"$CONSIGN" station collect --order "$T/g/order.cbor" --policy "$T/g/policy.cbor" \
	--port "$T/a.port" --journal "$T/ja" --timeout 60000 >"$T/a1.out" 2>"$T/a1.err" &
ST=$!
A=$ST
LA=$(lockfile "$T/a.port")
[ "$uucp" -eq 1 ] && LOCKS="$LOCKS $LA"
sim_wait 1 "$T/a.log" || notok "the first station provisions a device"
kill -STOP "$SA"
if [ "$uucp" -eq 1 ]; then
	check "the first station's lock file names it (HDB: 10 columns and a newline)" \
		[ "$(cat "$LA")" = "$(printf '%10d' "$A")" ]
	check "the lock file is 11 bytes" [ "$(stat -c %s "$LA")" -eq 11 ]
else
	skip "$LOCKDIR is not a writable directory here: no UUCP lock file to check"
fi
HOLDER="process $A"
[ "$uucp" -eq 1 ] || HOLDER="another process"

# the second station as a user without privileges: the line is open for
# exclusive use (TIOCEXCL), and the holder is named from the lock file
NODE=$(readlink -f "$T/a.port")
if [ "$(id -u)" -ne 0 ]; then
	second "a second station (not root) on a held port is refused at start" \
		"^consign: $T/a.port: in use by $HOLDER.*(port-busy)\$" "$T/jb"
elif command -v setpriv >/dev/null && getent passwd 65534 >/dev/null; then
	# nobody gets copies it can read, and the node itself (the test's
	# directory is private); the node is the test's own pseudo-terminal
	NB=$(mktemp -d /tmp/consign-nb.XXXXXX)
	chmod 755 "$NB"
	cp "$CONSIGN" "$T/g/order.cbor" "$T/g/policy.cbor" "$NB/"
	chmod 644 "$NB/order.cbor" "$NB/policy.cbor"
	mkdir -m 777 "$NB/w"
	chmod o+rw "$NODE"
	run timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$NB/consign" station \
		collect --order "$NB/order.cbor" --policy "$NB/policy.cbor" --port "$NODE" \
		--journal "$NB/w/jb"
	chmod o-rw "$NODE"
	one_line "a second station (not root) on a held port is refused at start" 2 \
		"^consign: $NODE: in use by $HOLDER.*(port-busy)\$"
	check "and makes no journal" [ ! -e "$NB/w/jb" ]
else
	skip "a second station as a user without privileges: no setpriv or no user 65534"
fi

# the second station as root: TIOCEXCL does not bind root, the flock does
if [ "$(id -u)" -eq 0 ]; then
	second "a second station as root on a held port is refused at start" \
		"^consign: $T/a.port: in use by $HOLDER.*(port-busy)\$" "$T/jr1"
	if [ "$uucp" -eq 1 ]; then
		# with the lock file out of the way only the flock is left
		mv "$LA" "$T/lck.saved"
		second "the device node's flock alone keeps a second station as root off" \
			"^consign: $T/a.port: in use by another process: it holds the port's flock (port-busy)\$" \
			"$T/jr3"
		mv "$T/lck.saved" "$LA"
		check "and it makes no lock file of its own" [ "$(pid_in "$LA")" = "$A" ]
	fi
else
	skip "a second station as root on a held port: the test is not running as root"
fi

check "the first station is still at work after the second ones" kill -0 "$A"
kill -CONT "$SA"
# and once more while the devices answer: the case that took a device
if [ "$(id -u)" -eq 0 ]; then
	second "a second station as root is refused while the line is at work" \
		"^consign: $T/a.port: in use by $HOLDER.*(port-busy)\$" "$T/jr2"
fi
finish "$A"
check "the first station provisions all six devices (exit $RC)" [ "$RC" -eq 0 ]
check "it journaled six of six" has "$T/a1.out" "6 of 6 journaled (6 by this run"
check "no device was refused on its line (no device-serial-mismatch)" [ ! -s "$T/a1.err" ]
check "every device on the line was told it is done" [ "$(grep -c '^done ' "$T/a.log")" -eq 6 ]
check "no device was refused or lost" [ "$(grep -vc '^done ' "$T/a.log")" -eq 0 ]
[ "$uucp" -eq 1 ] && check "its lock file is gone when it ends" [ ! -e "$LA" ]
expect 0 "its journal seals" "$CONSIGN" station seal --key "$T/g/station.key" \
	--passphrase-file "$T/g/station.pass" --order "$T/g/order.cbor" --journal "$T/ja" -o "$T/a.zip"
expect 0 "and the batch verifies" "$CONSIGN" verify --policy "$T/g/policy.cbor" "$T/a.zip"
check "with all six records" has "$T/out" "6 of 6 records pass"
sim_stop "$SIM_PID"

# ---- the UUCP lock file ------------------------------------------------------
if [ "$uucp" -eq 1 ]; then
	sim_start b "${POL[@]}" --serial 1100 --count 2 --linger 60000 || notok "simulator b starts"
	SIMS="$SIMS $SIM_PID"
	LB=$(lockfile "$T/b.port")
	LOCKS="$LOCKS $LB"

	# another program that keeps the convention holds the port
	sleep 60 &
	SLEEPER=$!
	# named by what it runs once it runs it
	wait_for grep -qx sleep "/proc/$SLEEPER/comm" || notok "the sleeper runs"
	printf '%10d\n' "$SLEEPER" >"$LB"
	run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
		--port "$T/b.port" --journal "$T/jl"
	one_line "a port whose lock file names a live process is refused" 2 \
		"^consign: $T/b.port: in use by process $SLEEPER (sleep), lock file $LB (port-busy)\$"
	check "its lock file is left as it was" [ "$(pid_in "$LB")" = "$SLEEPER" ]
	check "no journal is made" [ ! -e "$T/jl" ]
	kill "$SLEEPER"
	wait "$SLEEPER" 2>/dev/null
	SLEEPER=""

	echo "garbage" >"$LB"
	run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
		--port "$T/b.port" --journal "$T/jl"
	one_line "a lock file that names no process is not taken over" 2 \
		"^consign: $T/b.port: its lock file $LB names no process.*(port-busy)\$"

	# a stale lock of a process that has ended is taken over
	DEAD=$(dead_pid)
	if [ -n "$DEAD" ]; then
		printf '%10d\n' "$DEAD" >"$LB"
		fixture "$T/s" 2 1000-1999 >/dev/null || notok "fixture of the stale-lock order"
		sim_stop "$SIM_PID"
		sim_start b --policy "$T/s/policy.cbor" --serial 1100 --count 2 --stall 300 --linger 60000 ||
			notok "simulator b restarts"
		SIMS="$SIMS $SIM_PID"
		LB=$(lockfile "$T/b.port")
		LOCKS="$LOCKS $LB"
		printf '%10d\n' "$DEAD" >"$LB"
		"$CONSIGN" station collect --order "$T/s/order.cbor" --policy "$T/s/policy.cbor" \
			--port "$T/b.port" --journal "$T/js" >"$T/s.out" 2>"$T/s.err" &
		ST=$!
		S=$ST
		check "a stale lock file (process $DEAD has ended) is taken over" \
			wait_for eval '[ "$(pid_in "$LB")" = "$S" ]'
		finish "$S"
		check "and the station provisions its devices (exit $RC)" [ "$RC" -eq 0 ]
		check "both of them" has "$T/s.out" "2 of 2 journaled"
		check "its lock file is gone when it ends" [ ! -e "$LB" ]
	else
		skip "no process id that has ended could be found for a stale lock file"
	fi
	sim_stop "$SIM_PID"

	# released on SIGTERM, on SIGINT and when the run fails after the ports were taken
	sim_start c "${POL[@]}" --serial 1200 --count 1 --linger 60000 || notok "simulator c starts"
	SIMS="$SIMS $SIM_PID"
	LC=$(lockfile "$T/c.port")
	LOCKS="$LOCKS $LC"
	for sig in TERM INT; do
		"$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" --port "$T/c.port" \
			--journal "$T/jc" --quiet >/dev/null 2>"$T/c.err" &
		ST=$!
		C=$ST
		check "the station holds the lock file (SIG$sig)" wait_for eval '[ "$(pid_in "$LC")" = "$C" ]'
		kill -"$sig" "$C"
		finish "$C"
		check "SIG$sig stops it (exit $RC, 1: before its quantity)" [ "$RC" -eq 1 ]
		check "and its lock file is gone" [ ! -e "$LC" ]
	done
	fixture "$T/o" 3 1000-1999 >/dev/null || notok "another order"
	run timeout 10 "$CONSIGN" station collect --order "$T/o/order.cbor" --port "$T/c.port" \
		--journal "$T/jc"
	checkx "another order's journal stops the station after it took the port (journal-order)" \
		'[ "$RC" -eq 1 ] && grep -q "(journal-order)" "$T/err"'
	check "and its lock file is gone" [ ! -e "$LC" ]
	sim_stop "$SIM_PID"
else
	skip "$LOCKDIR is not a writable directory here: the lock file cases"
fi

# ---- a system without a usable /var/lock -------------------------------------
# In a mount namespace of its own, /var/lock is a read-only file system: the
# station does without the lock file, and the flock still keeps a second
# one off.
if [ "$(id -u)" -eq 0 ] && [ -d "$LOCKDIR" ] &&
	unshare -m sh -c 'mount -t tmpfs -o ro none "$(readlink -f /var/lock)"' 2>/dev/null; then
	# nolock CMD...: CMD with /var/lock read-only
	nolock() {
		unshare -m sh -c 'mount -t tmpfs -o ro none "$(readlink -f /var/lock)" && exec "$@"' sh "$@"
	}
	fixture "$T/n" 2 1000-1999 >/dev/null || notok "fixture of the read-only case"
	sim_start n --policy "$T/n/policy.cbor" --serial 1500 --count 2 --stall 300 --linger 60000 ||
		notok "simulator n starts"
	SIMS="$SIMS $SIM_PID"
	SN=$SIM_PID
	LN=$(lockfile "$T/n.port")
	nolock "$CONSIGN" station collect --order "$T/n/order.cbor" --policy "$T/n/policy.cbor" \
		--port "$T/n.port" --journal "$T/jn" >"$T/n.out" 2>"$T/n.err" &
	ST=$!
	N1=$ST
	sim_wait 1 "$T/n.log" || notok "the station without a lock directory provisions a device"
	kill -STOP "$SN"
	run nolock timeout 10 "$CONSIGN" station collect --order "$T/n/order.cbor" \
		--policy "$T/n/policy.cbor" --port "$T/n.port" --journal "$T/jn2"
	one_line "without a lock directory, a second station is refused by the flock" 2 \
		"^consign: $T/n.port: in use by another process: it holds the port's flock (port-busy)\$"
	check "the first made no lock file in the real /var/lock" [ ! -e "$LN" ]
	kill -CONT "$SN"
	finish "$N1"
	check "the station without a lock directory finishes (exit $RC)" [ "$RC" -eq 0 ]
	check "with no warning or refusal" [ ! -s "$T/n.err" ]
	sim_stop "$SN"
else
	skip "a read-only /var/lock: needs root and unshare -m"
fi

# ---- a line lost and back as another node ------------------------------------
# The simulator goes after its first device and a new one comes behind the
# same name on another pseudo-terminal (made while the old one is still
# there, so its number differs), as a USB adapter plugged in again may.
fixture "$T/d" 3 1000-1999 >/dev/null || notok "fixture of the lost-line order"
sim_start d --policy "$T/d/policy.cbor" --serial 1300 --count 1 --linger 60000 ||
	notok "simulator d starts"
D1=$SIM_PID
SIMS="$SIMS $D1"
LD1=$(lockfile "$T/d.port")
"$CONSIGN" station collect --order "$T/d/order.cbor" --policy "$T/d/policy.cbor" \
	--port "$T/d.port" --journal "$T/jd" >"$T/d.out" 2>"$T/d.err" &
ST=$!
DS=$ST
sim_wait 1 "$T/d.log" || notok "the first device on the line is done"
sim_start d2 --policy "$T/d/policy.cbor" --serial 1301 --count 2 --stall 500 --linger 60000 ||
	notok "simulator d comes back"
SIMS="$SIMS $SIM_PID"
LD2=$(lockfile "$T/d2.port")
[ "$uucp" -eq 1 ] && LOCKS="$LOCKS $LD1 $LD2"
sim_stop "$D1"
check "the station sees the line go" wait_for grep -q "d.port: .*trying again" "$T/d.err"
# the simulator removes its link when it ends; the new line takes the name
ln -sfn "$(readlink "$T/d2.port")" "$T/d.port"
[ "$uucp" -eq 1 ] && check "and takes the new node's lock file when it comes back" \
	wait_for eval '[ "$(pid_in "$LD2")" = "$DS" ]'
[ "$uucp" -eq 1 ] && check "and lets the old node's lock file go" [ ! -e "$LD1" ]
finish "$DS"
check "the station finishes on the line that came back (exit $RC)" [ "$RC" -eq 0 ]
check "with all three devices" has "$T/d.out" "3 of 3 journaled"
check "it said the port is open again" has "$T/d.out" "d.port: port open"
if [ "$uucp" -eq 1 ]; then
	check "the line came back as another node ($LD1, $LD2)" [ "$LD1" != "$LD2" ]
	checkx "no lock file is left of either node" '[ ! -e "$LD1" ] && [ ! -e "$LD2" ]'
fi
sim_stop "$SIM_PID"

# ---- ports that are not there or not terminals -------------------------------
sim_start e "${POL[@]}" --serial 1400 --count 1 --linger 60000 || notok "simulator e starts"
SIMS="$SIMS $SIM_PID"
LE=$(lockfile "$T/e.port")
[ "$uucp" -eq 1 ] && LOCKS="$LOCKS $LE"
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
	--port "$T/nowhere" --journal "$T/jm"
one_line "a port that does not exist is a usage error at start" 2 \
	"^consign: $T/nowhere: no such port (usage)\$"
check "and no journal is made" [ ! -e "$T/jm" ]
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
	--port "$F/order.cbor" --journal "$T/jm"
one_line "a regular file given as a port is a usage error at start" 2 \
	"^consign: $F/order.cbor: not a serial port: a regular file (usage)\$"
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
	--port /dev/null --journal "$T/jm"
one_line "a device that is not a terminal is a usage error at start" 2 \
	"^consign: /dev/null: not a serial port: a device that is not a terminal (usage)\$"
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
	--port "$T/e.port" --port "$T/nowhere" --journal "$T/jm"
one_line "one missing port of two is a usage error at start, naming it" 2 \
	"^consign: $T/nowhere: no such port (usage)\$"
check "and no journal is made" [ ! -e "$T/jm" ]
check "the good port was not used: its device heard nothing" [ ! -s "$T/e.log" ]
[ "$uucp" -eq 1 ] && check "and its lock file is gone" [ ! -e "$LE" ]
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" "${POL[@]}" \
	--port "$T/e.port" --port "$(readlink -f "$T/e.port")" --journal "$T/jm"
one_line "one device under two names is a usage error at start" 2 \
	"^consign: $(readlink -f "$T/e.port"): the same device as --port $T/e.port (usage)\$"
check "the device is still free for a station" [ ! -s "$T/e.log" ]
