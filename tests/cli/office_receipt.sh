#!/usr/bin/env bash
# consign receipt: the factory learns which records were refused and why, or
# that the whole batch was; the receipt verifies only under the office key.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
rcpt() { "$CONSIGN" receipt --key "$F/office.key" --passphrase-file "$F/office.pass" --policy "$P" "$@"; }

office_mkb "$F" --count 20 --break record-nonce@4 --break record-serial-range@9 -o "$T/b.zip"
expect 0 "a receipt for a batch with 2 refused records" rcpt "$T/b.zip" -o "$T/r.cbor"
check "... says 18 of 20 accepted, 2 refused" grep -q "18 of 20 records accepted, 2 refused" "$T/out"
expect 0 "... and verifies under the policy's office key" "$CONSIGN" verify --policy "$P" "$T/r.cbor"
run "$CONSIGN" inspect --json "$T/r.cbor"
check "... listing record 4 record-nonce and record 9 record-serial-range" \
	[ "$(jq -c '[.refused[] | [.index, .reason]]' "$T/out")" = '[[4,"record-nonce"],[9,"record-serial-range"]]' ]

office_mkb "$F" --count 5 --break records-digest -o "$T/bad.zip"
expect 0 "a receipt for a batch refused as a whole" rcpt "$T/bad.zip" -o "$T/bad.cbor"
run "$CONSIGN" inspect --json "$T/bad.cbor"
checkx "... accepts nothing and names records-digest" \
	'[ "$(jq .accepted "$T/out")" -eq 0 ] && [ "$(jq -r ".batch_problems[0]" "$T/out")" = records-digest ]'

# with the ledger: records released before are refused for that
office_mkb "$F" --count 3 --seed 4 --first-serial 1200 -o "$T/a.zip"
office_release "$F" "$T/a.zip" "$T/ra.zip" && "$CONSIGN" ledger --ledger "$F/L" add "$T/ra.zip" >/dev/null
office_mkb "$F" --count 2 --seed 5 --first-serial 1202 -o "$T/c.zip"
expect 0 "--ledger: a receipt refusing a serial released before" rcpt --ledger "$F/L" "$T/c.zip" -o "$T/c.cbor"
run "$CONSIGN" inspect --json "$T/c.cbor"
check "... record 0 record-released-serial" [ "$(jq -r '.refused[0].reason' "$T/out")" = record-released-serial ]

# forged or misdirected receipts do not verify
cp "$T/r.cbor" "$T/t.cbor"
printf '\x01' | dd of="$T/t.cbor" bs=1 seek=$(($(stat -c %s "$T/t.cbor") - 5)) conv=notrunc 2>/dev/null
run "$CONSIGN" verify --policy "$P" "$T/t.cbor"
checkx "a receipt with a flipped signature byte is rejected" '[ "$RC" -eq 1 ] || [ "$RC" -eq 3 ]'
G=$T/g
fixture "$G" >/dev/null
expect 1 "a receipt under another policy's office key is rejected" "$CONSIGN" verify --policy "$G/policy.cbor" "$T/r.cbor"
expect_reason 1 "not the office key" "only the office key makes receipts" \
	"$CONSIGN" receipt --key "$F/alice.key" --passphrase-file "$F/alice.pass" --policy "$P" "$T/b.zip" -o "$T/x.cbor"
python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1],"w"); z.writestr("../x", b"1"); z.close()' "$T/evil.zip"
expect_reason 1 zip-name "no receipt for a zip whose layout is refused" rcpt "$T/evil.zip" -o "$T/e.cbor"
