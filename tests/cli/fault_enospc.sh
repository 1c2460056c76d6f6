# A full disk (ENOSPC), a failing fsync (EIO) and a vanished target directory (EXDEV, ENOENT)
# injected by strace into running commands: exit 3, one line, the old state kept, then success.
. "$(dirname "$0")/../lib.sh"
SIMS=""
trap 'sim_stop $SIMS; rm -rf "$T"' EXIT
if ! command -v strace >/dev/null; then
	skip "injected ENOSPC, EIO, EXDEV: strace is not installed"
	exit 0
fi
if ! strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=1 true; then
	notok "strace cannot trace or inject here (is ptrace allowed?)"
	exit 0
fi
F=$T/f
fixture "$F" 4 1000-1999 >/dev/null 2>&1 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
W=$T/w
mkdir -p "$W"

# errno names and what strerror says of them
declare -A SAYS=([ENOSPC]="No space left on device" [EIO]="Input/output error"
	[EXDEV]="Invalid cross-device link" [ENOENT]="No such file or directory")

# count_run CMD...: CMD once under strace -y (file names for descriptors),
# every call of the kinds injected here kept in $T/points.tr
count_run() {
	traced -f -qq -y -e trace=write,pwrite64,fsync,fdatasync,rename,renameat2 \
		-o "$T/points.tr" "$@" >/dev/null 2>&1
}

# points SC PATTERN: from the last count_run, the numbers (as inject's when=
# counts them: per thread) of the first, middle and last SC calls whose strace
# line matches PATTERN (an ERE); a number another thread also reaches is left
# out, since when= would hit that thread's call too
points() {
	awk -v sc="$1(" -v pat="$2" '
		{ tid = $1; line = $0; sub(/^[0-9]+ +/, "", line) }
		index(line, sc) != 1 { next }
		{ k = ++calls[tid]; if (line ~ pat) { ct[++n] = tid; ck[n] = k } }
		END {
			for (i = 1; i <= n; i++) {
				ok = 1
				for (t in calls) if (t != ct[i] && calls[t] >= ck[i]) ok = 0
				if (ok) s[++m] = ck[i]
			}
			if (m > 0) print s[1]
			if (m > 2) print s[int((m + 1) / 2)]
			if (m > 1) print s[m]
		}' "$T/points.tr"
}

# what_at SC N: the strace line of that call in the last count_run (for messages)
what_at() {
	awk -v sc="$1(" -v n="$2" '
		{ line = $0; sub(/^[0-9]+ +/, "", line) }
		index(line, sc) == 1 && ++calls[$1] == n { print line; exit }' "$T/points.tr" |
		sed -E 's/^[a-z0-9_]+\(//; s/^[0-9]+<([^>]*)>.*/\1/; s/^"([^"]*)", "([^"]*)".*/\1 -> \2/;
			s/^AT_FDCWD<[^>]*>, "([^"]*)", AT_FDCWD<[^>]*>, "([^"]*)".*/\1 -> \2/' |
		sed "s|$T/||g"
}

# inject SC ERRNO N CMD...: CMD with its N-th SC call (in each thread) failing
# with ERRNO; stdout, stderr and status in $T/out, $T/err and $RC
inject() {
	local sc=$1 err=$2 n=$3
	shift 3
	run traced -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:error=$err:when=$n" "$@"
}

# snapshot DIR...: remembers the directories as they are (for reset and same)
snapshot() {
	local d
	rm -rf "$T/snap"
	mkdir -p "$T/snap"
	SNAP=("$@")
	for d in "$@"; do cp -a "$d" "$T/snap/$(echo "$d" | tr / _)"; done
	if [ -n "${LEDGER:-}" ]; then
		"$CONSIGN" ledger --ledger "$LEDGER" --json >"$T/snap/ledger.json" 2>&1
	fi
}

# reset: the directories back as snapshot saw them
reset() {
	local d
	for d in "${SNAP[@]}"; do
		rm -rf "$d"
		cp -a "$T/snap/$(echo "$d" | tr / _)" "$d"
	done
}

# same: the directories hold what they held (the same names; the same bytes
# but in a ledger, whose SQLite file may be rewritten, where its --json state
# must be the same); prints what differs
same() {
	local d s bad=0
	for d in "${SNAP[@]}"; do
		s=$T/snap/$(echo "$d" | tr / _)
		if [ "$d" = "${LEDGER:-}" ]; then
			if [ "$(cd "$s" && find . | sort)" != "$(cd "$d" && find . | sort)" ]; then
				echo "files in ${d#"$T"/}: $(diff <(cd "$s" && find . | sort) \
					<(cd "$d" && find . | sort) | grep '^[<>]' | tr '\n' ' ')"
				bad=1
			fi
			if ! "$CONSIGN" ledger --ledger "$d" --json 2>&1 | cmp -s - "$T/snap/ledger.json"; then
				echo "the ledger's --json state changed"
				bad=1
			fi
		elif ! diff -rq "$s" "$d" >"$T/diff" 2>&1; then
			sed -E "s|^Files $s/?([^ ]*) and ([^ ]*) differ|\2 changed|;
				s|^Only in $s(/[^:]*)?: (.*)|$d\1/\2 is gone|; s|^Only in ([^:]*): (.*)|\1/\2 appeared|;
				s|$T/||g" "$T/diff" | tr '\n' ' '
			echo
			bad=1
		fi
	done
	return "$bad"
}

# faults NAME SC:ERRNO:FILE:PATTERN... -- CMD...: for the first, middle and
# last calls of kind SC whose strace line matches PATTERN (an ERE, found in a
# first traced run of CMD), each time from the snapshot: CMD with that call
# failing with ERRNO must exit 3 with one line on stderr naming FILE (a part of
# its path) with the reason, leave the snapshot's state as it was, and then
# succeed when run again as it is. The one exception is the sync of a
# directory after a rename (the new file is already in place and cannot be
# taken back): its one line must say so ("in place, but a power cut may undo
# it"), or, for keygen and the ledger, that the new file was not kept.
faults() {
	local name=$1 spec sc err file pat n why ns specs=()
	shift
	while [ "$1" != -- ]; do specs+=("$1"); shift; done
	shift
	reset
	count_run "$@"
	reset
	for spec in "${specs[@]}"; do
		IFS=: read -r sc err file pat <<<"$spec"
		ns=$(points "$sc" "$pat")
		if [ -z "$ns" ]; then
			notok "$name: no $sc call matching '$pat' to fail"
			continue
		fi
		for n in $ns; do
			why=""
			target=$(what_at "$sc" "$n")
			inject "$sc" "$err" "$n" "$@"
			cp "$T/err" "$T/err.fault"
			[ "$RC" -eq 3 ] || why="$why; exit $RC, want 3"
			if [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q -F -- "$file" "$T/err" ||
				! grep -q -E -- "(${SAYS[$err]}|${SQLSAYS:-@@}) \(io\)$" "$T/err"; then
				why="$why; stderr: $(head -c 300 "$T/err" | tr '\n' '|')"
			fi
			if [ "$sc" = fsync ] && [ -d "$T/$target" ] &&
				grep -q "in place, but a power cut may undo it: cannot sync directory" "$T/err"; then
				: # said so; what is in place is the complete new file
			else
				same >"$T/same.out" || why="$why; $(head -c 400 "$T/same.out" | tr '\n' ' ')"
				run "$@"
				[ "$RC" -eq 0 ] ||
					why="$why; then without the fault: exit $RC: $(head -c 200 "$T/err" | tr '\n' ' ')"
			fi
			reset
			[ -n "${FAULT_VERBOSE:-}" ] && echo "# $(head -c 300 "$T/err.fault" | tr '\n' '|')"
			if [ -z "$why" ]; then
				ok "$name: $sc #$n ($(what_at "$sc" "$n")) fails with $err: exit 3," \
					"one line naming ${file#"$T"/}, state intact, then succeeds"
			else
				notok "$name: $sc #$n ($(what_at "$sc" "$n")) fails with $err${why//$T\//}"
			fi
		done
	done
}

ANY='^[a-z0-9]+\(([3-9]|[1-9][0-9]+)<' # a descriptor other than 0, 1, 2

# --- keygen: neither key file may appear -------------------------------------------------
echo "passphrase of k" >"$T/k.pass"
mkdir -p "$W/k"
snapshot "$W/k"
faults "keygen" "write:ENOSPC:$W/k/x.key:\.x\.key\.tmp" "write:ENOSPC:$W/k/x.pub:\.x\.pub\.tmp" \
	"fsync:EIO:$W/k/x.:." "renameat2:EXDEV:$W/k/x.:." "renameat2:ENOENT:$W/k/x.:." -- \
	"$CONSIGN" keygen --id x --kdf interactive --passphrase-file "$T/k.pass" -o "$W/k/x"

# --- sign: a policy, an order -----------------------------------------------------------
"$CONSIGN" policy create --threshold 2 --custodian "$F/alice.pub" --custodian "$F/bob.pub" \
	--custodian "$F/carol.pub" --office "$F/office.pub" -o "$W/p.cbor" >/dev/null
"$CONSIGN" order create --policy "$P" --batch B43 --product "Sensor v2" --serials 2000-2999 \
	--quantity 3 --station "$F/station.pub" -o "$W/o.cbor" >/dev/null
sign_as "$F" "$W/o.cbor" alice --policy "$P" || notok "alice signs the order"
snapshot "$W"
SIGN=("$CONSIGN" sign --key "$F/bob.key" --passphrase-file "$F/bob.pass" --yes)
faults "sign policy" "write:ENOSPC:$W/p.cbor:$ANY" "fsync:EIO:$W/p.cbor:." \
	"rename:EXDEV:$W/p.cbor:." "rename:ENOENT:$W/p.cbor:." -- \
	"${SIGN[@]}" "$W/p.cbor"
faults "sign order" "write:ENOSPC:$W/o.cbor:$ANY" "fsync:EIO:$W/o.cbor:." \
	"rename:EXDEV:$W/o.cbor:." "rename:ENOENT:$W/o.cbor:." -- \
	"${SIGN[@]}" --policy "$P" "$W/o.cbor"
rm -rf "${W:?}"/*

# --- station collect: the journal's pwrite64 and fdatasync fail ---------------------------
# One device is journaled (and told it is done) first; then three more come,
# and the journal's appends or syncs fail. The journal must then hold exactly
# the records whose devices were told they are done (the simulator logs each
# "done"), and a new run completes the order.
J=$T/J
ORDER=(station collect --order "$F/order.cbor" --journal "$J" --policy "$P" --port "$T/c.port"
	--quiet)
sim_start c --policy "$P" --serial 1000 --count 1 --linger 60000 || notok "simulator starts"
SIMS="$SIMS $SIM_PID"
"$CONSIGN" "${ORDER[@]}" >/dev/null 2>&1 &
cpid=$!
sim_wait 1 "$T/c.log"
sleep 0.2
kill -TERM "$cpid"
wait "$cpid"
sim_stop "$SIM_PID"
check "one device journaled before the faults" \
	[ "$("$TOOLS/recls" journal "$J" "$F/order.cbor" | wc -l)" -eq 1 ]
rm -rf "$T/J0" "$T/c0.store"
cp -a "$J" "$T/J0"
cp -a "$T/c.store" "$T/c0.store"
cp "$T/c.log" "$T/c0.log"

# collect_with CMD...: the journal and the devices' storage back as before the
# faults, then CMD (a collect, maybe under strace) against three more devices
collect_with() {
	rm -rf "$J" "$T/c.store"
	cp -a "$T/J0" "$J"
	cp -a "$T/c0.store" "$T/c.store"
	cp "$T/c0.log" "$T/c.log"
	collect_again "$@"
}
# collect_again CMD...: CMD against three more devices, from where things are
collect_again() {
	sim_start c --policy "$P" --serial 1001 --count 3 --linger 60000 || notok "simulator starts"
	SIMS="$SIMS $SIM_PID"
	run timeout 30 "$@"
	# a "done" on the line when collect stopped: let its device log it
	for _ in $(seq 20); do
		[ "$(acked | wc -l)" -ge "$(journaled 2>/dev/null | wc -l)" ] && break
		sleep 0.1
	done
	sim_stop "$SIM_PID"
}
journaled() { "$TOOLS/recls" journal "$J" "$F/order.cbor" | awk '{print $2}' | sort; }
acked() { grep '^done ' "$T/c.log" | awk '{print $3}' | sort -u; }

collect_with "${STRACE[@]}" -f -qq -y -e trace=pwrite64,fdatasync -o "$T/points.tr" "$CONSIGN" "${ORDER[@]}"
check "collect of three more devices under strace completes (exit $RC)" [ "$RC" -eq 0 ]
for spec in "pwrite64:ENOSPC" "fdatasync:EIO"; do
	IFS=: read -r sc err <<<"$spec"
	for n in $(points "$sc" "^$sc\([0-9]+<$J/journal>"); do
		why=""
		collect_with "${STRACE[@]}" -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:error=$err:when=$n" \
			"$CONSIGN" "${ORDER[@]}"
		[ "$RC" -eq 3 ] || why="$why; exit $RC, want 3"
		if [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q -- "$J" "$T/err" ||
			! grep -q -- "${SAYS[$err]} (io)" "$T/err"; then
			why="$why; stderr: $(head -c 300 "$T/err" | tr '\n' '|')"
		fi
		[ -n "${FAULT_VERBOSE:-}" ] && echo "# $(head -c 300 "$T/err" | tr '\n' '|')"
		[ "$(ls -A "$J")" = journal ] ||
			why="$why; left in the journal directory: $(ls -A "$J" | tr '\n' ' ')"
		if ! journaled >"$T/journaled" 2>&1; then
			why="$why; the journal does not open: $(head -c 200 "$T/journaled")"
		elif ! acked | cmp -s - "$T/journaled"; then
			why="$why; journaled $(wc -l <"$T/journaled") records, $(acked | wc -l) devices told done:"
			why="$why $(diff <(acked) "$T/journaled" | grep -c '^<') told but not journaled,"
			why="$why $(diff <(acked) "$T/journaled" | grep -c '^>') journaled but never told"
		fi
		collect_again "$CONSIGN" "${ORDER[@]}"
		[ "$RC" -eq 0 ] ||
			why="$why; then without the fault: exit $RC: $(head -c 200 "$T/err" | tr '\n' ' ')"
		[ "$(journaled | sort -u | wc -l)" -eq 4 ] ||
			why="$why; then $(journaled | wc -l) records, want 4"
		if [ -z "$why" ]; then
			ok "station collect: $sc #$n of the journal fails with $err: exit 3, one line," \
				"the journal holds exactly the devices told done, then completes"
		else
			notok "station collect: $sc #$n of the journal fails with $err${why}"
		fi
	done
done
collect_with "$CONSIGN" "${ORDER[@]}"
check "collect completes the order of 4 (exit $RC)" [ "$RC" -eq 0 ]

# --- station seal: the batch zip ---------------------------------------------------------
rm -rf "${W:?}"/*
snapshot "$W" "$J"
# (the records are first streamed into a temporary file in the journal
# directory, whose failures name the journal; then the batch zip is written)
faults "station seal" "write:ENOSPC:$J:/[.]records[.]" "write:ENOSPC:$W/batch.zip:batch[.]zip" \
	"fsync:EIO:$W/batch.zip:." \
	"rename:EXDEV:$W/batch.zip:." "rename:ENOENT:$W/batch.zip:." -- \
	"$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$J" -o "$W/batch.zip" --quiet
"$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$J" -o "$T/batch.zip" --quiet >/dev/null 2>&1
check "the batch of 4 is sealed" [ -s "$T/batch.zip" ]

# --- the office: receipt, release create, sign, ledger add, export ------------------------
L=$T/L
"$CONSIGN" ledger --ledger "$L" init --policy "$P" >/dev/null || notok "ledger init"
LEDGER=$L
# SQLite's own words for ENOSPC and EIO
SQLSAYS="database or disk is full|disk I/O error"
snapshot "$W" "$L"
faults "receipt" "write:ENOSPC:$W/receipt.cbor:$ANY" "fsync:EIO:$W/receipt.cbor:." \
	"rename:EXDEV:$W/receipt.cbor:." "rename:ENOENT:$W/receipt.cbor:." -- \
	"$CONSIGN" receipt --key "$F/office.key" --passphrase-file "$F/office.pass" --policy "$P" \
	--ledger "$L" "$T/batch.zip" -o "$W/receipt.cbor"

faults "release create" "write:ENOSPC:$W/r.zip:<$W/" "fsync:EIO:$W/r.zip:<${W}[/>]" \
	"rename:EXDEV:$W/r.zip:\"$W/" "rename:ENOENT:$W/r.zip:\"$W/" \
	"write:ENOSPC:$L:<$L/" "pwrite64:ENOSPC:$L:<$L/" "fsync:EIO:$L:<${L}[/>]" "fdatasync:EIO:$L:." \
	"rename:EXDEV:$L:\"$L/" "rename:ENOENT:$L:\"$L/" -- \
	"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/batch.zip" -o "$W/r.zip"
"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/batch.zip" -o "$W/r.zip" \
	>/dev/null 2>&1 || notok "release create"

snapshot "$W" "$L"
faults "sign release" "write:ENOSPC:$W/r.zip:$ANY" "fsync:EIO:$W/r.zip:." \
	"rename:EXDEV:$W/r.zip:." "rename:ENOENT:$W/r.zip:." -- \
	"$CONSIGN" sign --key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" \
	"$W/r.zip"
if ! sign_as "$F" "$W/r.zip" alice --policy "$P" ||
	! sign_as "$F" "$W/r.zip" bob --policy "$P"; then
	notok "the release is signed"
fi

snapshot "$W" "$L"
faults "ledger add" "write:ENOSPC:$L:<$L/" "pwrite64:ENOSPC:$L:<$L/" "fsync:EIO:$L:." \
	"fdatasync:EIO:$L:." "renameat2:EXDEV:$L:." "renameat2:ENOENT:$L:." -- \
	"$CONSIGN" ledger --ledger "$L" add "$W/r.zip"
"$CONSIGN" ledger --ledger "$L" add "$W/r.zip" >/dev/null 2>&1 || notok "ledger add"

# export -o of a release of 600 devices (several writes), onto an older export
# that must survive
G=$T/g
LEDGER=""
if ! office "$G" 600 1000-1999 >/dev/null 2>&1 ||
	! office_mkb "$G" --count 600 -o "$T/big.zip" >/dev/null ||
	! office_release "$G" "$T/big.zip" "$T/rbig.zip" >/dev/null; then
	notok "a release of 600 devices"
fi
echo "an older export" >"$W/devices.jsonl"
snapshot "$W"
faults "export -o" "write:ENOSPC:$W/devices.jsonl:$ANY" "fsync:EIO:$W/devices.jsonl:." \
	"rename:EXDEV:$W/devices.jsonl:." "rename:ENOENT:$W/devices.jsonl:." -- \
	"$CONSIGN" export --policy "$G/policy.cbor" --first --format jsonl "$T/rbig.zip" \
	-o "$W/devices.jsonl" --force
