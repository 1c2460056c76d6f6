#!/usr/bin/env bash
# consign verify on batch zips: for each check of DESIGN.md a batch that
# breaks exactly that check is rejected (exit 1) with that reason and no
# other; a valid batch is accepted; unreadable zips exit 3.
. "$(dirname "$0")/../lib.sh"

F=$T/f
fixture "$F" 40 1000-1999 || { notok "fixture"; exit 1; }
mkb() { "$TOOLS/mkbatch" --order "$F/order.cbor" --key "$F/station.key" \
	--passphrase-file "$F/station.pass" "$@"; }

# only REASON, in the JSON report (problems and failing records alike)
only() {
	local want=$1 file=$2 got
	run "$CONSIGN" verify --policy "$F/policy.cbor" --json "$file"
	got=$(jq -r '[.problems[].reason] + [(.failures // [])[].reason] | unique | join(",")' "$T/out" 2>/dev/null)
	if [ "$RC" -eq 1 ] && [ "$got" = "$want" ]; then
		ok "$want: exit 1, the only reason"
	else
		notok "$want: exit $RC, reasons '$got' $(head -c 300 "$T/err")"
	fi
}

mkb --count 30 -o "$T/good.zip" || notok "mkbatch"
expect 0 "a valid batch of 30 is accepted" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/good.zip"
check "... the report says ACCEPTED and counts" grep -q "30 of 30 records pass" "$T/out"
expect 0 "... on one thread too" "$CONSIGN" verify --policy "$F/policy.cbor" --threads 1 "$T/good.zip"
expect 2 "a batch needs --policy" "$CONSIGN" verify "$T/good.zip"
expect 2 "--first is for releases" "$CONSIGN" verify --policy "$F/policy.cbor" --first "$T/good.zip"

for b in record-signature record-key-invalid record-nonce record-batch record-deployment \
	record-serial-range record-duplicate-serial record-duplicate-key record-duplicate-hwid \
	record-malformed records-digest records-count station-not-allowed station-signature \
	header-order header-batch; do
	mkb --count 30 --break "$b@17" -o "$T/$b.zip" || notok "mkbatch $b"
	only "$b" "$T/$b.zip"
done
# an indefinite length inside record 17: records are canonical, so the
# entry stops splitting there (and records-count is not reported besides:
# how many records the rest holds is unknown)
mkb --count 30 --break record-indefinite@17 -o "$T/indefinite.zip" || notok "mkbatch record-indefinite"
only records-malformed "$T/indefinite.zip"
check "... records-malformed says where, and why" jq -e '.problems[0].message |
	test("cannot be split after record 17 .*: not well-formed CBOR, an indefinite length")' "$T/out"

# the failing record is named by index and serial
run "$CONSIGN" verify --policy "$F/policy.cbor" "$T/record-signature.zip"
check "record-signature names record 17 (serial 1017)" grep -q "record 17 (serial 1017): record-signature" "$T/out"
check "... and the verdict is REJECTED" grep -q "REJECTED" "$T/out"
run "$CONSIGN" verify --policy "$F/policy.cbor" --json "$T/record-duplicate-serial.zip"
check "--json gives index and serial" [ "$(jq -c '.failures[0] | [.index,.serial]' "$T/out")" = "[17,1000]" ]

# more records than the order's quantity (40): the serial range allows them
mkb --count 41 -o "$T/over.zip"
only quantity-exceeded "$T/over.zip"

# an order signed by one custodian of two needed
"$CONSIGN" order create --policy "$F/policy.cbor" --batch B42 --product "Sensor v2" \
	--serials 1000-1999 --quantity 40 --station "$F/station.pub" -o "$T/order1.cbor" >/dev/null
sign_as "$F" "$T/order1.cbor" alice --policy "$F/policy.cbor"
"$TOOLS/mkbatch" --order "$T/order1.cbor" --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--count 5 -o "$T/thin.zip"
only order-threshold "$T/thin.zip"

# an order under another policy of the same deployment (a rotation) ...
"$CONSIGN" policy create --threshold 2 --custodian "$F/alice.pub" --custodian "$F/bob.pub" \
	--custodian "$F/carol.pub" --office "$F/office.pub" --previous "$F/policy.cbor" \
	-o "$T/policy2.cbor" >/dev/null
sign_as "$F" "$T/policy2.cbor" alice --policy "$F/policy.cbor"
sign_as "$F" "$T/policy2.cbor" bob --policy "$F/policy.cbor"
"$CONSIGN" order create --policy "$T/policy2.cbor" --batch B42 --product "Sensor v2" \
	--serials 1000-1999 --quantity 40 --station "$F/station.pub" -o "$T/order2.cbor" >/dev/null
sign_as "$F" "$T/order2.cbor" alice --policy "$T/policy2.cbor"
sign_as "$F" "$T/order2.cbor" bob --policy "$T/policy2.cbor"
"$TOOLS/mkbatch" --order "$T/order2.cbor" --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--count 5 -o "$T/otherpol.zip"
only order-policy "$T/otherpol.zip"
# ... and under another deployment
G=$T/g
fixture "$G" 40 1000-1999 >/dev/null
"$TOOLS/mkbatch" --order "$G/order.cbor" --key "$G/station.key" --passphrase-file "$G/station.pass" \
	--count 5 -o "$T/otherdep.zip"
only order-deployment "$T/otherdep.zip"

# zip layout: rebuilt with Python's zipfile, which allows what libzip refuses
rezip() { # OUT NAME=SRC_ENTRY... (stored unless the name starts with '~')
	python3 - "$T/good.zip" "$@" <<'EOF'
import sys, warnings, zipfile
warnings.simplefilter("ignore")
src = zipfile.ZipFile(sys.argv[1])
out = zipfile.ZipFile(sys.argv[2], "w")
for spec in sys.argv[3:]:
    name, _, what = spec.partition("=")
    comp = zipfile.ZIP_STORED
    if name.startswith("~"):
        name, comp = name[1:], zipfile.ZIP_DEFLATED
    if what in src.namelist():
        data = src.read(what)
    elif what.startswith("zeros:"):
        data = bytes(int(what[6:]))
    else:
        data = bytes.fromhex(what)
    out.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, compress_type=comp)
out.close()
EOF
}
H=header.cose O=order.cose R=records.cborseq
rezip "$T/same.zip" $H=$H $O=$O $R=$R
expect 0 "a batch rewritten by another zip writer is still accepted" \
	"$CONSIGN" verify --policy "$F/policy.cbor" "$T/same.zip"
rezip "$T/defl.zip" $H=$H $O=$O "~$R=$R"
expect 0 "... deflated records too" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/defl.zip"
rezip "$T/extra.zip" $H=$H $O=$O $R=$R notes.txt=6869
only zip-entries "$T/extra.zip"
rezip "$T/dup.zip" $H=$H $O=$O $O=$O
only zip-entries "$T/dup.zip"
rezip "$T/order.zip" $O=$O $H=$H $R=$R
only zip-entries "$T/order.zip"
rezip "$T/missing.zip" $H=$H $O=$O
only zip-entries "$T/missing.zip"
rezip "$T/dotdot.zip" $H=$H $O=$O "../$R=$R"
only zip-name "$T/dotdot.zip"
rezip "$T/abs.zip" $H=$H "/$O=$O" $R=$R
only zip-name "$T/abs.zip"
rezip "$T/dir.zip" $H=$H "x/=" $R=$R
only zip-name "$T/dir.zip"
rezip "$T/bighdr.zip" "$H=zeros:5000" $O=$O $R=$R
only zip-size "$T/bighdr.zip"
# a bomb: a megabyte of zeros deflates to about a kilobyte
rezip "$T/bomb.zip" $H=$H $O=$O "~$R=zeros:1048576"
only zip-ratio "$T/bomb.zip"

# unreadable: not a zip, truncated, a flipped byte inside the records (CRC)
head -c 4 "$T/good.zip" >"$T/magic.zip"
expect_reason 3 zip-corrupt "only a zip's magic: exit 3" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/magic.zip"
size=$(stat -c %s "$T/good.zip")
head -c $((size - 30)) "$T/good.zip" >"$T/trunc.zip"
expect_reason 3 zip-corrupt "a truncated zip: exit 3" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/trunc.zip"
python3 - "$T/good.zip" "$T/crc.zip" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"records.cborseq") + len("records.cborseq") + 200
b[i] ^= 1
open(sys.argv[2], "wb").write(b)
EOF
expect_reason 3 zip-corrupt "a flipped byte in the records: CRC, exit 3" \
	"$CONSIGN" verify --policy "$F/policy.cbor" "$T/crc.zip"

# verdicts do not depend on the thread count, and come in record order
mkb --count 200 --break record-signature@3 --break record-nonce@150 --break record-key-invalid@77 \
	--break record-duplicate-key@199 -o "$T/many.zip"
for n in 1 2 5; do
	"$CONSIGN" verify --policy "$F/policy.cbor" --json --threads "$n" "$T/many.zip" >"$T/many.$n" 2>&1
done
checkx "--threads 1, 2 and 5 give the same report" 'cmp -s "$T/many.1" "$T/many.2" && cmp -s "$T/many.1" "$T/many.5"'
check "... failures in record order" [ "$(jq -c '[.failures[].index]' "$T/many.1")" = "[3,77,150,199]" ]

# duplicates in a deflated records entry: confirmed without seeking
mkb --count 40 --break record-duplicate-serial@33 -o "$T/dupd.zip"
python3 - "$T/dupd.zip" "$T/dupd-deflated.zip" <<'PY'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
out = zipfile.ZipFile(sys.argv[2], "w")
for n in src.namelist():
    out.writestr(zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0)), src.read(n),
                 compress_type=zipfile.ZIP_DEFLATED if n == "records.cborseq" else zipfile.ZIP_STORED)
out.close()
PY
only record-duplicate-serial "$T/dupd-deflated.zip"

# a deflated records entry that inflates to less than it declares
python3 - "$T/good.zip" "$T/short.zip" <<'PY'
import io, struct, sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
buf = io.BytesIO()
out = zipfile.ZipFile(buf, "w")
for n in src.namelist():
    out.writestr(zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0)), src.read(n),
                 compress_type=zipfile.ZIP_DEFLATED if n == "records.cborseq" else zipfile.ZIP_STORED)
out.close()
b = bytearray(buf.getvalue())
name, pos = b"records.cborseq", 0
while (j := b.find(name, pos)) >= 0:
    for sig, off in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46)):
        if b[j - off:j - off + 4] == sig:
            o = j - off + (22 if off == 30 else 24)
            struct.pack_into("<I", b, o, struct.unpack_from("<I", b, o)[0] + 10)
    pos = j + 1
open(sys.argv[2], "wb").write(b)
PY
only zip-size "$T/short.zip"
