# The end-to-end CLI flow (keygen through station collect/seal, release, ledger,
# export, receipt) and error paths under memcheck: no leak, no invalid access.
. "$(dirname "$0")/../lib.sh"
SIMS=""
trap 'sim_stop $SIMS; rm -rf "$T"' EXIT
G=$ROOT/manifests/golden
M=$ROOT/tests/malformed

if ! command -v valgrind >/dev/null; then
	skip "valgrind memcheck: valgrind is not installed"
	exit 0
fi
if nm "$CONSIGN" 2>/dev/null | grep -q -E '__asan_init|__tsan_init|__msan_init'; then
	skip "valgrind memcheck: $CONSIGN is built with a sanitizer (valgrind cannot run it)"
	exit 0
fi

# vg DESC WANT CMD...: CMD under memcheck exits WANT (or one of WANT's
# comma-separated codes) with no memcheck error; killed after VG_LIMIT seconds.
vg() {
	local desc=$1 want=$2
	shift 2
	timeout "${VG_LIMIT:-180}" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
		--track-origins=yes --log-file="$T/vg.log.raw" "$CONSIGN" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	# valgrind 3.19 has no wrapper for TIOCEXCL (ioctl 0x540c, station collect's
	# exclusive port lock) and warns once; the ioctl takes no argument, so no
	# memory is left unmodelled. Only that 3-line warning is dropped.
	awk '/Warning: noted but unhandled ioctl 0x540c with no size\/direction hints/ { skip = 3 }
		skip > 0 { skip--; next } { print }' "$T/vg.log.raw" >"$T/vg.log"
	if [[ ",$want," == *",$RC,"* ]] && [ ! -s "$T/vg.log" ]; then
		ok "memcheck clean: $desc (exit $RC)"
	else
		notok "memcheck: $desc (exit $RC, want $want): $(head -c 600 "$T/vg.log" | tr '\n' ' ') $(head -c 200 "$T/err")"
	fi
}

echo "valgrind pass" >"$T/pp"
vg "keygen" 0 keygen --id vgkey --kdf interactive --passphrase-file "$T/pp" -o "$T/vgkey"
vg "policy create" 0 policy create --threshold 1 --custodian "$G/alice.pub" --custodian "$T/vgkey.pub" \
	--office "$G/office.pub" -o "$T/p.cbor"
vg "sign a policy" 0 sign --key "$T/vgkey.key" --passphrase-file "$T/pp" --yes "$T/p.cbor"
vg "verify a policy" 0 verify "$T/p.cbor"
vg "verify --json a policy" 0 verify --json "$T/p.cbor"
vg "order create" 0 order create --policy "$T/p.cbor" --batch B7 --product "Probe" \
	--serials 1-100 --quantity 10 --station "$G/station.pub" -o "$T/o.cbor"
vg "verify an unsigned order" 1 verify --policy "$T/p.cbor" "$T/o.cbor"
cp "$T/p.cbor" "$T/p2.cbor"
vg "merge" 0 merge -o "$T/m.cbor" "$T/p.cbor" "$T/p2.cbor"
vg "inspect a policy" 0 inspect "$T/m.cbor"
vg "inspect a key file" 0 inspect --json "$T/vgkey.key"
vg "verify the golden order" 0 verify --policy "$G/policy.cbor" "$G/order.cbor"
vg "verify the golden record" 0 verify "$G/record.cbor"
vg "verify the golden header" 0 verify "$G/header.cbor"
echo "wrong" >"$T/wrong"
cp "$T/o.cbor" "$T/o2.cbor"
vg "a wrong passphrase" 1 sign --key "$T/vgkey.key" --passphrase-file "$T/wrong" --yes \
	--policy "$T/p.cbor" "$T/o2.cbor"
vg "a truncated policy" 3 verify "$M/policy-trailing.cbor"
vg "a non-canonical order" 3 verify --policy "$G/policy.cbor" "$M/order-unsorted.cbor"
vg "deeply nested input" 3 verify "$M/deep-arrays.cbor"
vg "absurd KDF parameters" 3 sign --key "$M/key-kdf-memory.key" --passphrase-file "$T/pp" --yes "$T/o2.cbor"
vg "a usage error" 2 sign --yes

# ---- the factory: collect from simulated devices on a pty, then seal -------
F=$T/f
fixture "$F" 3 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
sim_start s --policy "$P" --serial 1000 --count 3 --linger 5000 || notok "simulator starts"
SIMS="$SIMS $SIM_PID"
# only collect runs under memcheck; the simulator is native
vg "station collect (3 devices on a pty)" 0 station collect --order "$F/order.cbor" \
	--port "$T/s.port" --journal "$T/j" --policy "$P" --timeout 60000 --wait-confirm 60
check "... it says 3 of 3 journaled" has "$T/out" "3 of 3 journaled"
check "... every device was told it is done" sim_wait 3 "$T/s.log"
check "... three records are journaled" \
	[ "$("$TOOLS/recls" journal "$T/j" "$F/order.cbor" | wc -l)" -eq 3 ]
sim_stop $SIMS
SIMS=""
vg "station seal" 0 station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/b.zip"
vg "verify a batch --threads 1" 0 verify --policy "$P" --threads 1 "$T/b.zip"
check "... 3 of 3 records pass" has "$T/out" "3 of 3 records pass"
vg "verify a batch --threads 2" 0 verify --policy "$P" --threads 2 "$T/b.zip"
head -c $(($(stat -c %s "$T/b.zip") / 2)) "$T/b.zip" >"$T/trunc.zip"
vg "a truncated batch zip" 1,3 verify --policy "$P" "$T/trunc.zip"

# ---- the office: release, two custodians, merge, ledger -------------------
vg "ledger init" 0 ledger --ledger "$F/L" init --policy "$P"
vg "release create with a ledger" 0 release create --policy "$P" --ledger "$F/L" "$T/b.zip" -o "$T/r.zip"
cp "$T/r.zip" "$T/r-bob.zip"
vg "alice signs the release" 0 sign --key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes \
	--policy "$P" "$T/r.zip"
vg "bob signs a copy of the release" 0 sign --key "$F/bob.key" --passphrase-file "$F/bob.pass" --yes \
	--policy "$P" "$T/r-bob.zip"
vg "merge two release copies" 0 merge -o "$T/rm.zip" "$T/r.zip" "$T/r-bob.zip"
vg "ledger add" 0 ledger --ledger "$F/L" add "$T/rm.zip"
vg "ledger show" 0 ledger --ledger "$F/L"
vg "ledger --json show" 0 ledger --ledger "$F/L" --json show
vg "ledger rebuild" 0 ledger --ledger "$F/L" rebuild

# ---- the cloud: verify, export; the factory's receipt ----------------------
vg "verify --first a release" 0 verify --policy "$P" --first "$T/rm.zip"
vg "verify --first --deep a release" 0 verify --policy "$P" --first --deep "$T/rm.zip"
vg "export --format jsonl" 0 export --policy "$P" --first --format jsonl "$T/rm.zip" -o "$T/d.jsonl"
check "... three devices" [ "$(wc -l <"$T/d.jsonl")" -eq 3 ]
vg "export --format csv" 0 export --policy "$P" --first --format csv "$T/rm.zip" -o "$T/d.csv"
vg "inspect a release" 0 inspect "$T/rm.zip"
# a receipt full of refusals: the order's quantity is used up, serial 1002 was
# released, record 2 has a bad signature
office_mkb "$F" --count 3 --first-serial 1002 --break record-signature@2 -o "$T/b2.zip" ||
	notok "mkbatch"
vg "receipt --ledger of a refused batch" 0 receipt --key "$F/office.key" \
	--passphrase-file "$F/office.pass" --policy "$P" --ledger "$F/L" "$T/b2.zip" -o "$T/rc.cbor"
vg "verify the receipt" 0 verify --policy "$P" "$T/rc.cbor"
"$CONSIGN" inspect --json "$T/rc.cbor" >"$T/rc.json" 2>/dev/null
checkx "... it names the used-up quantity, the released serial and the bad signature" \
	'grep -q quantity-remaining "$T/rc.json" && [ "$(jq -r "[.refused[].reason] | join(\" \")" "$T/rc.json")" = "record-released-serial record-signature" ]'
