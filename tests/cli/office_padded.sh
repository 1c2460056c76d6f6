#!/usr/bin/env bash
# A factory stuffs the records entry of a batch whose header says 1,000
# records with about 8 MB of one-byte items (what the zip-size limit of
# 1,000 records lets through). Every office command's memory and output stay
# bounded by the header's count: the items past it are never examined, kept
# or listed (records-count ends the per-record work). Each command's peak
# RSS on the padded batch is printed beside its peak on an honest batch of
# 1,000 records; the bound asserted is that peak plus 4 MiB (no timing is).
. "$(dirname "$0")/../lib.sh"

needs /usr/bin/time "padded batch memory: /usr/bin/time is not installed"
F=$T/f
office "$F" 1000 1000-9999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
BOUND_KIB=4096

office_mkb "$F" --count 1000 -o "$T/honest.zip" || notok "mkbatch honest"
office_mkb "$F" --count 1 --pad 8000000@0 --header-count 1000 -o "$T/padded.zip" ||
	notok "mkbatch padded"

cmds() { # LABEL BATCH
	local l=$1 b=$2
	peak "$l.verify" "$CONSIGN" verify --policy "$P" "$b" >"$T/$l.verify.kib"
	peak "$l.json" "$CONSIGN" verify --policy "$P" --json "$b" >"$T/$l.json.kib"
	peak "$l.ledger" "$CONSIGN" verify --policy "$P" --ledger "$F/L" --json "$b" >"$T/$l.ledger.kib"
	peak "$l.create" "$CONSIGN" release create --policy "$P" --ledger "$F/L" --exclude-refused "$b" \
		-o "$T/$l.r.zip" >"$T/$l.create.kib"
	[ -f "$T/$l.r.zip" ] && office_withdraw "$F" 1 "$T/$l.w.cbor" &&
		"$CONSIGN" ledger --ledger "$F/L" abandon --withdrawal "$T/$l.w.cbor" 1 >/dev/null
	peak "$l.receipt" "$CONSIGN" receipt --key "$F/office.key" --passphrase-file "$F/office.pass" \
		--policy "$P" "$b" -o "$T/$l.receipt.cbor" >"$T/$l.receipt.kib"
}
cmds honest "$T/honest.zip"
cmds padded "$T/padded.zip"

for c in verify json ledger create receipt; do
	h=$(cat "$T/honest.$c.kib") p=$(cat "$T/padded.$c.kib")
	echo "# $c: peak RSS $h KiB on 1,000 honest records, $p KiB on the padded batch"
	checkx "$c: padded peak within $BOUND_KIB KiB of the honest one ($p <= $h + $BOUND_KIB)" \
		'[ "$h" -gt 0 ] && [ "$p" -gt 0 ] && [ "$p" -le $((h + BOUND_KIB)) ]'
done

checkx "verify refuses the padded batch for records-count (exit 1)" \
	'[ "$(cat "$T/padded.verify.rc")" = 1 ] && grep -q records-count "$T/padded.verify.out"'
checkx "verify --json lists at most the header's 1,000 records" \
	'[ "$(jq ".failures | length" "$T/padded.json.out")" -le 1000 ] && [ "$(jq .records "$T/padded.json.out")" = 1000 ]'
checkx "... and its report is small (under 256 KiB)" '[ "$(stat -c %s "$T/padded.json.out")" -lt 262144 ]'
checkx "release create refuses it (exit 1, records-count)" \
	'[ "$(cat "$T/padded.create.rc")" = 1 ] && grep -q records-count "$T/padded.create.out" "$T/padded.create.err"'
checkx "receipt is written for the factory (exit 0), naming records-count" \
	'[ "$(cat "$T/padded.receipt.rc")" = 0 ] && [ -s "$T/padded.receipt.cbor" ]'
run "$CONSIGN" verify --policy "$P" --json "$T/padded.receipt.cbor"
checkx "... the receipt verifies: nothing accepted, 1,000 refused, records-count" \
	'[ "$RC" = 0 ] && [ "$(jq -c "[.accepted, (.refused | length), .batch_problems]" "$T/out")" = "[0,1000,[\"records-count\"]]" ]'
