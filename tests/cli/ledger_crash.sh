#!/usr/bin/env bash
# Crash safety of the ledger: consign ledger add (and release create,
# ledger abandon) killed at each of their last 12 calls of every file-system
# call kind (KILL_MAX), and at moments spread over a run, leave a ledger that reads as before or as after, never
# between; ledger rebuild from the files then gives that same state.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
L=$F/L
state() { "$CONSIGN" ledger --ledger "$1" --json | jq -c 'del(.subject)'; }

office_mkb "$F" --count 20 --break record-nonce@3 -o "$T/b.zip"
office_release "$F" "$T/b.zip" "$T/r.zip" --exclude-refused || { notok "release"; exit 1; }
rm -rf "$T/L0" && cp -a "$L" "$T/L0"
BEFORE=$(state "$L")
"$CONSIGN" ledger --ledger "$L" add "$T/r.zip" >/dev/null || notok "add"
AFTER=$(state "$L")
checkx "before and after differ (19 devices entered)" \
	'[ "$BEFORE" != "$AFTER" ] && [ "$(echo "$AFTER" | jq .devices)" -eq 19 ]'

# the state must be BEFORE or AFTER; a rebuild from the files must agree
sound() {
	local s r
	s=$(state "$L" 2>&1)
	if [ "$s" != "$BEFORE" ] && [ "$s" != "$AFTER" ]; then
		echo "neither before nor after: $s"
		return 1
	fi
	rm -rf "$T/rb"
	cp -a "$L" "$T/rb"
	"$CONSIGN" ledger --ledger "$T/rb" rebuild >/dev/null 2>&1 || { echo "rebuild failed"; return 1; }
	r=$(state "$T/rb")
	if [ "$r" != "$s" ]; then
		echo "rebuild gives another state: $r"
		return 1
	fi
	rm -rf "$L"
	cp -a "$T/L0" "$L"
}
rm -rf "$L" && cp -a "$T/L0" "$L"
KILL_MAX=${KILL_MAX:-12} kill_at_syscalls "ledger add" sound "$CONSIGN" ledger --ledger "$L" add "$T/r.zip"

# kills at moments spread over one run (no strace needed)
start=$(date +%s%N)
"$CONSIGN" ledger --ledger "$L" add "$T/r.zip" >/dev/null 2>&1
dur=$((($(date +%s%N) - start) / 1000))
rm -rf "$L" && cp -a "$T/L0" "$L"
bad=0 seen_before=0 seen_after=0
for i in $(seq 1 16); do
	"$CONSIGN" ledger --ledger "$L" add "$T/r.zip" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v d="$dur" -v i="$i" 'BEGIN { printf "%.6f", d * i / 16 / 1e6 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	s=$(state "$L" 2>/dev/null)
	[ "$s" = "$BEFORE" ] && seen_before=$((seen_before + 1))
	[ "$s" = "$AFTER" ] && seen_after=$((seen_after + 1))
	sound >"$T/state.out" 2>&1 || bad=$((bad + 1))
done
check "ledger add killed at 16 moments over its run (${dur} us): always before or after" [ "$bad" -eq 0 ]
echo "# states seen: $seen_before before, $seen_after after"

# release create: the draft and its reservation
office_mkb "$F" --count 5 --seed 9 --first-serial 1500 -o "$T/b2.zip"
"$CONSIGN" ledger --ledger "$L" add "$T/r.zip" >/dev/null
rm -rf "$T/L0" && cp -a "$L" "$T/L0"
BEFORE=$(state "$L")
"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/b2.zip" -o "$T/r2.zip" >/dev/null || notok "create"
AFTER=$(state "$L")
rm -f "$T/r2.zip"
rm -rf "$L" && cp -a "$T/L0" "$L"
create_sound() {
	rm -f "$T/r2.zip" "$T"/.r2.zip.tmp-*
	sound
}
KILL_MAX=${KILL_MAX:-12} kill_at_syscalls "release create" create_sound \
	"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/b2.zip" -o "$T/r2.zip"

# ledger abandon
"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/b2.zip" -o "$T/r2.zip" >/dev/null
office_withdraw "$F" 2 "$T/w2.cbor" || notok "withdrawal"
rm -rf "$T/L0" && cp -a "$L" "$T/L0"
BEFORE=$(state "$L")
"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w2.cbor" 2 >/dev/null || notok "abandon"
AFTER=$(state "$L")
rm -rf "$L" && cp -a "$T/L0" "$L"
KILL_MAX=${KILL_MAX:-12} kill_at_syscalls "ledger abandon" sound "$CONSIGN" ledger --ledger "$L" \
	abandon --withdrawal "$T/w2.cbor" 2
