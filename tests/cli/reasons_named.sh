# Reason codes of reasons.md that no other test gave by name: each one from
# the real command, with the exit status reasons.md gives it, its name, and
# the file, record or port its message names. (The device agent's own
# device-hal and wire-protocol are in tests/unit/device_agent.c.)
. "$(dirname "$0")/../lib.sh"

# reason WANT REASON LINE DESC CMD...: exit WANT, and LINE (a grep -E
# pattern ending in "(REASON)") a whole line of stderr
reason() {
	local want=$1 why=$2 line=$3 desc=$4
	shift 4
	run "$@"
	if [ "$RC" -eq "$want" ] && grep -qxE -- "$line \\($why\\)" "$T/err"; then
		ok "$desc"
	else
		notok "$desc (exit $RC, want $want with: $line ($why)): $(cat "$T/out" "$T/err" | head -c 600 | tr '\n' ' ')"
	fi
}

factory 10
P=$F/policy.cbor
L=$F/L
"$CONSIGN" ledger --ledger "$L" init --policy "$P" >/dev/null || notok "ledger init"
keys "$F" dave || notok "dave's key"
dave_id=$("$CONSIGN" inspect --json "$F/dave.pub" | jq -r .id)

# ---- not-custodian (exit 1): consign sign, a key the policy does not name --

cp "$F/order.cbor" "$T/o.cbor"
reason 1 not-custodian "consign: $F/dave.key: key $dave_id is not a custodian of this order" \
	"sign: an order, with a key that is no custodian's, names the key file" \
	"$CONSIGN" sign --key "$F/dave.key" --passphrase-file "$F/dave.pass" --yes --policy "$P" "$T/o.cbor"
check "... and leaves the order as it was" cmp -s "$T/o.cbor" "$F/order.cbor"

office_mkb "$F" --count 3 --seed 1 -o "$T/a.zip" || notok "mkbatch a"
office_draft "$F" "$T/a.zip" "$T/ra.zip" || notok "draft a"
cp "$T/ra.zip" "$T/ra-before.zip"
reason 1 not-custodian "consign: $F/dave.key: key $dave_id is not a custodian of $P" \
	"sign: a release zip, with a key that is no custodian's, names the key file" \
	"$CONSIGN" sign --key "$F/dave.key" --passphrase-file "$F/dave.pass" --yes --policy "$P" "$T/ra.zip"
check "... and leaves the release as it was" cmp -s "$T/ra.zip" "$T/ra-before.zip"

# ---- too-many-signatures (exit 1): a COSE_Sign holds at most 32 ----------

# an order carrying 32 signatures (alice's and bob's, alice's repeated: a
# repeat is never counted, but it is carried)
cp "$F/order.cbor" "$T/o32.cbor"
for i in $(seq 3 32); do
	"$TOOLS/cosetool" dupsig "$T/o32.cbor" "$T/o32.next" && mv "$T/o32.next" "$T/o32.cbor" ||
		notok "dupsig $i"
done
cp "$T/o32.cbor" "$T/o32-before.cbor"
reason 1 too-many-signatures "consign: $T/o32.cbor: already 32 signatures" \
	"sign: carol's signature on an order that carries 32 names the order" \
	"$CONSIGN" sign --key "$F/carol.key" --passphrase-file "$F/carol.pass" --yes --policy "$P" "$T/o32.cbor"
check "... and leaves it as it was" cmp -s "$T/o32.cbor" "$T/o32-before.cbor"
"$TOOLS/cosetool" dropsig "$T/o32.cbor" 31 "$T/o31.cbor" || notok "dropsig"
expect 0 "... while with 31 carol signs (the 32nd)" \
	"$CONSIGN" sign --key "$F/carol.key" --passphrase-file "$F/carol.pass" --yes --policy "$P" "$T/o31.cbor"

reason 1 too-many-signatures "consign: $T/m.cbor: more than 32 signatures" \
	"merge: copies of an order with 34 signatures in all name the output" \
	"$CONSIGN" merge -o "$T/m.cbor" "$T/o32.cbor" "$F/order.cbor"
checkx "... and write nothing" '[ ! -e "$T/m.cbor" ]'

# seventeen copies of a release signed by alice and bob: 34 signatures
cp "$T/ra-before.zip" "$T/rs.zip"
sign_as "$F" "$T/rs.zip" alice --policy "$P" && sign_as "$F" "$T/rs.zip" bob --policy "$P" ||
	notok "release signed"
copies=()
for i in $(seq 1 17); do
	cp "$T/rs.zip" "$T/rs-$i.zip"
	copies+=("$T/rs-$i.zip")
done
reason 1 too-many-signatures "consign: $T/m.zip: more than 32 signatures" \
	"merge: seventeen copies of a release with two signatures each name the output" \
	"$CONSIGN" merge -o "$T/m.zip" "${copies[@]}"
checkx "... and write nothing" '[ ! -e "$T/m.zip" ]'
expect 0 "... while sixteen copies (32 signatures) merge" \
	"$CONSIGN" merge -o "$T/m.zip" "${copies[@]:0:16}"

# ---- release-empty (exit 1): release create, no record passes -------------

office_mkb "$F" --count 2 --seed 2 --first-serial 1200 --break record-signature@0 \
	--break record-nonce@1 -o "$T/e.zip" || notok "mkbatch e"
reason 1 release-empty "consign: $T/e.zip: not released: no record passes" \
	"release create --exclude-refused: a batch whose every record fails names the batch" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" --exclude-refused "$T/e.zip" -o "$T/re.zip"
check "... after showing both records refused" grep -qx "  record 1 (serial 1201): record-nonce: .*" "$T/out"
checkx "... and no draft is written" '[ ! -e "$T/re.zip" ]'

# ---- record-released-hwid (exit 1): the office ledger's verdict -----------

# release 1 (batch A: serials 1000-1002) enters the ledger
"$CONSIGN" ledger --ledger "$L" add "$T/rs.zip" >/dev/null || notok "release 1 enters the ledger"
# batch H: new serials (1100-1104) and new device keys (another seed), but
# records 0-2 carry batch A's hardware ids (mkbatch's hardware id is the
# seed's low 32 bits and the index: 2^32 + 1 has those of seed 1)
office_mkb "$F" --count 5 --seed 4294967297 --first-serial 1100 -o "$T/h.zip" || notok "mkbatch h"
expect 0 "batch H alone passes" "$CONSIGN" verify --policy "$P" "$T/h.zip"
expect 1 "verify --ledger: a hardware id released before, under a new serial and key, is refused" \
	"$CONSIGN" verify --policy "$P" --ledger "$L" "$T/h.zip"
check "... for records 0-2, each named with its serial and the release" [ "$(grep -E '^  record' "$T/out")" = \
"$(printf '  record %d (serial %d): record-released-hwid: hardware id already released in release 1\n' 0 1100 1 1101 2 1102)" ]
check "... under the batch's name" grep -qx "$T/h.zip: 2 of 5 records pass, 3 fail" "$T/out"
reason 1 record-released-hwid "consign: $T/h.zip: not released: 3 of 5 records fail; --exclude-refused releases the others" \
	"release create: refused for it, naming the batch" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/h.zip" -o "$T/rh.zip"
expect 0 "release create --exclude-refused drafts the other two" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" --exclude-refused "$T/h.zip" -o "$T/rh.zip"
"$CONSIGN" inspect --json "$T/rh.zip" >"$T/rh.json"
checkx "... excluding records 0-2 as record-released-hwid in release 1" \
	'[ "$(jq -c "[.excluded[] | [.index, .serial, .reason, .released_in]]" "$T/rh.json")" = \
	"[[0,1100,\"record-released-hwid\",1],[1,1101,\"record-released-hwid\",1],[2,1102,\"record-released-hwid\",1]]" ]'

# ---- withdrawal-release (exit 1): ledger abandon, another draft's withdrawal

# drafts 2 (batch H) and 3 (batch X) are reserved
office_mkb "$F" --count 1 --seed 5 --first-serial 1300 -o "$T/x.zip" || notok "mkbatch x"
office_draft "$F" "$T/x.zip" "$T/rx.zip" || notok "draft 3"
office_withdraw "$F" 2 "$T/w2.cbor" || notok "withdrawal of draft 2"
office_withdraw "$F" 3 "$T/w3.cbor" || notok "withdrawal of draft 3"
reason 1 withdrawal-release "consign: $T/w2.cbor: the withdrawal names release 2, not draft 3" \
	"ledger abandon 3 with draft 2's withdrawal names the withdrawal" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w2.cbor" 3
run "$CONSIGN" ledger --ledger "$L" --json
checkx "... and both drafts stay reserved" '[ "$(jq -c "[.drafts[].sequence]" "$T/out")" = "[2,3]" ]'
expect 0 "draft 3 is abandoned with its own withdrawal" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w3.cbor" 3
# sequence 3 again, for another batch: the old withdrawal names another digest
office_mkb "$F" --count 1 --seed 6 --first-serial 1400 -o "$T/y.zip" || notok "mkbatch y"
office_draft "$F" "$T/y.zip" "$T/ry.zip" || notok "draft 3 again"
checkx "... and sequence 3 is drafted again, for batch Y" '[ "$(chain_of "$T/ry.zip" | cut -d: -f1)" = 3 ]'
reason 1 withdrawal-release "consign: $T/w3.cbor: the withdrawal names release 3 with another digest than draft 3" \
	"ledger abandon 3 with the withdrawal of the earlier draft 3 names the withdrawal" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w3.cbor" 3

# ---- station-quantity (no exit: collect carries on) -----------------------

# an order for one device, two lines of one device each: whichever
# identifies second is refused before it makes a key (the first takes a
# while to confirm, so the second is on the line while the first is in
# flight or journaled)
fixture "$T/q" 1 1000-1999 >/dev/null || notok "fixture q"
sim_start q1 --policy "$T/q/policy.cbor" --serial 1500 --count 1 --stall-done 1500 || notok "simulator q1"
SIMS="$SIMS $SIM_PID"
sim_start q2 --policy "$T/q/policy.cbor" --serial 1600 --count 1 --stall-done 1500 || notok "simulator q2"
SIMS="$SIMS $SIM_PID"
run timeout 60 "$CONSIGN" station collect --order "$T/q/order.cbor" --port "$T/q1.port" \
	--port "$T/q2.port" --journal "$T/jq"
check "collect journals the one device and exits 0" [ "$RC" -eq 0 ]
grep 'station-quantity' "$T/err" >"$T/sq.err"
if grep -q "serial 1500 done" "$T/out"; then loser=q2 lserial=1600; else loser=q1 lserial=1500; fi
check "the other device is refused (station-quantity), the line naming its port and serial" \
	[ "$(cat "$T/sq.err")" = "consign: $T/$loser.port: serial $lserial refused: the order's quantity of 1 is reached; no key made (station-quantity)" ]
sim_wait 2 "$T/q1.log" "$T/q2.log"
check "... the device was told so" grep -qx "refused $lserial station-quantity" "$T/$loser.log"
checkx "... and made no key (the one journaled did)" \
	'[ -z "$(ls -A "$T/$loser.store")" ] && [ "$(ls "$T/q1.store" "$T/q2.store" | grep -c "^1[56]00\.store\$")" -eq 1 ]'
check "exactly one record is journaled" \
	[ "$("$TOOLS/recls" journal "$T/jq" "$T/q/order.cbor" | wc -l)" -eq 1 ]

# ---- wire-protocol, the station's side (no exit: collect carries on) ------

# a device on a pseudo-terminal that answers the station's hello with the
# golden identify of manifests/golden/ in the hello's session, but as
# protocol version 2; what the station sends back is kept in $T/w.rx
python3 - "$T/w.port" "$ROOT/manifests/golden/wire-identify.bin" "$T/w.rx" <<'PY' &
import os, sys, time, tty, zlib, struct
link, golden, rxpath = sys.argv[1:]
def crc8(b):
    c = 0
    for x in b:
        c ^= x
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xff if c & 0x80 else (c << 1) & 0xff
    return c
def frame(p):
    head = struct.pack(">H", len(p))
    head += bytes([crc8(head)])
    return b"\xc5\x17" + head + p + struct.pack(">I", zlib.crc32(head + p))
g = open(golden, "rb").read()
ident = bytearray(g[5:5 + struct.unpack(">H", g[2:4])[0]])
assert ident[:5] == b"\xaa\x00\x02\x01\x48" and ident[13:15] == b"\x02\x01"
ident[13:15] = b"\x02\x02"
m, s = os.openpty()
tty.setraw(s)
os.symlink(os.ttyname(s), link + ".tmp")
os.rename(link + ".tmp", link)
os.close(s)
buf, rx, answered, end = b"", b"", False, time.time() + 60
while time.time() < end:
    try:
        d = os.read(m, 4096)
    except OSError:
        time.sleep(0.01)
        continue
    rx += d
    open(rxpath, "wb").write(rx)
    buf += d
    i = buf.find(b"\xc5\x17\x00\x0f")
    if not answered and i >= 0 and len(buf) >= i + 24:
        hello = buf[i + 5:i + 20]
        if hello[:5] == b"\xa3\x00\x01\x01\x48":
            ident[5:13] = hello[5:13]
            os.write(m, frame(bytes(ident)))
            answered = True
PY
BG="$BG $!"
for i in $(seq 1 500); do [ -L "$T/w.port" ] && break; sleep 0.01; done
"$CONSIGN" station collect --order "$F/order.cbor" --port "$T/w.port" --journal "$T/jw" \
	>"$T/w.out" 2>"$T/w.err" &
ST=$!
for i in $(seq 1 3000); do grep -q "(wire-protocol)" "$T/w.err" && break; sleep 0.01; done
kill -TERM "$ST"
wait "$ST"
ST=""
check "a device speaking protocol version 2 is refused (wire-protocol), the line naming its port and serial" \
	grep -qx "consign: $T/w.port: serial 1042 refused: the device speaks protocol version 2 (wire-protocol)" "$T/w.err"
check "... the device was sent the refusal" grep -q "wire-protocol" "$T/w.rx"
checkx "... and nothing is journaled" \
	'[ "$("$TOOLS/recls" journal "$T/jw" "$F/order.cbor" | wc -l)" -eq 0 ]'
