# SIGKILL at every file-system call of consign sign (and at the last 6 calls
# of each kind of release create and ledger add; station collect and seal
# are killed in fault_station.sh and station_kill.sh): the artifact is then
# either the old one byte for byte or the complete new one, never a torn file
# under the real name; the only other thing a kill may leave is a hidden
# temporary file, which never carries the real name; and the next run works.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden

mkdir -p "$T/k"
"$CONSIGN" policy create --threshold 1 --custodian "$G/alice.pub" --custodian "$G/bob.pub" \
	--office "$G/office.pub" -o "$T/draft.cbor" >/dev/null 2>&1 || notok "draft policy made"
cp "$G/alice.key" "$T/alice.key"
chmod 600 "$T/alice.key"
echo golden >"$T/alice.pass"
cp "$T/draft.cbor" "$T/k/p.cbor"

sign_state() {
	local f
	# nothing but the artifact and hidden temporaries
	for f in "$T/k"/* ; do
		[ "$f" = "$T/k/p.cbor" ] || { echo "unexpected file $f"; return 1; }
	done
	if cmp -s "$T/k/p.cbor" "$T/draft.cbor"; then
		: # the old one
	elif ! "$CONSIGN" verify "$T/k/p.cbor" >/dev/null 2>&1; then
		echo "p.cbor is neither the old draft nor a complete signed policy"
		return 1
	fi
	rm -f "$T/k"/.p.cbor.tmp-*
	cp "$T/draft.cbor" "$T/k/p.cbor"
}
kill_at_syscalls "sign" sign_state \
	"$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/k/p.cbor"

# kills at arbitrary moments too (no strace needed): spread over one run's time
start=$(date +%s%N)
"$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/k/p.cbor" >/dev/null 2>&1
dur=$((($(date +%s%N) - start) / 1000))
sign_state >/dev/null
bad=0
for i in $(seq 1 20); do
	"$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/k/p.cbor" \
		>/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v d="$dur" -v i="$i" 'BEGIN { printf "%.6f", d * i / 20 / 1e6 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sign_state >"$T/state.out" 2>&1 || bad=$((bad + 1))
done
check "sign killed at 20 moments over its run (${dur} us): the state is always sound" [ "$bad" -eq 0 ]

run "$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/k/p.cbor"
checkx "after the kills, sign works and the result verifies" \
	'[ "$RC" -eq 0 ] && "$CONSIGN" verify "$T/k/p.cbor" >/dev/null 2>&1'

# --- release create and ledger add, seen from outside -------------------------
# (the office tests kill every call of these against the ledger's own
# invariants; here: what a person finds afterwards, at the commit phase)
if "$CONSIGN" release create --help >/dev/null 2>&1 && [ -x "$TOOLS/mkbatch" ] &&
	fixture "$T/f" 5 >/dev/null 2>&1 &&
	"$TOOLS/mkbatch" --order "$T/f/order.cbor" --key "$T/f/station.key" \
		--passphrase-file "$T/f/station.pass" --count 2 -o "$T/b.zip" >/dev/null 2>&1 &&
	"$CONSIGN" ledger --ledger "$T/L0" init --policy "$T/f/policy.cbor" >/dev/null 2>&1; then
	P=$T/f/policy.cbor
	rm -rf "$T/L" && cp -a "$T/L0" "$T/L"
	# after a kill: the ledger still answers, and a release file is either
	# absent or a complete, well-formed draft (refused for want of signatures,
	# never unreadable, never accepted)
	create_state() {
		"$CONSIGN" ledger --ledger "$T/L" show >/dev/null 2>"$T/show.err" ||
			{ echo "ledger unreadable: $(cat "$T/show.err")"; return 1; }
		if [ -e "$T/r.zip" ]; then
			"$CONSIGN" verify --policy "$P" --first "$T/r.zip" >/dev/null 2>&1
			local rc=$?
			[ "$rc" -eq 1 ] || { echo "r.zip left behind verifies with exit $rc"; return 1; }
		fi
		ls -A "$T" | grep -q -v -E '^(\.r\.zip\.tmp-.*|r\.zip|f|L|L0|b\.zip|k|draft\.cbor|alice\..*|state\.out|strace\..*|kill\.err|show\.err|out|err)$' &&
			{ echo "unexpected files: $(ls -A "$T" | tr '\n' ' ')"; return 1; }
		rm -rf "$T/r.zip" "$T"/.r.zip.tmp-* "$T/L" && cp -a "$T/L0" "$T/L"
	}
	KILL_MAX=6 kill_at_syscalls "release create (last calls of each kind)" create_state \
		"$CONSIGN" release create --ledger "$T/L" --policy "$P" "$T/b.zip" -o "$T/r.zip"
	run "$CONSIGN" release create --ledger "$T/L" --policy "$P" "$T/b.zip" -o "$T/r.zip"
	check "after the kills, release create works" [ "$RC" -eq 0 ]
	sign_as "$T/f" "$T/r.zip" alice --policy "$P" && sign_as "$T/f" "$T/r.zip" bob --policy "$P"
	rm -rf "$T/L1" && cp -a "$T/L" "$T/L1"
	# after a kill of ledger add: the ledger answers, and adding again enters
	# the release exactly once
	add_state() {
		"$CONSIGN" ledger --ledger "$T/L" show >/dev/null 2>"$T/show.err" ||
			{ echo "ledger unreadable: $(cat "$T/show.err")"; return 1; }
		"$CONSIGN" ledger --ledger "$T/L" add "$T/r.zip" >/dev/null 2>"$T/show.err"
		"$CONSIGN" ledger --ledger "$T/L" --json show >"$T/show.out" 2>>"$T/show.err" ||
			{ echo "ledger unreadable after add: $(cat "$T/show.err")"; return 1; }
		local n
		n=$(grep -o '"sequence":1,' "$T/show.out" | wc -l)
		grep -q '"devices":2' "$T/show.out" && [ "$n" -eq 1 ] ||
			{ echo "after add again: $(head -c 300 "$T/show.out") $(cat "$T/show.err")"; return 1; }
		rm -rf "$T/L" && cp -a "$T/L1" "$T/L"
	}
	KILL_MAX=6 kill_at_syscalls "ledger add (last calls of each kind)" add_state \
		"$CONSIGN" ledger --ledger "$T/L" add "$T/r.zip"
else
	notok "kill points in consign release create and ledger add: missing from this build"
fi

