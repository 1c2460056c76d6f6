# A whole ceremony with keys in tokens (SoftHSM2): a 2-of-3 policy where
# alice's and carol's keys are in tokens and bob's is a file; the policy, the
# order and the release signed by a token and a file (or two tokens); the
# station seals and the office writes its receipt with token keys; the cloud's
# verify accepts the release and export writes the registry. Alice signs the
# release on a terminal: consign shows where her key lives, then asks for
# the PIN without echo. Afterwards no key material of a token key (its seed,
# scalar or nonce key, raw, hex or base64) is in any file of the ceremony or
# any output, and the only secret key file on the signing machine is bob's.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/p11.sh"
SIMS=""
trap 'sim_stop $SIMS; rm -rf "$T"' EXIT
p11_setup
M=$P11_MODULE
C=$T/c  # every file of the ceremony
O=$T/o  # everything consign printed
mkdir -p "$C" "$O"
# known seeds, so the scan below knows what to look for (test only: consign
# keygen --pkcs11 makes keys nobody knows, as carol's is made here)
ALICE=4a1ce5eed0000000000000000000000000000000000000000000000000a11ce1
OFFICE=0ff1ce5eed000000000000000000000000000000000000000000000000000ff1
STATION=57a710115eed0000000000000000000000000000000000000000000000000057

# say NAME CMD...: runs CMD with its output kept in $O/NAME.{out,err}
say() {
	local name=$1
	shift
	"$@" >"$O/$name.out" 2>"$O/$name.err"
}

for t in alice-token carol-token office-token factory-token; do p11_token "$t"; done
"$TOOLS/p11tool" import "$M" alice-token "$T/alice-token.pin" alice "$ALICE" || notok "import alice"
"$TOOLS/p11tool" import "$M" office-token "$T/office-token.pin" office "$OFFICE" || notok "import office"
"$TOOLS/p11tool" import "$M" factory-token "$T/factory-token.pin" station "$STATION" ||
	notok "import station"
check "carol's key pair is made inside her token" \
	say keygen-carol "$CONSIGN" keygen --pkcs11 "pkcs11:token=carol-token" --id carol \
	--name "Carol Cooper" -o "$C/carol" --module "$M" --pin-file "$T/carol-token.pin"
ok_all=1
for k in alice:alice-token office:office-token station:factory-token; do
	say "export-${k%%:*}" "$CONSIGN" keygen --pkcs11 "pkcs11:token=${k#*:};object=${k%%:*}" --export \
		--id "${k%%:*}" -o "$C/${k%%:*}" --module "$M" --pin-file "$T/${k#*:}.pin" || ok_all=0
done
check "alice's, the office's and the station's token keys export their .pub" [ "$ok_all" -eq 1 ]
keys "$C" bob

# tsign NAME TOKEN FILE [ARGS...]: NAME's token key signs FILE
tsign() {
	local n=$1 tok=$2 file=$3
	shift 3
	say "sign-$n-$(basename "$file")" "$CONSIGN" sign --key "pkcs11:token=$tok;object=$n" \
		--module "$M" --pin-file "$T/$tok.pin" --yes "$@" "$file"
}
# fsign FILE [ARGS...]: bob's key file signs FILE
fsign() {
	local file=$1
	shift
	say "sign-bob-$(basename "$file")" "$CONSIGN" sign --key "$C/bob.key" \
		--passphrase-file "$C/bob.pass" --yes "$@" "$file"
}

# ---- policy and order ------------------------------------------------------------
P=$C/policy.cbor
say policy "$CONSIGN" policy create --threshold 2 --custodian "$C/alice.pub" --custodian "$C/bob.pub" \
	--custodian "$C/carol.pub" --office "$C/office.pub" -o "$P"
check "alice signs the policy with her token" tsign alice alice-token "$P"
check "bob signs it with his key file" fsign "$P"
run "$CONSIGN" verify "$P"
checkx "the policy verifies with alice's (token) and bob's (file) signatures" \
	'[ "$RC" -eq 0 ] && grep -q "alice, valid" "$T/out" && grep -q "bob, valid" "$T/out"'
cp "$T/out" "$O/verify-policy.out"

say order "$CONSIGN" order create --policy "$P" --batch B42 --product "Sensor v2" \
	--serials 1000-1999 --quantity 3 --station "$C/station.pub" -o "$C/order.cbor"
check "alice signs the order with her token" tsign alice alice-token "$C/order.cbor" --policy "$P"
check "carol signs it with hers" tsign carol carol-token "$C/order.cbor" --policy "$P"
expect 0 "the order verifies under the policy" "$CONSIGN" verify --policy "$P" "$C/order.cbor"

# ---- the factory: devices, the station's seal with its token key -----------------
sim_start line --policy "$P" --serial 1000 --count 3 || notok "simulator starts"
SIMS="$SIMS $SIM_PID"
check "the station collects 3 devices" \
	say collect timeout 60 "$CONSIGN" station collect --order "$C/order.cbor" --port "$T/line.port" \
	--journal "$C/J" --policy "$P"
sim_stop $SIMS
SIMS=""
check "the station seals the batch with its token key" \
	say seal "$CONSIGN" station seal --key "pkcs11:token=factory-token;object=station" --module "$M" \
	--pin-file "$T/factory-token.pin" --order "$C/order.cbor" --journal "$C/J" -o "$C/batch.zip"
check "... showing where its key lives" grep -q '^key: station (token "factory-token"' "$O/seal.out"
expect 0 "the batch verifies (the station's token signature on the header)" \
	"$CONSIGN" verify --policy "$P" "$C/batch.zip"

# ---- the office: receipt, release --------------------------------------------------
check "the office writes a receipt with its token key" \
	say receipt "$CONSIGN" receipt --key "pkcs11:token=office-token;object=office" --module "$M" \
	--pin-file "$T/office-token.pin" --policy "$P" "$C/batch.zip" -o "$C/receipt.cbor"
expect 0 "the receipt verifies under the policy's office key" \
	"$CONSIGN" verify --policy "$P" "$C/receipt.cbor"
say ledger "$CONSIGN" ledger --ledger "$C/L" init --policy "$P"
check "the release is drafted" \
	say release "$CONSIGN" release create --policy "$P" --ledger "$C/L" "$C/batch.zip" \
	-o "$C/registry.zip"

# Alice signs on a terminal: asked to confirm, told where the key lives, asked
# for the PIN without echo (a pseudo-terminal plays her part).
PIN=$(cat "$T/alice-token.pin")
printf '%s\t%s\n' "[y/N]" y "PIN for token" "$PIN" |
	on_terminal "$O/alice-terminal.txt" - "$CONSIGN" sign --key "pkcs11:token=alice-token;object=alice" \
		--module "$M" --policy "$P" "$C/registry.zip"
rc=$?
check "alice signs the release on a terminal (exit 0)" [ "$rc" -eq 0 ]
a=$(grep -a -n '^key: alice (token "alice-token", SoftHSM slot [0-9]*)' "$O/alice-terminal.txt" |
	head -1 | cut -d: -f1)
b=$(grep -a -n 'PIN for token "alice-token": ' "$O/alice-terminal.txt" | head -1 | cut -d: -f1)
checkx "... the key's place is shown (line ${a:-none}) before the PIN is asked for (line ${b:-none})" \
	'[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]'
check "... and the PIN she typed is not echoed" bash -c '! grep -a -q -F "$1" "$2"' _ "$PIN" \
	"$O/alice-terminal.txt"
check "... and the release says she signed" grep -a -q "signed by alice" "$O/alice-terminal.txt"
check "bob signs the release with his key file" fsign "$C/registry.zip" --policy "$P"

# ---- the cloud -----------------------------------------------------------------------
run "$CONSIGN" verify --policy "$P" --first "$C/registry.zip"
checkx "the cloud's verify accepts the release (alice by token, bob by file)" \
	'[ "$RC" -eq 0 ] && grep -q "alice, valid" "$T/out" && grep -q "bob, valid" "$T/out"'
cp "$T/out" "$O/verify-release.out"
check "export writes the registry" \
	say export "$CONSIGN" export --policy "$P" --first --format jsonl "$C/registry.zip" \
	-o "$C/devices.jsonl"
check "... one line per device" [ "$(wc -l <"$C/devices.jsonl")" -eq 3 ]

# ---- no secret at rest, no key material anywhere ------------------------------------
check "the only secret key file in the ceremony is bob's" \
	[ "$(cd "$C" && find . -name '*.key' | sort | tr '\n' ' ')" = "./bob.key " ]
# the scan must find what is there: a control file holds alice's seed in hex
mkdir -p "$T/control"
echo "$ALICE" >"$T/control/seed.txt"
res=$(python3 - "$C" "$O" "$T/softhsm" "$T/control" "$ALICE" "$OFFICE" "$STATION" <<'PY'
import base64, hashlib, os, sys
cer, out, store, control = sys.argv[1:5]
pats = []
for name, seed in zip(("alice", "office", "station"), sys.argv[5:8]):
    s = bytes.fromhex(seed)
    h = hashlib.sha512(s).digest()
    a = bytearray(h[:32]); a[0] &= 248; a[31] &= 127; a[31] |= 64
    for what, v in (("seed", s), ("scalar", bytes(a)), ("nonce-key", h[32:])):
        pats += [(name, what, "raw", v), (name, what, "hex", v.hex().encode()),
                 (name, what, "HEX", v.hex().upper().encode())]
        for shift in range(3):
            b = base64.b64encode(b"\0" * shift + v)[4 if shift else 0:][:36]
            pats.append((name, what, "base64+%d" % shift, b))
            pats.append((name, what, "base64url+%d" % shift, b.replace(b"+", b"-").replace(b"/", b"_")))
def scan(top):
    found, n = [], 0
    for root, dirs, files in os.walk(top):
        for f in files:
            p = os.path.join(root, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            n += 1
            data = open(p, "rb").read()
            found += ["%s %s %s in %s" % (k, w, e, os.path.relpath(p, top)) for k, w, e, v in pats if v in data]
    return n, found
n1, f1 = scan(cer)
n2, f2 = scan(out)
n3, f3 = scan(store)
raw = [f for f in f3 if " seed raw " in f]
n4, f4 = scan(control)
print("files=%d outputs=%d found=%s store_raw=%s control=%s" % (n1, n2, ";".join(f1 + f2) or "none",
      ";".join(raw) or "none", ";".join(f4) or "none"))
PY
)
checkx "the scan finds a seed where one is (${res##* control=})" \
	'[[ "$res" == *" control=alice seed hex in seed.txt"* ]]'
checkx "no token key's material in any file of the ceremony or any output (${res%% store_raw=*})" \
	'[[ "$res" =~ ^files=[1-9][0-9]*\ outputs=[1-9][0-9]*\ found=none\  ]]'
checkx "... SoftHSM's own store does not hold a seed in the clear either" \
	'[[ "$res" == *" store_raw=none "* ]]'
